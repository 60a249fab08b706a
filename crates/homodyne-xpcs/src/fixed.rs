//! Parameters the configuration holds fixed: lmfit's `vary=False` in the YAML.
//!
//! A held parameter keeps its value, is left out of the solve (the fit is the fit of the
//! model with that value substituted) and is reported with the value and the flag
//! `fixed` (see [`crate::output`]). Three keys hold a parameter, read in this order:
//!
//! 1. `fixed` on its `parameter_space.bounds` entry (an addition to the package's keys):
//!
//!    ```yaml
//!    parameter_space:
//!      bounds:
//!        - name: D_offset
//!          min: -100000.0
//!          max: 100000.0
//!          fixed: 0.0      # held at 0.0
//!        - name: beta
//!          fixed: true     # held at its initial value
//!    ```
//!
//!    A number holds the parameter at that value; `true` at its initial value
//!    (`initial_parameters.values`, else the default start, e.g. `D_offset = 0`; for
//!    `contrast` and `offset`, the `initial_parameters.per_angle_scaling` lists, angle by
//!    angle, or their `initial_parameters.values`, which must then be given); `false` or
//!    `null` (or no `fixed` key) fits it. When several entries name the parameter, the
//!    last one with a `fixed` key decides, as the last `min` and `max` do. On the
//!    `contrast` or `offset` entry it holds every angle's contrast or offset.
//! 2. `initial_parameters.fixed_parameters`, the package's own mapping of names to
//!    values (`{D_offset: 0.0, beta: 0.0}`), for a parameter whose bounds entries have no
//!    `fixed` key. Both keys for one parameter must agree.
//! 3. Equal `min` and `max`: held at that value (even with `fixed: false`: the solver
//!    holds a parameter whose bounds are equal).
//!
//! A held value must be finite and within the parameter's `[min, max]` (after every
//! entry): anything else is an [`XpcsError::ConfigValue`] naming the key and the
//! parameter. A held parameter the analysis mode does not have (`gamma_dot_t0` in static
//! mode) is ignored with a warning. Configurations without these keys fit exactly as
//! before. [`XpcsConfig::layout_fixed`] gives the held values in the order of a
//! [`ParameterLayout`], for [`crate::XpcsFitOptions::fixed`] (and [`homodyne::Fit::fixed`]).

use serde_json::Value;

use crate::config::{PARAMETER_NAMES, XpcsConfig, canonical_name, lenient_number, type_error};
use crate::error::XpcsError;
use crate::parameters::{AnalysisMode, ParameterLayout, ScalingMode};

/// What `fixed` on a `parameter_space.bounds` entry says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hold {
    /// `false`: fitted (as without the key).
    Free,
    /// A number: held at this value.
    At(f64),
    /// `true`: held at its initial value.
    Start,
}

/// Reads the value of a `fixed` key (`key` is its dotted path, for messages).
pub(crate) fn read_hold(value: &Value, key: &str) -> Result<Hold, XpcsError> {
    match value {
        Value::Bool(true) => Ok(Hold::Start),
        Value::Bool(false) => Ok(Hold::Free),
        Value::Number(_) | Value::String(_) => {
            Ok(Hold::At(lenient_number(value, key).map_err(|_| {
                type_error(key, "a number, true (its initial value) or false", value)
            })?))
        }
        other => Err(type_error(
            key,
            "a number, true (its initial value) or false",
            other,
        )),
    }
}

/// Reads `initial_parameters.fixed_parameters`: a mapping of parameter names to values,
/// returned by canonical name.
pub(crate) fn read_fixed_parameters(
    value: &Value,
    key: &str,
) -> Result<Vec<(String, f64)>, XpcsError> {
    let Value::Object(map) = value else {
        return Err(type_error(
            key,
            "a mapping of parameter names to values",
            value,
        ));
    };
    let mut out: Vec<(String, f64)> = Vec::with_capacity(map.len());
    for (name, v) in map {
        let entry_key = format!("{key}.{name}");
        let canonical = canonical_name(name).ok_or_else(|| {
            XpcsError::config_value(
                &entry_key,
                format!(
                    "{name:?} is no parameter; give one of {}",
                    PARAMETER_NAMES.join(", ")
                ),
            )
        })?;
        if out.iter().any(|(n, _)| n == canonical) {
            return Err(XpcsError::config_value(
                &entry_key,
                format!("{canonical} is named twice"),
            ));
        }
        out.push((canonical.to_owned(), lenient_number(v, &entry_key)?));
    }
    // By name: a mapping's order depends on how serde_json was built (its
    // `preserve_order` feature), and the result must not.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A parameter held by the configuration: the key that holds it and the value (one, or
/// one per angle for `fixed: true` on `contrast` or `offset` with per-angle lists).
struct Resolved {
    key: String,
    values: Vec<f64>,
    /// The list the values come from when they are per angle (for its length check).
    per_angle_key: Option<String>,
}

/// The starting value(s) of `name`, for `fixed: true` at `key`.
fn start_values(config: &XpcsConfig, name: &str, key: &str) -> Result<Resolved, XpcsError> {
    let initial = config.initial_parameters.as_ref();
    let given = initial.and_then(|i| i.value_of(name));
    let resolved = |values: Vec<f64>, per_angle_key: Option<String>| Resolved {
        key: key.to_owned(),
        values,
        per_angle_key,
    };
    if matches!(name, "contrast" | "offset") {
        let list = initial.and_then(|i| match name {
            "contrast" => i.per_angle_contrast.clone(),
            _ => i.per_angle_offset.clone(),
        });
        return match (list, given) {
            (Some(list), _) => Ok(resolved(
                list,
                Some(format!("initial_parameters.per_angle_scaling.{name}")),
            )),
            (None, Some(v)) => Ok(resolved(vec![v], None)),
            (None, None) => Err(XpcsError::config_value(
                key,
                format!(
                    "`true` holds {name} at its initial value, but none is given: give \
                     initial_parameters.per_angle_scaling lists or a {name} value in \
                     initial_parameters.values, or hold it at a number (`fixed: 0.3`)"
                ),
            )),
        };
    }
    // Static names are the first laminar-flow ones: the default start of either mode.
    let default = (AnalysisMode::LaminarFlow.physical_names().iter())
        .position(|n| *n == name)
        .map_or(0.0, |i| AnalysisMode::LaminarFlow.default_start()[i]);
    Ok(resolved(vec![given.unwrap_or(default)], None))
}

/// How the configuration holds the parameter `name` (canonical), checked: `None` when it
/// is fitted.
fn resolve(config: &XpcsConfig, name: &str) -> Result<Option<Resolved>, XpcsError> {
    let entries: Vec<_> = config.bounds.iter().filter(|b| b.name == name).collect();
    let by_entry = entries
        .iter()
        .rev()
        .find_map(|b| b.fixed.map(|hold| (hold, format!("{}.fixed", b.path))));
    let by_list = (config.initial_parameters.as_ref())
        .and_then(|i| i.fixed_parameters.iter().find(|(n, _)| n == name))
        .map(|&(_, v)| Resolved {
            key: format!("initial_parameters.fixed_parameters.{name}"),
            values: vec![v],
            per_angle_key: None,
        });
    let by_entry = match by_entry {
        None => None,
        Some((hold, key)) => {
            let resolved = match hold {
                Hold::Free => None,
                Hold::At(v) => Some(Resolved {
                    key: key.clone(),
                    values: vec![v],
                    per_angle_key: None,
                }),
                Hold::Start => Some(start_values(config, name, &key)?),
            };
            if let Some(list) = &by_list {
                let entry_values = resolved.as_ref().map(|r| r.values.as_slice());
                if entry_values != Some(list.values.as_slice()) {
                    let said = match entry_values {
                        None => "fitted".to_owned(),
                        Some([v]) => format!("held at {v}"),
                        Some(v) => format!("held at {v:?}"),
                    };
                    return Err(XpcsError::config_value(
                        &key,
                        format!(
                            "{name} is {said} here but held at {} by `{}`; keep one",
                            list.values[0], list.key
                        ),
                    ));
                }
            }
            Some(resolved)
        }
    };
    let (min, max) = config
        .parameter_bounds(name)
        .expect("a canonical parameter name has bounds");
    let by_keys = match by_entry {
        Some(resolved) => resolved,
        None => by_list,
    };
    let resolved = by_keys.or_else(|| {
        (min == max).then(|| Resolved {
            key: entries
                .last()
                .map_or_else(|| "parameter_space.bounds".to_owned(), |b| b.path.clone()),
            values: vec![min],
            per_angle_key: None,
        })
    });
    if let Some(r) = &resolved {
        for &v in &r.values {
            if !v.is_finite() {
                return Err(XpcsError::config_value(
                    &r.key,
                    format!("holds {name} at {v}; give a finite number"),
                ));
            }
            if !(min <= v && v <= max) {
                return Err(XpcsError::config_value(
                    &r.key,
                    format!(
                        "holds {name} at {v}, outside its bounds [{min}, {max}]; give a value \
                         within them (or widen min and max)"
                    ),
                ));
            }
        }
    }
    Ok(resolved)
}

/// Checks every held parameter of `config` (read in full); the warnings for the held
/// parameters the analysis mode does not have.
pub(crate) fn check(config: &XpcsConfig) -> Result<Vec<String>, XpcsError> {
    let mode = config.analysis_mode;
    let mut warnings = Vec::new();
    for name in PARAMETER_NAMES {
        let Some(resolved) = resolve(config, name)? else {
            continue;
        };
        let in_mode =
            matches!(name, "contrast" | "offset") || mode.physical_names().contains(&name);
        if !in_mode {
            warnings.push(format!(
                "`{}`: {name} is not a parameter of {} mode; holding it is ignored",
                resolved.key,
                mode.name()
            ));
        }
    }
    Ok(warnings)
}

impl XpcsConfig {
    /// The values the configuration holds the parameters of `layout` at, in its order
    /// (`None` for a fitted parameter), for [`crate::XpcsFitOptions::fixed`]; empty when no
    /// parameter is held. See the [module documentation](crate::fixed). With Fourier
    /// scaling a held contrast (offset) is the constant series: `contrast_c0` at the value,
    /// every harmonic at 0.
    ///
    /// # Errors
    ///
    /// [`XpcsError::ConfigValue`] for a held value that is not finite or outside the
    /// bounds (already refused when the configuration was read), and for per-angle
    /// starting values of a held contrast or offset whose number is neither the layout's
    /// number of angles nor, with one contrast and offset for all angles, any; with
    /// Fourier scaling, for more than one held value.
    pub fn layout_fixed(&self, layout: &ParameterLayout) -> Result<Vec<Option<f64>>, XpcsError> {
        let groups = layout.n_scaling_groups();
        let mut fixed = vec![None; layout.n_params()];
        for (name, first) in [("contrast", 0), ("offset", groups)] {
            let Some(resolved) = resolve(self, name)? else {
                continue;
            };
            let values = match (resolved.values.len(), resolved.per_angle_key) {
                // A Fourier series held at one value for every angle: the constant series.
                (1, _) if matches!(layout.scaling, ScalingMode::Fourier { .. }) => {
                    let mut coefficients = vec![0.0; groups];
                    coefficients[0] = resolved.values[0];
                    coefficients
                }
                (n, key) if matches!(layout.scaling, ScalingMode::Fourier { .. }) => {
                    return Err(XpcsError::config_value(
                        key.unwrap_or(resolved.key),
                        format!(
                            "holds {n} values of {name}, but a Fourier series ({}) can be held \
                             only at one value for all angles: give one value, or use \
                             per_angle_mode individual",
                            layout.describe()
                        ),
                    ));
                }
                (1, None) => vec![resolved.values[0]; groups],
                (n, _) if n == groups => resolved.values,
                (n, Some(_)) if groups == 1 && n > 0 => {
                    vec![resolved.values.iter().sum::<f64>() / n as f64]
                }
                (n, key) => {
                    return Err(XpcsError::config_value(
                        key.unwrap_or(resolved.key),
                        format!(
                            "holds {n} values of {name}, but the fit has {groups} ({})",
                            layout.describe()
                        ),
                    ));
                }
            };
            for (slot, v) in fixed[first..first + groups].iter_mut().zip(values) {
                *slot = Some(v);
            }
        }
        let start = layout.physical_start();
        for (i, name) in layout.mode.physical_names().iter().enumerate() {
            if let Some(resolved) = resolve(self, name)? {
                fixed[start + i] = Some(resolved.values[0]);
            }
        }
        if fixed.iter().all(Option::is_none) {
            fixed.clear();
        }
        Ok(fixed)
    }
}

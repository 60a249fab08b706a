//! Which parameters a configuration holds fixed, and at what: the rules of
//! [`crate::fixed`], checked when the configuration is read.

use super::hold::Hold;
use super::xpcs_config::XpcsConfig;
use crate::error::XpcsError;
use crate::parameters::AnalysisMode;
use crate::parameters::names::{in_mode, parameter_names};

/// A parameter held by the configuration: the key that holds it and the value (one, or
/// one per angle for `fixed: true` on `contrast` or `offset` with per-angle lists).
pub(crate) struct Resolved {
    /// The key that holds it (`parameter_space.bounds[2].fixed`).
    pub(crate) key: String,
    /// The value, or one per angle.
    pub(crate) values: Vec<f64>,
    /// The list the values come from when they are per angle (for its length check).
    pub(crate) per_angle_key: Option<String>,
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
    // Static names are the first laminar-flow ones: the default start of either mode;
    // the two-component names are that model's alone.
    let default = [AnalysisMode::LaminarFlow, AnalysisMode::TwoComponent]
        .into_iter()
        .find_map(|mode| {
            let i = mode.physical_names().iter().position(|n| *n == name)?;
            Some(mode.default_start()[i])
        })
        .unwrap_or(0.0);
    Ok(resolved(vec![given.unwrap_or(default)], None))
}

/// How the configuration holds the parameter `name` (canonical), checked: `None` when it
/// is fitted.
pub(crate) fn resolve(config: &XpcsConfig, name: &str) -> Result<Option<Resolved>, XpcsError> {
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
    for name in parameter_names() {
        let Some(resolved) = resolve(config, name)? else {
            continue;
        };
        if !in_mode(name, mode) {
            warnings.push(format!(
                "`{}`: {name} is not a parameter of {} mode; holding it is ignored",
                resolved.key,
                mode.name()
            ));
        }
    }
    Ok(warnings)
}

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

pub use crate::config::Hold;
use crate::config::XpcsConfig;
use crate::config::held::resolve;
use crate::error::XpcsError;
use crate::parameters::{ParameterLayout, ScalingMode};

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

//! The starting values of a configuration's fit: the physical parameters from
//! `initial_parameters` (else the package's defaults), and the contrasts and offsets from
//! its per-angle lists or single values (else estimated from the data by the fit).

use homodyne_xpcs::config::XpcsConfig;
use homodyne_xpcs::{AnalysisMode, ParameterLayout, ScalingMode};

use crate::failure::Failure;

/// The physical start: `initial_parameters` where given, else the package's defaults.
pub fn physical_start(config: &XpcsConfig, mode: AnalysisMode) -> Vec<f64> {
    let defaults = mode.default_start();
    let Some(initial) = &config.initial_parameters else {
        return defaults.to_vec();
    };
    if initial.values.is_none() {
        return defaults.to_vec();
    }
    mode.physical_names()
        .iter()
        .zip(defaults)
        .map(|(name, &default)| initial.value_of(name).unwrap_or(default))
        .collect()
}

/// Starting contrasts and offsets, one per scaling group.
pub type ScalingStart = (Vec<f64>, Vec<f64>);

/// Starting contrasts and offsets from `initial_parameters` (per-angle lists, or one
/// `contrast` / `offset` value), or `None` to estimate them from the data. For a Fourier
/// series, the series closest to those per-angle values (at the angles `phi`).
pub fn scaling_start(
    config: &XpcsConfig,
    layout: &ParameterLayout,
    phi: &[f64],
) -> Result<Option<ScalingStart>, Failure> {
    let Some(initial) = &config.initial_parameters else {
        return Ok(None);
    };
    if let ScalingMode::Fourier { .. } = layout.scaling {
        let per_angle = |values: &Option<Vec<f64>>, name: &str| match values {
            Some(v) if v.len() == phi.len() => Ok(Some(v.clone())),
            Some(v) => Err(Failure::input(format!(
                "initial_parameters.per_angle_scaling.{name} has {} values, but the data have {} \
                 angles ({})",
                v.len(),
                phi.len(),
                layout.describe()
            ))),
            None => Ok(initial.value_of(name).map(|c| vec![c; phi.len()])),
        };
        let contrast = per_angle(&initial.per_angle_contrast, "contrast")?;
        let offset = per_angle(&initial.per_angle_offset, "offset")?;
        return Ok(contrast
            .zip(offset)
            .map(|(c, o)| layout.scaling_from_per_angle(&c, &o, phi)));
    }
    let groups = layout.n_scaling_groups();
    let per_angle = |values: &Option<Vec<f64>>, name: &str| -> Result<Option<Vec<f64>>, Failure> {
        match values {
            None => Ok(None),
            Some(v) if v.len() == groups => Ok(Some(v.clone())),
            Some(v) if groups == 1 && !v.is_empty() => {
                Ok(Some(vec![v.iter().sum::<f64>() / v.len() as f64]))
            }
            Some(v) => Err(Failure::input(format!(
                "initial_parameters.per_angle_scaling.{name} has {} values, but the fit has {groups} \
                 scaling groups ({})",
                v.len(),
                layout.describe()
            ))),
        }
    };
    let contrast = per_angle(&initial.per_angle_contrast, "contrast")?
        .or_else(|| initial.value_of("contrast").map(|c| vec![c; groups]));
    let offset = per_angle(&initial.per_angle_offset, "offset")?
        .or_else(|| initial.value_of("offset").map(|o| vec![o; groups]));
    Ok(contrast.zip(offset))
}

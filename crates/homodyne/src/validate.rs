//! Input checks run before any fit: every problem becomes a typed error, never a panic.

use homodyne_core::{Bounds, InvalidInput, Model, OptimizationError};

use crate::config::FitConfig;

fn first_non_finite(values: &[f64]) -> Option<(usize, f64)> {
    values
        .iter()
        .copied()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
}

/// Checks the data, start and settings of a fit; returns the bounds to use.
pub fn validate_inputs<M: Model + ?Sized>(
    model: &M,
    xdata: &[f64],
    ydata: &[f64],
    p0: &[f64],
    bounds: Option<&Bounds>,
    config: &FitConfig,
) -> Result<Bounds, OptimizationError> {
    let n_params = model.n_params();
    if n_params == 0 {
        return Err(InvalidInput::InvalidOption {
            option: "model.n_params()",
            value: "0".into(),
            reason: "a model needs at least one parameter to fit",
        }
        .into());
    }
    if model.x_dim() == 0 {
        return Err(InvalidInput::InvalidOption {
            option: "model.x_dim()",
            value: "0".into(),
            reason: "a model reads at least one x value per point",
        }
        .into());
    }
    if p0.len() != n_params {
        return Err(InvalidInput::WrongParameterCount {
            what: "p0",
            expected: n_params,
            got: p0.len(),
        }
        .into());
    }
    if ydata.is_empty() {
        return Err(InvalidInput::EmptyData.into());
    }
    let x_dim = model.x_dim();
    if xdata.len() != ydata.len() * x_dim {
        return Err(InvalidInput::LengthMismatch {
            x_len: xdata.len(),
            y_len: ydata.len(),
            x_dim,
        }
        .into());
    }
    if ydata.len() < n_params {
        return Err(InvalidInput::TooFewPoints {
            n_points: ydata.len(),
            n_params,
        }
        .into());
    }
    for (array, values) in [("xdata", xdata), ("ydata", ydata), ("p0", p0)] {
        if let Some((index, value)) = first_non_finite(values) {
            return Err(InvalidInput::NonFinite {
                array,
                index,
                value,
            }
            .into());
        }
    }
    if let Some(sigma) = &config.sigma {
        if sigma.len() != ydata.len() {
            return Err(InvalidInput::WrongSigmaLength {
                expected: ydata.len(),
                got: sigma.len(),
            }
            .into());
        }
        if let Some((index, value)) = first_non_finite(sigma) {
            return Err(InvalidInput::NonFinite {
                array: "sigma",
                index,
                value,
            }
            .into());
        }
        if let Some((index, &value)) = sigma.iter().enumerate().find(|(_, s)| **s <= 0.0) {
            return Err(InvalidInput::NonPositiveSigma { index, value }.into());
        }
    }
    config.solver_options().validate(n_params)?;
    let bounds = match bounds {
        Some(b) => b.clone(),
        None => Bounds::unbounded(n_params),
    };
    bounds.check_start(p0)?;
    Ok(bounds)
}

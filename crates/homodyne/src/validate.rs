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

/// Checks a fit's inputs before any work; returns the bounds to use (unbounded when
/// `None`).
pub fn validate_inputs<M: Model + ?Sized>(
    model: &M,
    xdata: &[f64],
    ydata: &[f64],
    p0: &[f64],
    bounds: Option<&Bounds>,
    config: &FitConfig,
) -> Result<Bounds, OptimizationError> {
    check_model(model, p0)?;
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
    check_point_count(ydata.len(), free_parameters(p0.len(), bounds, config))?;
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
    check_options_and_bounds(p0, bounds, config)
}

/// The checks of [`validate_inputs`] that need no data, for `n_points` points read later
/// (a streaming fit checks its data batch by batch): the model, `p0`, the options and the
/// bounds.
pub fn validate_parameters<M: Model + ?Sized>(
    model: &M,
    n_points: usize,
    p0: &[f64],
    bounds: Option<&Bounds>,
    config: &FitConfig,
) -> Result<Bounds, OptimizationError> {
    check_model(model, p0)?;
    if n_points == 0 {
        return Err(InvalidInput::EmptyData.into());
    }
    check_point_count(n_points, free_parameters(p0.len(), bounds, config))?;
    if let Some((index, value)) = first_non_finite(p0) {
        return Err(InvalidInput::NonFinite {
            array: "p0",
            index,
            value,
        }
        .into());
    }
    check_options_and_bounds(p0, bounds, config)
}

/// At least one parameter, one x value per point, and `p0` of the model's length.
fn check_model<M: Model + ?Sized>(model: &M, p0: &[f64]) -> Result<(), OptimizationError> {
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
    Ok(())
}

/// No fewer points than parameters.
/// The parameters left to fit: `n_params` less those held by `config.fixed` or by equal
/// bounds (a held parameter needs no data point).
fn free_parameters(n_params: usize, bounds: Option<&Bounds>, config: &FitConfig) -> usize {
    (0..n_params)
        .filter(|&k| {
            let by_config = config.fixed.get(k).is_some_and(Option::is_some);
            let by_bounds =
                bounds.is_some_and(|b| b.len() == n_params && b.fixed_value(k).is_some());
            !(by_config || by_bounds)
        })
        .count()
}

fn check_point_count(n_points: usize, n_params: usize) -> Result<(), OptimizationError> {
    if n_points < n_params {
        return Err(InvalidInput::TooFewPoints { n_points, n_params }.into());
    }
    Ok(())
}

/// The solver options, and `p0` within the bounds; returns the bounds.
fn check_options_and_bounds(
    p0: &[f64],
    bounds: Option<&Bounds>,
    config: &FitConfig,
) -> Result<Bounds, OptimizationError> {
    config.solver_options().validate(p0.len())?;
    let bounds = match bounds {
        Some(b) => b.clone(),
        None => Bounds::unbounded(p0.len()),
    };
    bounds.check_start(p0)?;
    Ok(bounds)
}

//! Input checks run before any fit: every problem becomes a typed error, never a panic.

use homodyne_core::{Bounds, Context, DataSource, InvalidInput, Model, OptimizationError};

use crate::fit::{Data, Fit};

/// [`InvalidInput::NonFinite`] naming `array` and the first element of `values` that is
/// NaN or infinite, if any.
fn check_finite(array: &'static str, values: &[f64]) -> Result<(), InvalidInput> {
    match values
        .iter()
        .copied()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
    {
        Some((index, value)) => Err(InvalidInput::NonFinite {
            array,
            index,
            value,
        }),
        None => Ok(()),
    }
}

/// Checks points in memory before any work, whole: the model against `p0`'s length, then
/// the points' lengths, finite values and positive sigma. Run once per fit
/// ([`NlsqWrapper::run`](crate::NlsqWrapper)); [`validate_start`] checks the rest for each
/// run of the solver (after held parameters are taken out, say) without reading the
/// points again. A source's checks are all in [`validate_start`] (a distributed fit
/// exchanges their outcome among its processes).
pub(crate) fn validate_data(fit: &Fit<'_>) -> Result<(), OptimizationError> {
    if let Data::Points { x, y } = &fit.data {
        let model = fit.model();
        check_model(model, &fit.p0)?;
        check_points(model.x_dim(), x, y, fit.sigma.as_deref())?;
    }
    Ok(())
}

/// Checks the rest of a fit's inputs, whose data [`validate_data`] has checked; returns the
/// bounds to use (unbounded when none were given).
///
/// A source is checked for its shape and size only (a streaming fit checks its data batch
/// by batch as it reads them), and must not be given a separate sigma: it brings its own.
pub(crate) fn validate_start(fit: &Fit<'_>) -> Result<Bounds, OptimizationError> {
    let model = fit.model();
    let p0 = &fit.p0;
    check_model(model, p0)?;
    let n_points = match &fit.data {
        Data::Points { y, .. } => y.len(),
        Data::Source(source) => check_source(model.x_dim(), *source, fit.sigma.is_some())?,
    };
    check_point_count(n_points, free_parameters(fit))?;
    check_finite("p0", p0)?;
    fit.options.validate(p0.len())?;
    let bounds = match &fit.bounds {
        Some(b) => b.clone(),
        None => Bounds::unbounded(p0.len()),
    };
    bounds.check_start(p0)?;
    Ok(bounds)
}

/// The points in memory: their lengths, finite values and positive sigma; returns their
/// number.
fn check_points(
    x_dim: usize,
    xdata: &[f64],
    ydata: &[f64],
    sigma: Option<&[f64]>,
) -> Result<usize, OptimizationError> {
    if ydata.is_empty() {
        return Err(InvalidInput::EmptyData.into());
    }
    if xdata.len() != ydata.len() * x_dim {
        return Err(InvalidInput::LengthMismatch {
            x_len: xdata.len(),
            y_len: ydata.len(),
            x_dim,
        }
        .into());
    }
    check_finite("xdata", xdata)?;
    check_finite("ydata", ydata)?;
    if let Some(sigma) = sigma {
        if sigma.len() != ydata.len() {
            return Err(InvalidInput::WrongSigmaLength {
                expected: ydata.len(),
                got: sigma.len(),
            }
            .into());
        }
        check_finite("sigma", sigma)?;
        if let Some((index, &value)) = sigma.iter().enumerate().find(|(_, s)| **s <= 0.0) {
            return Err(InvalidInput::NonPositiveSigma { index, value }.into());
        }
    }
    Ok(ydata.len())
}

/// A source's shape against the model; returns its number of points.
fn check_source(
    x_dim: usize,
    source: &dyn DataSource,
    separate_sigma: bool,
) -> Result<usize, OptimizationError> {
    let fail = |problem| OptimizationError::InvalidInput {
        problem,
        context: Context::new().with("source", source.describe()),
    };
    if separate_sigma {
        return Err(fail(InvalidInput::InvalidOption {
            option: "sigma",
            value: "given beside a data source".into(),
            reason: "a data source brings its own sigma (DataSource::has_sigma): give it \
                     there, not to the fit",
        }));
    }
    if source.n_points() == 0 {
        return Err(fail(InvalidInput::EmptyData));
    }
    if source.x_dim() != x_dim {
        return Err(fail(InvalidInput::LengthMismatch {
            x_len: source.x_dim(),
            y_len: 1,
            x_dim,
        }));
    }
    Ok(source.n_points())
}

/// At least one parameter, one x value per point, and `p0` of the model's length.
fn check_model(model: &dyn Model, p0: &[f64]) -> Result<(), OptimizationError> {
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

/// The parameters left to fit: those not held by [`Fit::fix`] or by equal bounds (a held
/// parameter needs no data point).
fn free_parameters(fit: &Fit<'_>) -> usize {
    let n_params = fit.p0.len();
    let bounds = fit.bounds.as_ref();
    (0..n_params)
        .filter(|&k| {
            let by_fix = fit.fixed.get(k).is_some_and(Option::is_some);
            let by_bounds =
                bounds.is_some_and(|b| b.len() == n_params && b.fixed_value(k).is_some());
            !(by_fix || by_bounds)
        })
        .count()
}

/// No fewer points than parameters.
fn check_point_count(n_points: usize, n_params: usize) -> Result<(), OptimizationError> {
    if n_points < n_params {
        return Err(InvalidInput::TooFewPoints { n_points, n_params }.into());
    }
    Ok(())
}

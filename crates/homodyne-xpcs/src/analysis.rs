//! Fitting a [`HomodyneModel`] to [`CorrelationData`]: the starting values, the bounds
//! and the call to [`NlsqWrapper`].

use homodyne::prelude::*;
use homodyne::{SliceSource, StreamingOptions};
use homodyne_core::{Bounds, FitObserver};

use crate::data::CorrelationData;
use crate::error::XpcsError;
use crate::initial::estimate_scaling;
use crate::model::HomodyneModel;
use crate::parameters::AnalysisMode;

impl AnalysisMode {
    /// Where the physical parameters start when the user gives no values: the Python
    /// package's NLSQ defaults, `D0 = 1e4, alpha = -1.5, D_offset = 0` and, for laminar
    /// flow, `gamma_dot_t0 = 1e-3, beta = 0, gamma_dot_t_offset = 0, phi0 = 0`.
    pub fn default_start(self) -> &'static [f64] {
        const START: [f64; 7] = [1e4, -1.5, 0.0, 1e-3, 0.0, 0.0, 0.0];
        &START[..self.n_physical()]
    }
}

/// What a fit starts from and how it runs.
#[derive(Debug, Clone)]
pub struct XpcsFitOptions {
    /// Starting physical parameters; [`AnalysisMode::default_start`] when `None`.
    pub physical_start: Option<Vec<f64>>,
    /// Starting contrasts and offsets (one per scaling group); estimated from the data
    /// ([`estimate_scaling`]) when `None`.
    pub scaling_start: Option<(Vec<f64>, Vec<f64>)>,
    /// Bounds `(lower, upper)` of every parameter; the layout's defaults when `None`.
    pub bounds: Option<(Vec<f64>, Vec<f64>)>,
    /// `trf` (the default, with bounds) or `lm`.
    pub method: Method,
    /// Solver settings, strategy and memory limit.
    pub config: FitConfig,
    /// Leave the diagonal `t1 = t2` out of the fit (default true). Measured matrices have
    /// no measurement there: the loader replaces the diagonal by the mean of its
    /// neighbours (the Python package's correction), which the model does not describe,
    /// and fitting it biases the rates. The package's large-data path zeroes those
    /// residuals; its small-data path applies the same correction to the model.
    pub exclude_diagonal: bool,
    /// Fit batch by batch with [`NlsqWrapper::fit_streaming`] (STREAMING: the same optimum,
    /// with checkpoints and resume when [`StreamingOptions::checkpoint`] is set) instead of
    /// [`NlsqWrapper::fit`]. The matrices stay in memory either way.
    pub streaming: Option<StreamingOptions>,
}

impl Default for XpcsFitOptions {
    fn default() -> Self {
        Self {
            physical_start: None,
            scaling_start: None,
            bounds: None,
            method: Method::Trf,
            config: FitConfig::default(),
            exclude_diagonal: true,
            streaming: None,
        }
    }
}

/// A finished fit: the starting vector and the solver's result.
#[derive(Debug, Clone)]
pub struct XpcsFit {
    /// The full parameter vector the fit started from.
    pub start: Vec<f64>,
    /// The result (parameters in the layout of [`HomodyneModel::layout`]).
    pub result: OptimizationResult,
}

/// Fits `model` to `data`.
///
/// The starting contrasts and offsets are estimated from the data unless given, then
/// clipped into the bounds with the physical start; a start outside the bounds after that
/// is refused with the parameter named.
pub fn fit(
    model: &HomodyneModel,
    data: &CorrelationData,
    options: &XpcsFitOptions,
    observer: &dyn FitObserver,
) -> Result<XpcsFit, XpcsError> {
    let layout = *model.layout();
    let physical = options
        .physical_start
        .clone()
        .unwrap_or_else(|| layout.mode.default_start().to_vec());
    let (contrasts, offsets) = match &options.scaling_start {
        Some(scaling) => scaling.clone(),
        None => estimate_scaling(model, data, &physical)?,
    };
    let start = layout.assemble(&contrasts, &offsets, &physical)?;
    let (lower, upper) = options
        .bounds
        .clone()
        .unwrap_or_else(|| layout.default_bounds());
    let bounds = Bounds::new(lower, upper)?;
    let (x, y) = if options.exclude_diagonal {
        data.off_diagonal_points()
    } else {
        (data.points(), data.c2.clone())
    };
    let result = match &options.streaming {
        None => NlsqWrapper::new().fit_observed(
            model,
            &x,
            &y,
            &start,
            Some(&bounds),
            options.method,
            &options.config,
            observer,
        )?,
        Some(streaming) => {
            let source = SliceSource::new(&x, &y, None, 1).ok_or_else(|| {
                XpcsError::setting("data", "the points and values differ in number")
            })?;
            NlsqWrapper::new().fit_streaming_observed(
                model,
                &source,
                &start,
                Some(&bounds),
                options.method,
                &options.config,
                streaming,
                observer,
            )?
        }
    };
    Ok(XpcsFit { start, result })
}

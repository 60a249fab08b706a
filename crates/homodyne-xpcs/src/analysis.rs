//! Fitting a [`HomodyneModel`] to [`CorrelationData`]: the starting values, the bounds
//! and the call to [`NlsqWrapper`].

use homodyne::prelude::*;
use homodyne::{SliceSource, StreamingOptions};
use homodyne_core::{Bounds, FitObserver};

use crate::data::{CorrelationData, PointSelection};
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

/// Where [`NlsqWrapper`]'s own choice takes over from LARGE (its STANDARD-to-LARGE
/// threshold): see [`fit`].
pub const LARGE_FROM_POINTS: usize = 1_000_000;

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
    /// Solver settings, strategy and memory limit. Without a strategy, fits below 1M
    /// points run as LARGE rather than STANDARD (see [`fit`]).
    pub config: FitConfig,
    /// The elements fitted: by default `t1 < t2`, each measured value once. The diagonal
    /// is never a measurement in loaded data (fitting the loader's correction biases the
    /// rates), and the lower half repeats the upper (fitting both halves makes the
    /// standard errors `sqrt(2)` too small). See [`PointSelection`].
    pub points: PointSelection,
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
            points: PointSelection::UpperTriangle,
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
    let (x, y) = data.select_points(options.points);
    // Below 1M points the wrapper would pick STANDARD, whose Householder fold works on
    // full rows; an XPCS row is a small block (its angle's contrast and offset and the
    // physical parameters) that the normal equations sum as a block. LARGE keeps the
    // exactness of STANDARD: a pass whose equilibrated cond(J) exceeds 1e4 is redone by
    // the fold.
    let mut config = options.config.clone();
    if config.strategy.is_none() && x.len() < LARGE_FROM_POINTS {
        config.strategy = Some(OptimizationStrategy::Large);
    }
    let result = match &options.streaming {
        None => NlsqWrapper::new().fit_observed(
            model,
            &x,
            &y,
            &start,
            Some(&bounds),
            options.method,
            &config,
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
                &config,
                streaming,
                observer,
            )?
        }
    };
    Ok(XpcsFit { start, result })
}

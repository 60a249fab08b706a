//! Fitting a [`CorrelationModel`](crate::CorrelationModel) (homodyne or two-component) to
//! [`CorrelationData`]: the starting values, the bounds,
//! the coarse stages and the fits, each a [`homodyne::Fit`].

mod options;
mod solve;

use homodyne::coarse::{StageChecks, StageFit, run_stages};
use homodyne::distributed::Communicator;
use homodyne::multistart::MultistartReport;
use homodyne::prelude::*;
use homodyne_core::FitObserver;

use crate::correlation_model::FitModel;
use crate::data::CorrelationData;
use crate::error::XpcsError;
use crate::initial::estimate_scaling;
use crate::parameters::AnalysisMode;
use options::held_values;
pub use options::{
    COARSE_MIN_ROWS, CoarseStage, CoarseToFine, LARGE_FROM_POINTS, STAGE_MAX_NFEV, XpcsFitOptions,
};
use solve::{Solve, StopRequests, weighted_cost};

impl AnalysisMode {
    /// Where the physical parameters start when the user gives no values: the Python
    /// package's NLSQ defaults, `D0 = 1e4, alpha = -1.5, D_offset = 0` and, for laminar
    /// flow, `gamma_dot_t0 = 1e-3, beta = 0, gamma_dot_t_offset = 0, phi0 = 0`; for the
    /// two-component model, xpcsjax's registry defaults
    /// ([`crate::heterodyne::PHYSICAL_DEFAULTS`]).
    pub fn default_start(self) -> &'static [f64] {
        const START: [f64; 7] = [1e4, -1.5, 0.0, 1e-3, 0.0, 0.0, 0.0];
        match self {
            Self::TwoComponent => &crate::heterodyne::PHYSICAL_DEFAULTS,
            _ => &START[..self.n_physical()],
        }
    }
}

/// A finished fit: the starting vector, the coarse stages and the solver's result.
#[derive(Debug, Clone)]
pub struct XpcsFit {
    /// The full parameter vector the fit started from (before any coarse stage).
    pub start: Vec<f64>,
    /// The coarse stages, coarsest first ([`CoarseToFine`]).
    pub stages: Vec<CoarseStage>,
    /// The result (parameters in the layout of [`CorrelationModel::layout`](crate::CorrelationModel::layout)).
    pub result: OptimizationResult,
    /// The candidates of a multistart ([`XpcsFitOptions::multistart`]); `None` without.
    pub multistart: Option<MultistartReport>,
}

/// Fits `model` to `data`.
///
/// The starting contrasts and offsets are estimated from the data unless given, then
/// clipped into the bounds with the physical start; a start outside the bounds after that
/// is refused with the parameter named. A parameter held at a value
/// ([`XpcsFitOptions::fixed`], or equal bounds) starts at it, the contrasts and offsets
/// are estimated with the held physical values, and the result reports it with that value
/// and [`homodyne::ParameterFlag::Fixed`]. The coarse stages of
/// [`XpcsFitOptions::coarse_to_fine`] run first; the last fit is over every selected point.
/// Each solve is a [`homodyne::Fit`] of the model to the selected points with the
/// settings of `options`.
///
/// The coarse stages report nothing to `observer`, but it may stop any solve
/// ([`FitObserver::stop_requested`]): the fit then ends with
/// [`XpcsError::Fit`]`(`[`OptimizationError::Interrupted`]`)` (its context names the
/// stage it stopped in, if any), and no later stage or fit runs.
pub fn fit<M: FitModel>(
    model: &M,
    data: &CorrelationData,
    options: &XpcsFitOptions,
    observer: &dyn FitObserver,
) -> Result<XpcsFit, XpcsError> {
    fit_on(model, data, options, observer, None)
}

/// [`fit`] shared among the processes of a distributed job: every process calls it with
/// the same model, data and options, and each stage and the full fit run with
/// [`homodyne::Fit::communicator`] (streamed with [`XpcsFitOptions::streaming`]), each
/// process evaluating the model on its share of the selected points only. With 1, 2, 4,
/// ... processes every process ends on the bits of [`fit`]. Each process holds the whole
/// data set (the loaders read whole matrices).
pub fn fit_distributed<M: FitModel>(
    model: &M,
    data: &CorrelationData,
    options: &XpcsFitOptions,
    observer: &dyn FitObserver,
    communicator: &dyn Communicator,
) -> Result<XpcsFit, XpcsError> {
    fit_on(model, data, options, observer, Some(communicator))
}

/// [`fit`], by this process alone or shared among the processes of `communicator`.
fn fit_on<M: FitModel>(
    model: &M,
    data: &CorrelationData,
    options: &XpcsFitOptions,
    observer: &dyn FitObserver,
    communicator: Option<&dyn Communicator>,
) -> Result<XpcsFit, XpcsError> {
    let layout = *model.layout();
    let (lower, upper) = options
        .bounds
        .clone()
        .unwrap_or_else(|| layout.default_bounds());
    let held = held_values(&layout, &options.fixed, &lower, &upper);
    let hold = |values: &mut [f64], first: usize| {
        for (k, v) in values.iter_mut().enumerate() {
            if let Some(Some(h)) = held.get(first + k) {
                *v = *h;
            }
        }
    };
    let mut physical = options
        .physical_start
        .clone()
        .unwrap_or_else(|| layout.mode.default_start().to_vec());
    hold(&mut physical, layout.physical_start());
    let (mut contrasts, mut offsets) = match &options.scaling_start {
        Some(scaling) => scaling.clone(),
        None => estimate_scaling(model, data, &physical)?,
    };
    hold(&mut contrasts, 0);
    hold(&mut offsets, layout.n_scaling_groups());
    let start = layout.assemble(&contrasts, &offsets, &physical)?;
    let bounds = Bounds::new(lower, upper)?;
    let (x, y) = data.select_points(options.points);
    let sigma = options.sigma.as_deref();
    let mut full = Solve::full(options, observer, communicator);
    // A multistart draws the rate prefactors in their logarithm where it can.
    full.multistart = full.multistart.take().map(|multistart| {
        let physical_start = layout.physical_start();
        let names = layout.mode.physical_names();
        let log: Vec<usize> = (layout.mode.log_spaced_names().iter())
            .filter_map(|name| names.iter().position(|n| n == name))
            .map(|i| physical_start + i)
            .filter(|&k| bounds.lower()[k] > 0.0)
            .collect();
        multistart.log_spaced(&log)
    });
    let stop = StopRequests(observer);
    let n = model.grid().len();
    // The stages of the library's loop, on every `stride`-th row of each matrix.
    let staged = run_stages(
        &options.coarse_to_fine.strides(data.n_t),
        &start,
        StageChecks::default(),
        &mut |p| Ok(weighted_cost(model, &x, &y, sigma, p)),
        &mut |stride, from| {
            let keep: Vec<bool> = x
                .iter()
                .map(|&v| ((v as usize / n) % n).is_multiple_of(stride))
                .collect();
            let pick = |values: &[f64]| -> Vec<f64> {
                values
                    .iter()
                    .zip(&keep)
                    .filter_map(|(&v, &k)| k.then_some(v))
                    .collect()
            };
            let (stage_x, stage_y) = (pick(&x), pick(&y));
            let stage_sigma = sigma.map(pick);
            // A homodyne model's table of diffusion factors costs one exponential per
            // frame pair: kept when the stage covers as many points.
            let stage_model = model.clone().for_points(stage_x.len());
            let result = full
                .stage(stage_sigma.as_deref(), &stop)
                .referenced(&stage_model, &stage_x, &stage_y, from, &bounds)
                .map(|(result, _)| result);
            StageFit {
                n_points: stage_x.len(),
                result,
            }
        },
    )?;
    let (stages, from) = (staged.stages, staged.start);
    // Half the sum of squares, as the fit's cost.
    full.reference_cost = staged.first_cost.map(|sum_of_squares| 0.5 * sum_of_squares);
    // Below 1M points the wrapper would pick STANDARD, whose Householder fold works on
    // full rows; an XPCS row is a small block (its angle's contrast and offset and the
    // physical parameters) that the normal equations sum as a block. LARGE keeps the
    // exactness of STANDARD: a pass whose equilibrated cond(J) exceeds 1e4 is redone by
    // the fold. (A streamed fit reads batches whatever the strategy.)
    if full.strategy.is_none() && full.streaming.is_none() && x.len() < LARGE_FROM_POINTS {
        full.strategy = Some(OptimizationStrategy::Large);
    }
    let (result, multistart) = full.referenced(model, &x, &y, &from, &bounds)?;
    Ok(XpcsFit {
        start,
        stages,
        result,
        multistart,
    })
}

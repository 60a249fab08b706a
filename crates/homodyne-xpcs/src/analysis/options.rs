//! What a fit starts from and how it runs ([`XpcsFitOptions`]), and its coarse stages
//! ([`CoarseToFine`]).

use homodyne::StreamingOptions;
use homodyne::prelude::*;

use crate::data::PointSelection;
use crate::parameters::ParameterLayout;

/// How a fit of many frames finds its way to the optimum: first on a subset of the rows of
/// each matrix, then on every point ([`homodyne::coarse`], whose stage loop
/// [`fit`](crate::analysis::fit) runs with these subsets).
///
/// A stage of stride `s` fits the selected points whose row (`t1`) is a multiple of `s`
/// ([`CoarseToFine::strides`] of the number of frames): every lag `t2 - t1` and every age
/// `t1` stays represented, over `s` times fewer points, and the model is the same, so the
/// stage's optimum is a statistically close estimate of the full one, found at a fraction
/// of the cost. From the package's default start the laminar-flow fit spends most of its
/// iterations following a curved valley in the rate parameters; on a stage those
/// iterations are cheap. Each stage starts where the previous one ended; the last fit is
/// always over every selected point, so the result is the optimum of the full data, with
/// its own covariance, whatever the stages did. A stage runs without recovery retries and
/// stops at [`STAGE_MAX_NFEV`] evaluations; its optimum is kept only when the full data's
/// cost there is below the cost where it started (one cost pass each), so a stage that ran
/// out of evaluations on its way down still helps and one that wandered off (a
/// misspecified model's coarse subset can) never hurts: the next stage starts where it
/// would have started.
///
/// (Keeping every `s`-th frame instead, rows and columns, would cut the points by `s^2`,
/// but it drops every lag below `s` frames, where a fast decay holds its information: the
/// stages then wander off.)
pub use homodyne::coarse::CoarseToFine;

/// One coarse stage of a fit ([`CoarseToFine`]): its `stride` is in rows.
pub use homodyne::CoarseStage;

pub use homodyne::coarse::STAGE_MAX_NFEV;

/// The fewest rows a stage keeps of each matrix ([`homodyne::coarse::COARSE_MIN_UNITS`]).
/// On synthetic laminar-flow data of 3 x 500 frames (`tests/recovery.rs`), from the
/// package's default start, the stages on 8, 32 and 125 rows took 22, 3 and 4 iterations
/// and the full fit 4, against 47 for the full fit alone; the coarsest stage does the
/// crawling, at 1/64 of the cost of a full pass.
pub const COARSE_MIN_ROWS: usize = homodyne::coarse::COARSE_MIN_UNITS;

/// Where [`NlsqWrapper`]'s own choice takes over from LARGE (its STANDARD-to-LARGE
/// threshold): see [`fit`](crate::analysis::fit).
pub const LARGE_FROM_POINTS: usize = 1_000_000;

/// What a fit starts from and how it runs.
#[derive(Debug, Clone)]
pub struct XpcsFitOptions {
    /// Starting physical parameters; [`AnalysisMode::default_start`](crate::AnalysisMode::default_start) when `None`.
    pub physical_start: Option<Vec<f64>>,
    /// Starting contrasts and offsets (one per scaling group); estimated from the data
    /// ([`estimate_scaling`](crate::initial::estimate_scaling)) when `None`.
    pub scaling_start: Option<(Vec<f64>, Vec<f64>)>,
    /// Bounds `(lower, upper)` of every parameter; the layout's defaults when `None`.
    pub bounds: Option<(Vec<f64>, Vec<f64>)>,
    /// `trf` (the default, with bounds) or `lm`.
    pub method: Method,
    /// Tolerances, evaluation budget, parameter scaling and robust loss
    /// ([`SolverOptions::default`]: NIST-grade tolerances). A coarse stage runs with these,
    /// its budget capped at [`STAGE_MAX_NFEV`].
    pub solver: SolverOptions,
    /// The one-sigma uncertainty of each selected point, in the order of
    /// [`CorrelationData::select_points`](crate::CorrelationData::select_points) for [`XpcsFitOptions::points`] (data, like the
    /// matrices: [`crate::noise::NoiseEstimate::point_sigma`] gives it from the data's
    /// noise); residuals are divided by it. `None` (the default): unweighted.
    pub sigma: Option<Vec<f64>>,
    /// Treat [`XpcsFitOptions::sigma`] as absolute: the covariance is not rescaled by the
    /// reduced chi-squared (scipy's `curve_fit(absolute_sigma=True)`). Default false.
    pub absolute_sigma: bool,
    /// The values parameters are held at, in the order of [`HomodyneModel::layout`](crate::HomodyneModel::layout)
    /// (`Some(value)`: held, `None`: fitted; missing trailing entries are fitted, and
    /// empty, the default, holds none). [`crate::XpcsConfig::layout_fixed`] gives it from
    /// a configuration. Held parameters stay at their values in the coarse stages and the
    /// full fit alike, as equal bounds do; see [`homodyne::Fit::fixed`].
    pub fixed: Vec<Option<f64>>,
    /// A strategy forced on the full fit (a coarse stage always runs LARGE). `None` (the
    /// default): LARGE below [`LARGE_FROM_POINTS`] selected points, the wrapper's choice
    /// from the data size and the memory available above (see [`fit`](crate::analysis::fit)).
    pub strategy: Option<OptimizationStrategy>,
    /// The memory budget, in GiB, that the strategy and the batch size are chosen for;
    /// `None` (the default): the memory available to this process.
    pub memory_limit_gb: Option<f64>,
    /// The elements fitted: by default `t1 < t2`, each measured value once. The diagonal
    /// is never a measurement in loaded data (fitting the loader's correction biases the
    /// rates), and the lower half repeats the upper (fitting both halves makes the
    /// standard errors `sqrt(2)` too small). See [`PointSelection`].
    pub points: PointSelection,
    /// Fit batch by batch ([`homodyne::Fit::streaming`]: STREAMING, the same optimum, with
    /// checkpoints and resume when [`StreamingOptions::checkpoint`] is set, and with
    /// [`XpcsFitOptions::sigma`] if given) instead of in memory. The matrices stay in
    /// memory either way. Coarse stages run in memory.
    pub streaming: Option<StreamingOptions>,
    /// Coarse stages before the full fit ([`CoarseToFine::Auto`] by default).
    pub coarse_to_fine: CoarseToFine,
    /// Fit the diffusion power law about a reference time inside the data
    /// ([`crate::reference_time`]), then finish in the package's parametrisation (true by
    /// default). Iterations over the stages and the full fit, measured with
    /// `examples/crawl.rs` (referred against not): static, 350 frames of 0.5 s, 118 against
    /// 162 (`alpha = 0`) and 54 against 123 (`alpha = -0.1`), 30 against 31 (frames of
    /// 10 ms, `alpha = -1`); laminar flow, 4 angles x 500 frames of 1 s, 138 against 247
    /// (per-angle scaling), and for a shared scaling of per-angle data (a misspecified
    /// model) 62 against 75 (300 frames) and 438 against 328 (500 frames, same time).
    pub refer_power_laws: bool,
    /// Fit from many starts and finish the best ([`homodyne::Multistart`]): the full fit
    /// (after the coarse stages) runs from the start and from the points of a Latin
    /// hypercube within the bounds, side by side, then the best by cost is finished. A fit
    /// with a multistart runs in the layout's own parametrisation (no reference time) and
    /// in memory (not streamed, not distributed). The prefactors of
    /// [`AnalysisMode::log_spaced_names`](crate::AnalysisMode::log_spaced_names) whose
    /// lower bound is positive are drawn uniformly in their logarithm
    /// ([`homodyne::Multistart::log_spaced`]). `None` (the default): one start.
    pub multistart: Option<homodyne::Multistart>,
}

impl Default for XpcsFitOptions {
    fn default() -> Self {
        Self {
            physical_start: None,
            scaling_start: None,
            bounds: None,
            method: Method::Trf,
            solver: SolverOptions::default(),
            sigma: None,
            absolute_sigma: false,
            fixed: Vec::new(),
            strategy: None,
            memory_limit_gb: None,
            points: PointSelection::UpperTriangle,
            streaming: None,
            coarse_to_fine: CoarseToFine::Auto,
            refer_power_laws: true,
            multistart: None,
        }
    }
}

/// The value each parameter is held at (`None`: fitted): `fixed` (the layout's order, or
/// empty; missing entries are fitted), else equal bounds. A `fixed` or bounds longer than
/// the layout is left to the fit to refuse.
pub(super) fn held_values(
    layout: &ParameterLayout,
    fixed: &[Option<f64>],
    lower: &[f64],
    upper: &[f64],
) -> Vec<Option<f64>> {
    (0..layout.n_params())
        .map(|k| {
            let by_bounds = match (lower.get(k), upper.get(k)) {
                (Some(lo), Some(hi)) if lo == hi => Some(*lo),
                _ => None,
            };
            fixed.get(k).copied().flatten().or(by_bounds)
        })
        .collect()
}

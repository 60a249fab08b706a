//! Coarse-to-fine: fits on strided subsets of the points before the fit of all of them.
//!
//! A large fit spends most of its passes over the data walking from the start to the
//! neighbourhood of the optimum, where a subset of the points would have led it as well.
//! Above [`COARSE_FROM_POINTS`] points a [`Fit`](crate::Fit) therefore first runs
//! **coarse stages**: fits of the same model to every `s`-th block of
//! [`STAGE_BLOCK_POINTS`] points (the subset spans the data however it is ordered, and
//! depends on `N` and `s` alone, never on a batch size or the number of threads), coarsest
//! first, each from where the last one ended. Then the fit of all the points runs from the
//! last stage's optimum that was kept. [`CoarseToFine::Auto`] runs one stage, of stride 16
//! or, for more than `32 STAGE_TARGET_POINTS` points, the largest power of two that keeps
//! at least [`STAGE_TARGET_POINTS`] points ([`CoarseToFine::point_strides`]);
//! [`CoarseToFine::Strides`] runs any stages.
//!
//! # A stage never makes the fit worse
//! Let `C(p)` be the cost of all the points. A stage from `p_s` ending at `p_s'` is kept
//! (the next stage and the fit start at `p_s'`) only when `C(p_s') < C(p_s)`, one cost
//! pass over all the points for each stage plus one at the first start; otherwise the next
//! stage starts at `p_s` as if the stage had not run. For a fit in memory by one process
//! the last stage's pass is the fit's own first linearisation at `p_s'` (its cost comes
//! with it): when that cost is not lower the fit is stopped there and run from `p_s`, so a
//! kept last stage costs no pass of its own ([`StageChecks::defer_last`]). For a
//! STREAMING fit by one process the last check is that linearisation too, computed before
//! the fit and handed to it as its first pass; read from a source, the cost at the first
//! start comes from the same read of the points ([`StageChecks::defer_first_cost`]), so
//! with one stage (`Auto`) the stages cost the fit the subset and one read of all the
//! points, which its first pass would have made anyway. A stage runs without recovery
//! retries (a failed stage is recorded and passed over) and with at most
//! [`STAGE_MAX_NFEV`] cost evaluations: a stage that ran out of them on its way down
//! still helps. The fit of all the points is the result: its iterations, evaluations,
//! covariance and status are its own, as without stages, and the stages are listed in
//! [`OptimizationResult::stages`](homodyne_core::OptimizationResult::stages).
//!
//! # The same stages on every path
//! Every strategy runs the very same stages: a stage is a fit in memory (LARGE) of the
//! subset by this process alone, so its numbers are the same bits for STANDARD, LARGE,
//! CHUNKED, STREAMING (from points in memory or from a [`DataSource`](homodyne_core::DataSource),
//! whose subset is read into memory: `N / s` points for a stride `s`, at most `N / 16`
//! and `2 STAGE_TARGET_POINTS` for `Auto`, `(x_dim + 2) * 8` bytes each) and for every process of a distributed fit (each reads the subset and runs the
//! stage; the checks' cost passes are shared). The checks' costs are computed in the order
//! of the fixed reduction tree (in memory, or read leaf-aligned from a source, with
//! power-of-two process counts alike), the bits of an in-memory cost pass. A resumed
//! STREAMING fit runs its stages again, to the same bits, and its fit of all the points
//! then continues from its checkpoint.
//!
//! The stages report the progress of their passes to the fit's observer and obey its stop
//! requests, but report no iterations or trials (those are the fit's)
//! ([`StageObserver`]).
//!
//! The stage loop itself, [`run_stages`], takes the subset and the stage's fit from its
//! caller: `homodyne-xpcs` runs it with stages on every `s`-th row of each correlation
//! matrix ([`CoarseToFine::strides`]).

use std::ops::Range;
use std::time::Instant;

use homodyne_core::{
    CoarseStage, FitObserver, IterationReport, OptimizationError, OptimizationResult, PassProgress,
    TrialReport,
};

mod json;

pub use json::stage_json;

/// How a fit finds its way to the optimum: through coarse stages on strided subsets of
/// the points, or not (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CoarseToFine {
    /// No stages: the fit starts from the given start.
    Off,
    /// The stages the data's size calls for ([`CoarseToFine::point_strides`] for a
    /// [`Fit`](crate::Fit), [`CoarseToFine::strides`] for rows).
    #[default]
    Auto,
    /// These strides, coarsest first, whatever the data's size; strides of 1 are skipped.
    Strides(Vec<usize>),
}

/// The fewest points a [`Fit`](crate::Fit) runs [`CoarseToFine::Auto`]'s stages for.
///
/// Measured with the exponential decay of `bench_case` (3 parameters, noise 0.01, from
/// `(1, 1, 0)`, 2-core machine, release build): see `docs/design.md`, "Coarse-to-fine".
pub const COARSE_FROM_POINTS: usize = 1_000_000;

/// The points an automatic stage of a [`Fit`](crate::Fit) of many points aims at: its
/// stride is the largest power of two (at least [`POINT_STRIDE_MIN`]) that keeps at least
/// this many. A stage this large ends close enough to the optimum of all the points that
/// their fit needs one or two iterations; a larger one costs more than it saves, and a
/// second, coarser stage before it costs a cost pass over all the points for its check
/// (half a linearisation) to save less than that (see `docs/design.md`, "Coarse-to-fine").
pub const STAGE_TARGET_POINTS: usize = 1 << 19;

/// Points per block of a stage's subset: a stage of stride `s` fits the blocks
/// `0, s, 2s, ...` of `STAGE_BLOCK_POINTS` consecutive points.
pub const STAGE_BLOCK_POINTS: usize = 1024;

/// The smallest automatic stride of a [`Fit`](crate::Fit)'s stage: a stage on more than
/// a sixteenth of the points costs too large a share of a pass over all of them.
pub const POINT_STRIDE_MIN: usize = 16;

/// The fewest units (rows) a stage of [`CoarseToFine::strides`] keeps. On synthetic
/// laminar-flow data of 3 x 500 frames (`homodyne-xpcs`, `tests/recovery.rs`), from the
/// package's default start, the stages on 8, 32 and 125 rows took 22, 3 and 4 iterations
/// and the full fit 4, against 47 for the full fit alone; the coarsest stage does the
/// crawling, at 1/64 of the cost of a full pass.
pub const COARSE_MIN_UNITS: usize = 8;

/// The most cost evaluations a stage may spend before it is passed over (or the fit's own
/// budget, when smaller).
pub const STAGE_MAX_NFEV: usize = 200;

impl CoarseToFine {
    /// The strides of the stages over `n_units` units (the rows of each matrix of an XPCS
    /// fit), coarsest first.
    ///
    /// `Auto`: strides 4, 16, 64, ... (each stage 4 times fewer units than the next), each
    /// keeping at least [`COARSE_MIN_UNITS`] units; none below `4 COARSE_MIN_UNITS` units.
    /// For 500 units that is strides 64, 16 and 4 (8, 32 and 125 units); for 200, 16 and
    /// 4 (13 and 50 units).
    ///
    /// ```
    /// use homodyne::coarse::CoarseToFine;
    /// assert_eq!(CoarseToFine::Auto.strides(500), [64, 16, 4]);
    /// assert_eq!(CoarseToFine::Strides(vec![8, 1, 2]).strides(500), [8, 2]);
    /// assert!(CoarseToFine::Off.strides(500).is_empty());
    /// ```
    pub fn strides(&self, n_units: usize) -> Vec<usize> {
        match self {
            Self::Auto => {
                geometric_strides(4, |stride| n_units.div_ceil(stride) >= COARSE_MIN_UNITS)
            }
            _ => self.given(),
        }
    }

    /// The strides, in blocks of [`STAGE_BLOCK_POINTS`] points, of the stages of a
    /// [`Fit`](crate::Fit) of `n_points` points, coarsest first.
    ///
    /// `Auto`: none below [`COARSE_FROM_POINTS`] points; above, one stage whose stride
    /// is the largest power of two, at least [`POINT_STRIDE_MIN`], that keeps at least
    /// [`STAGE_TARGET_POINTS`] points: stride 16 up to 16.8e6 points, 128 at 1e8.
    ///
    /// ```
    /// use homodyne::coarse::CoarseToFine;
    /// assert!(CoarseToFine::Auto.point_strides(500_000).is_empty());
    /// assert_eq!(CoarseToFine::Auto.point_strides(10_000_000), [16]);
    /// assert_eq!(CoarseToFine::Auto.point_strides(100_000_000), [128]);
    /// assert_eq!(CoarseToFine::Strides(vec![4]).point_strides(5_000), [4]);
    /// ```
    pub fn point_strides(&self, n_points: usize) -> Vec<usize> {
        match self {
            Self::Auto if n_points < COARSE_FROM_POINTS => Vec::new(),
            Self::Auto => {
                let mut stride = POINT_STRIDE_MIN;
                while block_points(n_points, 2 * stride) >= STAGE_TARGET_POINTS {
                    stride *= 2;
                }
                vec![stride]
            }
            _ => self.given(),
        }
    }

    /// The strides of `Strides` (strides of 1 skipped); none for `Off` and `Auto`.
    fn given(&self) -> Vec<usize> {
        match self {
            Self::Strides(strides) => strides.iter().copied().filter(|&s| s > 1).collect(),
            _ => Vec::new(),
        }
    }
}

/// Strides `factor, factor^2, ...` while `keeps(stride)`, coarsest first.
fn geometric_strides(factor: usize, keeps: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut strides = Vec::new();
    let mut stride = factor;
    while keeps(stride) {
        strides.push(stride);
        match stride.checked_mul(factor) {
            Some(next) => stride = next,
            None => break,
        }
    }
    strides.reverse();
    strides
}

/// The point ranges of the stage of `stride` over `n_points` points: the blocks
/// `0, stride, 2 stride, ...` of [`STAGE_BLOCK_POINTS`] points (the last one possibly
/// shorter), in order.
///
/// ```
/// use homodyne::coarse::{STAGE_BLOCK_POINTS, stage_blocks};
/// let b = STAGE_BLOCK_POINTS;
/// let blocks: Vec<_> = stage_blocks(5 * b + 7, 2).collect();
/// assert_eq!(blocks, [0..b, 2 * b..3 * b, 4 * b..5 * b]);
/// ```
pub fn stage_blocks(n_points: usize, stride: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n_points.div_ceil(STAGE_BLOCK_POINTS))
        .step_by(stride.max(1))
        .map(move |b| b * STAGE_BLOCK_POINTS..((b + 1) * STAGE_BLOCK_POINTS).min(n_points))
}

/// The number of points of the stage of `stride` over `n_points` points.
pub fn block_points(n_points: usize, stride: usize) -> usize {
    stage_blocks(n_points, stride).map(|r| r.len()).sum()
}

/// What one stage's fit gave: the points it fitted and its result.
#[derive(Debug)]
pub struct StageFit {
    /// Points of the stage's subset.
    pub n_points: usize,
    /// The stage's fit (on the subset), or why it failed.
    pub result: Result<OptimizationResult, OptimizationError>,
}

/// How [`run_stages`] checks the stages against the cost of all the points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageChecks {
    /// A check that fails (with any error) ends the fit with that error: for a
    /// distributed fit, whose processes must stop together. Otherwise a failed check
    /// passes its stage over and ends the stages (the fit of all the points meets the
    /// problem and reports it). A stop on request ends the fit either way.
    pub errors_end_the_fit: bool,
    /// Leave the last stage's check to the caller ([`Staged::unchecked`]), who fuses it
    /// with the first linearisation of the fit of all the points: the cost there is the
    /// cost at the last stage's optimum, so the check costs no pass of its own.
    pub defer_last: bool,
    /// With `defer_last`, when the cost at the last stage's start is not known yet (no
    /// stage before it was checked), leave it to the caller too
    /// ([`Unchecked::start_cost`] `None`), who computes it in the same read of the
    /// points as the last check.
    pub defer_first_cost: bool,
}

/// The last stage, kept unchecked ([`StageChecks::defer_last`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Unchecked {
    /// Where the last stage started: where the fit of all the points starts instead
    /// when the stage is dropped ([`Staged::reject_last`]).
    pub start: Vec<f64>,
    /// The cost of all the points there, to be beaten at the stage's optimum; `None`
    /// when left to the caller ([`StageChecks::defer_first_cost`]).
    pub start_cost: Option<f64>,
}

/// The stages that ran and where the fit of all the points starts.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Every stage, coarsest first.
    pub stages: Vec<CoarseStage>,
    /// The start of the fit of all the points: the last kept stage's optimum, or the
    /// start given to [`run_stages`] when none was kept.
    pub start: Vec<f64>,
    /// With [`StageChecks::defer_last`], when the last stage ended on an optimum: the
    /// last stage is recorded as used and `start` is its optimum, but neither is
    /// checked. The fit of all the points must start from the stage's start instead
    /// unless its cost at `start` is lower ([`Staged::reject_last`]).
    pub unchecked: Option<Unchecked>,
    /// The cost of all the points at the start given to [`run_stages`], when a check
    /// computed it: the scale against which the fit of all the points judges whether
    /// its residuals are zero to rounding (a fit that starts at a stage's exact optimum
    /// of noise-free data starts there already).
    pub first_cost: Option<f64>,
}

impl Staged {
    /// The deferred check of the last stage failed: it is recorded as not used, and the
    /// fit of all the points starts where the stage started.
    pub fn reject_last(&mut self) {
        if let Some(unchecked) = self.unchecked.take() {
            if let Some(last) = self.stages.last_mut() {
                last.used = false;
            }
            self.start = unchecked.start;
        }
    }
}

/// Runs the stages of `strides` (coarsest first) from `start` (see the
/// [module documentation](self)): `stage(stride, from)` fits the subset of `stride` from
/// `from`, and `full_cost(p)` is the cost of all the points at `p` (NaN where it is not
/// finite: never lower), checked as `checks` say.
///
/// A stage that ends in [`OptimizationError::Interrupted`] (a stop on request) ends the
/// loop with that error, its context naming the stage (`stage`: `stride s`); so does a
/// failed check ([`StageChecks::errors_end_the_fit`]). A stage that fails otherwise is
/// recorded with its error and passed over.
pub fn run_stages(
    strides: &[usize],
    start: &[f64],
    checks: StageChecks,
    full_cost: &mut dyn FnMut(&[f64]) -> Result<f64, OptimizationError>,
    stage: &mut dyn FnMut(usize, &[f64]) -> StageFit,
) -> Result<Staged, OptimizationError> {
    let mut from = start.to_vec();
    let mut start_cost: Option<f64> = None;
    // No check has kept a stage while `start_cost` is `None`: the first cost is `start`'s.
    let mut first_cost: Option<f64> = None;
    let mut stages = Vec::with_capacity(strides.len());
    let mut unchecked = None;
    let in_stage =
        |e: OptimizationError, stride: usize| e.with_context("stage", format!("stride {stride}"));
    for (k, &stride) in strides.iter().enumerate() {
        let started = Instant::now();
        let StageFit { n_points, result } = stage(stride, &from);
        let result = match result {
            // Stopped on request: no next stage, no fit.
            Err(e) if e.is_interrupted() => return Err(in_stage(e, stride)),
            other => other.map_err(|e| e.to_string()),
        };
        let deferred = checks.defer_last && k + 1 == strides.len();
        // Kept only when it lowers the cost of all the points: a stage that ran out of
        // evaluations on its way down still helps, one that wandered off never hurts.
        let mut checked = || -> Result<bool, OptimizationError> {
            let Ok(r) = &result else { return Ok(false) };
            if deferred && start_cost.is_none() && checks.defer_first_cost {
                unchecked = Some(Unchecked {
                    start: from.clone(),
                    start_cost: None,
                });
                return Ok(true);
            }
            let at_start = match start_cost {
                Some(c) => c,
                None => *first_cost.insert(*start_cost.insert(full_cost(&from)?)),
            };
            if deferred {
                unchecked = Some(Unchecked {
                    start: from.clone(),
                    start_cost: Some(at_start),
                });
                return Ok(true);
            }
            let at_optimum = full_cost(&r.parameters)?;
            let lower = at_optimum < at_start;
            if lower {
                start_cost = Some(at_optimum);
            }
            Ok(lower)
        };
        let (used, last) = match checked() {
            Ok(used) => (used, false),
            Err(e) if e.is_interrupted() || checks.errors_end_the_fit => {
                return Err(in_stage(e, stride));
            }
            Err(_) => (false, true),
        };
        let stage_start = match &result {
            Ok(r) if used => std::mem::replace(&mut from, r.parameters.clone()),
            _ => from.clone(),
        };
        stages.push(CoarseStage {
            stride,
            n_points,
            start: stage_start,
            result,
            used,
            seconds: started.elapsed().as_secs_f64(),
        });
        if last {
            break;
        }
    }
    Ok(Staged {
        stages,
        start: from,
        unchecked,
        first_cost,
    })
}

/// The observer of a stage: the fit's observer hears the progress of the stage's passes
/// and (unless made with [`StageObserver::reports_only`]) is asked whether to stop, but
/// hears no iteration or trial (a stage's iterations are not the fit's, and would make a
/// display of them jump).
#[derive(Clone, Copy)]
pub struct StageObserver<'a> {
    observer: &'a dyn FitObserver,
    stops: bool,
}

impl<'a> StageObserver<'a> {
    /// Hands on `observer`'s stop requests and the progress of passes.
    pub fn new(observer: &'a dyn FitObserver) -> Self {
        Self {
            observer,
            stops: true,
        }
    }

    /// Hands on the progress of passes only: for a stage that each process of a
    /// distributed fit runs alone, which must not stop one process while the others go
    /// on (the stop is then heard at the fit's next exchange).
    pub fn reports_only(observer: &'a dyn FitObserver) -> Self {
        Self {
            observer,
            stops: false,
        }
    }
}

impl FitObserver for StageObserver<'_> {
    fn on_iteration(&self, _report: &IterationReport<'_>) {}

    fn on_trial(&self, _trial: &TrialReport<'_>) {}

    fn on_pass_progress(&self, progress: &PassProgress) {
        self.observer.on_pass_progress(progress);
    }

    fn stop_requested(&self) -> bool {
        self.stops && self.observer.stop_requested()
    }
}

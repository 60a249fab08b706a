//! The coarse stages of a [`Fit`] ([`crate::coarse`]): each stage's subset read into
//! memory and fitted, the cost of all the points at each stage's start and optimum, and
//! the fit of all the points from where the stages ended.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use homodyne_core::{
    Batch, Bounds, Context, FitObserver, InvalidInput, IterationReport, OptimizationError,
    OptimizationResult, OptimizationStrategy, ParameterFlag, PassProgress, TrialReport,
};
use homodyne_solvers::SolverOptions;
use homodyne_solvers::distributed::all_gather_checked;
use homodyne_solvers::streaming::{PassRecord, PassResult};

use crate::check_passes::{CheckPasses, with_check_passes};
use crate::coarse::{
    CoarseToFine, STAGE_MAX_NFEV, StageChecks, StageFit, StageObserver, Staged, block_points,
    run_stages, stage_blocks,
};
use crate::fit::{Data, Fit};
use crate::validate::validate_start;
use crate::wrapper::NlsqWrapper;

/// Classifies `result`'s parameters again against the user's start `p0` (a fit that
/// started elsewhere: at the stages' or a multistart candidate's optimum): a parameter is
/// at its start when it never moved from `p0`. Undetermined and fixed parameters keep
/// their flags.
pub(crate) fn reclassify_from_start(result: &mut OptimizationResult, p0: &[f64], bounds: &Bounds) {
    for (k, flag) in result.parameter_flags.iter_mut().enumerate() {
        if !matches!(flag, ParameterFlag::Undetermined | ParameterFlag::Fixed) {
            *flag = ParameterFlag::classify(
                result.parameters[k],
                p0[k],
                bounds.lower()[k],
                bounds.upper()[k],
            );
        }
    }
}

/// The points of one stage, copied into memory.
struct Subset {
    x: Vec<f64>,
    y: Vec<f64>,
    sigma: Option<Vec<f64>>,
}

impl NlsqWrapper {
    /// Runs the coarse stages of `fit` (its held parameters taken out, its data checked),
    /// then the fit of all the points from where they ended, with the stages in the
    /// result; `None` when `fit` has no stages ([`CoarseToFine::point_strides`]) or its
    /// start is refused (the fit itself then reports why).
    pub(crate) fn run_staged(
        &self,
        fit: &Fit<'_>,
    ) -> Result<Option<OptimizationResult>, OptimizationError> {
        let n_points = match &fit.data {
            Data::Points { y, .. } => y.len(),
            Data::Source(source) => source.n_points(),
        };
        let strides = fit.coarse_to_fine.point_strides(n_points);
        if strides.is_empty() {
            return Ok(None);
        }
        let Ok(bounds) = validate_start(fit) else {
            return Ok(None);
        };
        let started = Instant::now();
        // Each process of a distributed fit runs the stages alone: a stop asked of one of
        // them is heard at the next exchange (a check over a source's shares, or the fit's
        // set-up), never in the middle of a stage that the others finish.
        let exchanged = StageObserver::new(fit.observer);
        let observer = match fit.communicator {
            Some(_) => StageObserver::reports_only(fit.observer),
            None => exchanged,
        };
        // On one process the last stage's check is the fit's first linearisation, at the
        // stage's optimum: no cost pass of its own. In memory the fit computes it
        // (`FirstCostGuard`); a STREAMING fit is handed it, computed here.
        let streamed = matches!(fit.data, Data::Source(_)) || fit.wants_streaming();
        // Its cost at the stage's start, when no check before computed it, comes from the
        // same read of the points (`crate::check_passes`).
        let checks = StageChecks {
            errors_end_the_fit: fit.communicator.is_some(),
            defer_last: fit.communicator.is_none(),
            defer_first_cost: fit.communicator.is_none() && streamed,
        };
        let (mut staged, first_pass) = with_check_passes(fit, &observer, &exchanged, |passes| {
            let mut staged = run_stages(
                &strides,
                &fit.p0,
                checks,
                &mut |p| passes.cost(p),
                &mut |stride, from| self.stage(fit, stride, from, &bounds, &observer),
            )?;
            let first_pass = match streamed {
                true => check_by_linearization(passes, &mut staged)?,
                false => None,
            };
            Ok::<_, OptimizationError>((staged, first_pass))
        })?;
        let whole = Fit {
            p0: staged.start.clone(),
            coarse_to_fine: CoarseToFine::Off,
            first_pass,
            reference_cost: match (staged.first_cost, fit.reference_cost) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            ..fit.clone()
        };
        let mut result = match &staged.unchecked {
            None => self.run_checked(&whole)?,
            Some(unchecked) => {
                // Known: only a STREAMING fit's check leaves it to the caller.
                let at_start = unchecked.start_cost.unwrap_or(f64::NAN);
                let guard = FirstCostGuard::new(fit.observer, at_start);
                let guarded = self.run_checked(&Fit {
                    observer: &guard,
                    ..whole.clone()
                });
                match (guard.verdict(), guarded) {
                    (Verdict::Kept, outcome) => outcome?,
                    // Stopped on request before the first linearisation ended.
                    (Verdict::Undecided, Err(e)) if e.is_interrupted() => return Err(e),
                    (Verdict::Undecided, Ok(result)) => result,
                    // Higher (or not finite) at the stage's optimum: the fit starts where
                    // the stage started.
                    _ => {
                        staged.reject_last();
                        self.run_checked(&Fit {
                            p0: staged.start.clone(),
                            ..whole
                        })?
                    }
                }
            }
        };
        if staged.start != fit.p0 {
            reclassify_from_start(&mut result, &fit.p0, &bounds);
        }
        result.stages = staged.stages;
        result.wall_time = started.elapsed();
        Ok(Some(result))
    }

    /// The stage of `stride` from `from`: its subset read into memory (by every process
    /// of a distributed fit, which agree on whether it could be read), fitted in memory
    /// (LARGE) without recovery retries, its budget at most [`STAGE_MAX_NFEV`].
    fn stage(
        &self,
        fit: &Fit<'_>,
        stride: usize,
        from: &[f64],
        bounds: &Bounds,
        observer: &StageObserver<'_>,
    ) -> StageFit {
        let model = fit.model();
        let mut subset = read_subset(fit, stride);
        let n_points = subset.as_ref().map_or(0, |s| s.y.len());
        if let Some(communicator) = fit.communicator {
            let local = subset
                .as_ref()
                .map(|_| Vec::new())
                .map_err(|e| e.to_string());
            if let Err(e) = all_gather_checked(communicator, local, "coarse stage") {
                subset = subset.and(Err(e));
            }
        }
        let subset = match subset {
            Ok(subset) => subset,
            Err(e) => {
                return StageFit {
                    n_points,
                    result: Err(e),
                };
            }
        };
        let budget = fit.options.max_nfev_for(fit.p0.len()).min(STAGE_MAX_NFEV);
        let wrapper = NlsqWrapper::builder()
            .enable_large_dataset(self.enable_large_dataset())
            .enable_numerical_validation(self.enable_numerical_validation())
            .fast_mode(self.fast_mode())
            .enable_recovery(false)
            .build();
        let mut stage = Fit::curve(model, &subset.x, &subset.y)
            .p0(from)
            .bounds(bounds)
            .method(fit.method)
            .options(SolverOptions {
                max_nfev: Some(budget),
                ..fit.options.clone()
            })
            .strategy(OptimizationStrategy::Large)
            .observer(observer)
            .wrapper(wrapper)
            .coarse_to_fine(CoarseToFine::Off);
        if let Some(sigma) = &subset.sigma {
            stage = stage.sigma(sigma);
        }
        StageFit {
            n_points,
            result: stage.run(),
        }
    }
}

/// The deferred check of the last stage ([`Staged::unchecked`]) of a STREAMING fit: the
/// linearisation of all the points at the stage's optimum `p_s'` (its cost the bits of a
/// cost pass there), the stage kept when that cost is below the cost at the stage's
/// start (computed in the same read when not known). Kept, the linearisation is returned
/// as the first pass of the fit of all the points, which starts at `p_s'` and would
/// compute it first: the check costs no read of the points of its own. Otherwise the
/// stage is dropped ([`Staged::reject_last`]; so is it when a pass fails, as a failed
/// cost check drops it), and a stop on request ends the fit, its context naming the
/// stage.
fn check_by_linearization(
    passes: &dyn CheckPasses,
    staged: &mut Staged,
) -> Result<Option<PassRecord>, OptimizationError> {
    let Some(unchecked) = &staged.unchecked else {
        return Ok(None);
    };
    let known = unchecked.start_cost;
    let start = known.is_none().then(|| unchecked.start.clone());
    let checked = passes
        .cost_and_linearization(start.as_deref(), &staged.start)
        .map(|(at_start, linearization)| (at_start.or(known), linearization));
    match checked {
        Ok((Some(at_start), linearization)) if linearization.cost.cost < at_start => {
            staged.unchecked = None;
            staged.first_cost.get_or_insert(at_start);
            Ok(Some(PassRecord {
                parameters: staged.start.clone(),
                result: PassResult::Linearization(linearization),
            }))
        }
        Err(e) if e.is_interrupted() => {
            let stride = staged.stages.last().map_or(0, |s| s.stride);
            Err(e.with_context("stage", format!("stride {stride}")))
        }
        _ => {
            staged.reject_last();
            Ok(None)
        }
    }
}

/// What the first linearisation of the fit of all the points said of the last stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The fit has not reported its start yet (it failed before).
    Undecided,
    /// The cost there is below the cost at the stage's start: the fit goes on.
    Kept,
    /// It is not: the fit is stopped, to run again from the stage's start.
    Rejected,
}

/// The observer of a fit of all the points that starts at the last stage's unchecked
/// optimum: the fit's first report (iteration 0, after the linearisation at its start)
/// gives the cost there; unless it is below `at_start` (the cost at the stage's start)
/// the report is withheld and the fit asked to stop. Everything else is handed on to the
/// fit's observer.
struct FirstCostGuard<'a> {
    inner: &'a dyn FitObserver,
    at_start: f64,
    verdict: AtomicU8,
}

impl<'a> FirstCostGuard<'a> {
    fn new(inner: &'a dyn FitObserver, at_start: f64) -> Self {
        Self {
            inner,
            at_start,
            verdict: AtomicU8::new(Verdict::Undecided as u8),
        }
    }

    fn verdict(&self) -> Verdict {
        match self.verdict.load(Ordering::SeqCst) {
            v if v == Verdict::Kept as u8 => Verdict::Kept,
            v if v == Verdict::Rejected as u8 => Verdict::Rejected,
            _ => Verdict::Undecided,
        }
    }
}

impl FitObserver for FirstCostGuard<'_> {
    fn on_iteration(&self, report: &IterationReport<'_>) {
        if self.verdict() == Verdict::Undecided {
            let kept = report.cost < self.at_start;
            let verdict = if kept {
                Verdict::Kept
            } else {
                Verdict::Rejected
            };
            self.verdict.store(verdict as u8, Ordering::SeqCst);
        }
        if self.verdict() == Verdict::Kept {
            self.inner.on_iteration(report);
        }
    }

    fn on_trial(&self, trial: &TrialReport<'_>) {
        if self.verdict() == Verdict::Kept {
            self.inner.on_trial(trial);
        }
    }

    fn on_pass_progress(&self, progress: &PassProgress) {
        self.inner.on_pass_progress(progress);
    }

    fn stop_requested(&self) -> bool {
        self.verdict() == Verdict::Rejected || self.inner.stop_requested()
    }
}

/// The points of the stage of `stride` (the blocks of [`stage_blocks`]), copied from
/// memory or read from the source, with their sigma.
fn read_subset(fit: &Fit<'_>, stride: usize) -> Result<Subset, OptimizationError> {
    let x_dim = fit.model().x_dim();
    let n_points = match &fit.data {
        Data::Points { y, .. } => y.len(),
        Data::Source(source) => source.n_points(),
    };
    let m = block_points(n_points, stride);
    let weighted = match &fit.data {
        Data::Points { .. } => fit.sigma.is_some(),
        Data::Source(source) => source.has_sigma(),
    };
    let mut subset = Subset {
        x: Vec::with_capacity(m * x_dim),
        y: Vec::with_capacity(m),
        sigma: weighted.then(|| Vec::with_capacity(m)),
    };
    let mut batch = Batch::default();
    for range in stage_blocks(n_points, stride) {
        let (x, y, sigma) = match &fit.data {
            Data::Points { x, y } => (
                &x[range.start * x_dim..range.end * x_dim],
                &y[range.clone()],
                fit.sigma.as_deref().map(|s| &s[range.clone()]),
            ),
            Data::Source(source) => {
                source.read(range.clone(), &mut batch).map_err(|e| {
                    OptimizationError::InvalidInput {
                        problem: InvalidInput::UnusableData {
                            details: e.to_string(),
                        },
                        context: Context::new()
                            .with("source", source.describe())
                            .with("points", format!("{}..{}", range.start, range.end)),
                    }
                })?;
                (
                    &batch.x[..],
                    &batch.y[..],
                    weighted.then_some(&batch.sigma[..]),
                )
            }
        };
        subset.x.extend_from_slice(x);
        subset.y.extend_from_slice(y);
        if let (Some(all), Some(s)) = (subset.sigma.as_mut(), sigma) {
            all.extend_from_slice(s);
        }
    }
    Ok(subset)
}

//! The one loop behind both solvers: a trust-region method supplies its steps, the driver
//! owns everything else.
//!
//! # What the driver owns
//! The first linearisation and its checks, the outer loop, the evaluation budget
//! (`max_nfev`), evaluating trial points, counting `nfev` / `njev` / iterations, the
//! [`NumericalValidator`] calls, the [`FitObserver`] calls and the [`SolverOutcome`]. A
//! method ([`TrustRegionMethod`]: [`crate::trf::Trf`], [`crate::lm::Lm`]) supplies the start
//! point, its state from the first linearisation, the stationarity test, the subproblem,
//! trial points and the verdict on each.
//!
//! # One outer iteration
//! ```text
//! check the gradient at x                      (validator, iteration k)
//! stationarity test at x                       -> may set the termination reason
//! stop if a reason is set or nfev >= max_nfev
//! prepare the subproblem (SVD / pivoted QR)    -> may end the fit
//! repeat: propose x+, evaluate it (nfev += 1), judge it, report the trial
//!         until accepted, a reason is set, or nfev >= max_nfev
//! if accepted: move to x+ (validator: parameters, loss), its linearisation, its gradient
//! report the iteration (see Bookkeeping)
//! ```
//! The termination reason is the last trial's verdict (the loop starts without one).
//!
//! # Speculative linearisation
//! After an accepted trial the next trial is probably accepted too, so it is linearised at
//! once (cost and Jacobian in one pass, `njev += 1`): an accepted iteration then costs one
//! pass instead of a cost pass and a linearisation. After a rejected trial only the cost is
//! evaluated, and an accepted point without a linearisation is linearised when accepted
//! (`njev += 1`, no `nfev`). So `nfev` is 1 (the start) plus the number of trials.
//!
//! # Bookkeeping: which outer iterations count
//! An outer iteration that ends without an accepted step is always the last one (it ended
//! on a termination reason or the budget). The methods differ in counting it
//! ([`Bookkeeping`]): TRF, as scipy, counts and reports every outer iteration, and ends the
//! fit at the top of the next one, whose stationarity test may replace the reason; LM, as
//! MINPACK's `lmder`, counts and reports only iterations with an accepted step, and ends as
//! soon as an iteration sets a reason or spends the budget.
//!
//! # Stopping on request
//! Before each evaluation (a linearisation or a cost) and after it, the driver asks the
//! observer ([`FitObserver::stop_requested`]); when it answers true the fit ends with
//! [`OptimizationError::Interrupted`] (its context: the iteration and `nfev` so far), and
//! the numbers of an evaluation during which the stop was asked for are never used (the
//! objective may have skipped part of that pass).

use std::ops::ControlFlow;

use homodyne_core::{
    Bounds, Context, DetectionPoint, FitObserver, InvalidSample, IterationReport,
    OptimizationError, TerminationReason, TrialReport,
};

use crate::objective::{CostEvaluation, Linearization, Objective};
use crate::options::SolverOptions;
use crate::outcome::SolverOutcome;
use crate::validation::NumericalValidator;

/// Which outer iterations a method counts, and where its fit ends (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bookkeeping {
    /// scipy's `trf`: every outer iteration is counted and reported, accepted or not; the
    /// fit ends at the top of the next outer iteration, after its stationarity test.
    EveryIteration,
    /// MINPACK's `lmder`: only outer iterations with an accepted step are counted and
    /// reported; the fit ends at the bottom of the iteration that set a termination reason
    /// or spent the budget.
    AcceptedOnly,
}

/// The current iterate and what the methods may read of the problem.
#[derive(Debug, Clone, Copy)]
pub struct Iterate<'a> {
    /// The parameters.
    pub x: &'a [f64],
    /// The cost there.
    pub cost: f64,
    /// The linearisation there.
    pub linearization: &'a Linearization,
    /// The gradient `g = J^T f` there.
    pub gradient: &'a [f64],
    /// Outer iterations counted so far (by the method's [`Bookkeeping`]).
    pub iteration: usize,
    /// Outer iterations begun before this one, counted or not (0 during the first).
    pub outer: usize,
    /// The bounds (iterates lie within them).
    pub bounds: &'a Bounds,
    /// The settings.
    pub options: &'a SolverOptions,
    /// Number of residuals `N`.
    pub n_residuals: usize,
}

/// A proposed trial point and what the method needs to judge it.
#[derive(Debug, Clone)]
pub struct Trial<S> {
    /// The point whose cost is evaluated.
    pub point: Vec<f64>,
    /// The method's own record of the step (its length, predicted reduction, ...).
    pub step: S,
}

/// A method's judgement of an evaluated trial point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Move to the trial point.
    pub accepted: bool,
    /// End the fit after this trial (whether accepted or not).
    pub termination: Option<TerminationReason>,
}

/// A trust-region least-squares method as the [driver](self) runs it: `init` from the
/// first linearisation, then per outer iteration `stationarity`, `prepare`, and
/// `propose` / `judge` per trial, `accepted` after a move.
pub trait TrustRegionMethod: Sized {
    /// Which outer iterations count, and where the fit ends.
    const BOOKKEEPING: Bookkeeping;
    /// What one outer iteration's trials share (a factorisation of the subproblem).
    type Subproblem;
    /// The method's record of one proposed step.
    type Step;

    /// The first point evaluated, from the caller's `p0` (which lies within `bounds`).
    fn start(p0: &[f64], bounds: &Bounds) -> Vec<f64>;

    /// The method's state from the linearisation at the start point.
    fn init(at: &Iterate<'_>) -> Self;

    /// The first-order test at the iterate: a reason to stop there, if any.
    fn stationarity(&mut self, at: &Iterate<'_>) -> Option<TerminationReason>;

    /// The subproblem of this outer iteration, or a reason to end the fit without a trial.
    fn prepare(
        &mut self,
        at: &Iterate<'_>,
    ) -> Result<ControlFlow<TerminationReason, Self::Subproblem>, OptimizationError>;

    /// The next trial point.
    fn propose(&mut self, at: &Iterate<'_>, subproblem: &Self::Subproblem) -> Trial<Self::Step>;

    /// Judges a trial from its evaluation (which may be non-finite).
    fn judge(
        &mut self,
        at: &Iterate<'_>,
        trial: &Trial<Self::Step>,
        evaluation: &CostEvaluation,
    ) -> Verdict;

    /// Updates the state after the driver moved to an accepted point (`at` is the new
    /// iterate, with its linearisation). The default does nothing.
    fn accepted(&mut self, _at: &Iterate<'_>) {}
}

/// Checks that a linearisation holds only finite numbers.
pub(crate) fn check_linearization(
    lin: &Linearization,
    x: &[f64],
    iteration: usize,
) -> Result<(), OptimizationError> {
    let context = || {
        Context::new()
            .with("iteration", iteration)
            .with("parameters", format!("{x:?}"))
    };
    if !lin.cost.invalid_residuals.is_empty() {
        return Err(OptimizationError::Numerical {
            detection_point: DetectionPoint::Residuals,
            sample: lin.cost.invalid_residuals.clone(),
            context: context(),
        });
    }
    if !lin.invalid_jacobian.is_empty() {
        return Err(OptimizationError::Numerical {
            detection_point: DetectionPoint::Jacobian,
            sample: lin.invalid_jacobian.clone(),
            context: context(),
        });
    }
    if !lin.cost.cost.is_finite() {
        let mut sample = InvalidSample::default();
        sample.push(0, lin.cost.cost);
        return Err(OptimizationError::Numerical {
            detection_point: DetectionPoint::Loss,
            sample,
            context: context(),
        });
    }
    Ok(())
}

/// Where a fit stands, for the context of an [`OptimizationError::Interrupted`].
#[derive(Debug, Clone, Copy)]
struct Progress {
    iteration: usize,
    nfev: usize,
}

/// `evaluate()`, run only when the observer has not asked to stop before it, and kept only
/// when it has not asked during it (the objective may have skipped part of the pass). An
/// interruption, whether seen here or by the objective, ends the fit with
/// [`OptimizationError::Interrupted`] naming the iteration and the evaluations so far.
fn unless_stopped<T>(
    observer: &dyn FitObserver,
    at: Progress,
    evaluate: impl FnOnce() -> Result<T, OptimizationError>,
) -> Result<T, OptimizationError> {
    let interrupted = |error: OptimizationError| {
        error
            .with_context("iteration", at.iteration)
            .with_context("nfev", at.nfev)
    };
    if observer.stop_requested() {
        return Err(interrupted(OptimizationError::interrupted()));
    }
    match evaluate() {
        Err(e) if e.is_interrupted() => Err(interrupted(e)),
        Ok(_) if observer.stop_requested() => Err(interrupted(OptimizationError::interrupted())),
        other => other,
    }
}

/// Evaluates a trial point: the whole linearisation when `speculate` (module docs), else
/// the cost alone.
fn evaluate_trial<O: Objective + ?Sized>(
    objective: &O,
    x: &[f64],
    speculate: bool,
    njev: &mut usize,
) -> Result<(CostEvaluation, Option<Linearization>), OptimizationError> {
    if speculate {
        *njev += 1;
        let lin = objective.linearize(x)?;
        Ok((lin.cost.clone(), Some(lin)))
    } else {
        Ok((objective.cost(x)?, None))
    }
}

/// Runs `method` on `objective` from `p0` within `bounds` (module docs), reporting to
/// `observer`. `p0` must lie within the bounds (the facade checks).
pub fn drive<M: TrustRegionMethod, O: Objective + ?Sized>(
    objective: &O,
    p0: &[f64],
    bounds: &Bounds,
    options: &SolverOptions,
    observer: &dyn FitObserver,
) -> Result<SolverOutcome, OptimizationError> {
    let max_nfev = options.max_nfev_for(p0.len());
    let n_residuals = objective.n_residuals();
    let validator = NumericalValidator::new(options.validate);
    let (lb, ub) = (bounds.lower(), bounds.upper());

    let mut x = M::start(p0, bounds);
    let start = Progress {
        iteration: 0,
        nfev: 0,
    };
    let mut lin = unless_stopped(observer, start, || objective.linearize(&x))?;
    let (mut nfev, mut njev) = (1usize, 1usize);
    check_linearization(&lin, &x, 0)?;
    let mut cost = lin.cost.cost;
    let initial_cost = cost;
    validator.check_loss(cost, 0)?;
    observer.on_iteration(&IterationReport {
        iteration: 0,
        nfev,
        cost,
        parameters: &x,
    });
    let mut gradient = lin.factor.gradient();
    let (mut iterations, mut outer) = (0usize, 0usize);
    macro_rules! iterate {
        () => {
            Iterate {
                x: &x,
                cost,
                linearization: &lin,
                gradient: &gradient,
                iteration: iterations,
                outer,
                bounds,
                options,
                n_residuals,
            }
        };
    }
    let mut method = M::init(&iterate!());

    let mut speculate = true;
    let mut termination = None;
    loop {
        validator.check_gradient(&gradient, iterations)?;
        let at = iterate!();
        if let Some(reason) = method.stationarity(&at) {
            termination = Some(reason);
        }
        if termination.is_some() || nfev >= max_nfev {
            break;
        }
        let subproblem = match method.prepare(&at)? {
            ControlFlow::Continue(subproblem) => subproblem,
            ControlFlow::Break(reason) => {
                termination = Some(reason);
                break;
            }
        };

        let mut accepted = None;
        loop {
            let trial = method.propose(&at, &subproblem);
            let progress = Progress {
                iteration: iterations,
                nfev,
            };
            let (evaluation, trial_lin) = unless_stopped(observer, progress, || {
                evaluate_trial(objective, &trial.point, speculate, &mut njev)
            })?;
            nfev += 1;
            let verdict = method.judge(&at, &trial, &evaluation);
            observer.on_trial(&TrialReport {
                iteration: iterations + 1,
                nfev,
                parameters: &trial.point,
                cost: if evaluation.is_finite() {
                    evaluation.cost
                } else {
                    f64::INFINITY
                },
                accepted: verdict.accepted,
            });
            speculate = verdict.accepted;
            termination = verdict.termination;
            if verdict.accepted {
                accepted = Some((trial.point, evaluation, trial_lin));
                break;
            }
            if termination.is_some() || nfev >= max_nfev {
                break;
            }
        }
        outer += 1;

        let moved = accepted.is_some();
        if let Some((point, evaluation, trial_lin)) = accepted {
            x = point;
            validator.check_parameters(&x, lb, ub, iterations + 1)?;
            cost = evaluation.cost;
            validator.check_loss(cost, iterations + 1)?;
            lin = match trial_lin {
                Some(lin) => lin,
                None => {
                    njev += 1;
                    let progress = Progress {
                        iteration: iterations + 1,
                        nfev,
                    };
                    unless_stopped(observer, progress, || objective.linearize(&x))?
                }
            };
            check_linearization(&lin, &x, iterations + 1)?;
            gradient = lin.factor.gradient();
            method.accepted(&iterate!());
        }
        if moved || M::BOOKKEEPING == Bookkeeping::EveryIteration {
            iterations += 1;
            observer.on_iteration(&IterationReport {
                iteration: iterations,
                nfev,
                cost,
                parameters: &x,
            });
        }
        if M::BOOKKEEPING == Bookkeeping::AcceptedOnly
            && (termination.is_some() || nfev >= max_nfev)
        {
            break;
        }
    }

    Ok(SolverOutcome {
        x,
        linearization: lin,
        nfev,
        njev,
        iterations,
        termination: termination.unwrap_or(TerminationReason::MaxEvaluations),
        initial_cost,
    })
}

//! Watching a fit as it runs: progress lines, logs, live plots.
//!
//! A solver reports three kinds of event to a [`FitObserver`], in this order within one
//! outer iteration:
//!
//! 1. [`FitObserver::on_pass_progress`] while each pass over the data runs;
//! 2. [`FitObserver::on_trial`] once for every trial point whose cost was evaluated,
//!    accepted or not (the first linearisation, at the start point, is not a trial, so a fit
//!    reports `nfev - 1` trials);
//! 3. [`FitObserver::on_iteration`] when the outer iteration ends, with the iterate it ended
//!    at (and once before the first, at the start point).
//!
//! An accepted trial's parameters are the parameters of the [`IterationReport`] that
//! follows it.
//!
//! # Stopping a fit on request
//!
//! An observer may also ask the fit to stop ([`FitObserver::stop_requested`]: a Ctrl-C
//! seen by a front end, a callback that failed). The solvers ask between passes over the
//! data and between the pieces of a pass; once the observer answers true, the pieces not
//! yet begun are skipped, the numbers of the unfinished pass are never used, and the fit
//! ends with [`OptimizationError::Interrupted`](crate::OptimizationError::Interrupted),
//! which is never retried. A streamed fit stops between batches, after saving any
//! checkpoint due for the batch it finished, so that it resumes as if never stopped.

/// The state of a fit after one outer iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationReport<'a> {
    /// Outer iterations completed (0 before the first).
    pub iteration: usize,
    /// Cost evaluations so far.
    pub nfev: usize,
    /// Current cost `1/2 sum rho(r_i^2)`.
    pub cost: f64,
    /// The current iterate: the parameters of the last accepted step (the start point
    /// before the first).
    pub parameters: &'a [f64],
}

/// One evaluated trial point of a solver, accepted or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialReport<'a> {
    /// The outer iteration the trial belongs to, numbered as the [`IterationReport`] that
    /// ends it (1 for the trials of the first).
    pub iteration: usize,
    /// Cost evaluations so far, this trial's included.
    pub nfev: usize,
    /// The trial point.
    pub parameters: &'a [f64],
    /// The cost there, `1/2 sum rho(r_i^2)`; `+infinity` when the model was not finite
    /// there.
    pub cost: f64,
    /// Whether the solver moved to this point.
    pub accepted: bool,
}

/// Which kind of pass over the data is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassKind {
    /// The cost alone: the model's values at every point.
    Cost,
    /// The linearisation: values and Jacobian at every point, folded into the `P x P`
    /// system.
    Linearization,
}

/// How far one pass over the data has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassProgress {
    /// What the pass computes.
    pub kind: PassKind,
    /// Points folded in so far (pieces of the pass finish in any order on several threads,
    /// so this counts finished pieces, not a prefix of the data).
    pub points_done: usize,
    /// Points in the pass.
    pub points_total: usize,
}

/// Receives an [`IterationReport`] after every outer iteration of a solver, a
/// [`TrialReport`] for every trial point it evaluates, and a [`PassProgress`] as each piece
/// of a pass over the data finishes (see the [module documentation](self) for the order).
/// Implemented by front ends (the command-line program's progress bar); the solvers only
/// call it.
///
/// The methods may be called from any of the fit's worker threads; they should return
/// quickly (rate-limit any drawing). Nothing they do changes the fit's numbers. The
/// parameter slices live only for the call: copy what is to be kept.
pub trait FitObserver: Sync {
    /// Called after every outer iteration (and once before the first). TRF reports every
    /// outer iteration, LM only those that moved (see `homodyne_solvers::driver`).
    fn on_iteration(&self, report: &IterationReport<'_>);

    /// Called after each trial point's cost is evaluated and judged, before the iteration
    /// it belongs to is reported. The default ignores it.
    fn on_trial(&self, _trial: &TrialReport<'_>) {}

    /// Called whenever a piece of a pass over the data (a few thousand points) is done.
    /// The default ignores it.
    fn on_pass_progress(&self, _progress: &PassProgress) {}

    /// Whether the fit should stop now (see the [module documentation](self)). Asked
    /// before and after every pass over the data and before each piece of a pass
    /// (a chunk of a few hundred points, or a batch of a streamed fit), from any of the
    /// fit's threads, so it must be cheap: an atomic load. Once it has answered true it
    /// must keep answering true for the rest of the fit (a pass whose pieces saw `false`
    /// throughout is then known to be whole). The default never asks to stop.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use homodyne_core::{FitObserver, IterationReport};
    ///
    /// /// Stops the fit once `flag` is set (by a signal handler, another thread, ...).
    /// struct StopFlag(AtomicBool);
    ///
    /// impl FitObserver for StopFlag {
    ///     fn on_iteration(&self, _report: &IterationReport<'_>) {}
    ///     fn stop_requested(&self) -> bool {
    ///         self.0.load(Ordering::Relaxed)
    ///     }
    /// }
    ///
    /// let stop = StopFlag(AtomicBool::new(false));
    /// assert!(!stop.stop_requested());
    /// stop.0.store(true, Ordering::Relaxed);
    /// assert!(stop.stop_requested());
    /// ```
    fn stop_requested(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl FitObserver for NoObserver {
    fn on_iteration(&self, _report: &IterationReport<'_>) {}
}

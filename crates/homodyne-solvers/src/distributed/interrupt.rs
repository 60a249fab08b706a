//! Stopping a distributed fit on request, without leaving a process waiting.
//!
//! A stop request ([`FitObserver::stop_requested`]) is seen by one process: the observer
//! is rank-local (a Ctrl-C reaches the process it was typed at). Interrupting a
//! distributed fit is therefore per process, and it goes through the exchanges the fit
//! already makes; no collective is added to ask every process:
//!
//! - the [`DistributedObjective`](super::DistributedObjective) of a process asks its
//!   observer before and after computing its share of each pass
//!   ([`DistributedObjective::with_observer`](super::DistributedObjective::with_observer));
//!   when it asks to stop, the process hands [`OptimizationError::Interrupted`] in at that
//!   pass's exchange, as it would any failure of its share
//!   ([`super::all_gather_checked`]);
//! - that process ends with [`OptimizationError::Interrupted`], and every other process,
//!   at the same exchange, with an [`OptimizationError::Communication`] naming it ("process
//!   1 failed: the fit was interrupted on request");
//! - the solver of a distributed fit must not stop on its own before an evaluation (it
//!   would leave the exchange, and the others waiting in it): it is given the observer
//!   wrapped in [`ReportsOnly`], which forwards every report and never asks to stop.
//!
//! A stop is seen between passes, and inside a pass when the share held in memory skips
//! its remaining chunks (the share's [`InMemoryObjective`](crate::InMemoryObjective) is
//! given the same observer); a streamed share finishes its pass first.

use homodyne_core::{FitObserver, IterationReport, PassProgress, TrialReport};

#[cfg(doc)]
use homodyne_core::OptimizationError;

/// `observer`'s reports, without its stop requests: what the solver of a distributed fit
/// is given, so that it never leaves the processes' exchanges on its own (see the
/// [module documentation](self)); the objective hands a stop in at an exchange instead.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use homodyne_core::{FitObserver, IterationReport};
/// use homodyne_solvers::distributed::ReportsOnly;
///
/// struct Stopped(AtomicBool);
/// impl FitObserver for Stopped {
///     fn on_iteration(&self, _report: &IterationReport<'_>) {}
///     fn stop_requested(&self) -> bool {
///         self.0.load(Ordering::Relaxed)
///     }
/// }
///
/// let stopped = Stopped(AtomicBool::new(true));
/// assert!(stopped.stop_requested());
/// assert!(!ReportsOnly(&stopped).stop_requested());
/// ```
#[derive(Clone, Copy)]
pub struct ReportsOnly<'a>(pub &'a dyn FitObserver);

impl FitObserver for ReportsOnly<'_> {
    fn on_iteration(&self, report: &IterationReport<'_>) {
        self.0.on_iteration(report);
    }

    fn on_trial(&self, trial: &TrialReport<'_>) {
        self.0.on_trial(trial);
    }

    fn on_pass_progress(&self, progress: &PassProgress) {
        self.0.on_pass_progress(progress);
    }
}

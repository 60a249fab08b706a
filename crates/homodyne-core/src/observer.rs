//! Watching a fit as it runs: progress lines, logs, live plots.

/// The state of a fit after one outer iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationReport {
    /// Outer iterations completed (0 before the first).
    pub iteration: usize,
    /// Cost evaluations so far.
    pub nfev: usize,
    /// Current cost `1/2 sum rho(r_i^2)`.
    pub cost: f64,
}

/// Receives an [`IterationReport`] after every outer iteration of a solver. Implemented by
/// front ends (the command-line program's progress line); the solvers only call it.
pub trait FitObserver: Sync {
    /// Called after every outer iteration (and once before the first).
    fn on_iteration(&self, report: &IterationReport);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl FitObserver for NoObserver {
    fn on_iteration(&self, _report: &IterationReport) {}
}

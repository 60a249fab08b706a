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

/// Receives an [`IterationReport`] after every outer iteration of a solver, and a
/// [`PassProgress`] as each piece of a pass over the data finishes. Implemented by front
/// ends (the command-line program's progress bar); the solvers only call it.
///
/// Both methods may be called from any of the fit's worker threads; they should return
/// quickly (rate-limit any drawing). Nothing they do changes the fit's numbers.
pub trait FitObserver: Sync {
    /// Called after every outer iteration (and once before the first).
    fn on_iteration(&self, report: &IterationReport);

    /// Called whenever a piece of a pass over the data (a few thousand points) is done.
    /// The default ignores it.
    fn on_pass_progress(&self, _progress: &PassProgress) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl FitObserver for NoObserver {
    fn on_iteration(&self, _report: &IterationReport) {}
}

//! [`Counted`]: an objective that counts its passes, so that an attempt that fails still
//! reports the evaluations it spent.

use std::sync::atomic::{AtomicUsize, Ordering};

use homodyne_core::OptimizationError;
use homodyne_solvers::{CostEvaluation, Linearization, Objective};

/// `objective`, counting calls: a cost pass counts one evaluation, a linearisation one
/// evaluation and one Jacobian evaluation (as the solvers count a speculative trial).
pub(crate) struct Counted<'a, O: Objective + ?Sized> {
    objective: &'a O,
    costs: AtomicUsize,
    linearizations: AtomicUsize,
}

impl<'a, O: Objective + ?Sized> Counted<'a, O> {
    /// Counts the passes over `objective`, from zero.
    pub(crate) fn new(objective: &'a O) -> Self {
        Self {
            objective,
            costs: AtomicUsize::new(0),
            linearizations: AtomicUsize::new(0),
        }
    }

    /// `error` with the passes counted so far in its context (`nfev`, `njev`), unless it
    /// has them.
    pub(crate) fn annotate(&self, error: OptimizationError) -> OptimizationError {
        if error.context().get("nfev").is_some() {
            return error;
        }
        let njev = self.linearizations.load(Ordering::Relaxed);
        error
            .with_context("nfev", self.costs.load(Ordering::Relaxed) + njev)
            .with_context("njev", njev)
    }
}

impl<O: Objective + ?Sized> Objective for Counted<'_, O> {
    fn n_params(&self) -> usize {
        self.objective.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.objective.n_residuals()
    }
    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
        self.costs.fetch_add(1, Ordering::Relaxed);
        self.objective.cost(p)
    }
    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
        self.linearizations.fetch_add(1, Ordering::Relaxed);
        self.objective.linearize(p)
    }
}

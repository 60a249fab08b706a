//! What a solver run returns to the facade.

use homodyne_core::TerminationReason;

use crate::objective::Linearization;

/// The raw outcome of a TRF or LM run.
#[derive(Debug, Clone)]
pub struct SolverOutcome {
    /// Final parameters.
    pub x: Vec<f64>,
    /// The linearisation at `x` (cost, chi-squared, `R`), for the covariance.
    pub linearization: Linearization,
    /// Cost evaluations, counting linearisations.
    pub nfev: usize,
    /// Jacobian evaluations.
    pub njev: usize,
    /// Outer iterations.
    pub iterations: usize,
    /// Why it stopped.
    pub termination: TerminationReason,
    /// The cost at the start, for judging how far the fit went.
    pub initial_cost: f64,
}

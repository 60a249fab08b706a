//! What an objective answers: the cost at a point and the linearisation there, and the
//! [`Objective`] trait through which the solvers ask for them.

use homodyne_core::{InvalidSample, OptimizationError};

use crate::factor::RFactor;

/// The cost at one parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEvaluation {
    /// `C = 1/2 sum f_s^2 rho((r_i / f_s)^2)`.
    pub cost: f64,
    /// `sum r_i^2` of the weighted residuals (the chi-squared).
    pub chi_squared: f64,
    /// Residuals that were NaN or infinite (their cost counts as infinite).
    pub invalid_residuals: InvalidSample,
}

impl CostEvaluation {
    /// True when every residual was finite (and so is the cost).
    pub fn is_finite(&self) -> bool {
        self.invalid_residuals.is_empty() && self.cost.is_finite()
    }
}

/// The Gauss-Newton linearisation at one parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Linearization {
    /// The cost there.
    pub cost: CostEvaluation,
    /// `R` and `Q^T f~` of the rescaled Jacobian `J~` and residuals `f~`.
    pub factor: RFactor,
    /// `||f~||^2` (equals `2 C` for the linear loss).
    pub scaled_residual_sq: f64,
    /// Jacobian entries that were NaN or infinite (index `point * P + parameter`).
    pub invalid_jacobian: InvalidSample,
}

/// A least-squares problem as the solvers see it.
///
/// Both evaluations may fail for reasons outside the mathematics (a streamed source that
/// cannot be read, a checkpoint that must stop the fit); the solvers pass such errors on.
/// Non-finite values are not errors here: they are reported in the evaluations, and the
/// solvers decide (a trial point with a non-finite cost is rejected).
pub trait Objective: Sync {
    /// Number of parameters `P`.
    fn n_params(&self) -> usize;
    /// Number of residuals `N`.
    fn n_residuals(&self) -> usize;
    /// The cost at `p`.
    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError>;
    /// The linearisation at `p`.
    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError>;
}

/// How a linearisation pass sums the Jacobian (see DESIGN.md, section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Accumulation {
    /// Fold each chunk into `R` by Householder QR: exact to rounding at any conditioning.
    #[default]
    Qr,
    /// Sum `J^T J` and `J^T f` (about half the flops), falling back to the QR fold for a
    /// pass whose `cond(J)` exceeds [`crate::normal::MAX_CONDITION`].
    NormalEquations,
}

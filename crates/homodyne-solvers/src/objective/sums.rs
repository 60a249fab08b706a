//! The unfinished sums of a pass over a range of points: what a leaf of the reduction
//! tree, a streamed batch or a process's share adds up, before the cost or the
//! linearisation is made from them.
//!
//! Sums of consecutive ranges combine ([`SumsState::combine`]); the same sums are saved in
//! checkpoints and exchanged between the processes of a distributed fit
//! ([`crate::wire`]).

use homodyne_core::InvalidSample;

use super::evaluation::{CostEvaluation, Linearization};
use crate::factor::RFactor;
use crate::normal::NormalAccumulator;

/// The sums of a pass over a range of points, as they are combined, saved in a checkpoint
/// and exchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct SumsState {
    /// `1/2 sum rho(r_i^2)` so far.
    pub cost: f64,
    /// `sum r_i^2` so far.
    pub chi_squared: f64,
    /// `||f~||^2` so far (linearisation passes).
    pub scaled_sq: f64,
    /// Non-finite residuals met so far.
    pub invalid_residuals: InvalidSample,
    /// Non-finite Jacobian entries met so far.
    pub invalid_jacobian: InvalidSample,
    /// The exact factor so far (QR passes).
    pub factor: Option<RFactor>,
    /// The normal-equation sums so far (normal-equation passes).
    pub normal: Option<NormalAccumulator>,
}

impl SumsState {
    /// Sums over no points: they add nothing when combined.
    pub fn empty() -> Self {
        Self {
            cost: 0.0,
            chi_squared: 0.0,
            scaled_sq: 0.0,
            invalid_residuals: InvalidSample::default(),
            invalid_jacobian: InvalidSample::default(),
            factor: None,
            normal: None,
        }
    }

    /// These sums followed by `other`'s (a later range of points): the costs added, the
    /// samples of invalid values merged, the factors or normal equations merged. Empty
    /// sums take the other's factor or normal equations.
    pub fn combine(mut self, other: SumsState) -> SumsState {
        self.cost += other.cost;
        self.chi_squared += other.chi_squared;
        self.scaled_sq += other.scaled_sq;
        self.invalid_residuals.merge(&other.invalid_residuals);
        self.invalid_jacobian.merge(&other.invalid_jacobian);
        match (self.factor.as_mut(), other.factor) {
            (Some(a), Some(b)) => a.merge(&b),
            (None, b) => self.factor = b,
            (Some(_), None) => {}
        }
        match (self.normal.as_mut(), other.normal) {
            (Some(a), Some(b)) => a.merge(&b),
            (None, b) => self.normal = b,
            (Some(_), None) => {}
        }
        self
    }

    /// The cost these sums make (infinite when a residual was not finite).
    pub fn into_cost(self) -> CostEvaluation {
        let cost = if self.invalid_residuals.is_empty() {
            self.cost
        } else {
            f64::INFINITY
        };
        CostEvaluation {
            cost,
            chi_squared: self.chi_squared,
            invalid_residuals: self.invalid_residuals,
        }
    }

    /// The linearisation these sums make; normal-equation sums too ill-conditioned to
    /// factor are replaced by the exact sums `exact()` computes (all of them, for every
    /// share).
    pub fn into_linearization(
        mut self,
        n_params: usize,
        exact: impl FnOnce() -> SumsState,
    ) -> Linearization {
        if let Some(normal) = self.normal.take() {
            match normal.factor() {
                Some(factor) => self.factor = Some(factor),
                // Too ill-conditioned for the normal equations: redo this pass exactly.
                None => self = exact(),
            }
        }
        let factor = self
            .factor
            .take()
            .unwrap_or_else(|| RFactor::zeros(n_params));
        let (scaled_residual_sq, invalid_jacobian) =
            (self.scaled_sq, self.invalid_jacobian.clone());
        Linearization {
            cost: self.into_cost(),
            factor,
            scaled_residual_sq,
            invalid_jacobian,
        }
    }
}

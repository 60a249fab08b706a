//! Which of x, y and sigma an array or dataset holds.

use homodyne_core::Batch;

/// The quantity an array or dataset holds: which vector of a [`Batch`] it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The predictor values, `x_dim` per point.
    X,
    /// The observations.
    Y,
    /// The observations' standard deviations.
    Sigma,
}

impl Role {
    /// `x`, `y` or `sigma`, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::X => "x",
            Role::Y => "y",
            Role::Sigma => "sigma",
        }
    }

    /// The batch's vector for this quantity.
    pub(crate) fn values(self, batch: &Batch) -> &[f64] {
        match self {
            Role::X => &batch.x,
            Role::Y => &batch.y,
            Role::Sigma => &batch.sigma,
        }
    }

    /// The batch's vector for this quantity, to fill.
    pub(crate) fn values_mut(self, batch: &mut Batch) -> &mut [f64] {
        match self {
            Role::X => &mut batch.x,
            Role::Y => &mut batch.y,
            Role::Sigma => &mut batch.sigma,
        }
    }
}

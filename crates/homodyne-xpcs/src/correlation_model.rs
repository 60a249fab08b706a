//! [`CorrelationModel`]: what the scaling estimates and the output files need of a model
//! of two-time correlation matrices, whichever physics it holds: the homodyne model
//! ([`HomodyneModel`], static or laminar flow) or the two-component one
//! ([`HeterodyneModel`]); and [`FitModel`], what a fit needs besides (variants of the
//! model). [`crate::fit`], the choice of a scaling by evidence and the output files take
//! any of them; [`crate::XpcsModel`] holds either, for a program that learns which from
//! its configuration (`analysis_mode`).

use homodyne_core::Model;

use crate::error::XpcsError;
use crate::heterodyne::HeterodyneModel;
use crate::model::HomodyneModel;
use crate::parameters::{ParameterLayout, ScalingMode};
use crate::rates::TimeGrid;

/// A model of `n_phi` two-time correlation matrices on a frame grid: points are the flat
/// indices `x = k n_t^2 + i n_t + j` of element `(i, j)` of angle `k`'s matrix, and the
/// parameter vector is a [`ParameterLayout`]'s (the per-angle scaling, then the physics).
pub trait CorrelationModel: Model + std::fmt::Debug + Send + Sync {
    /// The parameter layout.
    fn layout(&self) -> &ParameterLayout;

    /// The frame grid.
    fn grid(&self) -> &TimeGrid;

    /// The angles (degrees).
    fn phi(&self) -> &[f64];

    /// The wavevector `q` (1/Angstrom).
    fn q(&self) -> f64;

    /// Number of points: `n_phi n_t^2`.
    fn n_points(&self) -> usize {
        self.phi().len() * self.grid().len() * self.grid().len()
    }

    /// The model at `parameters` on every point, in point order (NaN for a parameter
    /// vector of the wrong length).
    fn values(&self, parameters: &[f64]) -> Vec<f64>;

    /// [`CorrelationModel::values`], and the raw theory: the model at the same physical
    /// parameters with every angle's contrast and offset 1 (`c2_theoretical_raw` of the
    /// output files).
    fn values_and_raw(&self, parameters: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let layout = self.layout();
        let ones = vec![1.0; layout.n_phi];
        let (contrasts, offsets) = layout.scaling_from_per_angle(&ones, &ones, self.phi());
        let unit = parameters
            .get(layout.physical_start()..)
            .filter(|_| parameters.len() == layout.n_params())
            .and_then(|physical| layout.assemble(&contrasts, &offsets, physical).ok());
        let raw = match unit {
            Some(unit) => self.values(&unit),
            None => vec![f64::NAN; self.n_points()],
        };
        (self.values(parameters), raw)
    }

    /// The homodyne model, when this is one: its fits may run in the parametrisation
    /// about a reference time ([`crate::reference_time`]), which is its power laws'.
    fn homodyne(&self) -> Option<&HomodyneModel> {
        None
    }
}

/// A [`CorrelationModel`] a fit can make variants of: the model in another scaling layout
/// (the choice of a scaling by evidence), and the model for a coarse stage.
pub trait FitModel: CorrelationModel + Clone {
    /// The same model with another scaling layout.
    ///
    /// # Errors
    ///
    /// A scaling the angles do not determine (a Fourier series of too high an order).
    fn with_scaling(&self, scaling: ScalingMode) -> Result<Self, XpcsError>;

    /// The model for a fit over `n_points` of its points: a model may keep per-frame-pair
    /// tables that pay only when most pairs are evaluated (a coarse stage on a few rows
    /// evaluates few). The values are the same either way.
    fn for_points(self, _n_points: usize) -> Self {
        self
    }
}

impl CorrelationModel for HomodyneModel {
    fn layout(&self) -> &ParameterLayout {
        HomodyneModel::layout(self)
    }

    fn grid(&self) -> &TimeGrid {
        HomodyneModel::grid(self)
    }

    fn phi(&self) -> &[f64] {
        HomodyneModel::phi(self)
    }

    fn q(&self) -> f64 {
        HomodyneModel::q(self)
    }

    fn values(&self, parameters: &[f64]) -> Vec<f64> {
        HomodyneModel::values(self, parameters)
    }

    fn values_and_raw(&self, parameters: &[f64]) -> (Vec<f64>, Vec<f64>) {
        HomodyneModel::values_and_raw(self, parameters)
    }

    fn homodyne(&self) -> Option<&HomodyneModel> {
        Some(self)
    }
}

impl CorrelationModel for HeterodyneModel {
    fn layout(&self) -> &ParameterLayout {
        HeterodyneModel::layout(self)
    }

    fn grid(&self) -> &TimeGrid {
        HeterodyneModel::grid(self)
    }

    fn phi(&self) -> &[f64] {
        HeterodyneModel::phi(self)
    }

    fn q(&self) -> f64 {
        HeterodyneModel::q(self)
    }

    fn values(&self, parameters: &[f64]) -> Vec<f64> {
        HeterodyneModel::values(self, parameters)
    }
}

impl FitModel for HomodyneModel {
    fn with_scaling(&self, scaling: ScalingMode) -> Result<Self, XpcsError> {
        HomodyneModel::with_scaling(self, scaling)
    }

    /// The table of diffusion factors costs one exponential per frame pair: kept when the
    /// fit covers at least `n_t^2` points.
    fn for_points(self, n_points: usize) -> Self {
        let n = self.grid().len();
        self.with_factor_table(n_points >= n * n)
    }
}

impl FitModel for HeterodyneModel {
    fn with_scaling(&self, scaling: ScalingMode) -> Result<Self, XpcsError> {
        HeterodyneModel::with_scaling(self, scaling)
    }
}

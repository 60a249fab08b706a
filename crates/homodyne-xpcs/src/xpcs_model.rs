//! [`XpcsModel`]: the homodyne or the two-component model, as a configuration's
//! `analysis_mode` chooses, behind one type.

use homodyne_core::{JacobianKind, Model};

use crate::correlation_model::{CorrelationModel, FitModel};
use crate::error::XpcsError;
use crate::heterodyne::HeterodyneModel;
use crate::model::{HomodyneModel, ModelForm};
use crate::parameters::{ParameterLayout, ScalingMode};
use crate::rates::TimeGrid;

/// The model of an XPCS fit: [`HomodyneModel`] (`static`, `laminar_flow`) or
/// [`HeterodyneModel`] (`two_component`). Every [`Model`] and [`CorrelationModel`]
/// method is the held model's.
///
/// ```
/// use homodyne_core::Model;
/// use homodyne_xpcs::heterodyne::{HeterodyneModel, fit_time_grid};
/// use homodyne_xpcs::{CorrelationModel, ScalingMode, XpcsModel};
///
/// let model: XpcsModel =
///     HeterodyneModel::new(ScalingMode::Constant, fit_time_grid(0.1, 10)?, &[0.0, 45.0], 0.02)?
///         .into();
/// assert_eq!(model.n_params(), 16);
/// assert_eq!(model.layout().mode.name(), "two_component");
/// # Ok::<(), homodyne_xpcs::XpcsError>(())
/// ```
#[derive(Debug, Clone)]
pub enum XpcsModel {
    /// The homodyne model: diffusion, and laminar flow.
    Homodyne(HomodyneModel),
    /// The two-component (heterodyne) model.
    Heterodyne(HeterodyneModel),
}

impl XpcsModel {
    /// The model's form: the homodyne model's ([`HomodyneModel::form`]); the two-component
    /// model has the published one only.
    pub fn form(&self) -> ModelForm {
        match self {
            Self::Homodyne(m) => m.form(),
            Self::Heterodyne(_) => ModelForm::Published,
        }
    }
}

impl From<HomodyneModel> for XpcsModel {
    fn from(model: HomodyneModel) -> Self {
        Self::Homodyne(model)
    }
}

impl From<HeterodyneModel> for XpcsModel {
    fn from(model: HeterodyneModel) -> Self {
        Self::Heterodyne(model)
    }
}

/// `$body` with `$m` bound to the held model.
macro_rules! held {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            XpcsModel::Homodyne($m) => $body,
            XpcsModel::Heterodyne($m) => $body,
        }
    };
}

impl Model for XpcsModel {
    fn n_params(&self) -> usize {
        held!(self, m => m.n_params())
    }

    fn x_dim(&self) -> usize {
        held!(self, m => m.x_dim())
    }

    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        held!(self, m => m.eval(x, p, values))
    }

    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        held!(self, m => m.eval_with_jacobian(x, p, values, jacobian))
    }

    fn jacobian_kind(&self) -> JacobianKind {
        held!(self, m => m.jacobian_kind())
    }

    fn active_parameters(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
        held!(self, m => m.active_parameters(x, active))
    }

    fn eval_with_active_jacobian(
        &self,
        x: &[f64],
        p: &[f64],
        active: &[usize],
        values: &mut [f64],
        jacobian: &mut [f64],
    ) {
        held!(self, m => m.eval_with_active_jacobian(x, p, active, values, jacobian))
    }

    fn param_names(&self) -> Vec<String> {
        held!(self, m => m.param_names())
    }
}

impl CorrelationModel for XpcsModel {
    fn layout(&self) -> &ParameterLayout {
        held!(self, m => CorrelationModel::layout(m))
    }

    fn grid(&self) -> &TimeGrid {
        held!(self, m => CorrelationModel::grid(m))
    }

    fn phi(&self) -> &[f64] {
        held!(self, m => CorrelationModel::phi(m))
    }

    fn q(&self) -> f64 {
        held!(self, m => CorrelationModel::q(m))
    }

    fn values(&self, parameters: &[f64]) -> Vec<f64> {
        held!(self, m => CorrelationModel::values(m, parameters))
    }

    fn values_and_raw(&self, parameters: &[f64]) -> (Vec<f64>, Vec<f64>) {
        held!(self, m => CorrelationModel::values_and_raw(m, parameters))
    }

    fn homodyne(&self) -> Option<&HomodyneModel> {
        match self {
            Self::Homodyne(m) => Some(m),
            Self::Heterodyne(_) => None,
        }
    }
}

impl FitModel for XpcsModel {
    fn with_scaling(&self, scaling: ScalingMode) -> Result<Self, XpcsError> {
        Ok(held!(self, m => FitModel::with_scaling(m, scaling)?.into()))
    }

    fn for_points(self, n_points: usize) -> Self {
        held!(self, m => m.for_points(n_points).into())
    }
}

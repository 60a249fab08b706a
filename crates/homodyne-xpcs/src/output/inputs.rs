//! What the output files are written from ([`NlsqOutputs`]), the measurement uncertainty
//! the fit was weighted by ([`Sigma`]), and the check that the pieces agree.

use homodyne::MultistartReport;
use homodyne_core::OptimizationResult;
use serde_json::{Value, json};

use crate::analysis::CoarseStage;
use crate::correlation_model::CorrelationModel;
use crate::data::{CorrelationData, PointSelection};
use crate::diagnostics::diagnose;
use crate::error::XpcsError;
use crate::noise::NoiseEstimate;
use crate::scaling_choice::ScalingChoice;

/// The package's default measurement uncertainty of c2 (`sigma`); not applied here unless
/// given as [`NlsqOutputs::sigma`].
pub const PACKAGE_DEFAULT_SIGMA: f64 = 0.01;

/// What the output files are written from (`write_nlsq_outputs`).
#[derive(Debug, Clone, Copy)]
pub struct NlsqOutputs<'a> {
    /// The model that was fitted (angles, time grid, wavevector, parameter layout).
    pub model: &'a dyn CorrelationModel,
    /// The matrices that were fitted, on the model's time grid.
    pub data: &'a CorrelationData,
    /// The fit.
    pub result: &'a OptimizationResult,
    /// Wall-clock seconds of the whole analysis, as the package reports `execution_time`.
    pub execution_time: f64,
    /// The measurement uncertainty of the c2 values: chi-squared is `sum r^2 / sigma^2`
    /// when given (one value, or each angle's estimate), the unweighted `sum r^2` when
    /// `None` (see the module documentation).
    pub sigma: Option<Sigma<'a>>,
    /// The elements that were fitted: chi-squared and the degrees of freedom count these
    /// alone, so that they are the fit's own.
    pub points: PointSelection,
    /// The coarse stages that ran before the fit ([`crate::XpcsFit::stages`]; empty when
    /// none did).
    pub coarse_stages: &'a [CoarseStage],
    /// How `per_angle_mode: auto` chose the scaling ([`crate::fit_choosing_scaling`]):
    /// written as `optimization_summary.scaling_choice`; `None` when the layout was given.
    pub scaling_choice: Option<&'a ScalingChoice>,
    /// The candidates of a multistart ([`crate::XpcsFit::multistart`]): written as
    /// `optimization_summary.multistart` ([`MultistartReport::to_json`], statuses as the
    /// package names them); `None` when the
    /// fit ran from one start.
    pub multistart: Option<&'a MultistartReport>,
    /// Whether to write `fitted_data.h5` beside `fitted_data.npz`: the same arrays as HDF5
    /// datasets, for readers of HDF5. The package writes the `.npz` alone; the copy doubles
    /// the bytes written (2.2 GB instead of 1.1 GB for 23 angles of 1001 x 1001 frames).
    pub hdf5: bool,
}

/// The measurement uncertainty a fit was weighted by ([`NlsqOutputs::sigma`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sigma<'a> {
    /// One value for every element, as given.
    Given(f64),
    /// One value per angle, estimated from the data (`sigma: auto`,
    /// [`crate::noise::estimate_noise`]).
    Estimated(&'a NoiseEstimate),
}

impl Sigma<'_> {
    /// The sigma of angle `k`.
    pub fn of_angle(&self, k: usize) -> f64 {
        match self {
            Self::Given(sigma) => *sigma,
            Self::Estimated(estimate) => estimate.sigma.get(k).copied().unwrap_or(f64::NAN),
        }
    }
}

impl NlsqOutputs<'_> {
    /// The inputs agree with each other: the result fits the model's layout (with one
    /// uncertainty, flag and covariance row per parameter), the data the model's angles and
    /// frames, and every sigma is positive and finite.
    pub(crate) fn check(&self) -> Result<(), XpcsError> {
        let model = self.model;
        let data = self.data;
        model.layout().check(&self.result.parameters)?;
        // Uncertainties, flags and covariance of one entry per parameter.
        diagnose(model.layout(), self.result, None)?;
        let n_phi = model.phi().len();
        let n_t = model.grid().len();
        if data.phi.len() != n_phi {
            return Err(XpcsError::setting(
                "fitted data",
                format!("the data hold {} angles, the model {n_phi}", data.phi.len()),
            ));
        }
        if data.n_t != n_t {
            return Err(XpcsError::setting(
                "fitted data",
                format!(
                    "the data hold {} frames per side, the model's grid {n_t}",
                    data.n_t
                ),
            ));
        }
        if data.c2.len() != model.n_points() {
            return Err(XpcsError::setting(
                "fitted data",
                format!(
                    "{n_phi} angles of {n_t} x {n_t} frames need {} values, the data hold {}",
                    model.n_points(),
                    data.c2.len()
                ),
            ));
        }
        if let Some(Sigma::Estimated(estimate)) = self.sigma
            && estimate.sigma.len() != n_phi
        {
            return Err(XpcsError::setting(
                "sigma",
                format!(
                    "{} estimated sigmas for {n_phi} angles",
                    estimate.sigma.len()
                ),
            ));
        }
        if let Some(sigma) = self.sigma {
            for k in 0..n_phi {
                let value = sigma.of_angle(k);
                if !(value.is_finite() && value > 0.0) {
                    return Err(XpcsError::setting(
                        "sigma",
                        format!("the uncertainty of c2 must be positive and finite, got {value}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `sigma` written beside chi-squared: the value given, each angle's estimate, or
    /// `null` when the fit was unweighted.
    pub(crate) fn sigma_json(&self) -> Value {
        match self.sigma {
            None => Value::Null,
            Some(Sigma::Given(sigma)) => json!(sigma),
            Some(Sigma::Estimated(estimate)) => json!(estimate.sigma),
        }
    }
}

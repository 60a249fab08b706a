//! XPCS homodyne analysis: the two-time correlation models of X-ray photon correlation
//! spectroscopy under static (isotropic diffusion) and laminar-flow conditions.
//!
//! A measurement is a set of two-time correlation matrices `c2(phi, t1, t2)`, one per
//! azimuthal angle `phi`, at one wavevector `q`. The model (He, Chen et al., PNAS 121 (48)
//! e2401162121, 2024) is
//!
//! ```text
//! c2(phi, t_i, t_j) = offset_phi + contrast_phi * exp(-q^2 * int_{t_j}^{t_i} D dt)
//!                     * sinc^2(q h Gamma_ij cos(phi0 - phi) / 2)
//! ```
//!
//! with the diffusion rate `D(t) = D0 t^alpha + D_offset`, the shear rate
//! `gamma_dot(t) = gamma_dot_t0 t^beta + gamma_dot_t_offset`, `Gamma_ij` its integral between
//! the two times and `h` the stator-rotor gap. The static mode has no shear factor.
//!
//! The laminar-flow model over two angles, evaluated at one frame pair and checked
//! against the formula (constant rates, so the integrals are `D0 (t_i - t_j)` and
//! `gamma_dot_t0 (t_i - t_j)`); at 90 degrees from the flow direction `phi0` the shear
//! factor is 1:
//!
//! ```
//! use homodyne_core::Model;
//! use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};
//!
//! let (dt, q, gap) = (0.1, 0.0054, 2e6);
//! let model = HomodyneModel::new(
//!     AnalysisMode::LaminarFlow, ScalingMode::Individual, ModelForm::Published,
//!     TimeGrid::new(dt, 50)?, &[0.0, 90.0], q, gap,
//! )?;
//! // contrast x2, offset x2, D0, alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, phi0
//! let p = [0.3, 0.3, 1.0, 1.0, 1000.0, 0.0, 0.0, 2e-4, 0.0, 0.0, 0.0];
//! let x = [model.point(0, 20, 10) as f64, model.point(1, 20, 10) as f64];
//! let mut c2 = [0.0; 2];
//! model.eval(&x, &p, &mut c2);
//!
//! let lag = 10.0 * dt; // t_i - t_j
//! let diffusion = (-q * q * 1000.0 * lag).exp();
//! let u = q * gap * (2e-4 * lag) / 2.0; // phi = phi0: cos = 1
//! let shear = (u.sin() / u).powi(2);
//! assert!((c2[0] - (1.0 + 0.3 * diffusion * shear)).abs() < 1e-6);
//! assert!((c2[1] - (1.0 + 0.3 * diffusion)).abs() < 1e-6); // phi - phi0 = 90 degrees
//! # Ok::<(), homodyne_xpcs::XpcsError>(())
//! ```
//!
//! - [`parameters`]: analysis and scaling modes, the parameter layout, names, default bounds
//!   and starting values.
//! - [`scaling`]: the linear map from a layout's scaling parameters (per-angle values, one
//!   shared value, or Fourier coefficients) to each angle's contrast and offset.
//! - [`rates`]: the time grid and the cumulative trapezoid integrals of the rates, with
//!   their derivatives.
//! - [`model`]: [`HomodyneModel`], a [`homodyne_core::Model`] with hand-written exact
//!   derivatives, in the published form or the Python package's form
//!   ([`ModelForm::PythonCompat`]).
//! - [`data`]: [`CorrelationData`], the measured matrices, and synthetic data; [`noise`]:
//!   each angle's noise estimated from the matrices (`sigma: auto`).
//! - [`demo`]: the demo dataset with known truth, written as an APS-U file with a YAML.
//! - [`config`]: the YAML configuration of the Python package, and [`fixed`]: the
//!   parameters it holds fixed.
//! - [`initial`]: contrasts and offsets estimated from the data.
//! - [`analysis`]: [`fit`], the model fitted to the data from the package's default start,
//!   through coarse stages on a few rows of each matrix ([`CoarseToFine`]) to the full
//!   data's optimum.

pub mod analysis;
pub mod angle_filter;
pub mod config;
mod correlation_model;
pub mod data;
pub mod demo;
pub mod diagnostics;
pub mod error;
pub mod fixed;
pub mod heterodyne;
pub mod heterodyne_demo;
pub mod initial;
pub mod loader;
pub mod model;
pub mod noise;
pub mod output;
pub mod parameters;
pub mod rates;
pub mod reference_time;
pub mod scaling;
pub mod scaling_choice;
mod spelling;
mod xpcs_model;

pub use analysis::{CoarseStage, CoarseToFine, XpcsFit, XpcsFitOptions, fit, fit_distributed};
pub use config::{XpcsConfig, config_template};
pub use correlation_model::{CorrelationModel, FitModel};
pub use data::{CorrelationData, PointSelection};
pub use error::XpcsError;
pub use initial::estimate_scaling;
pub use loader::{LoadOptions, LoadedXpcs, load_experimental_data, load_hdf5, load_npz_cache};
pub use model::{HomodyneModel, ModelForm};
pub use output::{NlsqOutputs, write_nlsq_outputs};
pub use parameters::{AnalysisMode, ParameterLayout, ScalingMode};
pub use rates::TimeGrid;
pub use scaling_choice::{
    ChosenFit, ScalingCandidate, ScalingChoice, fit_choosing_scaling,
    fit_choosing_scaling_distributed,
};
pub use xpcs_model::XpcsModel;

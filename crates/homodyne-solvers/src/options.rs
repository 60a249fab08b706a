//! Solver settings and their defaults.

use homodyne_core::{InvalidInput, OptimizationError};

use crate::loss::Loss;

/// Characteristic scale of each parameter: the trust region is a ball in `p / x_scale`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum XScale {
    /// From the Jacobian's column norms, updated as the fit proceeds (MINPACK's `mode = 1`):
    /// invariant to the units of each parameter, and a parameter starting at 0 does not crawl.
    #[default]
    Jac,
    /// Fixed positive scales, one per parameter.
    Vector(Vec<f64>),
}

/// Default relative cost-reduction tolerance. Tighter than scipy's 1e-8, which stops
/// NIST's MGH09 and MGH17 short of their certified values.
pub const DEFAULT_FTOL: f64 = 1e-15;
/// Default relative step tolerance.
pub const DEFAULT_XTOL: f64 = 1e-15;
/// Default gradient tolerance on the largest cosine between the residual vector and a
/// column of the Jacobian (scale-free, as MINPACK's).
pub const DEFAULT_GTOL: f64 = 1e-15;
/// Default evaluation budget per parameter (scipy uses 100 for TRF).
pub const DEFAULT_NFEV_PER_PARAM: usize = 1000;

/// Settings shared by the TRF and LM solvers.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverOptions {
    /// Stop when the relative cost reduction of an accepted step falls below `ftol`.
    pub ftol: f64,
    /// Stop when the step is smaller than `xtol * (xtol + ||p||)`.
    pub xtol: f64,
    /// Stop when the largest residual/column cosine falls below `gtol`.
    pub gtol: f64,
    /// Cost evaluations allowed; `None` means `1000 * P`.
    pub max_nfev: Option<usize>,
    /// Parameter scaling.
    pub x_scale: XScale,
    /// Robust loss.
    pub loss: Loss,
    /// Soft margin between inlier and outlier residuals for robust losses.
    pub f_scale: f64,
    /// Check gradient, parameters and loss every iteration (see [`crate::validation`]).
    pub validate: bool,
    /// Multiplies the initial trust radius (TRF) or step bound (LM); the recovery layer
    /// halves it after a numerical failure.
    pub initial_step_scale: f64,
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self {
            ftol: DEFAULT_FTOL,
            xtol: DEFAULT_XTOL,
            gtol: DEFAULT_GTOL,
            max_nfev: None,
            x_scale: XScale::Jac,
            loss: Loss::Linear,
            f_scale: 1.0,
            validate: true,
            initial_step_scale: 1.0,
        }
    }
}

impl SolverOptions {
    /// The evaluation budget for `n_params` parameters.
    pub fn max_nfev_for(&self, n_params: usize) -> usize {
        self.max_nfev
            .unwrap_or(DEFAULT_NFEV_PER_PARAM * n_params.max(1))
    }

    /// Checks every option, given the number of parameters.
    pub fn validate(&self, n_params: usize) -> Result<(), OptimizationError> {
        for (option, value) in [
            ("ftol", self.ftol),
            ("xtol", self.xtol),
            ("gtol", self.gtol),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(InvalidInput::InvalidOption {
                    option,
                    value: value.to_string(),
                    reason: "tolerances must be finite and non-negative",
                }
                .into());
            }
        }
        for (option, value) in [
            ("f_scale", self.f_scale),
            ("initial_step_scale", self.initial_step_scale),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(InvalidInput::InvalidOption {
                    option,
                    value: value.to_string(),
                    reason: "must be finite and positive",
                }
                .into());
            }
        }
        if self.max_nfev == Some(0) {
            return Err(InvalidInput::InvalidOption {
                option: "max_nfev",
                value: "0".into(),
                reason: "at least one evaluation is needed",
            }
            .into());
        }
        if let XScale::Vector(v) = &self.x_scale {
            if v.len() != n_params {
                return Err(InvalidInput::WrongParameterCount {
                    what: "x_scale",
                    expected: n_params,
                    got: v.len(),
                }
                .into());
            }
            if let Some((index, &value)) = v
                .iter()
                .enumerate()
                .find(|(_, s)| !(**s > 0.0 && s.is_finite()))
            {
                return Err(InvalidInput::InvalidOption {
                    option: "x_scale",
                    value: format!("[{index}] = {value}"),
                    reason: "scales must be finite and positive",
                }
                .into());
            }
        }
        Ok(())
    }
}

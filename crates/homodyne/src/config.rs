//! Per-fit settings.

use homodyne_core::OptimizationStrategy;
use homodyne_solvers::{Loss, SolverOptions, XScale};

pub use homodyne_solvers::options::{
    DEFAULT_FTOL, DEFAULT_GTOL, DEFAULT_NFEV_PER_PARAM, DEFAULT_XTOL,
};

/// Settings of one fit. The defaults give NIST-grade answers: tolerances near machine
/// precision, a generous evaluation budget and Jacobian-based parameter scaling.
///
/// ```
/// use homodyne::prelude::*;
///
/// let config = FitConfig {
///     sigma: Some(vec![0.1; 4]),
///     loss: Loss::SoftL1,
///     ..FitConfig::default()
/// };
/// assert_eq!(config.ftol, homodyne::config::DEFAULT_FTOL);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FitConfig {
    /// Relative cost-reduction tolerance (default [`DEFAULT_FTOL`]).
    pub ftol: f64,
    /// Relative step tolerance (default [`DEFAULT_XTOL`]).
    pub xtol: f64,
    /// Gradient (residual/column cosine) tolerance (default [`DEFAULT_GTOL`]).
    pub gtol: f64,
    /// Cost evaluations allowed (default `1000 * P`).
    pub max_nfev: Option<usize>,
    /// Parameter scaling (default: from the Jacobian's column norms).
    pub x_scale: XScale,
    /// Robust loss (default linear).
    pub loss: Loss,
    /// Soft margin of robust losses, in units of the weighted residual (default 1).
    pub f_scale: f64,
    /// One-sigma uncertainty of each `y` value; residuals are divided by it.
    pub sigma: Option<Vec<f64>>,
    /// Treat `sigma` as absolute (the covariance is not rescaled by the reduced
    /// chi-squared), as scipy's `curve_fit(absolute_sigma=True)`.
    pub absolute_sigma: bool,
    /// Force a strategy instead of choosing one from the data size and the memory
    /// available (`None`, the default).
    pub strategy: Option<OptimizationStrategy>,
    /// The memory budget, in GiB, that the strategy is chosen for; `None` (the default):
    /// the memory available to this process (capped by a cgroup limit where there is one).
    /// A strategy whose memory estimate exceeds it is replaced by a leaner one, and the
    /// result's `strategy_notes` say why.
    pub memory_limit_gb: Option<f64>,
    /// Parameters held at a value and left out of the solve, as lmfit's `vary=False`:
    /// empty (the default) for none, else one entry per parameter, `Some(value)` to hold
    /// it. Equal lower and upper bounds hold a parameter too. A held parameter is reported
    /// with its value, [`ParameterFlag::Fixed`](homodyne_core::ParameterFlag::Fixed), an
    /// uncertainty of 0 and zeros in its covariance row and column; the fit of the others
    /// equals the fit of the model with the value substituted.
    pub fixed: Vec<Option<f64>>,
}

impl Default for FitConfig {
    fn default() -> Self {
        let solver = SolverOptions::default();
        Self {
            ftol: solver.ftol,
            xtol: solver.xtol,
            gtol: solver.gtol,
            max_nfev: solver.max_nfev,
            x_scale: solver.x_scale,
            loss: solver.loss,
            f_scale: solver.f_scale,
            sigma: None,
            absolute_sigma: false,
            strategy: None,
            memory_limit_gb: None,
            fixed: Vec::new(),
        }
    }
}

impl FitConfig {
    /// These settings with parameter `index` of `n_params` held at `value`.
    ///
    /// ```
    /// use homodyne::prelude::*;
    ///
    /// let config = FitConfig::default().with_fixed(3, 1, 0.0);
    /// assert_eq!(config.fixed, vec![None, Some(0.0), None]);
    /// ```
    pub fn with_fixed(mut self, n_params: usize, index: usize, value: f64) -> Self {
        if self.fixed.len() < n_params {
            self.fixed.resize(n_params, None);
        }
        self.fixed[index] = Some(value);
        self
    }

    /// The solver options these settings imply.
    pub fn solver_options(&self) -> SolverOptions {
        SolverOptions {
            ftol: self.ftol,
            xtol: self.xtol,
            gtol: self.gtol,
            max_nfev: self.max_nfev,
            x_scale: self.x_scale.clone(),
            loss: self.loss,
            f_scale: self.f_scale,
            ..SolverOptions::default()
        }
    }
}

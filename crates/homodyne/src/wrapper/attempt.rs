//! [`Attempt`]: the settings of one attempt of a fit, changed by each recovery strategy.

use homodyne_core::{Bounds, OptimizationStrategy};
use homodyne_solvers::SolverOptions;

use crate::recovery::{RecoveryStrategy, RecoveryStrategyApplicator, tightened_bounds};

/// The settings of one attempt, changed by each recovery strategy.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// How the data are held (see `NlsqWrapper::choose_strategy`).
    pub(crate) strategy: OptimizationStrategy,
    pub(crate) p0: Vec<f64>,
    pub(crate) bounds: Bounds,
    pub(crate) options: SolverOptions,
    /// Residuals are divided by this (the `rescale_data` strategy).
    pub(crate) sigma_scale: f64,
}

impl Attempt {
    /// Applies `strategy` before retry number `retry` (0 for the first retry).
    pub(crate) fn apply(
        &mut self,
        strategy: RecoveryStrategy,
        applicator: &RecoveryStrategyApplicator,
        retry: usize,
        y_range: &dyn Fn() -> (f64, f64),
    ) {
        self.p0 = applicator.start_for(strategy, &self.p0, retry, &self.bounds);
        match strategy {
            RecoveryStrategy::PerturbParameters => {}
            RecoveryStrategy::IncreaseIterations => {
                let budget = self.options.max_nfev_for(self.p0.len());
                self.options.max_nfev = Some(budget + budget / 2);
            }
            RecoveryStrategy::LoosenTolerances => {
                self.options.ftol *= 10.0;
                self.options.xtol *= 10.0;
                self.options.gtol *= 10.0;
            }
            RecoveryStrategy::HalveStep => self.options.initial_step_scale *= 0.5,
            RecoveryStrategy::TightenBounds => {
                self.bounds = tightened_bounds(&self.bounds, &self.p0)
            }
            RecoveryStrategy::RescaleData => {
                let (lo, hi) = y_range();
                let range = hi - lo;
                if range.is_finite() && range > 0.0 {
                    self.sigma_scale *= range;
                }
            }
        }
    }
}

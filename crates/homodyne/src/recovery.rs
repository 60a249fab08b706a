//! Error-specific recovery: what to change before retrying a failed fit.
//!
//! By the kind of the failure, in this order (one strategy per retry, at most
//! `max_retries` retries):
//!
//! | failure | retry 1 | retry 2 | retry 3 |
//! |---|---|---|---|
//! | convergence (budget exhausted) | `perturb_parameters`: each start value moved by up to 5% (seeded) | `increase_iterations`: 1.5x the evaluation budget | `loosen_tolerances`: ftol, xtol, gtol 10x looser |
//! | numerical (NaN or infinity) | `halve_step`: half the initial trust radius / step bound | `tighten_bounds`: bounds shrunk to 90% of their range around the start | `rescale_data`: residuals divided by the range of `y` (an equivalent problem; every reported quantity is mapped back) |
//!
//! Invalid input, checkpoint failures, a panicking model and a fit stopped on request
//! ([`OptimizationError::Interrupted`]) are not retried, and neither is a strategy that
//! cannot change the outcome ([`RecoveryStrategyApplicator::plan`]):
//!
//! - a fit that *stalled* (stopped on `ftol` / `xtol` away from a stationary point) is
//!   retried from perturbed parameters only: more evaluations or looser tolerances stop
//!   it at the same place;
//! - a non-finite residual, Jacobian or gradient at the *start* (iteration 0) is not
//!   retried: no numerical strategy changes the start point, so the model would be
//!   evaluated where it failed. A cost that overflows at the start is retried with
//!   `rescale_data` alone.

use homodyne_core::random::{GOLDEN_GAMMA, SplitMix64};
use homodyne_core::{Bounds, ConvergenceStatus, DetectionPoint, ErrorKind, OptimizationError};

/// One recovery strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecoveryStrategy {
    /// Move each start value by up to 5%, from a seeded generator.
    PerturbParameters,
    /// Allow 1.5x the evaluations.
    IncreaseIterations,
    /// Make ftol, xtol and gtol 10x looser.
    LoosenTolerances,
    /// Halve the initial trust radius (TRF) or step bound (LM).
    HalveStep,
    /// Shrink each finite bound interval to 90% of its width around the start.
    TightenBounds,
    /// Solve the equivalent problem with residuals divided by the range of `y`.
    RescaleData,
}

impl RecoveryStrategy {
    /// Every strategy: the convergence strategies, then the numerical ones, each in the
    /// order they are tried.
    pub const ALL: [RecoveryStrategy; 6] = [
        Self::PerturbParameters,
        Self::IncreaseIterations,
        Self::LoosenTolerances,
        Self::HalveStep,
        Self::TightenBounds,
        Self::RescaleData,
    ];

    /// The strategy's name as the Python package spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::PerturbParameters => "perturb_parameters",
            Self::IncreaseIterations => "increase_iterations",
            Self::LoosenTolerances => "loosen_tolerances",
            Self::HalveStep => "halve_step",
            Self::TightenBounds => "tighten_bounds",
            Self::RescaleData => "rescale_data",
        }
    }

    /// The strategies for an error kind, in the order they are tried.
    pub fn for_kind(kind: ErrorKind) -> &'static [RecoveryStrategy] {
        match kind {
            ErrorKind::Convergence => &Self::ALL[..3],
            ErrorKind::Numerical => &Self::ALL[3..],
            _ => &[],
        }
    }
}

/// Chooses the recovery strategy for a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryStrategyApplicator {
    max_retries: usize,
    seed: u64,
}

impl Default for RecoveryStrategyApplicator {
    fn default() -> Self {
        Self::new(2)
    }
}

impl RecoveryStrategyApplicator {
    /// An applicator allowing `max_retries` retries, with the default seed.
    pub fn new(max_retries: usize) -> Self {
        Self {
            max_retries,
            seed: 0x005E_ED0F_4EC0_7E47,
        }
    }

    /// The same, with the seed of the parameter perturbation: the same seed gives the same
    /// retry.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Retries allowed.
    pub fn max_retries(&self) -> usize {
        self.max_retries
    }

    /// The strategy for retry number `attempt` (0 for the first retry) after `error`, with
    /// the parameters to start it from; `None` when the retries are exhausted or the error
    /// is not recoverable.
    ///
    /// ```
    /// use homodyne::recovery::RecoveryStrategyApplicator;
    /// use homodyne::{Bounds, Context, OptimizationError};
    ///
    /// let applicator = RecoveryStrategyApplicator::new(2);
    /// let error = OptimizationError::Convergence { message: "budget".into(), context: Context::new() };
    /// let bounds = Bounds::unbounded(2);
    /// let first = applicator.get_recovery_strategy(&error, &[1.0, 2.0], 0, &bounds).unwrap();
    /// assert_eq!(first.0, "perturb_parameters");
    /// let second = applicator.get_recovery_strategy(&error, &[1.0, 2.0], 1, &bounds).unwrap();
    /// assert_eq!(second, ("increase_iterations", vec![1.0, 2.0]));
    /// assert!(applicator.get_recovery_strategy(&error, &[1.0, 2.0], 2, &bounds).is_none());
    /// ```
    pub fn get_recovery_strategy(
        &self,
        error: &OptimizationError,
        params: &[f64],
        attempt: usize,
        bounds: &Bounds,
    ) -> Option<(&'static str, Vec<f64>)> {
        let strategy = self.strategy(error, attempt)?;
        Some((
            strategy.name(),
            self.start_for(strategy, params, attempt, bounds),
        ))
    }

    /// The strategy for retry `attempt` after `error`, if any.
    pub fn strategy(&self, error: &OptimizationError, attempt: usize) -> Option<RecoveryStrategy> {
        if attempt >= self.max_retries {
            return None;
        }
        Self::plan(error).get(attempt).copied()
    }

    /// The strategies that can change the outcome of an attempt that ended in `error`,
    /// in the order they are tried (see the module's documentation): the error kind's
    /// list, less those that would repeat the failure.
    ///
    /// ```
    /// use homodyne::recovery::{RecoveryStrategy, RecoveryStrategyApplicator};
    /// use homodyne::{Context, DetectionPoint, InvalidSample, OptimizationError};
    ///
    /// // NaN in the Jacobian at the start: every numerical strategy keeps the start.
    /// let at_start = OptimizationError::Numerical {
    ///     detection_point: DetectionPoint::Jacobian,
    ///     sample: InvalidSample::default(),
    ///     context: Context::new().with("iteration", 0),
    /// };
    /// assert!(RecoveryStrategyApplicator::plan(&at_start).is_empty());
    /// let stalled = OptimizationError::Convergence {
    ///     message: "stalled".into(),
    ///     context: Context::new().with("status", "stalled"),
    /// };
    /// assert_eq!(
    ///     RecoveryStrategyApplicator::plan(&stalled),
    ///     [RecoveryStrategy::PerturbParameters]
    /// );
    /// ```
    pub fn plan(error: &OptimizationError) -> Vec<RecoveryStrategy> {
        let all = RecoveryStrategy::for_kind(error.kind());
        match error {
            OptimizationError::Convergence { context, .. }
                if context.get("status") == Some(&ConvergenceStatus::Stalled.to_string()) =>
            {
                vec![RecoveryStrategy::PerturbParameters]
            }
            OptimizationError::Numerical {
                detection_point,
                context,
                ..
            } if context.get("iteration") == Some("0") => match detection_point {
                DetectionPoint::Loss => vec![RecoveryStrategy::RescaleData],
                _ => Vec::new(),
            },
            _ => all.to_vec(),
        }
    }

    /// The start of the retry: perturbed for [`RecoveryStrategy::PerturbParameters`]
    /// (kept strictly within the bounds), unchanged otherwise.
    pub fn start_for(
        &self,
        strategy: RecoveryStrategy,
        params: &[f64],
        attempt: usize,
        bounds: &Bounds,
    ) -> Vec<f64> {
        if strategy != RecoveryStrategy::PerturbParameters {
            return params.to_vec();
        }
        let mut bits = SplitMix64::new(self.seed ^ (attempt as u64).wrapping_mul(GOLDEN_GAMMA));
        params
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                // A uniform value in [-1, 1) (2 m / 2^53 - 1: exact, as m / 2^52 - 1).
                let u = 2.0 * bits.next_f64() - 1.0;
                let scale = if p != 0.0 { p.abs() } else { 1e-3 };
                let moved = p + 0.05 * scale * u;
                let (lo, hi) = (bounds.lower()[k], bounds.upper()[k]);
                if moved <= lo || moved >= hi { p } else { moved }
            })
            .collect()
    }
}

/// Bounds shrunk to 90% of each finite interval's width, centred on `params` and kept
/// within the original bounds; infinite bounds stay infinite.
pub fn tightened_bounds(bounds: &Bounds, params: &[f64]) -> Bounds {
    let (lower, upper): (Vec<f64>, Vec<f64>) = params
        .iter()
        .enumerate()
        .map(|(k, &p)| {
            let (lo, hi) = (bounds.lower()[k], bounds.upper()[k]);
            if lo.is_finite() && hi.is_finite() {
                let half = 0.45 * (hi - lo);
                ((p - half).max(lo), (p + half).min(hi))
            } else {
                (lo, hi)
            }
        })
        .unzip();
    Bounds::new(lower, upper).unwrap_or_else(|_| bounds.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_core::{Context, DetectionPoint, InvalidSample};

    fn numerical() -> OptimizationError {
        OptimizationError::Numerical {
            detection_point: DetectionPoint::Loss,
            sample: InvalidSample::default(),
            context: Context::new(),
        }
    }

    #[test]
    fn numerical_failures_follow_their_order() {
        let a = RecoveryStrategyApplicator::new(3);
        let names: Vec<_> = (0..4)
            .map(|k| a.strategy(&numerical(), k).map(RecoveryStrategy::name))
            .collect();
        assert_eq!(
            names,
            [
                Some("halve_step"),
                Some("tighten_bounds"),
                Some("rescale_data"),
                None
            ]
        );
    }

    #[test]
    fn a_failure_at_the_start_is_retried_only_where_a_strategy_can_help() {
        let at = |detection_point, iteration: usize| OptimizationError::Numerical {
            detection_point,
            sample: InvalidSample::default(),
            context: Context::new().with("iteration", iteration),
        };
        let a = RecoveryStrategyApplicator::new(3);
        assert_eq!(a.strategy(&at(DetectionPoint::Residuals, 0), 0), None);
        assert_eq!(a.strategy(&at(DetectionPoint::Jacobian, 0), 0), None);
        assert_eq!(
            a.strategy(&at(DetectionPoint::Loss, 0), 0),
            Some(RecoveryStrategy::RescaleData)
        );
        assert_eq!(
            a.strategy(&at(DetectionPoint::Jacobian, 4), 0),
            Some(RecoveryStrategy::HalveStep)
        );
    }

    #[test]
    fn perturbation_is_seeded_small_and_within_bounds() {
        let a = RecoveryStrategyApplicator::new(2).with_seed(7);
        let bounds = Bounds::new(vec![0.0, -1.0, 0.99], vec![10.0, 1.0, 1.0]).unwrap();
        let p = [2.0, 0.0, 0.995];
        let one = a.start_for(RecoveryStrategy::PerturbParameters, &p, 0, &bounds);
        assert_eq!(
            one,
            a.start_for(RecoveryStrategy::PerturbParameters, &p, 0, &bounds)
        );
        assert_ne!(
            one,
            a.start_for(RecoveryStrategy::PerturbParameters, &p, 1, &bounds)
        );
        assert!((one[0] - 2.0).abs() <= 0.1 && one[0] != 2.0);
        assert!(bounds.contains(&one));
        let other = RecoveryStrategyApplicator::new(2).with_seed(8);
        assert_ne!(
            one,
            other.start_for(RecoveryStrategy::PerturbParameters, &p, 0, &bounds)
        );
    }

    /// The perturbed starts of seed 7, pinned to their bits: a retry is the same fit on
    /// every platform and in every version.
    #[test]
    fn perturbation_keeps_its_bits() {
        let a = RecoveryStrategyApplicator::new(2).with_seed(7);
        let bounds = Bounds::new(vec![0.0, -1.0, 0.99], vec![10.0, 1.0, 1.0]).unwrap();
        let bits = |attempt| -> Vec<u64> {
            a.start_for(
                RecoveryStrategy::PerturbParameters,
                &[2.0, 0.0, 0.995],
                attempt,
                &bounds,
            )
            .iter()
            .map(|v| v.to_bits())
            .collect()
        };
        assert_eq!(
            bits(0),
            [
                0x3FFF_A5BF_9FA7_83D3,
                0xBF09_558E_C713_33F2,
                0.995f64.to_bits()
            ]
        );
        assert_eq!(
            bits(1),
            [
                0x4000_AD8C_2D24_1FF4,
                0x3F09_FAA9_4F2B_B5D7,
                0.995f64.to_bits()
            ]
        );
    }

    #[test]
    fn tightened_bounds_keep_ninety_percent_around_the_point() {
        let b = Bounds::new(vec![0.0, f64::NEG_INFINITY], vec![10.0, 5.0]).unwrap();
        let t = tightened_bounds(&b, &[5.0, 1.0]);
        assert_eq!(t.lower(), &[0.5, f64::NEG_INFINITY]);
        assert_eq!(t.upper(), &[9.5, 5.0]);
        let edge = tightened_bounds(&b, &[1.0, 1.0]);
        assert_eq!(edge.lower()[0], 0.0);
        assert_eq!(edge.upper()[0], 5.5);
    }

    #[test]
    fn an_interrupted_fit_is_not_retried() {
        let a = RecoveryStrategyApplicator::new(3);
        let e = OptimizationError::interrupted().with_context("iteration", 2);
        assert!(RecoveryStrategyApplicator::plan(&e).is_empty());
        assert!(
            a.get_recovery_strategy(&e, &[1.0], 0, &Bounds::unbounded(1))
                .is_none()
        );
    }

    #[test]
    fn invalid_input_is_not_retried() {
        let a = RecoveryStrategyApplicator::new(2);
        let e: OptimizationError = homodyne_core::InvalidInput::EmptyData.into();
        assert!(
            a.get_recovery_strategy(&e, &[1.0], 0, &Bounds::unbounded(1))
                .is_none()
        );
    }
}

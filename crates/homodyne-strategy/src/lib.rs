//! Strategy selection and memory planning for homodyne fits.
//!
//! - [`strategy_for_size`]: the strategy the data size alone calls for.
//! - [`DatasetSizeStrategy::select_strategy`]: the same, then (optionally) checked against
//!   the memory budget, moving to a leaner strategy while the estimate does not fit.
//! - [`estimate_bytes`]: the one memory formula per strategy (see the [`memory`] module).
//! - [`available_memory_bytes`]: the memory budget from `sysinfo`, capped by a cgroup limit.
//! - [`build_streaming_config`]: batch size, epochs, checkpoints and fault tolerance for
//!   STREAMING.
//!
//! LARGE and CHUNKED are one strategy under two names (the Python `homodyne` package's
//! names for 1M-10M and 10M-100M points): the solver runs the same code for both and
//! [`estimate_bytes`] gives them the same bytes. (STANDARD differs from them only in how a
//! pass sums the Jacobian, by exact QR; no in-memory strategy holds the whole Jacobian, so
//! all three hold the same bytes, and when they do not fit the selector records each step
//! and ends on STREAMING.)
//!
//! ```
//! use homodyne_core::OptimizationStrategy;
//! use homodyne_strategy::{DatasetSizeStrategy, estimate_bytes, strategy_for_size};
//!
//! assert_eq!(strategy_for_size(500_000), OptimizationStrategy::Standard);
//! assert_eq!(strategy_for_size(5_000_000), OptimizationStrategy::Large);
//! assert_eq!(strategy_for_size(50_000_000), OptimizationStrategy::Chunked);
//! assert_eq!(strategy_for_size(500_000_000), OptimizationStrategy::Streaming);
//!
//! // LARGE and CHUNKED are the same strategy: the same memory estimate.
//! let (n, p, x_dim, weighted) = (5_000_000, 7, 1, false);
//! assert_eq!(
//!     estimate_bytes(OptimizationStrategy::Large, n, p, x_dim, weighted),
//!     estimate_bytes(OptimizationStrategy::Chunked, n, p, x_dim, weighted),
//! );
//!
//! // 20 million points and 7 parameters under a 64 MiB budget: the data alone
//! // (320 MB) do not fit, so the selector moves on to STREAMING and says why.
//! let selection =
//!     DatasetSizeStrategy::new(1).select_strategy(20_000_000, 7, None, true, Some(0.0625));
//! assert_eq!(selection.strategy, OptimizationStrategy::Streaming);
//! assert!(selection.reasons[0].starts_with("CHUNKED needs"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod memory;
pub mod streaming;

use homodyne_core::OptimizationStrategy;

pub use memory::{MemoryBudget, available_memory_bytes, estimate_bytes};
pub use streaming::{
    CheckpointSettings, FaultToleranceSettings, MAX_BATCH_SIZE, MIN_BATCH_SIZE, StreamingConfig,
    build_streaming_config,
};

/// Below this many points a fit runs STANDARD.
pub const LARGE_THRESHOLD: usize = 1_000_000;
/// From this many points the data are handled in chunks with progress (CHUNKED).
pub const CHUNKED_THRESHOLD: usize = 10_000_000;
/// Above this many points the data are streamed (STREAMING).
pub const STREAMING_THRESHOLD: usize = 100_000_000;

/// The strategy the data size alone calls for: STANDARD below 1M points, LARGE below
/// 10M, CHUNKED up to 100M, STREAMING above.
pub fn strategy_for_size(n_points: usize) -> OptimizationStrategy {
    if n_points < LARGE_THRESHOLD {
        OptimizationStrategy::Standard
    } else if n_points < CHUNKED_THRESHOLD {
        OptimizationStrategy::Large
    } else if n_points <= STREAMING_THRESHOLD {
        OptimizationStrategy::Chunked
    } else {
        OptimizationStrategy::Streaming
    }
}

/// The next leaner strategy: STANDARD -> LARGE -> CHUNKED -> STREAMING; `None` after
/// STREAMING.
pub fn leaner(strategy: OptimizationStrategy) -> Option<OptimizationStrategy> {
    match strategy {
        OptimizationStrategy::Standard => Some(OptimizationStrategy::Large),
        OptimizationStrategy::Large => Some(OptimizationStrategy::Chunked),
        OptimizationStrategy::Chunked => Some(OptimizationStrategy::Streaming),
        OptimizationStrategy::Streaming => None,
    }
}

/// What [`DatasetSizeStrategy::select_strategy`] chose, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StrategySelection {
    /// The strategy to run.
    pub strategy: OptimizationStrategy,
    /// Its memory estimate in bytes ([`estimate_bytes`]).
    pub estimated_bytes: u64,
    /// The budget it was compared with; `None` when memory was not checked.
    pub budget_bytes: Option<u64>,
    /// Why the selector moved away from the size-based strategy, one line a step.
    pub reasons: Vec<String>,
    /// Problems it could not avoid: an override, or even STREAMING's smallest batch, that
    /// does not fit the budget.
    pub warnings: Vec<String>,
}

/// Chooses a strategy from the data size and, optionally, the memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetSizeStrategy {
    /// Coordinates a point (the model's `x_dim`), for the memory estimate. Default 1.
    pub x_dim: usize,
    /// Worker threads the estimate assumes. Default [`memory::default_workers`].
    pub workers: usize,
    /// Whether the fit is weighted (carries `sigma`), for the memory estimate. Default
    /// false.
    pub weighted: bool,
}

impl Default for DatasetSizeStrategy {
    fn default() -> Self {
        Self {
            x_dim: 1,
            workers: memory::default_workers(),
            weighted: false,
        }
    }
}

impl DatasetSizeStrategy {
    /// A selector for points of `x_dim` coordinates, assuming the default worker count.
    pub fn new(x_dim: usize) -> Self {
        Self {
            x_dim,
            ..Self::default()
        }
    }

    fn estimate(&self, s: OptimizationStrategy, n: usize, p: usize) -> u64 {
        memory::estimate_bytes_with_workers(s, n, p, self.x_dim, self.weighted, self.workers)
    }

    /// Chooses the strategy for `n_points` points and `n_parameters` parameters.
    ///
    /// Without an override, the start is [`strategy_for_size`]. With `check_memory`, the
    /// estimate is compared with the budget (`memory_limit_gb` GiB when given, otherwise
    /// [`available_memory_bytes`]`().budget`) and, while it exceeds the budget, the
    /// selector moves to the [`leaner`] strategy, recording each step in `reasons`. When
    /// STREAMING's estimate (at [`MAX_BATCH_SIZE`]) still exceeds the budget a reason says
    /// so (the batch will be smaller); when even a [`MIN_BATCH_SIZE`] batch does not fit, a
    /// warning does.
    ///
    /// `strategy_override` always wins; with `check_memory`, a warning is recorded when its
    /// estimate exceeds the budget. Without `check_memory` nothing is compared and
    /// `budget_bytes` is `None`.
    pub fn select_strategy(
        &self,
        n_points: usize,
        n_parameters: usize,
        strategy_override: Option<OptimizationStrategy>,
        check_memory: bool,
        memory_limit_gb: Option<f64>,
    ) -> StrategySelection {
        let budget = check_memory.then(|| memory::budget_bytes(memory_limit_gb));
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();

        if let Some(strategy) = strategy_override {
            let estimated = self.estimate(strategy, n_points, n_parameters);
            if let Some(b) = budget
                && estimated > b
            {
                warnings.push(format!(
                    "strategy {strategy} was requested, but its estimate of {estimated} bytes \
                     for {n_points} points and {n_parameters} parameters exceeds the memory \
                     budget of {b} bytes"
                ));
            }
            return StrategySelection {
                strategy,
                estimated_bytes: estimated,
                budget_bytes: budget,
                reasons,
                warnings,
            };
        }

        let mut strategy = strategy_for_size(n_points);
        let mut estimated = self.estimate(strategy, n_points, n_parameters);
        if let Some(b) = budget {
            while estimated > b {
                let Some(next) = leaner(strategy) else {
                    break;
                };
                let next_estimate = self.estimate(next, n_points, n_parameters);
                reasons.push(format!(
                    "{strategy} needs an estimated {estimated} bytes, more than the budget of \
                     {b} bytes; trying {next} ({next_estimate} bytes)"
                ));
                strategy = next;
                estimated = next_estimate;
            }
            if estimated > b && strategy == OptimizationStrategy::Streaming {
                let smallest = memory::data_bytes_per_point(self.x_dim, true)
                    .saturating_mul(MIN_BATCH_SIZE.min(n_points) as u64)
                    .saturating_add(memory::overhead_bytes(
                        MIN_BATCH_SIZE.min(n_points),
                        n_parameters,
                        self.workers,
                    ))
                    .saturating_add(memory::BASE_BYTES);
                if smallest > b {
                    warnings.push(format!(
                        "even STREAMING with its smallest batch ({MIN_BATCH_SIZE} points) needs \
                         an estimated {smallest} bytes, more than the budget of {b} bytes"
                    ));
                } else {
                    reasons.push(format!(
                        "STREAMING with a full batch ({MAX_BATCH_SIZE} points) needs an \
                         estimated {estimated} bytes, more than the budget of {b} bytes; the \
                         batch must be smaller (see build_streaming_config)"
                    ));
                }
            }
        }
        StrategySelection {
            strategy,
            estimated_bytes: estimated,
            budget_bytes: budget,
            reasons,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptimizationStrategy::*;

    fn selector() -> DatasetSizeStrategy {
        DatasetSizeStrategy {
            x_dim: 1,
            workers: 2,
            weighted: false,
        }
    }

    #[test]
    fn thresholds() {
        for (n, s) in [
            (0, Standard),
            (999_999, Standard),
            (1_000_000, Large),
            (9_999_999, Large),
            (10_000_000, Chunked),
            (100_000_000, Chunked),
            (100_000_001, Streaming),
        ] {
            assert_eq!(strategy_for_size(n), s, "{n}");
            let sel = selector().select_strategy(n, 7, None, false, None);
            assert_eq!(sel.strategy, s, "{n}");
            assert_eq!(sel.budget_bytes, None);
            assert!(sel.reasons.is_empty() && sel.warnings.is_empty());
            assert_eq!(
                sel.estimated_bytes,
                memory::estimate_bytes_with_workers(s, n, 7, 1, false, 2)
            );
        }
    }

    #[test]
    fn a_generous_budget_changes_nothing() {
        let sel = selector().select_strategy(10_000_000, 7, None, true, Some(1e6));
        assert_eq!(sel.strategy, Chunked);
        assert_eq!(sel.budget_bytes, Some(memory::gb_to_bytes(1e6)));
        assert!(sel.reasons.is_empty() && sel.warnings.is_empty());
    }

    #[test]
    fn a_small_limit_forces_streaming() {
        let sel = selector().select_strategy(10_000_000, 7, None, true, Some(0.006));
        assert_eq!(sel.strategy, Streaming);
        assert_eq!(sel.budget_bytes, Some(memory::gb_to_bytes(0.006)));
        assert!(
            sel.reasons[0].starts_with("CHUNKED needs"),
            "{:?}",
            sel.reasons
        );
        // The full batch (100k points, 32 bytes each, 7.5 MB with the program's base) does
        // not fit 6.4 MB; a 1k batch (4.3 MB) does.
        assert_eq!(sel.reasons.len(), 2, "{:?}", sel.reasons);
        assert!(sel.warnings.is_empty(), "{:?}", sel.warnings);

        // From STANDARD every step is recorded.
        let limit = 0.0005;
        let sel = selector().select_strategy(500_000, 7, None, true, Some(limit));
        assert_eq!(sel.strategy, Streaming);
        let steps: Vec<_> = sel.reasons.iter().take(3).map(|r| &r[..5]).collect();
        assert_eq!(steps, ["STAND", "LARGE", "CHUNK"]);
    }

    #[test]
    fn a_limit_between_strategies_stops_at_streaming_without_complaint() {
        // Budget above STREAMING's full-batch estimate, below CHUNKED's.
        let s = selector();
        let streaming = memory::estimate_bytes_with_workers(Streaming, 50_000_000, 7, 1, false, 2);
        let gb = (streaming as f64 * 2.0) / memory::BYTES_PER_GB;
        let sel = s.select_strategy(50_000_000, 7, None, true, Some(gb));
        assert_eq!(sel.strategy, Streaming);
        assert_eq!(sel.estimated_bytes, streaming);
        assert_eq!(sel.reasons.len(), 1);
        assert!(sel.warnings.is_empty());
    }

    #[test]
    fn nothing_fits_gives_a_warning() {
        let sel = selector().select_strategy(10_000_000, 7, None, true, Some(1e-6));
        assert_eq!(sel.strategy, Streaming);
        assert_eq!(sel.warnings.len(), 1, "{:?}", sel.warnings);
    }

    #[test]
    fn override_wins_with_a_warning_when_it_does_not_fit() {
        let sel = selector().select_strategy(10_000_000, 7, Some(Standard), true, Some(0.001));
        assert_eq!(sel.strategy, Standard);
        assert!(sel.reasons.is_empty());
        assert_eq!(sel.warnings.len(), 1);
        assert!(sel.warnings[0].contains("STANDARD"), "{}", sel.warnings[0]);

        let sel = selector().select_strategy(10_000_000, 7, Some(Standard), true, Some(1e6));
        assert_eq!(sel.strategy, Standard);
        assert!(sel.warnings.is_empty());

        let sel = selector().select_strategy(10, 7, Some(Streaming), false, Some(1e-9));
        assert_eq!(sel.strategy, Streaming);
        assert_eq!(sel.budget_bytes, None);
        assert!(sel.warnings.is_empty());
    }

    #[test]
    fn the_machine_budget_is_used_without_a_limit() {
        let sel = selector().select_strategy(1000, 3, None, true, None);
        assert!(sel.budget_bytes.is_some());
    }

    #[test]
    fn leaner_order() {
        assert_eq!(leaner(Standard), Some(Large));
        assert_eq!(leaner(Large), Some(Chunked));
        assert_eq!(leaner(Chunked), Some(Streaming));
        assert_eq!(leaner(Streaming), None);
    }
}

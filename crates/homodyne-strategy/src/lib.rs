//! Strategy selection for homodyne fits.
//!
//! The size thresholds between strategies live here. Memory planning (choosing a leaner
//! strategy and a batch size from the memory actually available) is not implemented yet;
//! until it is, every fit runs the STANDARD path and the facade reports it so.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use homodyne_core::OptimizationStrategy;

/// Below this many points a fit holds the whole Jacobian (STANDARD).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(strategy_for_size(999_999), OptimizationStrategy::Standard);
        assert_eq!(strategy_for_size(1_000_000), OptimizationStrategy::Large);
        assert_eq!(strategy_for_size(10_000_000), OptimizationStrategy::Chunked);
        assert_eq!(
            strategy_for_size(100_000_000),
            OptimizationStrategy::Chunked
        );
        assert_eq!(
            strategy_for_size(100_000_001),
            OptimizationStrategy::Streaming
        );
    }
}

//! The four ways a fit can hold its data.

use std::fmt;

/// How a fit holds its data (see `shared/design/DESIGN.md`, section 1). Every strategy
/// runs the same exact solver; they differ only in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OptimizationStrategy {
    /// The whole Jacobian in memory (< 1M points).
    Standard,
    /// Data in memory, the Jacobian one chunk at a time (1M - 10M points).
    Large,
    /// As `Large`, with progress reporting, for 10M - 100M points.
    Chunked,
    /// Data read batch by batch from a source, constant memory (> 100M points).
    Streaming,
}

impl fmt::Display for OptimizationStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Standard => "STANDARD",
            Self::Large => "LARGE",
            Self::Chunked => "CHUNKED",
            Self::Streaming => "STREAMING",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_in_capitals() {
        assert_eq!(OptimizationStrategy::Standard.to_string(), "STANDARD");
        assert_eq!(OptimizationStrategy::Streaming.to_string(), "STREAMING");
    }
}

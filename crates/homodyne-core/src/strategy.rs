//! The four ways a fit can hold its data.

use std::fmt;

/// How a fit holds its data (the repository's `docs/design.md` explains why one solver
/// serves them all). Every strategy runs the same exact solver; they differ only in what
/// is held in memory and in how a linearisation pass sums the Jacobian.
///
/// | strategy | data | a linearisation pass |
/// |---|---|---|
/// | `Standard` | in memory | folds each chunk into `R` of `J = QR` by Householder |
/// | `Large`, `Chunked` | in memory | sums `J^T J` and `J^T f`, redone by the `R` fold when `cond(J) > 1e4` |
/// | `Streaming` | read batch by batch | as `Large`, one batch at a time |
///
/// No strategy holds the whole `N x P` Jacobian: every pass works chunk by chunk.
///
/// `Large` and `Chunked` are one strategy under two names: the same code, the same
/// memory estimate, the same bits. Both names exist because the Python `homodyne`
/// package, whose configuration files and `NLSQWrapper` API this project reads, names
/// them (LARGE from 1M points, CHUNKED from 10M), so a configuration or a report that
/// says either keeps working and reads the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OptimizationStrategy {
    /// Data in memory, each chunk folded by exact QR (chosen below 1M points).
    Standard,
    /// Data in memory, the normal equations summed chunk by chunk with an exact fallback
    /// (chosen from 1M to 10M points). The same strategy as `Chunked`, by another name.
    Large,
    /// An alias of `Large`: the same code and memory estimate (chosen from 10M to 100M
    /// points, the Python package's name for that range).
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

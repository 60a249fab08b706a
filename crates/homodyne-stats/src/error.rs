//! The error type of this crate.

/// Why batch statistics could not be created or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// The ring buffer was asked to hold no batches at all; it needs room for at least one.
    #[error("batch statistics need room for at least one batch, but max_size is 0")]
    ZeroCapacity,

    /// Restored statistics hold more recent batches than their buffer may keep.
    #[error("batch statistics hold {len} recent batches, more than their max_size of {max_size}")]
    TooManyRecords {
        /// The number of recent batches found.
        len: usize,
        /// The capacity of the ring buffer.
        max_size: usize,
    },

    /// Restored statistics contradict themselves, for instance successes and failures that
    /// do not add up to the number of batches. The checkpoint they came from is corrupt.
    #[error("inconsistent batch statistics: {0}")]
    Inconsistent(&'static str),
}

//! The settings of a streaming fit: batch size, fault tolerance, how passes sum the
//! Jacobian, and what a failed checkpoint does.

use crate::objective::Accumulation;

/// How a streaming fit reads its data and what it tolerates.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingSettings {
    /// Points per batch (the last batch may be shorter).
    pub batch_size: usize,
    /// Reads of a failing batch after the first, before it is excluded.
    pub max_retries_per_batch: usize,
    /// Smallest share of good batches with which the fit goes on.
    pub min_success_rate: f64,
    /// How each pass sums the Jacobian (the normal equations by default, redone exactly
    /// when too ill-conditioned, as for CHUNKED).
    pub accumulation: Accumulation,
    /// Stop the fit when a checkpoint cannot be saved (default: record the error in the
    /// diagnostics and go on).
    pub stop_on_checkpoint_error: bool,
}

impl Default for StreamingSettings {
    fn default() -> Self {
        Self {
            batch_size: 100_000,
            max_retries_per_batch: 2,
            min_success_rate: 0.5,
            accumulation: Accumulation::NormalEquations,
            stop_on_checkpoint_error: false,
        }
    }
}

//! The snapshot of batch statistics that a streaming fit reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::batch_record::BatchRecord;

/// A snapshot of [`BatchStatistics`](crate::BatchStatistics), taken by [`BatchStatistics::get_statistics`](crate::BatchStatistics::get_statistics).
///
/// Totals and averages cover every batch ever recorded; `recent_success_rate` and
/// `recent_batches` cover only the batches still in the ring buffer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Number of batches ever recorded.
    pub total_batches: u64,
    /// Number of those batches that succeeded.
    pub total_successes: u64,
    /// Number of those batches that failed.
    pub total_failures: u64,
    /// `total_successes / total_batches`, in `[0, 1]`; 1.0 when no batch was recorded.
    pub success_rate: f64,
    /// Success rate over the recent batches: the value of
    /// [`BatchStatistics::get_success_rate`](crate::BatchStatistics::get_success_rate).
    pub recent_success_rate: f64,
    /// Mean of the finite losses of successful batches; `None` when there is none. Failed
    /// batches, batches without a loss and non-finite losses (NaN, ±∞) do not count.
    pub average_loss: Option<f64>,
    /// Mean number of iterations over all batches; `None` when no batch was recorded.
    pub average_iterations: Option<f64>,
    /// Number of batches per error type, over all batches that reported one (successful
    /// ones included), with at most [`BatchStatistics::MAX_ERROR_TYPES`](crate::BatchStatistics::MAX_ERROR_TYPES) names plus
    /// [`BatchStatistics::OTHER_ERROR_TYPE`](crate::BatchStatistics::OTHER_ERROR_TYPE).
    pub error_distribution: BTreeMap<String, u64>,
    /// The records in the ring buffer, oldest first.
    pub recent_batches: Vec<BatchRecord>,
}

//! The bounded ring buffer of batch records and the running totals kept beside it, and
//! the snapshot of both that a streaming fit reports.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::batch_record::BatchRecord;
use crate::error::StatsError;
use crate::running_totals::{self, RunningTotals};

#[cfg(test)]
mod tests;

/// A snapshot of [`BatchStatistics`], taken by [`BatchStatistics::get_statistics`].
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
    /// [`BatchStatistics::get_success_rate`].
    pub recent_success_rate: f64,
    /// Mean of the finite losses of successful batches; `None` when there is none. Failed
    /// batches, batches without a loss and non-finite losses (NaN, ±∞) do not count.
    pub average_loss: Option<f64>,
    /// Mean number of iterations over all batches; `None` when no batch was recorded.
    pub average_iterations: Option<f64>,
    /// Number of batches per error type, over all batches that reported one (successful
    /// ones included), with at most [`BatchStatistics::MAX_ERROR_TYPES`] names plus
    /// [`BatchStatistics::OTHER_ERROR_TYPE`].
    pub error_distribution: BTreeMap<String, u64>,
    /// The records in the ring buffer, oldest first.
    pub recent_batches: Vec<BatchRecord>,
}

/// Statistics of the batches of a streaming fit, in memory bounded independently of the
/// number of batches.
///
/// Two kinds of state are kept:
///
/// - **Recent batches**: a ring buffer of the last [`max_size`](Self::max_size)
///   [`BatchRecord`]s. Recording a batch into a full buffer drops the oldest record.
///   [`get_success_rate`](Self::get_success_rate) is computed from these, so it follows
///   the current health of the fit rather than its whole history.
/// - **Running totals**, never dropped: the numbers of batches, successes and failures,
///   the mean finite loss of successful batches, the total number of iterations and the
///   error distribution. The error distribution is bounded too: it names at most
///   [`MAX_ERROR_TYPES`](Self::MAX_ERROR_TYPES) error types, and counts batches with any
///   further new error type under [`OTHER_ERROR_TYPE`](Self::OTHER_ERROR_TYPE).
///
/// Counters saturate at `u64::MAX` instead of overflowing; no real stream gets there.
///
/// # Checkpoints
///
/// `BatchStatistics` implements serde's `Serialize` and `Deserialize` so that a streaming
/// fit can store it in a checkpoint and resume with the same statistics. Deserialising
/// checks the invariants (a non-zero `max_size`, no more records than `max_size`,
/// successes and failures adding up to the batches, …) and fails with a [`StatsError`]
/// message when they do not hold. Two caveats depend on the format, not on this crate:
///
/// - Formats without NaN and infinities, such as JSON, write a non-finite `loss` of a
///   record as `null`, which reads back as `None`. The running totals never hold a
///   non-finite value, so they are unaffected.
/// - serde_json reads floats back bit for bit only with its `float_roundtrip` feature.
///
/// # Example
///
/// ```
/// use homodyne_stats::BatchStatistics;
///
/// let mut stats = BatchStatistics::new(2)?;
/// stats.record_batch(0, true, Some(0.5), 12, vec![], None);
/// stats.record_batch(1, false, None, 50, vec!["halve_step".into()], Some("NonFiniteLoss"));
/// stats.record_batch(2, true, Some(0.25), 8, vec![], None);
///
/// // The buffer holds the last two batches only ...
/// let recent: Vec<usize> = stats.recent_batches().map(|batch| batch.batch_idx).collect();
/// assert_eq!(recent, [1, 2]);
/// assert_eq!(stats.get_success_rate(), 0.5);
///
/// // ... while the totals cover all three.
/// let summary = stats.get_statistics();
/// assert_eq!(summary.total_batches, 3);
/// assert_eq!(summary.total_failures, 1);
/// assert!((summary.success_rate - 2.0 / 3.0).abs() < 1e-12);
/// assert_eq!(summary.average_loss, Some(0.375));
/// assert_eq!(summary.average_iterations, Some(70.0 / 3.0));
/// assert_eq!(summary.error_distribution["NonFiniteLoss"], 1);
/// # Ok::<(), homodyne_stats::StatsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedBatchStatistics")]
pub struct BatchStatistics {
    /// Capacity of the ring buffer; at least 1.
    max_size: usize,
    /// The ring buffer, oldest record first; never longer than `max_size`.
    recent_batches: VecDeque<BatchRecord>,
    totals: RunningTotals,
}

impl BatchStatistics {
    /// Capacity of the ring buffer of [`BatchStatistics::default`], as in the Python
    /// homodyne package.
    pub const DEFAULT_MAX_SIZE: usize = 100;

    /// Most error types the error distribution names; batches with a further new error
    /// type are counted under [`OTHER_ERROR_TYPE`](Self::OTHER_ERROR_TYPE). This bounds
    /// the memory of a stream whose error names carry varying details.
    pub const MAX_ERROR_TYPES: usize = running_totals::MAX_ERROR_TYPES;

    /// Key of the error distribution under which error types beyond the first
    /// [`MAX_ERROR_TYPES`](Self::MAX_ERROR_TYPES) are counted. An error type that is itself
    /// named `"other"` is counted there too, and does not use up one of the named slots.
    pub const OTHER_ERROR_TYPE: &'static str = running_totals::OTHER_ERROR_TYPE;

    /// Empty statistics whose ring buffer keeps the last `max_size` batches.
    ///
    /// # Errors
    ///
    /// [`StatsError::ZeroCapacity`] when `max_size` is 0.
    pub fn new(max_size: usize) -> Result<Self, StatsError> {
        if max_size == 0 {
            return Err(StatsError::ZeroCapacity);
        }
        Ok(Self {
            max_size,
            // Not preallocated: a huge `max_size` must not allocate before it is used.
            recent_batches: VecDeque::new(),
            totals: RunningTotals::default(),
        })
    }

    /// Capacity of the ring buffer: how many recent batches are kept.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Number of recent batches in the ring buffer, at most [`max_size`](Self::max_size).
    pub fn len(&self) -> usize {
        self.recent_batches.len()
    }

    /// Whether the ring buffer is empty, which happens only before the first batch or after
    /// [`clear`](Self::clear).
    pub fn is_empty(&self) -> bool {
        self.recent_batches.is_empty()
    }

    /// Number of batches ever recorded, including those dropped from the ring buffer.
    pub fn total_batches(&self) -> u64 {
        self.totals.batches
    }

    /// Records the outcome of one batch.
    ///
    /// The record is appended to the ring buffer, dropping the oldest record when the
    /// buffer already holds [`max_size`](Self::max_size) of them, and added to the running
    /// totals:
    ///
    /// - `loss` enters the mean loss only when the batch succeeded and the loss is finite;
    /// - `iterations` enters the mean iteration count whatever the outcome;
    /// - `error_type`, when given, is counted in the error distribution whatever the
    ///   outcome, since a successful batch may have recovered from an error.
    ///
    /// Any input is accepted: nothing here can fail or panic.
    pub fn record_batch(
        &mut self,
        batch_idx: usize,
        success: bool,
        loss: Option<f64>,
        iterations: usize,
        recovery_actions: Vec<String>,
        error_type: Option<&str>,
    ) {
        let record = BatchRecord {
            batch_idx,
            success,
            loss,
            iterations,
            recovery_actions,
            error_type: error_type.map(str::to_owned),
        };
        self.totals.add(&record);
        if self.recent_batches.len() >= self.max_size {
            self.recent_batches.pop_front();
        }
        self.recent_batches.push_back(record);
    }

    /// Fraction of the recent batches (those in the ring buffer) that succeeded, in
    /// `[0, 1]`.
    ///
    /// An empty buffer gives 1.0: with no batch there is no evidence of failure, and a
    /// streaming fit compares this rate with its minimum success rate, which must not stop
    /// a fit before its first batch. Use [`total_batches`](Self::total_batches) to tell
    /// "no batch yet" from "all recent batches succeeded".
    ///
    /// Takes time proportional to [`len`](Self::len).
    pub fn get_success_rate(&self) -> f64 {
        let successes = self
            .recent_batches
            .iter()
            .filter(|batch| batch.success)
            .count();
        fraction_or_one(successes as f64, self.recent_batches.len() as f64)
    }

    /// A snapshot of the running totals and of the ring buffer; see [`Statistics`] for
    /// what each field means.
    pub fn get_statistics(&self) -> Statistics {
        let totals = &self.totals;
        Statistics {
            total_batches: totals.batches,
            total_successes: totals.successes,
            total_failures: totals.failures,
            success_rate: fraction_or_one(totals.successes as f64, totals.batches as f64),
            recent_success_rate: self.get_success_rate(),
            average_loss: (totals.finite_losses > 0).then_some(totals.mean_finite_loss),
            average_iterations: (totals.batches > 0)
                .then(|| totals.iterations as f64 / totals.batches as f64),
            error_distribution: totals.error_distribution.clone(),
            recent_batches: self.recent_batches.iter().cloned().collect(),
        }
    }

    /// The records in the ring buffer, oldest first.
    pub fn recent_batches(
        &self,
    ) -> impl DoubleEndedIterator<Item = &BatchRecord> + ExactSizeIterator {
        self.recent_batches.iter()
    }

    /// Forgets every batch: empties the ring buffer and resets the running totals, as if
    /// newly created with the same [`max_size`](Self::max_size).
    pub fn clear(&mut self) {
        self.recent_batches.clear();
        self.totals = RunningTotals::default();
    }
}

impl Default for BatchStatistics {
    /// Empty statistics keeping the last [`DEFAULT_MAX_SIZE`](Self::DEFAULT_MAX_SIZE)
    /// batches.
    fn default() -> Self {
        Self {
            max_size: Self::DEFAULT_MAX_SIZE,
            recent_batches: VecDeque::new(),
            totals: RunningTotals::default(),
        }
    }
}

/// `part / whole`, or 1.0 when `whole` is zero (no evidence of failure).
fn fraction_or_one(part: f64, whole: f64) -> f64 {
    if whole == 0.0 { 1.0 } else { part / whole }
}

/// `BatchStatistics` as read from a checkpoint, before its invariants are checked.
/// Its fields must match those of `BatchStatistics` one for one.
#[derive(Deserialize)]
struct UncheckedBatchStatistics {
    max_size: usize,
    recent_batches: VecDeque<BatchRecord>,
    totals: RunningTotals,
}

impl TryFrom<UncheckedBatchStatistics> for BatchStatistics {
    type Error = StatsError;

    fn try_from(unchecked: UncheckedBatchStatistics) -> Result<Self, StatsError> {
        let UncheckedBatchStatistics {
            max_size,
            recent_batches,
            totals,
        } = unchecked;
        if max_size == 0 {
            return Err(StatsError::ZeroCapacity);
        }
        if recent_batches.len() > max_size {
            return Err(StatsError::TooManyRecords {
                len: recent_batches.len(),
                max_size,
            });
        }
        totals.check()?;
        let recent_successes = recent_batches.iter().filter(|batch| batch.success).count();
        let recent_failures = recent_batches.len() - recent_successes;
        if recent_successes as u64 > totals.successes || recent_failures as u64 > totals.failures {
            return Err(StatsError::Inconsistent(
                "the recent batches hold more successes or failures than were ever recorded",
            ));
        }
        Ok(Self {
            max_size,
            recent_batches,
            totals,
        })
    }
}

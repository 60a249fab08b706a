//! The bounded ring buffer of batch records and the running totals kept beside it.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::StatsError;

/// What happened to one batch of a streaming fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Index of the batch in the stream, as the caller numbered it.
    pub batch_idx: usize,
    /// Whether the fit of this batch succeeded.
    pub success: bool,
    /// Final loss of the batch fit, `None` when none was computed. Kept exactly as
    /// reported, even when it is not finite.
    pub loss: Option<f64>,
    /// Number of solver iterations the batch used.
    pub iterations: usize,
    /// Recovery actions applied to the batch, in the order they were applied; empty when
    /// none was needed.
    pub recovery_actions: Vec<String>,
    /// Name of the error the batch met, if any.
    pub error_type: Option<String>,
}

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
    pub const MAX_ERROR_TYPES: usize = 64;

    /// Key of the error distribution under which error types beyond the first
    /// [`MAX_ERROR_TYPES`](Self::MAX_ERROR_TYPES) are counted. An error type that is itself
    /// named `"other"` is counted there too, and does not use up one of the named slots.
    pub const OTHER_ERROR_TYPE: &'static str = "other";

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

/// Totals over every batch ever recorded; unlike the ring buffer, never dropped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct RunningTotals {
    batches: u64,
    successes: u64,
    failures: u64,
    /// Number of successful batches whose loss was finite.
    finite_losses: u64,
    /// Mean of those losses; 0 while there is none. A running mean rather than a sum, so
    /// that it stays finite (a sum of large losses could overflow to infinity, which
    /// formats such as JSON cannot store).
    mean_finite_loss: f64,
    /// Sum of the iterations of all batches, saturating.
    iterations: u64,
    /// Batches per error type, with at most `MAX_ERROR_TYPES` names besides
    /// `OTHER_ERROR_TYPE`.
    error_distribution: BTreeMap<String, u64>,
}

impl RunningTotals {
    fn add(&mut self, record: &BatchRecord) {
        self.batches = self.batches.saturating_add(1);
        if record.success {
            self.successes = self.successes.saturating_add(1);
            if let Some(loss) = record.loss.filter(|loss| loss.is_finite()) {
                self.include_finite_loss(loss);
            }
        } else {
            self.failures = self.failures.saturating_add(1);
        }
        let iterations = u64::try_from(record.iterations).unwrap_or(u64::MAX);
        self.iterations = self.iterations.saturating_add(iterations);
        if let Some(error_type) = &record.error_type {
            self.count_error(error_type);
        }
    }

    /// Updates the running mean: `mean_n = mean_{n-1} + (loss - mean_{n-1}) / n`, with
    /// both terms divided by `n` before subtracting so that no intermediate overflows,
    /// even for losses of opposite signs near `f64::MAX`.
    fn include_finite_loss(&mut self, loss: f64) {
        self.finite_losses = self.finite_losses.saturating_add(1);
        let n = self.finite_losses as f64;
        self.mean_finite_loss += loss / n - self.mean_finite_loss / n;
    }

    fn count_error(&mut self, error_type: &str) {
        if let Some(count) = self.error_distribution.get_mut(error_type) {
            *count = count.saturating_add(1);
            return;
        }
        // Past the cap, a new name is counted under OTHER_ERROR_TYPE. A type named "other"
        // lands in that entry either way, and uses up no named slot.
        let key = if self.named_error_types() < BatchStatistics::MAX_ERROR_TYPES {
            error_type
        } else {
            BatchStatistics::OTHER_ERROR_TYPE
        };
        let count = self.error_distribution.entry(key.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// Number of error types counted under their own name, `OTHER_ERROR_TYPE` excluded.
    fn named_error_types(&self) -> usize {
        let has_other = self
            .error_distribution
            .contains_key(BatchStatistics::OTHER_ERROR_TYPE);
        self.error_distribution.len() - usize::from(has_other)
    }

    /// Checks what [`add`](Self::add) guarantees, for totals read from a checkpoint.
    fn check(&self) -> Result<(), StatsError> {
        if self.successes.checked_add(self.failures) != Some(self.batches) {
            return Err(StatsError::Inconsistent(
                "successes and failures do not add up to the number of batches",
            ));
        }
        if self.finite_losses > self.successes {
            return Err(StatsError::Inconsistent(
                "more finite losses than successful batches",
            ));
        }
        if !self.mean_finite_loss.is_finite() {
            return Err(StatsError::Inconsistent("the mean loss is not finite"));
        }
        if self.finite_losses == 0 && self.mean_finite_loss != 0.0 {
            return Err(StatsError::Inconsistent(
                "a non-zero mean loss without any finite loss",
            ));
        }
        if self.named_error_types() > BatchStatistics::MAX_ERROR_TYPES {
            return Err(StatsError::Inconsistent(
                "more error types than MAX_ERROR_TYPES",
            ));
        }
        if self.error_distribution.values().any(|&count| count == 0) {
            return Err(StatsError::Inconsistent("an error type counted zero times"));
        }
        let errors = self
            .error_distribution
            .values()
            .try_fold(0_u64, |sum, &count| sum.checked_add(count));
        if errors.is_none_or(|errors| errors > self.batches) {
            return Err(StatsError::Inconsistent(
                "more errors counted than batches recorded",
            ));
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    const TOLERANCE: f64 = 1e-12;

    /// Records a batch with no recovery actions.
    fn record(
        stats: &mut BatchStatistics,
        batch_idx: usize,
        success: bool,
        loss: Option<f64>,
        iterations: usize,
        error_type: Option<&str>,
    ) {
        stats.record_batch(batch_idx, success, loss, iterations, vec![], error_type);
    }

    fn recent_indices(stats: &BatchStatistics) -> Vec<usize> {
        stats
            .recent_batches()
            .map(|batch| batch.batch_idx)
            .collect()
    }

    #[test]
    fn a_buffer_without_room_is_rejected() {
        assert_eq!(BatchStatistics::new(0), Err(StatsError::ZeroCapacity));
    }

    #[test]
    fn default_statistics_keep_the_default_number_of_batches() {
        let stats = BatchStatistics::default();
        assert_eq!(stats.max_size(), BatchStatistics::DEFAULT_MAX_SIZE);
        assert_eq!(BatchStatistics::DEFAULT_MAX_SIZE, 100);
        assert!(stats.is_empty());
        assert_eq!(stats, BatchStatistics::new(100).unwrap());
    }

    #[test]
    fn the_buffer_keeps_the_most_recent_batches_oldest_first() {
        let mut stats = BatchStatistics::new(3).unwrap();
        for batch_idx in 0..2 {
            record(&mut stats, batch_idx, true, Some(1.0), 5, None);
        }
        assert_eq!(recent_indices(&stats), [0, 1]);

        for batch_idx in 2..7 {
            record(&mut stats, batch_idx, true, Some(1.0), 5, None);
            assert!(stats.len() <= 3);
        }
        assert_eq!(stats.len(), 3);
        assert_eq!(recent_indices(&stats), [4, 5, 6]);
        assert_eq!(stats.total_batches(), 7);
        let snapshot: Vec<usize> = stats
            .get_statistics()
            .recent_batches
            .iter()
            .map(|batch| batch.batch_idx)
            .collect();
        assert_eq!(snapshot, [4, 5, 6]);
    }

    #[test]
    fn records_keep_what_was_reported() {
        let mut stats = BatchStatistics::new(1).unwrap();
        stats.record_batch(
            9,
            false,
            Some(2.5),
            17,
            vec!["halve_step".to_owned(), "reset_damping".to_owned()],
            Some("SingularJacobian"),
        );
        let expected = BatchRecord {
            batch_idx: 9,
            success: false,
            loss: Some(2.5),
            iterations: 17,
            recovery_actions: vec!["halve_step".to_owned(), "reset_damping".to_owned()],
            error_type: Some("SingularJacobian".to_owned()),
        };
        assert_eq!(stats.recent_batches().collect::<Vec<_>>(), [&expected]);
    }

    #[test]
    fn without_batches_the_success_rates_are_one_and_the_averages_absent() {
        let stats = BatchStatistics::new(4).unwrap();
        assert_eq!(stats.get_success_rate(), 1.0);
        let summary = stats.get_statistics();
        assert_eq!(summary.total_batches, 0);
        assert_eq!(summary.success_rate, 1.0);
        assert_eq!(summary.recent_success_rate, 1.0);
        assert_eq!(summary.average_loss, None);
        assert_eq!(summary.average_iterations, None);
        assert!(summary.error_distribution.is_empty());
        assert!(summary.recent_batches.is_empty());
    }

    #[test]
    fn overall_and_recent_success_rates_differ_once_the_buffer_wraps() {
        let mut stats = BatchStatistics::new(2).unwrap();
        record(&mut stats, 0, false, None, 50, None);
        record(&mut stats, 1, false, None, 50, None);
        record(&mut stats, 2, true, Some(1.0), 10, None);
        assert_eq!(stats.get_success_rate(), 0.5);
        record(&mut stats, 3, true, Some(1.0), 10, None);

        assert_eq!(stats.get_success_rate(), 1.0);
        let summary = stats.get_statistics();
        assert_eq!(summary.recent_success_rate, 1.0);
        assert_eq!(summary.success_rate, 0.5);
        assert_eq!(summary.total_successes, 2);
        assert_eq!(summary.total_failures, 2);
    }

    #[test]
    fn the_average_loss_ignores_failed_batches_and_non_finite_losses() {
        let mut stats = BatchStatistics::new(10).unwrap();
        record(&mut stats, 0, true, Some(1.0), 4, None);
        record(&mut stats, 1, true, Some(f64::NAN), 4, None);
        record(&mut stats, 2, true, Some(f64::INFINITY), 4, None);
        record(&mut stats, 3, true, Some(f64::NEG_INFINITY), 4, None);
        record(&mut stats, 4, true, None, 4, None);
        record(&mut stats, 5, false, Some(100.0), 4, None);
        assert_eq!(stats.get_statistics().average_loss, Some(1.0));

        record(&mut stats, 6, true, Some(3.0), 4, None);
        assert_eq!(stats.get_statistics().average_loss, Some(2.0));
    }

    #[test]
    fn only_failed_or_lossless_batches_give_no_average_loss() {
        let mut stats = BatchStatistics::new(10).unwrap();
        record(&mut stats, 0, false, Some(1.0), 4, None);
        record(&mut stats, 1, true, None, 4, None);
        record(&mut stats, 2, true, Some(f64::NAN), 4, None);
        assert_eq!(stats.get_statistics().average_loss, None);
    }

    #[test]
    fn the_averages_cover_batches_dropped_from_the_buffer() {
        let mut stats = BatchStatistics::new(1).unwrap();
        record(&mut stats, 0, true, Some(1.0), 10, None);
        record(&mut stats, 1, false, None, 40, None);
        record(&mut stats, 2, true, Some(2.0), 20, None);
        record(&mut stats, 3, true, Some(6.0), 30, None);

        let summary = stats.get_statistics();
        assert!((summary.average_loss.unwrap() - 3.0).abs() < TOLERANCE);
        assert_eq!(summary.average_iterations, Some(25.0));
    }

    #[test]
    fn huge_losses_do_not_overflow_the_average() {
        let mut stats = BatchStatistics::new(4).unwrap();
        record(&mut stats, 0, true, Some(f64::MAX), 1, None);
        record(&mut stats, 1, true, Some(f64::MAX), 1, None);
        assert_eq!(stats.get_statistics().average_loss, Some(f64::MAX));

        stats.clear();
        record(&mut stats, 0, true, Some(f64::MAX), 1, None);
        record(&mut stats, 1, true, Some(-f64::MAX), 1, None);
        assert_eq!(stats.get_statistics().average_loss, Some(0.0));
    }

    #[test]
    fn huge_iteration_counts_saturate_instead_of_overflowing() {
        let mut stats = BatchStatistics::new(4).unwrap();
        record(&mut stats, 0, true, None, usize::MAX, None);
        record(&mut stats, 1, true, None, usize::MAX, None);
        let average = stats.get_statistics().average_iterations.unwrap();
        assert!(average.is_finite());
        assert!(average > 0.0);
    }

    #[test]
    fn the_error_distribution_counts_every_batch_that_reported_an_error() {
        let mut stats = BatchStatistics::new(1).unwrap();
        record(&mut stats, 0, false, None, 5, Some("NonFiniteLoss"));
        record(&mut stats, 1, false, None, 5, Some("SingularJacobian"));
        record(&mut stats, 2, true, Some(1.0), 5, Some("NonFiniteLoss"));
        record(&mut stats, 3, false, None, 5, None);
        record(&mut stats, 4, true, Some(1.0), 5, None);

        let expected = BTreeMap::from([
            ("NonFiniteLoss".to_owned(), 2),
            ("SingularJacobian".to_owned(), 1),
        ]);
        assert_eq!(stats.get_statistics().error_distribution, expected);
    }

    #[test]
    fn error_types_beyond_the_cap_are_counted_as_other() {
        let mut stats = BatchStatistics::new(8).unwrap();
        for i in 0..BatchStatistics::MAX_ERROR_TYPES {
            record(&mut stats, i, false, None, 1, Some(&format!("Error{i}")));
        }
        let next = BatchStatistics::MAX_ERROR_TYPES;
        record(&mut stats, next, false, None, 1, Some("Unseen1"));
        record(&mut stats, next + 1, false, None, 1, Some("Unseen2"));
        record(&mut stats, next + 2, false, None, 1, Some("Error0"));

        let distribution = stats.get_statistics().error_distribution;
        assert_eq!(distribution.len(), BatchStatistics::MAX_ERROR_TYPES + 1);
        assert_eq!(distribution[BatchStatistics::OTHER_ERROR_TYPE], 2);
        assert_eq!(distribution["Error0"], 2);
        assert_eq!(distribution["Error63"], 1);
        assert!(!distribution.contains_key("Unseen1"));
        // The records themselves keep the real name.
        assert_eq!(
            stats
                .recent_batches()
                .nth_back(1)
                .unwrap()
                .error_type
                .as_deref(),
            Some("Unseen2")
        );
    }

    #[test]
    fn an_error_type_named_other_takes_no_named_slot() {
        let mut stats = BatchStatistics::new(8).unwrap();
        record(&mut stats, 0, false, None, 1, Some("other"));
        for i in 0..BatchStatistics::MAX_ERROR_TYPES {
            record(
                &mut stats,
                i + 1,
                false,
                None,
                1,
                Some(&format!("Error{i}")),
            );
        }
        let distribution = stats.get_statistics().error_distribution;
        assert_eq!(distribution.len(), BatchStatistics::MAX_ERROR_TYPES + 1);
        assert_eq!(distribution["Error63"], 1);
        assert_eq!(distribution[BatchStatistics::OTHER_ERROR_TYPE], 1);
    }

    #[test]
    fn clear_forgets_every_batch_but_keeps_the_capacity() {
        let mut stats = BatchStatistics::new(3).unwrap();
        record(&mut stats, 0, false, Some(1.0), 7, Some("NonFiniteLoss"));
        record(&mut stats, 1, true, Some(1.0), 7, None);
        stats.clear();
        assert_eq!(stats, BatchStatistics::new(3).unwrap());
        assert!(stats.is_empty());
        assert_eq!(stats.total_batches(), 0);
        assert_eq!(stats.max_size(), 3);
    }

    /// Statistics whose buffer has wrapped, with every kind of total non-trivial. Losses
    /// are chosen so that the mean is short in decimal and survives JSON exactly.
    fn wrapped_statistics() -> BatchStatistics {
        let mut stats = BatchStatistics::new(2).unwrap();
        record(&mut stats, 0, true, Some(0.5), 12, None);
        record(&mut stats, 1, false, None, 50, Some("NonFiniteLoss"));
        stats.record_batch(
            2,
            true,
            Some(0.25),
            8,
            vec!["halve_step".to_owned()],
            Some("SingularJacobian"),
        );
        stats
    }

    #[test]
    fn json_round_trip_restores_the_statistics() {
        let original = wrapped_statistics();
        let json = serde_json::to_string(&original).unwrap();
        let mut restored: BatchStatistics = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, original);

        // A restored fit carries on exactly as the original would have.
        let mut continued = original;
        record(&mut continued, 3, true, Some(0.125), 9, None);
        record(&mut restored, 3, true, Some(0.125), 9, None);
        assert_eq!(restored, continued);
    }

    #[test]
    fn json_round_trip_restores_a_snapshot() {
        let snapshot = wrapped_statistics().get_statistics();
        let json = serde_json::to_string(&snapshot).unwrap();
        let restored: Statistics = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, snapshot);
    }

    #[test]
    fn json_reads_a_non_finite_loss_back_as_none() {
        let mut stats = BatchStatistics::new(2).unwrap();
        record(&mut stats, 0, true, Some(f64::NAN), 3, None);
        let json = serde_json::to_string(&stats).unwrap();
        let restored: BatchStatistics = serde_json::from_str(&json).unwrap();
        assert_eq!(restored.recent_batches().next().unwrap().loss, None);
        assert_eq!(restored.get_statistics().average_loss, None);
    }

    #[test]
    fn deserialising_checks_the_invariants() {
        let mut json = serde_json::to_value(wrapped_statistics()).unwrap();
        json["max_size"] = 1.into();
        let error = serde_json::from_value::<BatchStatistics>(json).unwrap_err();
        assert!(
            error.to_string().contains(
                &StatsError::TooManyRecords {
                    len: 2,
                    max_size: 1
                }
                .to_string()
            ),
            "{error}"
        );
    }

    fn unchecked(stats: BatchStatistics) -> UncheckedBatchStatistics {
        UncheckedBatchStatistics {
            max_size: stats.max_size,
            recent_batches: stats.recent_batches,
            totals: stats.totals,
        }
    }

    #[test]
    fn consistent_statistics_are_accepted() {
        let stats = wrapped_statistics();
        assert_eq!(
            BatchStatistics::try_from(unchecked(stats.clone())),
            Ok(stats)
        );
        let empty = BatchStatistics::new(5).unwrap();
        assert_eq!(
            BatchStatistics::try_from(unchecked(empty.clone())),
            Ok(empty)
        );
    }

    #[test]
    fn each_kind_of_corruption_is_rejected() {
        type Corruption = fn(&mut UncheckedBatchStatistics);
        let inconsistent = StatsError::Inconsistent;
        let cases: [(Corruption, StatsError); 11] = [
            (|s| s.max_size = 0, StatsError::ZeroCapacity),
            (
                |s| s.max_size = 1,
                StatsError::TooManyRecords {
                    len: 2,
                    max_size: 1,
                },
            ),
            (
                |s| s.totals.batches += 1,
                inconsistent("successes and failures do not add up to the number of batches"),
            ),
            (
                |s| s.totals.finite_losses = s.totals.successes + 1,
                inconsistent("more finite losses than successful batches"),
            ),
            (
                |s| s.totals.mean_finite_loss = f64::INFINITY,
                inconsistent("the mean loss is not finite"),
            ),
            (
                |s| s.totals.finite_losses = 0,
                inconsistent("a non-zero mean loss without any finite loss"),
            ),
            (
                |s| {
                    for i in 0..BatchStatistics::MAX_ERROR_TYPES {
                        s.totals.error_distribution.insert(format!("Error{i}"), 1);
                    }
                },
                inconsistent("more error types than MAX_ERROR_TYPES"),
            ),
            (
                |s| {
                    s.totals.error_distribution.insert("Unseen".to_owned(), 0);
                },
                inconsistent("an error type counted zero times"),
            ),
            (
                |s| {
                    s.totals.error_distribution.insert("Unseen".to_owned(), 2);
                },
                inconsistent("more errors counted than batches recorded"),
            ),
            (
                |s| {
                    s.totals
                        .error_distribution
                        .insert("Unseen".to_owned(), u64::MAX);
                },
                inconsistent("more errors counted than batches recorded"),
            ),
            (
                |s| {
                    // Totals consistent in themselves, but with no success at all.
                    s.totals.successes = 0;
                    s.totals.failures = s.totals.batches;
                    s.totals.finite_losses = 0;
                    s.totals.mean_finite_loss = 0.0;
                },
                inconsistent(
                    "the recent batches hold more successes or failures than were ever recorded",
                ),
            ),
        ];
        for (corrupt, expected) in cases {
            let mut stats = unchecked(wrapped_statistics());
            corrupt(&mut stats);
            assert_eq!(
                BatchStatistics::try_from(stats),
                Err(expected.clone()),
                "{expected}"
            );
        }
    }

    /// What is recorded for one batch in the property tests.
    #[derive(Debug, Clone)]
    struct Outcome {
        success: bool,
        loss: Option<f64>,
        iterations: usize,
        recovery_actions: Vec<String>,
        error_type: Option<String>,
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        let loss = prop_oneof![
            Just(None),
            Just(Some(f64::NAN)),
            Just(Some(f64::INFINITY)),
            any::<f64>().prop_map(Some),
            (0.0..1e3).prop_map(Some),
        ];
        (
            any::<bool>(),
            loss,
            0usize..1000,
            vec("[a-z_]{1,8}", 0..3),
            proptest::option::of("[A-D]"),
        )
            .prop_map(
                |(success, loss, iterations, recovery_actions, error_type)| Outcome {
                    success,
                    loss,
                    iterations,
                    recovery_actions,
                    error_type,
                },
            )
    }

    /// A record with its loss as bits, so that NaN losses compare equal.
    fn comparable(
        record: &BatchRecord,
    ) -> (usize, bool, Option<u64>, usize, &[String], Option<&str>) {
        (
            record.batch_idx,
            record.success,
            record.loss.map(f64::to_bits),
            record.iterations,
            &record.recovery_actions,
            record.error_type.as_deref(),
        )
    }

    proptest! {
        #[test]
        fn the_buffer_stays_bounded_and_the_totals_consistent(
            max_size in 1usize..8,
            outcomes in vec(outcome(), 0..40),
        ) {
            let mut stats = BatchStatistics::new(max_size).unwrap();
            let mut pushed = Vec::new();
            for (batch_idx, outcome) in outcomes.into_iter().enumerate() {
                stats.record_batch(
                    batch_idx,
                    outcome.success,
                    outcome.loss,
                    outcome.iterations,
                    outcome.recovery_actions.clone(),
                    outcome.error_type.as_deref(),
                );
                pushed.push(BatchRecord {
                    batch_idx,
                    success: outcome.success,
                    loss: outcome.loss,
                    iterations: outcome.iterations,
                    recovery_actions: outcome.recovery_actions,
                    error_type: outcome.error_type,
                });

                prop_assert!(stats.len() <= max_size);
                let summary = stats.get_statistics();
                prop_assert_eq!(
                    summary.total_successes + summary.total_failures,
                    summary.total_batches
                );
                prop_assert!((0.0..=1.0).contains(&summary.success_rate));
                prop_assert!((0.0..=1.0).contains(&summary.recent_success_rate));
            }

            let kept = pushed.len().min(max_size);
            let expected: Vec<_> = pushed[pushed.len() - kept..].iter().map(comparable).collect();
            let actual: Vec<_> = stats.recent_batches().map(comparable).collect();
            prop_assert_eq!(actual, expected);

            let summary = stats.get_statistics();
            prop_assert_eq!(summary.total_batches, pushed.len() as u64);
            let successes = pushed.iter().filter(|batch| batch.success).count();
            prop_assert_eq!(summary.total_successes, successes as u64);
        }

        #[test]
        fn the_average_loss_is_the_mean_of_the_finite_losses_of_successes(
            outcomes in vec(outcome(), 1..60),
        ) {
            let mut stats = BatchStatistics::new(3).unwrap();
            let mut counted = Vec::new();
            for (batch_idx, outcome) in outcomes.into_iter().enumerate() {
                // Bounded losses, so that the naive sum below cannot overflow.
                let loss = outcome.loss.map(|loss| if loss.abs() > 1e3 { loss % 1e3 } else { loss });
                stats.record_batch(batch_idx, outcome.success, loss, 1, vec![], None);
                if outcome.success {
                    counted.extend(loss.filter(|loss| loss.is_finite()));
                }
            }
            let average = stats.get_statistics().average_loss;
            if counted.is_empty() {
                prop_assert_eq!(average, None);
            } else {
                let mean = counted.iter().sum::<f64>() / counted.len() as f64;
                let average = average.unwrap();
                prop_assert!((average - mean).abs() <= 1e-9 * (1.0 + mean.abs()), "{average} vs {mean}");
            }
        }
    }
}

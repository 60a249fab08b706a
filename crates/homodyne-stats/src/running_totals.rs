//! The totals over every batch ever recorded, which the ring buffer's dropping of old
//! records never touches, and the bound on the error distribution they keep.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::batch_record::BatchRecord;
use crate::error::StatsError;

/// Most error types the error distribution names (see `BatchStatistics::MAX_ERROR_TYPES`).
pub(crate) const MAX_ERROR_TYPES: usize = 64;

/// Key under which error types beyond the first [`MAX_ERROR_TYPES`] are counted (see
/// `BatchStatistics::OTHER_ERROR_TYPE`).
pub(crate) const OTHER_ERROR_TYPE: &str = "other";

/// Totals over every batch ever recorded; unlike the ring buffer, never dropped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct RunningTotals {
    pub(crate) batches: u64,
    pub(crate) successes: u64,
    pub(crate) failures: u64,
    /// Number of successful batches whose loss was finite.
    pub(crate) finite_losses: u64,
    /// Mean of those losses; 0 while there is none. A running mean rather than a sum, so
    /// that it stays finite (a sum of large losses could overflow to infinity, which
    /// formats such as JSON cannot store).
    pub(crate) mean_finite_loss: f64,
    /// Sum of the iterations of all batches, saturating.
    pub(crate) iterations: u64,
    /// Batches per error type, with at most `MAX_ERROR_TYPES` names besides
    /// `OTHER_ERROR_TYPE`.
    pub(crate) error_distribution: BTreeMap<String, u64>,
}

impl RunningTotals {
    /// Adds one batch to the totals.
    pub(crate) fn add(&mut self, record: &BatchRecord) {
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

    /// Counts one batch that reported `error_type`, under its name while fewer than
    /// [`MAX_ERROR_TYPES`] names are counted, else under [`OTHER_ERROR_TYPE`].
    fn count_error(&mut self, error_type: &str) {
        if let Some(count) = self.error_distribution.get_mut(error_type) {
            *count = count.saturating_add(1);
            return;
        }
        // Past the cap, a new name is counted under OTHER_ERROR_TYPE. A type named "other"
        // lands in that entry either way, and uses up no named slot.
        let key = if self.named_error_types() < MAX_ERROR_TYPES {
            error_type
        } else {
            OTHER_ERROR_TYPE
        };
        let count = self.error_distribution.entry(key.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// Number of error types counted under their own name, `OTHER_ERROR_TYPE` excluded.
    fn named_error_types(&self) -> usize {
        let has_other = self.error_distribution.contains_key(OTHER_ERROR_TYPE);
        self.error_distribution.len() - usize::from(has_other)
    }

    /// Checks what [`add`](Self::add) guarantees, for totals read from a checkpoint.
    pub(crate) fn check(&self) -> Result<(), StatsError> {
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
        if self.named_error_types() > MAX_ERROR_TYPES {
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

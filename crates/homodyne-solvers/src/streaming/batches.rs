//! Reading a streamed batch and the failure policy: a batch that cannot be read, or holds
//! unusable values, is read again up to `max_retries_per_batch` times; the fit goes on
//! while the share of good batches stays at least `min_success_rate`.

use std::collections::BTreeMap;
use std::ops::Range;

use homodyne_core::{Batch, Context, Model, OptimizationError};

use super::checks::invalid_data;
use super::objective::StreamingObjective;

impl<M: Model + ?Sized> StreamingObjective<'_, M> {
    /// Reads the points of `range` into `batch` and, when `check`, checks the values,
    /// retrying; the number of reads made, or that and why the batch failed.
    pub(super) fn read_valid(
        &self,
        range: Range<usize>,
        batch: &mut Batch,
        check: bool,
    ) -> Result<usize, (usize, BatchFailure)> {
        let mut last = None;
        for attempt in 1..=self.settings.max_retries_per_batch + 1 {
            let failure = match self.source.read(range.clone(), batch) {
                Err(e) => BatchFailure {
                    kind: "read_error",
                    message: e.to_string(),
                },
                Ok(()) if !check => return Ok(attempt),
                Ok(()) => match invalid_data(batch, range.start, self.source.x_dim()) {
                    None => return Ok(attempt),
                    Some(message) => BatchFailure {
                        kind: "invalid_data",
                        message,
                    },
                },
            };
            last = Some(failure);
        }
        Err((
            self.settings.max_retries_per_batch + 1,
            last.expect("at least one read"),
        ))
    }

    pub(super) fn check_success_rate(
        &self,
        failed: &BTreeMap<usize, String>,
        n_batches: usize,
    ) -> Result<(), OptimizationError> {
        let good = n_batches - failed.len().min(n_batches);
        let rate = good as f64 / n_batches.max(1) as f64;
        if rate >= self.settings.min_success_rate {
            return Ok(());
        }
        let listed: Vec<String> = failed
            .iter()
            .take(10)
            .map(|(b, why)| format!("batch {b}: {why}"))
            .collect();
        let more = failed.len().saturating_sub(listed.len());
        Err(OptimizationError::InvalidInput {
            problem: homodyne_core::InvalidInput::TooManyFailedBatches {
                failed: failed.len(),
                total: n_batches,
                min_success_rate: self.settings.min_success_rate,
                details: if more > 0 {
                    format!("{}; and {more} more", listed.join("; "))
                } else {
                    listed.join("; ")
                },
            },
            context: Context::new().with("source", self.source.describe()).with(
                "failed_batches",
                format!("{:?}", failed.keys().collect::<Vec<_>>()),
            ),
        })
    }
}

/// Why a batch failed: a short kind (for the statistics) and the message.
pub(super) struct BatchFailure {
    pub(super) kind: &'static str,
    pub(super) message: String,
}

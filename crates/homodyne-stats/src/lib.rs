//! Batch statistics for streaming homodyne fits.
//!
//! A streaming fit processes its data in batches and needs to know how the recent batches
//! went (to decide whether the fit is still healthy) and how the whole run went (to report
//! it). [`BatchStatistics`] keeps both in memory that does not grow with the number of
//! batches:
//!
//! - a ring buffer of the last `max_size` [`BatchRecord`]s, from which the *recent* success
//!   rate is computed;
//! - running totals that are never dropped: batches, successes, failures, the mean finite
//!   loss of successful batches, the iteration count and a capped distribution of error
//!   types.
//!
//! [`BatchStatistics::get_statistics`] takes a [`Statistics`] snapshot of both. The names
//! mirror the `BatchStatistics` class of the Python homodyne package.
//!
//! `BatchStatistics` is serialisable so that a streaming fit can store it in a checkpoint;
//! deserialising checks its invariants and rejects inconsistent data with a [`StatsError`].
//!
//! # Example
//!
//! Five batches through a buffer of three: the recent success rate covers the last three,
//! the totals all five, and the statistics survive a checkpoint's round trip.
//!
//! ```
//! use homodyne_stats::BatchStatistics;
//!
//! let mut stats = BatchStatistics::new(3)?;
//! for batch in 0..5 {
//!     let success = batch != 2;
//!     let loss = success.then_some(1.0 / (batch + 1) as f64);
//!     let error = (!success).then_some("NonFiniteLoss");
//!     stats.record_batch(batch, success, loss, 10, vec![], error);
//! }
//! assert_eq!(stats.len(), 3);
//! assert_eq!(stats.total_batches(), 5);
//! assert!((stats.get_success_rate() - 2.0 / 3.0).abs() < 1e-12);
//! assert_eq!(stats.get_statistics().error_distribution["NonFiniteLoss"], 1);
//!
//! // Stored in a checkpoint and read back, its invariants checked on the way in.
//! let stored = serde_json::to_string(&stats).expect("statistics serialise");
//! let restored: BatchStatistics = serde_json::from_str(&stored).expect("consistent");
//! assert_eq!(restored.get_statistics().total_failures, 1);
//! # Ok::<(), homodyne_stats::StatsError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch_record;
mod batch_statistics;
mod error;
mod running_totals;

pub use batch_record::BatchRecord;
pub use batch_statistics::{BatchStatistics, Statistics};
pub use error::StatsError;

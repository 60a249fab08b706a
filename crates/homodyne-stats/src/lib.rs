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

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch_statistics;
mod error;

pub use batch_statistics::{BatchRecord, BatchStatistics, Statistics};
pub use error::StatsError;

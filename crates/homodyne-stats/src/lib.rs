//! Batch statistics for homodyne fits.
//!
//! **Not implemented yet.** This crate will hold the bounded ring buffer of per-batch
//! statistics used by the streaming strategy. It exports nothing today so that nothing can
//! be mistaken for working statistics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

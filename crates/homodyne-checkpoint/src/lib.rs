//! Checkpoint files for homodyne fits.
//!
//! **Not implemented yet.** This crate will hold the HDF5 checkpoint format (gzip datasets,
//! SHA-256 checksum, keep-last-N, version check) and resume; see
//! `shared/design/DESIGN.md`, section 4. It exports nothing today so that nothing can be
//! mistaken for a working checkpoint.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

//! The checkpoint file format: which datasets, how they are written, read and checksummed.
//!
//! Everything that knows about HDF5 lives here (and only here): [`write_file`] and
//! [`load_checkpoint`] are the entry points the manager uses. The layout
//! (`layout`, `fields`), the checks (`read`) and the checksum (`checksum`) are the
//! same for every backend; creating and opening datasets is left to a backend: `pure`
//! (rust-hdf5, the default) or `c` (the HDF5 C library through `hdf5-metno`, with the
//! `hdf5-c` feature). The checksum is computed from the decoded values, not from HDF5
//! bytes, so it does not depend on the backend, and each backend reads the other's files.

mod backend;
#[cfg(feature = "hdf5-c")]
mod c;
mod checksum;
mod chunks;
mod fields;
mod layout;
// With the `hdf5-c` feature, rust-hdf5 is still built for the tests that check that each
// backend reads the other's files.
#[cfg(any(not(feature = "hdf5-c"), test))]
mod pure;
mod read;
mod write;

#[cfg(all(test, feature = "hdf5-c"))]
mod cross_backend_tests;
#[cfg(test)]
mod tests;

use std::path::Path;

pub(crate) use fields::Payload;
pub use layout::{FORMAT_VERSION, LIBRARY_VERSION};

use crate::checkpoint::Checkpoint;
use crate::error::CheckpointError;

/// The backend this build uses: the C library with the `hdf5-c` feature, else rust-hdf5.
#[cfg(feature = "hdf5-c")]
type Active = c::C;
#[cfg(not(feature = "hdf5-c"))]
type Active = pure::Pure;

/// Writes a complete checkpoint file at `path` (truncating anything there) and closes it.
/// Not atomic by itself: the manager writes to a temporary name, fsyncs and renames.
pub(crate) fn write_file(
    path: &Path,
    payload: &Payload<'_>,
    compress: bool,
) -> Result<(), CheckpointError> {
    write::write_with::<Active>(path, payload, compress)
}

/// Reads the checkpoint at `path`, checking it first.
///
/// # Errors
///
/// - [`CheckpointError::Io`] when the file cannot be opened (missing, permission denied);
/// - [`CheckpointError::NotHdf5`] when it is not an HDF5 file, or is truncated or damaged so
///   that it cannot be parsed;
/// - [`CheckpointError::VersionMismatch`] when its format major version is not this
///   library's (the error names both versions);
/// - [`CheckpointError::MissingField`] when a required dataset or group is absent (named);
/// - [`CheckpointError::Format`] when a dataset has the wrong type or shape or cannot be
///   read;
/// - [`CheckpointError::Corrupt`] when the checksum of the contents differs from the
///   stored one (the error names the file and both checksums).
pub fn load_checkpoint(path: &Path) -> Result<Checkpoint, CheckpointError> {
    read::read_with::<Active>(path)
}

/// Checks the checkpoint at `path` as [`load_checkpoint`] does, discarding the data.
///
/// # Errors
///
/// As [`load_checkpoint`].
pub fn validate_checkpoint(path: &Path) -> Result<(), CheckpointError> {
    load_checkpoint(path).map(drop)
}

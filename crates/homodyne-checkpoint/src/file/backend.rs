//! What an HDF5 library does for the checkpoint format: create a file's datasets
//! ([`Backend::write`]) and read them back ([`Source`]).

use std::fmt::Display;
use std::path::Path;

use super::fields::Field;
use crate::error::CheckpointError;
use crate::state::StateArray;

/// An HDF5 library that writes and reads checkpoint files: the only place that knows
/// which one. Both implementations store the same layout, so either reads the other's
/// files; the checks and the checksum are here, independent of the backend.
pub(crate) trait Backend {
    /// A file open for reading.
    type File: Source;

    /// Writes a complete file at `path` (truncating anything there): the groups
    /// [`GROUPS`](super::layout::GROUPS), every field of `fields` (absolute paths,
    /// sorted), chunked and deflated as [`chunking`](super::chunks::chunking) says, and
    /// the `checksum` string as [`CHECKSUM`](super::layout::CHECKSUM); then closes it.
    fn write(
        path: &Path,
        fields: &[Field<'_>],
        checksum: &str,
        compress: bool,
    ) -> Result<(), CheckpointError>;

    /// Opens the file at `path` (known to be a regular file) for reading:
    /// [`CheckpointError::Io`] when the operating system refuses,
    /// [`CheckpointError::NotHdf5`] when it cannot be parsed as HDF5.
    fn open(path: &Path) -> Result<Self::File, CheckpointError>;
}

/// The datasets of one open file. Errors name the file and the field:
/// [`CheckpointError::MissingField`] when the object is absent, [`CheckpointError::Format`]
/// when it cannot be opened or read as asked.
pub(crate) trait Source {
    /// The shape and elements of a string dataset.
    fn strings(&self, field: &str) -> Result<(Vec<usize>, Vec<String>), CheckpointError>;

    /// A float64 or int64 dataset with its shape as stored (not yet checked against the
    /// number of elements read).
    fn numbers(&self, field: &str) -> Result<StateArray, CheckpointError>;

    /// The names of the datasets directly in `group`, in any order.
    fn dataset_names(&self, group: &str) -> Result<Vec<String>, CheckpointError>;
}

/// The element types the format stores, as a backend recognises them in a datatype.
pub(crate) enum NumberKind {
    /// IEEE 754 binary64.
    F64,
    /// Signed 64-bit integers.
    I64,
}

/// The numeric dataset `field` of the file at `path` as a [`StateArray`] of `shape`: its
/// elements read by `read_f64` or `read_i64` as `kind` says. `kind` is `None` when the
/// backend found another `datatype`, which the error names.
pub(crate) fn numeric_array<E: Display>(
    (path, field): (&Path, &str),
    shape: Vec<usize>,
    (kind, datatype): (Option<NumberKind>, &dyn Display),
    read_f64: impl FnOnce() -> Result<Vec<f64>, E>,
    read_i64: impl FnOnce() -> Result<Vec<i64>, E>,
) -> Result<StateArray, CheckpointError> {
    let read_err = |e: E| CheckpointError::format(path, field, format!("cannot be read: {e}"));
    Ok(match kind {
        Some(NumberKind::F64) => StateArray::F64 {
            shape,
            data: read_f64().map_err(read_err)?,
        },
        Some(NumberKind::I64) => StateArray::I64 {
            shape,
            data: read_i64().map_err(read_err)?,
        },
        None => {
            return Err(CheckpointError::format(
                path,
                field,
                format!("has datatype {datatype}; the format stores float64 and int64 only"),
            ));
        }
    })
}

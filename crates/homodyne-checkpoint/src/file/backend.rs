//! What an HDF5 library does for the checkpoint format: create a file's datasets
//! ([`Backend::write`]) and read them back ([`Source`]).

use std::fmt::Display;
use std::path::Path;

use super::fields::Values;
use crate::error::CheckpointError;
use crate::state::StateArray;

/// An HDF5 library that writes and reads checkpoint files: the only place that knows
/// which one. Both implementations store the same layout, so either reads the other's
/// files; the layout walk, the checks and the checksum are written once, independent of
/// the backend ([`write_with`](super::write::write_with), [`read_with`](super::read::read_with)).
pub(crate) trait Backend {
    /// A file open for writing.
    type Writer: Writer;
    /// A file open for reading.
    type File: Source;

    /// Creates the file at `path` for writing, truncating anything there:
    /// [`CheckpointError::Io`] when the operating system refuses,
    /// [`CheckpointError::Format`] when the library cannot make an HDF5 file of it.
    fn create(path: &Path) -> Result<Self::Writer, CheckpointError>;

    /// Opens the file at `path` (known to be a regular file) for reading:
    /// [`CheckpointError::Io`] when the operating system refuses,
    /// [`CheckpointError::NotHdf5`] when it cannot be parsed as HDF5.
    fn open(path: &Path) -> Result<Self::File, CheckpointError>;
}

/// A checkpoint file open for writing: what the library does for each group and dataset
/// that [`write_with`](super::write::write_with) lays out.
pub(crate) trait Writer {
    /// A group of the file.
    type Group;
    /// The library's error.
    type Error;

    /// Creates the group `name` (a name in the root, no slash).
    fn create_group(&self, name: &str) -> Result<Self::Group, Self::Error>;

    /// Creates the dataset `name` in `group` (the root when `None`) and writes `values`
    /// into it: numbers with `shape` (chunked as `chunk` says and deflated at
    /// [`DEFLATE_LEVEL`](super::layout::DEFLATE_LEVEL) when it is given; an empty array is
    /// created without writing), a string as a variable-length UTF-8 string of shape `[1]`.
    fn write_dataset(
        &self,
        group: Option<&Self::Group>,
        name: &str,
        shape: &[usize],
        values: Values<'_>,
        chunk: Option<Vec<usize>>,
    ) -> Result<(), Self::Error>;

    /// Closes the file, flushing everything.
    fn close(self) -> Result<(), Self::Error>;

    /// The error of writing the object `field` (an absolute path) of the file at `path`.
    fn error(path: &Path, field: &str, e: Self::Error) -> CheckpointError;
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

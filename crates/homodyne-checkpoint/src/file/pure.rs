//! The pure-Rust backend: `rust-hdf5` writes and reads the files; nothing needs the HDF5 C
//! library. The default; with the `hdf5-c` feature it is compiled only for the tests that
//! check that the two backends read each other's files.

use std::path::{Path, PathBuf};

use rust_hdf5::dataset::DatasetBuilder;
use rust_hdf5::{DatatypeMessage, H5Dataset, H5File, H5Group, H5Type, Hdf5Error};

use super::backend::{Backend, NumberKind, Source, Writer, numeric_array};
use super::fields::Values;
use super::layout::DEFLATE_LEVEL;
use crate::error::CheckpointError;
use crate::state::StateArray;

/// The `rust-hdf5` backend.
pub(super) enum Pure {}

impl Backend for Pure {
    type Writer = H5File;
    type File = PureFile;

    fn create(path: &Path) -> Result<H5File, CheckpointError> {
        H5File::create(path).map_err(|e| match e {
            Hdf5Error::Io(io) => CheckpointError::io(path, "create", io),
            other => CheckpointError::format(path, "/", format!("cannot create the file: {other}")),
        })
    }

    fn open(path: &Path) -> Result<PureFile, CheckpointError> {
        let file = H5File::open(path).map_err(|e| match e {
            Hdf5Error::Io(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => {
                CheckpointError::io(path, "open", io)
            }
            Hdf5Error::Io(io) => CheckpointError::NotHdf5 {
                path: path.to_path_buf(),
                message: format!("the file ends early ({io}); it is probably truncated"),
            },
            other => CheckpointError::NotHdf5 {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        })?;
        Ok(PureFile {
            path: path.to_path_buf(),
            file,
        })
    }
}

impl Writer for H5File {
    type Group = H5Group;
    type Error = Hdf5Error;

    fn create_group(&self, name: &str) -> Result<H5Group, Hdf5Error> {
        H5File::create_group(self, name)
    }

    fn write_dataset(
        &self,
        group: Option<&H5Group>,
        name: &str,
        shape: &[usize],
        values: Values<'_>,
        chunk: Option<Vec<usize>>,
    ) -> Result<(), Hdf5Error> {
        match (values, group) {
            (Values::Str(s), Some(g)) => g.write_vlen_strings(name, &[s]).map(drop),
            (Values::Str(s), None) => self.write_vlen_strings(name, &[s]).map(drop),
            (Values::F64(d), Some(g)) => {
                write_numeric(g.new_dataset::<f64>(), name, shape, d, chunk)
            }
            (Values::F64(d), None) => {
                write_numeric(self.new_dataset::<f64>(), name, shape, d, chunk)
            }
            (Values::I64(d), Some(g)) => {
                write_numeric(g.new_dataset::<i64>(), name, shape, d, chunk)
            }
            (Values::I64(d), None) => {
                write_numeric(self.new_dataset::<i64>(), name, shape, d, chunk)
            }
        }
    }

    /// Flushes and fsyncs the file.
    fn close(self) -> Result<(), Hdf5Error> {
        H5File::close(self)
    }

    fn error(path: &Path, field: &str, e: Hdf5Error) -> CheckpointError {
        match e {
            Hdf5Error::Io(io) => CheckpointError::io(path, format!("write {field} to"), io),
            other => CheckpointError::format(path, field, format!("cannot be written: {other}")),
        }
    }
}

/// Creates `name` from `builder` with `shape` and writes `data`, chunked and deflated when
/// `chunk` is given.
fn write_numeric<T: H5Type>(
    builder: DatasetBuilder<T>,
    name: &str,
    shape: &[usize],
    data: &[T],
    chunk: Option<Vec<usize>>,
) -> rust_hdf5::Result<()> {
    let mut builder = builder.shape(shape);
    if let Some(chunk) = chunk {
        builder = builder.chunk(&chunk).deflate(DEFLATE_LEVEL);
    }
    let dataset = builder.create(name)?;
    if !data.is_empty() {
        dataset.write_raw(data)?;
    }
    Ok(())
}

/// A checkpoint file open for reading with `rust-hdf5`.
pub(super) struct PureFile {
    path: PathBuf,
    file: H5File,
}

impl PureFile {
    fn dataset(&self, field: &str) -> Result<H5Dataset, CheckpointError> {
        self.file
            .dataset(field.trim_start_matches('/'))
            .map_err(|e| match e {
                Hdf5Error::NotFound(_) => CheckpointError::missing(&self.path, field),
                other => {
                    CheckpointError::format(&self.path, field, format!("cannot be opened: {other}"))
                }
            })
    }
}

impl Source for PureFile {
    fn strings(&self, field: &str) -> Result<(Vec<usize>, Vec<String>), CheckpointError> {
        let dataset = self.dataset(field)?;
        let strings = dataset.read_strings().map_err(|e| {
            CheckpointError::format(
                &self.path,
                field,
                format!("cannot be read as a string: {e}"),
            )
        })?;
        Ok((dataset.shape(), strings))
    }

    fn numbers(&self, field: &str) -> Result<StateArray, CheckpointError> {
        let dataset = self.dataset(field)?;
        let shape = dataset.shape();
        let datatype = dataset.datatype().map_err(|e| {
            CheckpointError::format(
                &self.path,
                field,
                format!("has an unreadable datatype: {e}"),
            )
        })?;
        let kind = match &datatype {
            DatatypeMessage::FloatingPoint { size: 8, .. } => Some(NumberKind::F64),
            DatatypeMessage::FixedPoint {
                size: 8,
                signed: true,
                ..
            } => Some(NumberKind::I64),
            _ => None,
        };
        numeric_array(
            (&self.path, field),
            shape,
            (kind, &datatype),
            || dataset.read_numeric_as::<f64>(),
            || dataset.read_numeric_as::<i64>(),
        )
    }

    fn dataset_names(&self, group: &str) -> Result<Vec<String>, CheckpointError> {
        let handle = self
            .file
            .root_group()
            .group(group.trim_start_matches('/'))
            .map_err(|e| match e {
                Hdf5Error::NotFound(_) => CheckpointError::missing(&self.path, group),
                other => {
                    CheckpointError::format(&self.path, group, format!("cannot be opened: {other}"))
                }
            })?;
        handle.dataset_names().map_err(|e| {
            CheckpointError::format(&self.path, group, format!("cannot be listed: {e}"))
        })
    }
}

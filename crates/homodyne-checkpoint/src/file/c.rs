//! The HDF5 C library backend (`hdf5-c` feature), through the `hdf5-metno` binding.
//!
//! Same layout as the pure-Rust backend: the caller hands over the fields and the
//! checksum, this module only creates the groups and datasets (float64/int64 with the
//! field's shape, chunked and deflated when asked; variable-length UTF-8 strings of shape
//! `[1]`) and reads them back. Files are written in the HDF5 1.10 object formats, as
//! rust-hdf5 writes them (superblock version 3): readable by HDF5 1.10 and later, and with
//! compact chunk indexes, which keep a compressed checkpoint of 53 parameters at 13 kB
//! where the oldest formats take 31 kB.

use std::path::{Path, PathBuf};

use hdf5::types::{
    FixedAscii, FixedUnicode, FloatSize, IntSize, TypeDescriptor, VarLenArray, VarLenAscii,
    VarLenUnicode,
};
use hdf5::{Dataset, File, Group, H5Type, LocationType};

use super::backend::{Backend, NumberKind, Source, Writer, numeric_array};
use super::fields::Values;
use super::layout::DEFLATE_LEVEL;
use crate::error::CheckpointError;
use crate::state::StateArray;

/// [`DEFLATE_LEVEL`] as the C library takes it.
const DEFLATE: u8 = DEFLATE_LEVEL as u8;
const _: () = assert!(DEFLATE_LEVEL <= 9, "deflate levels are 0 to 9");

/// The HDF5 C library backend.
pub(super) enum C {}

impl Backend for C {
    type Writer = File;
    type File = CFile;

    fn create(path: &Path) -> Result<File, CheckpointError> {
        // Creating (truncating) the file with the standard library first turns an unwritable
        // path into an operating-system error; the C library would only say that it failed.
        std::fs::File::create(path).map_err(|e| CheckpointError::io(path, "create", e))?;
        File::with_options()
            .with_fapl(|fapl| fapl.libver_v110())
            .create(path)
            .map_err(|e| CheckpointError::format(path, "/", format!("cannot create the file: {e}")))
    }

    fn open(path: &Path) -> Result<CFile, CheckpointError> {
        // Opening it ourselves first reports permission problems as what they are; every
        // failure of the C library after that means the bytes are not a readable HDF5 file.
        std::fs::File::open(path).map_err(|e| CheckpointError::io(path, "open", e))?;
        let file = File::open(path).map_err(|e| CheckpointError::NotHdf5 {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(CFile {
            path: path.to_path_buf(),
            file,
        })
    }
}

impl Writer for File {
    type Group = Group;
    type Error = hdf5::Error;

    fn create_group(&self, name: &str) -> hdf5::Result<Group> {
        Group::create_group(self, name)
    }

    fn write_dataset(
        &self,
        group: Option<&Group>,
        name: &str,
        shape: &[usize],
        values: Values<'_>,
        chunk: Option<Vec<usize>>,
    ) -> hdf5::Result<()> {
        let parent: &Group = group.unwrap_or(self);
        match values {
            Values::Str(s) => write_string(parent, name, s),
            Values::F64(d) => write_numeric(parent, name, shape, d, chunk),
            Values::I64(d) => write_numeric(parent, name, shape, d, chunk),
        }
    }

    /// Flushes everything; the manager fsyncs the file afterwards.
    fn close(self) -> hdf5::Result<()> {
        File::close(self)
    }

    fn error(path: &Path, field: &str, e: hdf5::Error) -> CheckpointError {
        CheckpointError::format(path, field, format!("cannot be written: {e}"))
    }
}

/// Writes `value` as a variable-length UTF-8 string dataset of shape `[1]`.
fn write_string(parent: &Group, name: &str, value: &str) -> hdf5::Result<()> {
    let value: VarLenUnicode = value
        .parse()
        .map_err(|e| format!("the C library cannot store this string: {e}"))?;
    parent
        .new_dataset::<VarLenUnicode>()
        .shape([1])
        .create(name)?
        .write_raw(std::slice::from_ref(&value))
}

/// Creates `name` with `shape` and writes `data`, chunked and deflated when `chunk` is
/// given. Empty arrays are created without writing (nothing to write).
fn write_numeric<T: H5Type>(
    parent: &Group,
    name: &str,
    shape: &[usize],
    data: &[T],
    chunk: Option<Vec<usize>>,
) -> hdf5::Result<()> {
    let mut builder = parent.new_dataset::<T>();
    if let Some(chunk) = chunk {
        builder = builder.chunk(chunk).deflate(DEFLATE);
    }
    // An empty shape is a scalar dataspace.
    let dataset = builder.shape(shape).create(name)?;
    if !data.is_empty() {
        dataset.write_raw(data)?;
    }
    Ok(())
}

/// A checkpoint file open for reading with the HDF5 C library.
pub(super) struct CFile {
    path: PathBuf,
    file: File,
}

impl CFile {
    /// Whether every link on the way to `object` (an absolute path) exists.
    fn exists(&self, object: &str) -> bool {
        let mut prefix = String::new();
        object.trim_start_matches('/').split('/').all(|part| {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            self.file.link_exists(&prefix)
        })
    }

    /// The error for an object that cannot be opened: missing, or there but unreadable.
    fn open_error(&self, object: &str, e: &hdf5::Error) -> CheckpointError {
        if self.exists(object) {
            CheckpointError::format(&self.path, object, format!("cannot be opened: {e}"))
        } else {
            CheckpointError::missing(&self.path, object)
        }
    }

    fn dataset(
        &self,
        field: &str,
    ) -> Result<(Dataset, Vec<usize>, TypeDescriptor), CheckpointError> {
        let dataset = self
            .file
            .dataset(field)
            .map_err(|e| self.open_error(field, &e))?;
        let shape = dataset
            .space()
            .map_err(|e| {
                CheckpointError::format(&self.path, field, format!("has an unreadable shape: {e}"))
            })?
            .shape();
        let dtype = dataset
            .dtype()
            .and_then(|t| t.to_descriptor())
            .map_err(|e| {
                CheckpointError::format(
                    &self.path,
                    field,
                    format!("has an unreadable datatype: {e}"),
                )
            })?;
        Ok((dataset, shape, dtype))
    }
}

/// The bytes of every element of a variable-length string dataset, with `S` the string
/// type to read it as and `C` the one-byte string of the same character set.
///
/// HDF5 stores a variable-length string as a sequence of a one-byte base type. The C
/// library writes that base as an integer, rust-hdf5 as a one-byte string; HDF5 1.10 cannot
/// convert the latter into the former (h5py's newer HDF5 can), so when reading as `S`
/// fails, the dataset is read again as sequences of one-byte strings, which the C library
/// converts without trouble.
fn string_bytes<S: H5Type, C: H5Type + Copy>(
    dataset: &Dataset,
    string: fn(&S) -> &[u8],
    byte: fn(&C) -> &[u8],
) -> hdf5::Result<Vec<Vec<u8>>> {
    match dataset.read_raw::<S>() {
        Ok(strings) => Ok(strings.iter().map(|s| string(s).to_vec()).collect()),
        Err(first) => match dataset.read_raw::<VarLenArray<C>>() {
            Ok(sequences) => Ok(sequences
                .iter()
                .map(|seq| seq.iter().flat_map(|c| byte(c).iter().copied()).collect())
                .collect()),
            Err(_) => Err(first),
        },
    }
}

impl Source for CFile {
    fn strings(&self, field: &str) -> Result<(Vec<usize>, Vec<String>), CheckpointError> {
        let (dataset, shape, dtype) = self.dataset(field)?;
        let read_err = |e: String| {
            CheckpointError::format(
                &self.path,
                field,
                format!("cannot be read as a string: {e}"),
            )
        };
        // Through the bytes, never `as_str`: the binding does not check that what the file
        // holds is UTF-8, and a damaged file may hold anything.
        let bytes = match dtype {
            TypeDescriptor::VarLenUnicode => string_bytes::<VarLenUnicode, FixedUnicode<1>>(
                &dataset,
                VarLenUnicode::as_bytes,
                FixedUnicode::as_bytes,
            ),
            TypeDescriptor::VarLenAscii => string_bytes::<VarLenAscii, FixedAscii<1>>(
                &dataset,
                VarLenAscii::as_bytes,
                FixedAscii::as_bytes,
            ),
            other => {
                return Err(read_err(format!(
                    "its datatype is {other}, not a variable-length string"
                )));
            }
        }
        .map_err(|e| read_err(e.to_string()))?;
        let strings = bytes
            .into_iter()
            .map(String::from_utf8)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_err(format!("it is not UTF-8 ({e})")))?;
        Ok((shape, strings))
    }

    fn numbers(&self, field: &str) -> Result<StateArray, CheckpointError> {
        let (dataset, shape, dtype) = self.dataset(field)?;
        let kind = match dtype {
            TypeDescriptor::Float(FloatSize::U8) => Some(NumberKind::F64),
            TypeDescriptor::Integer(IntSize::U8) => Some(NumberKind::I64),
            _ => None,
        };
        numeric_array(
            (&self.path, field),
            shape,
            (kind, &dtype),
            || dataset.read_raw::<f64>(),
            || dataset.read_raw::<i64>(),
        )
    }

    fn dataset_names(&self, group: &str) -> Result<Vec<String>, CheckpointError> {
        let handle = self
            .file
            .group(group)
            .map_err(|e| self.open_error(group, &e))?;
        let names = handle.member_names().map_err(|e| {
            CheckpointError::format(&self.path, group, format!("cannot be listed: {e}"))
        })?;
        Ok(names
            .into_iter()
            .filter(|name| matches!(handle.loc_type_by_name(name), Ok(LocationType::Dataset)))
            .collect())
    }
}

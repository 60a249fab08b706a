//! An HDF5 file and its datasets, opened with typed errors and read as `f64`.
//!
//! The one place the workspace opens HDF5 files to read numbers: the streaming source
//! ([`Hdf5Source`](super::Hdf5Source)), the command line's whole loads and the XPCS
//! loader all go through [`Hdf5File::open`] and [`Hdf5File::dataset`], so every reader
//! accepts the same element types ([`ElementType`]: float64, float32, integers of 1 to 8
//! bytes, either byte order) and names problems alike (the file, the dataset path, and
//! for a missing dataset the datasets the file has).

use std::ops::Range;
use std::path::{Path, PathBuf};

use rust_hdf5::{DatatypeMessage, H5Dataset, H5File, H5Type, Hdf5Error};

use crate::element::{ByteOrder, ElementType, NumberKind};
use crate::error::DataError;

/// `/entry/x` for `entry/x` or `/entry/x`.
pub(crate) fn absolute(name: &str) -> String {
    format!("/{}", name.trim_start_matches('/'))
}

/// An HDF5 file opened for reading, with its path for messages.
pub struct Hdf5File {
    file: H5File,
    path: PathBuf,
}

impl std::fmt::Debug for Hdf5File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5File")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Hdf5File {
    /// Opens `path` for reading.
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] (dataset empty) when the file cannot be opened (missing,
    /// unreadable: the operating system's word), [`DataError::Format`] when it is not
    /// HDF5.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        // The operating system's word on a missing or unreadable file beats a parse error.
        std::fs::File::open(path).map_err(|source| DataError::Io {
            file: path.to_path_buf(),
            dataset: String::new(),
            action: "cannot open".to_owned(),
            source,
        })?;
        let file = H5File::open(path).map_err(|e| DataError::Format {
            file: path.to_path_buf(),
            dataset: String::new(),
            message: format!("cannot be read as HDF5 ({e}): give an HDF5 file"),
        })?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The file's path, as given to [`open`](Self::open).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `rust-hdf5` handle, for walking groups and attributes.
    pub fn handle(&self) -> &H5File {
        &self.file
    }

    /// The file's datasets as absolute paths (`/entry/x`), sorted.
    pub fn dataset_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .file
            .dataset_names()
            .iter()
            .map(|n| absolute(n))
            .collect();
        names.sort();
        names
    }

    /// Opens the numeric dataset at `name` (with or without a leading `/`).
    ///
    /// # Errors
    ///
    /// [`DataError::MissingDataset`] listing the file's datasets when there is none at
    /// `name`; [`DataError::UnsupportedDtype`] naming the element type in words when it
    /// is not a number type of [`ElementType`]; [`DataError::Hdf5`] when the dataset
    /// cannot be opened. Each names the file and the dataset (as an absolute path).
    pub fn dataset(&self, name: &str) -> Result<Hdf5Dataset, DataError> {
        let name = absolute(name);
        let error = |message: String| DataError::Hdf5 {
            file: self.path.clone(),
            dataset: name.clone(),
            message,
        };
        let dataset = self
            .file
            .dataset(name.trim_start_matches('/'))
            .map_err(|e| match e {
                Hdf5Error::NotFound(_) => DataError::MissingDataset {
                    file: self.path.clone(),
                    dataset: name.clone(),
                    available: self.dataset_names(),
                },
                other => error(format!("cannot be opened ({other})")),
            })?;
        let datatype = dataset
            .datatype()
            .map_err(|e| error(format!("cannot read its element type ({e})")))?;
        let element = element_type(&datatype).ok_or_else(|| DataError::UnsupportedDtype {
            file: self.path.clone(),
            dataset: name.clone(),
            dtype: describe_datatype(&datatype),
        })?;
        let shape = dataset.shape();
        let file_bytes = std::fs::metadata(&self.path).map_or(u64::MAX, |m| m.len());
        check_claims(&shape, dataset.chunk_dims().as_deref(), element, file_bytes)
            .map_err(error)?;
        Ok(Hdf5Dataset {
            dataset,
            file: self.path.clone(),
            name,
            element,
            shape,
        })
    }
}

/// The most a deflated dataset's bytes can expand: deflate's limit, 1032 to 1.
const MAX_EXPANSION: u64 = 1032;

/// The largest chunk HDF5 allows: 4 GiB.
const MAX_CHUNK_BYTES: u64 = 1 << 32;

/// `Err(why)` when a dataset of `shape` (and chunks of `chunk`) with `element` values
/// claims more than a file of `file_bytes` bytes can hold even deflated, or more elements
/// (or chunk bytes) than can be counted or than HDF5 allows: a damaged file, refused
/// before anything is allocated for it (a header's claim of 10^15 elements would
/// otherwise be allocated, or abort the process in the reading library).
fn check_claims(
    shape: &[usize],
    chunk: Option<&[usize]>,
    element: ElementType,
    file_bytes: u64,
) -> Result<(), String> {
    let size = element.size() as u64;
    let bytes = |dims: &[usize]| {
        dims.iter()
            .try_fold(size, |acc, &d| acc.checked_mul(d as u64))
    };
    let damaged = "; the file is damaged";
    // The row width (every dimension but the first) is counted on its own: with a first
    // dimension of 0 the whole product is 0 whatever the others claim.
    match (bytes(shape), bytes(shape.get(1..).unwrap_or(&[]))) {
        (Some(total), Some(_)) if total <= file_bytes.saturating_mul(MAX_EXPANSION) => {}
        _ => {
            return Err(format!(
                "claims shape {shape:?} of {size}-byte values, more than a file of \
                 {file_bytes} bytes can hold even compressed{damaged}"
            ));
        }
    }
    if let Some(chunk) = chunk {
        match bytes(chunk) {
            Some(chunk_bytes) if chunk_bytes <= MAX_CHUNK_BYTES => {}
            _ => {
                return Err(format!(
                    "claims chunks of {chunk:?} {size}-byte values, more than HDF5's \
                     4 GiB a chunk{damaged}"
                ));
            }
        }
    }
    Ok(())
}

/// The [`ElementType`] of an HDF5 datatype: IEEE floats of 4 or 8 bytes, integers of 1,
/// 2, 4 or 8 bytes; `None` for anything else (half floats, strings, compounds, ...).
pub fn element_type(datatype: &DatatypeMessage) -> Option<ElementType> {
    let order = |o: &rust_hdf5::ByteOrder| match o {
        rust_hdf5::ByteOrder::LittleEndian => ByteOrder::Little,
        rust_hdf5::ByteOrder::BigEndian => ByteOrder::Big,
    };
    match datatype {
        DatatypeMessage::FloatingPoint {
            size: 8,
            exponent_size: 11,
            mantissa_size: 52,
            byte_order,
            ..
        }
        | DatatypeMessage::FloatingPoint {
            size: 4,
            exponent_size: 8,
            mantissa_size: 23,
            byte_order,
            ..
        } => {
            let size = if matches!(datatype, DatatypeMessage::FloatingPoint { size: 8, .. }) {
                8
            } else {
                4
            };
            ElementType::new(NumberKind::Float, size, order(byte_order))
        }
        DatatypeMessage::FixedPoint {
            size,
            signed,
            byte_order,
            ..
        } => {
            let kind = if *signed {
                NumberKind::Signed
            } else {
                NumberKind::Unsigned
            };
            ElementType::new(kind, usize::try_from(*size).ok()?, order(byte_order))
        }
        _ => None,
    }
}

/// An HDF5 datatype in words, for messages: `64-bit float`, `32-bit signed integer
/// (big-endian)`, `16-bit float with 5 exponent and 10 mantissa bits`, `fixed-length
/// string`, ...
pub fn describe_datatype(datatype: &DatatypeMessage) -> String {
    if let Some(element) = element_type(datatype) {
        return element.to_string();
    }
    match datatype {
        DatatypeMessage::FixedPoint { size, signed, .. } => format!(
            "{}-bit {} integer",
            u64::from(*size) * 8,
            if *signed { "signed" } else { "unsigned" }
        ),
        DatatypeMessage::FloatingPoint {
            size,
            exponent_size,
            mantissa_size,
            ..
        } => format!(
            "{}-bit float with {exponent_size} exponent and {mantissa_size} mantissa bits",
            u64::from(*size) * 8
        ),
        DatatypeMessage::FixedString { .. } => "fixed-length string".to_owned(),
        DatatypeMessage::Compound { .. } => "compound".to_owned(),
        other => {
            // The variant's name, without its fields.
            let text = format!("{other:?}");
            let name = text.split([' ', '(', '{']).next().unwrap_or("unknown");
            format!("{name} (HDF5 datatype)")
        }
    }
}

/// A numeric dataset of an [`Hdf5File`], read whole or by hyperslab as `f64`.
pub struct Hdf5Dataset {
    dataset: H5Dataset,
    file: PathBuf,
    name: String,
    element: ElementType,
    shape: Vec<usize>,
}

impl std::fmt::Debug for Hdf5Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5Dataset")
            .field("file", &self.file)
            .field("name", &self.name)
            .field("element", &self.element)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

impl Hdf5Dataset {
    /// The dataset's path in its file, absolute (`/entry/x`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the dataset is in.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The stored element type.
    pub fn element_type(&self) -> ElementType {
        self.element
    }

    /// The dimensions (empty for a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Elements per row: the product of the dimensions after the first (1 for 1-D).
    pub fn row_width(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// Every element, in C (row-major) order, as `f64`.
    ///
    /// # Errors
    ///
    /// [`DataError::Hdf5`] naming the file and dataset when the data cannot be read.
    pub fn read_all(&self) -> Result<Vec<f64>, DataError> {
        let mut values = vec![0.0; self.shape.iter().product()];
        self.convert(&Selection::All, &mut values)
            .map_err(|e| self.error(format!("cannot be read ({e})")))?;
        Ok(values)
    }

    /// Rows `rows` (along the first dimension, every element of each) into `out`, which
    /// must hold `rows.len() * row_width()` values.
    ///
    /// # Errors
    ///
    /// [`DataError::Hdf5`] naming the file, the dataset and the rows when they lie past
    /// the end or cannot be read.
    pub fn read_rows(&self, rows: Range<usize>, out: &mut [f64]) -> Result<(), DataError> {
        let mut starts = vec![0; self.shape.len().max(1)];
        let mut counts = self.shape.clone();
        starts[0] = rows.start;
        match counts.first_mut() {
            Some(first) => *first = rows.len(),
            None => counts.push(rows.len()),
        }
        if out.is_empty() {
            return Ok(());
        }
        self.convert(&Selection::Slice(&starts, &counts), out)
            .map_err(|e| {
                self.error(format!(
                    "rows {}..{} cannot be read ({e})",
                    rows.start, rows.end
                ))
            })
    }

    /// The hyperslab of `counts` elements from `starts` (one of each per dimension) into
    /// `out`, which must hold the product of `counts` values, in C order.
    ///
    /// # Errors
    ///
    /// [`DataError::Hdf5`] naming the file and dataset when the selection lies outside
    /// the dataset, `out` has the wrong length, or the data cannot be read.
    pub fn read_slice(
        &self,
        starts: &[usize],
        counts: &[usize],
        out: &mut [f64],
    ) -> Result<(), DataError> {
        if out.is_empty() {
            return Ok(());
        }
        self.convert(&Selection::Slice(starts, counts), out)
            .map_err(|e| self.error(format!("cannot be read ({e})")))
    }

    /// The `rust-hdf5` handle.
    pub fn handle(&self) -> &H5Dataset {
        &self.dataset
    }

    fn error(&self, message: String) -> DataError {
        DataError::Hdf5 {
            file: self.file.clone(),
            dataset: self.name.clone(),
            message,
        }
    }

    /// Fills `out` with the elements of `selection`, read at their stored width (the
    /// byte order made this machine's by `rust-hdf5`) and converted to `f64`.
    fn convert(&self, selection: &Selection<'_>, out: &mut [f64]) -> Result<(), Hdf5Error> {
        use NumberKind::{Float, Signed, Unsigned};
        let d = &self.dataset;
        match (self.element.kind(), self.element.size()) {
            (Float, 8) => selection.read(d, out),
            (Float, 4) => widen::<f32>(d, selection, out, f64::from),
            (Signed, 1) => widen::<i8>(d, selection, out, f64::from),
            (Signed, 2) => widen::<i16>(d, selection, out, f64::from),
            (Signed, 4) => widen::<i32>(d, selection, out, f64::from),
            (Signed, 8) => widen::<i64>(d, selection, out, |v| v as f64),
            (Unsigned, 1) => widen::<u8>(d, selection, out, f64::from),
            (Unsigned, 2) => widen::<u16>(d, selection, out, f64::from),
            (Unsigned, 4) => widen::<u32>(d, selection, out, f64::from),
            (Unsigned, 8) => widen::<u64>(d, selection, out, |v| v as f64),
            _ => unreachable!("ElementType admits no other width"),
        }
    }
}

/// Which elements of a dataset to read.
enum Selection<'a> {
    /// Every element.
    All,
    /// The hyperslab of `counts` elements from `starts`.
    Slice(&'a [usize], &'a [usize]),
}

impl Selection<'_> {
    /// Reads the selected elements into `out` (of the stored width).
    fn read<T: H5Type>(&self, dataset: &H5Dataset, out: &mut [T]) -> Result<(), Hdf5Error> {
        match self {
            Selection::All => dataset.read_raw_into(out),
            Selection::Slice(starts, counts) => dataset.read_slice_into(out, starts, counts),
        }
    }
}

/// Reads the selection as `T` and converts each element with `to_f64`.
fn widen<T: H5Type + Copy + Default>(
    dataset: &H5Dataset,
    selection: &Selection<'_>,
    out: &mut [f64],
    to_f64: impl Fn(T) -> f64,
) -> Result<(), Hdf5Error> {
    let mut stored = vec![T::default(); out.len()];
    selection.read(dataset, &mut stored)?;
    for (o, &v) in out.iter_mut().zip(&stored) {
        *o = to_f64(v);
    }
    Ok(())
}

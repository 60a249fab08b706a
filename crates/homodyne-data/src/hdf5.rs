//! HDF5 files: datasets read by hyperslab, range of rows by range of rows, and written
//! batch by batch.
//!
//! Read and written with the pure-Rust `rust-hdf5` crate, so nothing needs the HDF5 C
//! library. Its hyperslab read fills the caller's buffer with the selected rows only: a
//! contiguous dataset costs one seek + read of the rows' bytes, a chunked one (any chunk
//! index, with or without deflate compression) reads and decodes only the chunks that
//! overlap the rows, through a 1 MiB chunk cache per dataset, so consecutive batches
//! that share a chunk decode it once.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use homodyne_core::{Batch, DataSource, SourceError};
use rust_hdf5::{ByteOrder, DatatypeMessage, H5Dataset, H5File, H5Group, Hdf5Error};

use crate::error::DataError;

/// How a dataset stores its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    F64,
    F32,
}

/// Which vector of the batch a dataset fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    X,
    Y,
    Sigma,
}

/// One of x, y, sigma: its dataset and how to read it.
#[derive(Debug, Clone)]
struct Field {
    target: Target,
    /// The dataset path as shown in messages, with a leading `/`.
    dataset: String,
    kind: Kind,
    /// Dimensions of the dataset (1, or 2 for an x of shape `(n, d)`).
    ndims: usize,
    /// Values per point.
    width: usize,
}

/// The open file, its datasets (in the order of the fields) and a float32 buffer, locked
/// while a batch is read.
struct Hdf5Io {
    _file: H5File,
    datasets: Vec<H5Dataset>,
    scratch: Vec<f32>,
}

/// Points read from datasets of an HDF5 file, range by range, by hyperslab: a batch costs
/// the bytes of its rows (contiguous datasets) or of the chunks overlapping them (chunked
/// datasets), never the whole dataset.
///
/// `x` is a dataset of shape `(n,)`, or `(n, d)` for `d` predictor values per point; `y`
/// and the optional `sigma` have shape `(n,)`. Values may be IEEE float64 or float32
/// (converted to `f64`), in either byte order. Every storage layout the `rust-hdf5` crate
/// reads is supported: contiguous, compact, and chunked under any chunk index, with or
/// without the deflate (gzip) and shuffle filters. Dataset paths may be nested
/// (`/exchange/data`), with or without the leading `/`.
///
/// ```
/// use homodyne_core::{Batch, DataSource};
/// use homodyne_data::{Hdf5Source, Hdf5Writer};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = std::env::temp_dir().join(format!("homodyne-h5-doc-{}.h5", std::process::id()));
/// // 100,000 points of /entry/x, /entry/y and /entry/sigma, filled 10,000 at a time.
/// Hdf5Writer::new(&path, 100_000)
///     .datasets("/entry/x", "/entry/y")
///     .sigma_dataset("/entry/sigma")
///     .batch_points(10_000)
///     .write(|range, batch| {
///         for (k, i) in range.enumerate() {
///             batch.x[k] = i as f64;
///             batch.y[k] = 3.0 * i as f64;
///             batch.sigma[k] = 0.25;
///         }
///     })?;
///
/// let source = Hdf5Source::open(&path, "/entry/x", "/entry/y", Some("/entry/sigma"))?;
/// assert_eq!(source.n_points(), 100_000);
/// let mut batch = Batch::default();
/// source.read(54_321..54_323, &mut batch)?;
/// assert_eq!(batch.x, [54_321.0, 54_322.0]);
/// assert_eq!(batch.y, [162_963.0, 162_966.0]);
/// assert_eq!(batch.sigma, [0.25, 0.25]);
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
pub struct Hdf5Source {
    path: PathBuf,
    fields: Vec<Field>,
    n_points: usize,
    x_dim: usize,
    has_sigma: bool,
    io: Mutex<Hdf5Io>,
}

impl std::fmt::Debug for Hdf5Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5Source")
            .field("path", &self.path)
            .field("fields", &self.fields)
            .field("n_points", &self.n_points)
            .field("x_dim", &self.x_dim)
            .field("has_sigma", &self.has_sigma)
            .finish_non_exhaustive()
    }
}

/// `/entry/x` for `entry/x` or `/entry/x`.
fn absolute(name: &str) -> String {
    format!("/{}", name.trim_start_matches('/'))
}

impl Hdf5Source {
    /// Opens `path` and the datasets `x_dataset`, `y_dataset` and, when given,
    /// `sigma_dataset`, checking their element types, shapes and lengths.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the file and the dataset when the file cannot be opened or
    /// is not HDF5, a dataset is missing (the error lists the file's datasets), holds
    /// values that are not float64 or float32, has the wrong number of dimensions, holds
    /// no points, or disagrees with `x` on the number of points.
    pub fn open(
        path: impl AsRef<Path>,
        x_dataset: &str,
        y_dataset: &str,
        sigma_dataset: Option<&str>,
    ) -> Result<Self, DataError> {
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

        let mut names = vec![(Target::X, x_dataset), (Target::Y, y_dataset)];
        if let Some(s) = sigma_dataset {
            names.push((Target::Sigma, s));
        }
        let mut fields = Vec::with_capacity(names.len());
        let mut datasets = Vec::with_capacity(names.len());
        let mut n_points = 0;
        let mut x_dim = 1;
        for (target, name) in names {
            let dataset_name = absolute(name);
            let (dataset, kind, shape) = open_dataset(&file, path, &dataset_name)?;
            let bad_shape = |expected: String| DataError::BadShape {
                file: path.to_path_buf(),
                dataset: dataset_name.clone(),
                shape: shape.clone(),
                expected,
            };
            let (rows, width) = match (target, shape.as_slice()) {
                (_, [n]) => (*n, 1),
                (Target::X, [n, d]) => (*n, *d),
                (Target::X, _) => {
                    return Err(bad_shape(
                        "give a 1-D dataset of shape (n,) or a 2-D dataset of shape (n, d), \
                         d values per point"
                            .to_owned(),
                    ));
                }
                _ => {
                    return Err(bad_shape(format!(
                        "give a 1-D dataset of shape ({n_points},), one value per point"
                    )));
                }
            };
            if target == Target::X {
                if width == 0 {
                    return Err(bad_shape(
                        "give at least one predictor value per point".to_owned(),
                    ));
                }
                if rows == 0 {
                    return Err(DataError::Empty {
                        file: path.to_path_buf(),
                        dataset: dataset_name,
                    });
                }
                n_points = rows;
                x_dim = width;
            } else if rows != n_points {
                return Err(DataError::LengthMismatch {
                    file: path.to_path_buf(),
                    dataset: dataset_name,
                    found: rows,
                    expected: n_points,
                    other: format!("x dataset {}", absolute(x_dataset)),
                });
            }
            fields.push(Field {
                target,
                dataset: dataset_name,
                kind,
                ndims: shape.len(),
                width,
            });
            datasets.push(dataset);
        }
        Ok(Self {
            path: path.to_path_buf(),
            fields,
            n_points,
            x_dim,
            has_sigma: sigma_dataset.is_some(),
            io: Mutex::new(Hdf5Io {
                _file: file,
                datasets,
                scratch: Vec::new(),
            }),
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens a dataset and checks that it holds IEEE float64 or float32 values.
fn open_dataset(
    file: &H5File,
    path: &Path,
    name: &str,
) -> Result<(H5Dataset, Kind, Vec<usize>), DataError> {
    let error = |message: String| DataError::Hdf5 {
        file: path.to_path_buf(),
        dataset: name.to_owned(),
        message,
    };
    let dataset = file
        .dataset(name.trim_start_matches('/'))
        .map_err(|e| match e {
            Hdf5Error::NotFound(_) => DataError::MissingDataset {
                file: path.to_path_buf(),
                dataset: name.to_owned(),
                available: dataset_listing(file),
            },
            other => error(format!("cannot be opened ({other})")),
        })?;
    let datatype = dataset
        .datatype()
        .map_err(|e| error(format!("cannot read its element type ({e})")))?;
    let kind = match datatype {
        DatatypeMessage::FloatingPoint {
            size: 8,
            exponent_size: 11,
            mantissa_size: 52,
            ..
        } => Kind::F64,
        DatatypeMessage::FloatingPoint {
            size: 4,
            exponent_size: 8,
            mantissa_size: 23,
            ..
        } => Kind::F32,
        other => {
            return Err(DataError::UnsupportedDtype {
                file: path.to_path_buf(),
                dataset: name.to_owned(),
                dtype: datatype_text(&other),
            });
        }
    };
    let shape = dataset.shape();
    Ok((dataset, kind, shape))
}

/// `64-bit float (big-endian)`, `32-bit signed integer`, ...
fn datatype_text(datatype: &DatatypeMessage) -> String {
    let order = |o: &ByteOrder| match o {
        ByteOrder::LittleEndian => "",
        ByteOrder::BigEndian => " (big-endian)",
    };
    match datatype {
        DatatypeMessage::FixedPoint {
            size,
            signed,
            byte_order,
            ..
        } => format!(
            "{}-bit {} integer{}",
            size * 8,
            if *signed { "signed" } else { "unsigned" },
            order(byte_order)
        ),
        DatatypeMessage::FloatingPoint {
            size,
            byte_order,
            exponent_size,
            mantissa_size,
            ..
        } => format!(
            "{}-bit float with {exponent_size} exponent and {mantissa_size} mantissa bits{}",
            size * 8,
            order(byte_order)
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

/// The file's datasets as absolute paths, sorted.
fn dataset_listing(file: &H5File) -> Vec<String> {
    let mut names: Vec<String> = file.dataset_names().iter().map(|n| absolute(n)).collect();
    names.sort();
    names
}

impl DataSource for Hdf5Source {
    fn n_points(&self) -> usize {
        self.n_points
    }

    fn x_dim(&self) -> usize {
        self.x_dim
    }

    fn has_sigma(&self) -> bool {
        self.has_sigma
    }

    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError> {
        SourceError::check_range(|| self.describe(), &range, self.n_points)?;
        let fail = |message: String| SourceError::new(self.describe(), &range, message);
        let m = range.len();
        batch.resize(m, self.x_dim, self.has_sigma);
        if m == 0 {
            return Ok(());
        }
        let mut io = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        let Hdf5Io {
            datasets, scratch, ..
        } = &mut *io;
        for (field, dataset) in self.fields.iter().zip(datasets.iter()) {
            let out = match field.target {
                Target::X => &mut batch.x,
                Target::Y => &mut batch.y,
                Target::Sigma => &mut batch.sigma,
            };
            let (starts, counts) = if field.ndims == 1 {
                (vec![range.start], vec![m])
            } else {
                (vec![range.start, 0], vec![m, field.width])
            };
            let result = match field.kind {
                Kind::F64 => dataset.read_slice_into::<f64>(out, &starts, &counts),
                Kind::F32 => {
                    scratch.resize(out.len(), 0.0);
                    dataset
                        .read_slice_into::<f32>(scratch, &starts, &counts)
                        .map(|()| {
                            for (o, &v) in out.iter_mut().zip(scratch.iter()) {
                                *o = f64::from(v);
                            }
                        })
                }
            };
            result
                .map_err(|e| fail(format!("{} [{}]: {e}", self.path.display(), field.dataset)))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self
            .fields
            .iter()
            .map(|f| {
                let role = match f.target {
                    Target::X => "x",
                    Target::Y => "y",
                    Target::Sigma => "sigma",
                };
                format!("{role} {}", f.dataset)
            })
            .collect();
        format!("HDF5 file {} ({})", self.path.display(), names.join(", "))
    }
}

// ---------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------

/// Writes float64 datasets x, y and optionally sigma of a known number of points to a new
/// HDF5 file, batch by batch: each batch is filled by a callback and written to its rows
/// (a hyperslab write) before the next is filled, so a file of any size is written
/// holding only one batch.
///
/// Datasets are contiguous by default (what reads fastest by range);
/// [`chunked`](Self::chunked) stores them in chunks instead, and [`deflate`](Self::deflate)
/// compresses the chunks. Dataset paths may be nested (`/entry/x`): missing groups are
/// created. The file is written by rust-hdf5 and reads in h5py and the HDF5 C library.
/// See [`Hdf5Source`] for an example.
#[derive(Debug, Clone)]
pub struct Hdf5Writer {
    path: PathBuf,
    n_points: usize,
    x_dim: usize,
    x: String,
    y: String,
    sigma: Option<String>,
    chunk_points: Option<usize>,
    deflate: Option<u32>,
    batch_points: usize,
}

impl Hdf5Writer {
    /// A writer of `n_points` points to `path` (created, or truncated), as datasets `/x`
    /// and `/y` (change with [`datasets`](Self::datasets)), contiguous, one predictor value
    /// per point, filled 65,536 points at a time.
    pub fn new(path: impl AsRef<Path>, n_points: usize) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            n_points,
            x_dim: 1,
            x: "/x".to_owned(),
            y: "/y".to_owned(),
            sigma: None,
            chunk_points: None,
            deflate: None,
            batch_points: 1 << 16,
        }
    }

    /// The paths of the x and y datasets.
    #[must_use]
    pub fn datasets(mut self, x: &str, y: &str) -> Self {
        self.x = absolute(x);
        self.y = absolute(y);
        self
    }

    /// Writes a sigma dataset too, at `path`.
    #[must_use]
    pub fn sigma_dataset(mut self, path: &str) -> Self {
        self.sigma = Some(absolute(path));
        self
    }

    /// Writes x as a 2-D dataset of shape `(n, x_dim)` (`x_dim` values per point) when
    /// `x_dim > 1`; x stays 1-D for `x_dim == 1`.
    #[must_use]
    pub fn x_dim(mut self, x_dim: usize) -> Self {
        self.x_dim = x_dim;
        self
    }

    /// Stores the datasets in chunks of `chunk_points` points (rows) instead of
    /// contiguously; the batch size is rounded to a multiple of it, so every chunk is
    /// written once, whole.
    #[must_use]
    pub fn chunked(mut self, chunk_points: usize) -> Self {
        self.chunk_points = Some(chunk_points);
        self
    }

    /// Compresses the chunks with deflate (gzip) at `level` (0 to 9); implies chunked
    /// storage (chunks of 65,536 points unless [`chunked`](Self::chunked) says otherwise).
    #[must_use]
    pub fn deflate(mut self, level: u32) -> Self {
        self.deflate = Some(level);
        self
    }

    /// Points filled and written per batch (default 65,536).
    #[must_use]
    pub fn batch_points(mut self, batch_points: usize) -> Self {
        self.batch_points = batch_points;
        self
    }

    /// Creates the file and writes every point, calling `fill(range, batch)` for one batch
    /// of points after another, in order. The batch comes sized for the range (`x` with
    /// `x_dim` values per point, `sigma` empty unless a sigma dataset is written); values
    /// the callback leaves alone are 0.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the file (and the dataset) when the settings are unusable
    /// (no points, zero sizes, a deflate level over 9), or the file cannot be created or
    /// written.
    pub fn write(self, mut fill: impl FnMut(Range<usize>, &mut Batch)) -> Result<(), DataError> {
        let setting = |message: String| DataError::Write {
            file: self.path.clone(),
            dataset: self.x.clone(),
            message,
        };
        if self.n_points == 0 {
            return Err(setting("no points to write: give n_points > 0".to_owned()));
        }
        if self.x_dim == 0 {
            return Err(setting("x_dim is 0: give at least 1".to_owned()));
        }
        if self.batch_points == 0 || self.chunk_points == Some(0) {
            return Err(setting(
                "a batch or chunk of 0 points: give at least 1".to_owned(),
            ));
        }
        if self.deflate.is_some_and(|level| level > 9) {
            return Err(setting("the deflate level must be 0 to 9".to_owned()));
        }
        let chunk = self
            .chunk_points
            .or(self.deflate.map(|_| 1 << 16))
            .map(|c| c.min(self.n_points));
        let batch_points = match chunk {
            Some(c) => self.batch_points.div_ceil(c) * c,
            None => self.batch_points,
        };

        let hdf5 = |dataset: &str, action: &str, e: Hdf5Error| DataError::Hdf5 {
            file: self.path.clone(),
            dataset: dataset.to_owned(),
            message: format!("{action}: {e}"),
        };
        let file = H5File::create(&self.path).map_err(|e| hdf5("", "cannot create the file", e))?;
        let mut specs = vec![(Target::X, self.x.as_str()), (Target::Y, self.y.as_str())];
        if let Some(s) = &self.sigma {
            specs.push((Target::Sigma, s.as_str()));
        }
        let mut datasets = Vec::with_capacity(specs.len());
        let mut groups = Vec::new();
        for &(target, name) in &specs {
            let width = if target == Target::X { self.x_dim } else { 1 };
            let shape = if width == 1 {
                vec![self.n_points]
            } else {
                vec![self.n_points, width]
            };
            let group = parent_group(&file, name, &mut groups)
                .map_err(|e| hdf5(name, "cannot create its group", e))?;
            let leaf = name.rsplit('/').next().unwrap_or(name);
            let mut builder = group.new_dataset::<f64>().shape(&shape);
            if let Some(c) = chunk {
                let chunk_dims = if width == 1 { vec![c] } else { vec![c, width] };
                builder = builder.chunk(&chunk_dims);
                if let Some(level) = self.deflate {
                    builder = builder.deflate(level);
                }
            }
            let dataset = builder
                .create(leaf)
                .map_err(|e| hdf5(name, "cannot create the dataset", e))?;
            datasets.push((target, name, width, dataset));
        }

        let mut batch = Batch::default();
        let mut start = 0;
        while start < self.n_points {
            let end = (start + batch_points).min(self.n_points);
            let m = end - start;
            batch.x.clear();
            batch.y.clear();
            batch.sigma.clear();
            batch.resize(m, self.x_dim, self.sigma.is_some());
            fill(start..end, &mut batch);
            for (target, name, width, dataset) in &datasets {
                let values = match target {
                    Target::X => &batch.x,
                    Target::Y => &batch.y,
                    Target::Sigma => &batch.sigma,
                };
                if values.len() != m * width {
                    return Err(DataError::Write {
                        file: self.path.clone(),
                        dataset: (*name).to_owned(),
                        message: format!(
                            "the fill callback left {} values for points {start}..{end}, \
                             which need {}: resize nothing, only set values",
                            values.len(),
                            m * width
                        ),
                    });
                }
                let (starts, counts) = if *width == 1 {
                    (vec![start], vec![m])
                } else {
                    (vec![start, 0], vec![m, *width])
                };
                dataset
                    .write_slice(&starts, &counts, values)
                    .map_err(|e| hdf5(name, &format!("cannot write points {start}..{end}"), e))?;
            }
            start = end;
        }
        drop(datasets);
        file.close()
            .map_err(|e| hdf5("", "cannot finish the file", e))
    }
}

/// The group that will hold dataset `path` (`/a/b/name` → group `/a/b`), created unless
/// `created` (the groups this writer made, in a new file) holds it.
fn parent_group(
    file: &H5File,
    path: &str,
    created: &mut Vec<String>,
) -> Result<H5Group, Hdf5Error> {
    let mut group = file.root_group();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut so_far = String::new();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        so_far.push('/');
        so_far.push_str(part);
        group = if created.contains(&so_far) {
            group.group(part)?
        } else {
            created.push(so_far.clone());
            group.create_group(part)?
        };
    }
    Ok(group)
}

/// Writes float64 datasets `/x` and `/y` of `n_points` points to a new HDF5 file at
/// `path`, contiguous, filling 65,536 points at a time with `fill(range, x, y)`; a
/// shorthand for [`Hdf5Writer`], which offers nested paths, sigma, 2-D x, chunking and
/// compression.
///
/// # Errors
///
/// As [`Hdf5Writer::write`].
pub fn write_hdf5_xy(
    path: impl AsRef<Path>,
    n_points: usize,
    mut fill: impl FnMut(Range<usize>, &mut [f64], &mut [f64]),
) -> Result<(), DataError> {
    Hdf5Writer::new(path, n_points).write(|range, batch| fill(range, &mut batch.x, &mut batch.y))
}

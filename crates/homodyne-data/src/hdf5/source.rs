//! [`Hdf5Source`]: x, y and sigma read from datasets of an HDF5 file, range by range.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use homodyne_core::{Batch, DataSource, SourceError};

use super::dataset::{Hdf5Dataset, Hdf5File, absolute};
use crate::element::ElementType;
use crate::error::DataError;
use crate::role::Role;

/// One of x, y, sigma: its dataset and how many values per point it holds.
#[derive(Debug)]
struct Field {
    role: Role,
    dataset: Hdf5Dataset,
    /// Values per point.
    width: usize,
}

/// Points read from datasets of an HDF5 file, range by range, by hyperslab: a batch costs
/// the bytes of its rows (contiguous datasets) or of the chunks overlapping them (chunked
/// datasets), never the whole dataset.
///
/// `x` is a dataset of shape `(n,)`, or `(n, d)` for `d` predictor values per point; `y`
/// and the optional `sigma` have shape `(n,)`. Values may be of any [`ElementType`]
/// (float64, float32, integers of 1 to 8 bytes, either byte order), converted to `f64`. Every storage layout the `rust-hdf5` crate
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
#[derive(Debug)]
pub struct Hdf5Source {
    path: PathBuf,
    fields: Vec<Field>,
    n_points: usize,
    x_dim: usize,
    has_sigma: bool,
    /// The open file, locked while a batch is read (its handle reads by seek + read).
    file: Mutex<Hdf5File>,
}

impl Hdf5Source {
    /// Opens `path` and the datasets `x_dataset`, `y_dataset` and, when given,
    /// `sigma_dataset`, checking their element types, shapes and lengths.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the file and the dataset when the file cannot be opened or
    /// is not HDF5, a dataset is missing (the error lists the file's datasets), holds
    /// values that are not numbers of an [`ElementType`], has the wrong number of
    /// dimensions, holds no points, or disagrees with `x` on the number of points.
    pub fn open(
        path: impl AsRef<Path>,
        x_dataset: &str,
        y_dataset: &str,
        sigma_dataset: Option<&str>,
    ) -> Result<Self, DataError> {
        let path = path.as_ref();
        let file = Hdf5File::open(path)?;
        let mut names = vec![(Role::X, x_dataset), (Role::Y, y_dataset)];
        if let Some(s) = sigma_dataset {
            names.push((Role::Sigma, s));
        }
        let mut fields = Vec::with_capacity(names.len());
        let mut n_points = 0;
        let mut x_dim = 1;
        for (role, name) in names {
            let dataset = file.dataset(name)?;
            let bad_shape = |expected: String| DataError::BadShape {
                file: path.to_path_buf(),
                dataset: dataset.name().to_owned(),
                shape: dataset.shape().to_vec(),
                expected,
            };
            let (rows, width) = match (role, dataset.shape()) {
                (_, [n]) => (*n, 1),
                (Role::X, [n, d]) => (*n, *d),
                (Role::X, _) => {
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
            if role == Role::X {
                if width == 0 {
                    return Err(bad_shape(
                        "give at least one predictor value per point".to_owned(),
                    ));
                }
                if rows == 0 {
                    return Err(DataError::Empty {
                        file: path.to_path_buf(),
                        dataset: dataset.name().to_owned(),
                    });
                }
                n_points = rows;
                x_dim = width;
            } else if rows != n_points {
                return Err(DataError::LengthMismatch {
                    file: path.to_path_buf(),
                    dataset: dataset.name().to_owned(),
                    found: rows,
                    expected: n_points,
                    other: format!("x dataset {}", absolute(x_dataset)),
                });
            }
            fields.push(Field {
                role,
                dataset,
                width,
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            fields,
            n_points,
            x_dim,
            has_sigma: sigma_dataset.is_some(),
            file: Mutex::new(file),
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The element type of each dataset read, as `(dataset path, element type)` pairs in
    /// the order x, y, sigma.
    pub fn element_types(&self) -> Vec<(&str, ElementType)> {
        self.fields
            .iter()
            .map(|f| (f.dataset.name(), f.dataset.element_type()))
            .collect()
    }
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
        batch.resize(range.len(), self.x_dim, self.has_sigma);
        if range.is_empty() {
            return Ok(());
        }
        // One read at a time on the file's handle.
        let _file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        for field in &self.fields {
            let out = field.role.values_mut(batch);
            debug_assert_eq!(out.len(), range.len() * field.width);
            field
                .dataset
                .read_rows(range.clone(), out)
                .map_err(|e| SourceError::new(self.describe(), &range, e.to_string()))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self
            .fields
            .iter()
            .map(|f| format!("{} {}", f.role.name(), f.dataset.name()))
            .collect();
        format!("HDF5 file {} ({})", self.path.display(), names.join(", "))
    }
}

//! [`Hdf5Writer`]: float64 datasets written batch by batch.

use std::ops::Range;
use std::path::{Path, PathBuf};

use homodyne_core::Batch;
use rust_hdf5::{H5File, H5Group, Hdf5Error};

use super::dataset::absolute;
use crate::error::DataError;
use crate::role::Role;

/// Writes float64 datasets x, y and optionally sigma of a known number of points to a new
/// HDF5 file, batch by batch: each batch is filled by a callback and written to its rows
/// (a hyperslab write) before the next is filled, so a file of any size is written
/// holding only one batch.
///
/// Datasets are contiguous by default (what reads fastest by range);
/// [`chunked`](Self::chunked) stores them in chunks instead, and [`deflate`](Self::deflate)
/// compresses the chunks. Dataset paths may be nested (`/entry/x`): missing groups are
/// created. The file is written by rust-hdf5 and reads in h5py and the HDF5 C library.
/// See [`Hdf5Source`](crate::Hdf5Source) for an example.
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
        let mut specs = vec![(Role::X, self.x.as_str()), (Role::Y, self.y.as_str())];
        if let Some(s) = &self.sigma {
            specs.push((Role::Sigma, s.as_str()));
        }
        let mut datasets = Vec::with_capacity(specs.len());
        let mut groups = Vec::new();
        for &(role, name) in &specs {
            let width = if role == Role::X { self.x_dim } else { 1 };
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
            datasets.push((role, name, width, dataset));
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
            for (role, name, width, dataset) in &datasets {
                let values = role.values(&batch);
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

//! File-backed data sources for streaming homodyne fits.
//!
//! A STREAMING fit reads its data batch by batch through [`homodyne_core::DataSource`];
//! this crate provides sources that read those batches from files, range by range,
//! without ever loading a whole array:
//!
//! - [`NpySource`]: NumPy `.npy` files (one per column, or one `(n, 2)`/`(n, 3)` table),
//!   float64 or float32 in either byte order, read by seek + read;
//! - [`Hdf5Source`]: datasets of an HDF5 file, float64 or float32, read by hyperslab
//!   (contiguous datasets read only the rows asked for, chunked ones only the chunks that
//!   overlap them).
//!
//! It also writes such files incrementally, for tests and benchmarks that need data sets
//! larger than memory: [`NpyWriter`] (and [`write_npy_f64`] for small arrays) and
//! [`Hdf5Writer`] (and [`write_hdf5_xy`]).
//!
//! Opening a source validates everything that can be checked up front (shapes, lengths,
//! element types, memory order, truncated files) and reports problems as a [`DataError`]
//! naming the file, the array or dataset, and what to do; a failed read later (a file
//! truncated or removed while the fit runs) is a [`SourceError`](homodyne_core::SourceError).
//!
//! # Example
//!
//! ```
//! use homodyne_core::{Batch, DataSource};
//! use homodyne_data::{NpySource, write_npy_f64};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("homodyne-data-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let (x_path, y_path) = (dir.join("x.npy"), dir.join("y.npy"));
//! let x: Vec<f64> = (0..1000).map(|i| i as f64 * 0.01).collect();
//! let y: Vec<f64> = x.iter().map(|x| 2.0 * x + 1.0).collect();
//! write_npy_f64(&x_path, &x, &[x.len()])?;
//! write_npy_f64(&y_path, &y, &[y.len()])?;
//!
//! let source = NpySource::open(&x_path, &y_path, None)?;
//! assert_eq!(source.n_points(), 1000);
//! let mut batch = Batch::default();
//! source.read(250..300, &mut batch)?;
//! assert_eq!(batch.x, x[250..300]);
//! assert_eq!(batch.y, y[250..300]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod element;
mod error;
mod hdf5;
mod npy;
mod role;
mod text;

pub use element::{ByteOrder, ElementType, NumberKind};
pub use error::{ColumnRef, DataError, name_list};
pub use hdf5::{
    Hdf5Dataset, Hdf5File, Hdf5Source, Hdf5Writer, describe_datatype, element_type, write_hdf5_xy,
};
pub use npy::{
    MemoryOrder, NpyArray, NpyElement, NpyHeader, NpySource, NpyValues, NpyWriter, NpzArchive,
    write_npy_f64,
};
pub use text::{TextTable, positional_column_name};

//! The homodyne I/O layer: every data file the workspace reads, whole or range by range.
//!
//! Three formats, each with one reader that serves both whole loads and range reads (a
//! STREAMING fit reads batch by batch through [`homodyne_core::DataSource`], a
//! distributed fit each process's share), so every path accepts the same element types
//! and reports the same errors:
//!
//! - NumPy `.npy` and `.npz`: [`NpyHeader`] (shape, element type, memory order, data
//!   offset; parsed with `npyz`), [`NpyArray`] (a whole array), [`NpzArchive`] (an
//!   archive's arrays), [`NpySource`] (x, y, sigma by seek + read, one file per quantity
//!   or one `(n, 2)`/`(n, 3)` table);
//! - HDF5: [`Hdf5File`] and [`Hdf5Dataset`] (open with typed errors, list datasets,
//!   read whole or by hyperslab), [`Hdf5Source`] (x, y, sigma by hyperslab: contiguous
//!   datasets read only the rows asked for, chunked ones only the chunks that overlap
//!   them);
//! - delimited text: [`TextTable`] (read whole: text cannot be read by row without what
//!   precedes it; its columns serve ranges as slices).
//!
//! Numbers may be of any [`ElementType`]: float64, float32, or integers of 1, 2, 4 or 8
//! bytes, signed or unsigned, little- or big-endian, in C or Fortran order; they are read
//! as `f64`.
//!
//! It also writes files incrementally, for tests and benchmarks that need data sets
//! larger than memory: [`NpyWriter`] (and [`write_npy_f64`] for small arrays) and
//! [`Hdf5Writer`] (and [`write_hdf5_xy`]).
//!
//! Opening a file validates everything that can be checked up front (shapes, lengths,
//! element types, truncated files) and reports problems as a [`DataError`] naming the
//! file, the array or dataset (or the 1-based line and column of a text file), and what
//! to do; a failed read later (a file truncated or removed while the fit runs) is a
//! [`SourceError`](homodyne_core::SourceError).
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

//! Data files: a [`Table`] of named numeric columns read from delimited text, a NumPy
//! `.npy` array, or 1-D datasets of an HDF5 file.
//!
//! The format comes from the extension: `.npy` is NumPy, `.h5`/`.hdf5`/`.nxs` is HDF5, and
//! anything else is delimited text. Columns without names of their own (text without a
//! header row, `.npy` arrays) are named by position: `x`, `y`, `c2`, `c3`, ... An HDF5
//! column is named by its dataset path.
//!
//! Every error is a [`DataError`] whose message is one line that says what to fix, with the
//! file, the line (or row) and the column where there is one.
//!
//! Reading is `homodyne_data`'s (one reader per format, the same element types for every
//! path: whole loads here, range reads in [`source`]); this module keeps what is the
//! command line's: which columns `--x`, `--y` and `--sigma` name, and the messages.

mod error;
mod load;
pub mod source;
mod table;
#[cfg(test)]
mod tests;

pub use error::DataError;
pub use homodyne_data::ColumnRef;
pub use load::Format;
pub use table::Table;

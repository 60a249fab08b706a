//! [`DataError`]: what can go wrong reading a data file, in one line naming the file.

use std::io;
use std::path::PathBuf;

use homodyne_data::name_list as list;

/// Everything that can go wrong reading a data file. Each message is one line naming the
/// file (and line and column where there is one) and saying what to fix.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file does not exist.
    #[error("{} does not exist: check the file name and the working directory", .file.display())]
    MissingFile {
        /// The path as given.
        file: PathBuf,
    },
    /// A column was asked for that the table does not have.
    #[error(
        "column '{column}' is not in {} (columns: {}){}",
        .file.display(),
        list(.available),
        if *.named_by_position {
            "; the file has no header row, so its columns are named by position"
        } else {
            ""
        }
    )]
    UnknownColumn {
        /// The file the table came from.
        file: PathBuf,
        /// The name asked for.
        column: String,
        /// The names the table has.
        available: Vec<String>,
        /// True when the names are positional (`x`, `y`, `c2`, ...) because the file
        /// has no header row or is an unnamed array.
        named_by_position: bool,
    },
    /// A NaN or infinite value in a column that must be finite.
    #[error(
        "{}{}: column '{column}' is {value}: remove or fix the {}",
        .file.display(),
        if *.line_is_row_index { format!(": row {line} (counting from 0)") } else { format!(":{line}") },
        if *.line_is_row_index { "value" } else { "row" }
    )]
    NonFinite {
        /// The file the table came from.
        file: PathBuf,
        /// For a text file the 1-based line of the file; otherwise the 0-based row index
        /// (see `line_is_row_index`).
        line: usize,
        /// True when `line` is a 0-based row index (NumPy, HDF5) rather than a line of a
        /// text file.
        line_is_row_index: bool,
        /// The column's name.
        column: String,
        /// The offending value: NaN, `inf` or `-inf`.
        value: f64,
    },
    /// A NumPy array or HDF5 dataset with no values.
    #[error("{} holds no data rows: give a file with at least one row of numbers", .file.display())]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// A `.npy` array of a shape that is not a table (one or two dimensions, a row per
    /// point).
    #[error("{}: {message}", .file.display())]
    Npy {
        /// The `.npy` file.
        file: PathBuf,
        /// What is wrong and what to do instead.
        message: String,
    },
    /// HDF5 datasets that cannot be columns: none named, not 1-D, of different lengths.
    #[error(
        "{}{}: {message}",
        .file.display(),
        if .path.is_empty() { String::new() } else { format!(": dataset {}", .path) }
    )]
    Hdf5 {
        /// The HDF5 file.
        file: PathBuf,
        /// The dataset path, empty when the problem is with the file itself.
        path: String,
        /// What is wrong and what to do instead.
        message: String,
    },
    /// What the reader of the format reports: a file it cannot read, a cell that is not
    /// a number (file, line, column), a missing dataset (with the file's datasets), an
    /// element type that is not a number, ...
    #[error(transparent)]
    Read(#[from] homodyne_data::DataError),
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", .file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

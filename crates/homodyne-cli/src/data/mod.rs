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

mod load;
pub mod source;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

pub use homodyne_data::ColumnRef;
use homodyne_data::name_list as list;

/// A table of named numeric columns read from a file.
///
/// All columns have [`n_rows`](Table::n_rows) values. Values are kept as read, NaN and
/// infinities included: [`check_finite`](Table::check_finite) is the check that rejects
/// them, so that a column the fit does not use may hold them.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file the table was read from, as given to [`Table::load`].
    pub path: PathBuf,
    /// The column names, in file order.
    pub columns: Vec<String>,
    /// One vector per entry of `columns`, each `n_rows` long.
    values: Vec<Vec<f64>>,
    /// Where each row came from, for error messages.
    rows: RowOrigin,
    /// Whether the names came from the file (a header row, dataset paths) rather than
    /// from position.
    named_by_file: bool,
    /// Whether `columns` are HDF5 dataset paths, compared without a leading `/`.
    dataset_paths: bool,
}

/// Where the rows of a [`Table`] came from.
#[derive(Debug, Clone)]
enum RowOrigin {
    /// Text: the 1-based line of the file that holds each row.
    Lines(Vec<usize>),
    /// Binary formats: rows are counted from 0.
    Index,
}

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

/// The data file formats, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text (anything not below).
    Text,
    /// NumPy `.npy`.
    Npy,
    /// HDF5: `.h5`, `.hdf5`, `.nxs`.
    Hdf5,
}

impl Format {
    /// The format of `path`, from its extension.
    pub fn of(path: &Path) -> Format {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("npy") => Format::Npy,
            Some("h5" | "hdf5" | "nxs") => Format::Hdf5,
            _ => Format::Text,
        }
    }
}

impl Table {
    /// Loads `path`: the format from the extension (.npy -> NumPy; .h5/.hdf5/.nxs -> HDF5;
    /// anything else -> delimited text).
    ///
    /// For HDF5, `datasets` lists the dataset paths to read (each becomes a column named by
    /// its path); for the other formats it is ignored and every column is loaded.
    ///
    /// Delimited text: the delimiter is a comma if the first non-comment line has one,
    /// else a tab if it has one, else runs of whitespace. Blank lines and `#` comments
    /// (whole-line or trailing) are skipped. The first non-comment line is a header row of
    /// column names when any of its cells is not a number; otherwise the columns are named
    /// `x`, `y`, `c2`, `c3`, ... `nan` and `inf` are read as numbers (see
    /// [`check_finite`](Table::check_finite)).
    ///
    /// NumPy: a 1-D array is one column `x`; a 2-D array of `n_rows x n_cols` (C or
    /// Fortran order) has columns `x`, `y`, `c2`, ...
    ///
    /// NumPy and HDF5 values may be of any element type `homodyne_data` reads (float64,
    /// float32, integers of 1 to 8 bytes, either byte order), converted to `f64`.
    pub fn load(path: &Path, datasets: &[String]) -> Result<Table, DataError> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(DataError::Io {
                    file: path.to_path_buf(),
                    source: io::Error::other("it is a folder: give the data file inside it"),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(DataError::MissingFile {
                    file: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(DataError::Io {
                    file: path.to_path_buf(),
                    source,
                });
            }
        }
        match Format::of(path) {
            Format::Text => load::text(path),
            Format::Npy => load::npy(path),
            Format::Hdf5 => load::hdf5(path, datasets),
        }
    }

    /// The number of rows; every column has this many values.
    pub fn n_rows(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// The column's values; [`DataError::UnknownColumn`] (listing the available names)
    /// when absent.
    pub fn column(&self, name: &str) -> Result<&[f64], DataError> {
        self.index_of(name)
            .and_then(|i| self.values.get(i))
            .map(Vec::as_slice)
            .ok_or_else(|| DataError::UnknownColumn {
                file: self.path.clone(),
                column: name.to_owned(),
                available: self.columns.clone(),
                named_by_position: !self.named_by_file,
            })
    }

    /// `Err(DataError::NonFinite {..})` naming file, line (for text files: the 1-based
    /// line in the file; for npy/HDF5: the row index) and column, for the first NaN/inf in
    /// the named column; [`DataError::UnknownColumn`] when there is no such column.
    pub fn check_finite(&self, name: &str) -> Result<(), DataError> {
        let values = self.column(name)?;
        let Some(row) = values.iter().position(|v| !v.is_finite()) else {
            return Ok(());
        };
        let (line, line_is_row_index) = match &self.rows {
            RowOrigin::Lines(lines) => (lines[row], false),
            RowOrigin::Index => (row, true),
        };
        Err(DataError::NonFinite {
            file: self.path.clone(),
            line,
            line_is_row_index,
            column: name.to_owned(),
            value: values[row],
        })
    }

    /// Where the 0-based `row` of the table sits in its file, for messages: `file:line`
    /// (the 1-based line) for a text file, `file: row N (counting from 0)` for NumPy and
    /// HDF5, as [`DataError::NonFinite`] names them.
    pub fn locate_row(&self, row: usize) -> String {
        match &self.rows {
            RowOrigin::Lines(lines) => match lines.get(row) {
                Some(line) => format!("{}:{line}", self.path.display()),
                None => format!("{}: data row {}", self.path.display(), row + 1),
            },
            RowOrigin::Index => format!("{}: row {row} (counting from 0)", self.path.display()),
        }
    }

    /// The position of `name` in `columns`. Dataset paths match with or without their
    /// leading `/`.
    fn index_of(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.columns.iter().position(|c| c == name) {
            return Some(i);
        }
        if self.dataset_paths {
            let bare = name.trim_start_matches('/');
            return self
                .columns
                .iter()
                .position(|c| c.trim_start_matches('/') == bare);
        }
        None
    }
}

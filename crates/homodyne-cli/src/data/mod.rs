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

mod hdf5;
mod npy;
mod text;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

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

/// How a cell's column is named in an error: by its header name, or by its 1-based
/// position when the file has no header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    /// The column's name from the header row; shown quoted: `'y'`.
    Name(String),
    /// The column's 1-based position in a file without a header row; shown as `2`.
    Index(usize),
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Name(name) => write!(f, "'{name}'"),
            ColumnRef::Index(index) => write!(f, "{index}"),
        }
    }
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
    /// A cell of a text file that does not parse as a number.
    #[error(
        "{}:{line}: column {column} holds {cell:?}, which is not a number: fix the cell or comment the line out with #",
        .file.display()
    )]
    NonNumeric {
        /// The text file.
        file: PathBuf,
        /// The 1-based line of the file.
        line: usize,
        /// The cell's column: its header name, or its 1-based position.
        column: ColumnRef,
        /// The cell as written (trimmed; cut to 40 characters and `...`). The message
        /// quotes it with control characters escaped.
        cell: String,
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
    /// A text row with a different number of cells from the first row.
    #[error(
        "{}:{line}: {found} cells where line {first_line} has {expected}: every row needs the same number of columns",
        .file.display()
    )]
    RaggedRow {
        /// The text file.
        file: PathBuf,
        /// The 1-based line with the wrong count.
        line: usize,
        /// Cells on that line.
        found: usize,
        /// Cells on the first row (header or data).
        expected: usize,
        /// The 1-based line of the first row.
        first_line: usize,
    },
    /// The file holds no data rows.
    #[error("{} holds no data rows: give a file with at least one row of numbers", .file.display())]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// A `.npy` file that is not a readable numeric array of one or two dimensions.
    #[error("{}: {message}", .file.display())]
    Npy {
        /// The `.npy` file.
        file: PathBuf,
        /// What is wrong and what to do instead.
        message: String,
    },
    /// An HDF5 file or dataset that cannot be read as a 1-D numeric dataset.
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
    /// A dataset path that is not in the HDF5 file.
    #[error(
        "{} has no dataset {path}{}",
        .file.display(),
        if .available.is_empty() { String::new() } else { format!(" (datasets: {})", list(.available)) }
    )]
    MissingDataset {
        /// The HDF5 file.
        file: PathBuf,
        /// The path asked for.
        path: String,
        /// The datasets the file has, each with a leading `/` (empty if none could be
        /// listed).
        available: Vec<String>,
    },
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", .file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// Joins names for a message, eliding the middle of a long list so the message stays one
/// readable line.
fn list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{}, ... ({} more)",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// The name of the column at 0-based `index` in a file that does not name its columns:
/// `x`, `y`, `c2`, `c3`, ...
fn positional_name(index: usize) -> String {
    match index {
        0 => "x".to_owned(),
        1 => "y".to_owned(),
        _ => format!("c{index}"),
    }
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
    /// Fortran order) has columns `x`, `y`, `c2`, ... Floating-point and integer dtypes of
    /// either byte order are read, converted to `f64`.
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
            Format::Text => text::load(path),
            Format::Npy => npy::load(path),
            Format::Hdf5 => hdf5::load(path, datasets),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_says_so() {
        let err = Table::load(Path::new("no/such/run7.csv"), &[]).unwrap_err();
        assert!(matches!(err, DataError::MissingFile { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "no/such/run7.csv does not exist: check the file name and the working directory"
        );
        for name in ["absent.npy", "absent.h5"] {
            let err = Table::load(Path::new(name), &["/x".to_owned()]).unwrap_err();
            assert!(matches!(err, DataError::MissingFile { .. }), "{err:?}");
        }
    }

    #[test]
    fn folder_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Table::load(dir.path(), &[]).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("it is a folder"), "{err}");
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(Format::of(Path::new("a.npy")), Format::Npy);
        assert_eq!(Format::of(Path::new("a.NPY")), Format::Npy);
        assert_eq!(Format::of(Path::new("a.h5")), Format::Hdf5);
        assert_eq!(Format::of(Path::new("a.hdf5")), Format::Hdf5);
        assert_eq!(Format::of(Path::new("scan.nxs")), Format::Hdf5);
        assert_eq!(Format::of(Path::new("a.csv")), Format::Text);
        assert_eq!(Format::of(Path::new("a.dat")), Format::Text);
        assert_eq!(Format::of(Path::new("data")), Format::Text);
    }

    #[test]
    fn rows_are_located_in_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run7.csv");
        std::fs::write(&path, "# comment\nx,y\n1,2\n\n2,4\n").unwrap();
        let table = Table::load(&path, &[]).unwrap();
        assert_eq!(table.locate_row(1), format!("{}:5", path.display()));
    }

    #[test]
    fn positional_names() {
        let names: Vec<String> = (0..4).map(positional_name).collect();
        assert_eq!(names, ["x", "y", "c2", "c3"]);
    }

    #[test]
    fn long_lists_are_elided() {
        let names: Vec<String> = (0..20).map(positional_name).collect();
        let shown = list(&names);
        assert!(shown.ends_with("c11, ... (8 more)"), "{shown}");
    }

    #[test]
    fn every_message_is_one_line() {
        let file = PathBuf::from("run7.csv");
        let errors = [
            DataError::MissingFile { file: file.clone() },
            DataError::UnknownColumn {
                file: file.clone(),
                column: "dy".into(),
                available: vec!["x".into(), "y".into()],
                named_by_position: true,
            },
            DataError::NonNumeric {
                file: file.clone(),
                line: 3,
                column: ColumnRef::Index(2),
                cell: "1.2.3".into(),
            },
            DataError::NonFinite {
                file: file.clone(),
                line: 3,
                line_is_row_index: true,
                column: "y".into(),
                value: f64::NEG_INFINITY,
            },
            DataError::RaggedRow {
                file: file.clone(),
                line: 9,
                found: 2,
                expected: 3,
                first_line: 1,
            },
            DataError::Empty { file: file.clone() },
            DataError::Npy {
                file: file.clone(),
                message: "m".into(),
            },
            DataError::Hdf5 {
                file: file.clone(),
                path: String::new(),
                message: "m".into(),
            },
            DataError::MissingDataset {
                file: file.clone(),
                path: "/x".into(),
                available: vec![],
            },
            DataError::Io {
                file,
                source: io::Error::other("denied"),
            },
        ];
        for err in errors {
            let message = err.to_string();
            assert!(!message.contains('\n'), "{message}");
        }
    }
}

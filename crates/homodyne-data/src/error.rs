//! Why a file could not be opened as a data source, or written.

use std::path::PathBuf;

/// Why a file cannot serve as a data source (found when the source is opened), or could
/// not be written.
///
/// Every variant names the file and the array in it: for `.npy` files `dataset` is the
/// array's role (`x`, `y`, `sigma`, or `columns` for a table holding all of them), for
/// HDF5 files the dataset's path (`/entry/g2`), empty when the error is about the file
/// as a whole (an HDF5 file that cannot be opened). Messages read
/// `FILE [DATASET]: problem: what to give instead`, on one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened, read or written.
    #[error("{}: {action}: {source}", at(file, dataset))]
    Io {
        /// The file.
        file: PathBuf,
        /// The array's role or the dataset's path.
        dataset: String,
        /// What was being done ("cannot open", "cannot read the header", ...).
        action: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in the expected format (bad magic number, unreadable header, not
    /// HDF5).
    #[error("{}: {message}", at(file, dataset))]
    Format {
        /// The file.
        file: PathBuf,
        /// The array's role or the dataset's path.
        dataset: String,
        /// What is wrong, and what to give instead.
        message: String,
    },
    /// The array's element type is not one the readers accept (see
    /// [`ElementType`](crate::ElementType)).
    #[error(
        "{}: element type {dtype} is not supported: give float64 or float32 values, or \
         integers of 1 to 8 bytes",
        at(file, dataset)
    )]
    UnsupportedDtype {
        /// The file.
        file: PathBuf,
        /// The array's role or the dataset's path.
        dataset: String,
        /// The element type as the file states it (`'<i4'`, `32-bit integer`, ...).
        dtype: String,
    },
    /// The array has a shape the source cannot use (wrong number of dimensions, a
    /// zero-width x).
    #[error("{}: has shape {}: {expected}", at(file, dataset), shape_text(shape))]
    BadShape {
        /// The file.
        file: PathBuf,
        /// The array's role or the dataset's path.
        dataset: String,
        /// The array's shape.
        shape: Vec<usize>,
        /// The shapes that would do.
        expected: String,
    },
    /// Two arrays disagree on the number of points.
    #[error(
        "{}: holds {found} points but {other} holds {expected}: give arrays of the same length",
        at(file, dataset)
    )]
    LengthMismatch {
        /// The file of the array that disagrees.
        file: PathBuf,
        /// The array's role or the dataset's path.
        dataset: String,
        /// Its number of points.
        found: usize,
        /// The number of points of the array it is compared with.
        expected: usize,
        /// The array it is compared with (role or dataset, and file).
        other: String,
    },
    /// The file ends before the data its header announces.
    #[error(
        "{}: the file is truncated: the header announces {expected} bytes of data \
         but only {found} follow it",
        at(file, dataset)
    )]
    Truncated {
        /// The file.
        file: PathBuf,
        /// The array's role.
        dataset: String,
        /// Bytes of data the header announces.
        expected: u64,
        /// Bytes of data the file holds.
        found: u64,
    },
    /// The array holds no points.
    #[error("{}: holds no points: give a non-empty array", at(file, dataset))]
    Empty {
        /// The file.
        file: PathBuf,
        /// The array's role or the dataset's path.
        dataset: String,
    },
    /// The HDF5 file has no dataset at the path given.
    #[error(
        "{}: no such dataset (datasets: {})",
        at(file, dataset),
        name_list(available)
    )]
    MissingDataset {
        /// The file.
        file: PathBuf,
        /// The dataset path asked for.
        dataset: String,
        /// The file's datasets, as absolute paths, sorted.
        available: Vec<String>,
    },
    /// The HDF5 library could not open, read or write a dataset.
    #[error("{}: {message}", at(file, dataset))]
    Hdf5 {
        /// The file.
        file: PathBuf,
        /// The dataset path (empty for the file itself).
        dataset: String,
        /// What went wrong.
        message: String,
    },
    /// A cell of a text file that does not parse as a number.
    #[error(
        "{}:{line}: column {column} holds {cell:?}, which is not a number: fix the cell or \
         comment the line out with #",
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
    /// A text row with a different number of cells from the first row.
    #[error(
        "{}:{line}: {found} cells where line {first_line} has {expected}: every row needs \
         the same number of columns",
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
    /// A text file with no row of numbers.
    #[error(
        "{} holds no data rows: give a file with at least one row of numbers",
        .file.display()
    )]
    NoDataRows {
        /// The text file.
        file: PathBuf,
    },
    /// A writer was given values that do not match the array it writes.
    #[error("{}: {message}", at(file, dataset))]
    Write {
        /// The file.
        file: PathBuf,
        /// The array or dataset being written.
        dataset: String,
        /// What does not match.
        message: String,
    },
}

impl DataError {
    /// The file the error is about.
    pub fn file(&self) -> &std::path::Path {
        self.location().0
    }

    /// The array's role (`.npy`) or the dataset's path (HDF5) the error is about.
    pub fn dataset(&self) -> &str {
        self.location().1
    }

    /// Where in which file the error is: `(file, dataset)`, the dataset empty for the
    /// text-file errors, which name a line instead.
    fn location(&self) -> (&std::path::Path, &str) {
        match self {
            Self::Io { file, dataset, .. }
            | Self::Format { file, dataset, .. }
            | Self::UnsupportedDtype { file, dataset, .. }
            | Self::BadShape { file, dataset, .. }
            | Self::LengthMismatch { file, dataset, .. }
            | Self::Truncated { file, dataset, .. }
            | Self::Empty { file, dataset, .. }
            | Self::MissingDataset { file, dataset, .. }
            | Self::Hdf5 { file, dataset, .. }
            | Self::Write { file, dataset, .. } => (file, dataset),
            Self::NonNumeric { file, .. }
            | Self::RaggedRow { file, .. }
            | Self::NoDataRows { file } => (file, ""),
        }
    }
}

/// How a text cell's column is named in an error: by its header name, or by its 1-based
/// position when the file has no header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    /// The column's name from the header row; shown quoted: `'y'`.
    Name(String),
    /// The column's 1-based position in a file without a header row; shown as `2`.
    Index(usize),
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(name) => write!(f, "'{name}'"),
            ColumnRef::Index(index) => write!(f, "{index}"),
        }
    }
}

/// `FILE [DATASET]`, or `FILE` when the error is about the whole file.
fn at(file: &std::path::Path, dataset: &str) -> String {
    if dataset.is_empty() {
        file.display().to_string()
    } else {
        format!("{} [{dataset}]", file.display())
    }
}

/// `(6, 3)`-style text of a shape (`()` for a scalar).
pub(crate) fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// Names joined for a message (`a, b, c`), the middle of a long list elided (`..., (8
/// more)`) so that the message stays one readable line; `none` for no names.
pub fn name_list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    match names.len() {
        0 => "none".to_owned(),
        n if n <= SHOWN => names.join(", "),
        n => format!("{}, ... ({} more)", names[..SHOWN].join(", "), n - SHOWN),
    }
}

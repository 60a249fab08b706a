//! [`Table`]: named numeric columns, each value located in its file for messages.

use std::path::PathBuf;

use super::error::DataError;

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
    pub(super) values: Vec<Vec<f64>>,
    /// Where each row came from, for error messages.
    pub(super) rows: RowOrigin,
    /// Whether the names came from the file (a header row, dataset paths) rather than
    /// from position.
    pub(super) named_by_file: bool,
    /// Whether `columns` are HDF5 dataset paths, compared without a leading `/`.
    pub(super) dataset_paths: bool,
}

/// Where the rows of a [`Table`] came from.
#[derive(Debug, Clone)]
pub(super) enum RowOrigin {
    /// Text: the 1-based line of the file that holds each row.
    Lines(Vec<usize>),
    /// Binary formats: rows are counted from 0.
    Index,
}

impl Table {
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

//! Delimited text: comma, tab or whitespace separated numbers, `#` comments, an optional
//! header row, read whole into a [`TextTable`].
//!
//! One pass over the file's bytes, read whole: lines are slices of the file and cells are
//! slices of lines, parsed with `str::parse::<f64>`, so no cell is copied. A million rows of
//! three columns (25 MB) load in about 0.2 s in a release build (`csv_million_rows`).
//!
//! Text cannot be read by row without reading what comes before, so a text file is read
//! whole; its columns serve range reads as slices
//! ([`SliceSource`](homodyne_core::SliceSource)).

use std::path::{Path, PathBuf};

use crate::error::{ColumnRef, DataError};

/// The name of the column at 0-based `index` in a file that does not name its columns
/// (text without a header row, an unnamed `.npy` array): `x`, `y`, `c2`, `c3`, ...
pub fn positional_column_name(index: usize) -> String {
    match index {
        0 => "x".to_owned(),
        1 => "y".to_owned(),
        _ => format!("c{index}"),
    }
}

/// The numeric columns of a delimited text file, with the line each row came from.
///
/// The delimiter is a comma if the first non-comment line has one, else a tab if it has
/// one, else runs of whitespace. Blank lines and `#` comments (whole-line or trailing)
/// are skipped; a UTF-8 byte-order mark is ignored. The first non-comment line is a
/// header row of column names when any of its cells is not a number (names lose
/// surrounding quotes; an empty name is replaced by the positional one); otherwise the
/// columns are named `x`, `y`, `c2`, `c3`, ... ([`positional_column_name`]). `nan` and
/// `inf` are read as numbers.
///
/// ```
/// use homodyne_data::TextTable;
///
/// let table = TextTable::parse("run7.csv".as_ref(), "# t in s\nt,g2\n0.1,1.3\n0.2,1.2\n")?;
/// assert_eq!(table.columns(), ["t", "g2"]);
/// assert_eq!(table.column(1), [1.3, 1.2]);
/// assert_eq!(table.lines(), [3, 4]);
/// # Ok::<(), homodyne_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TextTable {
    path: PathBuf,
    columns: Vec<String>,
    has_header: bool,
    values: Vec<Vec<f64>>,
    lines: Vec<usize>,
}

impl TextTable {
    /// Reads and parses the delimited text file at `path`.
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] when the file cannot be read; otherwise as [`parse`](Self::parse).
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            file: path.to_path_buf(),
            dataset: String::new(),
            action: "cannot read".to_owned(),
            source,
        })?;
        // A binary file given by mistake still gets a line and a cell in its error.
        let text = String::from_utf8_lossy(&bytes);
        parse(path, &text)
    }

    /// Parses `text`, the contents of the file `path` (which names it in errors).
    ///
    /// # Errors
    ///
    /// [`DataError::NonNumeric`] naming the 1-based line and the column (by header name,
    /// or 1-based position) of a cell that is not a number; [`DataError::RaggedRow`] for
    /// a row with another number of cells than the first; [`DataError::NoDataRows`] when
    /// no row of numbers follows.
    pub fn parse(path: &Path, text: &str) -> Result<Self, DataError> {
        parse(path, text)
    }

    /// The file the table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The column names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Whether the names came from a header row (rather than from position).
    pub fn has_header(&self) -> bool {
        self.has_header
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.lines.len()
    }

    /// The values of the column at `index` (in file order), one per row.
    ///
    /// # Panics
    ///
    /// When `index` is not below `columns().len()`.
    pub fn column(&self, index: usize) -> &[f64] {
        &self.values[index]
    }

    /// The 1-based line of the file each row came from.
    pub fn lines(&self) -> &[usize] {
        &self.lines
    }

    /// The names, the columns' values and the rows' lines.
    pub fn into_parts(self) -> (Vec<String>, Vec<Vec<f64>>, Vec<usize>) {
        (self.columns, self.values, self.lines)
    }
}

/// How the cells of a line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    Comma,
    Tab,
    Whitespace,
}

impl Delimiter {
    /// A comma if the line has one, else a tab if it has one, else runs of whitespace.
    fn detect(line: &str) -> Delimiter {
        if line.contains(',') {
            Delimiter::Comma
        } else if line.contains('\t') {
            Delimiter::Tab
        } else {
            Delimiter::Whitespace
        }
    }

    /// The cells of `line` (already stripped of its comment and trimmed), each trimmed.
    fn cells(self, line: &str) -> Cells<'_> {
        match self {
            Delimiter::Comma => Cells::Split(line.split(',')),
            Delimiter::Tab => Cells::Split(line.split('\t')),
            Delimiter::Whitespace => Cells::Whitespace(line.split_ascii_whitespace()),
        }
    }
}

/// The cells of one line; an enum rather than a boxed iterator to keep the hot loop
/// free of dynamic dispatch.
enum Cells<'a> {
    Split(std::str::Split<'a, char>),
    Whitespace(std::str::SplitAsciiWhitespace<'a>),
}

impl<'a> Iterator for Cells<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            Cells::Split(split) => split.next().map(str::trim),
            Cells::Whitespace(split) => split.next(),
        }
    }
}

/// A line without its `#` comment, trimmed; empty for blank and comment lines.
fn content(raw: &str) -> &str {
    let code = match raw.find('#') {
        Some(hash) => &raw[..hash],
        None => raw,
    };
    code.trim()
}

/// Whether a cell reads as a number (`nan` and `inf` included).
fn is_number(cell: &str) -> bool {
    cell.parse::<f64>().is_ok()
}

/// A header cell as a column name: without surrounding quotes, as spreadsheet and pandas
/// exports write them.
fn header_name(cell: &str, index: usize) -> String {
    let name = cell
        .strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .or_else(|| cell.strip_prefix('\'').and_then(|c| c.strip_suffix('\'')))
        .unwrap_or(cell)
        .trim();
    if name.is_empty() {
        positional_column_name(index)
    } else {
        name.to_owned()
    }
}

/// A cell for an error message: at most 40 characters, so that a binary file read as text
/// still gives a short message.
fn shortened(cell: &str) -> String {
    const MAX: usize = 40;
    match cell.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &cell[..end]),
        None => cell.to_owned(),
    }
}

/// Parses the text of a delimited file; `path` names the file in errors.
fn parse(path: &Path, text: &str) -> Result<TextTable, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().map(|(i, raw)| (i + 1, raw));

    // The first non-comment line fixes the delimiter, the number of columns and whether
    // there is a header.
    let Some((first_line, first)) = lines
        .by_ref()
        .map(|(number, raw)| (number, content(raw)))
        .find(|(_, line)| !line.is_empty())
    else {
        return Err(DataError::NoDataRows {
            file: path.to_path_buf(),
        });
    };
    let delimiter = Delimiter::detect(first);
    let first_cells: Vec<&str> = delimiter.cells(first).collect();
    let width = first_cells.len();
    let has_header = first_cells
        .iter()
        .any(|cell| !cell.is_empty() && !is_number(cell));
    let columns: Vec<String> = if has_header {
        first_cells
            .iter()
            .enumerate()
            .map(|(i, cell)| header_name(cell, i))
            .collect()
    } else {
        (0..width).map(positional_column_name).collect()
    };

    // No reservation: a header line is a poor guess at the row length, and the vectors'
    // doubling costs little next to parsing.
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); width];
    let mut row_lines: Vec<usize> = Vec::new();

    let non_numeric = |line: usize, column: usize, cell: &str| DataError::NonNumeric {
        file: path.to_path_buf(),
        line,
        column: if has_header {
            ColumnRef::Name(columns[column].clone())
        } else {
            ColumnRef::Index(column + 1)
        },
        cell: shortened(cell),
    };
    let ragged = |line: usize, found: usize| DataError::RaggedRow {
        file: path.to_path_buf(),
        line,
        found,
        expected: width,
        first_line,
    };

    let mut parse_row = |number: usize, line: &str| -> Result<(), DataError> {
        let mut cells = delimiter.cells(line);
        for (j, column) in values.iter_mut().enumerate() {
            let Some(cell) = cells.next() else {
                return Err(ragged(number, j));
            };
            match cell.parse::<f64>() {
                Ok(value) => column.push(value),
                Err(_) => return Err(non_numeric(number, j, cell)),
            }
        }
        let extra = cells.count();
        if extra > 0 {
            return Err(ragged(number, width + extra));
        }
        row_lines.push(number);
        Ok(())
    };

    if !has_header {
        parse_row(first_line, first)?;
    }
    for (number, raw) in lines {
        let line = content(raw);
        if !line.is_empty() {
            parse_row(number, line)?;
        }
    }

    if row_lines.is_empty() {
        return Err(DataError::NoDataRows {
            file: path.to_path_buf(),
        });
    }
    Ok(TextTable {
        path: path.to_path_buf(),
        columns,
        has_header,
        values,
        lines: row_lines,
    })
}

#[cfg(test)]
mod tests;

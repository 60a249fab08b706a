//! Delimited text: comma, tab or whitespace separated numbers, `#` comments, an optional
//! header row.
//!
//! One pass over the file's bytes, read whole: lines are slices of the file and cells are
//! slices of lines, parsed with `str::parse::<f64>`, so no cell is copied. A million rows of
//! three columns (25 MB) load in about 0.2 s in a release build (`csv_million_rows`).

use std::path::Path;

use super::{ColumnRef, DataError, RowOrigin, Table, positional_name};

/// Reads and parses a delimited text file.
pub(super) fn load(path: &Path) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    // A binary file given by mistake still gets a line and a cell in its error.
    let text = String::from_utf8_lossy(&bytes);
    parse(path, &text)
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
        positional_name(index)
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
fn parse(path: &Path, text: &str) -> Result<Table, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().map(|(i, raw)| (i + 1, raw));

    // The first non-comment line fixes the delimiter, the number of columns and whether
    // there is a header.
    let Some((first_line, first)) = lines
        .by_ref()
        .map(|(number, raw)| (number, content(raw)))
        .find(|(_, line)| !line.is_empty())
    else {
        return Err(DataError::Empty {
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
        (0..width).map(positional_name).collect()
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
        return Err(DataError::Empty {
            file: path.to_path_buf(),
        });
    }
    Ok(Table {
        path: path.to_path_buf(),
        columns,
        values,
        rows: RowOrigin::Lines(row_lines),
        named_by_file: has_header,
        dataset_paths: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        parse(Path::new("run7.csv"), text).unwrap()
    }

    fn error(text: &str) -> DataError {
        parse(Path::new("run7.csv"), text).unwrap_err()
    }

    #[test]
    fn csv_with_header() {
        let t = table("x,y,sigma\n0,1.5,0.1\n1,2.5,0.2\n2,-3e-2,0.3\n");
        assert_eq!(t.columns, ["x", "y", "sigma"]);
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.column("x").unwrap(), [0.0, 1.0, 2.0]);
        assert_eq!(t.column("y").unwrap(), [1.5, 2.5, -0.03]);
        assert_eq!(t.column("sigma").unwrap(), [0.1, 0.2, 0.3]);
    }

    #[test]
    fn comma_tab_and_whitespace_give_the_same_table() {
        let files = [
            "t, g2\n1e-3, 1.30\n2e-3, 1.25\n",
            "t\tg2\n1e-3\t1.30\n2e-3\t1.25\n",
            "t   g2\n  1e-3  1.30\n2e-3 \t 1.25  \n",
            "t,g2\r\n1e-3,1.30\r\n2e-3,1.25\r\n",
        ];
        for text in files {
            let t = table(text);
            assert_eq!(t.columns, ["t", "g2"], "{text:?}");
            assert_eq!(t.column("t").unwrap(), [1e-3, 2e-3], "{text:?}");
            assert_eq!(t.column("g2").unwrap(), [1.30, 1.25], "{text:?}");
        }
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let t = table(
            "# measured 2024-05-01\n\n  # detector 2\nq,I # units: 1/nm, counts\n0.1,5 # first\n\n# gap\n0.2,6\n",
        );
        assert_eq!(t.columns, ["q", "I"]);
        assert_eq!(t.column("q").unwrap(), [0.1, 0.2]);
        assert_eq!(t.column("I").unwrap(), [5.0, 6.0]);
        // Rows remember their lines.
        assert_eq!(t.rows_lines(), [5, 8]);
    }

    #[test]
    fn without_header_columns_are_named_by_position() {
        let t = table("# no header\n1 2 3 4\n5 6 7 8\n");
        assert_eq!(t.columns, ["x", "y", "c2", "c3"]);
        assert_eq!(t.column("c3").unwrap(), [4.0, 8.0]);
        let one = table("1\n2\n");
        assert_eq!(one.columns, ["x"]);
    }

    #[test]
    fn quoted_and_empty_header_names() {
        let t = table("\"\",\"x\",'y'\n0,1,2\n");
        assert_eq!(t.columns, ["x", "x", "y"]);
        // The first exact match wins for a duplicated name.
        assert_eq!(t.column("x").unwrap(), [0.0]);
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let t = table("\u{feff}x,y\n1,2\n");
        assert_eq!(t.columns, ["x", "y"]);
    }

    #[test]
    fn ragged_row_names_its_line() {
        let err = error("x,y,z\n1,2,3\n\n4,5\n");
        assert!(
            matches!(
                err,
                DataError::RaggedRow {
                    line: 4,
                    found: 2,
                    expected: 3,
                    first_line: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "run7.csv:4: 2 cells where line 1 has 3: every row needs the same number of columns"
        );
        let err = error("# c\n1 2\n3 4 5\n");
        assert!(
            matches!(
                err,
                DataError::RaggedRow {
                    line: 3,
                    found: 3,
                    expected: 2,
                    first_line: 2,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn non_numeric_cell_names_line_and_column() {
        let mut text = String::from("x,y,sigma\n");
        for i in 0..11 {
            text.push_str(&format!("{i},1,0.1\n"));
        }
        text.push_str("# a comment\n11,1.2.3,0.1\n");
        let err = error(&text);
        match &err {
            DataError::NonNumeric {
                line, column, cell, ..
            } => {
                assert_eq!(*line, 14);
                assert_eq!(*column, ColumnRef::Name("y".into()));
                assert_eq!(cell, "1.2.3");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "run7.csv:14: column 'y' holds \"1.2.3\", which is not a number: fix the cell or comment the line out with #"
        );
    }

    #[test]
    fn non_numeric_cell_without_header_is_named_by_position() {
        let err = error("1\t2\t3\n4\tabc\t6\n");
        assert!(
            matches!(&err, DataError::NonNumeric { line: 2, column: ColumnRef::Index(2), cell, .. } if cell == "abc"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("run7.csv:2: column 2 holds \"abc\"")
        );
        // An empty cell between commas is not a number either.
        let err = error("1,2,3\n4,,6\n");
        assert!(
            matches!(&err, DataError::NonNumeric { line: 2, column: ColumnRef::Index(2), cell, .. } if cell.is_empty()),
            "{err:?}"
        );
        // A long cell with control characters (a binary file) stays short and on one line.
        let err = error(&format!("1 2\n3 \u{1}{}\r\u{7}\n", "z".repeat(100)));
        let message = err.to_string();
        assert!(message.contains("column 2 holds \"\\u{1}zzz"), "{message}");
        assert!(message.contains("z...\""), "{message}");
        assert!(!message.chars().any(char::is_control), "{message}");
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn nan_and_inf_are_numbers_that_check_finite_rejects() {
        let t = table("x,y\n1,2\n# skip\n2,NaN\n3,inf\n4,-Infinity\n5,nan\n");
        assert_eq!(t.n_rows(), 5);
        t.check_finite("x").unwrap();
        let err = t.check_finite("y").unwrap_err();
        assert!(
            matches!(&err, DataError::NonFinite { line: 4, line_is_row_index: false, column, value, .. } if column == "y" && value.is_nan()),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "run7.csv:4: column 'y' is NaN: remove or fix the row"
        );
        let t = table("x y\n1 2\n2 -inf\n");
        assert_eq!(
            t.check_finite("y").unwrap_err().to_string(),
            "run7.csv:3: column 'y' is -inf: remove or fix the row"
        );
    }

    #[test]
    fn unknown_column_lists_the_columns() {
        let t = table("x,y,sigma\n1,2,3\n");
        let err = t.column("dy").unwrap_err();
        assert!(matches!(err, DataError::UnknownColumn { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "column 'dy' is not in run7.csv (columns: x, y, sigma)"
        );
        assert!(matches!(
            t.check_finite("dy"),
            Err(DataError::UnknownColumn { .. })
        ));
        let t = table("1 2 3\n");
        assert_eq!(
            t.column("sigma").unwrap_err().to_string(),
            "column 'sigma' is not in run7.csv (columns: x, y, c2); the file has no header row, so its columns are named by position"
        );
    }

    #[test]
    fn empty_files() {
        for text in ["", "\n\n", "# only\n# comments\n", "x,y\n# no rows\n"] {
            let err = error(text);
            assert!(matches!(err, DataError::Empty { .. }), "{text:?}: {err:?}");
        }
        assert_eq!(
            error("").to_string(),
            "run7.csv holds no data rows: give a file with at least one row of numbers"
        );
    }

    #[test]
    fn loads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run7.dat");
        std::fs::write(&path, "# t g2\n1 2\n3 4\n").unwrap();
        let t = Table::load(&path, &["/ignored".to_owned()]).unwrap();
        assert_eq!(t.path, path);
        assert_eq!(t.column("y").unwrap(), [2.0, 4.0]);
    }

    /// A million rows of three columns, timed: run with
    /// `cargo test --release -p homodyne-cli csv_million_rows -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; run in release"]
    fn csv_million_rows() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let mut text = String::from("x,y,sigma\n");
        for i in 0..1_000_000u32 {
            let x = f64::from(i) * 1e-3;
            writeln!(text, "{x},{},{}", (-x).exp() + 1.0, 0.01 + 1e-7 * x).unwrap();
        }
        std::fs::write(&path, &text).unwrap();
        let start = std::time::Instant::now();
        let t = Table::load(&path, &[]).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(t.n_rows(), 1_000_000);
        t.check_finite("y").unwrap();
        eprintln!(
            "loaded 1e6 rows x 3 columns ({} MB) in {:.3} s",
            text.len() / 1_000_000,
            elapsed.as_secs_f64()
        );
    }

    impl Table {
        fn rows_lines(&self) -> &[usize] {
            match &self.rows {
                RowOrigin::Lines(lines) => lines,
                RowOrigin::Index => &[],
            }
        }
    }
}

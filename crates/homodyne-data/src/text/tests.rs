//! The delimited-text parser: delimiters, headers, comments, and errors naming the line
//! and column.

use super::*;

fn table(text: &str) -> TextTable {
    parse(Path::new("run7.csv"), text).unwrap()
}

fn error(text: &str) -> DataError {
    parse(Path::new("run7.csv"), text).unwrap_err()
}

/// The values of the first column named `name`.
fn col<'a>(t: &'a TextTable, name: &str) -> &'a [f64] {
    let index = t.columns().iter().position(|c| c == name).unwrap();
    t.column(index)
}

#[test]
fn csv_with_header() {
    let t = table("x,y,sigma\n0,1.5,0.1\n1,2.5,0.2\n2,-3e-2,0.3\n");
    assert_eq!(t.columns(), ["x", "y", "sigma"]);
    assert_eq!(t.n_rows(), 3);
    assert_eq!(col(&t, "x"), [0.0, 1.0, 2.0]);
    assert_eq!(col(&t, "y"), [1.5, 2.5, -0.03]);
    assert_eq!(col(&t, "sigma"), [0.1, 0.2, 0.3]);
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
        assert_eq!(t.columns(), ["t", "g2"], "{text:?}");
        assert_eq!(col(&t, "t"), [1e-3, 2e-3], "{text:?}");
        assert_eq!(col(&t, "g2"), [1.30, 1.25], "{text:?}");
    }
}

#[test]
fn comments_and_blank_lines_are_skipped() {
    let t = table(
        "# measured 2024-05-01\n\n  # detector 2\nq,I # units: 1/nm, counts\n0.1,5 # first\n\n# gap\n0.2,6\n",
    );
    assert_eq!(t.columns(), ["q", "I"]);
    assert_eq!(col(&t, "q"), [0.1, 0.2]);
    assert_eq!(col(&t, "I"), [5.0, 6.0]);
    // Rows remember their lines.
    assert_eq!(t.lines(), [5, 8]);
}

#[test]
fn positional_names() {
    let names: Vec<String> = (0..4).map(positional_column_name).collect();
    assert_eq!(names, ["x", "y", "c2", "c3"]);
}

#[test]
fn without_header_columns_are_named_by_position() {
    let t = table("# no header\n1 2 3 4\n5 6 7 8\n");
    assert_eq!(t.columns(), ["x", "y", "c2", "c3"]);
    assert_eq!(col(&t, "c3"), [4.0, 8.0]);
    let one = table("1\n2\n");
    assert_eq!(one.columns(), ["x"]);
}

#[test]
fn quoted_and_empty_header_names() {
    let t = table("\"\",\"x\",'y'\n0,1,2\n");
    assert_eq!(t.columns(), ["x", "x", "y"]);
    // The first exact match wins for a duplicated name.
    assert_eq!(col(&t, "x"), [0.0]);
}

#[test]
fn byte_order_mark_is_ignored() {
    let t = table("\u{feff}x,y\n1,2\n");
    assert_eq!(t.columns(), ["x", "y"]);
}

/// The error for `text`, asserted to be [`DataError::RaggedRow`]: `found` cells on line
/// `line` where the first row, on line `first_line`, has `expected`.
fn ragged_row(
    text: &str,
    line: usize,
    found: usize,
    expected: usize,
    first_line: usize,
) -> DataError {
    let err = error(text);
    assert!(
        matches!(
            err,
            DataError::RaggedRow { line: l, found: f, expected: e, first_line: fl, .. }
                if (l, f, e, fl) == (line, found, expected, first_line)
        ),
        "{err:?}"
    );
    err
}

#[test]
fn ragged_row_names_its_line() {
    let err = ragged_row("x,y,z\n1,2,3\n\n4,5\n", 4, 2, 3, 1);
    assert_eq!(
        err.to_string(),
        "run7.csv:4: 2 cells where line 1 has 3: every row needs the same number of columns"
    );
    ragged_row("# c\n1 2\n3 4 5\n", 3, 3, 2, 2);
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
fn empty_files() {
    for text in ["", "\n\n", "# only\n# comments\n", "x,y\n# no rows\n"] {
        let err = error(text);
        assert!(
            matches!(err, DataError::NoDataRows { .. }),
            "{text:?}: {err:?}"
        );
    }
    assert_eq!(
        error("").to_string(),
        "run7.csv holds no data rows: give a file with at least one row of numbers"
    );
}

/// A million rows of three columns, timed: run with
/// `cargo test --release -p homodyne-data csv_million_rows -- --ignored --nocapture`.
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
    let t = TextTable::read(&path).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(t.n_rows(), 1_000_000);
    eprintln!(
        "loaded 1e6 rows x 3 columns ({} MB) in {:.3} s",
        text.len() / 1_000_000,
        elapsed.as_secs_f64()
    );
}

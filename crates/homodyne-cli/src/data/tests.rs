//! The data module: formats by extension, named columns, row locations, and the
//! messages of each format's errors.

use std::io;
use std::path::{Path, PathBuf};

use homodyne_data::name_list as list;

use super::*;

mod hdf5;
mod npy;

/// The table of a text file holding `text`.
fn table(text: &str) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run7.csv");
    std::fs::write(&path, text).unwrap();
    let mut table = Table::load(&path, &[]).unwrap();
    table.path = PathBuf::from("run7.csv");
    table
}

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
fn long_lists_are_elided() {
    let names: Vec<String> = (0..20).map(homodyne_data::positional_column_name).collect();
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
        DataError::NonFinite {
            file: file.clone(),
            line: 3,
            line_is_row_index: true,
            column: "y".into(),
            value: f64::NEG_INFINITY,
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
        DataError::Read(homodyne_data::DataError::NonNumeric {
            file: file.clone(),
            line: 3,
            column: ColumnRef::Index(2),
            cell: "1.2.3".into(),
        }),
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
fn loads_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run7.dat");
    std::fs::write(&path, "# t g2\n1 2\n3 4\n").unwrap();
    let t = Table::load(&path, &["/ignored".to_owned()]).unwrap();
    assert_eq!(t.path, path);
    assert_eq!(t.column("y").unwrap(), [2.0, 4.0]);
}

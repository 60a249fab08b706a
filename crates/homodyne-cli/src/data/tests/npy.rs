//! `.npy` arrays as tables: columns by position, C and Fortran order, element types,
//! shapes that are not tables.

use super::*;
use npyz::{AutoSerialize, DType, Order, Serialize, WriteOptions, WriterBuilder};

/// Writes `data` (in file order) as a `.npy` array of `shape`, `dtype` and `order`.
fn write<T: Serialize + AutoSerialize + Copy>(
    path: &Path,
    dtype: &str,
    shape: &[u64],
    order: Order,
    data: &[T],
) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut writer = WriteOptions::new()
        .dtype(DType::Plain(dtype.parse().unwrap()))
        .shape(shape)
        .order(order)
        .writer(file)
        .begin_nd()
        .unwrap();
    writer.extend(data.iter().copied()).unwrap();
    writer.finish().unwrap();
}

fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// The 2 x 3 array `values`, stored in `order`, loads as the table of rows (x, y, c2):
/// (0, 10, 0.5), (1, 11, 0.6), its columns named by position.
fn assert_loads_the_two_rows(order: Order, values: &[f64]) {
    let (_dir, path) = scratch("a.npy");
    write(&path, "<f8", &[2, 3], order, values);
    let t = Table::load(&path, &[]).unwrap();
    assert_eq!(t.columns, ["x", "y", "c2"]);
    assert_eq!(t.n_rows(), 2);
    assert_eq!(t.column("x").unwrap(), [0.0, 1.0]);
    assert_eq!(t.column("y").unwrap(), [10.0, 11.0]);
    assert_eq!(t.column("c2").unwrap(), [0.5, 0.6]);
}

#[test]
fn two_d_c_order() {
    // Row by row.
    assert_loads_the_two_rows(Order::C, &[0.0, 10.0, 0.5, 1.0, 11.0, 0.6]);
}

#[test]
fn two_d_fortran_order() {
    // The same table stored column by column.
    assert_loads_the_two_rows(Order::Fortran, &[0.0, 1.0, 10.0, 11.0, 0.5, 0.6]);
}

#[test]
fn one_d_is_column_x() {
    let (_dir, path) = scratch("v.npy");
    write(&path, "<f8", &[3], Order::C, &[1.0, 2.0, 3.0]);
    let t = Table::load(&path, &[]).unwrap();
    assert_eq!(t.columns, ["x"]);
    assert_eq!(t.column("x").unwrap(), [1.0, 2.0, 3.0]);
    let err = t.column("y").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "column 'y' is not in {} (columns: x); the file has no header row, so its columns are named by position",
            path.display()
        )
    );
}

#[test]
fn other_dtypes_are_converted() {
    let (_dir, path) = scratch("d.npy");
    write(&path, "<f4", &[2, 2], Order::C, &[0.5f32, 1.5, 2.5, 3.5]);
    assert_eq!(
        Table::load(&path, &[]).unwrap().column("y").unwrap(),
        [1.5, 3.5]
    );
    write(&path, ">f8", &[2], Order::C, &[0.25f64, -1.0]);
    assert_eq!(
        Table::load(&path, &[]).unwrap().column("x").unwrap(),
        [0.25, -1.0]
    );
    write(&path, "<i8", &[3], Order::C, &[-2i64, 0, 7]);
    assert_eq!(
        Table::load(&path, &[]).unwrap().column("x").unwrap(),
        [-2.0, 0.0, 7.0]
    );
    write(&path, "<i4", &[2, 2], Order::C, &[1i32, 2, 3, 4]);
    assert_eq!(
        Table::load(&path, &[]).unwrap().column("y").unwrap(),
        [2.0, 4.0]
    );
    write(&path, "|u1", &[2], Order::C, &[1u8, 255]);
    assert_eq!(
        Table::load(&path, &[]).unwrap().column("x").unwrap(),
        [1.0, 255.0]
    );
}

#[test]
fn nan_is_reported_by_row_index() {
    let (_dir, path) = scratch("n.npy");
    write(
        &path,
        "<f8",
        &[3, 2],
        Order::C,
        &[0.0, 1.0, 1.0, f64::NAN, 2.0, 3.0],
    );
    let t = Table::load(&path, &[]).unwrap();
    t.check_finite("x").unwrap();
    let err = t.check_finite("y").unwrap_err();
    assert!(
        matches!(
            err,
            DataError::NonFinite {
                line: 1,
                line_is_row_index: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: row 1 (counting from 0): column 'y' is NaN: remove or fix the value",
            path.display()
        )
    );
}

#[test]
fn unusable_arrays_say_what_to_save() {
    let (_dir, path) = scratch("bad.npy");
    write(&path, "<f8", &[2, 2, 2], Order::C, &[0.0; 8]);
    let err = Table::load(&path, &[]).unwrap_err();
    assert!(err.to_string().contains("shape [2, 2, 2]"), "{err}");

    write(&path, "<f8", &[2, 40], Order::C, &[0.0; 80]);
    let err = Table::load(&path, &[]).unwrap_err();
    assert!(err.to_string().contains("np.column_stack"), "{err}");

    write_complex(&path);
    let err = Table::load(&path, &[]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Read(homodyne_data::DataError::UnsupportedDtype { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("element type '<c16'"), "{err}");

    write(&path, "<f8", &[0, 2], Order::C, &[0.0f64; 0]);
    assert!(matches!(
        Table::load(&path, &[]),
        Err(DataError::Empty { .. })
    ));

    std::fs::write(&path, b"x,y\n1,2\n").unwrap();
    let err = Table::load(&path, &[]).unwrap_err();
    assert!(
        err.to_string().contains("is not a NumPy .npy file"),
        "{err}"
    );
}

/// Arrays saved by numpy itself (tests/data/formats/make_fixtures.py).
#[test]
fn files_written_by_numpy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats");
    let x = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25];
    let y = [1.0, 1.5, 2.0, 2.5, 3.0, 3.5];
    for name in ["c_order.npy", "fortran_order.npy"] {
        let t = Table::load(&dir.join(name), &[]).unwrap();
        assert_eq!(t.columns, ["x", "y", "c2"], "{name}");
        assert_eq!(t.column("x").unwrap(), x, "{name}");
        assert_eq!(t.column("y").unwrap(), y, "{name}");
        assert_eq!(t.column("c2").unwrap(), [0.125; 6], "{name}");
    }
    let t = Table::load(&dir.join("one_d_f4_be.npy"), &[]).unwrap();
    assert_eq!(t.columns, ["x"]);
    assert_eq!(t.column("x").unwrap(), y);
}

/// A complex array, written byte by byte (npyz writes complex only with a feature).
fn write_complex(path: &Path) {
    let header = "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let padded = 64 - 10;
    let mut text = header.to_owned();
    while text.len() < padded - 1 {
        text.push(' ');
    }
    text.push('\n');
    bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(&[0u8; 16]);
    std::fs::write(path, bytes).unwrap();
}

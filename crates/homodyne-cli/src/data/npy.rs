//! NumPy `.npy` arrays: a 1-D array is one column `x`; a 2-D array of `n_rows x n_cols`
//! has columns `x`, `y`, `c2`, ...
//!
//! Read with `npyz`, which parses the header (dtype, byte order, shape, C or Fortran
//! order) and decodes elements of a dtype chosen at run time. `ndarray-npy` (which does
//! support the workspace's ndarray 0.17) was the other candidate; it needs the element type
//! and dimensionality at compile time, so reading "whatever float or integer array the user
//! saved" would mean trying each type in turn, re-reading the file each time.

use std::path::Path;

use npyz::{DType, NpyFile, Order, TypeChar};

use super::{DataError, RowOrigin, Table, positional_name};

/// Fewer rows than this, with more columns than rows, is taken for an array saved the
/// wrong way round (`np.save(f, [x, y])` gives a `2 x n` array).
const TRANSPOSED_MAX_ROWS: u64 = 16;

/// Reads a `.npy` file.
pub(super) fn load(path: &Path) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let npy_error = |message: String| DataError::Npy {
        file: path.to_path_buf(),
        message,
    };
    let npy = NpyFile::new(&bytes[..]).map_err(|e| {
        npy_error(format!(
            "not a readable .npy file ({e}): save it with np.save"
        ))
    })?;

    let shape = npy.shape().to_vec();
    let (n_rows, n_cols) = match shape[..] {
        [n] => (n, 1),
        [n, m] => (n, m),
        _ => {
            return Err(npy_error(format!(
                "the array has shape {shape:?}: save a 1-D array or a 2-D array with one row per point"
            )));
        }
    };
    if n_rows == 0 || n_cols == 0 {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
        });
    }
    if n_rows < n_cols && n_rows <= TRANSPOSED_MAX_ROWS && n_cols > TRANSPOSED_MAX_ROWS {
        return Err(npy_error(format!(
            "the array is {n_rows} x {n_cols} (rows x columns): save one row per point, e.g. np.save(f, np.column_stack([x, y]))"
        )));
    }
    let order = npy.order();
    let flat = read_as_f64(npy).map_err(npy_error)?;

    let (n_rows, n_cols) = (n_rows as usize, n_cols as usize);
    let values: Vec<Vec<f64>> = match order {
        // Row-major: element (i, j) at i * n_cols + j.
        Order::C => (0..n_cols)
            .map(|j| flat.iter().skip(j).step_by(n_cols).copied().collect())
            .collect(),
        // Column-major: each column is contiguous.
        Order::Fortran => flat.chunks_exact(n_rows).map(<[f64]>::to_vec).collect(),
    };
    Ok(Table {
        path: path.to_path_buf(),
        columns: (0..n_cols).map(positional_name).collect(),
        values,
        rows: RowOrigin::Index,
        named_by_file: false,
        dataset_paths: false,
    })
}

/// Decodes every element as `f64`, whatever the float or integer dtype and byte order.
/// Integers wider than 53 bits round to the nearest `f64`.
fn read_as_f64(npy: NpyFile<&[u8]>) -> Result<Vec<f64>, String> {
    let dtype = npy.dtype();
    let unsupported = |what: &str| {
        format!(
            "{what} {} cannot be read: save a float array, e.g. np.save(f, a.astype(np.float64))",
            dtype.descr()
        )
    };
    let DType::Plain(type_str) = &dtype else {
        return Err(unsupported("the structured dtype"));
    };
    let size = type_str.num_bytes().unwrap_or(0);
    let truncated =
        |e: std::io::Error| format!("the array data is cut short or damaged ({e}): save it again");
    match (type_str.type_char(), size) {
        (TypeChar::Float, 8) => npy.into_vec::<f64>().map_err(truncated),
        (TypeChar::Float, 4) => convert(npy.into_vec::<f32>(), truncated),
        (TypeChar::Int, 8) => convert(
            npy.into_vec::<i64>().map(|v| lossy(&v, |x| x as f64)),
            truncated,
        ),
        (TypeChar::Int, 4) => convert(npy.into_vec::<i32>(), truncated),
        (TypeChar::Int, 2) => convert(npy.into_vec::<i16>(), truncated),
        (TypeChar::Int, 1) => convert(npy.into_vec::<i8>(), truncated),
        (TypeChar::Uint, 8) => convert(
            npy.into_vec::<u64>().map(|v| lossy(&v, |x| x as f64)),
            truncated,
        ),
        (TypeChar::Uint, 4) => convert(npy.into_vec::<u32>(), truncated),
        (TypeChar::Uint, 2) => convert(npy.into_vec::<u16>(), truncated),
        (TypeChar::Uint, 1) => convert(npy.into_vec::<u8>(), truncated),
        _ => Err(unsupported("the dtype")),
    }
}

/// Widens a vector whose elements convert to `f64` exactly.
fn convert<T: Copy + Into<f64>>(
    read: std::io::Result<Vec<T>>,
    on_error: impl FnOnce(std::io::Error) -> String,
) -> Result<Vec<f64>, String> {
    read.map(|v| v.into_iter().map(Into::into).collect())
        .map_err(on_error)
}

/// Converts 64-bit integers, which may round.
fn lossy<T: Copy>(values: &[T], to_f64: impl Fn(T) -> f64) -> Vec<f64> {
    values.iter().map(|&v| to_f64(v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::{AutoSerialize, Serialize, WriteOptions, WriterBuilder};
    use std::path::PathBuf;

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

    #[test]
    fn two_d_c_order() {
        let (_dir, path) = scratch("a.npy");
        // Rows (x, y, sigma): (0, 10, 0.5), (1, 11, 0.6).
        write(
            &path,
            "<f8",
            &[2, 3],
            Order::C,
            &[0.0, 10.0, 0.5, 1.0, 11.0, 0.6],
        );
        let t = Table::load(&path, &[]).unwrap();
        assert_eq!(t.columns, ["x", "y", "c2"]);
        assert_eq!(t.n_rows(), 2);
        assert_eq!(t.column("x").unwrap(), [0.0, 1.0]);
        assert_eq!(t.column("y").unwrap(), [10.0, 11.0]);
        assert_eq!(t.column("c2").unwrap(), [0.5, 0.6]);
    }

    #[test]
    fn two_d_fortran_order() {
        let (_dir, path) = scratch("f.npy");
        // The same table stored column by column.
        write(
            &path,
            "<f8",
            &[2, 3],
            Order::Fortran,
            &[0.0, 1.0, 10.0, 11.0, 0.5, 0.6],
        );
        let t = Table::load(&path, &[]).unwrap();
        assert_eq!(t.column("x").unwrap(), [0.0, 1.0]);
        assert_eq!(t.column("y").unwrap(), [10.0, 11.0]);
        assert_eq!(t.column("c2").unwrap(), [0.5, 0.6]);
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
        assert!(matches!(err, DataError::Npy { .. }), "{err:?}");
        assert!(err.to_string().contains("astype(np.float64)"), "{err}");

        write(&path, "<f8", &[0, 2], Order::C, &[0.0f64; 0]);
        assert!(matches!(
            Table::load(&path, &[]),
            Err(DataError::Empty { .. })
        ));

        std::fs::write(&path, b"x,y\n1,2\n").unwrap();
        let err = Table::load(&path, &[]).unwrap_err();
        assert!(
            err.to_string().contains("not a readable .npy file"),
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
}

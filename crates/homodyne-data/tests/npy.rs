//! `NpySource` and the `.npy` writers: ranges read back exactly, dtypes, shapes, errors.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use homodyne_core::{Batch, DataSource};
use homodyne_data::{DataError, ElementType, NpySource, NpyWriter, write_npy_f64};

mod common;
use common::{check_ranges, column, names, python_with, run_python, value};

/// Fixtures written by numpy itself (homodyne-cli/tests/data/formats/make_fixtures.py).
fn cli_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../homodyne-cli/tests/data/formats")
        .join(name)
}

/// The element type of a NumPy type string.
fn t(descr: &str) -> ElementType {
    ElementType::from_descr(descr).unwrap()
}

/// Writes `values` with an `NpyWriter`, `chunk` values at a time.
fn write_chunked(path: &Path, values: &[f64], shape: &[usize], dtype: ElementType, chunk: usize) {
    let mut w = NpyWriter::create_with_dtype(path, shape, dtype).unwrap();
    assert_eq!(w.total(), values.len());
    for piece in values.chunks(chunk) {
        w.write(piece).unwrap();
    }
    assert_eq!(w.written(), values.len());
    w.finish().unwrap();
}

#[test]
fn one_file_per_quantity_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1001;
    let (x, y, s) = (column(n, 0), column(n, 1), column(n, 2));
    let paths: Vec<PathBuf> = ["x", "y", "s"]
        .iter()
        .map(|p| dir.path().join(format!("{p}.npy")))
        .collect();
    write_chunked(&paths[0], &x, &[n], t("<f8"), 77);
    write_npy_f64(&paths[1], &y, &[n]).unwrap();
    write_chunked(&paths[2], &s, &[n], t("<f8"), 1000);

    let source = NpySource::open(&paths[0], &paths[1], Some(&paths[2])).unwrap();
    check_ranges(&source, &x, &y, Some(&s));
    let d = source.describe();
    assert!(
        d.contains("x.npy") && d.contains("y.npy") && d.contains("s.npy"),
        "{d}"
    );
    assert_eq!(
        source.element_types(),
        [("x", t("<f8")), ("y", t("<f8")), ("sigma", t("<f8"))]
    );

    let source = NpySource::open(&paths[0], &paths[1], None).unwrap();
    check_ranges(&source, &x, &y, None);
}

#[test]
fn float32_and_big_endian_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let n = 500;
    // Values exact in float32 round-trip exactly; 0.1 shows the float32 rounding.
    let mut x = column(n, 0);
    x[3] = 0.1;
    let y = column(n, 1);
    for (xd, yd) in [
        (t("<f4"), t(">f8")),
        (t(">f4"), t("<f4")),
        (t(">f8"), t(">f4")),
    ] {
        let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
        write_chunked(&xp, &x, &[n], xd, 64);
        write_chunked(&yp, &y, &[n], yd, 1000);
        let source = NpySource::open(&xp, &yp, None).unwrap();
        assert_eq!(source.element_types(), [("x", xd), ("y", yd)]);
        let expected_x: Vec<f64> = if xd.size() == 4 {
            x.iter().map(|&v| f64::from(v as f32)).collect()
        } else {
            x.clone()
        };
        assert_ne!(f64::from(0.1f32), 0.1);
        check_ranges(&source, &expected_x, &y, None);
    }
}

#[test]
fn files_written_by_numpy() {
    // 1-D float32 big-endian: y = 1, 1.5, ..., 3.5.
    let dir = tempfile::tempdir().unwrap();
    let xp = dir.path().join("x.npy");
    write_npy_f64(&xp, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &[6]).unwrap();
    let source = NpySource::open(&xp, cli_fixture("one_d_f4_be.npy"), None).unwrap();
    assert_eq!(source.element_types()[1], ("y", t(">f4")));
    let mut b = Batch::default();
    source.read(1..6, &mut b).unwrap();
    assert_eq!(b.y, [1.5, 2.0, 2.5, 3.0, 3.5]);

    // A (6, 3) C-order float64 table: x, y, sigma columns.
    let table = NpySource::open_columns(cli_fixture("c_order.npy")).unwrap();
    assert_eq!(
        (table.n_points(), table.x_dim(), table.has_sigma()),
        (6, 1, true)
    );
    table.read(2..6, &mut b).unwrap();
    assert_eq!(b.x, [0.5, 0.75, 1.0, 1.25]);
    assert_eq!(b.y, [2.0, 2.5, 3.0, 3.5]);
    assert_eq!(b.sigma, [0.125; 4]);

    // The same table as a 2-D x: three values per point.
    let ys = dir.path().join("y6.npy");
    write_npy_f64(&ys, &[9.0; 6], &[6]).unwrap();
    let source = NpySource::open(cli_fixture("c_order.npy"), &ys, None).unwrap();
    assert_eq!(source.x_dim(), 3);
    source.read(5..6, &mut b).unwrap();
    assert_eq!(b.x, [1.25, 3.5, 0.125]);
}

#[test]
fn two_dimensional_x() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (2000, 3);
    let x: Vec<f64> = (0..n * d).map(|k| value(k, 5)).collect();
    let y = column(n, 1);
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    // Chunks that do not align with rows: the writer takes values in C order.
    write_chunked(&xp, &x, &[n, d], t("<f8"), 1000);
    write_chunked(&yp, &y, &[n], t("<f4"), 333);
    let source = NpySource::open(&xp, &yp, None).unwrap();
    assert_eq!(source.x_dim(), d);
    check_ranges(&source, &x, &y, None);
}

#[test]
fn tables_of_columns() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1200;
    for (cols, dtype) in [(2, t("<f8")), (3, t(">f4"))] {
        let table: Vec<f64> = (0..n)
            .flat_map(|i| (0..cols).map(move |c| value(i, c)))
            .collect();
        let p = dir.path().join(format!("t{cols}.npy"));
        write_chunked(&p, &table, &[n, cols], dtype, 501);
        let source = NpySource::open_columns(&p).unwrap();
        let s = column(n, 2);
        check_ranges(
            &source,
            &column(n, 0),
            &column(n, 1),
            (cols == 3).then_some(s.as_slice()),
        );
        assert!(source.describe().contains(&format!("t{cols}.npy")));
    }
}

#[test]
fn batches_larger_than_the_read_buffer() {
    // 400,000 float64 rows of 3 columns = 9.6 MB: read in 1 MiB pieces.
    let dir = tempfile::tempdir().unwrap();
    let n = 400_000;
    let table: Vec<f64> = (0..n)
        .flat_map(|i| (0..3).map(move |c| value(i, c)))
        .collect();
    let p = dir.path().join("big.npy");
    write_npy_f64(&p, &table, &[n, 3]).unwrap();
    let source = NpySource::open_columns(&p).unwrap();
    let mut b = Batch::default();
    source.read(1..n, &mut b).unwrap();
    assert_eq!(b.len(), n - 1);
    assert!((1..n).all(|i| b.x[i - 1] == value(i, 0) && b.y[i - 1] == value(i, 1)));
    assert!((1..n).all(|i| b.sigma[i - 1] == value(i, 2)));
}

#[test]
fn sources_are_shared_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let n = 10_000;
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    write_npy_f64(&xp, &column(n, 0), &[n]).unwrap();
    write_npy_f64(&yp, &column(n, 1), &[n]).unwrap();
    let source: Arc<dyn DataSource> = Arc::new(NpySource::open(&xp, &yp, None).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let source = Arc::clone(&source);
            std::thread::spawn(move || {
                let mut b = Batch::default();
                for k in 0..50 {
                    let start = (t * 997 + k * 131) % (n - 100);
                    source.read(start..start + 100, &mut b).unwrap();
                    assert!((0..100).all(|j| b.y[j] == value(start + j, 1)));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Writes a `.npy` file with a hand-made header dict and `data_bytes` bytes of data.
fn raw_npy(path: &Path, dict: &str, data_bytes: usize) {
    let mut header = dict.to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut f = File::create(path).unwrap();
    f.write_all(b"\x93NUMPY\x01\x00").unwrap();
    f.write_all(&(header.len() as u16).to_le_bytes()).unwrap();
    f.write_all(header.as_bytes()).unwrap();
    f.write_all(&vec![0u8; data_bytes]).unwrap();
}

#[test]
fn errors_name_the_file_the_array_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let n = 10;
    write_npy_f64(p("x.npy"), &column(n, 0), &[n]).unwrap();
    write_npy_f64(p("y.npy"), &column(n, 1), &[n]).unwrap();
    write_npy_f64(p("short.npy"), &column(n - 1, 1), &[n - 1]).unwrap();

    // Missing file.
    let e = NpySource::open(p("x.npy"), p("nope.npy"), None).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    let t = names(&e, &p("nope.npy"), "y");
    assert!(t.contains("cannot open"), "{t}");

    // Lengths that disagree: y and sigma against x.
    let e = NpySource::open(p("x.npy"), p("short.npy"), None).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::LengthMismatch {
                found: 9,
                expected: 10,
                ..
            }
        ),
        "{e:?}"
    );
    let t = names(&e, &p("short.npy"), "y");
    assert!(t.contains("holds 9 points but x"), "{t}");
    let e = NpySource::open(p("x.npy"), p("y.npy"), Some(&p("short.npy"))).unwrap_err();
    names(&e, &p("short.npy"), "sigma");

    // Fortran order: a table written by numpy in Fortran order reads as the C one.
    let fortran = NpySource::open_columns(cli_fixture("fortran_order.npy")).unwrap();
    let c_order = NpySource::open_columns(cli_fixture("c_order.npy")).unwrap();
    let (mut bf, mut bc) = (Batch::default(), Batch::default());
    fortran.read(1..5, &mut bf).unwrap();
    c_order.read(1..5, &mut bc).unwrap();
    assert_eq!((&bf.x, &bf.y, &bf.sigma), (&bc.x, &bc.y, &bc.sigma));
    // A 1-D array flagged Fortran has the same bytes: accepted.
    raw_npy(
        &p("f1.npy"),
        "{'descr': '<f8', 'fortran_order': True, 'shape': (10,), }",
        80,
    );
    NpySource::open(p("x.npy"), p("f1.npy"), None).unwrap();

    // Unsupported dtypes (integers are read: see `integers_of_every_width`).
    for descr in ["<f2", "<c16", "|b1", "<U3"] {
        let size = 4 * n;
        raw_npy(
            &p("bad.npy"),
            &format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (10,), }}"),
            size * 4,
        );
        let e = NpySource::open(p("x.npy"), p("bad.npy"), None).unwrap_err();
        assert!(matches!(e, DataError::UnsupportedDtype { .. }), "{e:?}");
        let t = names(&e, &p("bad.npy"), "y");
        assert!(
            t.contains(&format!("'{descr}'")) && t.contains("float64 or float32"),
            "{t}"
        );
    }
    raw_npy(
        &p("rec.npy"),
        "{'descr': [('a', '<f8'), ('b', '<f8')], 'fortran_order': False, 'shape': (10,), }",
        160,
    );
    let e = NpySource::open(p("rec.npy"), p("y.npy"), None).unwrap_err();
    let t = names(&e, &p("rec.npy"), "x");
    assert!(t.contains("[('a', '<f8'), ('b', '<f8')]"), "{t}");

    // Not a .npy file; a damaged header; a truncated file.
    std::fs::write(p("text.npy"), "x,y\n1,2\n").unwrap();
    let e = NpySource::open(p("text.npy"), p("y.npy"), None).unwrap_err();
    assert!(matches!(e, DataError::Format { .. }), "{e:?}");
    assert!(names(&e, &p("text.npy"), "x").contains("not a NumPy .npy file"));
    std::fs::write(p("empty.npy"), "").unwrap();
    let e = NpySource::open(p("empty.npy"), p("y.npy"), None).unwrap_err();
    assert!(matches!(e, DataError::Format { .. }), "{e:?}");
    raw_npy(&p("damaged.npy"), "{'descr': '<f8', 'shape': (10,)}", 80);
    let e = NpySource::open(p("damaged.npy"), p("y.npy"), None).unwrap_err();
    assert!(names(&e, &p("damaged.npy"), "x").contains("'fortran_order'"));
    let mut w = NpyWriter::create(p("trunc.npy"), &[n]).unwrap();
    w.write(&[1.0; 4]).unwrap();
    drop(w);
    let e = NpySource::open(p("x.npy"), p("y.npy"), Some(&p("trunc.npy"))).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected: 80,
                found: 32,
                ..
            }
        ),
        "{e:?}"
    );
    names(&e, &p("trunc.npy"), "sigma");
    // A header whose shape claims more than any file could hold.
    raw_npy(
        &p("huge.npy"),
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
        0,
    );
    let e = NpySource::open(p("huge.npy"), p("y.npy"), None).unwrap_err();
    names(&e, &p("huge.npy"), "x");

    // Shapes: a 3-D x, a 2-D y, a scalar, an empty array, a table of 4 columns.
    write_npy_f64(p("x3.npy"), &[0.0; 8], &[2, 2, 2]).unwrap();
    let e = NpySource::open(p("x3.npy"), p("y.npy"), None).unwrap_err();
    assert!(matches!(e, DataError::BadShape { .. }), "{e:?}");
    assert!(names(&e, &p("x3.npy"), "x").contains("has shape (2, 2, 2)"));
    write_npy_f64(p("y2.npy"), &[0.0; 20], &[10, 2]).unwrap();
    let e = NpySource::open(p("x.npy"), p("y2.npy"), None).unwrap_err();
    assert!(names(&e, &p("y2.npy"), "y").contains("give a 1-D array of shape (10,)"));
    write_npy_f64(p("scalar.npy"), &[1.0], &[]).unwrap();
    let e = NpySource::open(p("scalar.npy"), p("y.npy"), None).unwrap_err();
    assert!(names(&e, &p("scalar.npy"), "x").contains("has shape ()"));
    write_npy_f64(p("none.npy"), &[], &[0]).unwrap();
    let e = NpySource::open(p("none.npy"), p("none.npy"), None).unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e:?}");
    write_npy_f64(p("x0.npy"), &[], &[10, 0]).unwrap();
    let e = NpySource::open(p("x0.npy"), p("y.npy"), None).unwrap_err();
    assert!(names(&e, &p("x0.npy"), "x").contains("at least one predictor"));
    write_npy_f64(p("t4.npy"), &[0.0; 40], &[10, 4]).unwrap();
    let e = NpySource::open_columns(p("t4.npy")).unwrap_err();
    assert!(names(&e, &p("t4.npy"), "columns").contains("(n, 2)"));
}

#[test]
fn a_file_truncated_after_opening_fails_the_read() {
    let dir = tempfile::tempdir().unwrap();
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let n = 1000;
    write_npy_f64(&xp, &column(n, 0), &[n]).unwrap();
    write_npy_f64(&yp, &column(n, 1), &[n]).unwrap();
    let source = NpySource::open(&xp, &yp, None).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&yp)
        .unwrap()
        .set_len(1000)
        .unwrap();
    let mut b = Batch::default();
    source.read(0..100, &mut b).unwrap();
    let e = source.read(900..1000, &mut b).unwrap_err();
    let t = e.to_string();
    assert!(t.contains("900..1000") && t.contains("y.npy [y]"), "{t}");
}

#[test]
fn writers_refuse_the_wrong_number_of_values() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.npy");
    let e = write_npy_f64(&p, &[1.0, 2.0, 3.0], &[2, 2]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains("w.npy") && e.to_string().contains("(2, 2)"),
        "{e}"
    );

    let mut w = NpyWriter::create(&p, &[3]).unwrap();
    w.write(&[1.0, 2.0]).unwrap();
    let e = w.write(&[3.0, 4.0]).unwrap_err();
    assert!(e.to_string().contains("exceed"), "{e}");
    let e = w.finish().unwrap_err();
    assert!(
        e.to_string()
            .contains("2 values written but the array holds 3"),
        "{e}"
    );

    let e = NpyWriter::create(dir.path().join("no/such/dir.npy"), &[3]).unwrap_err();
    assert!(e.to_string().contains("dir.npy"), "{e}");
}

/// Files this crate writes load in numpy, when a Python with numpy is at hand
/// (target/pyvenv, or `HOMODYNE_PYTHON`): ignored unless asked for (`--include-ignored`, as
/// .ci/run does).
#[test]
#[ignore = "needs a Python with numpy (target/pyvenv or HOMODYNE_PYTHON); .ci/run runs it with --include-ignored"]
fn numpy_reads_what_the_writer_writes() {
    let python = python_with("numpy");
    let dir = tempfile::tempdir().unwrap();
    let n = 1000;
    let table: Vec<f64> = (0..n).flat_map(|i| [value(i, 0), value(i, 1)]).collect();
    for dtype in [t("<f8"), t(">f8"), t("<f4"), t(">f4")] {
        let p = dir.path().join("t.npy");
        write_chunked(&p, &table, &[n, 2], dtype, 333);
        let script = format!(
            "import numpy as np; a = np.load(r'{}'); \
             assert a.shape == ({n}, 2) and a.dtype == np.dtype('{}'), (a.shape, a.dtype); \
             assert (a[:, 0] == np.arange({n}) * 0.25).all(); \
             assert (a[:, 1] == np.arange({n}) * 0.25 + 1000).all(); print('ok')",
            p.display(),
            dtype.descr()
        );
        run_python(&python, &script);
    }
}

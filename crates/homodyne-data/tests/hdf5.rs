//! `Hdf5Source` and `Hdf5Writer`: ranges read back exactly by hyperslab, from files this
//! crate writes and from files h5py wrote; errors name the file and the dataset.

use std::path::{Path, PathBuf};

use homodyne_core::{Batch, DataSource};
use homodyne_data::{DataError, ElementType, Hdf5Source, Hdf5Writer, write_hdf5_xy};

mod common;
use common::{check_ranges, column, names, python_with, run_python, value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Fills x with `value(i, 0)`, y with `value(i, 1)`, sigma with `value(i, 2)`; a 2-D x
/// gets `value(i * d + c, 5)`.
fn fill(d: usize) -> impl FnMut(std::ops::Range<usize>, &mut Batch) {
    move |range, batch| {
        for (k, i) in range.enumerate() {
            for c in 0..d {
                batch.x[k * d + c] = if d == 1 {
                    value(i, 0)
                } else {
                    value(i * d + c, 5)
                };
            }
            batch.y[k] = value(i, 1);
            if !batch.sigma.is_empty() {
                batch.sigma[k] = value(i, 2);
            }
        }
    }
}

#[test]
fn contiguous_nested_datasets_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("data.h5");
    let n = 10_007;
    Hdf5Writer::new(&p, n)
        .datasets("/entry/data/x", "entry/data/y")
        .sigma_dataset("/entry/sigma")
        .batch_points(3000)
        .write(fill(1))
        .unwrap();
    // With or without the leading slash.
    let source =
        Hdf5Source::open(&p, "entry/data/x", "/entry/data/y", Some("entry/sigma")).unwrap();
    let (x, y, s) = (column(n, 0), column(n, 1), column(n, 2));
    check_ranges(&source, &x, &y, Some(&s));
    let d = source.describe();
    assert!(
        d.contains("data.h5") && d.contains("x /entry/data/x") && d.contains("sigma /entry/sigma"),
        "{d}"
    );
    assert_eq!(source.path(), p);
    let source = Hdf5Source::open(&p, "/entry/data/x", "/entry/data/y", None).unwrap();
    check_ranges(&source, &x, &y, None);
}

#[test]
fn chunked_datasets_read_only_what_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let n = 10_000;
    let (x, y, s) = (column(n, 0), column(n, 1), column(n, 2));
    for (name, writer) in [
        (
            "deflate.h5",
            Hdf5Writer::new(dir.path().join("deflate.h5"), n)
                .chunked(1000)
                .deflate(4),
        ),
        (
            "plain.h5",
            Hdf5Writer::new(dir.path().join("plain.h5"), n).chunked(777),
        ),
        (
            "default.h5",
            Hdf5Writer::new(dir.path().join("default.h5"), n).deflate(1),
        ),
    ] {
        writer
            .sigma_dataset("/s")
            .batch_points(2500)
            .write(fill(1))
            .unwrap();
        let source = Hdf5Source::open(dir.path().join(name), "x", "y", Some("s")).unwrap();
        check_ranges(&source, &x, &y, Some(&s));
    }
}

#[test]
fn two_dimensional_x() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (3000, 3);
    let x: Vec<f64> = (0..n * d).map(|k| value(k, 5)).collect();
    let y = column(n, 1);
    for (name, chunk) in [("c.h5", None), ("k.h5", Some(128))] {
        let p = dir.path().join(name);
        let mut w = Hdf5Writer::new(&p, n).x_dim(d).batch_points(1000);
        if let Some(c) = chunk {
            w = w.chunked(c).deflate(6);
        }
        w.write(fill(d)).unwrap();
        let source = Hdf5Source::open(&p, "/x", "/y", None).unwrap();
        assert_eq!(source.x_dim(), d);
        check_ranges(&source, &x, &y, None);
    }
}

#[test]
fn the_xy_shorthand() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("xy.h5");
    let n = 200_000;
    let mut calls = 0;
    write_hdf5_xy(&p, n, |range, x, y| {
        calls += 1;
        assert_eq!((x.len(), y.len()), (range.len(), range.len()));
        for (k, i) in range.enumerate() {
            x[k] = value(i, 0);
            y[k] = value(i, 1);
        }
    })
    .unwrap();
    assert_eq!(calls, n.div_ceil(65_536));
    let source = Hdf5Source::open(&p, "x", "y", None).unwrap();
    check_ranges(&source, &column(n, 0), &column(n, 1), None);
}

/// Files written by h5py (tests/data/make_fixtures.py): contiguous, big-endian float64
/// and float32, chunked with gzip and with shuffle + gzip, a chunked 2-D x, a resizable
/// chunked dataset; with the newest file format and with the earliest (v0 superblock, v1
/// B-tree chunk index).
#[test]
fn files_written_by_h5py() {
    let n = 500;
    let x = column(n, 0);
    let y = column(n, 1);
    let y_f4: Vec<f64> = y.iter().map(|&v| f64::from(v as f32)).collect();
    assert_eq!(y_f4, y);
    let sigma: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64 * 0.125).collect();
    let x2: Vec<f64> = (0..n)
        .flat_map(|i| [value(i, 0), -0.5 * i as f64])
        .collect();
    for file in ["h5py_latest.h5", "h5py_earliest.h5"] {
        let p = fixture(file);
        let e = |name: &str| format!("/exchange/{name}");
        for (xd, yd, sd) in [
            ("x", "y_be", Some("sigma_f4")),
            ("x", "y_gzip", None),
            ("x", "y_f4_be", Some("sigma_f4")),
            ("x", "y_ext", None),
        ] {
            let source = Hdf5Source::open(&p, &e(xd), &e(yd), sd.map(e).as_deref())
                .unwrap_or_else(|err| panic!("{err}"));
            check_ranges(&source, &x, &y, sd.map(|_| sigma.as_slice()));
        }
        let source = Hdf5Source::open(&p, "exchange/x2", "exchange/y_gzip", None).unwrap();
        assert_eq!(source.x_dim(), 2);
        check_ranges(&source, &x2, &y, None);
    }
}

/// Integer datasets (h5py's int32) read as numbers, whole ranges and batches alike.
#[test]
fn integers_are_read_as_numbers() {
    let n = 500;
    let counts: Vec<f64> = (0..n).map(|i| i as f64).collect();
    for file in ["h5py_latest.h5", "h5py_earliest.h5"] {
        let source = Hdf5Source::open(fixture(file), "/exchange/x", "/exchange/counts", None)
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            source.element_types()[1],
            ("/exchange/counts", ElementType::from_descr("<i4").unwrap())
        );
        check_ranges(&source, &column(n, 0), &counts, None);
    }
}

#[test]
fn errors_name_the_file_the_dataset_and_the_problem() {
    let p = fixture("h5py_latest.h5");
    let open = |x: &str, y: &str, s: Option<&str>| Hdf5Source::open(&p, x, y, s).unwrap_err();

    let e = open("/exchange/x", "/exchange/nope", None);
    assert!(matches!(e, DataError::MissingDataset { .. }), "{e:?}");
    let t = names(&e, &p, "/exchange/nope");
    assert!(
        t.contains("no such dataset (datasets: /exchange/counts, /exchange/cube, /exchange/short,"),
        "{t}"
    );

    // 32-bit integers are read (see `integers_are_read_as_numbers`); complex numbers are not.
    let dir = tempfile::tempdir().unwrap();
    let complex = dir.path().join("complex.h5");
    {
        let file = rust_hdf5::H5File::create(&complex).unwrap();
        let z = file
            .new_dataset::<rust_hdf5::Complex64>()
            .shape([2usize])
            .create("z")
            .unwrap();
        z.write_raw(&[rust_hdf5::Complex64 { re: 1.0, im: 2.0 }; 2])
            .unwrap();
        file.close().unwrap();
    }
    let e = Hdf5Source::open(&complex, "/z", "/z", None).unwrap_err();
    assert!(matches!(e, DataError::UnsupportedDtype { .. }), "{e:?}");
    let t = names(&e, &complex, "/z");
    assert!(
        t.contains("compound") && t.contains("float64 or float32"),
        "{t}"
    );

    let e = open("/exchange/x", "/exchange/short", None);
    assert!(
        matches!(
            e,
            DataError::LengthMismatch {
                found: 499,
                expected: 500,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(names(&e, &p, "/exchange/short").contains("x dataset /exchange/x"));
    let e = open("/exchange/x", "/exchange/y_be", Some("exchange/short"));
    names(&e, &p, "/exchange/short");

    let e = open("/exchange/cube", "/exchange/y_be", None);
    assert!(matches!(e, DataError::BadShape { .. }), "{e:?}");
    assert!(names(&e, &p, "/exchange/cube").contains("has shape (4, 4, 4)"));
    let e = open("/exchange/x", "/exchange/x2", None);
    assert!(names(&e, &p, "/exchange/x2").contains("give a 1-D dataset of shape (500,)"));

    let missing = dir.path().join("missing.h5");
    let e = Hdf5Source::open(&missing, "x", "y", None).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e:?}");
    assert_eq!(e.dataset(), "");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot open: ", missing.display())),
        "{e}"
    );
    let text = dir.path().join("text.h5");
    std::fs::write(&text, "x,y\n1,2\n").unwrap();
    let e = Hdf5Source::open(&text, "x", "y", None).unwrap_err();
    assert!(matches!(e, DataError::Format { .. }), "{e:?}");
    assert!(e.to_string().contains("cannot be read as HDF5"), "{e}");
    assert!(e.to_string().contains("text.h5"), "{e}");
    // A .npy file is not HDF5 either.
    let npy = dir.path().join("a.npy");
    homodyne_data::write_npy_f64(&npy, &[1.0], &[1]).unwrap();
    assert!(matches!(
        Hdf5Source::open(&npy, "x", "y", None),
        Err(DataError::Format { .. })
    ));
}

#[test]
fn writer_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.h5");
    let e = Hdf5Writer::new(&p, 0).write(|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("no points"), "{e}");
    let e = Hdf5Writer::new(&p, 10)
        .deflate(10)
        .write(|_, _| {})
        .unwrap_err();
    assert!(e.to_string().contains("0 to 9"), "{e}");
    let e = Hdf5Writer::new(&p, 10)
        .batch_points(0)
        .write(|_, _| {})
        .unwrap_err();
    assert!(e.to_string().contains("0 points"), "{e}");
    let e = Hdf5Writer::new(&p, 10)
        .write(|_, b| b.y.push(1.0))
        .unwrap_err();
    assert!(matches!(e, DataError::Write { .. }), "{e:?}");
    names(&e, &p, "/y");
    let bad = dir.path().join("no/such/dir.h5");
    let e = Hdf5Writer::new(&bad, 10).write(|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("dir.h5"), "{e}");
}

/// h5py reads what the writer writes (contiguous, chunked + deflate, nested, 2-D x), when
/// a Python with h5py is at hand (target/pyvenv, or `HOMODYNE_PYTHON`): ignored unless asked
/// for (`--include-ignored`, as .ci/run does).
#[test]
#[ignore = "needs a Python with h5py (target/pyvenv or HOMODYNE_PYTHON); .ci/run runs it with --include-ignored"]
fn h5py_reads_what_the_writer_writes() {
    let python = python_with("h5py");
    let dir = tempfile::tempdir().unwrap();
    let n = 5000;
    for (name, chunked) in [("c.h5", false), ("k.h5", true)] {
        let p = dir.path().join(name);
        let mut w = Hdf5Writer::new(&p, n)
            .datasets("/exchange/x", "/exchange/y")
            .sigma_dataset("/s")
            .x_dim(2)
            .batch_points(1200);
        if chunked {
            w = w.chunked(512).deflate(3);
        }
        w.write(fill(2)).unwrap();
        let script = format!(
            "import h5py, numpy as np\n\
             f = h5py.File(r'{}', 'r')\n\
             i = np.arange({n})\n\
             x, y, s = f['exchange/x'], f['exchange/y'], f['s']\n\
             assert x.shape == ({n}, 2) and x.dtype == np.float64, (x.shape, x.dtype)\n\
             assert (x[:].ravel() == np.arange(2 * {n}) * 0.25 + 5000).all()\n\
             assert (y[:] == i * 0.25 + 1000).all() and (s[:] == i * 0.25 + 2000).all()\n\
             assert (x.chunks is not None) == {}, x.chunks\n\
             print('ok')",
            p.display(),
            if chunked { "True" } else { "False" }
        );
        run_python(&python, &script);
    }
}

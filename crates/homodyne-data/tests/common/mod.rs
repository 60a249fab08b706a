//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use homodyne_core::{Batch, DataSource};
use homodyne_data::DataError;

/// Values that are exact in float32 too, distinct per index and per array.
pub fn value(i: usize, array: usize) -> f64 {
    (i as f64) * 0.25 + 1000.0 * array as f64
}

/// `value(i, array)` for the first `n` indices.
pub fn column(n: usize, array: usize) -> Vec<f64> {
    (0..n).map(|i| value(i, array)).collect()
}

/// Reads `source` by first, middle, last, whole, single-point and empty ranges, and in a
/// pass of batches of 300 (the last partial), comparing with the columns; then checks
/// that ranges past the end fail naming the range and the source.
pub fn check_ranges(source: &dyn DataSource, x: &[f64], y: &[f64], sigma: Option<&[f64]>) {
    let n = y.len();
    let d = source.x_dim();
    assert_eq!(source.n_points(), n);
    assert_eq!(x.len(), n * d);
    assert_eq!(source.has_sigma(), sigma.is_some());
    let mut batch = Batch::default();
    let check = |r: std::ops::Range<usize>, batch: &mut Batch| {
        source.read(r.clone(), batch).unwrap();
        assert_eq!(batch.x, x[r.start * d..r.end * d], "x {r:?}");
        assert_eq!(batch.y, y[r.clone()], "y {r:?}");
        match sigma {
            Some(s) => assert_eq!(batch.sigma, s[r.clone()], "sigma {r:?}"),
            None => assert!(batch.sigma.is_empty()),
        }
    };
    // First, middle, last, the whole, a single point, and an empty range.
    for r in [
        0..n.min(100),
        n / 2 - 7..n / 2 + 50,
        n - 100..n,
        0..n,
        n - 1..n,
        n / 3..n / 3,
        n..n,
    ] {
        check(r, &mut batch);
    }
    // A pass in batches of 300: the last batch is partial; the batch is reused.
    let mut start = 0;
    while start < n {
        let end = (start + 300).min(n);
        check(start..end, &mut batch);
        start = end;
    }
    // Past the end, and reversed.
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 10..5;
    for r in [n - 5..n + 1, n + 1..n + 2, reversed] {
        let e = source.read(r.clone(), &mut batch).unwrap_err();
        assert_eq!((e.start, e.end), (r.start, r.end));
        assert!(e.message.contains(&format!("holds {n} points")), "{e}");
        assert!(e.to_string().contains(&source.describe()), "{e}");
    }
}

/// A Python interpreter that imports `module`.
///
/// # Panics
///
/// When there is none, saying where one is looked for.
pub fn python_with(module: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyvenv/bin/python");
    let candidates = std::env::var_os("HOMODYNE_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv]);
    candidates
        .into_iter()
        .find(|p| {
            std::process::Command::new(p)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("a Python with {module}: target/pyvenv (see .ci/run) or HOMODYNE_PYTHON")
        })
}

/// Runs `script` with `python -c`, which must succeed (its stderr is the panic message).
pub fn run_python(python: &Path, script: &str) {
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks that the error's message names the file and the array or dataset, on one
/// line, as its accessors do; returns the message.
pub fn names(e: &DataError, path: &Path, dataset: &str) -> String {
    let text = e.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains(&format!("[{dataset}]")), "{text}");
    assert_eq!(e.file(), path);
    assert_eq!(e.dataset(), dataset);
    assert!(!text.contains('\n'), "{text}");
    text
}

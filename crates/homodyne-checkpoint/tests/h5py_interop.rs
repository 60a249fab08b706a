//! A reader the project did not write reads the checkpoints: h5py (on the HDF5 C library)
//! opens a file written here, `tests/read_checkpoint.py` prints every field as JSON, and
//! this test compares it with what was saved, bit for bit. The script also recomputes the
//! SHA-256 checksum from the documented canonical byte stream.
//!
//! The interpreter is `$HOMODYNE_PYTHON`, or else `target/pyvenv/bin/python` at the
//! workspace root. The test needs it, so it is `#[ignore]`d (a plain `cargo test` needs
//! nothing but the Rust toolchain and reports it as ignored, never as passed); `.ci/run`
//! creates the venv and runs it with `--include-ignored`. Run by hand without the venv, it
//! fails and says how to make one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use homodyne_checkpoint::{
    CheckpointManager, FORMAT_VERSION, LIBRARY_VERSION, StateArray, load_checkpoint,
};
use serde_json::Value;

mod common;
use common::{bits, json_items, state_of};

/// The Python interpreter to use and where it came from.
fn python() -> (PathBuf, &'static str) {
    match std::env::var_os("HOMODYNE_PYTHON") {
        Some(p) if !p.is_empty() => (PathBuf::from(p), "HOMODYNE_PYTHON"),
        _ => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyvenv/bin/python"),
            "the default target/pyvenv",
        ),
    }
}

/// The interpreter, after checking that it imports h5py and numpy; a failure with
/// instructions when it cannot.
fn python_with_h5py() -> PathBuf {
    let (python, origin) = python();
    let probe = Command::new(&python)
        .args(["-c", "import h5py, numpy"])
        .output();
    let problem = match probe {
        Ok(out) if out.status.success() => return python,
        Ok(out) => format!(
            "{} ({origin}) cannot import h5py and numpy: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("{} ({origin}) cannot be run: {e}", python.display()),
    };
    panic!(
        "{problem}\nThe h5py interop test needs a Python with h5py and numpy. Create one from \
         the workspace root with\n\
         \x20   PYENV_VERSION=3.12.1 python3.12 -m venv target/pyvenv && target/pyvenv/bin/pip install h5py numpy\n\
         or point HOMODYNE_PYTHON at an interpreter that has them."
    );
}

/// Runs `read_checkpoint.py` on `path` and parses its JSON.
fn read_with_h5py(python: &Path, path: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_checkpoint.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(path)
        .output()
        .expect("run read_checkpoint.py");
    assert!(
        out.status.success(),
        "read_checkpoint.py failed on {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "read_checkpoint.py printed invalid JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Checks one field printed by the script against the array that was saved.
fn assert_field(json: &Value, expected: &StateArray, what: &str) {
    let shape = json_items(&json["shape"], Value::as_u64, &format!("{what}: shape"));
    let shape: Vec<usize> = shape.into_iter().map(|d| d as usize).collect();
    assert_eq!(shape, expected.shape(), "{what}: shape");
    match expected {
        StateArray::F64 { data, .. } => {
            assert_eq!(json["dtype"], "float64", "{what}");
            let read = json_items(&json["bits"], Value::as_u64, what);
            assert_eq!(read, bits(data), "{what}: values (as bit patterns)");
        }
        StateArray::I64 { data, .. } => {
            assert_eq!(json["dtype"], "int64", "{what}");
            let values = json_items(&json["values"], Value::as_i64, what);
            assert_eq!(&values, data, "{what}: values");
        }
    }
}

#[test]
#[ignore = "needs a Python with h5py and numpy (target/pyvenv or HOMODYNE_PYTHON); .ci/run runs it with --include-ignored"]
fn h5py_reads_every_field_and_recomputes_the_checksum() {
    let python = python_with_h5py();
    let params: Vec<f64> = (0..53)
        .map(|i| 0.5 + i as f64 / 3.0)
        .chain([f64::NAN, -0.0])
        .collect();
    let state = state_of([
        ("trust_radius", StateArray::scalar_f64(0.125)),
        ("iteration", StateArray::scalar_i64(-12)),
        (
            "r_factor",
            StateArray::matrix_f64(53, 53, (0..53 * 53).map(|i| i as f64 * 0.01).collect())
                .unwrap(),
        ),
        (
            "special",
            StateArray::vector_f64(vec![
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::from_bits(0x7ff8_0000_dead_beef),
                f64::from_bits(1),
            ]),
        ),
        (
            "cube",
            StateArray::f64_with_shape(vec![2, 3, 4], (0..24).map(f64::from).collect()).unwrap(),
        ),
        ("empty", StateArray::vector_f64(Vec::new())),
        (
            "empty_matrix",
            StateArray::matrix_f64(0, 4, Vec::new()).unwrap(),
        ),
        (
            "rng_state",
            StateArray::vector_i64(vec![i64::MIN, -1, 0, i64::MAX]),
        ),
    ]);
    let metadata = BTreeMap::from([
        ("strategy".to_owned(), "streaming".to_owned()),
        ("unicode".to_owned(), "Δτ = 1 µs ✓".to_owned()),
        ("empty".to_owned(), String::new()),
    ]);

    for compress in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let manager = CheckpointManager::new(dir.path(), 10, 3, compress).unwrap();
        let path = manager
            .save_checkpoint(19, &params, &state, 3.5, &metadata)
            .unwrap();
        let saved = load_checkpoint(&path).unwrap();
        let json = read_with_h5py(&python, &path);

        assert_field(
            &json["parameters"],
            &StateArray::vector_f64(params.clone()),
            "/parameters",
        );
        assert_field(&json["loss"], &StateArray::scalar_f64(3.5), "/loss");
        assert_field(
            &json["batch_idx"],
            &StateArray::scalar_i64(19),
            "/batch_idx",
        );
        let fields = json["optimizer_state"].as_object().unwrap();
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let expected_names: Vec<&str> = state.names().collect();
        assert_eq!(names, expected_names);
        for (name, array) in state.iter() {
            assert_field(&fields[name], array, &format!("/optimizer_state/{name}"));
        }
        let read_metadata: BTreeMap<String, String> = json["metadata"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(read_metadata, metadata);
        assert_eq!(json["format_version"], FORMAT_VERSION);
        assert_eq!(json["library_version"], LIBRARY_VERSION);
        assert_eq!(json["timestamp"], saved.timestamp.as_str());

        // The checksum stored by Rust equals the one h5py's view of the data hashes to.
        let stored = json["checksum"].as_str().unwrap();
        assert_eq!(stored.len(), 64);
        assert_eq!(
            json["computed_checksum"], stored,
            "independent checksum differs"
        );

        // No attributes anywhere; non-empty arrays are gzip-compressed when asked.
        assert_eq!(json["attributes"], Value::Array(Vec::new()));
        let compression = json["compression"].as_object().unwrap();
        for (field, array) in [
            ("/parameters", true),
            ("/optimizer_state/r_factor", true),
            ("/optimizer_state/cube", true),
            ("/optimizer_state/trust_radius", false),
            ("/optimizer_state/empty", false),
            ("/loss", false),
        ] {
            let want = if compress && array {
                Value::from("gzip")
            } else {
                Value::Null
            };
            assert_eq!(
                compression[field], want,
                "{field} with compression={compress}"
            );
        }
        println!(
            "h5py {} (HDF5 {}) read {} (compression={compress})",
            json["h5py_version"],
            json["hdf5_version"],
            path.display()
        );
    }
}

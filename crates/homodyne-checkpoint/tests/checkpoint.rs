//! End-to-end tests of the checkpoint files: round trips, corruption, truncation, foreign
//! files, pruning, atomicity and error paths.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tempfile::TempDir;

use homodyne_checkpoint::{
    Checkpoint, CheckpointError, CheckpointManager, FORMAT_VERSION, LIBRARY_VERSION,
    OptimizerState, StateArray, load_checkpoint, validate_checkpoint,
};

mod common;
use common::{bits, state_of};

/// A value whose little-endian bytes occur nowhere else in a test checkpoint.
const DISTINCTIVE: f64 = 1_234.567_890_123_456_7;

/// An optimizer state with every kind of field: scalars, vectors, a matrix, a 3-D array,
/// empty arrays, NaN (with payloads), infinities, negative zero and extreme integers.
fn rich_state() -> OptimizerState {
    let quiet_nan_payload = f64::from_bits(0x7ff8_0000_dead_beef);
    let signalling_nan = f64::from_bits(0x7ff0_0000_0000_0001);
    let negative_nan = f64::from_bits(0xfff8_0000_0000_0000);
    state_of([
        ("trust_radius", StateArray::scalar_f64(0.375)),
        ("iteration", StateArray::scalar_i64(i64::MIN)),
        ("nfev", StateArray::scalar_i64(i64::MAX)),
        (
            "special",
            StateArray::vector_f64(vec![
                f64::NAN,
                quiet_nan_payload,
                signalling_nan,
                negative_nan,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                f64::MIN_POSITIVE,
                f64::from_bits(1), // smallest subnormal
                f64::MAX,
            ]),
        ),
        (
            "r",
            StateArray::matrix_f64(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN]).unwrap(),
        ),
        (
            "cube",
            StateArray::f64_with_shape(vec![2, 3, 4], (0..24).map(|i| i as f64 * 0.5).collect())
                .unwrap(),
        ),
        ("empty_vector", StateArray::vector_f64(Vec::new())),
        (
            "empty_matrix",
            StateArray::matrix_f64(0, 5, Vec::new()).unwrap(),
        ),
        ("empty_ints", StateArray::vector_i64(Vec::new())),
        ("rng_state", StateArray::vector_i64(vec![-1, 0, 1, 1 << 62])),
        (
            "counts",
            StateArray::i64_with_shape(vec![2, 2], vec![1, -2, 3, -4]).unwrap(),
        ),
    ])
}

fn rich_metadata() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("strategy".to_owned(), "streaming".to_owned()),
        ("n_points".to_owned(), "1000000".to_owned()),
        ("empty".to_owned(), String::new()),
        ("unicode".to_owned(), "Δτ = 1 µs, ångström ✓".to_owned()),
        ("multiline".to_owned(), "line 1\nline 2\ttab".to_owned()),
    ])
}

/// What of a field must survive a round trip exactly: its dtype, its shape and its values
/// as bit patterns (f64 by `to_bits`, i64 as they are).
fn exact_image(array: &StateArray) -> (&'static str, &[usize], Vec<u64>) {
    let values = match array {
        StateArray::F64 { data, .. } => bits(data),
        StateArray::I64 { data, .. } => data.iter().map(|&v| v as u64).collect(),
    };
    (array.dtype_name(), array.shape(), values)
}

/// Two states compared bit for bit (`PartialEq` on f64 would fail on NaN).
fn assert_same_state(a: &OptimizerState, b: &OptimizerState) {
    let names_a: Vec<&str> = a.names().collect();
    let names_b: Vec<&str> = b.names().collect();
    assert_eq!(names_a, names_b);
    for (name, x) in a.iter() {
        let y = b.get(name).unwrap();
        assert_eq!(exact_image(x), exact_image(y), "{name}");
    }
}

fn manager(dir: &Path, keep: usize, compress: bool) -> CheckpointManager {
    CheckpointManager::new(dir, 1, keep, compress).unwrap()
}

/// Saves a small checkpoint for `batch` with `DISTINCTIVE` as its third parameter.
fn save_simple(m: &CheckpointManager, batch: u64) -> PathBuf {
    let params = [0.5, -1.5 - batch as f64, DISTINCTIVE, 3.25];
    let state = OptimizerState::new()
        .with("trust_radius", StateArray::scalar_f64(0.1))
        .unwrap();
    m.save_checkpoint(batch, &params, &state, 2.0, &BTreeMap::new())
        .unwrap()
}

/// Positions where `needle` occurs in `haystack`.
fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn every_field_round_trips_bit_for_bit() {
    for compress in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let m = manager(dir.path(), 3, compress);
        let params: Vec<f64> = vec![1.0, -2.5e-300, 6.02e23, f64::NAN, -0.0, DISTINCTIVE];
        let state = rich_state();
        let metadata = rich_metadata();
        let before = std::time::SystemTime::now();
        let path = m
            .save_checkpoint(42, &params, &state, f64::NEG_INFINITY, &metadata)
            .unwrap();
        assert_eq!(path, dir.path().join("homodyne_state_batch_0042.h5"));

        let ck: Checkpoint = load_checkpoint(&path).unwrap();
        assert_eq!(ck.batch_idx, 42);
        assert_eq!(bits(&ck.parameters), bits(&params));
        assert_eq!(ck.loss.to_bits(), f64::NEG_INFINITY.to_bits());
        assert_same_state(&ck.optimizer_state, &state);
        assert_eq!(ck.metadata, metadata);
        assert_eq!(ck.format_version, FORMAT_VERSION);
        assert_eq!(ck.library_version, LIBRARY_VERSION);
        assert_eq!(ck.path, path);
        // RFC 3339 UTC, e.g. 2026-05-01T12:34:56.789012Z, not before the save started.
        let ts = &ck.timestamp;
        assert_eq!(ts.len(), 27, "{ts}");
        assert!(
            ts.ends_with('Z') && &ts[4..5] == "-" && &ts[10..11] == "T",
            "{ts}"
        );
        let year: i32 = ts[..4].parse().unwrap();
        let now_year = 1970
            + (before
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                / 31_556_952) as i32;
        assert!((now_year - 1..=now_year + 1).contains(&year), "{ts}");
        validate_checkpoint(&path).unwrap();
    }
}

#[test]
fn empty_parameters_and_state_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 3, true);
    let path = m
        .save_checkpoint(0, &[], &OptimizerState::new(), 0.0, &BTreeMap::new())
        .unwrap();
    let ck = load_checkpoint(&path).unwrap();
    assert!(ck.parameters.is_empty());
    assert!(ck.optimizer_state.is_empty());
    assert!(ck.metadata.is_empty());
    assert_eq!(ck.batch_idx, 0);
}

#[test]
fn large_arrays_are_chunked_and_round_trip() {
    // 400 x 400 f64 = 1.28 MB: more than one 1 MiB chunk.
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 3, true);
    let n = 400;
    let data: Vec<f64> = (0..n * n)
        .map(|i| ((i * 7919) % 1000) as f64 / 7.0)
        .collect();
    let state = OptimizerState::new()
        .with("big", StateArray::matrix_f64(n, n, data.clone()).unwrap())
        .unwrap();
    let path = m
        .save_checkpoint(7, &[1.0], &state, 1.0, &BTreeMap::new())
        .unwrap();
    let ck = load_checkpoint(&path).unwrap();
    let (rows, cols, read) = ck
        .optimizer_state
        .get("big")
        .unwrap()
        .as_matrix_f64()
        .unwrap();
    assert_eq!((rows, cols), (n, n));
    assert_eq!(bits(read), bits(&data));
    // Compression did something on these repetitive values.
    let size = fs::metadata(&path).unwrap().len();
    assert!(size < (n * n * 8) as u64, "file is {size} bytes");
}

/// Checkpoints of batches 1 and 2 by [`save_simple`] in a fresh directory (compressed or
/// not): the directory, the manager (keeping 5), the older file and the newest.
fn two_checkpoints(compress: bool) -> (TempDir, CheckpointManager, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 5, compress);
    let older = save_simple(&m, 1);
    let newest = save_simple(&m, 2);
    (dir, m, older, newest)
}

/// The damaged `newest` is refused with an error that names its file, and `m` falls back on
/// `older`, skipping `newest` only: the error's message and what was skipped.
fn assert_falls_back_on_the_older(
    m: &CheckpointManager,
    older: &Path,
    newest: &Path,
) -> (String, Vec<(PathBuf, CheckpointError)>) {
    let message = load_checkpoint(newest).unwrap_err().to_string();
    assert!(
        message.contains("homodyne_state_batch_0002.h5"),
        "{message}"
    );
    let (latest, skipped) = m.find_latest_checkpoint_with_skipped().unwrap();
    assert_eq!(latest.as_deref(), Some(older));
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, newest);
    (message, skipped)
}

#[test]
fn a_flipped_byte_in_the_parameters_is_detected_and_skipped() {
    // Uncompressed, so the parameters' raw little-endian bytes are in the file verbatim.
    let (_dir, m, older, newest) = two_checkpoints(false);
    let stored_checksum = {
        let ck = load_checkpoint(&newest).unwrap();
        assert_eq!(ck.parameters[2], DISTINCTIVE);
        ck
    };
    drop(stored_checksum);

    let mut bytes = fs::read(&newest).unwrap();
    let hits = find_all(&bytes, &DISTINCTIVE.to_le_bytes());
    assert_eq!(
        hits.len(),
        1,
        "the distinctive value must occur exactly once"
    );
    // Flip a mantissa bit in the middle of the value: still a finite, plausible number.
    bytes[hits[0] + 3] ^= 0x10;
    fs::write(&newest, &bytes).unwrap();

    let err = validate_checkpoint(&newest).unwrap_err();
    assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");
    match load_checkpoint(&newest).unwrap_err() {
        CheckpointError::Corrupt {
            path,
            expected,
            actual,
        } => {
            assert_eq!(path, newest);
            assert_ne!(expected, actual);
            assert_eq!(expected.len(), 64);
            assert_eq!(actual.len(), 64);
        }
        other => panic!("expected Corrupt, got {other}"),
    }
    let (message, skipped) = assert_falls_back_on_the_older(&m, &older, &newest);
    assert!(message.contains("corrupt"), "{message}");
    assert!(matches!(skipped[0].1, CheckpointError::Corrupt { .. }));
    assert_eq!(m.find_latest_checkpoint().unwrap(), Some(older));
    assert_eq!(m.load_latest_checkpoint().unwrap().unwrap().batch_idx, 1);
}

#[test]
fn a_truncated_file_is_refused_and_skipped() {
    let (_dir, m, older, newest) = two_checkpoints(true);
    let len = fs::metadata(&newest).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let err = validate_checkpoint(&newest).unwrap_err();
    assert!(err.is_invalid_file(), "{err:?}");
    assert_eq!(err.path(), Some(newest.as_path()));
    assert_falls_back_on_the_older(&m, &older, &newest);
}

#[test]
fn a_file_that_is_not_hdf5_is_refused_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 5, true);
    let older = save_simple(&m, 1);
    let fake = dir.path().join("homodyne_state_batch_0099.h5");
    fs::write(&fake, "batch,loss\n99,0.5\n").unwrap();
    let empty = dir.path().join("homodyne_state_batch_0100.h5");
    fs::write(&empty, b"").unwrap();

    for path in [&fake, &empty] {
        match load_checkpoint(path).unwrap_err() {
            CheckpointError::NotHdf5 { path: p, message } => {
                assert_eq!(&p, path);
                assert!(!message.is_empty());
            }
            other => panic!("expected NotHdf5, got {other:?}"),
        }
        assert!(validate_checkpoint(path).is_err());
    }
    let (latest, skipped) = m.find_latest_checkpoint_with_skipped().unwrap();
    assert_eq!(latest, Some(older));
    let skipped_paths: Vec<&PathBuf> = skipped.iter().map(|(p, _)| p).collect();
    assert_eq!(skipped_paths, vec![&empty, &fake]);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("homodyne_state_batch_0001.h5");
    match load_checkpoint(&path).unwrap_err() {
        CheckpointError::Io {
            path: p, source, ..
        } => {
            assert_eq!(p, path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn no_checkpoint_means_none() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(&dir.path().join("ck"), 3, true);
    fs::write(dir.path().join("ck/readme.txt"), "not a checkpoint").unwrap();
    assert_eq!(m.find_latest_checkpoint().unwrap(), None);
    assert!(m.load_latest_checkpoint().unwrap().is_none());
    fs::remove_dir_all(dir.path().join("ck")).unwrap();
    assert_eq!(m.find_latest_checkpoint().unwrap(), None);
    assert!(m.list_checkpoints().unwrap().is_empty());
}

#[test]
fn only_the_newest_keep_last_n_remain() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 3, true);
    for batch in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] {
        save_simple(&m, batch);
    }
    assert_eq!(
        file_names(dir.path()),
        vec![
            "homodyne_state_batch_0008.h5",
            "homodyne_state_batch_0009.h5",
            "homodyne_state_batch_0010.h5",
        ],
        "ordered by batch index, not by name length"
    );
    let listed: Vec<u64> = m
        .list_checkpoints()
        .unwrap()
        .iter()
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(listed, vec![8, 9, 10]);

    // An explicit cleanup with a smaller manager on the same directory reports what it removed.
    let m1 = manager(dir.path(), 1, true);
    let removed = m1.cleanup_old_checkpoints().unwrap();
    assert_eq!(
        removed,
        vec![
            dir.path().join("homodyne_state_batch_0008.h5"),
            dir.path().join("homodyne_state_batch_0009.h5"),
        ]
    );
    assert!(m1.cleanup_old_checkpoints().unwrap().is_empty());
}

#[test]
fn saving_the_same_batch_again_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 3, true);
    let state = OptimizerState::new();
    let a = m
        .save_checkpoint(5, &[1.0], &state, 1.0, &BTreeMap::new())
        .unwrap();
    let b = m
        .save_checkpoint(5, &[2.0], &state, 0.5, &BTreeMap::new())
        .unwrap();
    assert_eq!(a, b);
    let ck = load_checkpoint(&b).unwrap();
    assert_eq!((ck.parameters[0], ck.loss), (2.0, 0.5));
    assert_eq!(file_names(dir.path()), vec!["homodyne_state_batch_0005.h5"]);
}

#[test]
fn no_temporary_file_remains_after_saves() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 2, true);
    // A temporary file left by a save that crashed earlier.
    let stale = dir.path().join(".homodyne_state_batch_0003.h5.4242.0.tmp");
    fs::write(&stale, b"half a checkpoint").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    for batch in 0..5 {
        save_simple(&m, batch);
        let names = file_names(dir.path());
        assert!(
            names
                .iter()
                .all(|n| !n.ends_with(".tmp") && !n.starts_with('.')),
            "{names:?}"
        );
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("homodyne_state_batch_") && n.ends_with(".h5"))
        );
    }
    assert!(!stale.exists());
}

#[test]
fn an_unwritable_directory_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a_file");
    fs::write(&blocker, "I am a file").unwrap();

    // The directory cannot be created: its parent is a regular file (fails even as root).
    let target = blocker.join("checkpoints");
    match CheckpointManager::new(&target, 10, 3, true).unwrap_err() {
        CheckpointError::Io { path, source, .. } => {
            assert_eq!(path, target);
            assert!(source.kind() != std::io::ErrorKind::NotFound || cfg!(windows));
        }
        other => panic!("expected Io, got {other:?}"),
    }
    let err = CheckpointManager::new(&target, 10, 3, true).unwrap_err();
    assert!(err.to_string().contains("a_file/checkpoints"), "{err}");
    // The path is itself a regular file.
    assert!(matches!(
        CheckpointManager::new(&blocker, 10, 3, true).unwrap_err(),
        CheckpointError::Io { .. }
    ));

    // The directory disappears after the manager was made and a file takes its place.
    let ck_dir = dir.path().join("ck");
    let m = manager(&ck_dir, 3, true);
    fs::remove_dir(&ck_dir).unwrap();
    fs::write(&ck_dir, "now a file").unwrap();
    let err = m
        .save_checkpoint(1, &[1.0], &OptimizerState::new(), 0.0, &BTreeMap::new())
        .unwrap_err();
    match &err {
        CheckpointError::Io { path, .. } => assert!(path.starts_with(&ck_dir), "{err}"),
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(err.to_string().contains(ck_dir.to_str().unwrap()), "{err}");
}

#[test]
fn converts_into_an_optimization_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("homodyne_state_batch_0001.h5");
    fs::write(&path, "junk").unwrap();
    let err: homodyne_core::OptimizationError = load_checkpoint(&path).unwrap_err().into();
    assert_eq!(err.kind(), homodyne_core::ErrorKind::Checkpoint);
    assert_eq!(err.context().get("path"), Some(path.to_str().unwrap()));
    assert_eq!(err.context().get("checkpoint_error"), Some("not_hdf5"));
}

#[test]
// The HDF5 C library is not hardened against damaged files: HDF5 1.10 does not bound-check,
// for example, a global heap object index or size read from the file, and a flipped byte
// there crashes the process (SIGSEGV) instead of returning an error. So this guarantee is
// the pure-Rust backend's only; see the crate documentation, "Backend".
#[cfg_attr(
    feature = "hdf5-c",
    ignore = "the HDF5 C library can crash on a damaged file; a guarantee of the default backend"
)]
fn every_single_byte_flip_is_refused_or_harmless() {
    // Whatever byte of a checkpoint is damaged, loading either fails with an error or
    // returns exactly what was saved (a byte the reader never looks at); it never panics
    // and never returns different data.
    for compress in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let m = manager(dir.path(), 3, compress);
        let state = state_of([
            (
                "r",
                StateArray::matrix_f64(2, 2, vec![1.0, 2.0, 3.0, 4.0]).unwrap(),
            ),
            ("n", StateArray::scalar_i64(3)),
        ]);
        let metadata = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        let path = m
            .save_checkpoint(3, &[0.25, DISTINCTIVE], &state, 0.5, &metadata)
            .unwrap();
        let original = fs::read(&path).unwrap();
        let reference = load_checkpoint(&path).unwrap();
        let (mut refused, mut harmless) = (0, 0);
        for i in 0..original.len() {
            let mut bytes = original.clone();
            bytes[i] ^= 0x5a;
            // A fresh file each time: rewriting one file in place makes ext4 flush it to
            // disk on every close (auto_da_alloc), which is slow on a loaded machine.
            let probe = dir.path().join(format!("probe_{i}.h5"));
            fs::write(&probe, &bytes).unwrap();
            match load_checkpoint(&probe) {
                Ok(ck) => {
                    assert_eq!(
                        bits(&ck.parameters),
                        bits(&reference.parameters),
                        "byte {i}"
                    );
                    assert_eq!(ck.optimizer_state, reference.optimizer_state, "byte {i}");
                    assert_eq!(ck.metadata, reference.metadata, "byte {i}");
                    assert_eq!(ck.loss, reference.loss, "byte {i}");
                    assert_eq!(ck.batch_idx, reference.batch_idx, "byte {i}");
                    assert_eq!(ck.timestamp, reference.timestamp, "byte {i}");
                    harmless += 1;
                }
                Err(e) => {
                    assert_eq!(e.path(), Some(probe.as_path()), "byte {i}: {e}");
                    refused += 1;
                }
            }
            fs::remove_file(&probe).unwrap();
        }
        println!(
            "compress={compress}: {} bytes, {refused} flips refused, {harmless} harmless",
            original.len()
        );
        assert!(refused > 0);
    }
}

#[test]
fn every_truncation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), 3, true);
    let path = save_simple(&m, 1);
    let original = fs::read(&path).unwrap();
    for len in 0..original.len() {
        let probe = dir.path().join(format!("probe_{len}.h5"));
        fs::write(&probe, &original[..len]).unwrap();
        let err = load_checkpoint(&probe).expect_err(&format!("truncated to {len} bytes"));
        assert!(err.is_invalid_file(), "{len}: {err:?}");
        fs::remove_file(&probe).unwrap();
    }
}

#[test]
fn save_time_at_53_parameters() {
    // Prints the time; run with --nocapture to see it. Not asserted: machines differ.
    let p = 53;
    let params: Vec<f64> = (0..p).map(|i| 1.0 + i as f64 / 7.0).collect();
    let mut r = vec![0.0; p * p];
    for i in 0..p {
        for j in i..p {
            r[i * p + j] = 1.0 / (1.0 + (i + j) as f64);
        }
    }
    let state = state_of([
        ("r_factor", StateArray::matrix_f64(p, p, r).unwrap()),
        (
            "qtr",
            StateArray::vector_f64(params.iter().map(|v| v * 0.1).collect()),
        ),
        (
            "gradient",
            StateArray::vector_f64(params.iter().map(|v| -v).collect()),
        ),
        ("x_scale", StateArray::vector_f64(vec![1.0; p])),
        ("trust_radius", StateArray::scalar_f64(0.75)),
        ("cost", StateArray::scalar_f64(123.456)),
        ("iteration", StateArray::scalar_i64(17)),
        ("rng_state", StateArray::vector_i64(vec![1, 2, 3, 4])),
    ]);
    let metadata = rich_metadata();
    for compress in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let m = manager(dir.path(), 3, compress);
        let rounds = 20;
        let mut times = Vec::with_capacity(rounds);
        let mut path = PathBuf::new();
        for batch in 0..rounds as u64 {
            let t = Instant::now();
            path = m
                .save_checkpoint(batch, &params, &state, 12.5, &metadata)
                .unwrap();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let t = Instant::now();
        load_checkpoint(&path).unwrap();
        let load_ms = t.elapsed().as_secs_f64() * 1e3;
        times.sort_by(f64::total_cmp);
        println!(
            "save at P=53 (53x53 matrix, 3 vectors, 4 scalars, 5 metadata), compression={compress}: \
             median {:.2} ms, min {:.2} ms, max {:.2} ms over {rounds} saves; file {} bytes; load {:.2} ms",
            times[rounds / 2],
            times[0],
            times[rounds - 1],
            fs::metadata(&path).unwrap().len(),
            load_ms
        );
    }
}

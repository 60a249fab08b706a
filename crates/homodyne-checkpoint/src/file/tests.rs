//! Tests of the checksum, the chunking, the version check and incomplete or mistyped files.

use std::collections::BTreeMap;
use std::path::Path;

use rust_hdf5::{H5File, H5Type};
use sha2::{Digest, Sha256};

use super::checksum::checksum;
use super::chunks::{CHUNK_BYTES, chunk_dims};
use super::layout::{FORMAT_VERSION, LIBRARY_VERSION, LOSS, PARAMETERS};
use super::read::parse_major;
use super::{Payload, load_checkpoint, write_file};
use crate::error::CheckpointError;
use crate::state::{OptimizerState, StateArray};

fn sample_state() -> OptimizerState {
    OptimizerState::new()
        .with("trust_radius", StateArray::scalar_f64(0.25))
        .unwrap()
        .with("nfev", StateArray::scalar_i64(17))
        .unwrap()
}

fn payload<'a>(
    state: &'a OptimizerState,
    metadata: &'a BTreeMap<String, String>,
    params: &'a [f64],
    format_version: &'a str,
) -> Payload<'a> {
    Payload {
        batch_idx: 4,
        parameters: params,
        loss: 1.5,
        optimizer_state: state,
        metadata,
        format_version,
        library_version: LIBRARY_VERSION,
        timestamp: "2026-01-01T00:00:00.000000Z",
    }
}

#[test]
fn checksum_depends_on_every_field() {
    let state = sample_state();
    let mut metadata = BTreeMap::new();
    metadata.insert("strategy".to_owned(), "streaming".to_owned());
    let params = [1.0, 2.0];
    let base = payload(&state, &metadata, &params, FORMAT_VERSION);
    let sum = checksum(&base);
    assert_eq!(sum.len(), 64);
    assert_eq!(sum, checksum(&base));

    let other_params = [1.0, 2.0000000000000004];
    assert_ne!(
        sum,
        checksum(&Payload {
            parameters: &other_params,
            ..base
        })
    );
    assert_ne!(sum, checksum(&Payload { loss: -1.5, ..base }));
    assert_ne!(
        sum,
        checksum(&Payload {
            batch_idx: 5,
            ..base
        })
    );
    assert_ne!(
        sum,
        checksum(&Payload {
            timestamp: "x",
            ..base
        })
    );
    let mut metadata2 = metadata.clone();
    metadata2.insert("strategy".to_owned(), "streaminG".to_owned());
    assert_ne!(
        sum,
        checksum(&Payload {
            metadata: &metadata2,
            ..base
        })
    );
    let mut state2 = state.clone();
    state2
        .insert("nfev", StateArray::vector_i64(vec![17]))
        .unwrap();
    assert_ne!(
        sum,
        checksum(&Payload {
            optimizer_state: &state2,
            ..base
        }),
        "shape counts"
    );
    // A name moved between the two maps changes the path, hence the checksum.
    let state3 = OptimizerState::new();
    assert_ne!(
        sum,
        checksum(&Payload {
            optimizer_state: &state3,
            ..base
        })
    );
}

#[test]
fn known_checksum_of_a_minimal_payload() {
    // Pins the canonical byte stream: changing it is a format change.
    let state = OptimizerState::new();
    let metadata = BTreeMap::new();
    let p = Payload {
        batch_idx: 0,
        parameters: &[],
        loss: 0.0,
        optimizer_state: &state,
        metadata: &metadata,
        format_version: "1.0",
        library_version: "0.0.0",
        timestamp: "t",
    };
    let mut bytes = Vec::new();
    let push_path = |bytes: &mut Vec<u8>, path: &str, tag: u8, shape: &[u64]| {
        bytes.extend((path.len() as u64).to_le_bytes());
        bytes.extend(path.as_bytes());
        bytes.push(tag);
        bytes.extend((shape.len() as u64).to_le_bytes());
        for d in shape {
            bytes.extend(d.to_le_bytes());
        }
    };
    let push_str = |bytes: &mut Vec<u8>, s: &str| {
        bytes.extend((s.len() as u64).to_le_bytes());
        bytes.extend(s.as_bytes());
    };
    push_path(&mut bytes, "/batch_idx", b'i', &[]);
    bytes.extend(0i64.to_le_bytes());
    push_path(&mut bytes, "/loss", b'f', &[]);
    bytes.extend(0f64.to_bits().to_le_bytes());
    push_path(&mut bytes, "/parameters", b'f', &[0]);
    push_path(&mut bytes, "/timestamp", b's', &[1]);
    push_str(&mut bytes, "t");
    push_path(&mut bytes, "/version/format_version", b's', &[1]);
    push_str(&mut bytes, "1.0");
    push_path(&mut bytes, "/version/library_version", b's', &[1]);
    push_str(&mut bytes, "0.0.0");
    assert_eq!(checksum(&p), format!("{:x}", Sha256::digest(&bytes)));
}

#[test]
fn chunks_stay_under_the_limit() {
    assert_eq!(chunk_dims(&[53, 53], 8), vec![53, 53]);
    let big = chunk_dims(&[1000, 1000], 8);
    assert!(big.iter().product::<usize>() * 8 <= CHUNK_BYTES, "{big:?}");
    assert_eq!(big[1], 1000);
    let row = chunk_dims(&[1, 1 << 20], 8);
    assert!(row.iter().product::<usize>() * 8 <= CHUNK_BYTES, "{row:?}");
}

#[test]
fn version_major() {
    assert_eq!(parse_major("1.0"), Some(1));
    assert_eq!(parse_major("1.7"), Some(1));
    assert_eq!(parse_major("2"), Some(2));
    assert_eq!(parse_major("10.0"), Some(10));
    assert_eq!(parse_major(""), None);
    assert_eq!(parse_major("v1.0"), None);
    assert_eq!(parse_major("+1.0"), None);
}

#[test]
fn another_major_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = sample_state();
    let metadata = BTreeMap::new();
    let params = [3.0];
    for (version, accepted) in [
        ("2.0", false),
        ("0.9", false),
        ("garbage", false),
        ("1.3", true),
    ] {
        let path = dir.path().join(format!("v{version}.h5"));
        write_file(&path, &payload(&state, &metadata, &params, version), true).unwrap();
        match load_checkpoint(&path) {
            Ok(ck) => {
                assert!(accepted, "{version} was accepted");
                assert_eq!(ck.format_version, version);
            }
            Err(CheckpointError::VersionMismatch {
                path: p,
                found,
                supported,
            }) => {
                assert!(!accepted, "{version} was refused");
                assert_eq!(p, path);
                assert_eq!(found, version);
                assert_eq!(supported, FORMAT_VERSION);
            }
            Err(other) => panic!("{version}: unexpected {other}"),
        }
    }
}

/// A new file at `path` holding a checkpoint's string fields (version, timestamp, a
/// dummy checksum) and nothing else, for the tests of incomplete files.
fn file_with_strings(path: &Path) -> H5File {
    let file = H5File::create(path).unwrap();
    let version = file.create_group("version").unwrap();
    version
        .write_vlen_strings("format_version", &["1.0"])
        .unwrap();
    version
        .write_vlen_strings("library_version", &["0.1.0"])
        .unwrap();
    file.write_vlen_strings("timestamp", &["t"]).unwrap();
    file.write_vlen_strings("checksum", &["00"]).unwrap();
    file
}

/// A file at `path` with a checkpoint's string fields and `/parameters` holding
/// `parameters`, and nothing else.
fn write_strings_and_parameters<T: H5Type>(path: &Path, parameters: &[T]) {
    let file = file_with_strings(path);
    file.new_dataset::<T>()
        .shape([parameters.len()])
        .create("parameters")
        .unwrap()
        .write_raw(parameters)
        .unwrap();
    file.close().unwrap();
}

#[test]
fn a_missing_dataset_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.h5");
    write_strings_and_parameters(&path, &[1.0f64, 2.0]);
    match load_checkpoint(&path) {
        Err(CheckpointError::MissingField { path: p, field }) => {
            assert_eq!(p, path);
            assert_eq!(field, LOSS);
        }
        other => panic!("expected MissingField, got {other:?}"),
    }
}

#[test]
fn a_wrong_datatype_is_a_format_error() {
    // A file laid out like a checkpoint whose /parameters are float32.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f32.h5");
    write_strings_and_parameters(&path, &[1.0f32]);
    match load_checkpoint(&path) {
        Err(CheckpointError::Format {
            path: p,
            field,
            message,
        }) => {
            assert_eq!(p, path);
            assert_eq!(field, PARAMETERS);
            assert!(message.contains("float64 and int64 only"), "{message}");
        }
        other => panic!("expected Format, got {other:?}"),
    }
}

//! Each backend reads what the other wrote, bit for bit (only with the `hdf5-c` feature,
//! where both are built).

use std::collections::BTreeMap;

use super::backend::Backend;
use super::fields::Payload;
use super::layout::{FORMAT_VERSION, LIBRARY_VERSION};
use super::read::read_with;
use super::write::write_with;
use super::{c, pure};
use crate::error::CheckpointError;
use crate::state::{OptimizerState, StateArray};

fn rich_state() -> OptimizerState {
    OptimizerState::new()
        .with("trust_radius", StateArray::scalar_f64(0.375))
        .unwrap()
        .with("iteration", StateArray::scalar_i64(i64::MIN))
        .unwrap()
        .with(
            "special",
            StateArray::vector_f64(vec![
                f64::NAN,
                f64::from_bits(0x7ff8_0000_dead_beef),
                f64::from_bits(0x7ff0_0000_0000_0001),
                f64::from_bits(0xfff8_0000_0000_0000),
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                f64::from_bits(1),
                f64::MAX,
            ]),
        )
        .unwrap()
        .with(
            "r",
            StateArray::matrix_f64(53, 53, (0..53 * 53).map(|i| f64::from(i) * 0.01).collect())
                .unwrap(),
        )
        .unwrap()
        .with(
            "cube",
            StateArray::f64_with_shape(vec![2, 3, 4], (0..24).map(f64::from).collect()).unwrap(),
        )
        .unwrap()
        .with("empty_vector", StateArray::vector_f64(Vec::new()))
        .unwrap()
        .with(
            "empty_matrix",
            StateArray::matrix_f64(0, 5, Vec::new()).unwrap(),
        )
        .unwrap()
        .with("empty_ints", StateArray::vector_i64(Vec::new()))
        .unwrap()
        .with(
            "counts",
            StateArray::i64_with_shape(vec![2, 2], vec![1, -2, 3, i64::MAX]).unwrap(),
        )
        .unwrap()
        .with(
            // 400 x 400 float64 = 1.28 MB: split into several chunks when compressed.
            "big",
            StateArray::matrix_f64(
                400,
                400,
                (0..400 * 400)
                    .map(|i| f64::from((i * 7919) % 1000) / 7.0)
                    .collect(),
            )
            .unwrap(),
        )
        .unwrap()
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Writes with `W`, reads with `R`, and compares everything.
fn write_then_read<W: Backend, R: Backend>(what: &str) {
    let state = rich_state();
    let metadata = BTreeMap::from([
        ("strategy".to_owned(), "streaming".to_owned()),
        ("empty".to_owned(), String::new()),
        ("unicode".to_owned(), "Δτ = 1 µs, ångström ✓".to_owned()),
        ("multiline".to_owned(), "line 1\nline 2\ttab".to_owned()),
    ]);
    let params: Vec<f64> = (0..53).map(|i| 0.5 + f64::from(i) / 3.0).collect();
    for compress in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cross.h5");
        let payload = Payload {
            batch_idx: 19,
            parameters: &params,
            loss: -0.0,
            optimizer_state: &state,
            metadata: &metadata,
            format_version: FORMAT_VERSION,
            library_version: LIBRARY_VERSION,
            timestamp: "2026-05-01T12:34:56.789012Z",
        };
        write_with::<W>(&path, &payload, compress).unwrap();
        let ck =
            read_with::<R>(&path).unwrap_or_else(|e| panic!("{what}, compress={compress}: {e}"));
        assert_eq!(ck.batch_idx, 19, "{what}");
        assert_eq!(bits(&ck.parameters), bits(&params), "{what}");
        assert_eq!(ck.loss.to_bits(), (-0.0f64).to_bits(), "{what}");
        assert_eq!(ck.metadata, metadata, "{what}");
        assert_eq!(ck.format_version, FORMAT_VERSION, "{what}");
        assert_eq!(ck.library_version, LIBRARY_VERSION, "{what}");
        assert_eq!(ck.timestamp, payload.timestamp, "{what}");
        let names: Vec<&str> = ck.optimizer_state.names().collect();
        let want: Vec<&str> = state.names().collect();
        assert_eq!(names, want, "{what}");
        for (name, array) in state.iter() {
            let read = ck.optimizer_state.get(name).unwrap();
            assert_eq!(read.shape(), array.shape(), "{what}: {name}");
            match (array, read) {
                (StateArray::F64 { data: a, .. }, StateArray::F64 { data: b, .. }) => {
                    assert_eq!(bits(a), bits(b), "{what}: {name}");
                }
                (StateArray::I64 { data: a, .. }, StateArray::I64 { data: b, .. }) => {
                    assert_eq!(a, b, "{what}: {name}");
                }
                _ => panic!("{what}: {name} changed dtype"),
            }
        }
        // The writer's own backend reads it too.
        read_with::<W>(&path).unwrap();
    }
}

#[test]
fn the_c_library_reads_what_rust_hdf5_wrote() {
    write_then_read::<pure::Pure, c::C>("rust-hdf5 -> C");
}

#[test]
fn rust_hdf5_reads_what_the_c_library_wrote() {
    write_then_read::<c::C, pure::Pure>("C -> rust-hdf5");
}

/// A payload of batch 1 with loss 1 and timestamp `t`.
fn small_payload<'a>(
    parameters: &'a [f64],
    state: &'a OptimizerState,
    metadata: &'a BTreeMap<String, String>,
) -> Payload<'a> {
    Payload {
        batch_idx: 1,
        parameters,
        loss: 1.0,
        optimizer_state: state,
        metadata,
        format_version: FORMAT_VERSION,
        library_version: LIBRARY_VERSION,
        timestamp: "t",
    }
}

#[test]
fn a_damaged_file_is_refused_by_both_backends() {
    // The same corruption in a C-written file is caught by either reader.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.h5");
    let state = OptimizerState::new();
    let metadata = BTreeMap::new();
    let marker = 1_234.567_890_123_456_7_f64;
    let parameters = [0.5, marker];
    let payload = small_payload(&parameters, &state, &metadata);
    write_with::<c::C>(&path, &payload, false).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = marker.to_le_bytes();
    let at = bytes
        .windows(8)
        .position(|w| w == needle)
        .expect("the uncompressed value is in the file");
    bytes[at + 3] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    for result in [read_with::<c::C>(&path), read_with::<pure::Pure>(&path)] {
        assert!(
            matches!(result, Err(CheckpointError::Corrupt { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn the_c_library_refuses_a_string_with_a_nul() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nul.h5");
    let state = OptimizerState::new();
    let metadata = BTreeMap::from([("k".to_owned(), "a\0b".to_owned())]);
    let payload = small_payload(&[], &state, &metadata);
    match write_with::<c::C>(&path, &payload, true) {
        Err(CheckpointError::Format { field, message, .. }) => {
            assert_eq!(field, "/metadata/k");
            assert!(message.contains("cannot store this string"), "{message}");
        }
        other => panic!("expected Format, got {other:?}"),
    }
}

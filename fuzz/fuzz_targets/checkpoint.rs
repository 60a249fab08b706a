//! Checkpoint files (`homodyne_checkpoint::load_checkpoint`): the HDF5 file a STREAMING
//! fit writes and a resumed fit reads, with its version, required datasets and checksum
//! checked. A damaged file must be an error (resume skips it), never a panic.
#![no_main]

use homodyne_checkpoint::{load_checkpoint, validate_checkpoint};
use homodyne_fuzz::scratch_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = scratch_file("checkpoint_0001.h5", bytes);
    let loaded = load_checkpoint(&path);
    assert_eq!(
        loaded.is_ok(),
        validate_checkpoint(&path).is_ok(),
        "validate and load agree"
    );
});

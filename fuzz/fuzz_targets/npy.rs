//! The `.npy` readers of `homodyne_data`: the header alone (`NpyHeader::from_reader`),
//! the whole array from bytes (`NpyArray::from_bytes`, as `.npz` members are read), and
//! the range reads of `NpySource` (a table of columns, and one file per quantity).
//!
//! Beyond "no panic": an array read whole holds the elements its header claims, no
//! more than the bytes could carry; a header that claims more data than the file holds
//! is refused at open (a claim of 10^15 elements must not be allocated).
#![no_main]

use std::path::Path;

use homodyne_data::{NpyArray, NpyHeader, NpySource, NpyValues};
use homodyne_fuzz::{read_probes, scratch_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(header) = NpyHeader::from_reader(bytes, Path::new("fuzz.npy"), "x") {
        let after_header = (bytes.len() as u64).saturating_sub(header.data_offset());
        if header.check_data(after_header).is_ok() {
            assert!(header.data_offset() + header.data_bytes() <= bytes.len() as u64);
        }
        let _ = header.number_type();
    }
    if let Ok(array) = NpyArray::from_bytes(bytes, Path::new("fuzz.npy"), "x") {
        let len = match array.values() {
            NpyValues::Numbers(v) => v.len(),
            NpyValues::Strings(v) => v.len(),
        };
        let claimed: usize = array.shape().iter().product();
        assert_eq!(len, claimed, "elements read against the shape's");
        let _ = array.into_numbers();
    }
    let path = scratch_file("fuzz.npy", bytes);
    if let Ok(source) = NpySource::open_columns(&path) {
        read_probes(&source);
    }
    if let Ok(source) = NpySource::open(&path, &path, Some(&path)) {
        read_probes(&source);
    }
});

//! Inputs the fuzz targets of `fuzz/` crashed on (`cargo xtask fuzz`), each committed under
//! `tests/data/fuzz/` and loaded here: every one must be a typed error, never a panic or
//! an abort.

use std::path::PathBuf;

use homodyne_xpcs::loader::LoadOptions;
use homodyne_xpcs::{XpcsError, load_hdf5};

fn fuzz_input(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(name)
}

/// Target `xpcs_aps`: the older APS fixture with one bit of a shape changed, so that its
/// q list claims 2.25e15 values. The loader allocated them (18 PB) and the process
/// aborted; the claim is now checked against the file's length first.
#[test]
fn a_list_claiming_2e15_values_is_refused_before_allocation() {
    let path = fuzz_input("aps_old_list_claims_2e15_values.h5");
    for options in [
        LoadOptions::new(0.1, 1, -1, 0.0048),
        LoadOptions::new(0.1, 2, 11, 0.0054),
    ] {
        match load_hdf5(&path, &options) {
            Err(XpcsError::DataFile { item, message, .. }) => {
                assert!(message.contains("more than a file of"), "{item}: {message}");
                assert!(message.contains("the file is damaged"), "{item}: {message}");
            }
            other => panic!("expected a DataFile error, got {other:?}"),
        }
    }
}

/// Targets `hdf5` and `xpcs_aps`: the older APS fixture with a float datatype's size field
/// damaged (2^29 bytes or more). Naming the type for the error overflowed `size * 8` in
/// the HDF5 reader (a panic in debug builds); it is an error naming the file.
#[test]
fn a_datatype_of_absurd_size_is_an_error() {
    let path = fuzz_input("aps_old_datatype_size_overflow.h5");
    let result = load_hdf5(&path, &LoadOptions::new(0.1, 1, -1, 0.0048));
    let error = result.expect_err("a damaged datatype loads");
    assert!(
        error
            .to_string()
            .contains("aps_old_datatype_size_overflow.h5"),
        "{error}"
    );
}

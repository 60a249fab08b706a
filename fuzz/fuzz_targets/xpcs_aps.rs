//! The XPCS loaders of APS HDF5 files (`homodyne_xpcs::load_hdf5`): layout detection,
//! then the APS-U (`/xpcs/twotime/...`) or older APS (`/exchange`, `/xpcs/dqlist`)
//! selection of the wavevector bins, the two-time matrices read, frame-sliced, stacked
//! and diagonal-corrected.
//!
//! Beyond "no panic": what loads is consistent (one angle per matrix, `n_t x n_t` values
//! each).
#![no_main]

use homodyne_fuzz::scratch_file;
use homodyne_xpcs::load_hdf5;
use homodyne_xpcs::loader::LoadOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = scratch_file("fuzz.h5", bytes);
    // The options of the fixtures' tests: every frame, and a window of them.
    for options in [
        LoadOptions::new(0.1, 1, -1, 0.0048),
        LoadOptions::new(0.1, 2, 11, 0.0054),
    ] {
        if let Ok(loaded) = load_hdf5(&path, &options) {
            let data = &loaded.data;
            assert_eq!(
                data.c2.len(),
                data.phi.len() * data.n_t * data.n_t,
                "one n_t x n_t matrix per angle"
            );
        }
    }
});

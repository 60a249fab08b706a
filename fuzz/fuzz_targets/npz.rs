//! `.npz` archives: `homodyne_data::NpzArchive` (open, member names, every member read
//! and decoded as `.npy`) and the XPCS readers built on it, `homodyne_xpcs::loader::read_npz`
//! and the cached-data loader `load_npz_cache` (the `cached_c2_*.npz` files the loader
//! writes and reads back instead of the HDF5 file).
#![no_main]

use homodyne_data::NpzArchive;
use homodyne_fuzz::scratch_file;
use homodyne_xpcs::loader::{LoadOptions, load_npz_cache, read_npz};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = scratch_file("fuzz.npz", bytes);
    if let Ok(mut archive) = NpzArchive::open(&path) {
        let names = archive.names();
        let _ = archive.read_all();
        if let Ok(names) = names {
            for name in names.iter().take(4) {
                let _ = archive.read(name);
            }
        }
    }
    let _ = read_npz(&path);
    for options in [
        LoadOptions::new(0.1, 1, -1, 0.0054),
        LoadOptions::new(0.1, 2, 11, 0.0054),
    ] {
        let _ = load_npz_cache(&path, &options);
    }
});

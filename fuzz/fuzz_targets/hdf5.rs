//! The HDF5 data reader of `homodyne_data` (pure-Rust backend, rust-hdf5): open a file,
//! list its datasets, open each (element type, shape), read rows of it, and open the
//! `x`/`y`/`sigma` source a fit streams from and read ranges of it.
//!
//! Beyond "no panic": a successful row read fills exactly the rows asked for; a dataset
//! claiming more elements than the file could hold is refused (or read as fill values
//! where its chunks were never written), never allocated whole on the header's word.
#![no_main]

use homodyne_core::DataSource;
use homodyne_data::{Hdf5File, Hdf5Source};
use homodyne_fuzz::{MAX_READ_POINTS, probe_ranges, read_probes, scratch_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = scratch_file("fuzz.h5", bytes);
    if let Ok(file) = Hdf5File::open(&path) {
        for name in file.dataset_names().iter().take(16) {
            let Ok(dataset) = file.dataset(name) else {
                continue;
            };
            let _ = dataset.element_type();
            let width = dataset.row_width();
            let rows = dataset.shape().first().copied().unwrap_or(1);
            if width > MAX_READ_POINTS {
                continue;
            }
            let elements = dataset
                .shape()
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d));
            if elements.is_some_and(|n| n <= 1 << 16) {
                let _ = dataset.read_all();
            }
            for range in probe_ranges(rows) {
                let mut out = vec![0.0; range.len() * width];
                let _ = dataset.read_rows(range, &mut out);
            }
        }
    }
    for (x, y, sigma) in [
        ("x", "y", Some("sigma")),
        ("/exchange/x", "/exchange/y_be", Some("/exchange/sigma_f4")),
        ("/exchange/x2", "/exchange/y_gzip", None),
        ("x", "y", None),
    ] {
        if let Ok(source) = Hdf5Source::open(&path, x, y, sigma)
            && source.x_dim() <= MAX_READ_POINTS
        {
            read_probes(&source);
        }
    }
});

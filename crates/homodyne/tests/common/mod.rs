//! Helpers shared by the integration tests directly in `tests/` (each binary takes its
//! own subset, hence the `dead_code` allowance).
#![allow(dead_code)]

use std::path::PathBuf;

/// A fresh, empty directory under the target folder.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The bits of `values`, to compare fits exactly.
pub fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

//! What the fuzz targets share: the scratch file that hands a loader which opens a path
//! the fuzzer's bytes, and the range reads every [`DataSource`] target makes.
//!
//! Each target is a binary of `fuzz_targets/` (libFuzzer's `main`); see the README's
//! testing section for how they are built and run on the stable toolchain.

use std::alloc::System;
use std::ops::Range;
use std::path::PathBuf;

use cap::Cap;
use homodyne_core::{Batch, DataSource};

/// The most bytes a target may hold at once: 1 GiB, some thousand times what the seeds
/// need. An allocation past it fails, and the process aborts with a crash report; so does
/// one the system refuses.
pub const MEMORY_LIMIT: usize = 1 << 30;

/// Every target's allocator: the system's, refusing allocations past [`MEMORY_LIMIT`]
/// held. A target links it by naming this crate (`use homodyne_fuzz as _;` at least).
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, MEMORY_LIMIT);

/// The most points one range read of a target asks for: a file may legitimately claim
/// many points (HDF5 chunks never written read as zeros), and a read of them all would
/// time the fuzzer out without testing anything new.
pub const MAX_READ_POINTS: usize = 1024;

/// Writes `bytes` to this process's scratch file named `name` (under the system's
/// temporary directory, one folder per process) and returns its path: the loaders open a
/// path, not bytes.
///
/// # Panics
///
/// When the scratch file cannot be written (a full disk is no finding of the target).
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("homodyne-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the scratch folder of the fuzz target");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the scratch file of the fuzz target");
    path
}

/// The ranges a target reads from a source of `n` points: the first, last and middle
/// [`MAX_READ_POINTS`] at most, an empty range and the one past the end (which must be
/// an error, not a panic).
pub fn probe_ranges(n: usize) -> Vec<Range<usize>> {
    let len = n.min(MAX_READ_POINTS);
    let mid = n / 2;
    vec![
        0..len,
        n - len..n,
        mid..(mid + len).min(n),
        mid..mid,
        n..n.saturating_add(1),
    ]
}

/// Reads [`probe_ranges`] from `source` and checks what each successful read returns:
/// `x_dim` predictors per point, one observation each, and a sigma per point when the
/// source has one.
///
/// # Panics
///
/// When a read claims success with the wrong number of values: the source broke its
/// contract.
pub fn read_probes(source: &dyn DataSource) {
    let n = source.n_points();
    let mut batch = Batch::default();
    for range in probe_ranges(n) {
        let points = range.len();
        if source.read(range, &mut batch).is_ok() {
            assert_eq!(batch.x.len(), points * source.x_dim(), "predictors read");
            assert_eq!(batch.y.len(), points, "observations read");
            if source.has_sigma() {
                assert_eq!(batch.sigma.len(), points, "sigmas read");
            }
        }
    }
}

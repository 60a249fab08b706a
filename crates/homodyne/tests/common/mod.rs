//! Helpers shared by the integration tests: the binaries directly in `tests/` and the
//! `suite` (each takes its own subset, hence the `dead_code` allowance).
#![allow(dead_code)]

pub mod decay;

use std::path::{Path, PathBuf};

use homodyne::prelude::*;
use homodyne::{CheckpointOptions, StreamingOptions};
use serde_json::Value;

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

/// The JSON file at `relative` (to the crate's folder), a reference written by a script
/// under `tests/`.
pub fn reference_json(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The numbers of the JSON array `v`.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Every `got[k]` within `relative * |want[k]|` of `want[k]`, and as many of them.
pub fn assert_close(got: &[f64], want: &[f64], relative: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= relative * b.abs(),
            "{what} [{k}]: {a} against {b}"
        );
    }
}

/// `resumed` started from the checkpoint file named `checkpoint` and ended on the bits
/// and the evaluation count of `reference`, the same fit never interrupted.
pub fn assert_resumed_to_the_same_bits(
    resumed: &OptimizationResult,
    checkpoint: &str,
    reference: &OptimizationResult,
) {
    let diagnostics = resumed.streaming_diagnostics.as_ref().unwrap();
    assert!(
        diagnostics
            .resumed_from
            .as_deref()
            .unwrap()
            .ends_with(checkpoint),
        "{diagnostics:?}"
    );
    assert_eq!(bits(&resumed.parameters), bits(&reference.parameters));
    assert_eq!(resumed.nfev, reference.nfev);
}

/// `fit` STREAMING in batches of 1,500 points with a checkpoint every 4 batches in `dir`
/// (the newest 2 kept), resuming from the newest there when `resume` is set: the setting
/// of the tests that stop a streamed fit and resume it.
pub fn in_checkpointed_batches<'a>(fit: Fit<'a>, dir: &Path, resume: bool) -> Fit<'a> {
    fit.streaming(StreamingOptions {
        batch_size: Some(1_500),
        ..StreamingOptions::default()
    })
    .checkpoints(CheckpointOptions {
        frequency: 4,
        keep_last_n: 2,
        resume,
        ..CheckpointOptions::new(dir)
    })
}

/// `y = (a x + 1e16) - 1e16`: the exact derivative is `x`, but the values move in steps of
/// 2 (the spacing of doubles near 1e16), so no small step changes the cost and a fit
/// stalls.
pub struct Staircase;

impl GenericModel for Staircase {
    fn n_params(&self) -> usize {
        1
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        (p[0] * x[0] + 1e16) - 1e16
    }
}

impl Staircase {
    /// The model with automatic derivatives and its data, `y = 0.37 x` at `x = 1, ..., 20`.
    pub fn problem() -> (AutoDiff<Staircase, 1>, Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (1..=20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|x| 0.37 * x).collect();
        (AutoDiff::new(Staircase).unwrap(), x, y)
    }
}

/// One test per method: for each `trf, lm: check;`, the test `trf` runs `check(Method::Trf)`
/// and `lm` runs `check(Method::Lm)`.
#[allow(unused_macros)] // by the binaries without such a pair
macro_rules! test_each_method {
    ($($trf:ident, $lm:ident: $check:expr;)*) => {
        $(
            #[test]
            fn $trf() {
                ($check)(::homodyne::Method::Trf);
            }

            #[test]
            fn $lm() {
                ($check)(::homodyne::Method::Lm);
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use test_each_method;

/// What `run` returns, run on a rayon pool of `threads` threads (to compare a fit's bits
/// on one and two threads).
pub fn on_threads<R: Send>(threads: usize, run: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(run)
}

/// Two runs of one piece of a fit (a coarse stage, a multistart candidate; `what` names
/// it) are the same to the bit: the start, and the optimum's parameters and cost. Both
/// must have succeeded; their results are returned for further checks.
pub fn assert_same_optimum<'r>(
    (start_a, a): (&[f64], &'r Result<OptimizationResult, String>),
    (start_b, b): (&[f64], &'r Result<OptimizationResult, String>),
    what: &str,
) -> (&'r OptimizationResult, &'r OptimizationResult) {
    assert_eq!(bits(start_a), bits(start_b), "{what}");
    let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
    assert_eq!(bits(&a.parameters), bits(&b.parameters), "{what}");
    assert_eq!(a.final_cost.to_bits(), b.final_cost.to_bits(), "{what}");
    (a, b)
}

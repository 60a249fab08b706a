//! Criterion benchmark of saving one checkpoint of a 53-parameter streaming fit (the
//! laminar-flow model of 23 angles), with gzip compression of the arrays and without.
//!
//! A streaming fit saves every few batches, and the save stops the fit while it runs, so
//! its cost against a batch's is what the checkpoint frequency trades. The timed call is
//! [`CheckpointManager::save_checkpoint`], the whole of it: the HDF5 file written under a
//! temporary name, its SHA-256 checksum, fsync, rename into place, fsync of the directory
//! and the removal of checkpoints beyond the newest [`KEEP_LAST_N`]. Each save is of the
//! next batch, so every timed save also removes one old file, as in a running fit. The
//! files go into a scratch directory from `tempfile` (usually under `/tmp`): the timings
//! include that file system's fsync.
//!
//! The state has the fields the `homodyne` streaming fit stores (`encode_state` in
//! `crates/homodyne/src/streaming.rs`): the run's start, counters, the records of the
//! finished passes of the current iteration (a linearisation and a cost pass: parameters,
//! costs, their `R` and `Q^T f`), the partial normal-equation sums of the pass in progress
//! (`J^T J`, `J^T f`, cost), the empty samples of non-finite values, and the batch
//! statistics as JSON metadata. The values are deterministic and unstructured, so the
//! compressed timings are not flattered by repeated numbers.
//!
//! Benchmark ids are `checkpoint_save/{gzip,uncompressed}/53`. Run it with
//! `cargo bench -p homodyne-checkpoint --bench save`.

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use homodyne_checkpoint::{CheckpointManager, OptimizerState, StateArray};
use homodyne_core::random::{SplitMix64, unit_f64};

/// Parameters of the fit: 23 contrasts, 23 offsets and 7 laminar-flow parameters.
const N_PARAMS: usize = 53;
/// Finished passes recorded in the state: the iteration's linearisation and one trial's
/// cost pass.
const N_PASSES: usize = 2;
/// Checkpoints kept by the manager (its default).
const KEEP_LAST_N: usize = CheckpointManager::DEFAULT_KEEP_LAST_N;
/// Batches finished when the checkpoint is saved.
const N_BATCHES: usize = 120;
/// Batch records kept in the statistics' ring buffer (its default capacity).
const RECENT_BATCHES: usize = 100;
/// Seed of the state's values.
const SEED: u64 = 0x5EED_0C4E_C490_0053;

/// `len` deterministic values spread over several orders of magnitude (a SplitMix64
/// stream mapped to `(-1, 1) * 10^[-3, 3)`), as the entries of `R` and `J^T J` are.
fn spread_values(len: usize, seed: u64) -> Vec<f64> {
    let mut bits = SplitMix64::new(seed);
    (0..len)
        .map(|_| {
            let z = bits.next_u64();
            let unit = unit_f64(z);
            let sign = if z & 1 == 0 { 1.0 } else { -1.0 };
            sign * unit * 10f64.powf(6.0 * unit - 3.0)
        })
        .collect()
}

/// `values` with the entries below the diagonal of each `n x n` block zeroed: a row-major
/// upper-triangular factor (or `J^T J` as the accumulator stores it) per block.
fn upper_triangular(mut values: Vec<f64>, n: usize) -> Vec<f64> {
    for (index, v) in values.iter_mut().enumerate() {
        let (i, j) = ((index / n) % n, index % n);
        if j < i {
            *v = 0.0;
        }
    }
    values
}

/// The four empty arrays of a sample of non-finite values (`{prefix}_count`, `_owner`,
/// `_index`, `_value`) with `count` zero counts: a fit where every value was finite.
fn empty_samples(
    state: OptimizerState,
    prefix: &str,
    count: usize,
) -> Result<OptimizerState, homodyne_checkpoint::CheckpointError> {
    state
        .with(
            format!("{prefix}_count"),
            StateArray::vector_i64(vec![0; count]),
        )?
        .with(
            format!("{prefix}_owner"),
            StateArray::vector_i64(Vec::new()),
        )?
        .with(
            format!("{prefix}_index"),
            StateArray::vector_i64(Vec::new()),
        )?
        .with(
            format!("{prefix}_value"),
            StateArray::vector_f64(Vec::new()),
        )
}

/// The state of a 53-parameter streaming fit part way through a linearisation pass.
fn streaming_state() -> OptimizerState {
    let (n, k) = (N_PARAMS, N_PASSES);
    let build = || -> Result<OptimizerState, homodyne_checkpoint::CheckpointError> {
        let state = OptimizerState::new()
            .with("run_start", StateArray::vector_f64(spread_values(n, SEED)))?
            .with("runs", StateArray::scalar_i64(1))?
            .with("batches_done", StateArray::scalar_i64(N_BATCHES as i64))?
            .with("passes_done", StateArray::scalar_i64(9))?
            .with("failed_batches", StateArray::vector_i64(Vec::new()))?
            .with("pass_kind", StateArray::vector_i64(vec![1, 0]))?
            .with(
                "pass_parameters",
                StateArray::f64_with_shape(vec![k, n], spread_values(k * n, SEED + 1))?,
            )?
            .with(
                "pass_cost",
                StateArray::vector_f64(spread_values(k, SEED + 2)),
            )?
            .with(
                "pass_chi_squared",
                StateArray::vector_f64(spread_values(k, SEED + 3)),
            )?
            .with(
                "pass_scaled_sq",
                StateArray::vector_f64(spread_values(k, SEED + 4)),
            )?
            .with(
                "pass_r",
                StateArray::f64_with_shape(
                    vec![k, n, n],
                    upper_triangular(spread_values(k * n * n, SEED + 5), n),
                )?,
            )?
            .with(
                "pass_qtf",
                StateArray::f64_with_shape(vec![k, n], spread_values(k * n, SEED + 6))?,
            )?;
        let state = empty_samples(state, "pass_invalid_residual", k)?;
        let state = empty_samples(state, "pass_invalid_jacobian", k)?;
        let state = state
            .with("partial_present", StateArray::scalar_i64(1))?
            .with("partial_index", StateArray::scalar_i64(9))?
            .with("partial_kind", StateArray::scalar_i64(1))?
            .with("partial_accumulation", StateArray::scalar_i64(1))?
            .with("partial_next_batch", StateArray::scalar_i64(37))?
            .with(
                "partial_parameters",
                StateArray::vector_f64(spread_values(n, SEED + 7)),
            )?
            .with("partial_cost", StateArray::scalar_f64(1.25e4))?
            .with("partial_chi_squared", StateArray::scalar_f64(2.5e4))?
            .with("partial_scaled_sq", StateArray::scalar_f64(2.5e4))?
            .with(
                "partial_normal_jtj",
                StateArray::matrix_f64(n, n, upper_triangular(spread_values(n * n, SEED + 8), n))?,
            )?
            .with(
                "partial_normal_jtf",
                StateArray::vector_f64(spread_values(n, SEED + 9)),
            )?;
        let state = empty_samples(state, "partial_invalid_residual", 1)?;
        empty_samples(state, "partial_invalid_jacobian", 1)
    };
    build().expect("the benchmark's field names and shapes are valid")
}

/// The metadata of the streaming fit: its batch statistics as JSON, of the size
/// `homodyne` writes after 120 batches (the ring buffer's last [`RECENT_BATCHES`] batch
/// records, with the field names of `homodyne_stats::BatchRecord`, and running totals).
fn streaming_metadata() -> BTreeMap<String, String> {
    let first = N_BATCHES - RECENT_BATCHES;
    let losses = spread_values(RECENT_BATCHES, SEED + 10);
    let records: Vec<String> = losses
        .iter()
        .enumerate()
        .map(|(k, loss)| {
            format!(
                "{{\"batch_idx\":{},\"success\":true,\"loss\":{:?},\"iterations\":{},\
                 \"recovery_actions\":[],\"error_type\":null}}",
                first + k,
                loss.abs(),
                3 + k % 5
            )
        })
        .collect();
    let statistics = format!(
        "{{\"max_size\":{RECENT_BATCHES},\"recent_batches\":[{}],\"totals\":{{\
         \"total_batches\":{N_BATCHES},\"total_successes\":{N_BATCHES},\"total_failures\":0,\
         \"loss_sum\":{:?},\"iterations_sum\":{},\"error_distribution\":{{}}}}}}",
        records.join(","),
        losses.iter().map(|v| v.abs()).sum::<f64>(),
        5 * N_BATCHES
    );
    BTreeMap::from([("batch_statistics".to_owned(), statistics)])
}

/// The benchmark: one group, `checkpoint_save/{compression}/53`.
fn bench_checkpoint_save(c: &mut Criterion) {
    let state = streaming_state();
    let metadata = streaming_metadata();
    let parameters = spread_values(N_PARAMS, SEED + 11);
    let mut group = c.benchmark_group("checkpoint_save");
    // A save takes milliseconds, most of them in fsync: flat sampling (the same number of
    // saves in every sample), where criterion's linear sampling would need 210 for 20
    // samples.
    group.sampling_mode(SamplingMode::Flat);
    for (name, compression) in [("gzip", true), ("uncompressed", false)] {
        let dir = tempfile::tempdir().expect("a scratch directory for the checkpoints");
        let manager = CheckpointManager::new(dir.path(), 1, KEEP_LAST_N, compression)
            .expect("a checkpoint manager in the scratch directory");
        let mut batch = 0u64;
        let first = manager
            .save_checkpoint(batch, &parameters, &state, 1.25e4, &metadata)
            .expect("the first save succeeds");
        let loaded =
            homodyne_checkpoint::load_checkpoint(&first).expect("the first save reads back");
        assert_eq!(
            loaded.optimizer_state, state,
            "{name}: the state round-trips"
        );
        group.bench_function(BenchmarkId::new(name, N_PARAMS), |b| {
            b.iter(|| {
                batch += 1;
                manager
                    .save_checkpoint(batch, &parameters, &state, 1.25e4, &metadata)
                    .expect("a save into the scratch directory succeeds")
            })
        });
        assert!(
            manager
                .list_checkpoints()
                .expect("the scratch directory lists")
                .len()
                <= KEEP_LAST_N,
            "{name}: old checkpoints are removed"
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_checkpoint_save
}
criterion_main!(benches);

//! Criterion benchmark of the accumulation kernels: what one chunk of [`CHUNK_ROWS`] rows
//! costs to fold into a linearisation's sums, by kernel and parameter count.
//!
//! A linearisation pass is the model's values and Jacobian per chunk plus one of these
//! kernels per chunk, so their per-chunk cost against the model's (the `model` benchmark
//! of `homodyne-xpcs`) says which of the two bounds a pass, and the ratio of the two
//! groups below is what [`NormalEquations`] saves over [`Qr`] at each size:
//!
//! - `normal_accumulation/add/{3,9,53}`: [`NormalAccumulator::add`], `J^T J` and `J^T f`
//!   of a column-major chunk (dot products below [`GEMM_MIN_PARAMS`] parameters, faer's
//!   matrix product from there). 3 is the decay example, 9 a laminar-flow chunk's active
//!   columns, 53 the full laminar-flow model of 23 angles.
//! - `normal_accumulation/add_rows/3`: [`NormalAccumulator::add_rows`], the copy-free
//!   kernel a pass takes for the linear loss and at most [`ROW_KERNEL_MAX_PARAMS`]
//!   parameters, on the same chunk in the model's row-major layout.
//! - `qr_fold/fold/{3,9}`: [`RFactor::fold`], the Householder fold of the same chunk into
//!   a triangular factor that already holds a chunk's rows (as in the middle of a pass).
//!   The fold overwrites its input, so each timed fold gets a fresh copy of the chunk and
//!   the factor, made outside the timing.
//!
//! Each timed call runs inside [`vectorized`], compiled for the widest SIMD the CPU has, as
//! a pass runs each of its leaves (the run-time dispatch adds a few nanoseconds per call
//! here, once per leaf of 32 chunks in a pass). The chunk is deterministic pseudo-random
//! numbers in `[-0.5, 0.5)`; the kernels do the same arithmetic whatever the values.
//! Throughput is in rows. Run it with
//! `cargo bench -p homodyne-solvers --bench kernels`.
//!
//! One whole linearisation pass (model, kernel and reduction over all chunks) is timed by
//! the `iteration` benchmark of the `homodyne` crate: it needs a model, and the example
//! models live in `homodyne`, which depends on this crate.
//!
//! [`NormalEquations`]: homodyne_solvers::Accumulation::NormalEquations
//! [`Qr`]: homodyne_solvers::Accumulation::Qr
//! [`GEMM_MIN_PARAMS`]: homodyne_solvers::normal::GEMM_MIN_PARAMS

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use homodyne_core::vector_math::vectorized;
use homodyne_solvers::RFactor;
use homodyne_solvers::normal::{NormalAccumulator, ROW_KERNEL_MAX_PARAMS};
use homodyne_solvers::objective::CHUNK_ROWS;
use homodyne_testkit::bench;

/// Parameter counts of the normal-equation kernel.
const NORMAL_PARAMS: [usize; 3] = [3, 9, 53];
/// Parameter counts of the QR fold (beyond a few dozen parameters the solvers use the
/// normal equations wherever the conditioning allows).
const FOLD_PARAMS: [usize; 2] = [3, 9];
/// Seed of the chunk's pseudo-random entries.
const SEED: u64 = 0x5EED_C4A2_0000_0001;

/// `len` deterministic pseudo-random numbers in `[-0.5, 0.5)` (a 64-bit linear
/// congruential generator, top 53 bits).
fn uniform_entries(len: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

/// One chunk of a `params`-column Jacobian with its residuals: the Jacobian column-major
/// (`columns[k * CHUNK_ROWS + i] = J[i][k]`, the kernels' layout) and row-major
/// (`rows[i * params + k]`, the models' layout), and the residuals.
struct JacobianChunk {
    columns: Vec<f64>,
    rows: Vec<f64>,
    residuals: Vec<f64>,
}

impl JacobianChunk {
    /// The chunk for `params` parameters.
    fn new(params: usize) -> Self {
        let columns = uniform_entries(CHUNK_ROWS * params, SEED ^ params as u64);
        let mut rows = vec![0.0; CHUNK_ROWS * params];
        for k in 0..params {
            for i in 0..CHUNK_ROWS {
                rows[i * params + k] = columns[k * CHUNK_ROWS + i];
            }
        }
        let residuals = uniform_entries(CHUNK_ROWS, !SEED ^ params as u64);
        Self {
            columns,
            rows,
            residuals,
        }
    }
}

/// The benchmark group `name`, its throughput one chunk's [`CHUNK_ROWS`] rows.
fn chunk_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(CHUNK_ROWS as u64));
    group
}

/// `normal_accumulation/{add,add_rows}/{P}`: one chunk summed into running normal
/// equations.
fn bench_normal_accumulation(c: &mut Criterion) {
    let mut group = chunk_group(c, "normal_accumulation");
    for params in NORMAL_PARAMS {
        let chunk = JacobianChunk::new(params);
        // The sums keep growing over the timed adds; with entries below 0.5 in size they
        // stay far from overflow for any number of iterations criterion runs.
        let mut sums = NormalAccumulator::zeros(params);
        group.bench_function(BenchmarkId::new("add", params), |b| {
            b.iter(|| {
                vectorized(
                    #[inline(always)]
                    || {
                        sums.add(
                            black_box(&chunk.columns),
                            black_box(&chunk.residuals),
                            CHUNK_ROWS,
                        )
                    },
                )
            })
        });
        black_box(sums.parts());
        if params <= ROW_KERNEL_MAX_PARAMS {
            let mut sums = NormalAccumulator::zeros(params);
            assert!(
                sums.add_rows(&chunk.rows, None, &chunk.residuals).is_some(),
                "the row kernel takes {params} parameters and finite entries"
            );
            group.bench_function(BenchmarkId::new("add_rows", params), |b| {
                b.iter(|| {
                    vectorized(
                        #[inline(always)]
                        || sums.add_rows(black_box(&chunk.rows), None, black_box(&chunk.residuals)),
                    )
                })
            });
            black_box(sums.parts());
        }
    }
    group.finish();
}

/// `qr_fold/fold/{P}`: one chunk folded by Householder into a factor that already holds
/// one chunk's rows.
fn bench_qr_fold(c: &mut Criterion) {
    let mut group = chunk_group(c, "qr_fold");
    for params in FOLD_PARAMS {
        let chunk = JacobianChunk::new(params);
        let mut factor = RFactor::zeros(params);
        let (mut columns, mut residuals) = (chunk.columns.clone(), chunk.residuals.clone());
        factor.fold(&mut columns, &mut residuals, CHUNK_ROWS);
        assert!(
            factor.is_finite(),
            "the first chunk folds to a finite factor"
        );
        group.bench_function(BenchmarkId::new("fold", params), |b| {
            b.iter_batched_ref(
                || {
                    (
                        factor.clone(),
                        chunk.columns.clone(),
                        chunk.residuals.clone(),
                    )
                },
                |(factor, columns, residuals)| {
                    vectorized(
                        #[inline(always)]
                        || factor.fold(black_box(columns), black_box(residuals), CHUNK_ROWS),
                    )
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn main() {
    bench::run(bench::short(), &[bench_normal_accumulation, bench_qr_fold]);
}

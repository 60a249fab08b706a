//! Criterion benchmark of one solver iteration's data pass: the linearisation of
//! `y = a exp(-b x) + c` (the built-in [`Decay`] example, hand-written exact Jacobian) at
//! 1e5 and 1e6 points.
//!
//! A TRF iteration whose step is accepted costs one linearisation pass (values, Jacobian
//! and the accumulation of every chunk, reduced over the threads) plus a trust-region step
//! on the `P x P` factor, which at `P = 3` is negligible beside the pass: after a success
//! the solver evaluates the next trial point with derivatives straight away, so that pass
//! both judges the step and linearises for the next one. A rejected step costs a cost pass
//! instead (values only). So the pass is timed here, through the public
//! [`InMemoryObjective`] the fit itself builds, rather than a whole `Fit::run`:
//! even with `max_nfev = 1` a fit also checks its inputs, chooses a strategy, runs the
//! initial linearisation and computes the covariance, and is not one iteration.
//!
//! Benchmark ids are `decay_pass/{pass}/{n}` with the throughput in points:
//!
//! - `linearize_qr`: [`Accumulation::Qr`], the Householder fold the STANDARD strategy
//!   (below 1e6 points) uses;
//! - `linearize_normal_equations`: [`Accumulation::NormalEquations`], the LARGE and
//!   CHUNKED strategies' sums (from 1e6 points); at `P = 3` they take the copy-free row
//!   kernel. Before timing, the benchmark checks that these sums are well enough
//!   conditioned to factor, so the timed pass never falls back to a second, QR pass;
//! - `cost`: the values-only pass of a rejected trial point.
//!
//! The data are those of the `standard` benchmark (`homodyne_testkit::example::decay`, noise 0.01,
//! fixed seed) and the parameters its starting point `(1, 1, 0)`, where the first iteration
//! linearises. Run it with `cargo bench -p homodyne --bench iteration`; the per-chunk
//! kernels alone are timed by the `kernels` benchmark of `homodyne-solvers`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use homodyne::prelude::*;
use homodyne_solvers::normal::NormalAccumulator;
use homodyne_solvers::{Accumulation, InMemoryObjective};
use homodyne_testkit::bench;
use homodyne_testkit::example::Decay;

/// Point counts of the benchmark.
const SIZES: [usize; 2] = [100_000, 1_000_000];
/// Standard deviation of the Gaussian noise added to `y`.
const NOISE_SIGMA: f64 = 0.01;
/// Seed of the noise generator (that of the `standard` benchmark).
const SEED: u64 = 0x0DEC_A7ED_5EED_0001;
/// The parameters linearised at: the `standard` benchmark's starting point.
const P0: [f64; 3] = [1.0, 1.0, 0.0];

/// The objective a fit of `(x, y)` builds: no uncertainties, linear loss, summing by
/// `accumulation`.
fn decay_objective<'a>(
    x: &'a [f64],
    y: &'a [f64],
    accumulation: Accumulation,
) -> InMemoryObjective<'a, Decay> {
    InMemoryObjective::new(&Decay, x, y, None, Loss::Linear, 1.0).with_accumulation(accumulation)
}

/// Whether the normal equations of the decay's Jacobian at [`P0`] on `x` factor (Cholesky
/// succeeds and the equilibrated condition is within bounds), so that a
/// [`Accumulation::NormalEquations`] pass is one pass. Computed over the whole data at
/// once with the public kernels; the residuals do not affect the answer.
fn normal_equations_factor(x: &[f64]) -> bool {
    let n = x.len();
    let (mut values, mut rows) = (vec![0.0; n], vec![0.0; 3 * n]);
    Decay.eval_with_jacobian(x, &P0, &mut values, &mut rows);
    let mut columns = vec![0.0; 3 * n];
    for i in 0..n {
        for k in 0..3 {
            columns[k * n + i] = rows[i * 3 + k];
        }
    }
    let mut sums = NormalAccumulator::zeros(3);
    sums.add(&columns, &values, n);
    sums.factor().is_some()
}

/// The benchmark: one group, `decay_pass/{pass}/{n}`.
fn bench_decay_pass(c: &mut Criterion) {
    let mut group = c.benchmark_group("decay_pass");
    // A pass over 1e6 points takes milliseconds: flat sampling (the same number of passes
    // in every sample), where criterion's linear sampling would need 210 for 20 samples.
    group.sampling_mode(SamplingMode::Flat);
    for n in SIZES {
        let data = homodyne_testkit::example::decay(n, NOISE_SIGMA, SEED);
        let (x, y) = (&data.x[..], &data.y[..]);
        assert!(
            normal_equations_factor(x),
            "the normal equations at {P0:?} on {n} points must factor, or the timed pass \
             would include a QR fallback"
        );
        group.throughput(Throughput::Elements(n as u64));
        for (name, accumulation) in [
            ("linearize_qr", Accumulation::Qr),
            ("linearize_normal_equations", Accumulation::NormalEquations),
        ] {
            let objective = decay_objective(x, y, accumulation);
            let linearization = objective.evaluate_linearization(&P0);
            assert!(
                linearization.cost.is_finite() && linearization.factor.is_finite(),
                "{name} at n = {n}: the linearisation is finite"
            );
            group.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| objective.evaluate_linearization(black_box(&P0)))
            });
        }
        let objective = decay_objective(x, y, Accumulation::Qr);
        assert!(
            objective.evaluate_cost(&P0).is_finite(),
            "cost at n = {n}: finite"
        );
        group.bench_function(BenchmarkId::new("cost", n), |b| {
            b.iter(|| objective.evaluate_cost(black_box(&P0)))
        });
    }
    group.finish();
}

fn main() {
    bench::run(bench::short(), &[bench_decay_pass]);
}

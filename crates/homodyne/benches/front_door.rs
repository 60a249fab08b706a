//! Criterion benchmark of the front door: what [`Fit`] and the wrapper add to a fit of
//! `y = a exp(-b x) + c` on 1e6 points, beside the bare solver on the same objective.
//!
//! - `front_door/builder/{trf,lm}`: `Fit::curve(..).p0(..).method(..)
//!   .coarse_to_fine(CoarseToFine::Off).run()`, the whole user path without coarse stages:
//!   the builder, the input checks, the strategy choice (LARGE at 1e6 points), the
//!   recovery loop, the solver driver and the covariance;
//! - `front_door/solver/{trf,lm}`: `homodyne_solvers::{trf, lm}` on the
//!   [`InMemoryObjective`] the fit builds (normal equations, as LARGE), from the same start
//!   with the same options: the driver and the passes, nothing else;
//! - `front_door/staged/{trf,lm}`: the fit a user gets by default
//!   (`CoarseToFine::Auto`: at 1e6 points one coarse stage on every 16th block of points
//!   before the fit of all of them, see `homodyne::coarse`).
//!
//! Like is compared with like: the bare solver runs no coarse stages, so `builder` runs
//! none either, and both reach the same parameters, bit for bit (checked before timing):
//! the ratio `builder / solver` is the cost of everything between the user and the
//! solver. `staged` ends at the same optimum to rounding (checked: `1e-8` relative, the
//! fit of all the points starts elsewhere), and `staged / builder` is what the stages
//! save or cost. The solver driver itself is compared with the two loops it replaced by
//! timing this benchmark's `solver` ids at the commit before it (see the commit message).
//!
//! Run it with `cargo bench -p homodyne --bench front_door`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use homodyne::prelude::*;
use homodyne_core::NoObserver;
use homodyne_solvers::{Accumulation, InMemoryObjective, lm, trf};
use homodyne_testkit::bench;
use homodyne_testkit::example::Decay;

/// Points of the fit.
const N: usize = 1_000_000;
/// Standard deviation of the Gaussian noise added to `y`.
const NOISE_SIGMA: f64 = 0.01;
/// Seed of the noise generator (that of the `standard` benchmark).
const SEED: u64 = 0x0DEC_A7ED_5EED_0001;
/// Starting point of every fit.
const P0: [f64; 3] = [1.0, 1.0, 0.0];

/// The fit through the front door, with `coarse_to_fine`.
fn builder_fit(x: &[f64], y: &[f64], method: Method, coarse_to_fine: CoarseToFine) -> Vec<f64> {
    let fit = Fit::curve(&Decay, x, y)
        .p0(&P0)
        .method(method)
        .coarse_to_fine(coarse_to_fine)
        .run()
        .expect("the decay fit runs");
    assert_eq!(
        fit.strategy,
        OptimizationStrategy::Large,
        "1e6 points run LARGE"
    );
    fit.parameters
}

/// The bare solver on the objective a LARGE fit builds.
fn solver_fit(x: &[f64], y: &[f64], method: Method) -> Vec<f64> {
    let objective = InMemoryObjective::new(&Decay, x, y, None, Loss::Linear, 1.0)
        .with_accumulation(Accumulation::NormalEquations);
    let bounds = Bounds::unbounded(3);
    let options = SolverOptions::default();
    let outcome = match method {
        Method::Trf => trf(&objective, &P0, &bounds, &options, &NoObserver),
        Method::Lm => lm(&objective, &P0, &bounds, &options, &NoObserver),
    };
    outcome.expect("the decay fit runs").x
}

/// The benchmark: one group, `front_door/{builder,solver,staged}/{trf,lm}`.
fn bench_front_door(c: &mut Criterion) {
    let data = homodyne_testkit::example::decay(N, NOISE_SIGMA, SEED);
    let (x, y) = (&data.x[..], &data.y[..]);
    let mut group = c.benchmark_group("front_door");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for method in [Method::Trf, Method::Lm] {
        let through_builder = builder_fit(x, y, method, CoarseToFine::Off);
        let bare = solver_fit(x, y, method);
        assert_eq!(
            through_builder
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>(),
            bare.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{method}: the builder and the bare solver reach the same bits"
        );
        let staged = builder_fit(x, y, method, CoarseToFine::Auto);
        for (s, b) in staged.iter().zip(&bare) {
            assert!(
                (s - b).abs() <= 1e-8 * b.abs(),
                "{method}: the staged fit reaches the optimum: {s} against {b}"
            );
        }
        let name = format!("{method}").to_lowercase();
        group.bench_function(BenchmarkId::new("builder", &name), |b| {
            b.iter(|| builder_fit(black_box(x), black_box(y), method, CoarseToFine::Off))
        });
        group.bench_function(BenchmarkId::new("solver", &name), |b| {
            b.iter(|| solver_fit(black_box(x), black_box(y), method))
        });
        group.bench_function(BenchmarkId::new("staged", &name), |b| {
            b.iter(|| builder_fit(black_box(x), black_box(y), method, CoarseToFine::Auto))
        });
    }
    group.finish();
}

fn main() {
    bench::run(Criterion::default(), &[bench_front_door]);
}

//! Criterion benchmark of the cost of fault tolerance when nothing fails: the same fit,
//! same data and same start, under four configurations of [`NlsqWrapper`]:
//!
//! - `none`: recovery off, numerical validation off;
//! - `validation`: recovery off, numerical validation on;
//! - `full`: recovery on, numerical validation on (the defaults);
//! - `fast_mode`: the defaults plus `fast_mode(true)`;
//! - `none_repeat`: `none` again, timed last: its ratio to `none` measures how much the
//!   machine drifted during the run, the noise floor of the other ratios.
//!
//! Two models, one criterion group each, both fitted with TRF and LM:
//!
//! - `fault_tolerance_decay`: `y = a exp(-b x) + c` on 1e6 points with a hand-written exact
//!   Jacobian (the data of `homodyne_testkit::example::decay`, as in the `standard` benchmark);
//! - `fault_tolerance_7param`: `y = b1 + b2 exp(-b3 x) + b4 exp(-b5 x) cos(b6 x + b7)` on
//!   2e5 points, differentiated by `AutoDiff::<_, 7>`.
//!
//! Benchmark ids are `{group}/{method}/{configuration}`. Before timing, every configuration
//! is fitted once and must converge to bit-identical parameters with the same evaluation
//! counts and no recovery action, so the timings compare the same arithmetic. Sampling is
//! flat (the same number of fits in every sample): a fit takes tens of milliseconds, and
//! criterion's linear sampling would need 210 of them for 20 samples.
//!
//! Run it alone with `cargo bench -p homodyne --bench fault_tolerance`, or through
//! `cargo xtask bench-ft`, which reads the estimates and prints the overhead ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, measurement::WallTime,
};
use homodyne::prelude::*;
use homodyne::random::GaussianNoise;
use homodyne_testkit::bench;
use homodyne_testkit::example::Decay;

/// Seed of the noise of both data sets.
const SEED: u64 = 0x0DEC_A7ED_5EED_0001;
/// Standard deviation of the Gaussian noise of both data sets.
const NOISE_SIGMA: f64 = 0.01;

/// Points of the decay fit.
const DECAY_N: usize = 1_000_000;
/// The decay's true parameters `(a, b, c)`.
const DECAY_TRUTH: [f64; 3] = [2.5, 1.3, 0.5];
/// Starting point of the decay fits (that of the `standard` benchmark).
const DECAY_P0: [f64; 3] = [1.0, 1.0, 0.0];

/// Points of the 7-parameter fit.
const SEVEN_N: usize = 200_000;
/// The 7-parameter model's true parameters.
const SEVEN_TRUTH: [f64; 7] = [0.5, 2.0, 1.3, 1.0, 0.4, 3.0, 0.5];
/// Starting point of the 7-parameter fits: each parameter 3 to 10 % off the truth.
const SEVEN_P0: [f64; 7] = [0.55, 1.8, 1.4, 0.92, 0.44, 2.95, 0.45];

/// The configurations compared, in the order they are timed and reported.
const CONFIGS: [&str; 5] = ["none", "validation", "full", "fast_mode", "none_repeat"];

/// The wrapper of configuration `name` (one of [`CONFIGS`]).
fn wrapper(name: &str) -> NlsqWrapper {
    match name {
        "none" | "none_repeat" => NlsqWrapper::builder()
            .enable_recovery(false)
            .enable_numerical_validation(false)
            .build(),
        "validation" => NlsqWrapper::builder()
            .enable_recovery(false)
            .enable_numerical_validation(true)
            .build(),
        "full" => NlsqWrapper::builder()
            .enable_recovery(true)
            .enable_numerical_validation(true)
            .build(),
        "fast_mode" => NlsqWrapper::builder().fast_mode(true).build(),
        other => unreachable!("unknown configuration {other}"),
    }
}

/// `y = b1 + b2 exp(-b3 x) + b4 exp(-b5 x) cos(b6 x + b7)`: a baseline, a decay and a
/// damped oscillation.
struct DampedOscillation;

impl GenericModel for DampedOscillation {
    fn n_params(&self) -> usize {
        7
    }

    #[inline(always)]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let x = x[0];
        p[0] + p[1] * (p[2] * -x).exp() + p[3] * (p[4] * -x).exp() * (p[5] * x + p[6]).cos()
    }
}

/// The decay data: `homodyne_testkit::example::decay`, `x = linspace(0, 10, n)`.
fn decay_data() -> (Vec<f64>, Vec<f64>) {
    let data = homodyne_testkit::example::decay(DECAY_N, NOISE_SIGMA, SEED);
    assert_eq!(
        data.truth, DECAY_TRUTH,
        "the example's truth is the benchmark's"
    );
    (data.x, data.y)
}

/// The 7-parameter data: the model at [`SEVEN_TRUTH`] on `x = linspace(0, 10, n)` plus
/// Gaussian noise of standard deviation [`NOISE_SIGMA`] from [`SEED`].
fn seven_data() -> (Vec<f64>, Vec<f64>) {
    let step = 10.0 / (SEVEN_N - 1) as f64;
    let x: Vec<f64> = (0..SEVEN_N).map(|i| i as f64 * step).collect();
    let mut noise = GaussianNoise::new(SEED);
    let y = x
        .iter()
        .map(|xi| {
            DampedOscillation.eval(std::slice::from_ref(xi), &SEVEN_TRUTH)
                + NOISE_SIGMA * noise.next_normal()
        })
        .collect();
    (x, y)
}

/// Fits `problem` with `method` once under every configuration and checks that each
/// converged near `truth` (within `tolerance`) to bit-identical parameters with the same
/// work and no recovery, so the benchmark compares the very same arithmetic.
fn check_configs(problem: &Fit<'_>, method: Method, truth: &[f64], tolerance: f64) {
    let fits: Vec<(&str, OptimizationResult)> = CONFIGS
        .iter()
        .map(|&name| {
            let fit = configured(problem, method, name)
                .run()
                .unwrap_or_else(|e| panic!("{method} {name} fit failed: {e}"));
            let n = fit.n_points;
            assert!(
                fit.termination_reason.is_converged(),
                "{method} {name} at n = {n}: {:?}",
                fit.termination_reason
            );
            assert!(
                fit.recovery_actions.is_empty(),
                "{method} {name}: recovery ran: {:?}",
                fit.recovery_actions
            );
            for (p, t) in fit.parameters.iter().zip(truth) {
                assert!(
                    (p - t).abs() < tolerance,
                    "{method} {name} at n = {n}: {:?} is far from {truth:?}",
                    fit.parameters
                );
            }
            (name, fit)
        })
        .collect();
    let (first, reference) = &fits[0];
    for (name, fit) in &fits[1..] {
        let same_bits = fit
            .parameters
            .iter()
            .zip(&reference.parameters)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(
            same_bits,
            "{method}: {name} found {:?}, {first} found {:?}",
            fit.parameters, reference.parameters
        );
        assert_eq!(
            (fit.iterations, fit.nfev, fit.njev),
            (reference.iterations, reference.nfev, reference.njev),
            "{method}: {name} and {first} did different work"
        );
    }
}

/// `problem` fitted with `method` under configuration `name` (one of [`CONFIGS`]).
fn configured<'a>(problem: &Fit<'a>, method: Method, name: &str) -> Fit<'a> {
    problem.clone().method(method).wrapper(wrapper(name))
}

/// Times every method and configuration on `problem` (the fit of `n` points), as
/// `{method}/{configuration}`.
fn bench_model(
    group: &mut BenchmarkGroup<'_, WallTime>,
    problem: &Fit<'_>,
    n: usize,
    truth: &[f64],
    tolerance: f64,
) {
    group.throughput(Throughput::Elements(n as u64));
    for method in [Method::Trf, Method::Lm] {
        check_configs(problem, method, truth, tolerance);
        for name in CONFIGS {
            let fit = configured(problem, method, name);
            group.bench_function(BenchmarkId::new(method.to_string(), name), |b| {
                b.iter(|| {
                    black_box(&fit)
                        .run()
                        .expect("the fit succeeded once already")
                })
            });
        }
    }
}

/// The decay on 1e6 points: group `fault_tolerance_decay`.
fn bench_decay(c: &mut Criterion) {
    let (x, y) = decay_data();
    let problem = Fit::curve(&Decay, &x, &y).p0(&DECAY_P0);
    let mut group = c.benchmark_group("fault_tolerance_decay");
    group.sampling_mode(SamplingMode::Flat);
    bench_model(&mut group, &problem, y.len(), &DECAY_TRUTH, 0.05);
    group.finish();
}

/// The 7-parameter model on 2e5 points: group `fault_tolerance_7param`.
fn bench_seven(c: &mut Criterion) {
    let (x, y) = seven_data();
    let model = AutoDiff::<_, 7>::new(DampedOscillation).expect("7 parameters");
    let problem = Fit::curve(&model, &x, &y).p0(&SEVEN_P0);
    let mut group = c.benchmark_group("fault_tolerance_7param");
    group.sampling_mode(SamplingMode::Flat);
    bench_model(&mut group, &problem, y.len(), &SEVEN_TRUTH, 0.01);
    group.finish();
}

fn main() {
    let settings = bench::settings(20, Duration::from_secs(1), Duration::from_secs(3));
    bench::run(settings, &[bench_decay, bench_seven]);
}

//! Criterion benchmark of the STANDARD path: `Fit::curve(..).run()` on `y = a exp(-b x) + c`
//! with a hand-written exact Jacobian, at 1e4, 1e5 and 1e6 points, with TRF and LM.
//!
//! Run it alone with `cargo bench -p homodyne --bench standard`, or through
//! `cargo xtask bench`, which also times scipy's `least_squares` on the same data and
//! reports the ratio. When `HOMODYNE_BENCH_DATA_DIR` is set, the benchmark writes there, for
//! each size `n`:
//! - `decay_{n}.f64`: the data, `n` values of `x` then `n` values of `y`, little-endian
//!   `f64` (read by `bench/scipy_standard.py`, so both sides fit the very same numbers);
//! - `homodyne_{method}_{n}.json`: the fitted parameters and evaluation counts of one fit.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use homodyne::prelude::*;
use homodyne_testkit::bench;
use homodyne_testkit::example::Decay;

/// Point counts of the benchmark.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// The true parameters `(a, b, c)`.
const TRUTH: [f64; 3] = [2.5, 1.3, 0.5];
/// Standard deviation of the Gaussian noise added to `y`.
const NOISE_SIGMA: f64 = 0.01;
/// Seed of the noise generator.
const SEED: u64 = 0x0DEC_A7ED_5EED_0001;
/// Starting point of every fit.
const P0: [f64; 3] = [1.0, 1.0, 0.0];
/// Environment variable naming the folder for the data files and fit summaries.
const DATA_DIR_VAR: &str = "HOMODYNE_BENCH_DATA_DIR";

/// The benchmark data: the built-in example `y = 2.5 exp(-1.3 x) + 0.5 + noise` on
/// `x = linspace(0, 10, n)`, noise Gaussian with standard deviation 0.01 from a fixed seed.
fn decay_data(n: usize) -> (Vec<f64>, Vec<f64>) {
    let data = homodyne_testkit::example::decay(n, NOISE_SIGMA, SEED);
    assert_eq!(data.truth, TRUTH, "the example's truth is the benchmark's");
    (data.x, data.y)
}

/// Writes `x` then `y` as little-endian `f64` to `path`.
fn write_data(path: &Path, x: &[f64], y: &[f64]) {
    let bytes: Vec<u8> = x.iter().chain(y).flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Writes a JSON summary of one fit (parameters, counts, cost) to `path`.
fn write_summary(path: &Path, n: usize, method: Method, fit: &OptimizationResult) {
    let params: Vec<String> = fit.parameters.iter().map(|p| format!("{p:?}")).collect();
    let json = format!(
        "{{\"n\": {n}, \"method\": \"{method}\", \"parameters\": [{}], \"final_cost\": {:?}, \
         \"iterations\": {}, \"nfev\": {}, \"njev\": {}, \"termination\": \"{:?}\", \"threads\": {}}}\n",
        params.join(", "),
        fit.final_cost,
        fit.iterations,
        fit.nfev,
        fit.njev,
        fit.termination_reason,
        fit.device_info.threads,
    );
    std::fs::write(path, json).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The fit of the benchmark: [`Decay`] from [`P0`] with `method`, default options.
fn decay_fit<'a>(x: &'a [f64], y: &'a [f64], method: Method) -> Fit<'a> {
    Fit::curve(&Decay, x, y).p0(&P0).method(method)
}

/// Fits once and checks that the fit converged near the truth, so that a benchmark never
/// times a failing fit.
fn checked_fit(x: &[f64], y: &[f64], method: Method) -> OptimizationResult {
    let fit = decay_fit(x, y, method)
        .run()
        .unwrap_or_else(|e| panic!("{method} fit of {} points failed: {e}", y.len()));
    assert!(
        fit.termination_reason.is_converged(),
        "{method} at n = {}: {:?}",
        y.len(),
        fit.termination_reason
    );
    for (p, t) in fit.parameters.iter().zip(TRUTH) {
        assert!(
            (p - t).abs() < 0.05,
            "{method} at n = {}: {:?} is far from {TRUTH:?}",
            y.len(),
            fit.parameters
        );
    }
    fit
}

/// The benchmark: one group, `standard_decay/{trf,lm}/{n}`.
fn bench_standard(c: &mut Criterion) {
    let out_dir = std::env::var_os(DATA_DIR_VAR).map(PathBuf::from);
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let mut group = c.benchmark_group("standard_decay");
    for n in SIZES {
        let (x, y) = decay_data(n);
        if let Some(dir) = &out_dir {
            write_data(&dir.join(format!("decay_{n}.f64")), &x, &y);
        }
        group.throughput(Throughput::Elements(n as u64));
        for method in [Method::Trf, Method::Lm] {
            let fit = checked_fit(&x, &y, method);
            if let Some(dir) = &out_dir {
                write_summary(
                    &dir.join(format!("homodyne_{method}_{n}.json")),
                    n,
                    method,
                    &fit,
                );
            }
            group.bench_with_input(
                BenchmarkId::new(method.to_string(), n),
                &(&x, &y),
                |b, (x, y)| {
                    b.iter(|| {
                        decay_fit(black_box(x), black_box(y), method)
                            .run()
                            .expect("the fit succeeded once already")
                    })
                },
            );
        }
    }
    group.finish();
}

fn main() {
    let settings = bench::settings(10, Duration::from_secs(1), Duration::from_secs(3));
    bench::run(settings, &[bench_standard]);
}

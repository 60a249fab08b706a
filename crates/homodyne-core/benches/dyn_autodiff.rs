//! Criterion benchmark of the run-time dual-number adapter [`DynAutoDiff`] against the
//! fixed-size [`AutoDiff`]: the Jacobian of one solver chunk (256 consecutive points, the
//! solvers' `CHUNK_ROWS`) of a sum of exponentials
//!
//! ```text
//! y = sum_j a_j exp(-b_j x) + c
//! ```
//!
//! with 1, 3 and 5 terms: 3, 7 and 11 parameters. Up to 32 parameters the run-time adapter
//! runs AutoDiff's loop compiled for the count it finds, so the two should cost the same.
//!
//! Benchmark ids are `jacobian_chunk/{fixed,dynamic}/{3,7,11}`, with the throughput in
//! points. Run it with `cargo bench -p homodyne-core --bench dyn_autodiff`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use homodyne_core::{AutoDiff, DynAutoDiff, GenericModel, Model, Scalar};

/// Points per chunk: the solvers' `CHUNK_ROWS` (homodyne-solvers depends on this crate, not
/// the other way round).
const CHUNK: usize = 256;

/// `sum_j a_j exp(-b_j x) + c` with `terms` terms: parameters `a_1, b_1, ..., c`.
struct Exponentials {
    terms: usize,
}

impl GenericModel for Exponentials {
    fn n_params(&self) -> usize {
        2 * self.terms + 1
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let mut y = p[2 * self.terms];
        for j in 0..self.terms {
            y += p[2 * j] * (p[2 * j + 1] * -x[0]).exp();
        }
        y
    }
}

/// The chunk's Jacobian by `model`, timed.
fn time(c: &mut Criterion, group: &str, n: usize, model: &dyn Model) {
    let x: Vec<f64> = (0..CHUNK).map(|i| i as f64 * 0.05).collect();
    let p: Vec<f64> = (0..n)
        .map(|k| {
            if k % 2 == 0 {
                1.0 + 0.1 * k as f64
            } else {
                0.2 * k as f64
            }
        })
        .collect();
    let (mut values, mut jac) = (vec![0.0; CHUNK], vec![0.0; CHUNK * n]);
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(CHUNK as u64));
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            model.eval_with_jacobian(black_box(&x), black_box(&p), &mut values, &mut jac);
            black_box(&jac);
        })
    });
    g.finish();
}

/// Both adapters of the sum of exponentials of `N = 2 terms + 1` parameters.
fn pair<const N: usize>(c: &mut Criterion) {
    let terms = (N - 1) / 2;
    let fixed = AutoDiff::<_, N>::new(Exponentials { terms }).expect("N parameters");
    let dynamic = DynAutoDiff::new(Exponentials { terms });
    time(c, "jacobian_chunk/fixed", N, &fixed);
    time(c, "jacobian_chunk/dynamic", N, &dynamic);
}

fn jacobians(c: &mut Criterion) {
    pair::<3>(c);
    pair::<7>(c);
    pair::<11>(c);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = jacobians
}
criterion_main!(benches);

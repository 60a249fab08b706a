//! Jacobian cost per point of a 7-parameter model: hand-written derivatives, homodyne's
//! `AutoDiff` with `Dual<7>` (with and without an inlining hint on the model's `eval`),
//! num-dual's `DualSVec64<7>`, and central finite differences (`ClosureModel`). Single
//! thread, 1,000,000 points, median of 9 runs.
//!
//! Model: `f(x) = b0 + b1 exp(-b2 x) + b3 exp(-b4 x) cos(b5 x + b6)`.

use std::hint::black_box;
use std::time::Instant;

use homodyne_core::{AutoDiff, ClosureModel, GenericModel, JacobianKind, Model, Scalar};
use nalgebra::{Const, U1};
use num_dual::{Derivative, DualNum, DualSVec64};

const N_POINTS: usize = 1_000_000;
const CHUNK: usize = 256;
const P: [f64; 7] = [0.5, 2.0, 0.7, 1.5, 0.3, 2.2, 0.4];

/// The model written once for any scalar, with an inlining hint on `eval` (as homodyne's
/// documentation recommends).
struct Damped;

impl GenericModel for Damped {
    fn n_params(&self) -> usize {
        7
    }
    #[inline(always)]
    fn eval<T: Scalar>(&self, x: &[f64], b: &[T]) -> T {
        let x = x[0];
        b[0] + b[1] * (b[2] * -x).exp() + b[3] * (b[4] * -x).exp() * (b[5] * x + b[6]).cos()
    }
}

/// The same generic model without the inlining hint.
struct DampedNoHint;

impl GenericModel for DampedNoHint {
    fn n_params(&self) -> usize {
        7
    }
    fn eval<T: Scalar>(&self, x: &[f64], b: &[T]) -> T {
        let x = x[0];
        b[0] + b[1] * (b[2] * -x).exp() + b[3] * (b[4] * -x).exp() * (b[5] * x + b[6]).cos()
    }
}

/// The same model with derivatives written by hand.
struct DampedExact;

impl Model for DampedExact {
    fn n_params(&self) -> usize {
        7
    }
    fn eval(&self, x: &[f64], b: &[f64], values: &mut [f64]) {
        for (v, &x) in values.iter_mut().zip(x) {
            *v = b[0]
                + b[1] * (-b[2] * x).exp()
                + b[3] * (-b[4] * x).exp() * (b[5] * x + b[6]).cos();
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], b: &[f64], values: &mut [f64], jac: &mut [f64]) {
        for ((v, row), &x) in values.iter_mut().zip(jac.chunks_exact_mut(7)).zip(x) {
            let e1 = (-b[2] * x).exp();
            let e2 = (-b[4] * x).exp();
            let (s, c) = (b[5] * x + b[6]).sin_cos();
            *v = b[0] + b[1] * e1 + b[3] * e2 * c;
            row[0] = 1.0;
            row[1] = e1;
            row[2] = -b[1] * x * e1;
            row[3] = e2 * c;
            row[4] = -b[3] * x * e2 * c;
            row[5] = -b[3] * e2 * s * x;
            row[6] = -b[3] * e2 * s;
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// The model's Jacobian through num-dual, point by point.
struct NumDual;

impl Model for NumDual {
    fn n_params(&self) -> usize {
        7
    }
    fn eval(&self, x: &[f64], b: &[f64], values: &mut [f64]) {
        DampedExact.eval(x, b, values)
    }
    fn eval_with_jacobian(&self, x: &[f64], b: &[f64], values: &mut [f64], jac: &mut [f64]) {
        let seeds: [DualSVec64<7>; 7] = std::array::from_fn(|i| {
            let mut d = DualSVec64::<7>::from_re(b[i]);
            d.eps = Derivative::derivative_generic(Const::<7>, U1, i);
            d
        });
        for ((v, row), &x) in values.iter_mut().zip(jac.chunks_exact_mut(7)).zip(x) {
            let [b0, b1, b2, b3, b4, b5, b6] = seeds.clone();
            let f = b0 + b1 * (b2 * -x).exp() + b3 * (b4 * -x).exp() * (b5 * x + b6).cos();
            *v = f.re;
            let grad = f.eps.unwrap_generic(Const::<7>, U1);
            row.copy_from_slice(grad.as_slice());
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::AutoDiff
    }
}

/// Median seconds of `runs` Jacobian passes over all points, and the checksum of the last.
fn time_jacobian(model: &dyn Model, x: &[f64], runs: usize) -> (f64, f64) {
    let mut values = vec![0.0; CHUNK];
    let mut jac = vec![0.0; CHUNK * 7];
    let mut times = Vec::new();
    let mut checksum = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        checksum = 0.0;
        for chunk in x.chunks(CHUNK) {
            let m = chunk.len();
            model.eval_with_jacobian(chunk, black_box(&P), &mut values[..m], &mut jac[..m * 7]);
            checksum += jac[..m * 7].iter().sum::<f64>();
        }
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], checksum)
}

fn main() {
    let x: Vec<f64> = (0..N_POINTS)
        .map(|i| 10.0 * i as f64 / N_POINTS as f64)
        .collect();
    let ours = AutoDiff::<_, 7>::new(Damped).expect("7 parameters");
    let ours_no_hint = AutoDiff::<_, 7>::new(DampedNoHint).expect("7 parameters");
    let closure = ClosureModel::new(7, |x: f64, b: &[f64]| Damped.eval::<f64>(&[x], b));
    let cases: [(&str, &dyn Model); 5] = [
        ("hand-written derivatives", &DampedExact),
        (
            "homodyne AutoDiff (num-dual inside), `#[inline(always)]` on eval",
            &ours,
        ),
        (
            "homodyne AutoDiff (num-dual inside), no inlining hint",
            &ours_no_hint,
        ),
        ("num-dual DualSVec64<7>", &NumDual),
        ("central finite differences", &closure),
    ];
    println!("| Jacobian of a 7-parameter model | ns per point | checksum |");
    println!("|---|---:|---:|");
    for (name, model) in cases {
        let (seconds, checksum) = time_jacobian(model, &x, 9);
        println!(
            "| {name} | {:.1} | {checksum:.6e} |",
            seconds * 1e9 / N_POINTS as f64
        );
    }
}

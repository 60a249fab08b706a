//! Speed of compiled formulas: ns per point for values and for values with the Jacobian,
//! one thread, called as the solvers call a model: chunks of 256 points streamed from the
//! data, into one reused chunk of values and Jacobian rows. For comparison, the same models
//! written by hand and through `homodyne::AutoDiff` (dual numbers).
//!
//! `cargo run --release -p homodyne-cli --example formula_speed`

use std::hint::black_box;
use std::time::Instant;

use homodyne::{AutoDiff, GenericModel, JacobianKind, Model, Scalar};
use homodyne_cli::formula::Formula;

const N: usize = 1_000_000;
const CHUNK: usize = 256;

/// Best of a few repetitions of `run` over the `N` points, in ns per point.
fn time(mut run: impl FnMut()) -> f64 {
    (0..7)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64() * 1e9 / N as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn measure(label: &str, model: &impl Model, p: &[f64]) {
    let (d, np) = (model.x_dim(), model.n_params());
    let x: Vec<f64> = (0..N * d).map(|i| (i % 1000) as f64 * 1e-3 + 0.1).collect();
    let mut y = vec![0.0; CHUNK];
    let mut jac = vec![0.0; CHUNK * np];
    let eval = time(|| {
        for xc in x.chunks(CHUNK * d) {
            let m = xc.len() / d;
            model.eval(xc, black_box(p), &mut y[..m]);
            black_box(&y);
        }
    });
    let with_jac = time(|| {
        for xc in x.chunks(CHUNK * d) {
            let m = xc.len() / d;
            model.eval_with_jacobian(xc, black_box(p), &mut y[..m], &mut jac[..m * np]);
            black_box((&y, &jac));
        }
    });
    println!("{label:<70} {np}  {eval:6.2}  {with_jac:6.2}");
}

fn names(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

fn formula(src: &str, params: &[&str], columns: &[&str]) -> Formula {
    Formula::parse(src, &names(params), &names(columns)).expect("formula parses")
}

/// `a*exp(-b*x)+c` with hand-written derivatives.
struct Decay;
impl Model for Decay {
    fn n_params(&self) -> usize {
        3
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        for (v, &x) in values.iter_mut().zip(x) {
            *v = p[0] * (-p[1] * x).exp() + p[2];
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        for ((v, row), &x) in values.iter_mut().zip(jac.chunks_exact_mut(3)).zip(x) {
            let e = (-p[1] * x).exp();
            *v = p[0] * e + p[2];
            row.copy_from_slice(&[e, -p[0] * x * e, 1.0]);
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// The seven-parameter formula below, for the dual numbers.
struct Seven;
impl GenericModel for Seven {
    fn n_params(&self) -> usize {
        7
    }
    fn x_dim(&self) -> usize {
        2
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let (t, q) = (x[0], x[1]);
        p[0] * (p[1] * -t).exp() * (p[2] * q).cos()
            + p[3] / (T::cst(1.0) + (p[4] * t).powi(2))
            + p[5] * (p[6] * q * q + 1.0).sqrt()
    }
}

/// Gaussian peaks on a decaying background (NIST Gauss), for the dual numbers.
struct Gauss;
impl GenericModel for Gauss {
    fn n_params(&self) -> usize {
        8
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let x = x[0];
        let g1 = (T::cst(x) - p[3]) / p[4];
        let g2 = (T::cst(x) - p[6]) / p[7];
        p[0] * (p[1] * -x).exp() + p[2] * (-(g1 * g1)).exp() + p[5] * (-(g2 * g2)).exp()
    }
}

fn main() {
    println!("{:<70} P  eval ns/pt  +Jacobian ns/pt", "model");
    let decay = [2.0, 0.7, 0.3];
    measure("hand-written a*exp(-b*x)+c", &Decay, &decay);
    measure(
        "formula a*exp(-b*x)+c",
        &formula("a*exp(-b*x)+c", &["a", "b", "c"], &["x"]),
        &decay,
    );

    let seven = "A*exp(-G*t)*cos(w*q) + B/(1 + (k*t)^2) + C*sqrt(s*q^2 + 1)";
    let p7 = [1.5, 0.8, 2.1, 0.7, 1.3, 0.4, 0.9];
    measure(
        "AutoDiff of the next model",
        &AutoDiff::<_, 7>::new(Seven).expect("7"),
        &p7,
    );
    measure(
        &format!("formula {seven}"),
        &formula(seven, &["A", "G", "w", "B", "k", "C", "s"], &["t", "q"]),
        &p7,
    );

    let gauss = "b1*exp(-b2*x) + b3*exp(-((x-b4)/b5)^2) + b6*exp(-((x-b7)/b8)^2)";
    let p8 = [100.0, 0.01, 100.0, 0.5, 0.2, 70.0, 0.3, 0.1];
    measure(
        "AutoDiff of the next model",
        &AutoDiff::<_, 8>::new(Gauss).expect("8"),
        &p8,
    );
    measure(
        &format!("formula {gauss}"),
        &formula(
            gauss,
            &["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"],
            &["x"],
        ),
        &p8,
    );
}

//! `ResidualModel`: a residual problem served to the solvers' chunks, from several threads,
//! with one evaluation of the residual vector (and Jacobian) per parameter vector.

use std::sync::atomic::{AtomicUsize, Ordering};

use homodyne_core::{
    AutoDiffResiduals, GenericResiduals, JacobianKind, Model, ResidualModel, ResidualProblem,
    Scalar,
};

/// `r_i = p0 exp(-p1 t_i) + p2 - y_i` on `m` points: a decay, as residuals.
struct Decay {
    m: usize,
}

impl GenericResiduals for Decay {
    fn n_params(&self) -> usize {
        3
    }
    fn n_residuals(&self) -> usize {
        self.m
    }
    fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]) {
        for (i, r) in out.iter_mut().enumerate() {
            let t = i as f64 * 0.01;
            let y = 2.0 * (-0.7 * t).exp() + 0.5 + 0.01 * (i as f64).sin();
            *r = p[0] * (p[1] * -t).exp() + p[2] - y;
        }
    }
    fn param_names(&self) -> Vec<String> {
        vec!["amplitude".into(), "rate".into(), "offset".into()]
    }
}

/// Counts the evaluations of the problem it wraps.
struct Counting<R> {
    inner: R,
    plain: AtomicUsize,
    linearized: AtomicUsize,
}

impl<R: ResidualProblem> Counting<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            plain: AtomicUsize::new(0),
            linearized: AtomicUsize::new(0),
        }
    }
    fn counts(&self) -> (usize, usize) {
        (
            self.plain.load(Ordering::SeqCst),
            self.linearized.load(Ordering::SeqCst),
        )
    }
}

impl<R: ResidualProblem> ResidualProblem for Counting<R> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.inner.n_residuals()
    }
    fn residuals(&self, p: &[f64], out: &mut [f64]) {
        self.plain.fetch_add(1, Ordering::SeqCst);
        self.inner.residuals(p, out)
    }
    fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jacobian: &mut [f64]) {
        self.linearized.fetch_add(1, Ordering::SeqCst);
        self.inner.residuals_with_jacobian(p, out, jacobian)
    }
    fn jacobian_kind(&self) -> JacobianKind {
        self.inner.jacobian_kind()
    }
    fn param_names(&self) -> Vec<String> {
        self.inner.param_names()
    }
}

const M: usize = 10_000;
const CHUNK: usize = 256;

/// The whole residual vector and Jacobian at `p`, straight from the problem.
fn direct(problem: &dyn ResidualProblem, p: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (m, n) = (problem.n_residuals(), problem.n_params());
    let (mut plain, mut r, mut jac) = (vec![0.0; m], vec![0.0; m], vec![0.0; m * n]);
    problem.residuals(p, &mut plain);
    problem.residuals_with_jacobian(p, &mut r, &mut jac);
    (plain, r, jac)
}

/// Evaluates `model` chunk by chunk on 4 threads, as a solver's pass does.
fn by_chunks(model: &dyn Model, x: &[f64], p: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = model.n_params();
    let (mut plain, mut r, mut jac) = (
        vec![0.0; x.len()],
        vec![0.0; x.len()],
        vec![0.0; x.len() * n],
    );
    std::thread::scope(|scope| {
        let chunks = x
            .chunks(CHUNK)
            .zip(plain.chunks_mut(CHUNK))
            .zip(r.chunks_mut(CHUNK))
            .zip(jac.chunks_mut(CHUNK * n));
        let mut work: Vec<Vec<_>> = (0..4).map(|_| Vec::new()).collect();
        for (c, chunk) in chunks.enumerate() {
            work[c % 4].push(chunk);
        }
        for share in work {
            scope.spawn(move || {
                for (((x, plain), r), jac) in share {
                    model.eval(x, p, plain);
                    model.eval_with_jacobian(x, p, r, jac);
                }
            });
        }
    });
    (plain, r, jac)
}

#[test]
fn chunks_from_several_threads_cost_one_evaluation_per_parameter_vector() {
    let problem = Counting::new(AutoDiffResiduals::new(Decay { m: M }));
    let model = ResidualModel::new(&problem);
    let (x, y) = model.points();
    assert_eq!((x.len(), y.len()), (M, M));
    assert!(y.iter().all(|&y| y == 0.0));
    assert!(x.iter().enumerate().all(|(i, &x)| x == i as f64));

    let p = [1.8, 0.6, 0.45];
    let served = by_chunks(&model, &x, &p);
    assert_eq!(problem.counts(), (1, 1), "one evaluation of each kind");
    let want = direct(&problem.inner, &p);
    assert_eq!(served, want, "the rows, bit for bit");

    // The same parameters again: nothing recomputed. New ones: once more.
    by_chunks(&model, &x, &p);
    assert_eq!(problem.counts(), (1, 1));
    let q = [1.9, 0.65, 0.5];
    let served = by_chunks(&model, &x, &q);
    assert_eq!(problem.counts(), (2, 2));
    assert_eq!(served, direct(&problem.inner, &q));
}

#[test]
fn the_last_four_parameter_vectors_are_kept() {
    let problem = Counting::new(AutoDiffResiduals::new(Decay { m: 50 }));
    let model = ResidualModel::new(&problem);
    let mut value = [0.0];
    let points: Vec<[f64; 3]> = (0..5).map(|k| [1.0 + k as f64, 0.5, 0.1]).collect();
    for p in &points[..4] {
        model.eval(&[7.0], p, &mut value);
    }
    assert_eq!(problem.counts(), (4, 0));
    // Alternating between kept vectors costs nothing.
    for p in points[..4].iter().rev() {
        model.eval(&[3.0], p, &mut value);
    }
    assert_eq!(problem.counts(), (4, 0));
    // A fifth drops the least recently used (points[3]).
    model.eval(&[3.0], &points[4], &mut value);
    model.eval(&[3.0], &points[0], &mut value);
    assert_eq!(problem.counts(), (5, 0));
    model.eval(&[3.0], &points[3], &mut value);
    assert_eq!(problem.counts(), (6, 0));
    // -0.0 and 0.0 are different parameter vectors (their bits differ).
    model.eval(&[3.0], &[1.0, 0.5, 0.0], &mut value);
    model.eval(&[3.0], &[1.0, 0.5, -0.0], &mut value);
    assert_eq!(problem.counts(), (8, 0));
}

#[test]
fn predictors_that_are_not_residual_indices_give_nan() {
    let problem = AutoDiffResiduals::new(Decay { m: 5 });
    let model = ResidualModel::new(&problem);
    let p = [2.0, 0.7, 0.5];
    let x = [0.0, 4.0, 5.0, -1.0, 1.5, f64::NAN, f64::INFINITY];
    let (mut values, mut jac) = ([0.0; 7], [0.0; 21]);
    model.eval_with_jacobian(&x, &p, &mut values, &mut jac);
    let (_, r, full) = direct(&problem, &p);
    assert_eq!(values[..2], [r[0], r[4]]);
    assert_eq!(jac[..6], [&full[..3], &full[12..15]].concat()[..]);
    assert!(values[2..].iter().all(|v| v.is_nan()));
    assert!(jac[6..].iter().all(|v| v.is_nan()));
    let mut plain = [0.0; 7];
    model.eval(&x, &p, &mut plain);
    assert!(plain[2..].iter().all(|v| v.is_nan()));
}

#[test]
fn the_model_reports_the_problems_names_kind_and_sizes() {
    let problem: Box<dyn ResidualProblem> = Box::new(AutoDiffResiduals::new(Decay { m: 20 }));
    let model = ResidualModel::new(problem);
    assert_eq!((model.n_params(), model.x_dim()), (3, 1));
    assert_eq!(model.jacobian_kind(), JacobianKind::AutoDiff);
    assert_eq!(model.param_names(), ["amplitude", "rate", "offset"]);
    assert_eq!(model.problem().n_residuals(), 20);
    assert!(format!("{model:?}").contains("n_residuals: 20"));
}

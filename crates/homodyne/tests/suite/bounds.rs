//! Bounds: an optimum on a bound ends on that bound, and every evaluation stays within the
//! bounds.

use std::sync::Mutex;

use homodyne::JacobianKind;
use homodyne::prelude::*;

/// y = a exp(-b x) + c with exact derivatives, recording every parameter vector it is
/// evaluated at.
struct RecordingDecay {
    seen: Mutex<Vec<Vec<f64>>>,
}

impl RecordingDecay {
    fn new() -> Self {
        Self {
            seen: Mutex::new(Vec::new()),
        }
    }
    fn record(&self, p: &[f64]) {
        self.seen.lock().unwrap().push(p.to_vec());
    }
}

impl Model for RecordingDecay {
    fn n_params(&self) -> usize {
        3
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        self.record(p);
        for (v, &xi) in values.iter_mut().zip(x) {
            *v = p[0] * (-p[1] * xi).exp() + p[2];
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        self.record(p);
        for ((v, row), &xi) in values.iter_mut().zip(jac.chunks_exact_mut(3)).zip(x) {
            let e = (-p[1] * xi).exp();
            *v = p[0] * e + p[2];
            row.copy_from_slice(&[e, -p[0] * xi * e, 1.0]);
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// Data whose unconstrained optimum has c = -0.5, fitted with c >= 0.
fn data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..200).map(|i| i as f64 * 0.05).collect();
    let y = x.iter().map(|x| 2.0 * (-0.8 * x).exp() - 0.5).collect();
    (x, y)
}

/// The box `[0, 10] x [0, 5] x [0, 3]`, which holds the optimum of [`data`] with `c = 0`.
fn the_box() -> Bounds {
    Bounds::new(vec![0.0, 0.0, 0.0], vec![10.0, 5.0, 3.0]).unwrap()
}

/// `model` fitted to `(x, y)` from `p0` within `bounds` by `method`.
fn bounded_fit(
    model: &RecordingDecay,
    (x, y): (&[f64], &[f64]),
    p0: &[f64],
    bounds: &Bounds,
    method: Method,
) -> OptimizationResult {
    Fit::curve(model, x, y)
        .p0(p0)
        .bounds(bounds)
        .method(method)
        .run()
        .unwrap()
}

/// [`data`] fitted from `p0` within [`the_box`] by `method`: the model, which recorded
/// where it was evaluated, and the fit.
fn fit_in_the_box(p0: &[f64], method: Method) -> (RecordingDecay, OptimizationResult) {
    let (x, y) = data();
    let model = RecordingDecay::new();
    let fit = bounded_fit(&model, (&x, &y), p0, &the_box(), method);
    (model, fit)
}

#[test]
fn optimum_on_a_bound_ends_on_it_and_never_leaves_the_box() {
    let (x, y) = data();
    let bounds = the_box();
    for method in [Method::Trf, Method::Lm] {
        let (model, fit) = fit_in_the_box(&[1.0, 1.0, 1.0], method);
        assert!(fit.converged(), "{method}: {:?}", fit.termination_reason);
        // c ends on its lower bound (TRF keeps iterates strictly inside: within rounding).
        assert!(
            fit.parameters[2] >= 0.0 && fit.parameters[2] < 1e-10,
            "{method}: c = {}",
            fit.parameters[2]
        );
        let seen = model.seen.lock().unwrap();
        assert!(seen.len() > 5);
        for p in seen.iter() {
            assert!(
                bounds.contains(p),
                "{method}: evaluated outside the bounds at {p:?}"
            );
        }
        // The constrained optimum: an unconstrained fit of a exp(-b x) to the same data
        // with c fixed at 0 must agree.
        let fixed = ClosureModel::new(2, |x: f64, p: &[f64]| p[0] * (-p[1] * x).exp());
        let reference = Fit::curve(&fixed, &x, &y)
            .p0(&[1.0, 1.0])
            .method(Method::Lm)
            .run()
            .unwrap();
        for k in 0..2 {
            let rel =
                (fit.parameters[k] - reference.parameters[k]).abs() / reference.parameters[k].abs();
            assert!(
                rel < 1e-6,
                "{method}: p[{k}] {} vs {}",
                fit.parameters[k],
                reference.parameters[k]
            );
        }
    }
}

#[test]
fn start_on_a_bound_is_accepted() {
    for method in [Method::Trf, Method::Lm] {
        let (_, fit) = fit_in_the_box(&[1.0, 1.0, 0.0], method);
        assert!(the_box().contains(&fit.parameters));
        assert!(fit.parameters[2] < 1e-10);
    }
}

#[test]
fn inactive_bounds_do_not_change_the_optimum() {
    let x: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
    let y: Vec<f64> = x.iter().map(|x| 3.0 * (-0.4 * x).exp() + 0.25).collect();
    let wide = Bounds::new(vec![-100.0; 3], vec![100.0; 3]).unwrap();
    for method in [Method::Trf, Method::Lm] {
        let model = RecordingDecay::new();
        let fit = bounded_fit(&model, (&x, &y), &[1.0, 1.0, 0.0], &wide, method);
        for (p, t) in fit.parameters.iter().zip([3.0, 0.4, 0.25]) {
            assert!((p - t).abs() < 1e-9, "{method}: {p} vs {t}");
        }
    }
}

/// A bounded LM fit whose first steps are cut by the bounds uphill (positive directional
/// derivative) converges: the step bound used to grow after such a step, and the same cut
/// step was tried until the evaluation budget ran out, with no iteration.
#[test]
fn lm_does_not_repeat_a_cut_step_that_goes_uphill() {
    let data = homodyne_testkit::example::decay(200, 0.01, 7);
    let bounds = Bounds::new(vec![0.0, 0.0, -1.0], vec![10.0, 1.2, 1.0]).unwrap();
    let fit = Fit::curve(&homodyne_testkit::example::Decay, &data.x, &data.y)
        .p0(&[1.0, 0.2, 0.0])
        .bounds(&bounds)
        .method(Method::Lm)
        .run()
        .unwrap();
    assert!(fit.iterations > 0, "{fit}");
    assert_ne!(
        fit.convergence_status,
        homodyne::ConvergenceStatus::MaxEvaluationsReached,
        "{fit}"
    );
    // The optimum is on the bound b = 1.2 (the truth is 1.3).
    assert_eq!(fit.parameters[1], 1.2, "{fit}");
}

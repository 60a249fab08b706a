//! Bad inputs: each one is a typed error naming the problem, never a panic.

use homodyne::prelude::*;
use homodyne::{DetectionPoint, InvalidInput, JacobianKind};

use super::fitting::fit_by;

/// `y = p0 + p1 x`, with exact derivatives.
struct Line;

impl Model for Line {
    fn n_params(&self) -> usize {
        2
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        for (v, xi) in values.iter_mut().zip(x) {
            *v = p[0] + p[1] * xi;
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        self.eval(x, p, values);
        for (row, &xi) in jac.chunks_exact_mut(2).zip(x) {
            row.copy_from_slice(&[1.0, xi]);
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// A line fitted to `(x, y)` from `p0`: each test adds the input it checks.
fn fit_line<'a>(x: &'a [f64], y: &'a [f64], p0: &[f64]) -> Fit<'a> {
    Fit::curve(&Line, x, y).p0(p0)
}

fn invalid(result: Result<OptimizationResult, OptimizationError>) -> InvalidInput {
    let err = result.expect_err("the input must be refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!err.to_string().is_empty());
    err.invalid_input()
        .cloned()
        .expect("an invalid-input error")
}

const X: [f64; 4] = [0.0, 1.0, 2.0, 3.0];
const Y: [f64; 4] = [1.0, 3.0, 5.0, 7.0];

#[test]
fn mismatched_lengths() {
    let e = invalid(fit_line(&X[..3], &Y, &[0.0, 0.0]).run());
    assert!(matches!(
        e,
        InvalidInput::LengthMismatch {
            x_len: 3,
            y_len: 4,
            x_dim: 1
        }
    ));
}

#[test]
fn empty_data() {
    assert_eq!(
        invalid(fit_line(&[], &[], &[0.0, 0.0]).run()),
        InvalidInput::EmptyData
    );
}

#[test]
fn fewer_points_than_parameters() {
    let e = invalid(fit_line(&X[..1], &Y[..1], &[0.0, 0.0]).run());
    assert!(matches!(
        e,
        InvalidInput::TooFewPoints {
            n_points: 1,
            n_params: 2
        }
    ));
}

#[test]
fn non_finite_values_in_x_y_and_p0() {
    let mut x = X;
    x[2] = f64::NAN;
    let e = invalid(fit_line(&x, &Y, &[0.0, 0.0]).run());
    assert!(matches!(
        e,
        InvalidInput::NonFinite {
            array: "xdata",
            index: 2,
            ..
        }
    ));
    let mut y = Y;
    y[1] = f64::INFINITY;
    let e = invalid(fit_line(&X, &y, &[0.0, 0.0]).run());
    assert!(matches!(
        e,
        InvalidInput::NonFinite {
            array: "ydata",
            index: 1,
            ..
        }
    ));
    let e = invalid(fit_line(&X, &Y, &[0.0, f64::NEG_INFINITY]).run());
    assert!(matches!(
        e,
        InvalidInput::NonFinite {
            array: "p0",
            index: 1,
            ..
        }
    ));
}

#[test]
fn p0_outside_bounds() {
    let bounds = Bounds::new(vec![0.0, 0.0], vec![1.0, 1.0]).unwrap();
    let e = invalid(fit_line(&X, &Y, &[0.5, 2.0]).bounds(bounds).run());
    assert!(matches!(
        e,
        InvalidInput::P0OutsideBounds {
            index: 1,
            value: 2.0,
            ..
        }
    ));
}

#[test]
fn lower_above_upper() {
    // Equal bounds hold a parameter fixed; a lower bound above the upper one is refused.
    assert_eq!(
        Bounds::new(vec![0.0, 2.0], vec![1.0, 2.0])
            .unwrap()
            .fixed_value(1),
        Some(2.0)
    );
    let err = Bounds::new(vec![0.0, 2.0], vec![1.0, 1.5]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(matches!(
        err.invalid_input(),
        Some(InvalidInput::InvertedBounds { index: 1, .. })
    ));
    let err = Bounds::new(vec![3.0], vec![1.0]).unwrap_err();
    assert!(matches!(
        err.invalid_input(),
        Some(InvalidInput::InvertedBounds { index: 0, .. })
    ));
}

#[test]
fn bounds_of_the_wrong_length() {
    let bounds = Bounds::new(vec![0.0; 3], vec![1.0; 3]).unwrap();
    let e = invalid(fit_line(&X, &Y, &[0.5, 0.5]).bounds(bounds).run());
    assert!(matches!(
        e,
        InvalidInput::WrongParameterCount {
            what: "bounds",
            expected: 2,
            got: 3
        }
    ));
}

#[test]
fn zero_or_negative_sigma() {
    for bad in [0.0, -1.0] {
        let sigma = [1.0, bad, 1.0, 1.0];
        let e = invalid(fit_line(&X, &Y, &[0.0, 0.0]).sigma(&sigma).run());
        assert!(
            matches!(e, InvalidInput::NonPositiveSigma { index: 1, .. }),
            "{e:?}"
        );
    }
    let e = invalid(fit_line(&X, &Y, &[0.0, 0.0]).sigma(&[1.0; 3]).run());
    assert!(matches!(
        e,
        InvalidInput::WrongSigmaLength {
            expected: 4,
            got: 3
        }
    ));
}

#[test]
fn wrong_p0_length() {
    let e = invalid(fit_line(&X, &Y, &[0.0, 0.0, 0.0]).run());
    assert!(matches!(
        e,
        InvalidInput::WrongParameterCount {
            what: "p0",
            expected: 2,
            got: 3
        }
    ));
}

#[test]
fn invalid_options_and_method_names() {
    let with = |options| fit_line(&X, &Y, &[0.0, 0.0]).options(options).run();
    let e = invalid(with(SolverOptions {
        ftol: -1.0,
        ..SolverOptions::default()
    }));
    assert!(matches!(
        e,
        InvalidInput::InvalidOption { option: "ftol", .. }
    ));
    let e = invalid(with(SolverOptions {
        x_scale: XScale::Vector(vec![1.0, 0.0]),
        ..SolverOptions::default()
    }));
    assert!(matches!(
        e,
        InvalidInput::InvalidOption {
            option: "x_scale",
            ..
        }
    ));
    let err = "newton".parse::<Method>().unwrap_err();
    assert!(matches!(
        err.invalid_input(),
        Some(InvalidInput::UnknownMethod(_))
    ));
    assert_eq!("LM".parse::<Method>().unwrap(), Method::Lm);
}

/// A model that is NaN everywhere, or whose Jacobian is NaN and whose values are NaN
/// everywhere but at `p = 1` (so that finite differences cannot mend the Jacobian).
struct Broken {
    nan_values: bool,
}

impl Model for Broken {
    fn n_params(&self) -> usize {
        1
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        for (v, xi) in values.iter_mut().zip(x) {
            *v = if self.nan_values || p[0] != 1.0 {
                f64::NAN
            } else {
                p[0] * xi
            };
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        self.eval(x, p, values);
        jac.fill(f64::NAN);
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

#[test]
fn non_finite_model_is_a_numerical_error_with_a_sample() {
    for method in [Method::Trf, Method::Lm] {
        for (nan_values, point) in [
            (true, DetectionPoint::Residuals),
            (false, DetectionPoint::Jacobian),
        ] {
            // Without recovery: the first failure is the error.
            let err = Fit::curve(&Broken { nan_values }, &X, &Y)
                .p0(&[1.0])
                .method(method)
                .wrapper(NlsqWrapper::builder().enable_recovery(false).build())
                .run()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Numerical);
            match &err {
                OptimizationError::Numerical {
                    detection_point,
                    sample,
                    context,
                } => {
                    assert_eq!(*detection_point, point);
                    assert_eq!(sample.count, 4);
                    assert!(sample.values[0].value.is_nan());
                    assert_eq!(context.get("iteration"), Some("0"));
                    assert_eq!(context.get("point"), Some("1"));
                    assert_eq!(context.get("method"), Some(method.to_string().as_str()));
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
}

#[test]
fn a_non_finite_jacobian_where_the_model_is_smooth_is_taken_by_finite_differences() {
    /// y = b x with a hand-written Jacobian that is NaN everywhere.
    struct NanJacobian;
    impl Model for NanJacobian {
        fn n_params(&self) -> usize {
            1
        }
        fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
            for (v, xi) in values.iter_mut().zip(x) {
                *v = p[0] * xi;
            }
        }
        fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
            self.eval(x, p, values);
            jac.fill(f64::NAN);
        }
        fn jacobian_kind(&self) -> JacobianKind {
            JacobianKind::Exact
        }
    }
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&NanJacobian, &X, &Y, &[1.0], method);
        assert!(fit.converged(), "{method}: {fit}");
        assert!(
            fit.notes[0].contains("finite differences"),
            "{:?}",
            fit.notes
        );
        let sxy: f64 = X.iter().zip(&Y).map(|(x, y)| x * y).sum();
        let sxx: f64 = X.iter().map(|x| x * x).sum();
        assert!((fit.parameters[0] - sxy / sxx).abs() < 1e-9 * (sxy / sxx).abs());
    }
}

#[test]
fn steps_into_non_finite_regions_are_retried_smaller() {
    // y = sqrt(b x): NaN for b < 0. From b = 0.01 the first full Gauss-Newton step toward
    // small data overshoots below zero; the solvers shrink and still converge.
    let x: Vec<f64> = (1..=20).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|x| (0.002 * x).sqrt()).collect();
    let model = ClosureModel::new(1, |x: f64, p: &[f64]| (p[0] * x).sqrt());
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&model, &x, &y, &[1.0], method);
        assert!(
            (fit.parameters[0] - 0.002).abs() < 1e-9,
            "{method}: {}",
            fit.parameters[0]
        );
    }
}

/// A model that declares no parameters or no predictors.
struct Degenerate {
    n_params: usize,
    x_dim: usize,
}

impl Model for Degenerate {
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn x_dim(&self) -> usize {
        self.x_dim
    }
    fn eval(&self, _x: &[f64], _p: &[f64], values: &mut [f64]) {
        values.fill(0.0);
    }
    fn eval_with_jacobian(&self, _x: &[f64], _p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        values.fill(0.0);
        jac.fill(0.0);
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

#[test]
fn models_without_parameters_or_predictors_are_refused() {
    let cases = [
        (
            Degenerate {
                n_params: 0,
                x_dim: 1,
            },
            vec![],
            "model.n_params()",
        ),
        (
            Degenerate {
                n_params: 1,
                x_dim: 0,
            },
            vec![1.0],
            "model.x_dim()",
        ),
    ];
    for (model, p0, name) in cases {
        let err = Fit::curve(&model, &X, &Y).p0(&p0).run().unwrap_err();
        assert!(
            matches!(err.invalid_input(), Some(InvalidInput::InvalidOption { option, .. }) if *option == name),
            "{err}"
        );
    }
}

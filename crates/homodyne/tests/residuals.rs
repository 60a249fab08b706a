//! Residual problems (scipy's `least_squares(fun, x0)`): three problems of Moré, Garbow and
//! Hillstrom (1981) given as their residuals, fitted through [`Fit::residuals`] with the
//! run-time dual-number Jacobian ([`AutoDiffResiduals`]) and with finite differences
//! ([`FiniteDiffResiduals`]), by TRF and LM, from the published starts to the published
//! minima (all with `f* = 0`).

use homodyne::prelude::*;
use homodyne::{InvalidInput, ParameterFlag};

/// MGH 1, Rosenbrock: `r = (10 (p2 - p1^2), 1 - p1)`, start `(-1.2, 1)`, minimum at `(1, 1)`.
struct Rosenbrock;

impl GenericResiduals for Rosenbrock {
    fn n_params(&self) -> usize {
        2
    }
    fn n_residuals(&self) -> usize {
        2
    }
    fn residuals<T: Scalar>(&self, p: &[T], r: &mut [T]) {
        r[0] = (p[1] - p[0] * p[0]) * 10.0;
        r[1] = T::cst(1.0) - p[0];
    }
}

/// MGH 7, Powell's helical valley: `theta = atan2(p2, p1) / (2 pi)`,
/// `r = (10 (p3 - 10 theta), 10 (sqrt(p1^2 + p2^2) - 1), p3)`, start `(-1, 0, 0)`, minimum at
/// `(1, 0, 0)`. `atan2` agrees with MGH's `atan(p2 / p1) / (2 pi) (+ 1/2 for p1 < 0)` on the
/// path and at the minimum, and `hypot` is the radius.
struct HelicalValley;

impl GenericResiduals for HelicalValley {
    fn n_params(&self) -> usize {
        3
    }
    fn n_residuals(&self) -> usize {
        3
    }
    fn residuals<T: Scalar>(&self, p: &[T], r: &mut [T]) {
        let theta = p[1].atan2(p[0]) / (2.0 * std::f64::consts::PI);
        r[0] = (p[2] - theta * 10.0) * 10.0;
        r[1] = (p[0].hypot(p[1]) - 1.0) * 10.0;
        r[2] = p[2];
    }
}

/// MGH 27, Brown almost-linear with `n` parameters and residuals:
/// `r_i = p_i + sum_j p_j - (n + 1)` for `i < n`, `r_n = prod_j p_j - 1`; start `0.5`
/// everywhere; a minimum `f* = 0` at `(1, ..., 1)` (MGH: `(alpha, ..., alpha^(1-n))` with
/// `n alpha^n - (n + 1) alpha^(n-1) + 1 = 0`: `alpha = 1`, and for even `n` a second root
/// just below 1), and the published `f* = 1` where the product vanishes, at
/// `(0, ..., 0, n + 1)` and along the valley `(a, ..., a, n + 1 - n a)` with `a^(n-1)` below
/// rounding. scipy 1.16's `least_squares` from the same start: TRF reaches `f = 0` at
/// `n = 10, 30, 40`; LM reaches `f = 1` at `n = 10` and `f = 0` at 30 and 40.
struct BrownAlmostLinear(usize);

impl GenericResiduals for BrownAlmostLinear {
    fn n_params(&self) -> usize {
        self.0
    }
    fn n_residuals(&self) -> usize {
        self.0
    }
    fn residuals<T: Scalar>(&self, p: &[T], r: &mut [T]) {
        let n = self.0;
        let mut sum = T::cst(0.0);
        let mut product = T::cst(1.0);
        for &v in p {
            sum += v;
            product *= v;
        }
        for i in 0..n - 1 {
            r[i] = p[i] + sum - (n + 1) as f64;
        }
        r[n - 1] = product - 1.0;
    }
}

/// Fits `problem` from `p0` by TRF and LM and checks the published minimum `p_star` with
/// `f* = 0`: a converged fit, cost below `1e-20`, every parameter within `1e-8`.
fn reaches_minimum(problem: &dyn ResidualProblem, p0: &[f64], p_star: &[f64], what: &str) {
    reaches(problem, p0, what, |_, _| (p_star.to_vec(), 0.0));
}

/// Fits `problem` from `p0` by TRF and LM: a converged fit whose parameters are within
/// `1e-8` of `minimum(fitted parameters, method)`, the published minimum `(p*, f*)` the fit
/// is at (a problem may have several), with `f = 2 cost` within `1e-20` of `f*`.
fn reaches(
    problem: &dyn ResidualProblem,
    p0: &[f64],
    what: &str,
    minimum: impl Fn(&[f64], Method) -> (Vec<f64>, f64),
) {
    for method in [Method::Trf, Method::Lm] {
        let fit = Fit::residuals(problem)
            .p0(p0)
            .method(method)
            .run()
            .unwrap_or_else(|e| panic!("{what} {method}: {e}"));
        assert!(fit.converged(), "{what} {method}: {fit}");
        assert_eq!(fit.n_points, problem.n_residuals(), "{what} {method}");
        let (p_star, f_star) = minimum(&fit.parameters, method);
        let f = 2.0 * fit.final_cost;
        assert!(
            (f - f_star).abs() < 1e-20,
            "{what} {method}: f = {f:e} (published {f_star}) at {:?}",
            fit.parameters
        );
        for (k, (p, s)) in fit.parameters.iter().zip(&p_star).enumerate() {
            assert!(
                (p - s).abs() < 1e-8,
                "{what} {method}: p{} = {p}, published {s}",
                k + 1
            );
        }
    }
}

#[test]
fn rosenbrock_reaches_its_minimum() {
    reaches_minimum(
        &AutoDiffResiduals::new(Rosenbrock),
        &[-1.2, 1.0],
        &[1.0, 1.0],
        "Rosenbrock (dual numbers)",
    );
    let by_differences =
        FiniteDiffResiduals::new(2, 2, |p: &[f64], r: &mut [f64]| Rosenbrock.residuals(p, r));
    reaches_minimum(
        &by_differences,
        &[-1.2, 1.0],
        &[1.0, 1.0],
        "Rosenbrock (finite differences)",
    );
}

#[test]
fn helical_valley_reaches_its_minimum_through_atan2() {
    reaches_minimum(
        &AutoDiffResiduals::new(HelicalValley),
        &[-1.0, 0.0, 0.0],
        &[1.0, 0.0, 0.0],
        "helical valley",
    );
}

#[test]
fn brown_almost_linear_reaches_its_minimum_at_any_size() {
    // 10 and 30 parameters: one dual-number evaluation per point; 40: beyond the largest
    // compiled count, the Jacobian is seeded in blocks.
    for n in [10, 30, 40] {
        let what = format!("Brown almost-linear n = {n}");
        let problem = AutoDiffResiduals::new(BrownAlmostLinear(n));
        reaches(&problem, &vec![0.5; n], &what, brown_minimum);
    }
    let by_differences = FiniteDiffResiduals::new(10, 10, |p: &[f64], r: &mut [f64]| {
        BrownAlmostLinear(10).residuals(p, r)
    });
    let what = "Brown almost-linear n = 10 (finite differences)";
    reaches(&by_differences, &[0.5; 10], what, brown_minimum);
}

/// The published minimum of Brown almost-linear the fitted `p` is at: on the valley
/// `f* = 1` when `p1 ... p(n-1)` are equal and their product with `pn` vanishes, else
/// `(alpha, ..., alpha, alpha^(1-n))` with `f* = 0` and `alpha` the root of
/// `n alpha^n - (n + 1) alpha^(n-1) + 1` found by Newton's method from the fit's `p1`
/// (which must be a root: checked).
fn brown_minimum(p: &[f64], method: Method) -> (Vec<f64>, f64) {
    let n = p.len() as i32;
    let product: f64 = p.iter().product();
    if product.abs() < 1e-12 {
        let a = p[0];
        let mut valley = vec![a; p.len()];
        valley[p.len() - 1] = f64::from(n + 1) - f64::from(n - 1) * a - a;
        return (valley, 1.0);
    }
    let poly = |a: f64| f64::from(n) * a.powi(n) - f64::from(n + 1) * a.powi(n - 1) + 1.0;
    let slope =
        |a: f64| f64::from(n * n) * a.powi(n - 1) - f64::from((n + 1) * (n - 1)) * a.powi(n - 2);
    let mut alpha = p[0];
    for _ in 0..50 {
        let step = poly(alpha) / slope(alpha);
        if !step.is_finite() {
            break;
        }
        alpha -= step;
    }
    assert!(
        poly(alpha).abs() < 1e-12,
        "{method}: p1 = {} is near no root alpha of MGH's polynomial",
        p[0]
    );
    let mut minimum = vec![alpha; p.len()];
    minimum[p.len() - 1] = alpha.powi(1 - n);
    (minimum, 0.0)
}

#[test]
fn a_residual_problem_takes_bounds_and_held_parameters() {
    // Rosenbrock with p2 held at 1: the fit of 10 (1 - p1^2), 1 - p1 reaches p1 = 1.
    let problem = AutoDiffResiduals::new(Rosenbrock);
    let fit = Fit::residuals(&problem)
        .p0(&[0.5, 1.0])
        .fix(1, 1.0)
        .bounds(Bounds::new(vec![0.0, -5.0], vec![5.0, 5.0]).unwrap())
        .run()
        .unwrap();
    assert!(fit.converged(), "{fit}");
    assert!((fit.parameters[0] - 1.0).abs() < 1e-10, "{fit}");
    assert_eq!(fit.parameters[1], 1.0);
    assert_eq!(fit.parameter_flags[1], ParameterFlag::Fixed);
}

#[test]
fn a_residual_count_that_disagrees_with_p0_is_refused() {
    let problem = AutoDiffResiduals::new(Rosenbrock);
    let error = Fit::residuals(&problem)
        .p0(&[1.0, 2.0, 3.0])
        .run()
        .unwrap_err();
    assert!(
        matches!(
            error,
            OptimizationError::InvalidInput {
                problem: InvalidInput::WrongParameterCount { .. },
                ..
            }
        ),
        "{error}"
    );
}

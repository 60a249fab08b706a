//! Residual problems of Moré, Garbow and Hillstrom (1981) through the run-time dual-number
//! adapter and the finite-difference adapter: residuals and Jacobians against hand-written
//! ones and against each other.

use std::f64::consts::PI;

use homodyne_core::{
    AutoDiffResiduals, DifferenceScheme, FiniteDiffResiduals, GenericResiduals, JacobianKind,
    ResidualProblem, Scalar,
};

/// Square residual problems of Moré, Garbow and Hillstrom, as many residuals as
/// parameters, named `x1, ..., xn`.
#[derive(Clone, Copy)]
enum Mgh {
    /// Rosenbrock (MGH 1): `r = (10 (x2 - x1^2), 1 - x1)`, minimum 0 at (1, 1).
    Rosenbrock,
    /// Powell's helical valley (MGH 7) with `theta = atan2(x2, x1) / (2 pi)`:
    /// `r = (10 (x3 - 10 theta), 10 (hypot(x1, x2) - 1), x3)`, minimum 0 at (1, 0, 0).
    HelicalValley,
    /// Brown almost-linear (MGH 27) of `n` parameters: `r_i = x_i + sum_j x_j - (n + 1)`
    /// for `i < n`, `r_n = prod_j x_j - 1`; minimum 0 at (1, ..., 1).
    BrownAlmostLinear(usize),
}

impl GenericResiduals for Mgh {
    fn n_params(&self) -> usize {
        match *self {
            Self::Rosenbrock => 2,
            Self::HelicalValley => 3,
            Self::BrownAlmostLinear(n) => n,
        }
    }
    fn n_residuals(&self) -> usize {
        self.n_params()
    }
    fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]) {
        match *self {
            Self::Rosenbrock => {
                out[0] = (p[1] - p[0] * p[0]) * 10.0;
                out[1] = T::cst(1.0) - p[0];
            }
            Self::HelicalValley => {
                let theta = p[1].atan2(p[0]) / (2.0 * PI);
                out[0] = (p[2] - theta * 10.0) * 10.0;
                out[1] = (p[0].hypot(p[1]) - 1.0) * 10.0;
                out[2] = p[2];
            }
            Self::BrownAlmostLinear(n) => {
                let sum = p.iter().fold(T::cst(0.0), |acc, &x| acc + x);
                for i in 0..n - 1 {
                    out[i] = p[i] + sum - (n + 1) as f64;
                }
                out[n - 1] = p.iter().fold(T::cst(1.0), |acc, &x| acc * x) - 1.0;
            }
        }
    }
    fn param_names(&self) -> Vec<String> {
        (1..=self.n_params()).map(|k| format!("x{k}")).collect()
    }
}

fn rosenbrock_jacobian(p: &[f64]) -> Vec<f64> {
    vec![-20.0 * p[0], 10.0, -1.0, 0.0]
}

fn helical_jacobian(p: &[f64]) -> Vec<f64> {
    let (x1, x2) = (p[0], p[1]);
    let r2 = x1 * x1 + x2 * x2;
    let r = r2.sqrt();
    // d theta = (x1 dx2 - x2 dx1) / (2 pi r^2)
    let (dt1, dt2) = (-x2 / (2.0 * PI * r2), x1 / (2.0 * PI * r2));
    vec![
        -100.0 * dt1,
        -100.0 * dt2,
        10.0,
        10.0 * x1 / r,
        10.0 * x2 / r,
        0.0,
        0.0,
        0.0,
        1.0,
    ]
}

fn brown_jacobian(p: &[f64]) -> Vec<f64> {
    let n = p.len();
    let mut jac = vec![0.0; n * n];
    for i in 0..n - 1 {
        for j in 0..n {
            jac[i * n + j] = if i == j { 2.0 } else { 1.0 };
        }
    }
    for k in 0..n {
        jac[(n - 1) * n + k] = (0..n).filter(|&j| j != k).map(|j| p[j]).product();
    }
    jac
}

/// The residuals and Jacobian of `problem` at `p`.
fn linearize(problem: &dyn ResidualProblem, p: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (m, n) = (problem.n_residuals(), problem.n_params());
    let (mut r, mut jac) = (vec![0.0; m], vec![f64::NAN; m * n]);
    problem.residuals_with_jacobian(p, &mut r, &mut jac);
    let mut plain = vec![0.0; m];
    problem.residuals(p, &mut plain);
    assert_eq!(r, plain, "the residuals with and without the Jacobian");
    (r, jac)
}

/// `got` within `rel` of `want`, entry by entry (relative to the larger of 1 and `|want|`).
fn assert_close(got: &[f64], want: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rel * w.abs().max(1.0),
            "{what}[{k}]: {g} vs {w}"
        );
    }
}

/// Checks the dual and (where `smooth`: no jump within a step of `p`) the
/// finite-difference Jacobians of a problem against its hand-written one at `p`, and its
/// residuals against `f64` evaluations.
fn check<G: GenericResiduals + Copy>(
    problem: G,
    hand: fn(&[f64]) -> Vec<f64>,
    p: &[f64],
    smooth: bool,
    what: &str,
) {
    let dual = AutoDiffResiduals::new(problem);
    let closure = move |p: &[f64], r: &mut [f64]| {
        r.fill(0.0);
        problem.residuals::<f64>(p, r);
    };
    // Parameters of size 1 (the default floor, 1e-6, would take steps of 6e-12 at x1 = 0:
    // rounding of r / h, 1e-5 relative).
    let sizes = vec![1.0; problem.n_params()];
    let central = FiniteDiffResiduals::new(problem.n_params(), problem.n_residuals(), closure)
        .with_typical_sizes(sizes.clone());
    let forward = FiniteDiffResiduals::new(problem.n_params(), problem.n_residuals(), closure)
        .with_scheme(DifferenceScheme::Forward)
        .with_typical_sizes(sizes);
    assert_eq!(dual.jacobian_kind(), JacobianKind::AutoDiff);
    assert_eq!(central.jacobian_kind(), JacobianKind::FiniteDifference);

    let (r_dual, j_dual) = linearize(&dual, p);
    let (r_fd, j_central) = linearize(&central, p);
    let (_, j_forward) = linearize(&forward, p);
    // The residuals are the f64 evaluation's: the dual values are computed by the same
    // operations.
    assert_eq!(r_dual, r_fd, "{what}: residuals");
    let want = hand(p);
    assert_close(&j_dual, &want, 1e-14, &format!("{what}: dual Jacobian"));
    if smooth {
        assert_close(
            &j_central,
            &want,
            1e-8,
            &format!("{what}: central differences"),
        );
        assert_close(
            &j_forward,
            &want,
            2e-6,
            &format!("{what}: forward differences"),
        );
    }
}

#[test]
fn rosenbrock_jacobians_match_the_hand_written_one() {
    for p in [[-1.2, 1.0], [1.0, 1.0], [0.3, -2.5], [10.0, 50.0]] {
        let what = format!("Rosenbrock at {p:?}");
        check(Mgh::Rosenbrock, rosenbrock_jacobian, &p, true, &what);
    }
    let mut r = [f64::NAN; 2];
    AutoDiffResiduals::new(Mgh::Rosenbrock).residuals(&[1.0, 1.0], &mut r);
    assert_eq!(r, [0.0, 0.0], "the minimum");
}

#[test]
fn helical_valley_jacobians_match_the_hand_written_one() {
    // The start (-1, 0, 0) lies on atan2's branch cut: theta jumps by 1 across x2 = 0, so a
    // difference quotient in x2 there is off by 100 / h (the dual numbers differentiate the
    // branch taken, continuous across the cut). (0, 1.5, .) lies on the axis x1 = 0, where
    // num-dual's own atan2 (atan(x2 / x1)) has no derivative.
    let cut = [-1.0, 0.0, 0.0];
    check(
        Mgh::HelicalValley,
        helical_jacobian,
        &cut,
        false,
        "helical valley at the start",
    );
    let central = FiniteDiffResiduals::new(3, 3, |p: &[f64], r: &mut [f64]| {
        Mgh::HelicalValley.residuals::<f64>(p, r)
    });
    let (_, jac) = linearize(&central, &cut);
    assert!(
        jac[1].abs() > 1e10,
        "the jump seen by central differences: {}",
        jac[1]
    );
    for p in [
        [1.0, 0.0, 0.0],
        [0.0, 1.5, 0.3],
        [0.7, -0.4, 2.0],
        [-0.2, -0.9, -1.0],
    ] {
        let what = format!("helical valley at {p:?}");
        check(Mgh::HelicalValley, helical_jacobian, &p, true, &what);
    }
    let mut r = [f64::NAN; 3];
    AutoDiffResiduals::new(Mgh::HelicalValley).residuals(&[1.0, 0.0, 0.0], &mut r);
    assert_eq!(r, [0.0, 0.0, 0.0], "the minimum");
    // The start: theta = 1/2, r = (-50, 0, 0), cost 1250 (MGH's 2500 is sum r^2).
    AutoDiffResiduals::new(Mgh::HelicalValley).residuals(&[-1.0, 0.0, 0.0], &mut r);
    assert_eq!(r, [-50.0, 0.0, 0.0]);
}

#[test]
fn brown_almost_linear_jacobians_match_the_hand_written_one() {
    // n = 10 and 30 in one evaluation, n = 40 in blocks of 32 parameters.
    for n in [10, 30, 40] {
        let problem = Mgh::BrownAlmostLinear(n);
        let start = vec![0.5; n];
        let varied: Vec<f64> = (0..n).map(|k| 0.8 + 0.01 * k as f64).collect();
        for p in [&start, &varied] {
            check(problem, brown_jacobian, p, true, &format!("Brown n = {n}"));
        }
        let mut r = vec![f64::NAN; n];
        AutoDiffResiduals::new(problem).residuals(&vec![1.0; n], &mut r);
        assert!(r.iter().all(|&r| r == 0.0), "the minimum, n = {n}");
        assert_eq!(
            AutoDiffResiduals::new(problem).param_names()[n - 1],
            format!("x{n}")
        );
    }
}

#[test]
fn finite_differences_fall_back_to_one_side_at_the_edge_of_the_domain() {
    // r = sqrt(p): undefined below 0; at p = 0 the central difference falls back on the
    // forward one, finite (a slope of 1 / sqrt(h)).
    let problem = FiniteDiffResiduals::new(1, 2, |p: &[f64], r: &mut [f64]| {
        r[0] = p[0].sqrt();
        r[1] = p[0];
    });
    let (r, jac) = linearize(&problem, &[0.0]);
    assert_eq!(r, [0.0, 0.0]);
    assert!(jac[0].is_finite() && jac[0] > 1e3, "{}", jac[0]);
    assert_eq!(jac[1], 1.0);
    // Typical sizes set the step of a parameter at 0.
    let tiny = FiniteDiffResiduals::new(1, 1, |p: &[f64], r: &mut [f64]| r[0] = (p[0] * 1e8).exp())
        .with_typical_sizes(vec![1e-8]);
    let (_, jac) = linearize(&tiny, &[0.0]);
    assert!((jac[0] - 1e8).abs() < 1e-2, "{}", jac[0]);
}

//! The chain rules of [`Scalar`] against finite differences, and the powers at a zero base.

use super::Scalar;
use crate::{AutoDiff, GenericModel, Model};
use num_dual::{DualNum, DualSVec64};

/// Central difference of a scalar function, for checking the chain rules.
fn numeric(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1e-3);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[test]
fn elementary_derivatives_match_finite_differences() {
    type D = DualSVec64<1>;
    /// A name, the dual version of a function and its f64 version.
    type Case = (&'static str, fn(D) -> D, fn(f64) -> f64);
    let cases: Vec<Case> = vec![
        ("exp", |d| Scalar::exp(d), f64::exp),
        ("ln", |d| Scalar::ln(d), f64::ln),
        ("sqrt", |d| Scalar::sqrt(d), f64::sqrt),
        ("powf", |d| Scalar::powf(d, 2.7), |x| x.powf(2.7)),
        ("powi", |d| Scalar::powi(d, -3), |x| x.powi(-3)),
        ("sin", |d| Scalar::sin(d), f64::sin),
        ("cos", |d| Scalar::cos(d), f64::cos),
        ("tan", |d| Scalar::tan(d), f64::tan),
        ("atan", |d| Scalar::atan(d), f64::atan),
        ("tanh", |d| Scalar::tanh(d), f64::tanh),
        ("recip", |d| Scalar::recip(d), |x| 1.0 / x),
        ("pow self", |d| Scalar::pow(d, d), |x| x.powf(x)),
        (
            "quotient",
            |d| (d * d + 1.0) / (d - 3.0),
            |x| (x * x + 1.0) / (x - 3.0),
        ),
    ];
    for x in [0.3, 1.7] {
        for (name, fd, f) in &cases {
            let got = fd(<D as Scalar>::cst(x).derivative(0));
            let grad = got.eps.0.expect("a derivative")[0];
            assert!(
                (got.re - f(x)).abs() < 1e-14 * f(x).abs().max(1.0),
                "{name}"
            );
            let want = numeric(f, x);
            assert!(
                (grad - want).abs() < 1e-7 * want.abs().max(1.0),
                "{name} at {x}: {grad} vs {want}"
            );
        }
    }
}

/// The one-time XPCS correlation `beta1 exp(-2 (gamma t)^alpha) + g_inf`, with the
/// exponent a parameter (`pow`) or, when `alpha` is given, a constant (`powf`).
struct Stretched {
    alpha: Option<f64>,
}

impl GenericModel for Stretched {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let u = p[1] * x[0];
        let power = match self.alpha {
            Some(alpha) => u.powf(alpha),
            None => u.pow(p[2]),
        };
        p[0] * (power * -2.0).exp() + p[3]
    }
}

/// The AutoDiff Jacobian row of `model` at `t` and its value.
fn row(model: &AutoDiff<Stretched, 4>, t: f64, p: &[f64; 4]) -> (f64, [f64; 4]) {
    let (mut y, mut jac) = ([0.0], [0.0; 4]);
    model.eval_with_jacobian(&[t], p, &mut y, &mut jac);
    (y[0], jac)
}

#[test]
fn stretched_exponential_at_lag_zero_has_zero_partials_in_gamma_and_alpha() {
    for alpha in [0.35, 0.999, 1.0, 1.6, 2.5] {
        for constant in [false, true] {
            let model = AutoDiff::<_, 4>::new(Stretched {
                alpha: constant.then_some(alpha),
            })
            .unwrap();
            let p = [0.3, 2.7e-3, alpha, 1.01];
            let (y, jac) = row(&model, 0.0, &p);
            assert_eq!(y, 0.3 + 1.01, "alpha {alpha} constant {constant}");
            // d/dbeta1 = exp(0) = 1, d/dgamma = d/dalpha = 0, d/dg_inf = 1: exactly.
            assert_eq!(
                jac,
                [1.0, 0.0, 0.0, 1.0],
                "alpha {alpha} constant {constant}"
            );
            // A negative gamma gives u = -0: the same limits.
            let (_, jac) = row(&model, 0.0, &[0.3, -2.7e-3, alpha, 1.01]);
            assert_eq!(jac, [1.0, 0.0, 0.0, 1.0], "gamma < 0, alpha {alpha}");
        }
    }
}

#[test]
fn stretched_exponential_at_positive_lags_matches_finite_differences() {
    for alpha in [0.35, 1.6] {
        for constant in [false, true] {
            let model = AutoDiff::<_, 4>::new(Stretched {
                alpha: constant.then_some(alpha),
            })
            .unwrap();
            let p = [0.3, 2.7e-3, alpha, 1.01];
            for t in [1e-6, 0.5, 37.0, 900.0] {
                let (y, jac) = row(&model, t, &p);
                let f = |p: &[f64]| model.inner().eval::<f64>(&[t], p);
                // num-dual's powf (u^(n-3) u u u) may differ from f64's in the last bit.
                assert!((y - f(&p)).abs() <= 4e-16 * y.abs(), "{y} vs {}", f(&p));
                if constant {
                    assert_eq!(jac[2], 0.0, "a constant alpha");
                }
                let free: &[usize] = if constant { &[0, 1, 3] } else { &[0, 1, 2, 3] };
                for &k in free {
                    let h = 1e-6 * p[k].abs();
                    let (mut pp, mut pm) = (p, p);
                    pp[k] += h;
                    pm[k] -= h;
                    let fd = (f(&pp) - f(&pm)) / (2.0 * h);
                    assert!(
                        // Rounding of f over 2h: about 1e-16 |f| / h.
                        (jac[k] - fd).abs() <= 1e-7 * jac[k].abs() + 1e-9 * y.abs() / h,
                        "alpha {alpha} constant {constant} t {t} d/dp{k}: {} vs {fd}",
                        jac[k]
                    );
                }
            }
        }
    }
}

/// Away from 0 the powers are num-dual's (and `pow` is `exp(v ln u)`), bit for bit.
#[test]
fn powers_away_from_zero_are_unchanged() {
    type D = DualSVec64<2>;
    for u in [1e-320, 1e-300, 0.3, 1.7, 2.5e7, -0.8] {
        // u, with derivatives 3 and 0 (the second seed's direction does not move u).
        let d = D::from_re(u)
            + D::from_re(0.0).derivative(0) * 3.0
            + D::from_re(0.0).derivative(1) * 0.0;
        assert_eq!(d.re, u);
        for n in [
            -2.5,
            -1.0,
            0.0,
            1e-3,
            0.3,
            0.5,
            1.0,
            1.5,
            2.0,
            2.0 + 4e-16,
            2.7,
            3.0,
            3.5,
        ] {
            let (got, want) = (Scalar::powf(d, n), DualNum::powf(&d, n));
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "powf({u}, {n})");
        }
        for n in [-3, -1, 0, 1, 2, 5] {
            let (got, want) = (Scalar::powi(d, n), DualNum::powi(&d, n));
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "powi({u}, {n})");
        }
        for v in [-0.5, 0.0, 0.3, 0.7, 1.0, 1.5, 3.0] {
            let e = D::from_re(v).derivative(1);
            let want = (DualNum::ln(&d) * e).exp();
            let got = Scalar::pow(d, e);
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "pow({u}, {v})");
        }
        let want = DualNum::sqrt(&d);
        assert_eq!(
            format!("{:?}", Scalar::sqrt(d)),
            format!("{want:?}"),
            "sqrt({u})"
        );
    }
}

/// At `u = 0`: the values are f64's, the limits where they exist, non-finite otherwise.
#[test]
fn powers_at_a_zero_base() {
    type D = DualSVec64<2>;
    let grad = |d: D| d.eps.0.map(|g| [g[0], g[1]]);
    // u = 0 * p0 (du = 0) and w = p1 - 0.5 at p1 = 0.5 (w = 0, dw = 1).
    let still = D::from_re(0.0).derivative(0) * 0.0;
    let moving = D::from_re(0.5).derivative(1) - 0.5;
    assert_eq!(still.re, 0.0);
    assert_eq!(moving.re, 0.0);
    for n in [0.3, 0.5, 1.0, 1.5, 2.0, 2.7, 3.0, 4.5] {
        assert_eq!(Scalar::powf(still, n).re, 0.0, "0^{n}");
        assert_eq!(grad(Scalar::powf(still, n)), Some([0.0, 0.0]), "0^{n}");
        // A moving base: the one-sided slope n 0^(n-1): inf, 1 or 0.
        let slope = grad(Scalar::powf(moving, n)).unwrap()[1];
        let want = if n < 1.0 {
            f64::INFINITY
        } else if n == 1.0 {
            1.0
        } else {
            0.0
        };
        assert_eq!(slope, want, "d(w^{n})");
        // A variable exponent: 0 in the exponent's direction as well.
        let e = D::from_re(n).derivative(1);
        let p = Scalar::pow(still, e);
        assert_eq!((p.re, grad(p)), (0.0, Some([0.0, 0.0])), "0^v, v = {n}");
    }
    assert_eq!(grad(Scalar::sqrt(still)), Some([0.0, 0.0]));
    assert_eq!(grad(Scalar::sqrt(moving)), Some([0.0, f64::INFINITY]));
    assert_eq!(Scalar::powi(still, 3).re, 0.0);
    assert_eq!(grad(Scalar::powi(still, 3)), Some([0.0, 0.0]));
    // u^0 = 1 for every u.
    assert_eq!(Scalar::powf(still, 0.0).re, 1.0);
    assert_eq!(
        grad(Scalar::powf(still, 0.0)).unwrap_or([0.0; 2]),
        [0.0, 0.0]
    );
    // Negative powers of 0 are poles: no finite value or derivative.
    for n in [-0.5, -1.0, -2.7] {
        let p = Scalar::powf(still, n);
        assert!(!p.re.is_finite(), "0^{n}");
        assert!(grad(p).unwrap().iter().all(|g| !g.is_finite()), "0^{n}");
        let p = Scalar::pow(still, D::from_re(n).derivative(1));
        assert_eq!(p.re, f64::INFINITY, "0^v, v = {n}");
        assert!(
            grad(p).unwrap().iter().all(|g| !g.is_finite()),
            "0^v, v = {n}"
        );
    }
    for n in [-1, -2] {
        let p = Scalar::powi(still, n);
        assert!(!p.re.is_finite(), "0^{n}");
        assert!(grad(p).unwrap().iter().all(|g| !g.is_finite()), "0^{n}");
    }
    // 0^v at v = 0 (1 by convention) jumps: no derivative in v.
    let p = Scalar::pow(still, D::from_re(0.0).derivative(1));
    assert_eq!(p.re, 1.0);
    assert!(grad(p).unwrap().iter().all(|g| g.is_nan()));
    // The f64 versions are untouched.
    assert_eq!(Scalar::powf(0.0, 0.5), 0.0);
    assert_eq!(Scalar::pow(0.0, -0.5), f64::INFINITY);
    assert_eq!(Scalar::powi(0.0, -1), f64::INFINITY);
}

/// A unary function's name, dual and f64 versions, and points inside its domain.
type Unary = (&'static str, fn(D1) -> D1, fn(f64) -> f64, &'static [f64]);
type D1 = DualSVec64<1>;
type D2 = DualSVec64<2>;

/// The functions added for models beyond exp/ln/powers: their chain rules against central
/// differences, and their values against std's, bit for bit.
#[test]
fn more_elementary_derivatives_match_finite_differences() {
    let cases: Vec<Unary> = vec![
        ("exp2", |d| Scalar::exp2(d), f64::exp2, &[-1.3, 0.3, 4.1]),
        (
            "exp_m1",
            |d| Scalar::exp_m1(d),
            f64::exp_m1,
            &[-1e-3, 0.3, 2.0],
        ),
        (
            "log10",
            |d| Scalar::log10(d),
            f64::log10,
            &[1e-3, 0.3, 170.0],
        ),
        ("log2", |d| Scalar::log2(d), f64::log2, &[1e-3, 0.3, 170.0]),
        (
            "ln_1p",
            |d| Scalar::ln_1p(d),
            f64::ln_1p,
            &[-0.5, 1e-4, 3.0],
        ),
        ("cbrt", |d| Scalar::cbrt(d), f64::cbrt, &[-8.0, 0.3, 27.5]),
        ("asin", |d| Scalar::asin(d), f64::asin, &[-0.9, 0.1, 0.7]),
        ("acos", |d| Scalar::acos(d), f64::acos, &[-0.9, 0.1, 0.7]),
        ("sinh", |d| Scalar::sinh(d), f64::sinh, &[-2.0, 0.3, 5.0]),
        ("cosh", |d| Scalar::cosh(d), f64::cosh, &[-2.0, 0.3, 5.0]),
        (
            "asinh",
            |d| Scalar::asinh(d),
            f64::asinh,
            &[-2.0, 0.3, 50.0],
        ),
        ("acosh", |d| Scalar::acosh(d), f64::acosh, &[1.2, 3.0, 50.0]),
        ("atanh", |d| Scalar::atanh(d), f64::atanh, &[-0.9, 0.1, 0.7]),
        ("abs", |d| Scalar::abs(d), f64::abs, &[-2.0, 0.3]),
    ];
    for (name, fd, f, points) in &cases {
        for &x in *points {
            let got = fd(<D1 as Scalar>::cst(x).derivative(0));
            assert_eq!(got.re.to_bits(), f(x).to_bits(), "{name}({x}): value");
            let grad = got.eps.0.expect("a derivative")[0];
            let want = numeric(f, x);
            assert!(
                (grad - want).abs() < 1e-7 * want.abs().max(1.0),
                "{name} at {x}: {grad} vs {want}"
            );
        }
    }
}

/// Central difference with a step relative to `x` (scales down to 1e-200).
fn relative(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * if x == 0.0 { 1e-3 } else { x.abs() };
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// `u` seeded in the first direction and `v` in the second.
fn pair(u: f64, v: f64) -> (D2, D2) {
    (D2::from_re(u).derivative(0), D2::from_re(v).derivative(1))
}

/// The gradient of a two-argument dual result.
fn gradient(d: D2) -> [f64; 2] {
    let g = d.eps.0.expect("a derivative");
    [g[0], g[1]]
}

#[test]
fn two_argument_functions_match_finite_differences() {
    /// A name, the dual and f64 versions, and points `(u, v)` where they are smooth.
    type Binary = (
        &'static str,
        fn(D2, D2) -> D2,
        fn(f64, f64) -> f64,
        &'static [(f64, f64)],
    );
    let quadrants: &[(f64, f64)] = &[
        (1.3, 0.4),
        (-0.7, 2.0),
        (-1.5, -0.2),
        (0.6, -3.0),
        // On the axis v = 0 num-dual's atan(u / v) has no derivative (atan2's branch cut
        // is the negative v axis: (0, -2) is left out).
        (1.3, 0.0),
        (-2.0, 0.0),
        (0.0, 2.0),
        (1e-200, 3e-200),
        (4e200, -1e200),
    ];
    let cases: Vec<Binary> = vec![
        ("atan2", |u, v| u.atan2(v), f64::atan2, quadrants),
        ("hypot", |u, v| u.hypot(v), f64::hypot, quadrants),
        ("min", |u, v| u.min(v), f64::min, &[(1.3, 0.4), (-0.7, 2.0)]),
        ("max", |u, v| u.max(v), f64::max, &[(1.3, 0.4), (-0.7, 2.0)]),
        (
            "copysign",
            |u, v| u.copysign(v),
            f64::copysign,
            &[(1.3, 0.4), (1.3, -0.4), (-0.7, 2.0), (-0.7, -2.0)],
        ),
        (
            "pow",
            |u, v| u.pow(v),
            f64::powf,
            &[(1.3, 0.4), (0.2, 2.5), (7.0, -1.5)],
        ),
    ];
    for (name, fd, f, points) in &cases {
        for &(u, v) in *points {
            let (du, dv) = pair(u, v);
            let got = fd(du, dv);
            if *name != "pow" {
                assert_eq!(got.re.to_bits(), f(u, v).to_bits(), "{name}({u}, {v})");
            }
            let want = [relative(|u| f(u, v), u), relative(|v| f(u, v), v)];
            for (k, (g, w)) in gradient(got).into_iter().zip(want).enumerate() {
                assert!(
                    (g - w).abs() < 1e-7 * w.abs().max(g.abs()) + 1e-9 * w.abs().max(1.0),
                    "{name}({u}, {v}) d{k}: {g} vs {w}"
                );
            }
        }
    }
    // A hand-written check of the vertical axis: d atan2(v, 0) = -du / v.
    let (v, u) = pair(2.0, 0.0);
    assert_eq!(gradient(v.atan2(u)), [0.0, -0.5]);
}

#[test]
fn the_f64_versions_are_std_bit_for_bit() {
    let xs = [
        -2.5,
        -0.5,
        -0.0,
        0.0,
        1e-300,
        0.3,
        0.9,
        1.5,
        7.0,
        1e300,
        f64::NAN,
    ];
    for &x in &xs {
        let unary: [(&str, f64, f64); 22] = [
            ("exp", Scalar::exp(x), x.exp()),
            ("exp2", Scalar::exp2(x), x.exp2()),
            ("exp_m1", Scalar::exp_m1(x), x.exp_m1()),
            ("ln", Scalar::ln(x), x.ln()),
            ("log10", Scalar::log10(x), x.log10()),
            ("log2", Scalar::log2(x), x.log2()),
            ("ln_1p", Scalar::ln_1p(x), x.ln_1p()),
            ("sqrt", Scalar::sqrt(x), x.sqrt()),
            ("cbrt", Scalar::cbrt(x), x.cbrt()),
            ("sin", Scalar::sin(x), x.sin()),
            ("cos", Scalar::cos(x), x.cos()),
            ("tan", Scalar::tan(x), x.tan()),
            ("asin", Scalar::asin(x), x.asin()),
            ("acos", Scalar::acos(x), x.acos()),
            ("atan", Scalar::atan(x), x.atan()),
            ("sinh", Scalar::sinh(x), x.sinh()),
            ("cosh", Scalar::cosh(x), x.cosh()),
            ("tanh", Scalar::tanh(x), x.tanh()),
            ("asinh", Scalar::asinh(x), x.asinh()),
            ("acosh", Scalar::acosh(x), x.acosh()),
            ("atanh", Scalar::atanh(x), x.atanh()),
            ("signum", Scalar::signum(x), x.signum()),
        ];
        for (name, got, want) in unary {
            assert_eq!(got.to_bits(), want.to_bits(), "{name}({x})");
        }
        for &y in &xs {
            let binary: [(&str, f64, f64); 6] = [
                ("atan2", Scalar::atan2(x, y), x.atan2(y)),
                ("hypot", Scalar::hypot(x, y), x.hypot(y)),
                ("copysign", Scalar::copysign(x, y), x.copysign(y)),
                ("min", Scalar::min(x, y), x.min(y)),
                ("max", Scalar::max(x, y), x.max(y)),
                ("pow", Scalar::pow(x, y), x.powf(y)),
            ];
            for (name, got, want) in binary {
                assert_eq!(got.to_bits(), want.to_bits(), "{name}({x}, {y})");
            }
            // The dual values of the two-argument functions are f64's as well.
            let (du, dv) = pair(x, y);
            for (name, got, want) in [
                ("atan2", du.atan2(dv).re, x.atan2(y)),
                ("hypot", du.hypot(dv).re, x.hypot(y)),
                ("copysign", du.copysign(dv).re, x.copysign(y)),
                ("min", du.min(dv).re, x.min(y)),
                ("max", du.max(dv).re, x.max(y)),
            ] {
                assert_eq!(got.to_bits(), want.to_bits(), "dual {name}({x}, {y})");
            }
        }
    }
}

/// The kinks: the derivative of the branch chosen, as documented.
#[test]
fn piecewise_functions_take_the_derivative_of_the_branch_chosen() {
    let (u, v) = pair(1.0, 1.0);
    // A tie keeps self.
    assert_eq!(gradient(u.min(v)), [1.0, 0.0]);
    assert_eq!(gradient(v.max(u)), [0.0, 1.0]);
    // NaN loses, as in f64::min and f64::max.
    let (nan, w) = pair(f64::NAN, 2.0);
    assert_eq!((nan.min(w).re, gradient(nan.min(w))), (2.0, [0.0, 1.0]));
    assert_eq!((w.max(nan).re, gradient(w.max(nan))), (2.0, [0.0, 1.0]));
    // abs and copysign at the zeros: the sign bit decides.
    let (pz, nz) = pair(0.0, -0.0);
    assert_eq!(gradient(Scalar::abs(pz)), [1.0, 0.0]);
    assert_eq!(gradient(Scalar::abs(nz)), [0.0, -1.0]);
    assert_eq!(gradient(pz.copysign(nz)), [-1.0, 0.0]);
    let (a, s) = pair(-3.0, 0.5);
    assert_eq!(
        (a.copysign(s).re, gradient(a.copysign(s))),
        (3.0, [-1.0, 0.0])
    );
    // signum is a constant; hypot at the origin takes the zero subgradient.
    assert_eq!(Scalar::signum(a).re, -1.0);
    assert!(Scalar::signum(a).eps.0.is_none());
    let h = pz.hypot(nz);
    assert_eq!((h.re, gradient(h)), (0.0, [0.0, 0.0]));
    // atan2 has no derivative at the origin.
    assert!(gradient(pz.atan2(nz)).iter().all(|g| g.is_nan()));
}

/// Comparisons look at the value: a model branches as its f64 version does.
#[test]
fn comparisons_look_at_the_value_only() {
    fn clipped<T: Scalar>(u: T, floor: T) -> T {
        if u < floor { floor } else { u }
    }
    let (u, floor) = pair(0.3, 0.5);
    assert!(u < floor && u < 0.5 && u > 0.0 && u == 0.3);
    // Same value, other derivatives: equal.
    assert!(D2::from_re(0.3).derivative(1) == u);
    let c = clipped(u, floor);
    assert_eq!((c.re, gradient(c)), (0.5, [0.0, 1.0]));
    let c = clipped(u * 3.0, floor);
    assert_eq!(
        (c.re.to_bits(), gradient(c)),
        ((0.3f64 * 3.0).to_bits(), [3.0, 0.0])
    );
    assert_eq!(clipped(0.3, 0.5), 0.5);
}

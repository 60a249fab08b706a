//! The [`Scalar`] trait models are written against, for `f64` and for forward-mode dual
//! numbers.
//!
//! A dual number `a + sum_k b_k eps_k` with `eps_j eps_k = 0` carries a value and its
//! gradient with respect to `N` seeds. Evaluating `f` on `p_k + eps_k` yields
//! `f(p) + sum_k (df/dp_k) eps_k`: the whole Jacobian row in one evaluation, exact to
//! rounding. Each elementary function applies the chain rule `f(a + b eps) = f(a) + f'(a) b eps`.
//!
//! The dual numbers are num-dual's fixed-size `DualSVec64<N>` (the gradient is a stack
//! vector). A const-generic dual type of our own was measured against it on a 7-parameter
//! model (`cargo xtask bench-dual`): 30.3 ns a point against 30.8 ns, no measurable gain, so
//! the maintained crate is used. What matters more is that the model's `eval` is inlined
//! into [`AutoDiff`](crate::AutoDiff)'s loop: without an `#[inline]` hint the same model took
//! 46 ns a point.
//!
//! # Powers at a zero base
//!
//! The chain rule of `u^v` is `d(u^v) = v u^(v-1) du + u^v ln(u) dv`. At `u = 0` it
//! computes `0 * ln 0 = 0 * (-inf)` and, for `0 < v < 1`, `inf * du`, both NaN when `du = 0`,
//! although the function has a derivative there: a stretched exponential
//! `exp(-(gamma t)^alpha)` at the lag `t = 0` has `u = gamma t = 0` for every `gamma`, so
//! `u^alpha = 0` for every `gamma` and every `alpha > 0`, and each partial derivative is 0.
//! [`Scalar::pow`], [`Scalar::powf`] and [`Scalar::sqrt`] of the dual numbers therefore
//! take, at `u = 0` (`+0` or `-0`) only, the limits that are mathematically right
//! ([`Scalar::powi`], num-dual's `u^(n-3) u u u`, is exact at 0 for `n >= 0` already):
//!
//! - in `v`, for `v > 0`: `u^v ln u -> 0` as `u -> 0+` (and `0^v = 0` is constant for all
//!   `v > 0`, so the partial is exactly 0);
//! - in `u`, for `v > 0`: the term `v u^(v-1) du` is 0 where `du = 0` (`u` does not move
//!   with that parameter, so neither does `u^v`), and `v 0^(v-1) du` otherwise: 0 for `v > 1`,
//!   `du` for `v = 1`, `+-inf` for `0 < v < 1` (the slope of `u^v` at `0+` is infinite). `sqrt`
//!   is the case `v = 1/2`;
//! - `v = 0` with a constant exponent: `u^0 = 1` for every `u`, derivative 0 (num-dual's);
//! - `v < 0` (a pole), or `v = 0` with a variable exponent (`0^v` jumps from 0 to infinity
//!   there): no limit, the derivative stays non-finite (NaN).
//!
//! Elsewhere (`u != 0`) every value and derivative is num-dual's, bit for bit: the limits
//! are selected on top of num-dual's result, without a branch (1-3% of the time of `pow`,
//! `powf` or `sqrt` on a stretched exponential's Jacobian). num-dual's `powf` at `u = 0`
//! computes the value as `u^(n-3) u u u`, NaN (`inf * 0`) for `0 < n < 3` other than 1 and 2;
//! f64's value 0 is returned instead. At a pole (`powf`, `powi` with `n < 0`) num-dual's NaN
//! is left: non-finite, as f64's `inf`.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use num_dual::{DualNum, DualSVec64};

/// The arithmetic a [`GenericModel`](crate::GenericModel) may use: implemented by `f64` and
/// by num-dual's `DualSVec64<N>`. Mixed operations with `f64` constants are available on the right-hand side
/// (`x * 2.0`); for a constant on the left write `T::cst(2.0) * x`.
pub trait Scalar:
    Copy
    + Send
    + Sync
    + std::fmt::Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// A constant (zero derivative).
    fn cst(value: f64) -> Self;
    /// The real (value) part.
    fn re(&self) -> f64;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `self^n` for a constant real exponent.
    fn powf(self, n: f64) -> Self;
    /// `self^n` for a constant integer exponent.
    fn powi(self, n: i32) -> Self;
    /// `self^e` for a variable exponent (`self > 0`; at `self = 0` with `e > 0` the dual
    /// numbers take the limits of the partials, 0 in `e`: see the module documentation).
    fn pow(self, e: Self) -> Self {
        (self.ln() * e).exp()
    }
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self {
        self.sin() / self.cos()
    }
    /// Arctangent.
    fn atan(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Absolute value (derivative `sign(self)`, 0 at 0).
    fn abs(self) -> Self;
    /// `1 / self`.
    fn recip(self) -> Self {
        Self::cst(1.0) / self
    }
}

impl Scalar for f64 {
    fn cst(value: f64) -> Self {
        value
    }
    fn re(&self) -> f64 {
        *self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn powf(self, n: f64) -> Self {
        f64::powf(self, n)
    }
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    fn pow(self, e: Self) -> Self {
        f64::powf(self, e)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn tan(self) -> Self {
        f64::tan(self)
    }
    fn atan(self) -> Self {
        f64::atan(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn recip(self) -> Self {
        1.0 / self
    }
}

impl<const N: usize> Scalar for DualSVec64<N> {
    #[inline(always)]
    fn cst(value: f64) -> Self {
        <Self as DualNum>::from_re(value)
    }
    #[inline(always)]
    fn re(&self) -> f64 {
        self.re
    }
    #[inline(always)]
    fn exp(self) -> Self {
        DualNum::exp(&self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        DualNum::ln(&self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        let mut r = DualNum::sqrt(&self);
        // sqrt(+-0) = +-0 is right; the slope 1 / (2 sqrt(0+)) is +inf.
        let value = r.re;
        zero_base::limits(&mut r, &self, self.re == 0.0, value, f64::INFINITY, 0.0);
        r
    }
    #[inline(always)]
    fn powf(self, n: f64) -> Self {
        let mut r = DualNum::powf(&self, n);
        // num-dual returns 1, u and u*u for n = 0, 1, 2 (exact at 0), and u^(n-3) u u u
        // otherwise: exact at 0 for n >= 3, NaN for n < 3. The limits for 0 < n < 3: the value
        // 0^n = 0, the slope n 0^(n-1), 0 for n > 1 and +inf for n < 1. (n < 0: a pole, left
        // to num-dual: NaN.)
        if n > 0.0 && n < 3.0 && n != 1.0 && ((n - 1.0) - 1.0).abs() >= f64::EPSILON {
            let slope = if n > 1.0 { 0.0 } else { f64::INFINITY };
            zero_base::limits(&mut r, &self, self.re == 0.0, 0.0, slope, 0.0);
        }
        r
    }
    /// num-dual's: `1`, `u`, `u*u`, or `u^(n-3) u u u`, exact at 0 for `n >= 0` (`0^0 = 1`); at
    /// a pole (`n < 0`) the value is NaN (`inf * 0`), non-finite as f64's `inf`.
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        DualNum::powi(&self, n)
    }
    #[inline(always)]
    fn pow(self, e: Self) -> Self {
        let mut r = (Scalar::ln(self) * e).exp();
        let v = e.re;
        // f64's 0^v, and the limits of the partials (see the module documentation).
        let (value, slope, still) = if v > 0.0 {
            let slope = if v > 1.0 {
                0.0
            } else if v == 1.0 {
                1.0
            } else {
                f64::INFINITY
            };
            (0.0, slope, 0.0)
        } else if v == 0.0 {
            (1.0, f64::NAN, f64::NAN)
        } else if v < 0.0 {
            (f64::INFINITY, f64::NAN, f64::NAN)
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        zero_base::limits(&mut r, &self, self.re == 0.0, value, slope, still);
        r
    }
    #[inline(always)]
    fn sin(self) -> Self {
        DualNum::sin(&self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        DualNum::cos(&self)
    }
    #[inline(always)]
    fn tan(self) -> Self {
        DualNum::tan(&self)
    }
    #[inline(always)]
    fn atan(self) -> Self {
        DualNum::atan(&self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        DualNum::tanh(&self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        num_traits::Signed::abs(&self)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        DualNum::recip(&self)
    }
}

/// The dual numbers' powers at a zero base `u = 0` (see the module documentation for the
/// limits taken).
mod zero_base {
    use num_dual::DualSVec64;

    /// Where `zero` (the base `u` is 0), replaces num-dual's result `r` of `f(u)` (or of
    /// `u^v`) by `value` and its derivative by `slope du_k`, or `still` where `du_k = 0` (`u`
    /// does not move with that parameter; `still` is 0 where `f(u)` then does not move
    /// either, NaN where there is no limit). Elsewhere `r` is left as it is, bit for bit.
    ///
    /// A select on every entry rather than a branch to a separate function: on the
    /// Jacobian of a stretched exponential (`AutoDiff`'s loop, 1e6 points) a branch cost
    /// 25-35% of the time of `pow` and `sqrt` (19.0 -> 25.7 and 6.8 -> 8.6 ns a point: it
    /// keeps the compiler from unrolling the loop); the selects cost 1-3% (19.3, 6.9 ns).
    #[inline(always)]
    pub(super) fn limits<const N: usize>(
        r: &mut DualSVec64<N>,
        u: &DualSVec64<N>,
        zero: bool,
        value: f64,
        slope: f64,
        still: f64,
    ) {
        r.re = if zero { value } else { r.re };
        if let Some(dr) = r.eps.0.as_mut() {
            // Without a derivative of its own, u does not move (u^v with v a parameter).
            *dr = match u.eps.0.as_ref() {
                Some(du) => dr.zip_map(du, |dr, du| match (zero, du == 0.0) {
                    (false, _) => dr,
                    (true, true) => still,
                    (true, false) => slope * du,
                }),
                None => dr.map(|dr| if zero { still } else { dr }),
            };
        }
    }
}

#[cfg(test)]
mod tests {
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
}

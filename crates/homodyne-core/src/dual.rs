//! The [`Scalar`] trait models are written against, for `f64` and for forward-mode dual
//! numbers.
//!
//! A dual number `a + sum_k b_k eps_k` with `eps_j eps_k = 0` carries a value and its
//! gradient with respect to `N` seeds. Evaluating `f` on `p_k + eps_k` yields
//! `f(p) + sum_k (df/dp_k) eps_k`: the whole Jacobian row in one evaluation, exact to
//! rounding. Each elementary function applies the chain rule `f(a + b eps) = f(a) + f'(a) b eps`;
//! each method's documentation states its `f'` (below `du`, `dv` stand for the derivative
//! parts of `self` and of the other argument).
//!
//! The dual numbers are num-dual's fixed-size `DualSVec64<N>` (the gradient is a stack
//! vector). A const-generic dual type of our own was measured against it on a 7-parameter
//! model (`cargo xtask bench-dual`): 30.3 ns a point against 30.8 ns, no measurable gain, so
//! the maintained crate is used. What matters more is that the model's `eval` is inlined
//! into [`AutoDiff`](crate::AutoDiff)'s loop: without an `#[inline]` hint the same model took
//! 46 ns a point.
//!
//! Every `f64` method is the standard library's function of the same name, bit for bit; the
//! value part of a dual result is that same function of the value part (except `tanh`, `tan`
//! and the powers `powf` and `powi`, computed by num-dual as `sinh / cosh`, `sin / cos` and
//! `u^(n-3) u u u`: within a few ulps).
//!
//! # Comparisons and branches
//!
//! `Scalar` requires `PartialOrd` (with itself and with `f64`): num-dual's dual numbers
//! compare their *values* only (`a < b` is `a.re() < b.re()`, `a == b` is
//! `a.re() == b.re()`), so a model may branch as the `f64` code would (`if x < 0.0`,
//! `if a > b`), and the derivative is the derivative of the branch taken. The same holds
//! for [`Scalar::min`], [`Scalar::max`], [`Scalar::abs`], [`Scalar::copysign`] and
//! [`Scalar::signum`]: piecewise smooth, differentiated piece by piece; at the kinks the
//! derivative is that of the piece chosen (stated on each method).
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

mod dual_vec;
mod real;
#[cfg(test)]
mod tests;

/// The arithmetic a [`GenericModel`](crate::GenericModel) may use: implemented by `f64` and
/// by num-dual's `DualSVec64<N>`. Mixed operations with `f64` constants are available on the
/// right-hand side (`x * 2.0`); for a constant on the left write `T::cst(2.0) * x`.
/// Comparisons (`<`, `>`, `==`, with another scalar or an `f64`) look at the value only
/// (see the module documentation).
///
/// # Example
/// ```
/// use homodyne_core::{AutoDiff, GenericModel, Model, Scalar};
///
/// /// The angle of the point (p0, p1) seen from (x, 0), clipped below at 0.1.
/// struct Angle;
/// impl GenericModel for Angle {
///     fn n_params(&self) -> usize { 2 }
///     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
///         let theta = p[1].atan2(p[0] - x[0]);
///         if theta < 0.1 { T::cst(0.1) } else { theta }
///     }
/// }
///
/// let model = AutoDiff::<_, 2>::new(Angle).unwrap();
/// let (mut y, mut jac) = ([0.0], [0.0; 2]);
/// model.eval_with_jacobian(&[0.0], &[1.0, 1.0], &mut y, &mut jac);
/// assert_eq!(y[0], std::f64::consts::FRAC_PI_4);
/// // d atan2(v, u) = (u dv - v du) / (u^2 + v^2)
/// assert!((jac[0] + 0.5).abs() < 1e-15 && (jac[1] - 0.5).abs() < 1e-15);
/// ```
pub trait Scalar:
    Copy
    + Send
    + Sync
    + std::fmt::Debug
    + PartialOrd
    + PartialOrd<f64>
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
    /// `e^self`; `d e^u = e^u du`.
    fn exp(self) -> Self;
    /// `2^self`; `d 2^u = ln 2 2^u du`.
    fn exp2(self) -> Self;
    /// `e^self - 1`, accurate near 0; `d (e^u - 1) = e^u du`.
    fn exp_m1(self) -> Self;
    /// Natural logarithm; `d ln u = du / u`.
    fn ln(self) -> Self;
    /// Base-10 logarithm; `d log10 u = du / (u ln 10)`.
    fn log10(self) -> Self;
    /// Base-2 logarithm; `d log2 u = du / (u ln 2)`.
    fn log2(self) -> Self;
    /// `ln(1 + self)`, accurate near 0; `d ln(1 + u) = du / (1 + u)`.
    fn ln_1p(self) -> Self;
    /// Square root; `d sqrt(u) = du / (2 sqrt(u))` (at `u = 0` the limits of the module
    /// documentation).
    fn sqrt(self) -> Self;
    /// Cube root; `d cbrt(u) = du / (3 cbrt(u)^2)` (infinite at `u = 0`).
    fn cbrt(self) -> Self;
    /// `self^n` for a constant real exponent; `d u^n = n u^(n-1) du`.
    fn powf(self, n: f64) -> Self;
    /// `self^n` for a constant integer exponent; `d u^n = n u^(n-1) du`.
    fn powi(self, n: i32) -> Self;
    /// `self^e` with a variable exponent: `powf` with a dual exponent (num-dual's `powd`),
    /// computed as `exp(e ln self)`; `d u^v = v u^(v-1) du + u^v ln(u) dv`. For `self > 0`;
    /// at `self = 0` with `e > 0` the dual numbers take the limits of the partials, 0 in `e`
    /// (see the module documentation).
    #[doc(alias = "powd")]
    fn pow(self, e: Self) -> Self {
        (self.ln() * e).exp()
    }
    /// `sqrt(self^2 + other^2)` without overflow or underflow in the squares;
    /// `d hypot(u, v) = (u du + v dv) / hypot(u, v)`. At the origin, where the function is
    /// a cone with no derivative, the dual numbers give 0 (the smallest subgradient).
    fn hypot(self, other: Self) -> Self;
    /// Sine; `d sin u = cos u du`.
    fn sin(self) -> Self;
    /// Cosine; `d cos u = -sin u du`.
    fn cos(self) -> Self;
    /// Tangent; `d tan u = du / cos^2 u`.
    fn tan(self) -> Self {
        self.sin() / self.cos()
    }
    /// Arcsine; `d asin u = du / sqrt(1 - u^2)` (for `|u| < 1`).
    fn asin(self) -> Self;
    /// Arccosine; `d acos u = -du / sqrt(1 - u^2)` (for `|u| < 1`).
    fn acos(self) -> Self;
    /// Arctangent; `d atan u = du / (1 + u^2)`.
    fn atan(self) -> Self;
    /// The four-quadrant arctangent of `self / x` (the angle of the point `(x, self)`, in
    /// `[-pi, pi]`); `d atan2(v, u) = (u dv - v du) / (u^2 + v^2)`, finite on the whole
    /// plane but the origin, where it is NaN (num-dual's own `atan2`, through `atan(v / u)`,
    /// is NaN on the whole axis `u = 0`).
    fn atan2(self, x: Self) -> Self;
    /// Hyperbolic sine; `d sinh u = cosh u du`.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine; `d cosh u = sinh u du`.
    fn cosh(self) -> Self;
    /// Hyperbolic tangent; `d tanh u = du / cosh^2 u`.
    fn tanh(self) -> Self;
    /// Inverse hyperbolic sine; `d asinh u = du / sqrt(u^2 + 1)`.
    fn asinh(self) -> Self;
    /// Inverse hyperbolic cosine; `d acosh u = du / sqrt(u^2 - 1)` (for `u > 1`).
    fn acosh(self) -> Self;
    /// Inverse hyperbolic tangent; `d atanh u = du / (1 - u^2)` (for `|u| < 1`).
    fn atanh(self) -> Self;
    /// Absolute value; `d |u| = sign(u) du`, where at 0 the sign bit decides (`+du` at `+0`,
    /// `-du` at `-0`: num-dual's).
    fn abs(self) -> Self;
    /// The sign of the value, `1.0` for `+0` and positive values, `-1.0` for `-0` and
    /// negative ones, NaN for NaN, as `f64::signum`: a constant (derivative 0).
    fn signum(self) -> Self;
    /// `self` with the sign of `sign`'s value: `+-|u|`, so
    /// `d copysign(u, s) = sign(u) sign(s) du` (signs by their sign bits) and nothing in `s`.
    fn copysign(self, sign: Self) -> Self;
    /// The smaller of `self` and `other`, with the derivative of the one chosen: `self` on a
    /// tie; the other where one value is NaN (as `f64::min`).
    fn min(self, other: Self) -> Self;
    /// The larger of `self` and `other`, with the derivative of the one chosen: `self` on a
    /// tie; the other where one value is NaN (as `f64::max`).
    fn max(self, other: Self) -> Self;
    /// `1 / self`; `d (1/u) = -du / u^2`.
    fn recip(self) -> Self {
        Self::cst(1.0) / self
    }
}

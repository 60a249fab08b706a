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
    /// `self^e` for a variable exponent (`self > 0`).
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
        DualNum::sqrt(&self)
    }
    #[inline(always)]
    fn powf(self, n: f64) -> Self {
        DualNum::powf(&self, n)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        DualNum::powi(&self, n)
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

#[cfg(test)]
mod tests {
    use super::Scalar;
    use num_dual::DualSVec64;

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
}

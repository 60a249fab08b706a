//! Forward-mode dual numbers and the [`Scalar`] trait models are written against.
//!
//! A dual number `a + sum_k b_k eps_k` with `eps_j eps_k = 0` carries a value and its
//! gradient with respect to `N` seeds. Evaluating `f` on `p_k + eps_k` yields
//! `f(p) + sum_k (df/dp_k) eps_k`: the whole Jacobian row in one evaluation, exact to
//! rounding. Each elementary function applies the chain rule `f(a + b eps) = f(a) + f'(a) b eps`.
//!
//! [`Dual`] is a small const-generic type of our own: the gradient is a fixed-size array on
//! the stack, so the compiler unrolls and vectorises the chain rule. On this project's
//! machines it ran a 7-parameter model at about 9 ns a point against about 31 ns for
//! `num-dual`'s fixed-size dual vector (see `shared/design/DEPENDENCIES.md`), which is why
//! homodyne does not depend on `num-dual`.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// The arithmetic a [`GenericModel`](crate::GenericModel) may use: implemented by `f64` and
/// by [`Dual`]. Mixed operations with `f64` constants are available on the right-hand side
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

/// A dual number with `N` infinitesimal parts: `re + sum_k eps[k] e_k`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dual<const N: usize> {
    /// The value.
    pub re: f64,
    /// The derivatives with respect to the `N` seeds.
    pub eps: [f64; N],
}

impl<const N: usize> Dual<N> {
    /// The `k`-th seed variable: value `re`, derivative 1 in direction `k`.
    pub fn variable(re: f64, k: usize) -> Self {
        let mut eps = [0.0; N];
        eps[k] = 1.0;
        Self { re, eps }
    }

    /// Applies the chain rule for a function with value `f` and derivative `df` at `re`.
    #[inline(always)]
    fn chain(self, f: f64, df: f64) -> Self {
        let mut eps = self.eps;
        for e in &mut eps {
            *e *= df;
        }
        Self { re: f, eps }
    }
}

impl<const N: usize> Add for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn add(mut self, rhs: Self) -> Self {
        self.re += rhs.re;
        for (a, b) in self.eps.iter_mut().zip(rhs.eps) {
            *a += b;
        }
        self
    }
}

impl<const N: usize> Sub for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn sub(mut self, rhs: Self) -> Self {
        self.re -= rhs.re;
        for (a, b) in self.eps.iter_mut().zip(rhs.eps) {
            *a -= b;
        }
        self
    }
}

impl<const N: usize> Mul for Dual<N> {
    type Output = Self;
    /// `(a + a' e)(b + b' e) = ab + (a b' + a' b) e`
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        let mut eps = [0.0; N];
        for ((e, a), b) in eps.iter_mut().zip(self.eps).zip(rhs.eps) {
            *e = a * rhs.re + self.re * b;
        }
        Self {
            re: self.re * rhs.re,
            eps,
        }
    }
}

impl<const N: usize> Div for Dual<N> {
    type Output = Self;
    /// `(a + a' e)/(b + b' e) = a/b + (a' b - a b')/b^2 e`
    #[inline(always)]
    fn div(self, rhs: Self) -> Self {
        let inv = 1.0 / rhs.re;
        let q = self.re * inv;
        let mut eps = [0.0; N];
        for ((e, a), b) in eps.iter_mut().zip(self.eps).zip(rhs.eps) {
            *e = (a - q * b) * inv;
        }
        Self { re: q, eps }
    }
}

impl<const N: usize> Neg for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.chain(-self.re, -1.0)
    }
}

impl<const N: usize> Add<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn add(mut self, rhs: f64) -> Self {
        self.re += rhs;
        self
    }
}

impl<const N: usize> Sub<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn sub(mut self, rhs: f64) -> Self {
        self.re -= rhs;
        self
    }
}

impl<const N: usize> Mul<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, rhs: f64) -> Self {
        self.chain(self.re * rhs, rhs)
    }
}

impl<const N: usize> Div<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn div(self, rhs: f64) -> Self {
        let inv = 1.0 / rhs;
        self.chain(self.re * inv, inv)
    }
}

macro_rules! assign_ops {
    ($($tr:ident $m:ident $op:tt),*) => {$(
        impl<const N: usize> $tr for Dual<N> {
            #[inline(always)]
            fn $m(&mut self, rhs: Self) {
                *self = *self $op rhs;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl<const N: usize> Scalar for Dual<N> {
    fn cst(value: f64) -> Self {
        Self {
            re: value,
            eps: [0.0; N],
        }
    }
    fn re(&self) -> f64 {
        self.re
    }
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    fn ln(self) -> Self {
        self.chain(self.re.ln(), 1.0 / self.re)
    }
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, 0.5 / s)
    }
    fn powf(self, n: f64) -> Self {
        if n == 0.0 {
            return Self::cst(1.0);
        }
        let v = self.re.powf(n);
        let dv = if n == 1.0 {
            1.0
        } else {
            n * self.re.powf(n - 1.0)
        };
        self.chain(v, dv)
    }
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Self::cst(1.0);
        }
        let v = self.re.powi(n);
        self.chain(v, f64::from(n) * self.re.powi(n - 1))
    }
    fn pow(self, e: Self) -> Self {
        // d(a^b) = a^b (b' ln a + b a'/a)
        let v = self.re.powf(e.re);
        let ln_a = self.re.ln();
        let mut eps = [0.0; N];
        for ((out, da), db) in eps.iter_mut().zip(self.eps).zip(e.eps) {
            let from_base = if da == 0.0 { 0.0 } else { e.re * da / self.re };
            let from_exp = if db == 0.0 { 0.0 } else { db * ln_a };
            *out = v * (from_base + from_exp);
        }
        Self { re: v, eps }
    }
    fn sin(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(s, c)
    }
    fn cos(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(c, -s)
    }
    fn tan(self) -> Self {
        let t = self.re.tan();
        self.chain(t, 1.0 + t * t)
    }
    fn atan(self) -> Self {
        self.chain(self.re.atan(), 1.0 / (1.0 + self.re * self.re))
    }
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        self.chain(t, 1.0 - t * t)
    }
    fn abs(self) -> Self {
        let s = if self.re > 0.0 {
            1.0
        } else if self.re < 0.0 {
            -1.0
        } else {
            0.0
        };
        self.chain(self.re.abs(), s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference of a scalar function, for checking the chain rules.
    fn numeric(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        let h = 1e-6 * x.abs().max(1e-3);
        (f(x + h) - f(x - h)) / (2.0 * h)
    }

    #[test]
    fn elementary_derivatives_match_finite_differences() {
        type D = Dual<1>;
        /// A name, the dual version of a function and its f64 version.
        type Case = (&'static str, fn(D) -> D, fn(f64) -> f64);
        let cases: Vec<Case> = vec![
            ("exp", |d| d.exp(), f64::exp),
            ("ln", |d| d.ln(), f64::ln),
            ("sqrt", |d| d.sqrt(), f64::sqrt),
            ("powf", |d| d.powf(2.7), |x| x.powf(2.7)),
            ("powi", |d| d.powi(-3), |x| x.powi(-3)),
            ("sin", |d| d.sin(), f64::sin),
            ("cos", |d| d.cos(), f64::cos),
            ("tan", |d| d.tan(), f64::tan),
            ("atan", |d| d.atan(), f64::atan),
            ("tanh", |d| d.tanh(), f64::tanh),
            ("recip", |d| d.recip(), |x| 1.0 / x),
            ("pow self", |d| d.pow(d), |x| x.powf(x)),
            (
                "quotient",
                |d| (d * d + 1.0) / (d - 3.0),
                |x| (x * x + 1.0) / (x - 3.0),
            ),
        ];
        for x in [0.3, 1.7] {
            for (name, fd, f) in &cases {
                let got = fd(D::variable(x, 0));
                assert!(
                    (got.re - f(x)).abs() < 1e-14 * f(x).abs().max(1.0),
                    "{name}"
                );
                let want = numeric(f, x);
                assert!(
                    (got.eps[0] - want).abs() < 1e-7 * want.abs().max(1.0),
                    "{name} at {x}: {} vs {want}",
                    got.eps[0]
                );
            }
        }
    }

    #[test]
    fn gradient_of_two_variables() {
        // f(a, b) = a * exp(-b): df/da = exp(-b), df/db = -a exp(-b)
        let a = Dual::<2>::variable(2.0, 0);
        let b = Dual::<2>::variable(0.5, 1);
        let f = a * (-b).exp();
        let e = (-0.5f64).exp();
        assert_eq!(f.re, 2.0 * e);
        assert_eq!(f.eps, [e, -2.0 * e]);
    }
}

//! [`Scalar`] for `f64`: the standard library's functions, bit for bit.

use super::Scalar;

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
    fn exp2(self) -> Self {
        f64::exp2(self)
    }
    fn exp_m1(self) -> Self {
        f64::exp_m1(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn log10(self) -> Self {
        f64::log10(self)
    }
    fn log2(self) -> Self {
        f64::log2(self)
    }
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn cbrt(self) -> Self {
        f64::cbrt(self)
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
    fn hypot(self, other: Self) -> Self {
        f64::hypot(self, other)
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
    fn asin(self) -> Self {
        f64::asin(self)
    }
    fn acos(self) -> Self {
        f64::acos(self)
    }
    fn atan(self) -> Self {
        f64::atan(self)
    }
    fn atan2(self, x: Self) -> Self {
        f64::atan2(self, x)
    }
    fn sinh(self) -> Self {
        f64::sinh(self)
    }
    fn cosh(self) -> Self {
        f64::cosh(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn asinh(self) -> Self {
        f64::asinh(self)
    }
    fn acosh(self) -> Self {
        f64::acosh(self)
    }
    fn atanh(self) -> Self {
        f64::atanh(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn signum(self) -> Self {
        f64::signum(self)
    }
    fn copysign(self, sign: Self) -> Self {
        f64::copysign(self, sign)
    }
    fn min(self, other: Self) -> Self {
        f64::min(self, other)
    }
    fn max(self, other: Self) -> Self {
        f64::max(self, other)
    }
    fn recip(self) -> Self {
        1.0 / self
    }
}

//! [`Scalar`] for `f64`: the standard library's functions, bit for bit.

use super::Scalar;

/// `fn f(self, args..) -> Self { f64::f(self, args..) }` for each `f(args..)` listed: the
/// standard library's function of the same name.
macro_rules! std_functions {
    ($($name:ident($($arg:ident: $ty:ty),*)),+ $(,)?) => {$(
        fn $name(self $(, $arg: $ty)*) -> Self {
            f64::$name(self $(, $arg)*)
        }
    )+};
}

impl Scalar for f64 {
    fn cst(value: f64) -> Self {
        value
    }
    fn re(&self) -> f64 {
        *self
    }
    std_functions!(
        exp(), exp2(), exp_m1(), ln(), log10(), log2(), ln_1p(), sqrt(), cbrt(), powf(n: f64),
        powi(n: i32), hypot(other: Self), sin(), cos(), tan(), asin(), acos(), atan(),
        atan2(x: Self), sinh(), cosh(), tanh(), asinh(), acosh(), atanh(), abs(), signum(),
        copysign(sign: Self), min(other: Self), max(other: Self),
    );
    fn pow(self, e: Self) -> Self {
        f64::powf(self, e)
    }
    fn recip(self) -> Self {
        1.0 / self
    }
}

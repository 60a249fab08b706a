//! [`Scalar`] for num-dual's `DualSVec64<N>`: num-dual's chain rules, with the limits of the
//! powers at a zero base, and `hypot`, `atan2`, `min`, `max`, `copysign` and `signum` of our
//! own (num-dual's `atan2` goes through `atan(v / u)`, NaN on `u = 0`; its `hypot` squares).

use num_dual::{DualNum, DualSVec64};

use super::Scalar;

/// `fn f(self, args..) -> Self { DualNum::f(&self, args..) }` for each `f(args..)` listed:
/// num-dual's chain rule of the same name, as it is.
macro_rules! dual_num_functions {
    ($($name:ident($($arg:ident: $ty:ty),*)),+ $(,)?) => {$(
        #[inline(always)]
        fn $name(self $(, $arg: $ty)*) -> Self {
            DualNum::$name(&self $(, $arg)*)
        }
    )+};
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
    // powi is num-dual's: `1`, `u`, `u*u`, or `u^(n-3) u u u`, exact at 0 for `n >= 0`
    // (`0^0 = 1`); at a pole (`n < 0`) the value is NaN (`inf * 0`), non-finite as f64's `inf`.
    dual_num_functions!(
        exp(), exp2(), exp_m1(), ln(), log10(), log2(), ln_1p(), cbrt(), powi(n: i32), recip(),
        sin(), cos(), tan(), asin(), acos(), atan(), sinh(), cosh(), tanh(), asinh(), acosh(),
        atanh(),
    );
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
    fn abs(self) -> Self {
        num_traits::Signed::abs(&self)
    }
    /// `(u du + v dv) / h` with `h = hypot(u, v)` (f64's, no overflow in the squares); 0 at
    /// the origin.
    #[inline(always)]
    fn hypot(self, other: Self) -> Self {
        let h = self.re.hypot(other.re);
        let (cu, cv) = if h > 0.0 {
            (self.re / h, other.re / h)
        } else {
            (0.0, 0.0)
        };
        let mut r = self * cu + other * cv;
        r.re = h;
        r
    }
    /// `(u dv - v du) / h^2` with `h = hypot(u, v)`, divided by `h` in two steps so that the
    /// squares neither overflow nor underflow; NaN at the origin.
    #[inline(always)]
    fn atan2(self, x: Self) -> Self {
        let h = self.re.hypot(x.re);
        let mut r = (self * (x.re / h) - x * (self.re / h)) / h;
        r.re = self.re.atan2(x.re);
        r
    }
    #[inline(always)]
    fn signum(self) -> Self {
        Self::cst(self.re.signum())
    }
    /// `u` or `-u`: a flip of the sign bit, so the value is f64's `copysign`, bit for bit.
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        if self.re.is_sign_negative() == sign.re.is_sign_negative() {
            self
        } else {
            -self
        }
    }
    /// The derivative of the smaller; the value is f64's `min` (which may pick either zero
    /// of `min(0, -0)`).
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        let mut r = if other.re < self.re || self.re.is_nan() {
            other
        } else {
            self
        };
        r.re = self.re.min(other.re);
        r
    }
    /// The derivative of the larger; the value is f64's `max`.
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        let mut r = if other.re > self.re || self.re.is_nan() {
            other
        } else {
            self
        };
        r.re = self.re.max(other.re);
        r
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

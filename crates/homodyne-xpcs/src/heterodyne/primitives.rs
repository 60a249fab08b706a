//! The scalar operations of xpcsjax's heterodyne kernel, each with its derivative as JAX
//! differentiates it (`core/heterodyne_physics_utils.py`, `core/math_primitives.py`).
//!
//! ```text
//! tpow(t, e)        = t > 0 ? max'(t)^e : 0,        max'(t) = t > 1e-10 ? t : 1e-10
//!   d/de            = t > 0 ? tpow ln max'(t) : 0
//! clip(x, lo, hi)   = min(max(x, lo), hi)
//!   d/dx            = 1 inside, 0 outside, 1/2 at a bound (JAX's tie rule of max/min)
//! softplus(z)       = max(z, 0) + ln(1 + e^{-|z|}),  d/dz = sigmoid(z) = 1 / (1 + e^{-z})
//! smooth_clip(y)    = 1 - softplus(k (1 - y_lo)) / k,  y_lo = softplus(k y) / k,  k = 50
//!   d/dy            = sigmoid(k (1 - y_lo)) sigmoid(k y)
//! ```

/// Below this, a positive time is raised to a power as `1e-10` (xpcsjax's `t_safe`).
pub const TIME_FLOOR: f64 = 1e-10;
/// Sharpness `k` of xpcsjax's `smooth_clip` of the sample fraction.
pub const SMOOTH_CLIP_SHARPNESS: f64 = 50.0;
/// Bound of the exponents of the transports (`exp(clip(x, -700, 0))`) and of the
/// fraction's `safe_exp` (`exp(clip(x, -700, 700))`).
pub const EXPONENT_LIMIT: f64 = 700.0;

/// `t^e` as xpcsjax takes it, and its derivative with respect to `e`: 0 (both) at `t <= 0`
/// for every exponent, also `e = 0`.
#[inline]
pub(crate) fn tpow(t: f64, e: f64) -> (f64, f64) {
    if t > 0.0 {
        let safe = if t > TIME_FLOOR { t } else { TIME_FLOOR };
        let power = safe.powf(e);
        (power, power * safe.ln())
    } else {
        (0.0, 0.0)
    }
}

/// `max(x, 0)` as `jnp.maximum(x, 0)` (NaN stays NaN) and its slope: 1 above 0, 0 below,
/// 1/2 at exactly 0.
#[inline]
pub(crate) fn floor_at_zero(x: f64) -> (f64, f64) {
    if x > 0.0 {
        (x, 1.0)
    } else if x == 0.0 {
        (x, 0.5)
    } else if x < 0.0 {
        (0.0, 0.0)
    } else {
        (x, x)
    }
}

/// `clip(x, lo, hi)` as `jnp.clip` (NaN stays NaN) and its slope: 1 strictly inside, 0
/// outside, 1/2 at a bound.
#[inline]
pub(crate) fn clip(x: f64, lo: f64, hi: f64) -> (f64, f64) {
    if x > lo && x < hi {
        (x, 1.0)
    } else if x == lo || x == hi {
        (x, 0.5)
    } else if x < lo {
        (lo, 0.0)
    } else if x > hi {
        (hi, 0.0)
    } else {
        (x, x)
    }
}

/// `softplus(z) = logaddexp(z, 0) = max(z, 0) + ln(1 + e^{-|z|})` (`jax.nn.softplus`).
#[inline]
pub(crate) fn softplus(z: f64) -> f64 {
    if z.is_nan() {
        return z;
    }
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `sigmoid(z) = 1 / (1 + e^{-z})`, the derivative of [`softplus`], without overflow.
#[inline]
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// xpcsjax's `smooth_clip(y, 0, 1, k = 50)` and its derivative with respect to `y`.
#[inline]
pub(crate) fn smooth_clip_unit(y: f64) -> (f64, f64) {
    let k = SMOOTH_CLIP_SHARPNESS;
    let inner = k * (y - 0.0);
    let y_lo = 0.0 + softplus(inner) / k;
    let outer = k * (1.0 - y_lo);
    let value = 1.0 - softplus(outer) / k;
    (value, sigmoid(outer) * sigmoid(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_vanish_at_time_zero_for_every_exponent() {
        assert_eq!(tpow(0.0, 0.0), (0.0, 0.0));
        assert_eq!(tpow(0.0, -1.5), (0.0, 0.0));
        assert_eq!(tpow(2.0, 0.0), (1.0, 2f64.ln()));
        // Below the floor a positive time is 1e-10.
        assert_eq!(tpow(1e-12, 1.0).0, 1e-10);
    }

    #[test]
    fn floors_and_clips_take_half_the_slope_at_a_tie() {
        assert_eq!(floor_at_zero(-1.0), (0.0, 0.0));
        assert_eq!(floor_at_zero(0.0), (0.0, 0.5));
        assert_eq!(floor_at_zero(2.0), (2.0, 1.0));
        assert!(floor_at_zero(f64::NAN).0.is_nan());
        assert_eq!(clip(-800.0, -700.0, 0.0), (-700.0, 0.0));
        assert_eq!(clip(-700.0, -700.0, 0.0), (-700.0, 0.5));
        assert_eq!(clip(-3.0, -700.0, 0.0), (-3.0, 1.0));
        assert_eq!(clip(3.0, -700.0, 0.0), (0.0, 0.0));
    }

    /// The smooth clip is not the identity inside: xpcsjax gives 0.899865... at 0.9 and
    /// exactly 0.5 at 0.5; its derivative is the central difference.
    #[test]
    fn the_smooth_clip_matches_xpcsjax_and_its_derivative() {
        assert_eq!(smooth_clip_unit(0.5).0, 0.5);
        let (v, _) = smooth_clip_unit(0.9);
        assert!((v - 0.899_865).abs() < 1e-6, "{v}");
        assert!((smooth_clip_unit(5.0).0 - 1.0).abs() < 1e-15);
        assert!(smooth_clip_unit(-5.0).0.abs() < 1e-15);
        for y in [-0.05, 0.0, 0.01, 0.3, 0.97, 1.0, 1.02] {
            let h = 1e-6;
            let fd = (smooth_clip_unit(y + h).0 - smooth_clip_unit(y - h).0) / (2.0 * h);
            let (_, d) = smooth_clip_unit(y);
            assert!((fd - d).abs() < 1e-7, "y = {y}: {d} vs {fd}");
        }
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(softplus(-800.0), 0.0);
        assert_eq!(softplus(800.0), 800.0);
    }
}

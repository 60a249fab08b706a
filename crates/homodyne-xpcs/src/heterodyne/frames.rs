//! What the heterodyne model computes once per frame at a parameter vector: the three
//! cumulative trapezoid integrals (reference and sample transport, velocity) and the
//! sample fraction, each with its derivatives.
//!
//! # Rates and their integrals
//!
//! ```text
//! J(t_k) = max(D0 tpow(t_k, alpha) + D_offset, 0)       transport (reference, sample)
//! v(t_k) =     v0 tpow(t_k, v_beta) + v_offset           velocity (not floored)
//! C_0 = 0,   C_k = ( sum_{m < k} (f_m + f_{m+1}) / 2 ) dt
//! ```
//!
//! `dt` multiplies the cumulative sum, as xpcsjax's `trapezoid_cumsum` does. The sums are
//! linear in the rates, so `dC_k/dθ` is the same trapezoid of `df/dθ`:
//! `df/dD0 = s tpow`, `df/dalpha = s D0 tpow ln max'(t)`, `df/dD_offset = s`, with `s` the
//! slope of the floor (1 above 0, 0 below, 1/2 at exactly 0; 1 for the velocity).
//!
//! # Sample fraction
//!
//! ```text
//! a_k = f1 (t_k - f2),  e_k = exp(clip(a_k, -700, 700)),  y_k = f0 e_k + f3,
//! x_s(t_k) = smooth_clip(y_k, 0, 1, k = 50)
//! dy/df0 = e,  dy/df1 = f0 e' (t - f2),  dy/df2 = -f0 e' f1,  dy/df3 = 1,
//! e' = e on (-700, 700) (0 outside, e/2 at a bound),   dx_s/dθ = smooth_clip'(y) dy/dθ
//! ```

use super::primitives::{EXPONENT_LIMIT, clip, floor_at_zero, smooth_clip_unit, tpow};

/// `C_k` of one rate and `dC_k/dθ` for its three parameters (prefactor, exponent, offset).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Integral {
    /// `C_k`, seconds folded in.
    pub values: Vec<f64>,
    /// `dC_k/d(prefactor)`, `dC_k/d(exponent)`, `dC_k/d(offset)`.
    pub derivatives: [Vec<f64>; 3],
}

impl Integral {
    /// The cumulative trapezoid integral of `f(t) = prefactor tpow(t, exponent) + offset`
    /// on `times`, floored at 0 when `floored` (the transports).
    pub(crate) fn new(
        times: &[f64],
        dt: f64,
        prefactor: f64,
        exponent: f64,
        offset: f64,
        floored: bool,
    ) -> Self {
        let rate = |t: f64| -> (f64, [f64; 3]) {
            let (power, d_power) = tpow(t, exponent);
            let raw = prefactor * power + offset;
            let (value, slope) = if floored {
                floor_at_zero(raw)
            } else {
                (raw, 1.0)
            };
            (value, [slope * power, slope * (prefactor * d_power), slope])
        };
        let n = times.len();
        let mut values = vec![0.0; n];
        let mut derivatives = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        let mut sum = 0.0;
        let mut sums = [0.0; 3];
        let Some(&first) = times.first() else {
            return Self {
                values,
                derivatives,
            };
        };
        let (mut previous, mut previous_d) = rate(first);
        for k in 1..n {
            let (value, d) = rate(times[k]);
            sum += (previous + value) / 2.0;
            values[k] = sum * dt;
            for c in 0..3 {
                sums[c] += (previous_d[c] + d[c]) / 2.0;
                derivatives[c][k] = sums[c] * dt;
            }
            (previous, previous_d) = (value, d);
        }
        Self {
            values,
            derivatives,
        }
    }
}

/// The sample fraction `x_s(t_k)` and `dx_s/d(f0, f1, f2, f3)` at every frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fraction {
    /// `x_s(t_k)`; the reference fraction is `1 - x_s`.
    pub sample: Vec<f64>,
    /// `dx_s/df0 .. dx_s/df3`.
    pub derivatives: [Vec<f64>; 4],
}

impl Fraction {
    /// The fraction on `times` at `f = [f0, f1, f2, f3]`.
    pub(crate) fn new(times: &[f64], [f0, f1, f2, f3]: [f64; 4]) -> Self {
        let n = times.len();
        let mut sample = vec![0.0; n];
        let mut derivatives = [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        for (k, &t) in times.iter().enumerate() {
            let a = f1 * (t - f2);
            let (e, d_e) = if a.is_nan() {
                (a, a)
            } else {
                let (clipped, slope) = clip(a, -EXPONENT_LIMIT, EXPONENT_LIMIT);
                let e = clipped.exp();
                (e, e * slope)
            };
            let y = f0 * e + f3;
            let (x, d_x) = smooth_clip_unit(y);
            sample[k] = x;
            let dy = [e, f0 * d_e * (t - f2), -(f0 * d_e * f1), 1.0];
            for (column, d) in derivatives.iter_mut().zip(dy) {
                column[k] = d_x * d;
            }
        }
        Self {
            sample,
            derivatives,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xpcsjax's default case on a grid from 0: `C_ref[1] = (0 + 1e4) / 2 * 0.1 = 500`
    /// (`tpow(0, 0) = 0`), and `C_ref[2] = 1500`.
    #[test]
    fn the_first_frame_at_time_zero_has_no_power_term() {
        let times = [0.0, 0.1, 0.2];
        let c = Integral::new(&times, 0.1, 1e4, 0.0, 0.0, true);
        assert_eq!(c.values, [0.0, 500.0, 1500.0]);
        // dJ/dD0 = tpow: 0 at t = 0, 1 after. J(0) = 0 exactly: the floor's slope there
        // is 1/2, so dJ/dD_offset is 1/2 at t = 0 and 1 after.
        let close =
            |got: &[f64], want: [f64; 3]| got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-15);
        assert!(
            close(&c.derivatives[0], [0.0, 0.05, 0.15]),
            "{:?}",
            c.derivatives
        );
        assert!(
            close(&c.derivatives[2], [0.0, 0.075, 0.175]),
            "{:?}",
            c.derivatives
        );
    }

    #[test]
    fn a_floored_rate_has_no_derivative_and_half_at_exactly_zero() {
        let times = [1.0, 2.0, 3.0];
        let floored = Integral::new(&times, 1.0, 1.0, 0.0, -5.0, true);
        assert_eq!(floored.values, [0.0; 3]);
        assert!(floored.derivatives.iter().flatten().all(|&d| d == 0.0));
        let tie = Integral::new(&times, 1.0, 1.0, 0.0, -1.0, true);
        assert_eq!(tie.derivatives[2], [0.0, 0.5, 1.0]);
        // The velocity is not floored.
        let velocity = Integral::new(&times, 1.0, 1.0, 0.0, -5.0, false);
        assert_eq!(velocity.values, [0.0, -4.0, -8.0]);
    }

    #[test]
    fn the_fraction_is_half_at_the_defaults_and_clipped_smoothly() {
        let f = Fraction::new(&[0.1, 0.2], [0.5, 0.0, 0.0, 0.0]);
        assert_eq!(f.sample, [0.5, 0.5]);
        let f = Fraction::new(&[100.0], [1.0, 1.0, 0.0, 0.0]);
        // e^100 is far above 1: the fraction is 1 and flat.
        assert_eq!(f.sample, [1.0]);
        assert!(f.derivatives.iter().all(|d| d[0] == 0.0));
    }
}

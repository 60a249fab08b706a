//! The normalised two-component bracket `B` of one frame pair at one angle, and its
//! gradient with respect to the 14 physical parameters.
//!
//! # Value (xpcsjax's operations, in its order)
//!
//! ```text
//! S_x = C_x[j] - C_x[i],   M_x = sqrt(S_x^2 + 1e-12)                     x = r, s
//! h_x = exp(clip(-0.5 q q M_x, -700, 0))
//! phase = q cos((phi + phi0_het) pi / 180) (C_v[j] - C_v[i])
//! R = (x_r[i] x_r[j])^2,  Sm = (x_s[i] x_s[j])^2,  G = g[i] g[j],  g = x_r x_s
//! N = R h_r^2 + Sm h_s^2 + 2 G h_r h_s cos(phase)
//! den = n[i] n[j],  n = x_s^2 + x_r^2          (floored at 1e-10: never active)
//! B = N / den,      c2 = offset + contrast B
//! ```
//!
//! # Gradient
//!
//! ```text
//! dB/dh_r = 2 (R h_r + G h_s cos) / den,      dB/dh_s = 2 (Sm h_s + G h_r cos) / den
//! dh_x/dθ = h_x clip' (-0.5 q q) (S_x / M_x) (dC_x[j]/dθ - dC_x[i]/dθ)
//! dB/dphase = -2 G h_r h_s sin(phase) / den
//! dphase/dθ_v = q cos(..) (dC_v[j]/dθ - dC_v[i]/dθ),   dphase/dphi0 = -q sin(..) V pi/180
//! dN/dx_s[i] = -2 x_r[i] x_r[j]^2 h_r^2 + 2 x_s[i] x_s[j]^2 h_s^2
//!              + 2 (1 - 2 x_s[i]) g[j] h_r h_s cos(phase)
//! dden/dx_s[i] = 2 (x_s[i] - x_r[i]) n[j]
//! dB/dx_s[i] = (dN/dx_s[i] - B dden/dx_s[i]) / den     (and the same with i, j swapped)
//! dB/df_m = dB/dx_s[i] dx_s[i]/df_m + dB/dx_s[j] dx_s[j]/df_m
//! ```
//!
//! (`x_r = 1 - x_s`, so `dx_r/dx_s = -1`.) On the diagonal both sums run over the same
//! frame and add up, as they should.

use super::frames::{Fraction, Integral};
use super::primitives::{EXPONENT_LIMIT, clip};

/// `smooth_abs`'s `eps`: `M = sqrt(S^2 + 1e-12)`.
pub const SMOOTH_ABS_EPSILON: f64 = 1e-12;
/// The floor of the normalisation `f^2` (never reached: `n >= 1/2`).
pub const NORMALISATION_FLOOR: f64 = 1e-10;

/// What the points of one parameter vector share: the per-frame tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frames {
    /// Reference transport integral (`D0_ref, alpha_ref, D_offset_ref`).
    pub reference: Integral,
    /// Sample transport integral (`D0_sample, alpha_sample, D_offset_sample`).
    pub sample: Integral,
    /// Velocity integral (`v0, v_beta, v_offset`).
    pub velocity: Integral,
    /// Sample fraction (`f0 .. f3`).
    pub fraction: Fraction,
}

/// One angle's factors: `q`, and `cos`, `sin` of `(phi + phi0_het)` in radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Angle {
    /// The wavevector.
    pub q: f64,
    /// `cos((phi + phi0_het) pi / 180)`.
    pub cos: f64,
    /// `sin((phi + phi0_het) pi / 180)`.
    pub sin: f64,
}

/// One transport's half factor `h = exp(clip(-0.5 q q M, -700, 0))` at `(i, j)`, and
/// `dh/dC` per unit of `dC[j] - dC[i]`.
#[inline]
fn half_transport(integral: &Integral, q: f64, i: usize, j: usize) -> (f64, f64) {
    let s = integral.values[j] - integral.values[i];
    let m = (s * s + SMOOTH_ABS_EPSILON).sqrt();
    let scale = -0.5 * q * q;
    let (exponent, slope) = clip(scale * m, -EXPONENT_LIMIT, 0.0);
    let h = exponent.exp();
    (h, h * slope * scale * (s / m))
}

/// `dC[j]/dθ - dC[i]/dθ` of the three parameters of `integral`.
#[inline]
fn difference(integral: &Integral, i: usize, j: usize) -> [f64; 3] {
    let d = &integral.derivatives;
    [d[0][j] - d[0][i], d[1][j] - d[1][i], d[2][j] - d[2][i]]
}

impl Frames {
    /// `B` at the frame pair `(i, j)` (row `i`, column `j`) for `angle`, and, given
    /// `gradient`, `dB/dθ` of the 14 physical parameters written into it.
    #[inline]
    pub(crate) fn bracket(
        &self,
        angle: Angle,
        i: usize,
        j: usize,
        gradient: Option<&mut [f64; 14]>,
    ) -> f64 {
        let q = angle.q;
        let (h_r, dh_r) = half_transport(&self.reference, q, i, j);
        let (h_s, dh_s) = half_transport(&self.sample, q, i, j);
        let v = self.velocity.values[j] - self.velocity.values[i];
        let phase = q * angle.cos * v;
        let cos_phase = phase.cos();
        let xs = &self.fraction.sample;
        let (xs_i, xs_j) = (xs[i], xs[j]);
        let (xr_i, xr_j) = (1.0 - xs_i, 1.0 - xs_j);
        let r = xr_i * xr_j;
        let s = xs_i * xs_j;
        let (g_i, g_j) = (xr_i * xs_i, xr_j * xs_j);
        let g = g_i * g_j;
        let reference = r * r * (h_r * h_r);
        let sample = s * s * (h_s * h_s);
        let cross = 2.0 * g * h_r * h_s * cos_phase;
        let (n_i, n_j) = (xs_i * xs_i + xr_i * xr_i, xs_j * xs_j + xr_j * xr_j);
        let den = n_i * n_j;
        let (den, den_slope) = if den > NORMALISATION_FLOOR {
            (den, 1.0)
        } else {
            (NORMALISATION_FLOOR, 0.0)
        };
        let bracket = (reference + sample + cross) / den;
        let Some(gradient) = gradient else {
            return bracket;
        };
        // Transports.
        let d_h_r = 2.0 * (r * r * h_r + g * h_s * cos_phase) / den;
        let d_h_s = 2.0 * (s * s * h_s + g * h_r * cos_phase) / den;
        for (c, d) in difference(&self.reference, i, j).into_iter().enumerate() {
            gradient[c] = d_h_r * dh_r * d;
        }
        for (c, d) in difference(&self.sample, i, j).into_iter().enumerate() {
            gradient[3 + c] = d_h_s * dh_s * d;
        }
        // Phase: velocity and phi0_het.
        let d_phase = -2.0 * g * h_r * h_s * phase.sin() / den;
        for (c, d) in difference(&self.velocity, i, j).into_iter().enumerate() {
            gradient[6 + c] = d_phase * (q * angle.cos * d);
        }
        gradient[13] = d_phase * (-q * angle.sin * v * (std::f64::consts::PI / 180.0));
        // Fraction, through x_s at both frames.
        let transports = 2.0 * h_r * h_s * cos_phase;
        let d_numerator_i = -2.0 * xr_i * (xr_j * xr_j) * (h_r * h_r)
            + 2.0 * xs_i * (xs_j * xs_j) * (h_s * h_s)
            + (1.0 - 2.0 * xs_i) * g_j * transports;
        let d_numerator_j = -2.0 * xr_j * (xr_i * xr_i) * (h_r * h_r)
            + 2.0 * xs_j * (xs_i * xs_i) * (h_s * h_s)
            + (1.0 - 2.0 * xs_j) * g_i * transports;
        let d_den_i = den_slope * 2.0 * (xs_i - xr_i) * n_j;
        let d_den_j = den_slope * 2.0 * (xs_j - xr_j) * n_i;
        let d_i = (d_numerator_i - bracket * d_den_i) / den;
        let d_j = (d_numerator_j - bracket * d_den_j) / den;
        for (c, column) in self.fraction.derivatives.iter().enumerate() {
            gradient[9 + c] = d_i * column[i] + d_j * column[j];
        }
        bracket
    }
}

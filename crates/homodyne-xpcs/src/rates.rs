//! The frame grid and the time integrals of the diffusion and shear rates.
//!
//! # Discretisation
//!
//! Frames sit at `t_k = k dt`, `k = 0 .. n_t - 1`. A rate
//! `f(t) = a t^b + c` (`t^b` computed as `exp(b ln t)`) is evaluated at the safe times `t~_k = max(t_k, eps)`,
//! `eps = max(dt / 2, 1e-8)` (so `t^b` stays finite at `t = 0` for `b < 0`), and floored:
//! `f_k = max(a t~_k^b + c, 1e-10)`. Its integral from frame `j` to frame `i` is the
//! trapezoid rule in frame steps,
//!
//! ```text
//! C_0 = 0,   C_k = sum_{m < k} (f_m + f_{m+1}) / 2,
//! M_ij = sqrt((C_i - C_j)^2 + 1e-12),   int_{t_j}^{t_i} f dt  ~  dt * M_ij,
//! ```
//!
//! the `1e-12` keeping `M` differentiable where `i = j`. The derivatives follow the same
//! sums: `dC_k/dθ = sum_{m < k} (df_m/dθ + df_{m+1}/dθ) / 2` with
//! `df/da = t~^b`, `df/db = a t~^b ln t~`, `df/dc = 1` (all 0 where the floor holds), and
//! `dM_ij/dθ = (C_i - C_j) (dC_i/dθ - dC_j/dθ) / M_ij`.

use crate::error::XpcsError;

/// Floor of a rate (`D_k`, `gamma_dot_k`): rates never reach zero or go negative.
pub const RATE_FLOOR: f64 = 1e-10;
/// Added to `(C_i - C_j)^2` under the square root of `M_ij`.
pub const M_EPSILON: f64 = 1e-12;

/// The frame times of a two-time correlation matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeGrid {
    dt: f64,
    times: Vec<f64>,
    safe: Vec<f64>,
    ln_safe: Vec<f64>,
}

impl TimeGrid {
    /// `n_t` frames `dt` seconds apart, from `t = 0`.
    pub fn new(dt: f64, n_t: usize) -> Result<Self, XpcsError> {
        Self::from_times(dt, (0..n_t).map(|k| k as f64 * dt).collect())
    }

    /// A grid with the given frame times, `dt` apart: for frames that do not start at
    /// `t = 0` (the Python package's command line drops `t = 0` and fits from `t = dt`), or
    /// times taken from a file. The integrals still step in frames of `dt`.
    pub fn from_times(dt: f64, times: Vec<f64>) -> Result<Self, XpcsError> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(XpcsError::setting(
                "dt",
                format!("the frame time must be positive and finite, got {dt}"),
            ));
        }
        if times.len() < 2 {
            return Err(XpcsError::setting(
                "frames",
                format!(
                    "a two-time matrix needs at least 2 frames, got {}",
                    times.len()
                ),
            ));
        }
        if let Some(bad) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(XpcsError::setting(
                "frame times",
                format!("every time must be finite and non-negative, got {bad}"),
            ));
        }
        let eps = (dt / 2.0).max(1e-8);
        let safe: Vec<f64> = times.iter().map(|&t| t.max(eps)).collect();
        let ln_safe = safe.iter().map(|t| t.ln()).collect();
        Ok(Self {
            dt,
            times,
            safe,
            ln_safe,
        })
    }

    /// The frame time `dt` (seconds).
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Always false: a grid has at least two frames.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The frame times (`t_k = k dt` for [`TimeGrid::new`]).
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The cumulative integral of `f(t) = a t^b + c` and its derivatives with respect to
    /// `(a, b, c)` at every frame.
    pub fn rate_integral(&self, a: f64, b: f64, c: f64) -> RateIntegral {
        let n = self.len();
        let mut cumulative = vec![0.0; n];
        let mut derivative = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        let rate = |k: usize| -> (f64, [f64; 3]) {
            // t^b as exp(b ln t), with ln t computed once per grid.
            let power = (b * self.ln_safe[k]).exp();
            let value = a * power + c;
            if value > RATE_FLOOR {
                (value, [power, a * power * self.ln_safe[k], 1.0])
            } else {
                (RATE_FLOOR, [0.0; 3])
            }
        };
        let (mut previous, mut previous_d) = rate(0);
        for k in 1..n {
            let (value, d) = rate(k);
            cumulative[k] = cumulative[k - 1] + (previous + value) / 2.0;
            for (column, (dp, dv)) in derivative.iter_mut().zip(previous_d.iter().zip(d)) {
                column[k] = column[k - 1] + (dp + dv) / 2.0;
            }
            (previous, previous_d) = (value, d);
        }
        RateIntegral {
            cumulative,
            derivative,
        }
    }
}

/// `C_k` and `dC_k/d(a, b, c)` of one rate on a [`TimeGrid`].
#[derive(Debug, Clone, PartialEq)]
pub struct RateIntegral {
    /// `C_k`, in frame steps (multiply by `dt` for seconds).
    pub cumulative: Vec<f64>,
    /// `dC_k/da`, `dC_k/db`, `dC_k/dc`.
    pub derivative: [Vec<f64>; 3],
}

impl RateIntegral {
    /// `M_ij = sqrt((C_i - C_j)^2 + 1e-12)`, with `C_i - C_j`.
    #[inline(always)]
    pub fn between(&self, i: usize, j: usize) -> (f64, f64) {
        let difference = self.cumulative[i] - self.cumulative[j];
        ((difference * difference + M_EPSILON).sqrt(), difference)
    }

    /// `dM_ij/dθ` for the three rate parameters, given `M_ij` and `C_i - C_j`.
    #[inline(always)]
    pub fn between_derivative(&self, i: usize, j: usize, m: f64, difference: f64) -> [f64; 3] {
        let scale = difference / m;
        let d = &self.derivative;
        [
            scale * (d[0][i] - d[0][j]),
            scale * (d[1][i] - d[1][j]),
            scale * (d[2][i] - d[2][j]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_rate_integrates_to_the_elapsed_frames() {
        let grid = TimeGrid::new(0.1, 6).unwrap();
        let integral = grid.rate_integral(0.0, 1.0, 2.5);
        for k in 0..6 {
            assert!((integral.cumulative[k] - 2.5 * k as f64).abs() < 1e-14);
        }
        let (m, difference) = integral.between(4, 1);
        assert!((m - 7.5).abs() < 1e-12 && (difference - 7.5).abs() < 1e-14);
        // d/dc of c * (i - j) is (i - j); d/da of a t^1 is the trapezoid of t~.
        let d = integral.between_derivative(4, 1, m, difference);
        assert!((d[2] - 3.0).abs() < 1e-12);
    }

    #[test]
    fn the_first_frame_uses_half_a_frame_time() {
        let grid = TimeGrid::new(0.2, 3).unwrap();
        let integral = grid.rate_integral(1.0, -1.0, 0.0);
        // f_0 = 1 / 0.1, f_1 = 1 / 0.2.
        assert!((integral.cumulative[1] - (10.0 + 5.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_floored_rate_has_no_derivative() {
        let grid = TimeGrid::new(1.0, 4).unwrap();
        let integral = grid.rate_integral(1.0, 0.0, -5.0);
        assert_eq!(integral.cumulative[3], 3.0 * RATE_FLOOR);
        assert!(
            integral
                .derivative
                .iter()
                .all(|d| d.iter().all(|&v| v == 0.0))
        );
    }

    #[test]
    fn bad_grids_are_refused_with_the_value() {
        assert!(
            TimeGrid::new(0.0, 5)
                .unwrap_err()
                .to_string()
                .contains("got 0")
        );
        assert!(TimeGrid::new(f64::NAN, 5).is_err());
        assert!(
            TimeGrid::new(0.1, 1)
                .unwrap_err()
                .to_string()
                .contains("2 frames")
        );
    }
}

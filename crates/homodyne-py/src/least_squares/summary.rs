//! scipy's `OptimizeResult` fields from the residuals and Jacobian at the solution.
//!
//! With a robust loss `rho` and soft margin `f_s`, scipy reports the cost and the
//! *modified* Jacobian whose `J^T J` is the Gauss-Newton curvature of that cost (Triggs et
//! al., as [`homodyne::Loss`] and the engine do): with `z_i = (r_i / f_s)^2`,
//!
//! ```text
//! cost  = 1/2 sum_i f_s^2 rho(z_i)
//! s_i   = sqrt(max(rho'(z_i) + 2 rho''(z_i) r_i^2 / f_s^2, eps))
//! J~_i  = s_i J_i,    r~_i = rho'(z_i) r_i / s_i,    grad = J~^T r~ = sum_i rho'(z_i) r_i J_i
//! ```
//!
//! `fun` stays the plain residual vector. The first-order optimality is the infinity norm
//! of the gradient scaled by the Coleman-Li vector `v` (`v_k = u_k - x_k` where `g_k < 0`
//! and the upper bound is finite, `x_k - l_k` where `g_k > 0` and the lower bound is
//! finite, else 1), `||v * g||_inf`, which is `||g||_inf` without bounds.

use homodyne::{Loss, TerminationReason};

/// The fields of scipy's result computed from the solution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    /// `1/2 sum f_s^2 rho(z_i)`.
    pub(crate) cost: f64,
    /// The (modified, under a robust loss) Jacobian, `m x n` row-major.
    pub(crate) jacobian: Vec<f64>,
    /// The gradient of the cost.
    pub(crate) grad: Vec<f64>,
    /// `||v * grad||_inf`.
    pub(crate) optimality: f64,
    /// -1 on an active lower bound, 1 on an active upper bound, 0 free.
    pub(crate) active_mask: Vec<i64>,
}

impl Summary {
    /// The fields at `x` within `[lower, upper]`, where the residuals are `residuals` and
    /// their Jacobian `jacobian` (`m x n`, row-major); `xtol` is the relative distance
    /// within which a bound counts as active (scipy's `rtol = xtol`).
    pub(crate) fn at(
        x: &[f64],
        residuals: &[f64],
        mut jacobian: Vec<f64>,
        (lower, upper): (&[f64], &[f64]),
        loss: Loss,
        f_scale: f64,
        xtol: f64,
    ) -> Self {
        let n = x.len();
        let mut cost = 0.0;
        let mut grad = vec![0.0; n];
        for (r, row) in residuals.iter().zip(jacobian.chunks_exact_mut(n.max(1))) {
            let (rho, weight, row_scale) = if loss.is_linear() {
                (r * r, 1.0, 1.0)
            } else {
                let z = (r / f_scale) * (r / f_scale);
                let (rho0, rho1, rho2) = loss.rho(z);
                let curvature = rho1 + 2.0 * rho2 * r * r / (f_scale * f_scale);
                (
                    f_scale * f_scale * rho0,
                    rho1,
                    curvature.max(f64::EPSILON).sqrt(),
                )
            };
            cost += rho;
            for (g, j) in grad.iter_mut().zip(row.iter_mut()) {
                *g += weight * r * *j;
                *j *= row_scale;
            }
        }
        let optimality = (0..n)
            .map(|k| {
                let g = grad[k];
                let v = if g < 0.0 && upper[k].is_finite() {
                    upper[k] - x[k]
                } else if g > 0.0 && lower[k].is_finite() {
                    x[k] - lower[k]
                } else {
                    1.0
                };
                (v * g).abs()
            })
            .fold(0.0, f64::max);
        let active_mask = (0..n)
            .map(|k| active(x[k], lower[k], upper[k], xtol))
            .collect();
        Self {
            cost: 0.5 * cost,
            jacobian,
            grad,
            optimality,
            active_mask,
        }
    }
}

/// scipy's `find_active_constraints` for one parameter: -1 when `x` lies within
/// `rtol * max(1, |l|)` of its finite lower bound (and nearer it than the upper), 1 likewise
/// for the upper bound, else 0; with `rtol = 0`, only a parameter on (or past) a bound.
fn active(x: f64, lower: f64, upper: f64, rtol: f64) -> i64 {
    if rtol == 0.0 {
        return if x <= lower {
            -1
        } else if x >= upper {
            1
        } else {
            0
        };
    }
    let (to_lower, to_upper) = (x - lower, upper - x);
    if lower.is_finite() && to_lower <= to_upper.min(rtol * lower.abs().max(1.0)) {
        -1
    } else if upper.is_finite() && to_upper <= to_lower.min(rtol * upper.abs().max(1.0)) {
        1
    } else {
        0
    }
}

/// scipy's termination status and message for the engine's reason: 0 the evaluation
/// budget, 1 `gtol`, 2 `ftol`, 3 `xtol`, 4 both. Residuals that are exactly zero satisfy
/// the gradient test trivially: status 1, with the reason said.
pub(crate) fn status(reason: TerminationReason) -> (i64, String) {
    let (status, message) = match reason {
        TerminationReason::MaxEvaluations => {
            (0, "The maximum number of function evaluations is exceeded.")
        }
        TerminationReason::Gtol => (1, "`gtol` termination condition is satisfied."),
        TerminationReason::ZeroResidual => (
            1,
            "`gtol` termination condition is satisfied (the residuals are exactly zero).",
        ),
        TerminationReason::Ftol => (2, "`ftol` termination condition is satisfied."),
        TerminationReason::Xtol => (3, "`xtol` termination condition is satisfied."),
        TerminationReason::FtolAndXtol => (
            4,
            "Both `ftol` and `xtol` termination conditions are satisfied.",
        ),
        // A reason added to the engine later: described in its own words.
        other => return (1, format!("The solver stopped: {other}.")),
    };
    (status, message.to_string())
}

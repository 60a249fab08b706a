//! The trust-region subproblem and radius control shared by the solvers.

use homodyne_core::TerminationReason;

use crate::dense::{dot, norm};
use crate::loss::Loss;

/// Solves `min ||J p + f||` subject to `||p|| <= Delta` from the SVD `J = U diag(s) V^T`
/// and `uf = U^T f` (Moré 1977, with one SVD instead of a Cholesky per trial):
///
/// ```text
/// p(alpha) = -V diag(s / (s^2 + alpha)) uf,     find alpha >= 0 with ||p(alpha)|| = Delta
/// ```
///
/// by Newton's method on `phi(alpha) = ||p(alpha)|| - Delta`, safeguarded by the bounds
/// `alpha_lower <= alpha <= alpha_upper`. The Gauss-Newton step (`alpha = 0`) is returned
/// when `J` has full rank and that step lies inside the region. `n_rows` is the number of
/// rows of `J` (for the rank threshold). Returns `(p, alpha)`.
pub fn solve_lsq_trust_region(
    n_rows: usize,
    uf: &[f64],
    s: &[f64],
    v: &[f64],
    delta: f64,
    initial_alpha: Option<f64>,
) -> (Vec<f64>, f64) {
    let n = s.len();
    let combine = |coef: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| -(0..n).map(|k| v[i * n + k] * coef[k]).sum::<f64>())
            .collect()
    };
    let suf: Vec<f64> = s.iter().zip(uf).map(|(a, b)| a * b).collect();
    let phi_and_derivative = |alpha: f64| {
        let coef: Vec<f64> = (0..n).map(|k| suf[k] / (s[k] * s[k] + alpha)).collect();
        let p_norm = norm(&coef);
        let phi = p_norm - delta;
        let phi_prime = -(0..n)
            .map(|k| suf[k] * suf[k] / (s[k] * s[k] + alpha).powi(3))
            .sum::<f64>()
            / p_norm;
        (phi, phi_prime)
    };

    let full_rank = n_rows >= n && n > 0 && s[n - 1] > f64::EPSILON * n_rows as f64 * s[0];
    if full_rank {
        let coef: Vec<f64> = (0..n).map(|k| uf[k] / s[k]).collect();
        let p = combine(&coef);
        if norm(&p) <= delta {
            return (p, 0.0);
        }
    }

    let mut alpha_upper = norm(&suf) / delta;
    let mut alpha_lower = if full_rank {
        let (phi, phi_prime) = phi_and_derivative(0.0);
        -phi / phi_prime
    } else {
        0.0
    };
    let reset = |lo: f64, hi: f64| (0.001 * hi).max((lo * hi).sqrt());
    let mut alpha = match initial_alpha {
        None => reset(alpha_lower, alpha_upper),
        Some(a) if !full_rank && a == 0.0 => reset(alpha_lower, alpha_upper),
        Some(a) => a,
    };
    for _ in 0..10 {
        if alpha < alpha_lower || alpha > alpha_upper {
            alpha = reset(alpha_lower, alpha_upper);
        }
        let (phi, phi_prime) = phi_and_derivative(alpha);
        if phi < 0.0 {
            alpha_upper = alpha;
        }
        let ratio = phi / phi_prime;
        alpha_lower = alpha_lower.max(alpha - ratio);
        alpha -= (phi + delta) * ratio / delta;
        if phi.abs() < 0.01 * delta {
            break;
        }
    }
    let coef: Vec<f64> = (0..n).map(|k| suf[k] / (s[k] * s[k] + alpha)).collect();
    let mut p = combine(&coef);
    let p_norm = norm(&p);
    if p_norm > 0.0 && p_norm.is_finite() {
        // Land exactly on the boundary: the root finding stops within 1%.
        for x in &mut p {
            *x *= delta / p_norm;
        }
    }
    (p, alpha)
}

/// Updates the trust radius from the ratio of actual to predicted reduction:
/// shrink to a quarter of the step when `ratio < 0.25`, double when `ratio > 0.75` and the
/// step reached the boundary. Returns `(new_delta, ratio)`.
pub fn update_radius(
    delta: f64,
    actual_reduction: f64,
    predicted_reduction: f64,
    step_norm: f64,
    bound_hit: bool,
) -> (f64, f64) {
    let ratio = if predicted_reduction > 0.0 {
        actual_reduction / predicted_reduction
    } else if predicted_reduction == 0.0 && actual_reduction == 0.0 {
        1.0
    } else {
        0.0
    };
    let delta = if ratio < 0.25 {
        0.25 * step_norm
    } else if ratio > 0.75 && bound_hit {
        2.0 * delta
    } else {
        delta
    };
    (delta, ratio)
}

/// The `ftol` / `xtol` test after a trial step: `ftol` holds when the step reduced the cost
/// by less than `ftol * cost` with a good model (`ratio > 0.25`); `xtol` when
/// `||dx|| < xtol (xtol + ||x||)`.
pub fn check_termination(
    actual_reduction: f64,
    cost: f64,
    step_norm: f64,
    x_norm: f64,
    ratio: f64,
    ftol: f64,
    xtol: f64,
) -> Option<TerminationReason> {
    let ftol_ok = actual_reduction < ftol * cost && ratio > 0.25;
    let xtol_ok = step_norm < xtol * (xtol + x_norm);
    tolerance_reason(ftol_ok, xtol_ok)
}

/// The termination reason of the `ftol` and `xtol` tests' outcomes (both, one, or none
/// passed), as TRF's [`check_termination`] and LM's ratio test name it.
pub fn tolerance_reason(ftol_ok: bool, xtol_ok: bool) -> Option<TerminationReason> {
    match (ftol_ok, xtol_ok) {
        (true, true) => Some(TerminationReason::FtolAndXtol),
        (true, false) => Some(TerminationReason::Ftol),
        (false, true) => Some(TerminationReason::Xtol),
        (false, false) => None,
    }
}

/// The largest cosine between the residual vector and a Jacobian column, each weighted by
/// how far its parameter can still move (MINPACK's gradient test, extended to bounds):
///
/// ```text
/// c_j = |g_j| / (||f|| ||J_j||) * w_j,   w_j = min(1, v_j ||J_j|| / ||f||) when the
///       anti-gradient points at a finite bound at distance v_j, else 1.
/// ```
///
/// At a first-order point `c = 0`. Returns `None` when `||f|| = 0`.
pub fn gradient_cosine(
    g: &[f64],
    column_norms: &[f64],
    residual_norm: f64,
    distance_to_bound: Option<&[f64]>,
) -> Option<f64> {
    if residual_norm <= 0.0 || !residual_norm.is_finite() {
        return None;
    }
    let mut worst = 0.0f64;
    for j in 0..g.len() {
        if column_norms[j] == 0.0 {
            continue;
        }
        let mut c = g[j].abs() / (residual_norm * column_norms[j]);
        if let Some(dist) = distance_to_bound
            && dist[j].is_finite()
        {
            c *= (dist[j] * column_norms[j] / residual_norm).min(1.0);
        }
        worst = worst.max(c);
    }
    Some(worst)
}

/// Coefficients of `q(t) = 1/2 (s0 + t s)^T (B + diag) (s0 + t s) + g^T (s0 + t s)` with
/// `B = J^T J`, given `js = J s` and `js0 = J s0`: returns `(a, b, c)` for `a t^2 + b t + c`.
pub fn quadratic_1d(
    js: &[f64],
    g: &[f64],
    s: &[f64],
    diag: Option<&[f64]>,
    s0: Option<(&[f64], &[f64])>,
) -> (f64, f64, f64) {
    let mut a = dot(js, js);
    if let Some(d) = diag {
        a += s.iter().zip(d).map(|(x, y)| x * x * y).sum::<f64>();
    }
    a *= 0.5;
    let mut b = dot(g, s);
    let mut c = 0.0;
    if let Some((s0, js0)) = s0 {
        b += dot(js0, js);
        c = 0.5 * dot(js0, js0) + dot(g, s0);
        if let Some(d) = diag {
            b += s0
                .iter()
                .zip(s)
                .zip(d)
                .map(|((x, y), z)| x * y * z)
                .sum::<f64>();
            c += 0.5 * s0.iter().zip(d).map(|(x, z)| x * x * z).sum::<f64>();
        }
    }
    (a, b, c)
}

/// Minimises `a t^2 + b t + c` over `[lo, hi]`. Returns `(t, value)`.
pub fn minimize_quadratic_1d(a: f64, b: f64, lo: f64, hi: f64, c: f64) -> (f64, f64) {
    let mut best = (lo, lo * (a * lo + b) + c);
    let mut consider = |t: f64| {
        let y = t * (a * t + b) + c;
        if y < best.1 {
            best = (t, y);
        }
    };
    consider(hi);
    if a != 0.0 {
        let extremum = -0.5 * b / a;
        if lo < extremum && extremum < hi {
            consider(extremum);
        }
    }
    best
}

/// The residual norm of the gradient test: `||f||` for the linear loss and `sqrt(2 C)` for
/// a robust one (`cost` is `C`, `scaled_residual_sq` the linearisation's `||f~||^2`). Not
/// the norm of the rescaled residuals `f~` under a robust loss: for huber and cauchy the
/// rescaling divides by `sqrt(rho' + 2 rho'' f^2)`, clamped at `sqrt(eps)` for outliers, so
/// `||f~||` can be 1e8 times `sqrt(2 C)` and the cosine would pass `gtol` far from the
/// minimum (a huber fit stopped 2.5% above its minimum cost, a cauchy fit at its start).
pub fn gradient_test_norm(loss: Loss, cost: f64, scaled_residual_sq: f64) -> f64 {
    if loss == Loss::Linear {
        scaled_residual_sq.sqrt()
    } else {
        (2.0 * cost).sqrt()
    }
}

/// [`gradient_test_norm`] at an iterate.
pub(crate) fn stationarity_norm(at: &crate::driver::Iterate<'_>) -> f64 {
    gradient_test_norm(
        at.options.loss,
        at.cost,
        at.linearization.scaled_residual_sq,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_newton_step_inside_the_region() {
        // J = diag(2, 1), f = (2, 1): GN step (-1, -1).
        let (p, alpha) = solve_lsq_trust_region(
            2,
            &[2.0, 1.0],
            &[2.0, 1.0],
            &[1.0, 0.0, 0.0, 1.0],
            10.0,
            None,
        );
        assert_eq!(alpha, 0.0);
        assert!((p[0] + 1.0).abs() < 1e-15 && (p[1] + 1.0).abs() < 1e-15);
    }

    #[test]
    fn constrained_step_lies_on_the_boundary_and_solves_the_regularised_system() {
        let (s, uf, v) = ([3.0, 0.5], [1.0, 2.0], [1.0, 0.0, 0.0, 1.0]);
        let (p, alpha) = solve_lsq_trust_region(5, &uf, &s, &v, 0.5, None);
        assert!((norm(&p) - 0.5).abs() < 1e-12);
        assert!(alpha > 0.0);
        // (s^2 + alpha) p = -s uf, within the 1% root-finding tolerance.
        for k in 0..2 {
            let want = -s[k] * uf[k] / (s[k] * s[k] + alpha);
            assert!((p[k] - want).abs() < 0.02 * want.abs());
        }
    }

    #[test]
    fn radius_control() {
        assert_eq!(update_radius(1.0, 0.1, 1.0, 0.8, true), (0.2, 0.1));
        assert_eq!(update_radius(1.0, 0.9, 1.0, 1.0, true), (2.0, 0.9));
        assert_eq!(update_radius(1.0, 0.9, 1.0, 0.5, false), (1.0, 0.9));
    }

    #[test]
    fn quadratic_minimum() {
        assert_eq!(minimize_quadratic_1d(1.0, -2.0, 0.0, 5.0, 0.0), (1.0, -1.0));
        assert_eq!(minimize_quadratic_1d(1.0, -2.0, 2.0, 5.0, 0.0), (2.0, 0.0));
    }
}

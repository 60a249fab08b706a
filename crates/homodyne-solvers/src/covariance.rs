//! Parameter covariance at the solution.

use homodyne_core::Covariance;
use ndarray::Array2;

use crate::dense::svd;
use crate::factor::RFactor;

/// The covariance `C = s^2 (J^T J)^+` from the factor `R` of the (weighted, rescaled)
/// Jacobian at the solution, with the SVD `R = U diag(sigma) V^T` (the same `sigma` and
/// `V` as `J`):
///
/// ```text
/// (J^T J)^+ = V diag(1 / sigma_k^2) V^T   over sigma_k > eps * max(N, P) * sigma_max
/// s^2       = 2 C(p) / (N - P)            (1 with absolute_sigma)
/// ```
///
/// as scipy's `curve_fit`. Dropped singular values lower the reported rank: the matrix is
/// then a pseudo-inverse, never a silent identity. Without degrees of freedom (`N == P`)
/// and without `absolute_sigma`, the scale is unknown and every entry is infinite.
pub fn covariance(
    factor: &RFactor,
    n_points: usize,
    cost: f64,
    absolute_sigma: bool,
) -> Covariance {
    let n = factor.n();
    let Some(dec) = svd(factor.r_matrix(), n, n) else {
        return Covariance {
            matrix: Array2::from_elem((n, n), f64::NAN),
            rank: 0,
            condition_number: f64::NAN,
        };
    };
    let s_max = dec.s.first().copied().unwrap_or(0.0);
    let threshold = f64::EPSILON * n_points.max(n) as f64 * s_max;
    let rank = dec.s.iter().filter(|&&s| s > threshold).count();
    let mut matrix = Array2::zeros((n, n));
    for i in 0..n {
        for j in 0..n {
            matrix[(i, j)] = (0..rank)
                .map(|k| dec.v[i * n + k] * dec.v[j * n + k] / (dec.s[k] * dec.s[k]))
                .sum();
        }
    }
    if !absolute_sigma {
        if n_points > n {
            matrix *= 2.0 * cost / (n_points - n) as f64;
        } else {
            matrix.fill(f64::INFINITY);
        }
    }
    let s_min = dec.s.last().copied().unwrap_or(0.0);
    Covariance {
        matrix,
        rank,
        condition_number: if s_min > 0.0 {
            s_max / s_min
        } else {
            f64::INFINITY
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_normal_matrix_scaled_by_reduced_chi_squared() {
        // R = [[2, 1], [0, 1]]: J^T J = [[4, 2], [2, 2]], inverse [[0.5, -0.5], [-0.5, 1]].
        let f = RFactor::from_parts(2, vec![2.0, 1.0, 0.0, 1.0], vec![0.0, 0.0]);
        let c = covariance(&f, 12, 5.0, false); // s^2 = 10 / 10 = 1
        let want = [[0.5, -0.5], [-0.5, 1.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((c.matrix[(i, j)] - want[i][j]).abs() < 1e-14);
            }
        }
        assert!(c.is_full_rank());
    }

    #[test]
    fn rank_deficiency_is_reported() {
        let f = RFactor::from_parts(2, vec![1.0, 1.0, 0.0, 0.0], vec![0.0, 0.0]);
        let c = covariance(&f, 10, 1.0, true);
        assert_eq!(c.rank, 1);
        assert!(c.matrix.iter().all(|v| v.is_finite()));
        assert!(!c.is_full_rank());
    }
}

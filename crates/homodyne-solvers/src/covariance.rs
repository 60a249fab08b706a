//! Parameter covariance at the solution.

use homodyne_core::Covariance;
use ndarray::Array2;

use crate::dense::svd;
use crate::factor::RFactor;

/// The covariance `C = s^2 (J^T J)^+` from the factor `R` of the (weighted) Jacobian at
/// the solution (`R^T R = J^T J`).
///
/// The columns are first equilibrated, `R_s = R D` with `D = diag(1 / ||R e_k||)` (the
/// column norms of `J`), so that the rank decision does not depend on the parameters'
/// units: a diffusion coefficient near `1e4` next to a contrast near `0.3` would otherwise
/// put a factor of `1e8` into the singular values and see a full-rank problem as
/// deficient. With the SVD `R_s = U diag(sigma) V^T`:
///
/// ```text
/// (J^T J)^+ = D V diag(1 / sigma_k^2) V^T D   over sigma_k > eps * max(N, P) * sigma_max
/// s^2       = 2 C(p) / (N - P)                (1 with absolute_sigma)
/// ```
///
/// the threshold being scipy `curve_fit`'s. For a full-rank problem this is the inverse of
/// `J^T J`, the same as without equilibration up to rounding. Dropped singular values lower
/// the reported rank: the matrix is then a pseudo-inverse, never a silent identity. The
/// reported condition number is that of the equilibrated `R_s`. Without degrees of freedom
/// (`N == P`) and without `absolute_sigma`, the scale is unknown and every entry is
/// infinite.
///
/// Parameter `j` is *undetermined* when its column of `J` is zero (or not finite), or when
/// it has a component `|V_jk| > `[`NULL_COMPONENT`] along a dropped direction `k`: the
/// data then cannot tell its value apart from others. Its variance is `+inf` and the rest
/// of its row and column NaN (scipy's `curve_fit` returns `inf` where it cannot estimate
/// the covariance); the pseudo-inverse would report a finite, meaningless number, zero for
/// a zero column. The second value returned marks these parameters.
pub fn covariance(
    factor: &RFactor,
    n_points: usize,
    cost: f64,
    absolute_sigma: bool,
) -> (Covariance, Vec<bool>) {
    let n = factor.n();
    let r = factor.r_matrix();
    let inverse_norms: Vec<f64> = (0..n)
        .map(|k| {
            let norm = (0..n)
                .map(|i| r[i * n + k] * r[i * n + k])
                .sum::<f64>()
                .sqrt();
            if norm > 0.0 && norm.is_finite() {
                1.0 / norm
            } else {
                0.0
            }
        })
        .collect();
    let scaled: Vec<f64> = (0..n * n).map(|ik| r[ik] * inverse_norms[ik % n]).collect();
    let Some(dec) = svd(&scaled, n, n) else {
        let covariance = Covariance {
            matrix: Array2::from_elem((n, n), f64::NAN),
            rank: 0,
            condition_number: f64::NAN,
        };
        return (covariance, vec![true; n]);
    };
    let s_max = dec.s.first().copied().unwrap_or(0.0);
    let threshold = f64::EPSILON * n_points.max(n) as f64 * s_max;
    let rank = dec.s.iter().filter(|&&s| s > threshold).count();
    let mut matrix = Array2::zeros((n, n));
    for i in 0..n {
        for j in 0..n {
            let inner: f64 = (0..rank)
                .map(|k| dec.v[i * n + k] * dec.v[j * n + k] / (dec.s[k] * dec.s[k]))
                .sum();
            matrix[(i, j)] = inverse_norms[i] * inner * inverse_norms[j];
        }
    }
    if !absolute_sigma {
        if n_points > n {
            matrix *= 2.0 * cost / (n_points - n) as f64;
        } else {
            matrix.fill(f64::INFINITY);
        }
    }
    let undetermined: Vec<bool> = (0..n)
        .map(|j| {
            inverse_norms[j] == 0.0 || (rank..n).any(|k| dec.v[j * n + k].abs() > NULL_COMPONENT)
        })
        .collect();
    for j in (0..n).filter(|&j| undetermined[j]) {
        for i in 0..n {
            matrix[(i, j)] = f64::NAN;
            matrix[(j, i)] = f64::NAN;
        }
        matrix[(j, j)] = f64::INFINITY;
    }
    let s_min = dec.s.last().copied().unwrap_or(0.0);
    let covariance = Covariance {
        matrix,
        rank,
        condition_number: if s_min > 0.0 {
            s_max / s_min
        } else {
            f64::INFINITY
        },
    };
    (covariance, undetermined)
}

/// The smallest component along a dropped singular direction (of the equilibrated
/// Jacobian, whose singular vectors have unit length) that makes a parameter
/// undetermined. Exact degeneracies give components of order 1 (two equal columns:
/// `1/sqrt(2)`); parameters outside them, components at the rounding level.
pub const NULL_COMPONENT: f64 = 1e-6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_normal_matrix_scaled_by_reduced_chi_squared() {
        // R = [[2, 1], [0, 1]]: J^T J = [[4, 2], [2, 2]], inverse [[0.5, -0.5], [-0.5, 1]].
        let f = RFactor::from_parts(2, vec![2.0, 1.0, 0.0, 1.0], vec![0.0, 0.0]);
        let (c, undetermined) = covariance(&f, 12, 5.0, false); // s^2 = 10 / 10 = 1
        assert_eq!(undetermined, [false, false]);
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
        // J = [[1, 1]]: the two parameters enter as their sum, so neither is determined.
        let f = RFactor::from_parts(2, vec![1.0, 1.0, 0.0, 0.0], vec![0.0, 0.0]);
        let (c, undetermined) = covariance(&f, 10, 1.0, true);
        assert_eq!(c.rank, 1);
        assert!(!c.is_full_rank());
        assert_eq!(undetermined, [true, true]);
        assert_eq!(c.matrix[(0, 0)], f64::INFINITY);
        assert!(c.matrix[(0, 1)].is_nan());
    }

    #[test]
    fn a_zero_column_is_undetermined_and_the_others_keep_their_variance() {
        // J^T J = diag(4, 0, 1): the middle parameter does not enter the model.
        let f = RFactor::from_parts(
            3,
            vec![2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            vec![0.0; 3],
        );
        let (c, undetermined) = covariance(&f, 10, 1.0, true);
        assert_eq!(undetermined, [false, true, false]);
        assert!((c.matrix[(0, 0)] - 0.25).abs() < 1e-15);
        assert!((c.matrix[(2, 2)] - 1.0).abs() < 1e-15);
        assert_eq!(c.matrix[(1, 1)], f64::INFINITY);
        assert!(c.matrix[(0, 1)].is_nan() && c.matrix[(1, 2)].is_nan());
        assert_eq!(c.matrix[(0, 2)], 0.0);
    }

    #[test]
    fn the_rank_does_not_depend_on_the_units() {
        // J^T J = [[1e-20, 3e-11], [3e-11, 1.09]]: singular values 1e8 apart, yet a
        // correlation of 0.29 once the first parameter is measured in other units, so
        // full rank, with the exact inverse.
        let (a, b, c) = (1e-10, 0.3, 1.0);
        let f = RFactor::from_parts(2, vec![a, b, 0.0, c], vec![0.0, 0.0]);
        let (cov, undetermined) = covariance(&f, 1_000_000, 1.0, true);
        assert_eq!(undetermined, [false, false]);
        assert!(cov.is_full_rank(), "rank {}", cov.rank);
        // inverse of [[a^2, a b], [a b, b^2 + c^2]]
        let det = a * a * c * c;
        let want = [
            [(b * b + c * c) / det, -a * b / det],
            [-a * b / det, a * a / det],
        ];
        for i in 0..2 {
            for j in 0..2 {
                let got = cov.matrix[(i, j)];
                assert!(
                    (got - want[i][j]).abs() <= 1e-12 * want[i][j].abs(),
                    "{got} vs {}",
                    want[i][j]
                );
            }
        }
    }
}

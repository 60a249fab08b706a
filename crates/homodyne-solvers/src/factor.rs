//! The triangular factor `R` of the Jacobian, built one chunk of rows at a time.
//!
//! For `J = Q R` (`J` is `N x P`, `Q` has orthonormal columns, `R` is `P x P` upper
//! triangular) and residuals `f`, every quantity a trust-region iteration needs follows
//! from `R` and `Q^T f`:
//!
//! ```text
//! J^T f = R^T (Q^T f)      ||J s|| = ||R s||      singular values and V of J = those of R
//! ```
//!
//! A chunk of rows `J_c` (with residuals `f_c`) is folded in by the QR factorisation of the
//! stacked matrix `[R; J_c]`, which is backward stable and never forms `J^T J` (that would
//! square the condition number). The factorisation here exploits the structure of the
//! stack: column `k`'s Householder reflector touches only row `k` of `R` and the chunk
//! rows, so folding `m` rows costs `2 m P^2` flops and the chunk stays in cache.

use crate::kernels::dot;

/// The upper-triangular factor `R` (row-major, `P x P`) with `Q^T f`.
#[derive(Debug, Clone, PartialEq)]
pub struct RFactor {
    n: usize,
    r: Vec<f64>,
    qtf: Vec<f64>,
}

/// `y -= alpha * x`.
#[inline]
fn axpy_neg(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi -= alpha * xi;
    }
}

impl RFactor {
    /// The factor of zero rows: `R = 0`, `Q^T f = 0`.
    pub fn zeros(n: usize) -> Self {
        Self {
            n,
            r: vec![0.0; n * n],
            qtf: vec![0.0; n],
        }
    }

    /// A factor from an upper-triangular `r` (row-major) and `qtf`; the strictly lower part
    /// of `r` is ignored.
    pub fn from_parts(n: usize, mut r: Vec<f64>, qtf: Vec<f64>) -> Self {
        for i in 0..n {
            for j in 0..i {
                r[i * n + j] = 0.0;
            }
        }
        Self { n, r, qtf }
    }

    /// Number of parameters `P`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `R[i][j]`.
    #[inline]
    pub fn r(&self, i: usize, j: usize) -> f64 {
        self.r[i * self.n + j]
    }

    /// `R`, row-major.
    pub fn r_matrix(&self) -> &[f64] {
        &self.r
    }

    /// `Q^T f`.
    pub fn qtf(&self) -> &[f64] {
        &self.qtf
    }

    /// Folds `m` rows into the factor. `columns` holds the rows' Jacobian column by column
    /// (`columns[k * m + i] = J[i][k]`), `residuals` their residuals; both are overwritten.
    pub fn fold(&mut self, columns: &mut [f64], residuals: &mut [f64], m: usize) {
        let n = self.n;
        debug_assert_eq!(columns.len(), m * n);
        debug_assert_eq!(residuals.len(), m);
        for k in 0..n {
            let (head, tail) = columns.split_at_mut((k + 1) * m);
            let col_k = &head[k * m..];
            let sigma = dot(col_k, col_k);
            if sigma == 0.0 {
                continue;
            }
            let alpha = self.r[k * n + k];
            let norm = alpha.hypot(sigma.sqrt());
            let beta = if alpha >= 0.0 { -norm } else { norm };
            // Reflector v = [1; col_k / (alpha - beta)], H = I - tau v v^T.
            let v0_scale = 1.0 / (alpha - beta);
            let tau = (beta - alpha) / beta;
            for j in k + 1..n {
                let col_j = &mut tail[(j - k - 1) * m..(j - k) * m];
                let w = self.r[k * n + j] + v0_scale * dot(col_k, col_j);
                let tw = tau * w;
                self.r[k * n + j] -= tw;
                axpy_neg(tw * v0_scale, col_k, col_j);
            }
            let w = self.qtf[k] + v0_scale * dot(col_k, residuals);
            let tw = tau * w;
            self.qtf[k] -= tw;
            axpy_neg(tw * v0_scale, col_k, residuals);
            self.r[k * n + k] = beta;
        }
    }

    /// Folds another factor's rows into this one: the factor of the two row sets together.
    pub fn merge(&mut self, other: &RFactor) {
        let n = self.n;
        let mut columns = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                columns[j * n + i] = other.r[i * n + j];
            }
        }
        let mut residuals = other.qtf.clone();
        self.fold(&mut columns, &mut residuals, n);
    }

    /// The gradient `J^T f = R^T (Q^T f)`.
    pub fn gradient(&self) -> Vec<f64> {
        let n = self.n;
        (0..n)
            .map(|j| (0..=j).map(|i| self.r[i * n + j] * self.qtf[i]).sum())
            .collect()
    }

    /// Euclidean norms of the Jacobian's columns, `||J e_j|| = ||R e_j||`.
    pub fn column_norms(&self) -> Vec<f64> {
        let n = self.n;
        (0..n)
            .map(|j| {
                (0..=j)
                    .map(|i| self.r[i * n + j].powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    /// `R s`.
    pub fn mul(&self, s: &[f64]) -> Vec<f64> {
        let n = self.n;
        (0..n)
            .map(|i| (i..n).map(|j| self.r[i * n + j] * s[j]).sum())
            .collect()
    }

    /// True when every entry of `R` and `Q^T f` is finite.
    pub fn is_finite(&self) -> bool {
        self.r.iter().chain(&self.qtf).all(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random matrix for tests.
    fn matrix(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..rows * cols)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect()
    }

    /// Folds the rows `rows` of the row-major `j` (`factor.n()` columns) and of `f` into
    /// `factor`, as a pass folds one chunk.
    fn fold_rows(factor: &mut RFactor, j: &[f64], f: &[f64], rows: std::ops::Range<usize>) {
        let (m, n) = (rows.len(), factor.n());
        let mut cols = vec![0.0; m * n];
        for i in 0..m {
            for k in 0..n {
                cols[k * m + i] = j[(rows.start + i) * n + k];
            }
        }
        let mut res = f[rows].to_vec();
        factor.fold(&mut cols, &mut res, m);
    }

    #[test]
    fn factor_reproduces_normal_equations_and_gradient() {
        let (m, n) = (37, 4);
        let j = matrix(m, n, 1); // row-major
        let f = matrix(m, 1, 2);
        let mut factor = RFactor::zeros(n);
        // Fold in three uneven chunks.
        for (lo, hi) in [(0, 5), (5, 30), (30, 37)] {
            fold_rows(&mut factor, &j, &f, lo..hi);
        }
        for a in 0..n {
            for b in 0..n {
                let jtj: f64 = (0..m).map(|i| j[i * n + a] * j[i * n + b]).sum();
                let rtr: f64 = (0..n).map(|i| factor.r(i, a) * factor.r(i, b)).sum();
                assert!((jtj - rtr).abs() < 1e-13, "{a},{b}");
            }
        }
        let g = factor.gradient();
        for a in 0..n {
            let want: f64 = (0..m).map(|i| j[i * n + a] * f[i]).sum();
            assert!((g[a] - want).abs() < 1e-13);
        }
    }

    #[test]
    fn merge_equals_folding_everything() {
        let (m, n) = (20, 3);
        let j = matrix(m, n, 3);
        let f = matrix(m, 1, 4);
        let folded = |rows: std::ops::Range<usize>| {
            let mut factor = RFactor::zeros(n);
            fold_rows(&mut factor, &j, &f, rows);
            factor
        };
        let whole = folded(0..m);
        let mut left = folded(0..8);
        left.merge(&folded(8..m));
        // R is unique up to the signs of its rows: compare R^T R and R^T qtf.
        for a in 0..n {
            assert!((whole.gradient()[a] - left.gradient()[a]).abs() < 1e-13);
            for b in 0..n {
                let w: f64 = (0..n).map(|i| whole.r(i, a) * whole.r(i, b)).sum();
                let l: f64 = (0..n).map(|i| left.r(i, a) * left.r(i, b)).sum();
                assert!((w - l).abs() < 1e-13);
            }
        }
    }
}

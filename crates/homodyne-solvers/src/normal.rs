//! The normal-equations accumulation: `J^T J` and `J^T f` summed chunk by chunk.
//!
//! Summing `J^T J` costs `m P (P + 1)` flops per chunk of `m` rows, about half of the
//! Householder fold of [`crate::factor`], and vectorises as plain dot products. It squares
//! the condition number: `R` from the Cholesky factorisation `J^T J = R^T R` carries a
//! relative error of about `cond(J)^2 * eps`. So it is used only where that is harmless:
//! [`NormalAccumulator::factor`] refuses (returns `None`) when the Cholesky factorisation
//! breaks down or `cond(R) > MAX_CONDITION`, and the objective then redoes the pass with the
//! exact QR fold. The gradient `J^T f` is summed directly, so the optimum (where it
//! vanishes) is the same either way.

use crate::dense::svd;
use crate::factor::RFactor;

/// Largest `cond(J)` accepted from the normal equations: `1e4` keeps `cond(J)^2 eps` near
/// `2e-8`, so `R`, the steps and the covariance stay accurate to about 8 digits.
pub const MAX_CONDITION: f64 = 1e4;

/// Running sums `J^T J` (upper triangle, row-major) and `J^T f`.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalAccumulator {
    n: usize,
    jtj: Vec<f64>,
    jtf: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

impl NormalAccumulator {
    /// Empty sums for `n` parameters.
    pub fn zeros(n: usize) -> Self {
        Self {
            n,
            jtj: vec![0.0; n * n],
            jtf: vec![0.0; n],
        }
    }

    /// Adds `m` rows given column by column (`columns[k * m + i] = J[i][k]`) with their
    /// residuals.
    pub fn add(&mut self, columns: &[f64], residuals: &[f64], m: usize) {
        let n = self.n;
        for i in 0..n {
            let ci = &columns[i * m..(i + 1) * m];
            for j in i..n {
                self.jtj[i * n + j] += dot(ci, &columns[j * m..(j + 1) * m]);
            }
            self.jtf[i] += dot(ci, residuals);
        }
    }

    /// Adds another accumulator's sums.
    pub fn merge(&mut self, other: &NormalAccumulator) {
        for (a, b) in self.jtj.iter_mut().zip(&other.jtj) {
            *a += b;
        }
        for (a, b) in self.jtf.iter_mut().zip(&other.jtf) {
            *a += b;
        }
    }

    /// `R` with `R^T R = J^T J` (Cholesky) and `Q^T f = R^{-T} J^T f`, as the solvers use
    /// them; `None` when `J^T J` is not numerically positive definite or
    /// `cond(R) > MAX_CONDITION`.
    pub fn factor(&self) -> Option<RFactor> {
        let n = self.n;
        let mut r = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let mut s = self.jtj[i * n + j];
                for k in 0..i {
                    s -= r[k * n + i] * r[k * n + j];
                }
                if i == j {
                    if s.is_nan() || s <= 0.0 || !s.is_finite() {
                        return None;
                    }
                    r[i * n + i] = s.sqrt();
                } else {
                    r[i * n + j] = s / r[i * n + i];
                }
            }
        }
        let dec = svd(&r, n, n)?;
        let (s_max, s_min) = (dec.s[0], dec.s[n - 1]);
        if s_min.is_nan() || s_min <= 0.0 || s_max / s_min > MAX_CONDITION {
            return None;
        }
        // Forward substitution R^T q = J^T f.
        let mut qtf = vec![0.0; n];
        for i in 0..n {
            let s: f64 = (0..i).map(|k| r[k * n + i] * qtf[k]).sum();
            qtf[i] = (self.jtf[i] - s) / r[i * n + i];
        }
        Some(RFactor::from_parts(n, r, qtf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_reproduces_the_normal_equations_and_the_gradient() {
        // Columns of a 6 x 2 J, column-major.
        let cols = [
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.5,
        ];
        let f = [0.1, -0.2, 0.3, 0.0, 0.5, -0.1];
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&cols[..], &f, 6);
        let factor = acc.factor().unwrap();
        let g = factor.gradient();
        for a in 0..2 {
            let want: f64 = (0..6).map(|i| cols[a * 6 + i] * f[i]).sum();
            assert!((g[a] - want).abs() < 1e-14);
            for b in 0..2 {
                let jtj: f64 = (0..6).map(|i| cols[a * 6 + i] * cols[b * 6 + i]).sum();
                let rtr: f64 = (0..2).map(|i| factor.r(i, a) * factor.r(i, b)).sum();
                assert!((jtj - rtr).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn ill_conditioned_or_singular_sums_are_refused() {
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 1.0, 1.0, 1.0], &[0.0, 0.0], 2);
        assert!(acc.factor().is_none(), "singular");
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 0.0, 0.0, 1e-5], &[0.0, 0.0], 2);
        assert!(acc.factor().is_none(), "cond 1e5");
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 0.0, 0.0, 1e-3], &[0.0, 0.0], 2);
        assert!(acc.factor().is_some(), "cond 1e3");
    }
}

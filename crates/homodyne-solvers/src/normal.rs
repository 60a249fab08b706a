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
use crate::kernels::dot;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};

/// Parameters from which a chunk's `J^T J` is summed by faer's matrix product rather than
/// by one dot product per pair of columns (below, the product's set-up costs more than it
/// saves).
pub const GEMM_MIN_PARAMS: usize = 8;

/// Largest parameter count of [`NormalAccumulator::add_rows`], the copy-free kernel for
/// unweighted rows with the linear loss.
pub const ROW_KERNEL_MAX_PARAMS: usize = 7;

/// Largest `cond(J D)` accepted from the normal equations, `D` equilibrating the columns of
/// `J`: `1e4` keeps `cond^2 eps` near `2e-8`, so `R`, the steps and the covariance stay
/// accurate to about 8 digits.
pub const MAX_CONDITION: f64 = 1e4;

/// Running sums `J^T J` (upper triangle, row-major) and `J^T f`.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalAccumulator {
    n: usize,
    jtj: Vec<f64>,
    jtf: Vec<f64>,
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
        if n >= GEMM_MIN_PARAMS {
            // `J^T J` of a wide chunk is a matrix product: faer's blocked kernel (run-time
            // chosen SIMD, sequential: the chunks are already spread over the threads).
            // Only the lower triangle of the column-major sum (the upper of the row-major
            // one) is computed.
            let a = MatRef::from_column_major_slice(&columns[..m * n], m, n);
            let r = MatRef::from_column_major_slice(&residuals[..m], m, 1);
            triangular::matmul(
                MatMut::from_column_major_slice_mut(&mut self.jtj, n, n),
                BlockStructure::TriangularLower,
                Accum::Add,
                a.transpose(),
                BlockStructure::Rectangular,
                a,
                BlockStructure::Rectangular,
                1.0,
                Par::Seq,
            );
            matmul(
                MatMut::from_column_major_slice_mut(&mut self.jtf, n, 1),
                Accum::Add,
                a.transpose(),
                r,
                1.0,
                Par::Seq,
            );
            return;
        }
        for i in 0..n {
            let ci = &columns[i * m..(i + 1) * m];
            for j in i..n {
                self.jtj[i * n + j] += dot(ci, &columns[j * m..(j + 1) * m]);
            }
            self.jtf[i] += dot(ci, residuals);
        }
    }

    /// Adds `m` rows given row by row (`rows[i * P + k] = J[i][k]`, the layout models
    /// write), each multiplied by its weight `weights[i]` (all 1 when `None`), with their
    /// (already weighted) residuals, for `P <= ROW_KERNEL_MAX_PARAMS`, in one pass and with
    /// no copy. Returns `f^T f`, or `None`, adding nothing, when `P` is larger or when a
    /// residual or Jacobian entry is NaN or infinite (or so large that its square
    /// overflows): the caller then takes the general path.
    ///
    /// Four rows are summed at a time into four sets of partial sums, which the compiler
    /// keeps in vector registers; the sets are combined in a fixed order at the end.
    #[inline(always)]
    pub fn add_rows(
        &mut self,
        rows: &[f64],
        weights: Option<&[f64]>,
        residuals: &[f64],
    ) -> Option<f64> {
        match (self.n, weights) {
            (1, None) => self.add_rows_fixed::<1, false>(rows, &[], residuals),
            (2, None) => self.add_rows_fixed::<2, false>(rows, &[], residuals),
            (3, None) => self.add_rows_fixed::<3, false>(rows, &[], residuals),
            (4, None) => self.add_rows_fixed::<4, false>(rows, &[], residuals),
            (5, None) => self.add_rows_fixed::<5, false>(rows, &[], residuals),
            (6, None) => self.add_rows_fixed::<6, false>(rows, &[], residuals),
            (7, None) => self.add_rows_fixed::<7, false>(rows, &[], residuals),
            (1, Some(w)) => self.add_rows_fixed::<1, true>(rows, w, residuals),
            (2, Some(w)) => self.add_rows_fixed::<2, true>(rows, w, residuals),
            (3, Some(w)) => self.add_rows_fixed::<3, true>(rows, w, residuals),
            (4, Some(w)) => self.add_rows_fixed::<4, true>(rows, w, residuals),
            (5, Some(w)) => self.add_rows_fixed::<5, true>(rows, w, residuals),
            (6, Some(w)) => self.add_rows_fixed::<6, true>(rows, w, residuals),
            (7, Some(w)) => self.add_rows_fixed::<7, true>(rows, w, residuals),
            _ => None,
        }
    }

    /// [`Self::add_rows`] for `N` parameters; `WEIGHTED` says whether `weights` applies.
    #[inline(always)]
    fn add_rows_fixed<const N: usize, const WEIGHTED: bool>(
        &mut self,
        rows: &[f64],
        weights: &[f64],
        residuals: &[f64],
    ) -> Option<f64> {
        let weight = |i: usize| if WEIGHTED { weights[i] } else { 1.0 };
        let mut jtj = [[[0.0; 4]; N]; N];
        let mut jtf = [[0.0; 4]; N];
        let mut ftf = [0.0; 4];
        let blocks = rows.chunks_exact(4 * N).zip(residuals.chunks_exact(4));
        let tail_rows = blocks.len() * 4;
        for (b, (block, r)) in blocks.enumerate() {
            let mut a = [[0.0; 4]; N];
            for l in 0..4 {
                let w = weight(4 * b + l);
                for i in 0..N {
                    a[i][l] = block[l * N + i] * w;
                }
                ftf[l] += r[l] * r[l];
            }
            for i in 0..N {
                for j in i..N {
                    for l in 0..4 {
                        jtj[i][j][l] += a[i][l] * a[j][l];
                    }
                }
                for l in 0..4 {
                    jtf[i][l] += a[i][l] * r[l];
                }
            }
        }
        let tail = rows[tail_rows * N..]
            .chunks_exact(N)
            .zip(&residuals[tail_rows..]);
        for (t, (row, r)) in tail.enumerate() {
            let w = weight(tail_rows + t);
            ftf[0] += r * r;
            for i in 0..N {
                for j in i..N {
                    jtj[i][j][0] += (row[i] * w) * (row[j] * w);
                }
                jtf[i][0] += row[i] * w * r;
            }
        }
        let lanes = |v: [f64; 4]| (v[0] + v[1]) + (v[2] + v[3]);
        // A NaN or infinity anywhere reaches `f^T f` or a diagonal entry of `J^T J`.
        let ftf = lanes(ftf);
        let mut finite = ftf.is_finite();
        for i in 0..N {
            finite &= lanes(jtj[i][i]).is_finite();
        }
        if !finite {
            return None;
        }
        let n = self.n;
        for i in 0..N {
            for j in i..N {
                self.jtj[i * n + j] += lanes(jtj[i][j]);
            }
            self.jtf[i] += lanes(jtf[i]);
        }
        Some(ftf)
    }

    /// The sums as stored: `J^T J` (row-major, upper triangle meaningful) and `J^T f`.
    pub fn parts(&self) -> (&[f64], &[f64]) {
        (&self.jtj, &self.jtf)
    }

    /// Sums restored from [`Self::parts`]; `None` when the lengths do not fit `n`.
    pub fn from_parts(n: usize, jtj: Vec<f64>, jtf: Vec<f64>) -> Option<Self> {
        (jtj.len() == n * n && jtf.len() == n).then_some(Self { n, jtj, jtf })
    }

    /// Number of parameters.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Zeroes the sums, keeping `n`.
    pub fn clear(&mut self) {
        self.jtj.fill(0.0);
        self.jtf.fill(0.0);
    }

    /// Adds the sums `block` of the parameters `active` (increasing; `block.n()` of them)
    /// at their places: `J^T J[active[i]][active[j]] += block[i][j]`, `J^T f[active[i]] +=
    /// block_f[i]`. The sums of a chunk whose other columns are zero.
    pub fn scatter_add(&mut self, block: &NormalAccumulator, active: &[usize]) {
        let (n, a) = (self.n, block.n);
        debug_assert_eq!(active.len(), a);
        for (i, &pi) in active.iter().enumerate() {
            for (j, &pj) in active.iter().enumerate().skip(i) {
                self.jtj[pi * n + pj] += block.jtj[i * a + j];
            }
            self.jtf[pi] += block.jtf[i];
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
    /// them; `None` when `J^T J` is not numerically positive definite or the
    /// column-equilibrated `cond(R D) > MAX_CONDITION`.
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
        // The condition of the column-equilibrated R D, D = diag(1 / ||J e_k||)
        // (||R e_k||^2 = (J^T J)_kk): Cholesky's error does not depend on the columns'
        // scaling (van der Sluis), so neither does the test. A diffusion coefficient near
        // 1e4 beside a contrast near 0.3 must not send every pass to the QR fold.
        let mut scaled = r.clone();
        for k in 0..n {
            let norm = self.jtj[k * n + k].sqrt();
            for i in 0..=k {
                scaled[i * n + k] /= norm;
            }
        }
        let dec = svd(&scaled, n, n)?;
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
    fn a_block_scattered_equals_the_full_rows() {
        // Rows over 4 parameters whose columns 0 and 2 are zero: the block of columns
        // [1, 3] scattered into place gives the sums of the full rows.
        let (m, rows) = (
            3,
            [
                [0.0, 1.0, 0.0, 2.0],
                [0.0, -1.5, 0.0, 0.5],
                [0.0, 3.0, 0.0, -1.0],
            ],
        );
        let residuals = [0.5, -1.0, 2.0];
        let full_columns: Vec<f64> = (0..4)
            .flat_map(|k| rows.iter().map(move |r| r[k]))
            .collect();
        let mut full = NormalAccumulator::zeros(4);
        full.add(&full_columns, &residuals, m);
        let narrow_columns: Vec<f64> = [1, 3]
            .iter()
            .flat_map(|&k| rows.iter().map(move |r| r[k]))
            .collect();
        let mut block = NormalAccumulator::zeros(2);
        block.add(&narrow_columns, &residuals, m);
        let mut scattered = NormalAccumulator::zeros(4);
        scattered.scatter_add(&block, &[1, 3]);
        assert_eq!(scattered, full);
        block.clear();
        assert!(
            block
                .parts()
                .0
                .iter()
                .chain(block.parts().1)
                .all(|&v| v == 0.0)
        );
    }

    #[test]
    fn ill_conditioned_or_singular_sums_are_refused() {
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 1.0, 1.0, 1.0], &[0.0, 0.0], 2);
        assert!(acc.factor().is_none(), "singular");
        // Two nearly parallel columns: cond(J D) about 2.8e5 whatever their units.
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 1.0, 1e3, 1e3 * (1.0 + 1e-5)], &[0.0, 0.0], 2);
        assert!(acc.factor().is_none(), "nearly parallel: cond 2.8e5");
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 1.0, 1.0, 1.0 + 1e-3], &[0.0, 0.0], 2);
        assert!(acc.factor().is_some(), "cond 2.8e3");
        // Orthogonal columns in units 1e5 apart: perfectly conditioned once equilibrated.
        let mut acc = NormalAccumulator::zeros(2);
        acc.add(&[1.0, 0.0, 0.0, 1e-5], &[0.0, 0.0], 2);
        assert!(acc.factor().is_some(), "units alone");
    }
}

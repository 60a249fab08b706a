//! The folds of a linearisation pass's chunks into a leaf's sums, by [`Accumulation`] and
//! loss (see the [`objective`](crate::objective) module documentation): the fast paths for
//! the linear loss, the narrow rows of a chunk that involves only some parameters, and the
//! careful path that records non-finite values.

use std::sync::atomic::Ordering;

use homodyne_core::Model;

use super::evaluation::Accumulation;
use super::in_memory::{CHUNK_ROWS, InMemoryObjective};
use super::sums::SumsState;
use crate::factor::RFactor;
use crate::jacobian_patch::patch_non_finite_jacobian;
use crate::kernels::{dot, non_finite_flag};
use crate::loss::{Loss, scale_residual};
use crate::normal::{NormalAccumulator, ROW_KERNEL_MAX_PARAMS};

impl<M: Model + ?Sized> InMemoryObjective<'_, M> {
    /// The sums of one leaf of a linearisation pass at `p`.
    #[inline(always)]
    pub(super) fn linearize_leaf(
        &self,
        leaf: usize,
        p: &[f64],
        accumulation: Accumulation,
    ) -> SumsState {
        let d = self.model.x_dim();
        let n = p.len();
        let mut values = vec![0.0; CHUNK_ROWS];
        let mut jac = vec![0.0; CHUNK_ROWS * n];
        let mut columns = vec![0.0; CHUNK_ROWS * n];
        let mut residuals = vec![0.0; CHUNK_ROWS];
        let mut factor = RFactor::zeros(n);
        let mut normal = NormalAccumulator::zeros(n);
        let mut sums = SumsState::empty();
        // Chunks whose rows involve only some parameters (`Model::active_parameters`).
        let mut active = Vec::new();
        let mut narrow = Vec::new();
        let mut block = NormalAccumulator::zeros(0);
        for (lo, hi) in self.chunks(leaf) {
            if self.observer.stop_requested() {
                // The pass will not be used (module docs): skip the rest.
                return SumsState::empty();
            }
            let m = hi - lo;
            if self.loss.is_linear()
                && self
                    .model
                    .active_parameters(&self.x[lo * d..hi * d], &mut active)
                && active.len() < n
            {
                let a = active.len();
                narrow.resize(CHUNK_ROWS * a, 0.0);
                self.model.eval_with_active_jacobian(
                    &self.x[lo * d..hi * d],
                    p,
                    &active,
                    &mut values[..m],
                    &mut jac[..m * a],
                );
                if self.fill_linear_rows(
                    lo,
                    &values[..m],
                    &jac[..m * a],
                    &mut narrow[..m * a],
                    &mut residuals[..m],
                    &mut sums,
                ) {
                    match accumulation {
                        Accumulation::NormalEquations => {
                            if block.n() == a {
                                block.clear();
                            } else {
                                block = NormalAccumulator::zeros(a);
                            }
                            block.add(&narrow[..m * a], &residuals[..m], m);
                            normal.scatter_add(&block, &active);
                        }
                        Accumulation::Qr => {
                            // The QR fold works on full rows: the block's columns in
                            // their places, zeros elsewhere.
                            let full = &mut columns[..m * n];
                            full.fill(0.0);
                            for (k, &column) in active.iter().enumerate() {
                                full[column * m..(column + 1) * m]
                                    .copy_from_slice(&narrow[k * m..(k + 1) * m]);
                            }
                            factor.fold(full, &mut residuals[..m], m);
                        }
                    }
                    continue;
                }
                // A non-finite value: the full rows below record where it is.
            }
            self.model.eval_with_jacobian(
                &self.x[lo * d..hi * d],
                p,
                &mut values[..m],
                &mut jac[..m * n],
            );
            if accumulation == Accumulation::NormalEquations
                && self.loss.is_linear()
                && n <= ROW_KERNEL_MAX_PARAMS
            {
                // Small P: J^T J straight from the model's rows, no copy.
                let weights = self.inv_sigma.as_ref().map(|w| &w[lo..hi]);
                let r = &mut residuals[..m];
                for (row, (v, y)) in r.iter_mut().zip(values[..m].iter().zip(&self.y[lo..hi])) {
                    *row = v - y;
                }
                if let Some(w) = weights {
                    for (row, w) in r.iter_mut().zip(w) {
                        *row *= w;
                    }
                }
                if let Some(sq) = normal.add_rows(&jac[..m * n], weights, r) {
                    sums.chi_squared += sq;
                    sums.cost += 0.5 * sq;
                    sums.scaled_sq += sq;
                    continue;
                }
            }
            // The chunk's weighted rows: by the linear loss's branch-free path (false when
            // a value is not finite, or the loss is robust), or `careful`ly, point by point.
            let mut rows = |jac: &[f64], careful: bool| {
                let (values, columns) = (&values[..m], &mut columns[..m * n]);
                let (residuals, sums) = (&mut residuals[..m], &mut sums);
                if careful {
                    self.fill_rows(lo, values, jac, columns, residuals, sums);
                    return true;
                }
                self.loss.is_linear()
                    && self.fill_linear_rows(lo, values, jac, columns, residuals, sums)
            };
            let mut fast = rows(&jac[..m * n], false);
            if !fast {
                // A non-finite value (or a robust loss): mend the Jacobian entries that
                // finite differences can, then take the rows again.
                let patched = patch_non_finite_jacobian(
                    self.model,
                    &self.x[lo * d..hi * d],
                    p,
                    &values[..m],
                    &mut jac[..m * n],
                );
                if patched > 0 {
                    (self.finite_difference_entries).fetch_add(patched, Ordering::Relaxed);
                    fast = rows(&jac[..m * n], false);
                }
            }
            if !fast {
                rows(&jac[..m * n], true);
            }
            match accumulation {
                Accumulation::Qr => factor.fold(&mut columns[..m * n], &mut residuals[..m], m),
                Accumulation::NormalEquations => normal.add(&columns[..m * n], &residuals[..m], m),
            }
        }
        match accumulation {
            Accumulation::Qr => sums.factor = Some(factor),
            Accumulation::NormalEquations => sums.normal = Some(normal),
        }
        sums
    }

    /// The rows of a chunk for the linear loss, when every value is finite: weighted
    /// residuals and Jacobian columns, with no per-entry branches. Returns false (having
    /// added nothing to `sums`) when a non-finite value is present; the caller then takes
    /// the careful path.
    #[inline(always)]
    fn fill_linear_rows(
        &self,
        lo: usize,
        values: &[f64],
        jac: &[f64],
        columns: &mut [f64],
        residuals: &mut [f64],
        sums: &mut SumsState,
    ) -> bool {
        let (m, n) = (values.len(), jac.len() / values.len().max(1));
        let y = &self.y[lo..lo + m];
        // Column k of the chunk is every n-th entry of the row-major Jacobian from k.
        let columns_of = columns.chunks_exact_mut(m).enumerate();
        match self.inv_sigma.as_ref().map(|w| &w[lo..lo + m]) {
            Some(w) => {
                for ((r, (v, y)), w) in residuals.iter_mut().zip(values.iter().zip(y)).zip(w) {
                    *r = (v - y) * w;
                }
                for (k, column) in columns_of {
                    for ((c, j), w) in column.iter_mut().zip(jac[k..].iter().step_by(n)).zip(w) {
                        *c = j * w;
                    }
                }
            }
            None => {
                for (r, (v, y)) in residuals.iter_mut().zip(values.iter().zip(y)) {
                    *r = v - y;
                }
                for (k, column) in columns_of {
                    for (c, j) in column.iter_mut().zip(jac[k..].iter().step_by(n)) {
                        *c = *j;
                    }
                }
            }
        }
        // A NaN or infinite residual or Jacobian entry makes one of these non-finite.
        let sq = dot(residuals, residuals);
        if !(sq.is_finite() && non_finite_flag(columns) == 0.0) {
            return false;
        }
        sums.chi_squared += sq;
        sums.cost += 0.5 * sq;
        sums.scaled_sq += sq;
        true
    }

    /// The rows of a chunk for any loss, recording non-finite residuals and Jacobian
    /// entries (their rows are folded in as zeros).
    fn fill_rows(
        &self,
        lo: usize,
        values: &[f64],
        jac: &[f64],
        columns: &mut [f64],
        residuals: &mut [f64],
        sums: &mut SumsState,
    ) {
        let (m, n) = (values.len(), jac.len() / values.len().max(1));
        for row in 0..m {
            let i = lo + row;
            let w = self.weight(i);
            let r = (values[row] - self.y[i]) * w;
            let scaled = if (r * r).is_finite() {
                sums.chi_squared += r * r;
                scale_residual(self.loss, self.f_scale, r)
            } else {
                // A residual that is not finite, or whose square overflows.
                sums.invalid_residuals
                    .push(i, if r.is_finite() { r } else { values[row] });
                scale_residual(Loss::Linear, 1.0, 0.0)
            };
            sums.cost += scaled.cost;
            sums.scaled_sq += scaled.residual * scaled.residual;
            residuals[row] = scaled.residual;
            let js = w * scaled.jacobian_scale;
            for k in 0..n {
                let v = jac[row * n + k];
                if !v.is_finite() {
                    sums.invalid_jacobian.push(i * n + k, v);
                    columns[k * m + row] = 0.0;
                } else {
                    columns[k * m + row] = v * js;
                }
            }
        }
    }
}

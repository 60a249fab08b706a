//! [`InMemoryObjective`]: the data in memory, summed leaf by leaf over a fixed reduction
//! tree (see the [`objective`](crate::objective) module documentation); the folds of a
//! linearisation pass's chunks are in the `linearize` module.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use homodyne_core::vector_math::vectorized;
use homodyne_core::{
    Batch, FitObserver, Model, NoObserver, OptimizationError, PassKind, PassProgress,
};

use super::evaluation::{Accumulation, CostEvaluation, Linearization, Objective};
use super::sums::SumsState;
use crate::kernels::dot;
use crate::loss::{Loss, scale_residual};

/// Rows per chunk handed to the model: small enough that a chunk's Jacobian stays in the
/// L1/L2 cache, large enough that the per-call overhead vanishes.
pub const CHUNK_ROWS: usize = 256;

/// Chunks per sequential leaf of the reduction tree. Leaves are the unit of parallel work;
/// their boundaries depend only on `N`, never on the thread count, so results are
/// bit-for-bit identical with any number of threads.
pub const LEAF_CHUNKS: usize = 32;

/// Data held in memory: `x` (`N * x_dim` values), `y` (`N`), optional `sigma` (`N`).
///
/// Residuals are `r_i = (model(x_i, p) - y_i) / sigma_i`.
pub struct InMemoryObjective<'a, M: Model + ?Sized> {
    pub(super) model: &'a M,
    pub(super) x: &'a [f64],
    pub(super) y: &'a [f64],
    pub(super) inv_sigma: Option<Vec<f64>>,
    pub(super) loss: Loss,
    pub(super) f_scale: f64,
    accumulation: Accumulation,
    pub(super) observer: &'a dyn FitObserver,
    /// Jacobian entries taken by finite differences so far ([`crate::jacobian_patch`]).
    pub(super) finite_difference_entries: AtomicUsize,
}

impl<'a, M: Model + ?Sized> InMemoryObjective<'a, M> {
    /// The objective for `model` on `(x, y)` with optional uncertainties `sigma`. The caller
    /// has validated the inputs (lengths, finiteness, positive sigma).
    pub fn new(
        model: &'a M,
        x: &'a [f64],
        y: &'a [f64],
        sigma: Option<&[f64]>,
        loss: Loss,
        f_scale: f64,
    ) -> Self {
        Self {
            model,
            x,
            y,
            inv_sigma: sigma.map(|s| s.iter().map(|v| 1.0 / v).collect()),
            loss,
            f_scale,
            accumulation: Accumulation::Qr,
            observer: &NoObserver,
            finite_difference_entries: AtomicUsize::new(0),
        }
    }

    /// The objective for `model` on the points of `batch` (a streamed batch or a share read
    /// into memory), weighted by its sigma when `weighted`.
    pub fn of_batch(
        model: &'a M,
        batch: &'a Batch,
        weighted: bool,
        loss: Loss,
        f_scale: f64,
    ) -> Self {
        let sigma = weighted.then_some(batch.sigma.as_slice());
        Self::new(model, &batch.x, &batch.y, sigma, loss, f_scale)
    }

    /// How many Jacobian entries the passes so far took by finite differences because the
    /// model's derivative was not finite where its value was
    /// ([`crate::jacobian_patch::patch_non_finite_jacobian`]).
    pub fn finite_difference_entries(&self) -> usize {
        self.finite_difference_entries.load(Ordering::Relaxed)
    }

    /// Reports the progress of every pass to `observer`, leaf by leaf
    /// ([`FitObserver::on_pass_progress`]).
    pub fn with_observer(mut self, observer: &'a dyn FitObserver) -> Self {
        self.observer = observer;
        self
    }

    /// Chooses how linearisation passes sum the Jacobian (default [`Accumulation::Qr`]).
    pub fn with_accumulation(mut self, accumulation: Accumulation) -> Self {
        self.accumulation = accumulation;
        self
    }

    fn n_leaves(&self) -> usize {
        self.y.len().div_ceil(CHUNK_ROWS * LEAF_CHUNKS).max(1)
    }

    /// Runs `leaf` over every leaf and combines the results in a fixed binary tree,
    /// reporting each finished leaf to the observer as progress of a `kind` pass.
    fn pass(&self, kind: PassKind, leaf: &(dyn Fn(usize) -> SumsState + Sync)) -> SumsState {
        let done = AtomicUsize::new(0);
        let total = self.y.len();
        let counted = |index: usize| {
            let sums = leaf(index);
            let points = self.leaf_range(index).len();
            let points_done = done.fetch_add(points, Ordering::Relaxed) + points;
            self.observer.on_pass_progress(&PassProgress {
                kind,
                points_done,
                points_total: total,
            });
            sums
        };
        self.reduce(0..self.n_leaves(), &counted)
    }

    /// Runs `leaf` over `leaves` and combines the results in a fixed binary tree.
    fn reduce(
        &self,
        leaves: Range<usize>,
        leaf: &(dyn Fn(usize) -> SumsState + Sync),
    ) -> SumsState {
        if leaves.len() == 1 {
            return leaf(leaves.start);
        }
        let mid = leaves.start + leaves.len() / 2;
        let (a, b) = rayon::join(
            || self.reduce(leaves.start..mid, leaf),
            || self.reduce(mid..leaves.end, leaf),
        );
        a.combine(b)
    }

    fn leaf_range(&self, leaf: usize) -> Range<usize> {
        let lo = leaf * CHUNK_ROWS * LEAF_CHUNKS;
        lo..(lo + CHUNK_ROWS * LEAF_CHUNKS).min(self.y.len())
    }

    /// The chunks of `leaf`, in order: `(lo, hi)`, the points `lo..hi`.
    pub(super) fn chunks(&self, leaf: usize) -> impl Iterator<Item = (usize, usize)> {
        let range = self.leaf_range(leaf);
        let end = range.end;
        range
            .step_by(CHUNK_ROWS)
            .map(move |lo| (lo, (lo + CHUNK_ROWS).min(end)))
    }

    pub(super) fn weight(&self, i: usize) -> f64 {
        self.inv_sigma.as_ref().map_or(1.0, |w| w[i])
    }

    fn cost_leaf(&self, leaf: usize, p: &[f64]) -> SumsState {
        let d = self.model.x_dim();
        let mut values = vec![0.0; CHUNK_ROWS];
        let mut residuals = vec![0.0; CHUNK_ROWS];
        let mut sums = SumsState::empty();
        for (lo, hi) in self.chunks(leaf) {
            if self.observer.stop_requested() {
                // The pass will not be used (module docs): skip the rest.
                return SumsState::empty();
            }
            let m = hi - lo;
            self.model
                .eval(&self.x[lo * d..hi * d], p, &mut values[..m]);
            if self.loss.is_linear() {
                // Fast path: no per-point branches. A NaN or infinite residual (or one whose
                // square overflows) makes the sum non-finite; the careful path then runs.
                let y = &self.y[lo..hi];
                let r = &mut residuals[..m];
                match self.inv_sigma.as_ref().map(|w| &w[lo..hi]) {
                    Some(w) => {
                        for row in 0..m {
                            r[row] = (values[row] - y[row]) * w[row];
                        }
                    }
                    None => {
                        for row in 0..m {
                            r[row] = values[row] - y[row];
                        }
                    }
                }
                let sq = dot(r, r);
                if sq.is_finite() {
                    sums.chi_squared += sq;
                    sums.cost += 0.5 * sq;
                    continue;
                }
            }
            for (i, &v) in (lo..hi).zip(&values[..m]) {
                let r = (v - self.y[i]) * self.weight(i);
                if !(r * r).is_finite() {
                    // A residual that is not finite, or whose square overflows.
                    sums.invalid_residuals
                        .push(i, if r.is_finite() { r } else { v });
                    continue;
                }
                sums.chi_squared += r * r;
                sums.cost += scale_residual(self.loss, self.f_scale, r).cost;
            }
        }
        sums
    }
}

impl<M: Model + ?Sized> InMemoryObjective<'_, M> {
    /// The cost at `p` (one pass over the data, values only).
    pub fn evaluate_cost(&self, p: &[f64]) -> CostEvaluation {
        self.cost_sums(p).into_cost()
    }

    /// The linearisation at `p` (one pass with derivatives; a second, exact one when the
    /// normal equations are too ill-conditioned).
    pub fn evaluate_linearization(&self, p: &[f64]) -> Linearization {
        let sums = self.linearization_sums(p, self.accumulation);
        sums.into_linearization(p.len(), || self.linearization_sums(p, Accumulation::Qr))
    }

    /// The unfinished sums of a linearisation pass with `accumulation`, to be combined with
    /// other shares' ([`crate::distributed`]).
    /// Over no points these are empty sums, which add nothing when combined.
    pub fn linearization_state(&self, p: &[f64], accumulation: Accumulation) -> SumsState {
        if self.y.is_empty() {
            return SumsState::empty();
        }
        self.linearization_sums(p, accumulation)
    }

    /// The unfinished sums of a cost pass, to be combined with other shares'
    /// ([`crate::distributed`]).
    pub fn cost_state(&self, p: &[f64]) -> SumsState {
        if self.y.is_empty() {
            return SumsState::empty();
        }
        self.cost_sums(p)
    }

    /// The unfinished sums of a linearisation pass with `accumulation`.
    pub(crate) fn linearization_sums(&self, p: &[f64], accumulation: Accumulation) -> SumsState {
        self.pass(PassKind::Linearization, &|leaf| {
            vectorized(
                #[inline(always)]
                || self.linearize_leaf(leaf, p, accumulation),
            )
        })
    }

    /// The unfinished sums of a cost pass.
    pub(crate) fn cost_sums(&self, p: &[f64]) -> SumsState {
        self.pass(PassKind::Cost, &|leaf| self.cost_leaf(leaf, p))
    }

    /// [`OptimizationError::Interrupted`] when the observer has asked to stop (a pass it
    /// asked during may have skipped chunks: its numbers are not to be used).
    fn unless_stopped<T>(&self, value: T) -> Result<T, OptimizationError> {
        if self.observer.stop_requested() {
            Err(OptimizationError::interrupted())
        } else {
            Ok(value)
        }
    }
}

impl<M: Model + ?Sized> Objective for InMemoryObjective<'_, M> {
    fn n_params(&self) -> usize {
        self.model.n_params()
    }

    fn n_residuals(&self) -> usize {
        self.y.len()
    }

    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
        let sums = self.cost_sums(p);
        self.unless_stopped(())?;
        Ok(sums.into_cost())
    }

    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
        let sums = self.linearization_sums(p, self.accumulation);
        self.unless_stopped(())?;
        // Sums too ill-conditioned for the normal equations are redone exactly: a stop
        // asked for during that pass is seen the same way.
        let lin = sums.into_linearization(p.len(), || self.linearization_sums(p, Accumulation::Qr));
        self.unless_stopped(lin)
    }
}

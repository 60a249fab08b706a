//! What the solvers need from the data: the cost at a point, and the linearisation there.
//!
//! The solvers never see the data or the Jacobian; they ask an [`Objective`] for
//! - the cost `C(p)` (one pass over the data: the model's values only), and
//! - the [`Linearization`] at `p`: the cost, `R` and `Q^T f` of the (weighted, robustly
//!   rescaled) Jacobian (one pass with derivatives).
//!
//! How the data are held is the objective's business: [`InMemoryObjective`] holds them in
//! memory (STANDARD, LARGE and CHUNKED); STREAMING reads them from elsewhere and reaches the
//! same numbers, because every strategy computes the same sums.
//!
//! # A pass over the data
//!
//! The points are cut into chunks of [`CHUNK_ROWS`] (the model is called once a chunk, and
//! the chunk's Jacobian stays in cache) and the chunks into leaves of [`LEAF_CHUNKS`], the
//! unit of parallel work. Each leaf folds its chunks into its own `P x P` sums; the leaves'
//! sums are combined over a fixed binary tree ([`rayon::join`]). Both partitions depend on
//! `N` alone, so the result is the same bits on any number of threads. Each leaf runs
//! inside [`vectorized`], so the kernels below use the widest SIMD the CPU has.
//!
//! The fold of a chunk, by [`Accumulation`] and loss:
//! - [`Accumulation::Qr`]: the chunk's weighted columns are folded into `R` by Householder
//!   ([`RFactor::fold`]);
//! - [`Accumulation::NormalEquations`], linear loss, `P <= 7`: `J^T J`, `J^T f` and `f^T f`
//!   are summed straight from the model's row-major Jacobian
//!   ([`NormalAccumulator::add_rows`]): no copy, four rows at a time;
//! - [`Accumulation::NormalEquations`] otherwise: the weighted columns are summed by dot
//!   products, or for `P >= 8` by faer's matrix product ([`NormalAccumulator::add`]).
//!
//! Every fast path checks the chunk's sums for NaN and infinities at once and, if it finds
//! any, redoes the chunk point by point, recording the invalid residuals and Jacobian
//! entries for the validator.
//!
//! An observer given with [`InMemoryObjective::with_observer`] hears of each finished leaf
//! ([`FitObserver::on_pass_progress`]), and may stop a pass
//! ([`FitObserver::stop_requested`], asked before each chunk): once it asks, every chunk
//! not yet begun is skipped, so that the pass ends within a chunk's work on each thread,
//! and [`Objective::cost`] and [`Objective::linearize`] return
//! [`OptimizationError::Interrupted`] instead of the unfinished pass's numbers.

use crate::jacobian_patch::patch_non_finite_jacobian;
use std::sync::atomic::{AtomicUsize, Ordering};

use homodyne_core::vector_math::vectorized;
use homodyne_core::{
    FitObserver, InvalidSample, Model, NoObserver, OptimizationError, PassKind, PassProgress,
};

use crate::factor::RFactor;
use crate::kernels::{dot, non_finite_flag};
use crate::loss::{Loss, scale_residual};
use crate::normal::{NormalAccumulator, ROW_KERNEL_MAX_PARAMS};
use crate::streaming::SumsState;

/// The cost at one parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEvaluation {
    /// `C = 1/2 sum f_s^2 rho((r_i / f_s)^2)`.
    pub cost: f64,
    /// `sum r_i^2` of the weighted residuals (the chi-squared).
    pub chi_squared: f64,
    /// Residuals that were NaN or infinite (their cost counts as infinite).
    pub invalid_residuals: InvalidSample,
}

impl CostEvaluation {
    /// True when every residual was finite (and so is the cost).
    pub fn is_finite(&self) -> bool {
        self.invalid_residuals.is_empty() && self.cost.is_finite()
    }
}

/// The Gauss-Newton linearisation at one parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Linearization {
    /// The cost there.
    pub cost: CostEvaluation,
    /// `R` and `Q^T f~` of the rescaled Jacobian `J~` and residuals `f~`.
    pub factor: RFactor,
    /// `||f~||^2` (equals `2 C` for the linear loss).
    pub scaled_residual_sq: f64,
    /// Jacobian entries that were NaN or infinite (index `point * P + parameter`).
    pub invalid_jacobian: InvalidSample,
}

/// A least-squares problem as the solvers see it.
///
/// Both evaluations may fail for reasons outside the mathematics (a streamed source that
/// cannot be read, a checkpoint that must stop the fit); the solvers pass such errors on.
/// Non-finite values are not errors here: they are reported in the evaluations, and the
/// solvers decide (a trial point with a non-finite cost is rejected).
pub trait Objective: Sync {
    /// Number of parameters `P`.
    fn n_params(&self) -> usize;
    /// Number of residuals `N`.
    fn n_residuals(&self) -> usize;
    /// The cost at `p`.
    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError>;
    /// The linearisation at `p`.
    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError>;
}

/// Rows per chunk handed to the model: small enough that a chunk's Jacobian stays in the
/// L1/L2 cache, large enough that the per-call overhead vanishes.
pub const CHUNK_ROWS: usize = 256;

/// Chunks per sequential leaf of the reduction tree. Leaves are the unit of parallel work;
/// their boundaries depend only on `N`, never on the thread count, so results are
/// bit-for-bit identical with any number of threads.
pub const LEAF_CHUNKS: usize = 32;

/// How a linearisation pass sums the Jacobian (see DESIGN.md, section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Accumulation {
    /// Fold each chunk into `R` by Householder QR: exact to rounding at any conditioning.
    #[default]
    Qr,
    /// Sum `J^T J` and `J^T f` (about half the flops), falling back to the QR fold for a
    /// pass whose `cond(J)` exceeds [`crate::normal::MAX_CONDITION`].
    NormalEquations,
}

/// Data held in memory: `x` (`N * x_dim` values), `y` (`N`), optional `sigma` (`N`).
///
/// Residuals are `r_i = (model(x_i, p) - y_i) / sigma_i`.
pub struct InMemoryObjective<'a, M: Model + ?Sized> {
    model: &'a M,
    x: &'a [f64],
    y: &'a [f64],
    inv_sigma: Option<Vec<f64>>,
    loss: Loss,
    f_scale: f64,
    accumulation: Accumulation,
    observer: &'a dyn FitObserver,
    /// Jacobian entries taken by finite differences so far ([`crate::jacobian_patch`]).
    finite_difference_entries: AtomicUsize,
}

/// Partial sums of one pass over a range of points.
pub(crate) struct PassSums {
    pub(crate) cost: f64,
    pub(crate) chi_squared: f64,
    pub(crate) scaled_sq: f64,
    pub(crate) invalid_residuals: InvalidSample,
    pub(crate) invalid_jacobian: InvalidSample,
    pub(crate) factor: Option<RFactor>,
    pub(crate) normal: Option<NormalAccumulator>,
}

impl PassSums {
    /// Sums over no points.
    pub(crate) fn empty() -> PassSums {
        PassSums {
            cost: 0.0,
            chi_squared: 0.0,
            scaled_sq: 0.0,
            invalid_residuals: InvalidSample::default(),
            invalid_jacobian: InvalidSample::default(),
            factor: None,
            normal: None,
        }
    }

    /// These sums followed by `other`'s (a later range of points). Sums of one kind merge;
    /// empty sums take the other's factor or normal equations.
    pub(crate) fn combine(mut self, other: PassSums) -> PassSums {
        self.cost += other.cost;
        self.chi_squared += other.chi_squared;
        self.scaled_sq += other.scaled_sq;
        self.invalid_residuals.merge(&other.invalid_residuals);
        self.invalid_jacobian.merge(&other.invalid_jacobian);
        match (self.factor.as_mut(), other.factor) {
            (Some(a), Some(b)) => a.merge(&b),
            (None, b) => self.factor = b,
            (Some(_), None) => {}
        }
        match (self.normal.as_mut(), other.normal) {
            (Some(a), Some(b)) => a.merge(&b),
            (None, b) => self.normal = b,
            (Some(_), None) => {}
        }
        self
    }
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
    fn pass(&self, kind: PassKind, leaf: &(dyn Fn(usize) -> PassSums + Sync)) -> PassSums {
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
        leaves: std::ops::Range<usize>,
        leaf: &(dyn Fn(usize) -> PassSums + Sync),
    ) -> PassSums {
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

    fn leaf_range(&self, leaf: usize) -> std::ops::Range<usize> {
        let lo = leaf * CHUNK_ROWS * LEAF_CHUNKS;
        lo..(lo + CHUNK_ROWS * LEAF_CHUNKS).min(self.y.len())
    }

    fn weight(&self, i: usize) -> f64 {
        self.inv_sigma.as_ref().map_or(1.0, |w| w[i])
    }

    fn cost_leaf(&self, leaf: usize, p: &[f64]) -> PassSums {
        let d = self.model.x_dim();
        let range = self.leaf_range(leaf);
        let mut values = vec![0.0; CHUNK_ROWS];
        let mut residuals = vec![0.0; CHUNK_ROWS];
        let mut sums = PassSums::empty();
        let mut lo = range.start;
        while lo < range.end {
            if self.observer.stop_requested() {
                // The pass will not be used (module docs): skip the rest.
                return PassSums::empty();
            }
            let hi = (lo + CHUNK_ROWS).min(range.end);
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
                    lo = hi;
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
            lo = hi;
        }
        sums
    }

    #[inline(always)]
    fn linearize_leaf(&self, leaf: usize, p: &[f64], accumulation: Accumulation) -> PassSums {
        let d = self.model.x_dim();
        let n = p.len();
        let range = self.leaf_range(leaf);
        let mut values = vec![0.0; CHUNK_ROWS];
        let mut jac = vec![0.0; CHUNK_ROWS * n];
        let mut columns = vec![0.0; CHUNK_ROWS * n];
        let mut residuals = vec![0.0; CHUNK_ROWS];
        let mut factor = RFactor::zeros(n);
        let mut normal = NormalAccumulator::zeros(n);
        let mut sums = PassSums::empty();
        // Chunks whose rows involve only some parameters (`Model::active_parameters`).
        let mut active = Vec::new();
        let mut narrow = Vec::new();
        let mut block = NormalAccumulator::zeros(0);
        let mut lo = range.start;
        while lo < range.end {
            if self.observer.stop_requested() {
                // The pass will not be used (module docs): skip the rest.
                return PassSums::empty();
            }
            let hi = (lo + CHUNK_ROWS).min(range.end);
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
                    lo = hi;
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
                    lo = hi;
                    continue;
                }
            }
            let mut linear_rows = |jac: &[f64]| {
                self.loss.is_linear()
                    && self.fill_linear_rows(
                        lo,
                        &values[..m],
                        jac,
                        &mut columns[..m * n],
                        &mut residuals[..m],
                        &mut sums,
                    )
            };
            let mut fast = linear_rows(&jac[..m * n]);
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
                    fast = linear_rows(&jac[..m * n]);
                }
            }
            if !fast {
                self.fill_rows(
                    lo,
                    &values[..m],
                    &jac[..m * n],
                    &mut columns[..m * n],
                    &mut residuals[..m],
                    &mut sums,
                );
            }
            match accumulation {
                Accumulation::Qr => factor.fold(&mut columns[..m * n], &mut residuals[..m], m),
                Accumulation::NormalEquations => normal.add(&columns[..m * n], &residuals[..m], m),
            }
            lo = hi;
        }
        match accumulation {
            Accumulation::Qr => sums.factor = Some(factor),
            Accumulation::NormalEquations => sums.normal = Some(normal),
        }
        sums
    }
}

impl<M: Model + ?Sized> InMemoryObjective<'_, M> {
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
        sums: &mut PassSums,
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
        sums: &mut PassSums,
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
        SumsState::from_pass(&self.linearization_sums(p, accumulation))
    }

    /// The unfinished sums of a cost pass, to be combined with other shares'
    /// ([`crate::distributed`]).
    pub fn cost_state(&self, p: &[f64]) -> SumsState {
        if self.y.is_empty() {
            return SumsState::empty();
        }
        SumsState::from_pass(&self.cost_sums(p))
    }

    /// The unfinished sums of a linearisation pass with `accumulation`.
    pub(crate) fn linearization_sums(&self, p: &[f64], accumulation: Accumulation) -> PassSums {
        self.pass(PassKind::Linearization, &|leaf| {
            vectorized(
                #[inline(always)]
                || self.linearize_leaf(leaf, p, accumulation),
            )
        })
    }

    /// The unfinished sums of a cost pass.
    pub(crate) fn cost_sums(&self, p: &[f64]) -> PassSums {
        self.pass(PassKind::Cost, &|leaf| self.cost_leaf(leaf, p))
    }
}

impl PassSums {
    /// The cost these sums make (infinite when a residual was not finite).
    pub(crate) fn into_cost(self) -> CostEvaluation {
        let cost = if self.invalid_residuals.is_empty() {
            self.cost
        } else {
            f64::INFINITY
        };
        CostEvaluation {
            cost,
            chi_squared: self.chi_squared,
            invalid_residuals: self.invalid_residuals,
        }
    }

    /// The linearisation these sums make. Normal-equation sums too ill-conditioned to
    /// factor are replaced by the exact sums `exact()` computes.
    pub(crate) fn into_linearization(
        mut self,
        n_params: usize,
        exact: impl FnOnce() -> PassSums,
    ) -> Linearization {
        if let Some(normal) = self.normal.take() {
            match normal.factor() {
                Some(factor) => self.factor = Some(factor),
                // Too ill-conditioned for the normal equations: redo this pass exactly.
                None => self = exact(),
            }
        }
        let factor = self
            .factor
            .take()
            .unwrap_or_else(|| RFactor::zeros(n_params));
        let (scaled_residual_sq, invalid_jacobian) =
            (self.scaled_sq, self.invalid_jacobian.clone());
        Linearization {
            cost: self.into_cost(),
            factor,
            scaled_residual_sq,
            invalid_jacobian,
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

impl<M: Model + ?Sized> InMemoryObjective<'_, M> {
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

//! What the solvers need from the data: the cost at a point, and the linearisation there.
//!
//! The solvers never see the data or the Jacobian; they ask an [`Objective`] for
//! - the cost `C(p)` (one pass over the data: the model's values only), and
//! - the [`Linearization`] at `p`: the cost, `R` and `Q^T f` of the (weighted, robustly
//!   rescaled) Jacobian (one pass with derivatives).
//!
//! How the data are held is the objective's business: [`InMemoryObjective`] holds them in
//! memory (the STANDARD strategy); later strategies stream them from elsewhere and reach the
//! same numbers, because every strategy computes the same sums.

use homodyne_core::{InvalidSample, Model};

use crate::factor::RFactor;
use crate::loss::{Loss, scale_residual};
use crate::normal::NormalAccumulator;

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
pub trait Objective: Sync {
    /// Number of parameters `P`.
    fn n_params(&self) -> usize;
    /// Number of residuals `N`.
    fn n_residuals(&self) -> usize;
    /// The cost at `p`.
    fn cost(&self, p: &[f64]) -> CostEvaluation;
    /// The linearisation at `p`.
    fn linearize(&self, p: &[f64]) -> Linearization;
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
}

/// Partial sums of one pass over a range of points.
struct PassSums {
    cost: f64,
    chi_squared: f64,
    scaled_sq: f64,
    invalid_residuals: InvalidSample,
    invalid_jacobian: InvalidSample,
    factor: Option<RFactor>,
    normal: Option<NormalAccumulator>,
}

impl PassSums {
    fn combine(mut self, other: PassSums) -> PassSums {
        self.cost += other.cost;
        self.chi_squared += other.chi_squared;
        self.scaled_sq += other.scaled_sq;
        self.invalid_residuals.merge(&other.invalid_residuals);
        self.invalid_jacobian.merge(&other.invalid_jacobian);
        if let (Some(a), Some(b)) = (self.factor.as_mut(), other.factor.as_ref()) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.normal.as_mut(), other.normal.as_ref()) {
            a.merge(b);
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
        }
    }

    /// Chooses how linearisation passes sum the Jacobian (default [`Accumulation::Qr`]).
    pub fn with_accumulation(mut self, accumulation: Accumulation) -> Self {
        self.accumulation = accumulation;
        self
    }

    fn n_leaves(&self) -> usize {
        self.y.len().div_ceil(CHUNK_ROWS * LEAF_CHUNKS).max(1)
    }

    /// Runs `leaf` over every leaf and combines the results in a fixed binary tree.
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
        let mut sums = PassSums {
            cost: 0.0,
            chi_squared: 0.0,
            scaled_sq: 0.0,
            invalid_residuals: InvalidSample::default(),
            invalid_jacobian: InvalidSample::default(),
            factor: None,
            normal: None,
        };
        let mut lo = range.start;
        while lo < range.end {
            let hi = (lo + CHUNK_ROWS).min(range.end);
            let m = hi - lo;
            self.model
                .eval(&self.x[lo * d..hi * d], p, &mut values[..m]);
            if self.loss.is_linear() {
                // Fast path: no per-point branches; `r * 0.0` flags NaN and infinities.
                let y = &self.y[lo..hi];
                let weights = self.inv_sigma.as_ref().map(|w| &w[lo..hi]);
                let (mut sq, mut flag) = (0.0, 0.0);
                for row in 0..m {
                    let r = (values[row] - y[row]) * weights.map_or(1.0, |w| w[row]);
                    sq += r * r;
                    flag += r * 0.0;
                }
                if flag == 0.0 && sq.is_finite() {
                    sums.chi_squared += sq;
                    sums.cost += 0.5 * sq;
                    lo = hi;
                    continue;
                }
            }
            for (i, &v) in (lo..hi).zip(&values[..m]) {
                let r = (v - self.y[i]) * self.weight(i);
                if !r.is_finite() {
                    sums.invalid_residuals.push(i, v);
                    continue;
                }
                sums.chi_squared += r * r;
                sums.cost += scale_residual(self.loss, self.f_scale, r).cost;
            }
            lo = hi;
        }
        sums
    }

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
        let mut sums = PassSums {
            cost: 0.0,
            chi_squared: 0.0,
            scaled_sq: 0.0,
            invalid_residuals: InvalidSample::default(),
            invalid_jacobian: InvalidSample::default(),
            factor: None,
            normal: None,
        };
        let mut lo = range.start;
        while lo < range.end {
            let hi = (lo + CHUNK_ROWS).min(range.end);
            let m = hi - lo;
            self.model.eval_with_jacobian(
                &self.x[lo * d..hi * d],
                p,
                &mut values[..m],
                &mut jac[..m * n],
            );
            let fast = self.loss.is_linear()
                && self.fill_linear_rows(
                    lo,
                    &values[..m],
                    &jac[..m * n],
                    &mut columns[..m * n],
                    &mut residuals[..m],
                    &mut sums,
                );
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
        let weights = self.inv_sigma.as_ref().map(|w| &w[lo..lo + m]);
        // `v * 0.0` is 0 for finite v and NaN otherwise: the sum flags any NaN or infinity.
        let mut flag = 0.0;
        let mut sq = 0.0;
        for row in 0..m {
            let w = weights.map_or(1.0, |w| w[row]);
            let r = (values[row] - y[row]) * w;
            residuals[row] = r;
            sq += r * r;
            flag += r * 0.0;
            for k in 0..n {
                let v = jac[row * n + k];
                flag += v * 0.0;
                columns[k * m + row] = v * w;
            }
        }
        if !(flag == 0.0 && sq.is_finite()) {
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
            let scaled = if r.is_finite() {
                sums.chi_squared += r * r;
                scale_residual(self.loss, self.f_scale, r)
            } else {
                sums.invalid_residuals.push(i, values[row]);
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

impl<M: Model + ?Sized> Objective for InMemoryObjective<'_, M> {
    fn n_params(&self) -> usize {
        self.model.n_params()
    }

    fn n_residuals(&self) -> usize {
        self.y.len()
    }

    fn cost(&self, p: &[f64]) -> CostEvaluation {
        let sums = self.reduce(0..self.n_leaves(), &|leaf| self.cost_leaf(leaf, p));
        let cost = if sums.invalid_residuals.is_empty() {
            sums.cost
        } else {
            f64::INFINITY
        };
        CostEvaluation {
            cost,
            chi_squared: sums.chi_squared,
            invalid_residuals: sums.invalid_residuals,
        }
    }

    fn linearize(&self, p: &[f64]) -> Linearization {
        let mut sums = self.reduce(0..self.n_leaves(), &|leaf| {
            self.linearize_leaf(leaf, p, self.accumulation)
        });
        if let Some(normal) = sums.normal.take() {
            match normal.factor() {
                Some(factor) => sums.factor = Some(factor),
                // Too ill-conditioned for the normal equations: redo this pass exactly.
                None => {
                    sums = self.reduce(0..self.n_leaves(), &|leaf| {
                        self.linearize_leaf(leaf, p, Accumulation::Qr)
                    })
                }
            }
        }
        let cost = if sums.invalid_residuals.is_empty() {
            sums.cost
        } else {
            f64::INFINITY
        };
        Linearization {
            cost: CostEvaluation {
                cost,
                chi_squared: sums.chi_squared,
                invalid_residuals: sums.invalid_residuals,
            },
            factor: sums.factor.unwrap_or_else(|| RFactor::zeros(p.len())),
            scaled_residual_sq: sums.scaled_sq,
            invalid_jacobian: sums.invalid_jacobian,
        }
    }
}

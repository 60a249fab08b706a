//! [`ResidualModel`]: a residual problem as a [`Model`] of the residual indices, whose
//! residual vector and Jacobian are computed once per parameter vector.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use super::problem::ResidualProblem;
use crate::model::{JacobianKind, Model};

/// Parameter vectors whose evaluations are kept: the solver's current and trial points, with
/// room for fits of the same problem running side by side.
const CACHE_SLOTS: usize = 4;

/// The residuals, and the residuals with the Jacobian, at one parameter vector: each
/// computed on first use, once, whichever thread asks first (the others wait for it).
#[derive(Clone)]
struct Slot {
    /// The parameter vector's bits.
    key: Vec<u64>,
    /// [`ResidualProblem::residuals`].
    residuals: Arc<OnceLock<Vec<f64>>>,
    /// [`ResidualProblem::residuals_with_jacobian`]: the residuals and the `m x n` Jacobian.
    linearized: Arc<OnceLock<(Vec<f64>, Vec<f64>)>>,
}

/// Presents a [`ResidualProblem`] as a [`Model`], so that the curve-fitting solvers fit it:
/// point `i` is the residual `r_i`, with the predictor `x_i = i` (as `f64`, one value per
/// point) and the observation `y_i = 0` ([`ResidualModel::points`]); the fit's residual
/// `f(x_i; p) - y_i` is `r_i(p)` and its cost `1/2 sum r_i^2`.
///
/// The solvers ask for chunks of consecutive points, from several threads, at the same
/// parameters: the whole residual vector (or the residuals and the Jacobian) is computed once
/// per parameter vector and the chunks' rows are served from it (the last few parameter
/// vectors are kept, keyed by their bits). The values of [`Model::eval`] are those of
/// [`ResidualProblem::residuals`], and those of [`Model::eval_with_jacobian`] those of
/// [`ResidualProblem::residuals_with_jacobian`], whichever thread asked first. The Jacobian
/// is held in full: `8 m n` bytes.
///
/// A predictor that is not the index of a residual (not a whole number in `0..m`) gets a NaN
/// value and NaN derivatives, which the solvers report as invalid points.
///
/// `P` is the problem or a reference to it (`ResidualModel<&dyn ResidualProblem>`,
/// `ResidualModel<Box<dyn ResidualProblem>>`).
///
/// # Example
/// ```
/// use homodyne_core::{AutoDiffResiduals, GenericResiduals, Model, ResidualModel, Scalar};
///
/// struct Rosenbrock;
/// impl GenericResiduals for Rosenbrock {
///     fn n_params(&self) -> usize { 2 }
///     fn n_residuals(&self) -> usize { 2 }
///     fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]) {
///         out[0] = (p[1] - p[0] * p[0]) * 10.0;
///         out[1] = T::cst(1.0) - p[0];
///     }
/// }
///
/// let problem = AutoDiffResiduals::new(Rosenbrock);
/// let model = ResidualModel::new(&problem);
/// let (x, y) = model.points();
/// assert_eq!((x, y), (vec![0.0, 1.0], vec![0.0, 0.0]));
/// // The second point alone, as a solver's chunk would ask for it.
/// let (mut r, mut jac) = ([0.0], [0.0; 2]);
/// model.eval_with_jacobian(&[1.0], &[-1.2, 1.0], &mut r, &mut jac);
/// assert_eq!((r, jac), ([2.2], [-1.0, 0.0]));
/// ```
pub struct ResidualModel<P> {
    problem: P,
    n_params: usize,
    n_residuals: usize,
    cache: Mutex<VecDeque<Slot>>,
}

impl<P> std::fmt::Debug for ResidualModel<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidualModel")
            .field("n_params", &self.n_params)
            .field("n_residuals", &self.n_residuals)
            .finish_non_exhaustive()
    }
}

impl<P: ResidualProblem> ResidualModel<P> {
    /// Wraps `problem`, reading its sizes once.
    ///
    /// ```
    /// # use homodyne_core::{FiniteDiffResiduals, Model, ResidualModel, ResidualProblem};
    /// let problem = FiniteDiffResiduals::new(1, 3, |p: &[f64], r: &mut [f64]| r.fill(p[0]));
    /// let boxed: Box<dyn ResidualProblem> = Box::new(problem);
    /// let model = ResidualModel::new(boxed);
    /// assert_eq!((model.n_params(), model.x_dim()), (1, 1));
    /// ```
    pub fn new(problem: P) -> Self {
        Self {
            n_params: problem.n_params(),
            n_residuals: problem.n_residuals(),
            problem,
            cache: Mutex::new(VecDeque::with_capacity(CACHE_SLOTS)),
        }
    }

    /// The points to fit: the predictors `x_i = i` and the observations `y_i = 0`, for the
    /// `m` residuals.
    ///
    /// ```
    /// # use homodyne_core::{FiniteDiffResiduals, ResidualModel};
    /// let problem = FiniteDiffResiduals::new(1, 3, |p: &[f64], r: &mut [f64]| r.fill(p[0]));
    /// let (x, y) = ResidualModel::new(&problem).points();
    /// assert_eq!((x, y), (vec![0.0, 1.0, 2.0], vec![0.0; 3]));
    /// ```
    pub fn points(&self) -> (Vec<f64>, Vec<f64>) {
        let x = (0..self.n_residuals).map(|i| i as f64).collect();
        (x, vec![0.0; self.n_residuals])
    }

    /// The wrapped problem.
    ///
    /// ```
    /// # use homodyne_core::{FiniteDiffResiduals, ResidualModel, ResidualProblem};
    /// let problem = FiniteDiffResiduals::new(1, 3, |p: &[f64], r: &mut [f64]| r.fill(p[0]));
    /// assert_eq!(ResidualModel::new(&problem).problem().n_residuals(), 3);
    /// ```
    pub fn problem(&self) -> &P {
        &self.problem
    }

    /// The cache slot of `p`: found (and moved to the front), or new at the front, the
    /// oldest beyond [`CACHE_SLOTS`] dropped. The lock is held only for this look-up.
    fn slot(&self, p: &[f64]) -> Slot {
        // A thread that panicked while holding the lock left the queue itself consistent.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let key: Vec<u64> = p.iter().map(|v| v.to_bits()).collect();
        let slot = match cache.iter().position(|s| s.key == key) {
            Some(i) => cache.remove(i).expect("a position found"),
            None => Slot {
                key,
                residuals: Arc::default(),
                linearized: Arc::default(),
            },
        };
        cache.push_front(slot.clone());
        cache.truncate(CACHE_SLOTS);
        slot
    }

    /// The residual index a predictor stands for, if it is one.
    fn index(&self, x: f64) -> Option<usize> {
        (x >= 0.0 && x.fract() == 0.0 && x < self.n_residuals as f64).then_some(x as usize)
    }
}

impl<P: ResidualProblem> Model for ResidualModel<P> {
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        let slot = self.slot(p);
        let residuals = slot.residuals.get_or_init(|| {
            let mut r = vec![0.0; self.n_residuals];
            self.problem.residuals(p, &mut r);
            r
        });
        for (v, &xi) in values.iter_mut().zip(x) {
            *v = self.index(xi).map_or(f64::NAN, |i| residuals[i]);
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let n = self.n_params;
        let slot = self.slot(p);
        let (residuals, full) = slot.linearized.get_or_init(|| {
            let (mut r, mut jac) = (vec![0.0; self.n_residuals], vec![0.0; self.n_residuals * n]);
            self.problem.residuals_with_jacobian(p, &mut r, &mut jac);
            (r, jac)
        });
        for (i, (v, &xi)) in values.iter_mut().zip(x).enumerate() {
            let row = &mut jacobian[i * n..(i + 1) * n];
            match self.index(xi) {
                Some(k) => {
                    *v = residuals[k];
                    row.copy_from_slice(&full[k * n..(k + 1) * n]);
                }
                None => {
                    *v = f64::NAN;
                    row.fill(f64::NAN);
                }
            }
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        self.problem.jacobian_kind()
    }
    fn param_names(&self) -> Vec<String> {
        self.problem.param_names()
    }
}

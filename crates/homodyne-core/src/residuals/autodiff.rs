//! [`AutoDiffResiduals`]: the Jacobian of a [`GenericResiduals`] by dual numbers.

use std::ops::Range;

use num_dual::DualSVec64;

use super::problem::{GenericResiduals, ResidualProblem};
use crate::autodiff::seeding::{SeededPass, all_seeds, run_seeded, store};
use crate::dual::Scalar;
use crate::model::JacobianKind;

/// Differentiates a [`GenericResiduals`] by forward-mode dual numbers, for a parameter count
/// known only at run time, as [`DynAutoDiff`](crate::DynAutoDiff) does: one evaluation of all
/// `m` residuals with `DualSVec64<n>` up to
/// [`MAX_DUAL_DIRECTIONS`](crate::autodiff::MAX_DUAL_DIRECTIONS) (32) parameters, one per
/// block of 32 parameters above that.
///
/// An evaluation with derivatives holds the `m` residuals as dual numbers:
/// `m (K + 2) 8` bytes (2.1 MB for `m = 1e4` residuals of 24 parameters).
///
/// # Example
/// ```
/// use homodyne_core::{AutoDiffResiduals, GenericResiduals, JacobianKind, ResidualProblem, Scalar};
///
/// /// r_i = p_i - i for i < n, and r_n = sum_k p_k^2: n parameters chosen at run time.
/// struct Ridge { n: usize }
/// impl GenericResiduals for Ridge {
///     fn n_params(&self) -> usize { self.n }
///     fn n_residuals(&self) -> usize { self.n + 1 }
///     fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]) {
///         for (i, &pi) in p.iter().enumerate() {
///             out[i] = pi - i as f64;
///             out[self.n] += pi * pi;
///         }
///     }
/// }
///
/// let problem = AutoDiffResiduals::new(Ridge { n: 40 });
/// assert_eq!(problem.jacobian_kind(), JacobianKind::AutoDiff);
/// let p = vec![1.0; 40];
/// let (mut r, mut jac) = (vec![0.0; 41], vec![0.0; 41 * 40]);
/// problem.residuals_with_jacobian(&p, &mut r, &mut jac);
/// assert_eq!(r[40], 40.0);
/// assert_eq!(jac[3 * 40 + 3], 1.0);
/// assert!(jac[40 * 40..].iter().all(|&d| d == 2.0)); // d r_n / d p_k = 2 p_k
/// ```
#[derive(Debug, Clone)]
pub struct AutoDiffResiduals<R> {
    problem: R,
}

impl<R: GenericResiduals> AutoDiffResiduals<R> {
    /// Wraps `problem`.
    ///
    /// ```
    /// # use homodyne_core::{AutoDiffResiduals, GenericResiduals, ResidualProblem, Scalar};
    /// struct Circle;
    /// impl GenericResiduals for Circle {
    ///     fn n_params(&self) -> usize { 2 }
    ///     fn n_residuals(&self) -> usize { 1 }
    ///     fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]) {
    ///         out[0] = p[0].hypot(p[1]) - 1.0;
    ///     }
    /// }
    /// let problem = AutoDiffResiduals::new(Circle);
    /// assert_eq!((problem.n_params(), problem.n_residuals()), (2, 1));
    /// ```
    pub fn new(problem: R) -> Self {
        Self { problem }
    }

    /// The wrapped problem.
    ///
    /// ```
    /// # use homodyne_core::{AutoDiffResiduals, GenericResiduals, Scalar};
    /// # struct Circle;
    /// # impl GenericResiduals for Circle {
    /// #     fn n_params(&self) -> usize { 2 }
    /// #     fn n_residuals(&self) -> usize { 1 }
    /// #     fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]) {
    /// #         out[0] = p[0].hypot(p[1]) - 1.0;
    /// #     }
    /// # }
    /// let problem = AutoDiffResiduals::new(Circle);
    /// let mut r = [0.0];
    /// problem.inner().residuals(&[3.0, 4.0], &mut r);
    /// assert_eq!(r, [4.0]);
    /// ```
    pub fn inner(&self) -> &R {
        &self.problem
    }
}

/// One evaluation of the residuals over dual numbers: their values (on the first block) and
/// the block's columns of the Jacobian.
struct ResidualPass<'a, R> {
    problem: &'a R,
    out: &'a mut [f64],
    jacobian: &'a mut [f64],
    n_params: usize,
}

impl<R: GenericResiduals> SeededPass for ResidualPass<'_, R> {
    fn run_all<const K: usize>(&mut self, p: &[f64; K]) {
        self.run_block::<K>(&all_seeds(p), 0..K);
    }

    fn run_block<const K: usize>(&mut self, seeds: &[DualSVec64<K>], block: Range<usize>) {
        let mut residuals = vec![<DualSVec64<K> as Scalar>::cst(0.0); self.out.len()];
        self.problem.residuals(seeds, &mut residuals);
        let first = block.start == 0;
        let rows = self
            .out
            .iter_mut()
            .zip(self.jacobian.chunks_exact_mut(self.n_params));
        for ((r, row), y) in rows.zip(&residuals) {
            store(y, first.then_some(r), &mut row[block.clone()]);
        }
    }
}

impl<R: GenericResiduals> ResidualProblem for AutoDiffResiduals<R> {
    fn n_params(&self) -> usize {
        self.problem.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.problem.n_residuals()
    }
    fn residuals(&self, p: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        self.problem.residuals::<f64>(p, out);
    }
    fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jacobian: &mut [f64]) {
        let n_params = self.problem.n_params();
        if n_params == 0 {
            // No Jacobian columns: the residuals alone.
            self.residuals(p, out);
            return;
        }
        let mut pass = ResidualPass {
            problem: &self.problem,
            out,
            jacobian,
            n_params,
        };
        run_seeded(&p[..n_params], &mut pass);
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::AutoDiff
    }
    fn param_names(&self) -> Vec<String> {
        self.problem.param_names()
    }
}

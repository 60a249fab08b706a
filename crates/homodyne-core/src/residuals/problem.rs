//! The two ways a residual problem is stated: [`GenericResiduals`] (generic over the scalar
//! type, for dual numbers) and [`ResidualProblem`] (what the solvers evaluate).

use crate::dual::Scalar;
use crate::model::JacobianKind;

/// A residual problem written once for any [`Scalar`]: evaluated with `f64` for the
/// residuals and with dual numbers for the Jacobian. Wrap it in [`AutoDiffResiduals`](super::AutoDiffResiduals).
///
/// # Example
/// ```
/// use homodyne_core::{AutoDiffResiduals, GenericResiduals, ResidualProblem, Scalar};
///
/// /// Rosenbrock's function as residuals: 10 (p1 - p0^2) and 1 - p0.
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
/// let (mut r, mut jac) = ([0.0; 2], [0.0; 4]);
/// problem.residuals_with_jacobian(&[-1.2, 1.0], &mut r, &mut jac);
/// assert_eq!(jac, [24.0, 10.0, -1.0, 0.0]);
/// ```
pub trait GenericResiduals: Sync {
    /// Number of parameters `n`.
    fn n_params(&self) -> usize;
    /// Number of residuals `m`.
    fn n_residuals(&self) -> usize;
    /// Writes the `m` residuals at `p` (`n` values) to `out` (`m` values, set to zero on
    /// entry).
    fn residuals<T: Scalar>(&self, p: &[T], out: &mut [T]);
    /// Parameter names for reports (`b1`, `b2`, ... by default).
    fn param_names(&self) -> Vec<String> {
        (1..=self.n_params()).map(|k| format!("b{k}")).collect()
    }
}

/// What a fit needs of a residual problem: the residuals at `p` and their Jacobian.
///
/// Implemented by [`AutoDiffResiduals`](super::AutoDiffResiduals) and [`FiniteDiffResiduals`](super::FiniteDiffResiduals); implement it directly
/// for hand-written derivatives. [`ResidualModel`](super::ResidualModel) runs it through the solvers.
///
/// # Example
/// ```
/// use homodyne_core::{JacobianKind, ResidualProblem};
///
/// /// r_i = p0 exp(p1 t_i) - y_i: an exponential through three points, derivatives by hand.
/// struct Growth { t: [f64; 3], y: [f64; 3] }
/// impl ResidualProblem for Growth {
///     fn n_params(&self) -> usize { 2 }
///     fn n_residuals(&self) -> usize { 3 }
///     fn residuals(&self, p: &[f64], out: &mut [f64]) {
///         for ((r, t), y) in out.iter_mut().zip(self.t).zip(self.y) {
///             *r = p[0] * (p[1] * t).exp() - y;
///         }
///     }
///     fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jac: &mut [f64]) {
///         self.residuals(p, out);
///         for (row, t) in jac.chunks_exact_mut(2).zip(self.t) {
///             let e = (p[1] * t).exp();
///             row.copy_from_slice(&[e, p[0] * t * e]);
///         }
///     }
///     fn jacobian_kind(&self) -> JacobianKind { JacobianKind::Exact }
/// }
///
/// let problem = Growth { t: [0.0, 1.0, 2.0], y: [1.0, 2.0, 4.0] };
/// let mut r = [0.0; 3];
/// problem.residuals(&[1.0, 2f64.ln()], &mut r);
/// assert!(r.iter().all(|r| r.abs() < 1e-14));
/// ```
pub trait ResidualProblem: Sync {
    /// Number of parameters `n`.
    fn n_params(&self) -> usize;
    /// Number of residuals `m`.
    fn n_residuals(&self) -> usize;
    /// Writes the `m` residuals at `p` to `out`.
    fn residuals(&self, p: &[f64], out: &mut [f64]);
    /// Writes the residuals to `out` and their Jacobian to `jacobian` (`m x n`, row-major:
    /// `jacobian[i * n + k] = d r_i / d p_k`).
    fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jacobian: &mut [f64]);
    /// How [`ResidualProblem::residuals_with_jacobian`] obtains its derivatives.
    fn jacobian_kind(&self) -> JacobianKind;
    /// Parameter names for reports (`b1`, `b2`, ... by default).
    fn param_names(&self) -> Vec<String> {
        (1..=self.n_params()).map(|k| format!("b{k}")).collect()
    }
}

/// `ResidualProblem` for references and boxes: every method forwards to the problem
/// pointed to.
macro_rules! forward_residual_problem {
    ($($pointer:ty),+) => {$(
        impl<R: ResidualProblem + ?Sized> ResidualProblem for $pointer {
            fn n_params(&self) -> usize {
                (**self).n_params()
            }
            fn n_residuals(&self) -> usize {
                (**self).n_residuals()
            }
            fn residuals(&self, p: &[f64], out: &mut [f64]) {
                (**self).residuals(p, out)
            }
            fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jacobian: &mut [f64]) {
                (**self).residuals_with_jacobian(p, out, jacobian)
            }
            fn jacobian_kind(&self) -> JacobianKind {
                (**self).jacobian_kind()
            }
            fn param_names(&self) -> Vec<String> {
                (**self).param_names()
            }
        }
    )+};
}

forward_residual_problem!(&R, Box<R>);

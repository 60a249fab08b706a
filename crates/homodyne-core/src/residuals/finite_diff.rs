//! [`FiniteDiffResiduals`]: a closure's residuals, differentiated by finite differences.

use super::problem::ResidualProblem;
use crate::finite_diff::{DifferenceScheme, StepRule, central_quotient};
use crate::model::JacobianKind;

/// A residual problem given as a closure `f(p, r)` writing the `m` residuals at `p`, with a
/// finite-difference Jacobian: column `k` from the residuals at `p + h_k e_k` (forward) or
/// at `p +- h_k e_k` (central, the default), with the steps `h_k` of
/// [`ClosureModel`](crate::ClosureModel) (see [`finite_diff`](crate::finite_diff)): `n` or
/// `2 n` extra evaluations of all residuals. Where one side of a central difference is not
/// finite, the one-sided quotient on the other side is used for that residual.
///
/// # Example
/// ```
/// use homodyne_core::{FiniteDiffResiduals, JacobianKind, ResidualProblem};
///
/// // Rosenbrock: 10 (p1 - p0^2) and 1 - p0.
/// let problem = FiniteDiffResiduals::new(2, 2, |p: &[f64], r: &mut [f64]| {
///     r[0] = 10.0 * (p[1] - p[0] * p[0]);
///     r[1] = 1.0 - p[0];
/// });
/// assert_eq!(problem.jacobian_kind(), JacobianKind::FiniteDifference);
/// let (mut r, mut jac) = ([0.0; 2], [0.0; 4]);
/// problem.residuals_with_jacobian(&[-1.2, 1.0], &mut r, &mut jac);
/// assert!((jac[0] - 24.0).abs() < 1e-8 && (jac[1] - 10.0).abs() < 1e-8);
/// ```
pub struct FiniteDiffResiduals<F> {
    f: F,
    n_params: usize,
    n_residuals: usize,
    steps: StepRule,
}

impl<F> std::fmt::Debug for FiniteDiffResiduals<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FiniteDiffResiduals")
            .field("n_params", &self.n_params)
            .field("n_residuals", &self.n_residuals)
            .field("scheme", &self.steps.scheme)
            .field("typical_sizes", &self.steps.typical_sizes)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&[f64], &mut [f64]) + Sync> FiniteDiffResiduals<F> {
    /// The problem of `n_params` parameters whose `n_residuals` residuals `f(p, r)` writes
    /// to `r`.
    ///
    /// ```
    /// # use homodyne_core::{FiniteDiffResiduals, ResidualProblem};
    /// let problem = FiniteDiffResiduals::new(1, 2, |p: &[f64], r: &mut [f64]| {
    ///     r[0] = p[0] - 1.0;
    ///     r[1] = p[0] + 1.0;
    /// });
    /// assert_eq!((problem.n_params(), problem.n_residuals()), (1, 2));
    /// ```
    pub fn new(n_params: usize, n_residuals: usize, f: F) -> Self {
        Self {
            f,
            n_params,
            n_residuals,
            steps: StepRule::default(),
        }
    }

    /// Chooses forward or central differences.
    ///
    /// ```
    /// # use homodyne_core::{DifferenceScheme, FiniteDiffResiduals, ResidualProblem};
    /// let problem = FiniteDiffResiduals::new(1, 1, |p: &[f64], r: &mut [f64]| r[0] = p[0] * p[0])
    ///     .with_scheme(DifferenceScheme::Forward);
    /// let (mut r, mut jac) = ([0.0], [0.0]);
    /// problem.residuals_with_jacobian(&[3.0], &mut r, &mut jac);
    /// assert!((jac[0] - 6.0).abs() < 1e-6);
    /// ```
    pub fn with_scheme(mut self, scheme: DifferenceScheme) -> Self {
        self.steps.scheme = scheme;
        self
    }

    /// Typical magnitudes of the parameters, used as the step floor of parameters near zero.
    ///
    /// ```
    /// # use homodyne_core::{FiniteDiffResiduals, ResidualProblem};
    /// // A parameter of size 1e-9 at 0: a step of 1e-9 eps^(1/3), not 1e-6 eps^(1/3).
    /// let problem = FiniteDiffResiduals::new(1, 1, |p: &[f64], r: &mut [f64]| {
    ///     r[0] = (p[0] * 1e9).sin();
    /// })
    /// .with_typical_sizes(vec![1e-9]);
    /// let (mut r, mut jac) = ([0.0], [0.0]);
    /// problem.residuals_with_jacobian(&[0.0], &mut r, &mut jac);
    /// assert!((jac[0] - 1e9).abs() < 1e-9 * 1e9);
    /// ```
    pub fn with_typical_sizes(mut self, sizes: Vec<f64>) -> Self {
        self.steps.typical_sizes = Some(sizes);
        self
    }
}

impl<F: Fn(&[f64], &mut [f64]) + Sync> ResidualProblem for FiniteDiffResiduals<F> {
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn n_residuals(&self) -> usize {
        self.n_residuals
    }
    fn residuals(&self, p: &[f64], out: &mut [f64]) {
        (self.f)(p, out)
    }
    fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jacobian: &mut [f64]) {
        let n = self.n_params;
        (self.f)(p, out);
        let m = out.len();
        let (mut shifted, mut up, mut down) = (p.to_vec(), vec![0.0; m], vec![0.0; m]);
        for k in 0..n {
            let h = self.steps.step(k, p[k]);
            let pk_up = p[k] + h;
            shifted[k] = pk_up;
            (self.f)(&shifted, &mut up);
            let column = jacobian.iter_mut().skip(k).step_by(n);
            match self.steps.scheme {
                DifferenceScheme::Forward => {
                    let dh = pk_up - p[k];
                    for ((d, &f_up), &f_at) in column.zip(&up).zip(out.iter()) {
                        *d = (f_up - f_at) / dh;
                    }
                }
                DifferenceScheme::Central => {
                    let pk_down = p[k] - h;
                    shifted[k] = pk_down;
                    (self.f)(&shifted, &mut down);
                    for (((d, &f_up), &f_down), &f_at) in column.zip(&up).zip(&down).zip(out.iter())
                    {
                        *d = central_quotient(f_up, f_down, f_at, pk_up, p[k], pk_down);
                    }
                }
            }
            shifted[k] = p[k];
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::FiniteDifference
    }
}

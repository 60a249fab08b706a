//! The model abstraction: what a fit needs to know about the function being fitted.
//!
//! A model maps a point's predictors `x` (one or several values, see [`Model::x_dim`]) and
//! the parameter vector `p` to a predicted value. The solvers never call it point by point:
//! they hand it a *chunk* of points (`m` points, `m * x_dim` values of `x`, laid out point
//! after point) and ask for `m` values and, for the linearisation, the `m x n_params`
//! Jacobian in row-major order:
//!
//! ```text
//! jacobian[i * n_params + k] = d model(x_i, p) / d p_k
//! ```
//!
//! Chunks are evaluated on several threads at once, so a model is `Sync`.
//!
//! Three ways to obtain a model:
//! 1. implement [`Model`] directly with hand-written derivatives ([`JacobianKind::Exact`]);
//! 2. implement [`GenericModel`](crate::GenericModel) once, generic over the scalar type, and
//!    wrap it in [`AutoDiff`](crate::AutoDiff) for derivatives exact to rounding;
//! 3. wrap a plain closure in [`ClosureModel`](crate::ClosureModel), which differentiates by
//!    finite differences.

/// How a model's Jacobian is obtained; reported in fit results and used to choose defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum JacobianKind {
    /// Hand-written analytic derivatives.
    Exact,
    /// Forward-mode automatic differentiation (dual numbers): exact to rounding.
    AutoDiff,
    /// Finite differences: approximate.
    FiniteDifference,
}

/// A model function `y = f(x; p)` with its Jacobian with respect to `p`.
///
/// # Example
/// ```
/// use homodyne_core::{JacobianKind, Model};
///
/// /// y = a * exp(-b * x) + c
/// struct Decay;
///
/// impl Model for Decay {
///     fn n_params(&self) -> usize { 3 }
///     fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
///         for (v, &xi) in values.iter_mut().zip(x) {
///             *v = p[0] * (-p[1] * xi).exp() + p[2];
///         }
///     }
///     fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
///         for ((v, row), &xi) in values.iter_mut().zip(jac.chunks_exact_mut(3)).zip(x) {
///             let e = (-p[1] * xi).exp();
///             *v = p[0] * e + p[2];
///             row.copy_from_slice(&[e, -p[0] * xi * e, 1.0]);
///         }
///     }
///     fn jacobian_kind(&self) -> JacobianKind { JacobianKind::Exact }
/// }
///
/// let mut y = [0.0; 2];
/// Decay.eval(&[0.0, 1.0], &[2.0, 1.0, 0.5], &mut y);
/// assert_eq!(y[0], 2.5);
/// ```
pub trait Model: Sync {
    /// Number of parameters `P`.
    fn n_params(&self) -> usize;

    /// Number of predictor values per point (1 for `y = f(x)`, 2 for `y = f(x1, x2)`).
    fn x_dim(&self) -> usize {
        1
    }

    /// Evaluates the model at the `values.len()` points of `x` (`values.len() * x_dim`
    /// values, point after point).
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]);

    /// Evaluates the model and its Jacobian (row-major, `values.len() x n_params`).
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]);

    /// How [`Model::eval_with_jacobian`] obtains its derivatives.
    fn jacobian_kind(&self) -> JacobianKind;

    /// The parameters whose Jacobian columns can be nonzero at the points `x` (one chunk
    /// of consecutive points), written to `active` in increasing order; `false` (the
    /// default) when that is every parameter.
    ///
    /// A model whose rows each involve few of its parameters (a contrast and an offset per
    /// angle beside shared physical parameters, say) lets the solver sum a small
    /// `A x A` block per chunk instead of the full `P x P` one, through
    /// [`Model::eval_with_active_jacobian`]. The sums are the same: the other columns are
    /// zero on these points.
    fn active_parameters(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
        let _ = (x, active);
        false
    }

    /// [`Model::eval_with_jacobian`] restricted to the columns `active` (as
    /// [`Model::active_parameters`] gave them for these points): `jacobian` is row-major,
    /// `values.len() x active.len()`.
    ///
    /// The default evaluates the full Jacobian and gathers the columns; a model that
    /// reports active parameters should write the narrow rows directly.
    fn eval_with_active_jacobian(
        &self,
        x: &[f64],
        p: &[f64],
        active: &[usize],
        values: &mut [f64],
        jacobian: &mut [f64],
    ) {
        let n = self.n_params();
        let mut full = vec![0.0; values.len() * n];
        self.eval_with_jacobian(x, p, values, &mut full);
        for (row, narrow) in full
            .chunks_exact(n)
            .zip(jacobian.chunks_exact_mut(active.len()))
        {
            for (out, &k) in narrow.iter_mut().zip(active) {
                *out = row[k];
            }
        }
    }

    /// Parameter names for reports (`b1`, `b2`, ... by default).
    fn param_names(&self) -> Vec<String> {
        (1..=self.n_params()).map(|k| format!("b{k}")).collect()
    }
}

/// `Model` for references and boxes: every method forwards to the model pointed to, so
/// that its own overrides (active columns, exact Jacobians) are kept.
macro_rules! forward_model {
    ($($pointer:ty),+) => {$(
        impl<M: Model + ?Sized> Model for $pointer {
            fn n_params(&self) -> usize {
                (**self).n_params()
            }
            fn x_dim(&self) -> usize {
                (**self).x_dim()
            }
            fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
                (**self).eval(x, p, values)
            }
            fn eval_with_jacobian(
                &self,
                x: &[f64],
                p: &[f64],
                values: &mut [f64],
                jacobian: &mut [f64],
            ) {
                (**self).eval_with_jacobian(x, p, values, jacobian)
            }
            fn jacobian_kind(&self) -> JacobianKind {
                (**self).jacobian_kind()
            }
            fn active_parameters(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
                (**self).active_parameters(x, active)
            }
            fn eval_with_active_jacobian(
                &self,
                x: &[f64],
                p: &[f64],
                active: &[usize],
                values: &mut [f64],
                jacobian: &mut [f64],
            ) {
                (**self).eval_with_active_jacobian(x, p, active, values, jacobian)
            }
            fn param_names(&self) -> Vec<String> {
                (**self).param_names()
            }
        }
    )+};
}

forward_model!(&M, Box<M>);

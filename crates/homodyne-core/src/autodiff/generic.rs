//! [`GenericModel`]: a model function written once for any scalar type, the input of
//! [`AutoDiff`](super::AutoDiff) and [`DynAutoDiff`](super::DynAutoDiff).

use crate::dual::Scalar;

/// A model function written once for any [`Scalar`]: evaluated with `f64` for values and
/// with dual numbers for exact derivatives. Wrap it in [`AutoDiff`](super::AutoDiff) to fit it.
///
/// Mark `eval` `#[inline]` (or `#[inline(always)]`): [`AutoDiff`](super::AutoDiff) calls it once per point,
/// and letting the compiler inline it cut the cost of a 7-parameter model's Jacobian from
/// 46 to 30 ns a point (`cargo xtask bench-dual`).
///
/// # Example
/// ```
/// use homodyne_core::{AutoDiff, GenericModel, Model, Scalar};
///
/// /// NIST Misra1a: y = b1 (1 - exp(-b2 x))
/// struct Misra1a;
/// impl GenericModel for Misra1a {
///     fn n_params(&self) -> usize { 2 }
///     #[inline]
///     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
///         p[0] * (T::cst(1.0) - (p[1] * -x[0]).exp())
///     }
/// }
///
/// let model = AutoDiff::<_, 2>::new(Misra1a).unwrap();
/// let (mut y, mut jac) = ([0.0], [0.0; 2]);
/// model.eval_with_jacobian(&[1.0], &[2.0, 0.5], &mut y, &mut jac);
/// assert!((jac[1] - 2.0 * (-0.5f64).exp()).abs() < 1e-15);
/// ```
pub trait GenericModel: Sync {
    /// Number of parameters.
    fn n_params(&self) -> usize;
    /// Predictor values per point.
    fn x_dim(&self) -> usize {
        1
    }
    /// The model at one point `x` (`x_dim` values).
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T;
    /// Parameter names for reports.
    fn param_names(&self) -> Vec<String> {
        (1..=self.n_params()).map(|k| format!("b{k}")).collect()
    }
}

/// The values of `model` at the points of `x` (`x_dim` values each), in plain `f64`:
/// what [`AutoDiff`](super::AutoDiff) and [`DynAutoDiff`](super::DynAutoDiff) give without a Jacobian.
pub(super) fn values_at<M: GenericModel>(model: &M, x: &[f64], p: &[f64], values: &mut [f64]) {
    for (v, xi) in values.iter_mut().zip(x.chunks_exact(model.x_dim())) {
        *v = model.eval::<f64>(xi, p);
    }
}

//! Plain closures as models, with a finite-difference Jacobian.
//!
//! The step for parameter `k` scales with that parameter's own magnitude:
//!
//! ```text
//! h_k = rel_step * max(|p_k|, floor_k)
//! ```
//!
//! with `rel_step = eps^(1/3)` for central differences (the default, error `O(h^2)`) and
//! `eps^(1/2)` for forward differences (error `O(h)`), and `floor_k` a typical size of
//! parameter `k` (default [`DEFAULT_STEP_FLOOR`]). The floor is *not* 1: a parameter of
//! magnitude 1e-7 (NIST's Hahn1 `b7`) gets a step of about 1e-12, not 1e-5. The actual
//! step `(p_k + h_k) - p_k` is used in the quotient, so the rounding of `p_k + h_k` does not
//! bias the derivative. Where one side of a central difference is not finite (the edge of
//! the model's domain, such as `sqrt(p)` at `p = 0`), the one-sided quotient on the other
//! side is used for that point.

use crate::model::{JacobianKind, Model};

/// The typical parameter size used when a parameter is (near) zero and no typical sizes
/// were given.
pub const DEFAULT_STEP_FLOOR: f64 = 1e-6;

/// Which difference quotient approximates the derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DifferenceScheme {
    /// `(f(p + h) - f(p)) / h`: one extra evaluation per parameter, error `O(h)`.
    Forward,
    /// `(f(p + h) - f(p - h)) / 2h`: two extra evaluations per parameter, error `O(h^2)`.
    #[default]
    Central,
}

impl DifferenceScheme {
    /// The relative step `rel_step` of the module documentation.
    pub fn relative_step(self) -> f64 {
        match self {
            Self::Forward => f64::EPSILON.sqrt(),
            Self::Central => f64::EPSILON.cbrt(),
        }
    }
}

/// A model given as a closure `f(x, p) -> y` over one point, differentiated numerically.
///
/// # Example
/// ```
/// use homodyne_core::{ClosureModel, Model};
///
/// let model = ClosureModel::new(2, |x: f64, p: &[f64]| p[0] * (1.0 - (-p[1] * x).exp()));
/// let (mut y, mut jac) = ([0.0], [0.0; 2]);
/// model.eval_with_jacobian(&[1.0], &[2.0, 0.5], &mut y, &mut jac);
/// assert!((jac[0] - (1.0 - (-0.5f64).exp())).abs() < 1e-9);
/// ```
pub struct ClosureModel<F> {
    f: F,
    n_params: usize,
    x_dim: usize,
    steps: StepRule,
}

/// The steps of the module documentation: a scheme and the parameters' typical sizes.
#[derive(Debug, Clone, Default)]
pub(crate) struct StepRule {
    /// Forward or central differences.
    pub(crate) scheme: DifferenceScheme,
    /// The step floors, by parameter ([`DEFAULT_STEP_FLOOR`] where not given).
    pub(crate) typical_sizes: Option<Vec<f64>>,
}

impl StepRule {
    /// `h_k = rel_step * max(|p_k|, floor_k)`.
    pub(crate) fn step(&self, k: usize, pk: f64) -> f64 {
        let floor = self
            .typical_sizes
            .as_ref()
            .and_then(|t| t.get(k))
            .map_or(DEFAULT_STEP_FLOOR, |t| t.abs());
        self.scheme.relative_step() * pk.abs().max(floor)
    }
}

/// The central quotient `(f_up - f_down) / (up - down)` of a value `f_at` at `p_k`, with the
/// one-sided quotient on the other side where one side is not finite (the edge of the
/// function's domain), NaN where neither is.
pub(crate) fn central_quotient(
    f_up: f64,
    f_down: f64,
    f_at: f64,
    up: f64,
    pk: f64,
    down: f64,
) -> f64 {
    match (f_up.is_finite(), f_down.is_finite()) {
        (true, true) => (f_up - f_down) / (up - down),
        (true, false) => (f_up - f_at) / (up - pk),
        (false, true) => (f_at - f_down) / (pk - down),
        (false, false) => f64::NAN,
    }
}

impl<F> std::fmt::Debug for ClosureModel<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClosureModel")
            .field("n_params", &self.n_params)
            .field("x_dim", &self.x_dim)
            .field("scheme", &self.steps.scheme)
            .field("typical_sizes", &self.steps.typical_sizes)
            .finish_non_exhaustive()
    }
}

/// The closure a [`ClosureModel`] wraps: one point's predictors and the parameters.
pub trait PointFunction: Sync {
    /// `f(x, p)` for one point.
    fn call(&self, x: &[f64], p: &[f64]) -> f64;
}

/// Adapter for closures over a single predictor, `Fn(f64, &[f64]) -> f64`.
pub struct ScalarX<F>(F);

impl<F: Fn(f64, &[f64]) -> f64 + Sync> PointFunction for ScalarX<F> {
    #[inline]
    fn call(&self, x: &[f64], p: &[f64]) -> f64 {
        (self.0)(x[0], p)
    }
}

/// Adapter for closures over several predictors, `Fn(&[f64], &[f64]) -> f64`.
pub struct VectorX<F>(F);

impl<F: Fn(&[f64], &[f64]) -> f64 + Sync> PointFunction for VectorX<F> {
    #[inline]
    fn call(&self, x: &[f64], p: &[f64]) -> f64 {
        (self.0)(x, p)
    }
}

impl<F: Fn(f64, &[f64]) -> f64 + Sync> ClosureModel<ScalarX<F>> {
    /// A model `y = f(x, p)` over one predictor with `n_params` parameters.
    pub fn new(n_params: usize, f: F) -> Self {
        Self {
            f: ScalarX(f),
            n_params,
            x_dim: 1,
            steps: StepRule::default(),
        }
    }
}

impl<F: Fn(&[f64], &[f64]) -> f64 + Sync> ClosureModel<VectorX<F>> {
    /// A model `y = f(x, p)` over `x_dim` predictors per point (NIST's Nelson has two).
    pub fn multi(x_dim: usize, n_params: usize, f: F) -> Self {
        Self {
            f: VectorX(f),
            n_params,
            x_dim,
            steps: StepRule::default(),
        }
    }
}

impl<F: PointFunction> ClosureModel<F> {
    /// Chooses forward or central differences.
    pub fn with_scheme(mut self, scheme: DifferenceScheme) -> Self {
        self.steps.scheme = scheme;
        self
    }

    /// Typical magnitudes of the parameters, used as the step floor of parameters near zero.
    pub fn with_typical_sizes(mut self, sizes: Vec<f64>) -> Self {
        self.steps.typical_sizes = Some(sizes);
        self
    }
}

impl<F: PointFunction> Model for ClosureModel<F> {
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn x_dim(&self) -> usize {
        self.x_dim
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        for (v, xi) in values.iter_mut().zip(x.chunks_exact(self.x_dim)) {
            *v = self.f.call(xi, p);
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let n = self.n_params;
        self.eval(x, p, values);
        let mut shifted = p.to_vec();
        for k in 0..n {
            let h = self.steps.step(k, p[k]);
            let up = p[k] + h;
            match self.steps.scheme {
                DifferenceScheme::Forward => {
                    let dh = up - p[k];
                    shifted[k] = up;
                    for ((row, xi), &v) in jacobian
                        .chunks_exact_mut(n)
                        .zip(x.chunks_exact(self.x_dim))
                        .zip(values.iter())
                    {
                        row[k] = (self.f.call(xi, &shifted) - v) / dh;
                    }
                }
                DifferenceScheme::Central => {
                    let down = p[k] - h;
                    for ((row, xi), &v) in jacobian
                        .chunks_exact_mut(n)
                        .zip(x.chunks_exact(self.x_dim))
                        .zip(values.iter())
                    {
                        shifted[k] = up;
                        let f_up = self.f.call(xi, &shifted);
                        shifted[k] = down;
                        let f_down = self.f.call(xi, &shifted);
                        // Near the edge of the model's domain one side may be undefined:
                        // fall back to the one-sided quotient on the other side.
                        row[k] = central_quotient(f_up, f_down, v, up, p[k], down);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_parameters_get_tiny_steps() {
        // Hahn1's trap: d/db (b * x^3) = x^3 with b = -1.2e-7 must be exact-ish.
        let model = ClosureModel::new(1, |x: f64, p: &[f64]| 1.0 / (1.0 + p[0] * x * x * x));
        let p = [-1.2e-7];
        let x = [500.0];
        let (mut y, mut jac) = ([0.0], [0.0]);
        model.eval_with_jacobian(&x, &p, &mut y, &mut jac);
        let d = 1.0 + p[0] * 500f64.powi(3);
        let exact = -500f64.powi(3) / (d * d);
        assert!(
            ((jac[0] - exact) / exact).abs() < 1e-8,
            "{} vs {exact}",
            jac[0]
        );
    }

    #[test]
    fn forward_and_central_agree_on_a_smooth_function() {
        let f = |x: &[f64], p: &[f64]| p[0] * (x[0] * p[1]).sin() + x[1];
        let central = ClosureModel::multi(2, 2, f);
        let forward = ClosureModel::multi(2, 2, f).with_scheme(DifferenceScheme::Forward);
        let x = [0.7, 3.0];
        let p = [1.3, 0.4];
        let (mut y, mut jc, mut jf) = ([0.0], [0.0; 2], [0.0; 2]);
        central.eval_with_jacobian(&x, &p, &mut y, &mut jc);
        forward.eval_with_jacobian(&x, &p, &mut y, &mut jf);
        let exact = [(0.7f64 * 0.4).sin(), 1.3 * 0.7 * (0.7f64 * 0.4).cos()];
        for k in 0..2 {
            assert!((jc[k] - exact[k]).abs() < 1e-9);
            assert!((jf[k] - exact[k]).abs() < 1e-6);
        }
    }
}

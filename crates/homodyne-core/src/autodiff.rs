//! Models written once, generic over their scalar type, differentiated by dual numbers:
//! [`AutoDiff`] for a parameter count fixed at compile time, [`DynAutoDiff`] for one known
//! only at run time.
//!
//! # A parameter count known at run time
//!
//! num-dual's `DualSVec64<K>` fixes its number of directions `K` at compile time; its
//! `DualDVec64` does not, but holds its gradient on the heap and is not `Copy`, which every
//! [`Scalar`](crate::Scalar) model relies on. So [`DynAutoDiff`] (and
//! [`AutoDiffResiduals`](crate::AutoDiffResiduals)) match the count `n`, at run time, to the
//! code compiled for it: up to [`MAX_DUAL_DIRECTIONS`] parameters, `DualSVec64<n>` seeded as
//! [`AutoDiff`] seeds it, so the values and Jacobians are `AutoDiff<M, n>`'s, bit for bit, at
//! its cost.
//!
//! Size classes were tried first (`K = 1-8, 10, 12, 16, 20, 24, 32`, the first `n` of `K`
//! directions seeded): the same bits with 14 instantiations of the model instead of 32, but
//! the model then reads a parameter slice whose length the compiler does not know, and the
//! Jacobian of an 11-parameter sum of exponentials (in 12 directions) took 1.4-1.6 times
//! AutoDiff's time (`benches/dyn_autodiff.rs`). One instantiation per count costs compile
//! time instead: the benchmark (three models) builds in 3.2 s against 2.9 s (release).
//!
//! Above [`MAX_DUAL_DIRECTIONS`], the parameters are differentiated in blocks of that many:
//! one evaluation of the model per block, with the block's parameters seeded and the others
//! carrying a zero gradient (not none: an operation then sees the same operands, zeros
//! included, as with all `n` directions at once, so the entries keep their bits).

use num_dual::DualSVec64;

mod dynamic;
mod generic;
pub(crate) mod seeding;

pub use dynamic::DynAutoDiff;
pub use generic::GenericModel;
use generic::values_at;
pub use seeding::MAX_DUAL_DIRECTIONS;

use crate::error::{InvalidInput, OptimizationError};
use crate::model::{JacobianKind, Model};

/// Adapts a [`GenericModel`] with `N` parameters into a [`Model`] whose Jacobian comes from
/// forward-mode dual numbers.
#[derive(Debug, Clone)]
pub struct AutoDiff<M, const N: usize> {
    model: M,
}

impl<M: GenericModel, const N: usize> AutoDiff<M, N> {
    /// Wraps `model`; fails when `N` differs from the model's parameter count.
    pub fn new(model: M) -> Result<Self, OptimizationError> {
        InvalidInput::check_parameter_count("AutoDiff's const parameter N", model.n_params(), N)?;
        Ok(Self { model })
    }

    /// The wrapped model.
    pub fn inner(&self) -> &M {
        &self.model
    }
}

/// Writes a dual result's value and gradient (a constant result has no gradient: zeros).
#[inline(always)]
fn store<const N: usize>(y: DualSVec64<N>, value: &mut f64, row: &mut [f64]) {
    *value = y.re;
    match &y.eps.0 {
        Some(gradient) => row.copy_from_slice(gradient.as_slice()),
        None => row.fill(0.0),
    }
}

impl<M: GenericModel, const N: usize> Model for AutoDiff<M, N> {
    fn n_params(&self) -> usize {
        N
    }
    fn x_dim(&self) -> usize {
        self.model.x_dim()
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        values_at(&self.model, x, p, values);
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let d = self.model.x_dim();
        let seeds: [DualSVec64<N>; N] =
            std::array::from_fn(|k| DualSVec64::<N>::from_re(p[k]).derivative(k));
        let rows = values.iter_mut().zip(jacobian.chunks_exact_mut(N));
        if d == 1 {
            // One predictor per point (the common case): a plain loop the compiler inlines.
            for ((v, row), xi) in rows.zip(x) {
                let y = self.model.eval(std::slice::from_ref(xi), &seeds);
                store(y, v, row);
            }
        } else {
            for ((v, row), xi) in rows.zip(x.chunks_exact(d)) {
                let y = self.model.eval(xi, &seeds);
                store(y, v, row);
            }
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::AutoDiff
    }
    fn param_names(&self) -> Vec<String> {
        self.model.param_names()
    }
}

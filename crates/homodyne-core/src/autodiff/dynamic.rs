//! [`DynAutoDiff`]: dual-number derivatives of a model whose parameter count is known only
//! at run time.

use std::ops::Range;

use num_dual::DualSVec64;

use super::generic::{GenericModel, values_at};
use super::seeding::{SeededPass, all_seeds, run_seeded, store};
use crate::model::{JacobianKind, Model};

/// Adapts a [`GenericModel`] into a [`Model`] whose Jacobian comes from forward-mode dual
/// numbers, like [`AutoDiff`](crate::AutoDiff), with the parameter count read from the model
/// at run time instead of a const generic.
///
/// The count `n` is matched at run time to code compiled for it: up to
/// [`MAX_DUAL_DIRECTIONS`](crate::autodiff::MAX_DUAL_DIRECTIONS) (32) parameters, the loop of
/// `AutoDiff<M, n>` itself, with its values, Jacobians and cost; above that, one evaluation of
/// the model per block of 32 parameters, with the same bits as `AutoDiff<M, n>` (see the
/// [module documentation](crate::autodiff)). The benchmark `dyn_autodiff` of this
/// crate compares the two. Mark the model's `eval` `#[inline]`, as for `AutoDiff`.
///
/// # Example
/// ```
/// use homodyne_core::{AutoDiff, DynAutoDiff, GenericModel, Model, Scalar};
///
/// /// A polynomial of a degree chosen at run time: y = sum_k p_k x^k.
/// struct Polynomial { degree: usize }
/// impl GenericModel for Polynomial {
///     fn n_params(&self) -> usize { self.degree + 1 }
///     #[inline]
///     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
///         p.iter().rev().fold(T::cst(0.0), |acc, &pk| acc * x[0] + pk)
///     }
/// }
///
/// let model = DynAutoDiff::new(Polynomial { degree: 10 });
/// let p: Vec<f64> = (0..11).map(|k| 1.0 / (k as f64 + 1.0)).collect();
/// let (mut y, mut jac) = ([0.0], [0.0; 11]);
/// model.eval_with_jacobian(&[2.0], &p, &mut y, &mut jac);
/// assert_eq!(jac[3], 8.0); // d y / d p_3 = x^3
///
/// // The same bits as the fixed-size adapter.
/// let fixed = AutoDiff::<_, 11>::new(Polynomial { degree: 10 }).unwrap();
/// let (mut y11, mut jac11) = ([0.0], [0.0; 11]);
/// fixed.eval_with_jacobian(&[2.0], &p, &mut y11, &mut jac11);
/// assert_eq!((y, jac), (y11, jac11));
/// ```
#[derive(Debug, Clone)]
pub struct DynAutoDiff<M> {
    model: M,
    n_params: usize,
}

impl<M: GenericModel> DynAutoDiff<M> {
    /// Wraps `model`, reading its parameter count once.
    ///
    /// ```
    /// # use homodyne_core::{DynAutoDiff, GenericModel, Model, Scalar};
    /// struct Line;
    /// impl GenericModel for Line {
    ///     fn n_params(&self) -> usize { 2 }
    ///     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T { p[0] + p[1] * x[0] }
    /// }
    /// assert_eq!(DynAutoDiff::new(Line).n_params(), 2);
    /// ```
    pub fn new(model: M) -> Self {
        let n_params = model.n_params();
        Self { model, n_params }
    }

    /// The wrapped model.
    ///
    /// ```
    /// # use homodyne_core::{DynAutoDiff, GenericModel, Scalar};
    /// # struct Line;
    /// # impl GenericModel for Line {
    /// #     fn n_params(&self) -> usize { 2 }
    /// #     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T { p[0] + p[1] * x[0] }
    /// # }
    /// let model = DynAutoDiff::new(Line);
    /// assert_eq!(model.inner().eval::<f64>(&[2.0], &[1.0, 3.0]), 7.0);
    /// ```
    pub fn inner(&self) -> &M {
        &self.model
    }
}

/// One evaluation of a chunk of points: the values (on the first block) and the block's
/// columns of the Jacobian.
struct ChunkPass<'a, M> {
    model: &'a M,
    x: &'a [f64],
    values: &'a mut [f64],
    jacobian: &'a mut [f64],
    n_params: usize,
}

impl<M: GenericModel> SeededPass for ChunkPass<'_, M> {
    fn run_all<const K: usize>(&mut self, p: &[f64; K]) {
        whole_rows::<K, M>(self.model, self.x, p, self.values, self.jacobian);
    }

    /// The block's columns (above 32 parameters).
    #[inline(never)]
    fn run_block<const K: usize>(&mut self, seeds: &[DualSVec64<K>], block: Range<usize>) {
        let d = self.model.x_dim();
        let first = block.start == 0;
        let rows = self
            .values
            .iter_mut()
            .zip(self.jacobian.chunks_exact_mut(self.n_params));
        for ((v, row), xi) in rows.zip(self.x.chunks_exact(d)) {
            let y = self.model.eval(xi, seeds);
            store(&y, first.then_some(v), &mut row[block.clone()]);
        }
    }
}

/// The values and Jacobian rows of a chunk with all `K` parameters seeded: AutoDiff's loop,
/// compiled for the count. The model sees a parameter slice of a length the compiler knows,
/// and its `eval` for `DualSVec64<K>` is called from this loop only (from `run_block` too
/// for `K = 32`), so it is inlined as in AutoDiff. Versions with a slice of run-time length
/// (size classes), or with more call sites of `eval` per count, took 1.4-2.2 times
/// AutoDiff's time on the benchmark's models.
#[inline(never)]
fn whole_rows<const K: usize, M: GenericModel>(
    model: &M,
    x: &[f64],
    p: &[f64; K],
    values: &mut [f64],
    jacobian: &mut [f64],
) {
    let seeds = all_seeds::<K>(p);
    let d = model.x_dim();
    let rows = values.iter_mut().zip(jacobian.chunks_exact_mut(K));
    if d == 1 {
        // One predictor per point (the common case): a plain loop the compiler inlines.
        for ((v, row), xi) in rows.zip(x) {
            let y = model.eval(std::slice::from_ref(xi), &seeds);
            store(&y, Some(v), row);
        }
    } else {
        for ((v, row), xi) in rows.zip(x.chunks_exact(d)) {
            let y = model.eval(xi, &seeds);
            store(&y, Some(v), row);
        }
    }
}

impl<M: GenericModel> Model for DynAutoDiff<M> {
    fn n_params(&self) -> usize {
        self.n_params
    }
    fn x_dim(&self) -> usize {
        self.model.x_dim()
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        values_at(&self.model, x, p, values);
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        if self.n_params == 0 {
            // No Jacobian columns: the values alone.
            self.eval(x, p, values);
            return;
        }
        let mut pass = ChunkPass {
            model: &self.model,
            x,
            values,
            jacobian,
            n_params: self.n_params,
        };
        run_seeded(&p[..self.n_params], &mut pass);
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::AutoDiff
    }
    fn param_names(&self) -> Vec<String> {
        self.model.param_names()
    }
}

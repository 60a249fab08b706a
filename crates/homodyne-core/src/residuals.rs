//! Residual problems: the `m` residuals `r_i(p)` of the parameters, with no data `x` and
//! `y` (scipy's `least_squares(fun, x0)`). A fit minimises
//!
//! ```text
//! C(p) = 1/2 sum_i r_i(p)^2,    J[i][k] = d r_i / d p_k   (m x n, row-major)
//! ```
//!
//! Two ways to state one:
//! 1. implement [`GenericResiduals`] once, generic over the scalar type, and wrap it in
//!    [`AutoDiffResiduals`]: the Jacobian by dual numbers, exact to rounding, for a
//!    parameter count known only at run time;
//! 2. wrap a closure `|p: &[f64], r: &mut [f64]|` in [`FiniteDiffResiduals`]: the Jacobian by
//!    finite differences (the step rules of [`ClosureModel`](crate::ClosureModel)).
//!
//! Both are a [`ResidualProblem`]; [`ResidualModel`] presents one as a [`Model`](crate::Model)
//! so the curve-fitting solvers run it: point `i` is the residual `r_i`, its predictor is the
//! index `i` and its observation 0 ([`ResidualModel::points`]).

mod autodiff;
mod finite_diff;
mod model;
mod problem;

pub use autodiff::AutoDiffResiduals;
pub use finite_diff::FiniteDiffResiduals;
pub use model::ResidualModel;
pub use problem::{GenericResiduals, ResidualProblem};

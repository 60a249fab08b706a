//! Least-squares kernels of homodyne: trust-region reflective ([`trf()`]) and
//! Levenberg-Marquardt ([`lm()`]), both with bounds, both running on the triangular factor
//! of the Jacobian so that every way of holding the data reaches the same optimum.
//!
//! Both run on one [`driver`]: it owns the loop, the evaluation budget, the counting, the
//! numerical checks and the observer calls; each method supplies its steps
//! ([`driver::TrustRegionMethod`]).
//!
//! The solvers see the problem only through the [`Objective`] trait: the cost at a point and
//! the linearisation (`R`, `Q^T f`) there. [`InMemoryObjective`] provides it for data in
//! memory, [`streaming::StreamingObjective`] for data read batch by batch, and
//! [`distributed`] for data shared among processes.
//!
//! # Example
//!
//! A straight line `y = a + b x` fitted by TRF to four points held in memory (the model's
//! derivatives by finite differences):
//!
//! ```
//! use homodyne_core::{Bounds, ClosureModel, NoObserver};
//! use homodyne_solvers::{InMemoryObjective, Loss, SolverOptions, trf};
//!
//! let model = ClosureModel::new(2, |x: f64, p: &[f64]| p[0] + p[1] * x);
//! let (x, y) = ([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0]);
//! let objective = InMemoryObjective::new(&model, &x, &y, None, Loss::Linear, 1.0);
//! let outcome = trf(
//!     &objective,
//!     &[0.0, 0.0],
//!     &Bounds::unbounded(2),
//!     &SolverOptions::default(),
//!     &NoObserver,
//! )?;
//! assert!((outcome.x[0] - 1.0).abs() < 1e-8 && (outcome.x[1] - 2.0).abs() < 1e-8);
//! assert!(outcome.linearization.cost.cost < 1e-12);
//! # Ok::<(), homodyne_core::OptimizationError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod covariance;
pub mod dense;
pub mod distributed;
pub mod driver;
pub mod factor;
pub mod feasible;
pub mod jacobian_patch;
pub mod kernels;
pub mod lm;
pub mod lmpar;
pub mod loss;
pub mod normal;
pub mod objective;
pub mod options;
pub mod outcome;
pub mod streaming;
pub mod trf;
pub mod trust_region;
pub mod validation;
pub mod wire;

pub use covariance::covariance;
pub use factor::RFactor;
pub use lm::lm;
pub use loss::Loss;
pub use objective::{Accumulation, CostEvaluation, InMemoryObjective, Linearization, Objective};
pub use options::{SolverOptions, XScale};
pub use outcome::SolverOutcome;
pub use trf::trf;
pub use validation::NumericalValidator;

/// Worker threads the solvers' data passes may use.
pub fn worker_threads() -> usize {
    rayon::current_num_threads()
}

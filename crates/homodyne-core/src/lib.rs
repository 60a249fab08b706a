//! Core types of homodyne: the model trait, dual numbers for exact derivatives, the
//! finite-difference fallback, bounds, fit results and the error type.
//!
//! This crate knows nothing of solvers: it is what every other homodyne crate depends on.
//!
//! A model written once for any scalar type, differentiated exactly by dual numbers:
//!
//! ```
//! use homodyne_core::{AutoDiff, GenericModel, Model, Scalar};
//!
//! /// y = a exp(-b x) + c
//! struct Decay;
//! impl GenericModel for Decay {
//!     fn n_params(&self) -> usize { 3 }
//!     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
//!         p[0] * (p[1] * -x[0]).exp() + p[2]
//!     }
//! }
//!
//! let model = AutoDiff::<_, 3>::new(Decay)?;
//! let (x, p) = ([0.5, 2.0], [2.5, 1.3, 0.5]);
//! let (mut y, mut jacobian) = ([0.0; 2], [0.0; 6]);
//! model.eval_with_jacobian(&x, &p, &mut y, &mut jacobian);
//! let e = (-1.3f64 * 0.5).exp();
//! assert!((y[0] - (2.5 * e + 0.5)).abs() < 1e-15);
//! // dy/da, dy/db, dy/dc at x = 0.5
//! assert!((jacobian[0] - e).abs() < 1e-15);
//! assert!((jacobian[1] + 2.5 * 0.5 * e).abs() < 1e-15);
//! assert_eq!(jacobian[2], 1.0);
//! # Ok::<(), homodyne_core::OptimizationError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod autodiff;
pub mod bounds;
pub mod dual;
pub mod error;
pub mod finite_diff;
pub mod model;
pub mod observer;
pub mod random;
pub mod residuals;
pub mod result;
pub mod source;
pub mod strategy;
pub mod vector_math;

pub use autodiff::{AutoDiff, DynAutoDiff, GenericModel};
pub use bounds::Bounds;
pub use dual::Scalar;
pub use error::{
    Context, DetectionPoint, ErrorKind, InvalidInput, InvalidSample, InvalidValue,
    OptimizationError,
};
pub use finite_diff::{ClosureModel, DEFAULT_STEP_FLOOR, DifferenceScheme, PointFunction};
pub use model::{JacobianKind, Model};
pub use observer::{FitObserver, IterationReport, NoObserver, PassKind, PassProgress, TrialReport};
pub use residuals::{
    AutoDiffResiduals, FiniteDiffResiduals, GenericResiduals, ResidualModel, ResidualProblem,
};
pub use result::{
    AttemptSummary, CoarseStage, ConvergenceStatus, Covariance, DeviceInfo, Method,
    OptimizationResult, ParameterFlag, RecoveryAction, STATIONARY_COSINE, StreamingDiagnostics,
    TerminationReason,
};
pub use source::{Batch, CallbackSource, DataSource, SliceSource, SourceError};
pub use strategy::OptimizationStrategy;

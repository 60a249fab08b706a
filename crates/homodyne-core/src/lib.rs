//! Core types of homodyne: the model trait, dual numbers for exact derivatives, the
//! finite-difference fallback, bounds, fit results and the error type.
//!
//! This crate knows nothing of solvers: it is what every other homodyne crate depends on.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod autodiff;
pub mod bounds;
pub mod dual;
pub mod error;
pub mod finite_diff;
pub mod model;
pub mod observer;
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
    AttemptSummary, ConvergenceStatus, Covariance, DeviceInfo, Method, OptimizationResult,
    ParameterFlag, RecoveryAction, STATIONARY_COSINE, StreamingDiagnostics, TerminationReason,
};
pub use source::{Batch, CallbackSource, DataSource, SliceSource, SourceError};
pub use strategy::OptimizationStrategy;

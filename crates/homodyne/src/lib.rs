//! # homodyne
//!
//! Fast, exact, fault-tolerant nonlinear least squares, built for X-ray Photon Correlation
//! Spectroscopy fits of 10^6 to 10^9 points and useful for any curve fit.
//!
//! ```
//! use homodyne::prelude::*;
//!
//! /// y = a exp(-b x) + c, written once and differentiated exactly by dual numbers.
//! struct Decay;
//! impl GenericModel for Decay {
//!     fn n_params(&self) -> usize { 3 }
//!     #[inline]
//!     fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
//!         p[0] * (p[1] * -x[0]).exp() + p[2]
//!     }
//! }
//!
//! let x: Vec<f64> = (0..100).map(|i| i as f64 * 0.05).collect();
//! let y: Vec<f64> = x.iter().map(|x| 2.0 * (-0.7 * x).exp() + 0.3).collect();
//! let model = AutoDiff::<_, 3>::new(Decay)?;
//! let fit = Fit::curve(&model, &x, &y).p0(&[1.0, 1.0, 0.0]).run()?;
//! assert!((fit.parameters[0] - 2.0).abs() < 1e-10);
//! # Ok::<(), homodyne::OptimizationError>(())
//! ```
//!
//! [`Fit`] is the one way in: the problem (model, data, start, bounds, sigma, held
//! parameters), then the settings (method, [`SolverOptions`], strategy, checkpoints,
//! processes, observer, the [`NlsqWrapper`] flags), then [`Fit::run`]. Data that do not
//! fit in memory are fitted batch by batch from a [`DataSource`] (files through
//! `homodyne-data`) with [`Fit::source`], with checkpoints and resume: see [`streaming`].
//!
//! The crates behind the facade: `homodyne-core` (model trait, results, errors, data
//! sources), `homodyne-solvers` (TRF and LM, the in-memory and streaming objectives),
//! `homodyne-strategy` (strategy selection, memory estimates), `homodyne-checkpoint` (HDF5
//! checkpoints), `homodyne-stats` (batch statistics).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check_passes;
pub mod coarse;
mod counted;
pub mod diagnostics;
pub mod distributed;
pub mod fit;
mod held;
pub mod multistart;
mod outcome;
pub mod recovery;
mod staged;
pub mod streaming;
mod validate;
pub mod wrapper;

pub use coarse::CoarseToFine;
pub use fit::{Fit, IntoBounds};
/// Reproducible random numbers (SplitMix64, Box-Muller) for synthetic data.
pub use homodyne_core::random;
pub use homodyne_core::{
    AttemptSummary, AutoDiff, AutoDiffResiduals, Bounds, ClosureModel, CoarseStage, Context,
    ConvergenceStatus, Covariance, DetectionPoint, DeviceInfo, DifferenceScheme, DynAutoDiff,
    ErrorKind, FiniteDiffResiduals, FitObserver, GenericModel, GenericResiduals, InvalidInput,
    InvalidSample, IterationReport, JacobianKind, Method, Model, NoObserver, OptimizationError,
    OptimizationResult, OptimizationStrategy, ParameterFlag, PassKind, PassProgress,
    RecoveryAction, ResidualModel, ResidualProblem, STATIONARY_COSINE, Scalar,
    StreamingDiagnostics, TerminationReason, TrialReport, vector_math,
};
pub use homodyne_core::{Batch, CallbackSource, DataSource, SliceSource, SourceError};
pub use homodyne_solvers::NumericalValidator;
pub use homodyne_solvers::options::{
    DEFAULT_FTOL, DEFAULT_GTOL, DEFAULT_NFEV_PER_PARAM, DEFAULT_XTOL,
};
pub use homodyne_solvers::{Loss, SolverOptions, XScale};
pub use multistart::{Multistart, MultistartFit, MultistartReport, StartRecord};
pub use recovery::{RecoveryStrategy, RecoveryStrategyApplicator};
pub use streaming::{CheckpointOptions, StreamingOptions};
pub use wrapper::{NlsqWrapper, NlsqWrapperBuilder};

/// Everything the quick start needs: `use homodyne::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AutoDiff, AutoDiffResiduals, Bounds, ClosureModel, CoarseToFine, DifferenceScheme,
        DynAutoDiff, ErrorKind, FiniteDiffResiduals, Fit, GenericModel, GenericResiduals,
        JacobianKind, Loss, Method, Model, Multistart, NlsqWrapper, OptimizationError,
        OptimizationResult, OptimizationStrategy, ResidualProblem, Scalar, SolverOptions,
        TerminationReason, XScale,
    };
}

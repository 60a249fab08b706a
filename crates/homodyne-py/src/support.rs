//! The reference's support classes, bound for `homodyne_rs.optimization`.
//!
//! Each submodule binds one Rust implementation; the Python classes of the same names
//! (`python/homodyne_rs/optimization/*.py`) are thin wrappers over these:
//!
//! | submodule | Rust | Python |
//! |---|---|---|
//! | [`strategy`] | `homodyne_strategy::{DatasetSizeStrategy, build_streaming_config}` | `strategy.DatasetSizeStrategy` |
//! | [`checkpoint`] | `homodyne_checkpoint::CheckpointManager` | `checkpoint_manager.CheckpointManager` |
//! | [`statistics`] | `homodyne_stats::BatchStatistics` | `batch_statistics.BatchStatistics` |
//! | [`validation`] | `homodyne::NumericalValidator` | `numerical_validation.NumericalValidator` |
//! | [`recovery`] | `homodyne::RecoveryStrategyApplicator` | `recovery_strategies.RecoveryStrategyApplicator` |
//!
//! Arguments are checked here, before any work, and rejected with `NLSQInputError` naming
//! the argument; failures of the work itself are the package's exceptions
//! ([`crate::errors`]).
use pyo3::prelude::*;

mod arguments;
mod checkpoint;
mod recovery;
mod statistics;
mod strategy;
mod validation;

/// The reference's names of recovery strategies and of the actions a fit records, for
/// `OptimizationResult.recovery_actions` (the Rust crate spells two differently; also
/// `_native.recovery_action_name`).
#[allow(unused_imports)]
pub(crate) use recovery::{reference_action, reference_name};

/// Adds the support classes and functions to `_native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    strategy::register(m)?;
    checkpoint::register(m)?;
    statistics::register(m)?;
    validation::register(m)?;
    recovery::register(m)?;
    Ok(())
}

//! The single-process STREAMING fit ([`NlsqWrapper::fit_streaming`]): its checkpoints set
//! up, a resumed state decoded, the solver run (and restarted after a batch is excluded),
//! and the diagnostics.

use std::time::Instant;

use homodyne_checkpoint::CheckpointManager;
use homodyne_core::{
    AttemptSummary, Context, DataSource, Method, OptimizationError, OptimizationResult,
    OptimizationStrategy, RecoveryAction, StreamingDiagnostics,
};
use homodyne_solvers::streaming::{StreamState, StreamingObjective, StreamingSettings};
use homodyne_solvers::{Accumulation, lm, trf};
use homodyne_strategy::{CheckpointSettings, build_streaming_config};

use super::checkpointer::{HdfCheckpointer, check_compatible, checkpoint_metadata, folded_in_tree};
use super::diagnostics::streaming_diagnostics;
use super::options::invalid_option;
use super::state::decode_state;
use crate::fit::Fit;
use crate::outcome::result_from_outcome;
use crate::validate::validate_start;
use crate::wrapper::NlsqWrapper;

impl NlsqWrapper {
    /// Fits `fit`'s model to the points of `source` with the STREAMING strategy; see the
    /// module documentation. `fit.strategy` is ignored.
    pub(crate) fn fit_streaming(
        &self,
        fit: &Fit<'_>,
        source: &dyn DataSource,
    ) -> Result<OptimizationResult, OptimizationError> {
        let started = Instant::now();
        let bounds = validate_start(fit)?;
        let (model, p0, method, options) = (fit.model(), &fit.p0[..], fit.method, &fit.streaming);
        let n_points = source.n_points();
        let batch_size = fit.streaming_batch_size(n_points)?;
        if !(0.0..=1.0).contains(&options.min_success_rate) {
            return Err(invalid_option(
                "min_success_rate",
                options.min_success_rate.to_string(),
                "a share of batches lies in [0, 1]",
            ));
        }
        let settings = StreamingSettings {
            batch_size,
            max_retries_per_batch: options.max_retries_per_batch,
            min_success_rate: options.min_success_rate,
            accumulation: Accumulation::NormalEquations,
            stop_on_checkpoint_error: options.stop_on_checkpoint_error,
        };

        // A directory that cannot be created is a checkpoint error like any failed save:
        // recorded, and the fit goes on without checkpoints (unless told to stop).
        let mut setup_errors = Vec::new();
        let checkpointer = match &options.checkpoint {
            Some(c) => {
                match CheckpointManager::new(&c.dir, c.frequency, c.keep_last_n, c.compression) {
                    Ok(manager) => Some(HdfCheckpointer::new(
                        manager,
                        checkpoint_metadata(n_points, p0.len(), batch_size, source),
                    )),
                    Err(e) if options.stop_on_checkpoint_error || c.resume => {
                        return Err(OptimizationError::from(e));
                    }
                    Err(e) => {
                        setup_errors.push(e.to_string());
                        None
                    }
                }
            }
            None => None,
        };
        let mut resumed_from = None;
        let state = match (&options.checkpoint, &checkpointer) {
            (Some(c), Some(ck)) if c.resume => match ck
                .manager
                .load_latest_checkpoint()
                .map_err(OptimizationError::from)?
            {
                Some(checkpoint) => {
                    if folded_in_tree(&checkpoint.metadata) {
                        return Err(OptimizationError::Checkpoint {
                            message: "the checkpoint was written by a distributed fit (its \
                                      passes summed in tree order): resume it with a \
                                      communicator (Fit::communicator)"
                                .to_owned(),
                            context: Context::new().with("path", checkpoint.path.display()),
                            source: None,
                        });
                    }
                    check_compatible(&checkpoint.metadata, n_points, p0.len(), batch_size)
                        .map_err(|e| e.with_context("path", checkpoint.path.display()))?;
                    let state = decode_state(&checkpoint.optimizer_state, &checkpoint.metadata)
                        .map_err(|e| e.with_context("path", checkpoint.path.display()))?;
                    resumed_from = Some(checkpoint.path.display().to_string());
                    state
                }
                None => StreamState::new(p0),
            },
            _ => StreamState::new(p0),
        };

        let attempt = self.first_attempt(fit, OptimizationStrategy::Streaming, bounds);
        let (solver_options, bounds) = (&attempt.options, &attempt.bounds);
        let observer = fit.observer;
        let mut objective = StreamingObjective::resume(
            model,
            source,
            state,
            solver_options.loss,
            solver_options.f_scale,
            settings,
        )
        .with_observer(observer);
        if let Some(ck) = &checkpointer {
            objective = objective.with_checkpointer(ck);
        }
        // The linearisation at the start by the check of the coarse stage that ended
        // there (`crate::staged`): taken unless the solver asks for another first pass.
        if let Some(first) = &fit.first_pass {
            objective = objective.with_first_pass(first.clone());
        }
        let mut start = objective.state().run_start;
        let mut actions = Vec::new();
        let outcome = loop {
            let solved = match method {
                Method::Trf => trf(&objective, &start, bounds, solver_options, observer),
                Method::Lm => lm(&objective, &start, bounds, solver_options, observer),
            };
            match solved {
                Ok(outcome) => break outcome,
                // Stopped on request, after the checkpoint due for the last whole batch:
                // never restarted.
                Err(error) if error.is_interrupted() => {
                    return Err(error
                        .with_context("strategy", OptimizationStrategy::Streaming)
                        .with_context("method", method));
                }
                Err(error) if objective.take_restart() => {
                    if actions.len() >= objective.n_batches() {
                        return Err(error);
                    }
                    start = objective.restart_point();
                    actions.push(RecoveryAction {
                        attempt: actions.len() + 1,
                        trigger: error.to_string(),
                        action: "exclude_batch_and_restart".to_string(),
                    });
                }
                Err(error) => {
                    return Err(error
                        .with_context("strategy", OptimizationStrategy::Streaming)
                        .with_context("method", method));
                }
            }
        };

        let state = objective.state();
        let n_used = homodyne_solvers::Objective::n_residuals(&objective);
        let mut result = result_from_outcome(outcome, fit, &attempt, n_used);
        result.attempts = vec![AttemptSummary::of(1, &result)];
        let stats = state.stats.get_statistics();
        let saves = (
            objective.checkpoints_written(),
            objective.checkpoint_errors(),
        );
        result.streaming_diagnostics = Some(StreamingDiagnostics {
            batch_success_rate: stats.success_rate,
            failed_batch_indices: state.failed_batches.keys().copied().collect(),
            failed_batch_reasons: state.failed_batches.values().cloned().collect(),
            error_type_distribution: stats.error_distribution,
            average_iterations_per_batch: stats.average_iterations.unwrap_or(0.0),
            ..streaming_diagnostics(
                (batch_size, objective.n_batches()),
                &state,
                checkpointer.as_ref(),
                saves,
                setup_errors,
                resumed_from,
            )
        });
        result.recovery_actions = actions;
        result.wall_time = started.elapsed();
        Ok(result)
    }
}

impl Fit<'_> {
    /// The points per batch of a streaming fit over `n_points` points: the streaming options'
    /// `batch_size`, else from the memory budget (`build_streaming_config`); 0 is refused.
    pub(crate) fn streaming_batch_size(&self, n_points: usize) -> Result<usize, OptimizationError> {
        let batch_size = self.streaming.batch_size.unwrap_or_else(|| {
            build_streaming_config(
                n_points,
                self.p0.len(),
                CheckpointSettings::default(),
                self.memory_limit_gb,
            )
            .batch_size
        });
        if batch_size == 0 {
            return Err(invalid_option(
                "batch_size",
                "0".into(),
                "a batch holds at least one point",
            ));
        }
        Ok(batch_size)
    }
}

//! Checkpoint files of a streaming fit: [`HdfCheckpointer`] saves its state through a
//! [`CheckpointManager`], with the metadata that a resumed fit checks
//! ([`check_compatible`]) and the mark of a distributed fit's checkpoints ([`FOLD_KEY`]).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use homodyne_checkpoint::CheckpointManager;
use homodyne_core::{Context, DataSource, OptimizationError};
use homodyne_solvers::streaming::{PassCheckpointer, StreamState};

use super::state::encode_state;

/// The metadata key and value that mark a checkpoint of a distributed fit (its passes
/// summed in tree order).
pub(crate) const FOLD_KEY: &str = "fold";
/// See [`FOLD_KEY`].
pub(crate) const FOLD_TREE: &str = "tree";

/// Whether a checkpoint's `metadata` mark it as a distributed fit's ([`FOLD_KEY`]).
pub(crate) fn folded_in_tree(metadata: &BTreeMap<String, String>) -> bool {
    metadata.get(FOLD_KEY).map(String::as_str) == Some(FOLD_TREE)
}

/// The metadata every checkpoint of a streaming fit carries: the strategy, the problem's
/// size and batch size (which a resumed fit checks, [`check_compatible`]) and the source.
pub(crate) fn checkpoint_metadata(
    n_points: usize,
    n_params: usize,
    batch_size: usize,
    source: &dyn DataSource,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("strategy".to_string(), "STREAMING".to_string()),
        ("n_points".to_string(), n_points.to_string()),
        ("n_params".to_string(), n_params.to_string()),
        ("batch_size".to_string(), batch_size.to_string()),
        ("source".to_string(), source.describe()),
    ])
}

/// Saves [`StreamState`]s as HDF5 checkpoints, timing each save.
pub(crate) struct HdfCheckpointer {
    pub(super) manager: CheckpointManager,
    metadata: BTreeMap<String, String>,
    /// Total and longest save time, in seconds.
    timing: Mutex<(f64, f64)>,
}

impl PassCheckpointer for HdfCheckpointer {
    fn should_save(&self, batches_done: u64) -> bool {
        batches_done > 0 && self.manager.should_checkpoint(batches_done - 1)
    }

    fn save(&self, state: &StreamState, loss: f64) -> Result<(), String> {
        let started = Instant::now();
        let saved = self.save_untimed(state, loss);
        let seconds = started.elapsed().as_secs_f64();
        let mut timing = self.timing.lock().unwrap_or_else(|e| e.into_inner());
        timing.0 += seconds;
        timing.1 = timing.1.max(seconds);
        saved
    }
}

impl HdfCheckpointer {
    /// Saves through `manager`, adding `metadata` to every checkpoint.
    pub(crate) fn new(manager: CheckpointManager, metadata: BTreeMap<String, String>) -> Self {
        Self {
            manager,
            metadata,
            timing: Mutex::new((0.0, 0.0)),
        }
    }

    /// Total and longest save time so far, in seconds.
    pub(crate) fn timing(&self) -> (f64, f64) {
        *self.timing.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save_untimed(&self, state: &StreamState, loss: f64) -> Result<(), String> {
        let parameters = state
            .partial
            .as_ref()
            .map_or(&state.run_start, |p| &p.parameters);
        let (fields, mut metadata) = encode_state(state).map_err(|e| e.to_string())?;
        metadata.extend(self.metadata.clone());
        self.manager
            .save_checkpoint(state.batches_done, parameters, &fields, loss, &metadata)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Refuses a checkpoint written for another problem.
pub(crate) fn check_compatible(
    metadata: &BTreeMap<String, String>,
    n_points: usize,
    n_params: usize,
    batch_size: usize,
) -> Result<(), OptimizationError> {
    for (key, want) in [
        ("n_points", n_points),
        ("n_params", n_params),
        ("batch_size", batch_size),
    ] {
        let found = metadata.get(key).and_then(|v| v.parse::<usize>().ok());
        if found != Some(want) {
            return Err(OptimizationError::Checkpoint {
                message: format!(
                    "the checkpoint was written for {key} = {}, this fit has {want}",
                    metadata.get(key).map_or("(missing)", String::as_str)
                ),
                context: Context::new(),
                source: None,
            });
        }
    }
    Ok(())
}

//! The [`StreamingDiagnostics`] of a STREAMING fit, single-process or distributed: its
//! batches and passes, and what its checkpoints did.

use std::collections::BTreeMap;

use homodyne_core::StreamingDiagnostics;
use homodyne_solvers::streaming::StreamState;

use super::checkpointer::HdfCheckpointer;

/// The diagnostics of a STREAMING fit in batches of `batch_size` points (`n_batches` a
/// pass) that ended in `state`, as a fit that used every batch reports them (success rate
/// 1, no failed batch, no iterations per batch); a fit that passes over failed batches
/// sets those fields over these. The checkpoints: `saves`, the checkpoints written and the
/// errors of the saves that failed, by `checkpointer` (its total and longest save time;
/// 0 s without one), with the errors of setting the checkpoints up (`setup_errors`)
/// before those of the saves, and the checkpoint the fit resumed from.
pub(crate) fn streaming_diagnostics(
    (batch_size, n_batches): (usize, usize),
    state: &StreamState,
    checkpointer: Option<&HdfCheckpointer>,
    (written, save_errors): (usize, Vec<String>),
    setup_errors: Vec<String>,
    resumed_from: Option<String>,
) -> StreamingDiagnostics {
    let (checkpoint_seconds_total, checkpoint_seconds_max) =
        checkpointer.map_or((0.0, 0.0), HdfCheckpointer::timing);
    StreamingDiagnostics {
        batch_size,
        n_batches,
        batch_success_rate: 1.0,
        failed_batch_indices: Vec::new(),
        failed_batch_reasons: Vec::new(),
        error_type_distribution: BTreeMap::new(),
        average_iterations_per_batch: 0.0,
        total_batches_processed: state.batches_done,
        passes: state.passes_done,
        checkpoints_written: written,
        checkpoint_errors: setup_errors.into_iter().chain(save_errors).collect(),
        checkpoint_seconds_total,
        checkpoint_seconds_max,
        resumed_from,
    }
}

//! STREAMING fits over a [`DataSource`](homodyne_core::DataSource)
//! ([`Fit::source`](crate::Fit::source), or points in memory with
//! [`Fit::strategy`](crate::Fit::strategy)`(Streaming)`), with batch-level fault tolerance,
//! HDF5 checkpoints and resume.
//!
//! The data are read batch by batch on every pass (`homodyne_solvers::streaming`), so
//! memory is one batch plus `P x P` sums, whatever the number of points, and the optimum
//! is the one CHUNKED reaches in memory. With [`CheckpointOptions`] the fit saves its state
//! every `frequency` batches (`homodyne_state_batch_NNNN.h5`, see `homodyne_checkpoint`);
//! with `resume` it continues from the newest valid checkpoint and ends on the same bits as
//! a fit never interrupted.
//!
//! # What a checkpoint holds
//!
//! `parameters` is where the pass in progress evaluates the model. The optimizer state
//! holds, as plain datasets (`/optimizer_state/<name>`):
//!
//! | field | shape | meaning |
//! |---|---|---|
//! | `run_start` | `P` | where the current solver run started |
//! | `runs`, `batches_done`, `passes_done` | scalar | runs started, batches folded in, passes completed |
//! | `failed_batches` | `F` | excluded batches (their reasons are metadata `failed_batch_<i>`) |
//! | `pass_kind` | `K` | completed passes of the run: 0 cost, 1 linearisation |
//! | `pass_parameters` | `K x P` | where each pass was evaluated |
//! | `pass_cost`, `pass_chi_squared`, `pass_scaled_sq` | `K` | their sums |
//! | `pass_r`, `pass_qtf` | `K x P x P`, `K x P` | their factors (zero for cost passes) |
//! | `pass_invalid_*` | | their samples of non-finite residuals and Jacobian entries |
//! | `partial_*` | | the pass in progress: index, kind, accumulation, next batch, sums so far |
//!
//! Metadata: `strategy`, `n_points`, `n_params`, `batch_size`, `source`, and
//! `batch_statistics` (the batch statistics as JSON).
//!
//! # Files
//!
//! `options` (what the fit is told), `fit` (the fit itself), `checkpointer` (saving its
//! state as checkpoint files) and `state` (the state as the fields above, and back).

mod checkpointer;
mod diagnostics;
mod fit;
mod options;
mod state;

pub(crate) use checkpointer::{
    FOLD_KEY, FOLD_TREE, HdfCheckpointer, check_compatible, checkpoint_metadata, folded_in_tree,
};
pub(crate) use diagnostics::streaming_diagnostics;
pub(crate) use options::invalid_option;
pub use options::{CheckpointOptions, StreamingOptions};
pub(crate) use state::decode_state;

//! The STREAMING objective: exact passes over data read batch by batch from a
//! [`DataSource`], with batch-level fault tolerance and checkpoints inside a pass.
//!
//! # The mathematics
//!
//! The same as CHUNKED: every pass folds every point into the `P x P` sums (cost,
//! `J^T J`, `J^T f`, or the exact `R`), only the points arrive a batch at a time. Each batch
//! is summed by the in-memory machinery (chunks, leaves, a fixed tree, on all threads) and
//! the batches' sums are added in batch order. The next batch is read, on a thread of its
//! own, while one is summed; memory is these two batches plus the sums, whatever the number
//! of points.
//!
//! # Faults
//!
//! - A batch whose read fails, or whose data hold NaN, an infinity or a non-positive sigma,
//!   is read again, up to `max_retries_per_batch` times. If it still fails it is excluded
//!   from the objective from then on and recorded with the reason.
//!   - Excluded during the first pass of a solver run, it changes nothing already computed.
//!   - Excluded during a later pass, the objective has changed under the solver: the pass
//!     returns an error and [`StreamingObjective::take_restart`] says so; the caller
//!     restarts the solver from [`StreamingObjective::restart_point`] (the last point
//!     linearised), so that every cost the solver compares is over the same batches.
//! - When the share of good batches falls below `min_success_rate`, the pass fails with an
//!   error listing the failed batches and why.
//! - Non-finite residuals at a trial point are not data failures: the cost comes back
//!   infinite and the solver rejects the step.
//!
//! # Checkpoints and resume
//!
//! After every batch a [`PassCheckpointer`] may save a [`StreamState`]: the completed passes
//! of the current solver run (each with its parameters and its result, `O(P^2)` numbers),
//! the sums of the pass in progress and the next batch, the excluded batches and the batch
//! statistics. A resumed objective ([`StreamingObjective::resume`]) replays the solver run
//! from its start: every completed pass is answered from the record (after checking that
//! the solver asks for it at the very same parameters, bit for bit), and the interrupted
//! pass continues from its saved sums at its next batch. The solver is deterministic and
//! the sums are added in a fixed order, so the resumed fit ends on the same bits as one
//! never interrupted, having read only the batches the interruption lost.
//!
//! # Stopping on request
//!
//! The observer given with [`StreamingObjective::with_observer`] is asked after every
//! batch ([`FitObserver::stop_requested`]), once the batch is folded in and any checkpoint
//! due for it is saved; when it asks, the pass ends with
//! [`OptimizationError::Interrupted`]. A batch is never cut short, so every checkpoint
//! holds whole batches, and a fit stopped on request resumes from its checkpoints to the
//! bits of one never stopped.
//!
//! [`DataSource`]: homodyne_core::DataSource
//! [`FitObserver::stop_requested`]: homodyne_core::FitObserver::stop_requested
//! [`OptimizationError::Interrupted`]: homodyne_core::OptimizationError::Interrupted

mod batches;
mod checks;
mod objective;
mod passes;
pub(crate) mod reader;
mod settings;
mod state;

pub use crate::objective::SumsState;
pub use checks::invalid_data;
pub use objective::StreamingObjective;
pub use settings::StreamingSettings;
pub use state::{PartialPass, PassCheckpointer, PassRecord, PassResult, StreamState};

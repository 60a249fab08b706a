//! [`Checkpoint`]: a checkpoint as read back from its file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::state::OptimizerState;

/// A checkpoint read back from disk (by `load_checkpoint`): every
/// field exactly as it was saved, after its checksum and format version were checked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Checkpoint {
    /// Index of the batch after which the checkpoint was written.
    pub batch_idx: u64,
    /// The parameter vector.
    pub parameters: Vec<f64>,
    /// The optimizer's state.
    pub optimizer_state: OptimizerState,
    /// The loss (cost) at the checkpoint.
    pub loss: f64,
    /// Free-form string metadata (strategy, problem size, ...).
    pub metadata: BTreeMap<String, String>,
    /// The checkpoint format version of the file (`"1.0"` for files written by this
    /// library version).
    pub format_version: String,
    /// The version of the library that wrote the file.
    pub library_version: String,
    /// When the file was written: RFC 3339 in UTC, e.g. `2026-05-01T12:34:56.789012Z`.
    pub timestamp: String,
    /// Where the checkpoint was read from.
    pub path: PathBuf,
}

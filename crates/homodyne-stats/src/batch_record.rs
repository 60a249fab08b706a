//! What is recorded of one batch of a streaming fit.

use serde::{Deserialize, Serialize};

/// What happened to one batch of a streaming fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Index of the batch in the stream, as the caller numbered it.
    pub batch_idx: usize,
    /// Whether the fit of this batch succeeded.
    pub success: bool,
    /// Final loss of the batch fit, `None` when none was computed. Kept exactly as
    /// reported, even when it is not finite.
    pub loss: Option<f64>,
    /// Number of solver iterations the batch used.
    pub iterations: usize,
    /// Recovery actions applied to the batch, in the order they were applied; empty when
    /// none was needed.
    pub recovery_actions: Vec<String>,
    /// Name of the error the batch met, if any.
    pub error_type: Option<String>,
}

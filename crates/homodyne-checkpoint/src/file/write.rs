//! Writing a checkpoint file through a backend.

use std::path::Path;

use super::backend::Backend;
use super::checksum::checksum;
use super::fields::{Payload, fields};
use crate::error::CheckpointError;

/// Writes a complete checkpoint file at `path` with backend `B` (truncating anything
/// there) and closes it: every field of the payload and its checksum.
pub(crate) fn write_with<B: Backend>(
    path: &Path,
    payload: &Payload<'_>,
    compress: bool,
) -> Result<(), CheckpointError> {
    let sum = checksum(payload);
    let batch_idx = [payload.batch_idx];
    let loss = [payload.loss];
    B::write(path, &fields(payload, &batch_idx, &loss), &sum, compress)
}

//! Writing a checkpoint file through a backend: the groups and datasets laid out the
//! same way whichever library writes them.

use std::collections::BTreeMap;
use std::path::Path;

use super::backend::{Backend, Writer};
use super::checksum::checksum;
use super::chunks::chunking;
use super::fields::{Payload, Values, fields};
use super::layout::{CHECKSUM, GROUPS, STRING_SHAPE};
use crate::error::CheckpointError;

/// Writes a complete checkpoint file at `path` with backend `B` (truncating anything
/// there) and closes it: the groups [`GROUPS`], every field of the payload (in the order
/// of their sorted paths), chunked and deflated as [`chunking`] says, and the checksum as
/// [`CHECKSUM`].
pub(crate) fn write_with<B: Backend>(
    path: &Path,
    payload: &Payload<'_>,
    compress: bool,
) -> Result<(), CheckpointError> {
    let sum = checksum(payload);
    let batch_idx = [payload.batch_idx];
    let loss = [payload.loss];

    let file = B::create(path)?;
    let mut groups = BTreeMap::new();
    for group in GROUPS {
        let name = group.trim_start_matches('/');
        let handle = file
            .create_group(name)
            .map_err(|e| B::Writer::error(path, group, e))?;
        groups.insert(name, handle);
    }
    for field in fields(payload, &batch_idx, &loss) {
        let relative = field.path.trim_start_matches('/');
        let (group, name) = match relative.split_once('/') {
            Some((g, n)) => match groups.get(g) {
                Some(group) => (Some(group), n),
                None => {
                    return Err(CheckpointError::format(
                        path,
                        &field.path,
                        "is in no known group",
                    ));
                }
            },
            None => (None, relative),
        };
        let chunk = chunking(&field, compress);
        file.write_dataset(group, name, &field.shape, field.values, chunk)
            .map_err(|e| B::Writer::error(path, &field.path, e))?;
    }
    let checksum_name = CHECKSUM.trim_start_matches('/');
    file.write_dataset(None, checksum_name, &STRING_SHAPE, Values::Str(&sum), None)
        .map_err(|e| B::Writer::error(path, CHECKSUM, e))?;
    drop(groups);
    file.close().map_err(|e| B::Writer::error(path, "/", e))
}

//! Reading a checkpoint file through a backend, with every check: the format version,
//! each field's type and shape, and the checksum.

use std::collections::BTreeMap;
use std::path::Path;

use super::backend::{Backend, Source};
use super::checksum::checksum;
use super::fields::Payload;
use super::layout::{
    BATCH_IDX, CHECKSUM, FORMAT_MAJOR, FORMAT_VERSION, FORMAT_VERSION_PATH, LIBRARY_VERSION_PATH,
    LOSS, METADATA, OPTIMIZER_STATE, PARAMETERS, STRING_SHAPE, TIMESTAMP,
};
use crate::checkpoint::Checkpoint;
use crate::error::CheckpointError;
use crate::state::{OptimizerState, StateArray, validate_name};

/// Reads, checks and decodes the checkpoint at `path` with backend `B`.
///
/// Order of the checks: the file must exist and open as HDF5 ([`CheckpointError::Io`],
/// [`CheckpointError::NotHdf5`]); its format version must have this library's major
/// version ([`CheckpointError::VersionMismatch`]); every field must be present and of the
/// right type and shape ([`CheckpointError::MissingField`], [`CheckpointError::Format`]);
/// the checksum of the contents must equal the stored one ([`CheckpointError::Corrupt`]).
pub(crate) fn read_with<B: Backend>(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let meta = std::fs::metadata(path).map_err(|e| CheckpointError::io(path, "read", e))?;
    if !meta.is_file() {
        return Err(CheckpointError::NotHdf5 {
            path: path.to_path_buf(),
            message: "it is not a regular file".to_owned(),
        });
    }
    let file = B::open(path)?;
    let reader = Reader {
        path,
        source: &file,
    };

    let format_version = reader.string(FORMAT_VERSION_PATH)?;
    if parse_major(&format_version) != Some(FORMAT_MAJOR) {
        return Err(CheckpointError::VersionMismatch {
            path: path.to_path_buf(),
            found: format_version,
            supported: FORMAT_VERSION.to_owned(),
        });
    }
    let library_version = reader.string(LIBRARY_VERSION_PATH)?;
    let timestamp = reader.string(TIMESTAMP)?;
    let stored_checksum = reader.string(CHECKSUM)?;

    let parameters = match reader.numeric(PARAMETERS)? {
        StateArray::F64 { shape, data } if shape.len() == 1 => data,
        other => return Err(reader.wrong_kind(PARAMETERS, "a 1-D float64 array", &other)),
    };
    let loss = match reader.numeric(LOSS)? {
        StateArray::F64 { shape, data } if shape.is_empty() && data.len() == 1 => data[0],
        other => return Err(reader.wrong_kind(LOSS, "a float64 scalar", &other)),
    };
    let batch_idx = match reader.numeric(BATCH_IDX)? {
        StateArray::I64 { shape, data } if shape.is_empty() && data.len() == 1 => data[0],
        other => return Err(reader.wrong_kind(BATCH_IDX, "an int64 scalar", &other)),
    };

    let mut optimizer_state = OptimizerState::new();
    for (name, field) in reader.named_children(OPTIMIZER_STATE, "optimizer state field name")? {
        let array = reader.numeric(&field)?;
        optimizer_state
            .insert(name, array)
            .map_err(|e| reader.format(&field, e.to_string()))?;
    }
    let mut metadata = BTreeMap::new();
    for (key, field) in reader.named_children(METADATA, "metadata key")? {
        metadata.insert(key, reader.string(&field)?);
    }

    let payload = Payload {
        batch_idx,
        parameters: &parameters,
        loss,
        optimizer_state: &optimizer_state,
        metadata: &metadata,
        format_version: &format_version,
        library_version: &library_version,
        timestamp: &timestamp,
    };
    let actual = checksum(&payload);
    if actual != stored_checksum {
        return Err(CheckpointError::Corrupt {
            path: path.to_path_buf(),
            expected: stored_checksum,
            actual,
        });
    }
    let batch_idx = u64::try_from(batch_idx)
        .map_err(|_| reader.format(BATCH_IDX, format!("is negative ({batch_idx})")))?;
    Ok(Checkpoint {
        batch_idx,
        parameters,
        optimizer_state,
        loss,
        metadata,
        format_version,
        library_version,
        timestamp,
        path: path.to_path_buf(),
    })
}

/// The major version of a `MAJOR.MINOR` version string.
pub(crate) fn parse_major(version: &str) -> Option<u64> {
    let major = version.split_once('.').map_or(version, |(m, _)| m);
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    major.parse().ok()
}

/// Reads fields of one open file through its backend and checks their shapes, with errors
/// that name the file and the field.
struct Reader<'a, S> {
    path: &'a Path,
    source: &'a S,
}

impl<S: Source> Reader<'_, S> {
    fn format(&self, field: &str, message: impl Into<String>) -> CheckpointError {
        CheckpointError::format(self.path, field, message)
    }

    fn wrong_kind(&self, field: &str, expected: &str, found: &StateArray) -> CheckpointError {
        self.format(
            field,
            format!(
                "is a {} array of shape {:?}; the format requires {expected}",
                found.dtype_name(),
                found.shape()
            ),
        )
    }

    /// A string field: a string dataset of shape `[1]`.
    fn string(&self, field: &str) -> Result<String, CheckpointError> {
        let (shape, mut strings) = self.source.strings(field)?;
        if shape != STRING_SHAPE {
            return Err(self.format(
                field,
                format!("has shape {shape:?}; a string field has shape [1]"),
            ));
        }
        match (strings.pop(), strings.is_empty()) {
            (Some(s), true) => Ok(s),
            _ => Err(self.format(field, "does not hold exactly one string")),
        }
    }

    /// A numeric field: float64 or int64, any shape, as many elements as the shape says.
    fn numeric(&self, field: &str) -> Result<StateArray, CheckpointError> {
        let array = self.source.numbers(field)?;
        array.check_shape(Some(self.path), field).map_err(|_| {
            self.format(
                field,
                format!(
                    "has shape {:?} but {} element(s) were read; the data are truncated or damaged",
                    array.shape(),
                    array.len()
                ),
            )
        })?;
        Ok(array)
    }

    /// The datasets directly under the group `group`, sorted by name: each name, checked
    /// as a `what` (a format error when it is not a valid name), and its absolute path.
    fn named_children(
        &self,
        group: &str,
        what: &str,
    ) -> Result<Vec<(String, String)>, CheckpointError> {
        let mut names = self.source.dataset_names(group)?;
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let field = format!("{group}/{name}");
                validate_name(Some(self.path), what, &name)
                    .map_err(|e| self.format(&field, e.to_string()))?;
                Ok((name, field))
            })
            .collect()
    }
}

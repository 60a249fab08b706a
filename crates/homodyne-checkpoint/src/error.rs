//! [`CheckpointError`]: what can go wrong writing, reading or trusting a checkpoint.

use std::fmt;
use std::path::{Path, PathBuf};

use homodyne_core::{Context, OptimizationError};

/// Why a checkpoint could not be written, read or trusted.
///
/// Every variant names the file (or directory) it is about, so that the message alone is
/// enough to find the problem. Converts into
/// [`OptimizationError::Checkpoint`], with
/// the path and the other details in its context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The operating system refused a file or directory operation.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The file or directory the operation was about.
        path: PathBuf,
        /// What was being done (for example `"create the checkpoint directory"`).
        action: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file cannot be opened as HDF5: it is not an HDF5 file, or it is truncated or
    /// damaged beyond what the HDF5 reader can parse.
    #[error("{} cannot be read as an HDF5 checkpoint: {message}", path.display())]
    NotHdf5 {
        /// The file.
        path: PathBuf,
        /// The HDF5 reader's explanation.
        message: String,
    },
    /// The file is HDF5, but one of its fields cannot be written or read as the checkpoint
    /// format requires (wrong datatype or shape, unreadable data, a reader or writer error).
    #[error("{}: field {field}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The HDF5 path of the field (for example `/parameters`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The checksum stored in the file does not match the one computed from its contents:
    /// the file was modified or damaged after it was written.
    #[error(
        "{} is corrupt: stored checksum {expected} does not match the checksum of its contents {actual}",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The checksum stored in the file (hex SHA-256).
        expected: String,
        /// The checksum computed from the file's contents (hex SHA-256).
        actual: String,
    },
    /// The file was written in a checkpoint format of another major version.
    #[error(
        "{} has checkpoint format version {found}, but this library reads format version {supported} (major versions differ)",
        path.display()
    )]
    VersionMismatch {
        /// The file.
        path: PathBuf,
        /// The format version stored in the file.
        found: String,
        /// The format version this library writes and reads.
        supported: String,
    },
    /// A dataset or group the checkpoint format requires is absent.
    #[error("{} has no {field}: it is not a complete homodyne checkpoint", path.display())]
    MissingField {
        /// The file.
        path: PathBuf,
        /// The HDF5 path of the missing dataset or group.
        field: String,
    },
    /// An argument is unusable: a zero checkpoint frequency, a field or metadata name with
    /// characters outside `[A-Za-z0-9_]`, an array whose shape does not match its data.
    #[error("invalid {argument}: {reason}{}", PathSuffix(path.as_deref()))]
    InvalidArgument {
        /// The file or directory concerned, when there is one.
        path: Option<PathBuf>,
        /// Which argument (for example `"checkpoint_frequency"`).
        argument: String,
        /// What is wrong and what is accepted.
        reason: String,
    },
}

/// Formats ` (for PATH)` when a path is known.
struct PathSuffix<'a>(Option<&'a Path>);

impl fmt::Display for PathSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(path) => write!(f, " (for {})", path.display()),
            None => Ok(()),
        }
    }
}

impl CheckpointError {
    /// The file or directory this error is about (`None` only for an invalid argument given
    /// outside any file operation).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Io { path, .. }
            | Self::NotHdf5 { path, .. }
            | Self::Format { path, .. }
            | Self::Corrupt { path, .. }
            | Self::VersionMismatch { path, .. }
            | Self::MissingField { path, .. } => Some(path),
            Self::InvalidArgument { path, .. } => path.as_deref(),
        }
    }

    /// True when the file exists but cannot be trusted: not HDF5, truncated, an unreadable
    /// field, a checksum mismatch, a missing field or a foreign format version.
    pub fn is_invalid_file(&self) -> bool {
        matches!(
            self,
            Self::NotHdf5 { .. }
                | Self::Format { .. }
                | Self::Corrupt { .. }
                | Self::VersionMismatch { .. }
                | Self::MissingField { .. }
        )
    }

    /// A short name of the variant (`"io"`, `"not_hdf5"`, `"format"`, `"corrupt"`,
    /// `"version_mismatch"`, `"missing_field"`, `"invalid_argument"`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io",
            Self::NotHdf5 { .. } => "not_hdf5",
            Self::Format { .. } => "format",
            Self::Corrupt { .. } => "corrupt",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::MissingField { .. } => "missing_field",
            Self::InvalidArgument { .. } => "invalid_argument",
        }
    }

    /// Builds an [`CheckpointError::Io`].
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: impl Into<String>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            path: path.into(),
            action: action.into(),
            source,
        }
    }

    /// Builds a [`CheckpointError::Format`] about `field` of the file at `path`.
    pub(crate) fn format(path: &Path, field: &str, message: impl Into<String>) -> Self {
        Self::Format {
            path: path.to_path_buf(),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Builds a [`CheckpointError::MissingField`] about `field` of the file at `path`.
    pub(crate) fn missing(path: &Path, field: &str) -> Self {
        Self::MissingField {
            path: path.to_path_buf(),
            field: field.to_owned(),
        }
    }

    /// Builds an [`CheckpointError::InvalidArgument`].
    pub(crate) fn invalid(
        path: Option<&Path>,
        argument: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            path: path.map(Path::to_path_buf),
            argument: argument.into(),
            reason: reason.into(),
        }
    }
}

impl From<CheckpointError> for OptimizationError {
    /// An [`OptimizationError::Checkpoint`] whose message says what went wrong in a few
    /// words, whose context carries `checkpoint_error` (the [`CheckpointError::kind_name`]),
    /// `path` and the variant's details (`field`, `expected`/`actual`, `found`/`supported`,
    /// `action`, `argument`), and whose source is the original [`CheckpointError`] (reach it
    /// with `downcast_ref`).
    fn from(err: CheckpointError) -> Self {
        let mut context = Context::new().with("checkpoint_error", err.kind_name());
        if let Some(path) = err.path() {
            context = context.with("path", path.display());
        }
        let message = match &err {
            CheckpointError::Io { action, .. } => {
                context = context.with("action", action);
                format!("cannot {action}")
            }
            CheckpointError::NotHdf5 { .. } => "the file cannot be read as HDF5".to_owned(),
            CheckpointError::Format { field, .. } => {
                context = context.with("field", field);
                "a field cannot be written or read".to_owned()
            }
            CheckpointError::Corrupt {
                expected, actual, ..
            } => {
                context = context.with("expected", expected).with("actual", actual);
                "checksum mismatch: the file is corrupt".to_owned()
            }
            CheckpointError::VersionMismatch {
                found, supported, ..
            } => {
                context = context.with("found", found).with("supported", supported);
                "unsupported checkpoint format version".to_owned()
            }
            CheckpointError::MissingField { field, .. } => {
                context = context.with("field", field);
                "a required field is missing".to_owned()
            }
            CheckpointError::InvalidArgument { argument, .. } => {
                context = context.with("argument", argument);
                "invalid checkpoint argument".to_owned()
            }
        };
        OptimizationError::Checkpoint {
            message,
            context,
            source: Some(Box::new(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_core::ErrorKind;

    #[test]
    fn converts_into_the_checkpoint_kind_with_context() {
        let err = CheckpointError::Corrupt {
            path: PathBuf::from("/tmp/ck/homodyne_state_batch_0010.h5"),
            expected: "aa".into(),
            actual: "bb".into(),
        };
        let text = err.to_string();
        assert!(text.contains("homodyne_state_batch_0010.h5"), "{text}");
        assert!(text.contains("aa") && text.contains("bb"), "{text}");
        let opt: OptimizationError = err.into();
        assert_eq!(opt.kind(), ErrorKind::Checkpoint);
        assert_eq!(
            opt.context().get("path"),
            Some("/tmp/ck/homodyne_state_batch_0010.h5")
        );
        assert_eq!(opt.context().get("checkpoint_error"), Some("corrupt"));
        assert_eq!(opt.context().get("expected"), Some("aa"));
        let source = std::error::Error::source(&opt).expect("source kept");
        assert!(source.downcast_ref::<CheckpointError>().is_some());
    }

    #[test]
    fn invalid_argument_names_the_path_when_known() {
        let with = CheckpointError::invalid(
            Some(Path::new("/x/dir")),
            "keep_last_n",
            "must be at least 1",
        );
        assert_eq!(
            with.to_string(),
            "invalid keep_last_n: must be at least 1 (for /x/dir)"
        );
        let without = CheckpointError::invalid(None, "name", "is empty");
        assert_eq!(without.to_string(), "invalid name: is empty");
        assert!(without.path().is_none());
    }
}

//! The typed error of this crate: what was wrong, and with which value.

use std::path::PathBuf;

use thiserror::Error;

/// An XPCS model, dataset or configuration that cannot be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum XpcsError {
    /// A model or grid setting out of its domain (`dt <= 0`, fewer than two frames, ...).
    #[error("invalid {what}: {message}")]
    InvalidSetting {
        /// The setting, e.g. `"dt"` or `"phi angles"`.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// The fit itself failed (bad start, bounds, or no convergence).
    #[error(transparent)]
    Fit(#[from] homodyne_core::OptimizationError),
    /// A parameter vector of the wrong length for the model's layout.
    #[error("the {layout} layout has {expected} parameters, but {actual} were given")]
    ParameterCount {
        /// The layout, e.g. `"laminar_flow, individual scaling, 3 angles"`.
        layout: String,
        /// Parameters the layout has.
        expected: usize,
        /// Parameters given.
        actual: usize,
    },
    /// A file that cannot be opened, read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted: `"open"`, `"read"`, `"write"`, `"create"`.
        action: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A data file whose contents cannot be used: not HDF5 or NPZ at all, truncated or
    /// corrupt, a dataset of the wrong shape or element type, a value that is not finite.
    #[error("{}{}: {message}", path.display(), item_suffix(item))]
    DataFile {
        /// The file.
        path: PathBuf,
        /// The dataset (`/xpcs/dqlist`), NPZ key (`c2_exp`) or group concerned; empty
        /// when the problem is the file as a whole.
        item: String,
        /// What is wrong, and what to give instead.
        message: String,
    },
    /// A dataset, group or NPZ key that the file's layout needs and the file lacks.
    #[error("{}: no {item}: {message}", path.display())]
    MissingDataset {
        /// The file.
        path: PathBuf,
        /// The dataset, group or key that is missing.
        item: String,
        /// Which layout needs it, and what the file holds instead.
        message: String,
    },
    /// Frames `[start_frame, end_frame]` (1-based, inclusive) outside the frames the data
    /// hold.
    #[error(
        "{}: frames [{start_frame}, {end_frame}] (1-based, inclusive) are outside the \
         {n_frames} frames of the data: {message}",
        path.display()
    )]
    FrameRange {
        /// The file.
        path: PathBuf,
        /// The configured first frame (1-based).
        start_frame: i64,
        /// The configured last frame (1-based, inclusive; -1 means the last frame).
        end_frame: i64,
        /// Frames per matrix side in the file.
        n_frames: usize,
        /// What to change.
        message: String,
    },
    /// No wavevector in the file can be selected for the requested one.
    #[error("{}: no wavevector near q = {requested} 1/A: {message}", path.display())]
    Wavevector {
        /// The file.
        path: PathBuf,
        /// The requested wavevector (1/Angstrom).
        requested: f64,
        /// What the file holds.
        message: String,
    },
    /// An output file that cannot be written for a reason other than the operating
    /// system's: an encoder or the HDF5 writer refused an array.
    #[error("cannot write {}{}: {message}", path.display(), item_suffix(item))]
    Write {
        /// The file.
        path: PathBuf,
        /// The array or key concerned (`c2_exp`); empty for the file as a whole.
        item: String,
        /// What went wrong.
        message: String,
    },
    /// A configuration that is not valid YAML, or whose top level is not a mapping.
    #[error("configuration {source_name}: {message}")]
    ConfigSyntax {
        /// The file, or `<string>` for text given directly.
        source_name: String,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// A configuration key whose value has the wrong type.
    #[error("configuration key `{key}`: expected {expected}, found {found}")]
    ConfigType {
        /// The full dotted key path, e.g. `analyzer_parameters.dt`.
        key: String,
        /// The type the key takes, e.g. `a number`.
        expected: String,
        /// What the file holds, e.g. `the string \"fast\"`.
        found: String,
    },
    /// A configuration key whose value has the right type but cannot be used (a negative
    /// `dt`, an unknown parameter name, a bound whose min exceeds its max, a required key
    /// that is missing).
    #[error("configuration key `{key}`: {message}")]
    ConfigValue {
        /// The full dotted key path.
        key: String,
        /// What is wrong, and what to give instead.
        message: String,
    },
}

/// `" [item]"`, or nothing for an empty item.
fn item_suffix(item: &str) -> String {
    if item.is_empty() {
        String::new()
    } else {
        format!(" [{item}]")
    }
}

impl XpcsError {
    /// An [`XpcsError::DataFile`] for `path` and `item`.
    pub fn data_file(
        path: impl Into<PathBuf>,
        item: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::DataFile {
            path: path.into(),
            item: item.into(),
            message: message.into(),
        }
    }

    /// An [`XpcsError::ConfigValue`] for `key`.
    pub fn config_value(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::ConfigValue {
            key: key.into(),
            message: message.into(),
        }
    }

    /// An [`XpcsError::InvalidSetting`].
    pub fn setting(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidSetting {
            what: what.into(),
            message: message.into(),
        }
    }
}

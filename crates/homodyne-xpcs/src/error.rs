//! The typed error of this crate: what was wrong, and with which value.

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
}

impl XpcsError {
    /// An [`XpcsError::InvalidSetting`].
    pub fn setting(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidSetting {
            what: what.into(),
            message: message.into(),
        }
    }
}

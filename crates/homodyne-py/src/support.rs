//! (being written)
use pyo3::prelude::*;

/// Adds this module's functions and classes to `_native`.
pub(crate) fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}

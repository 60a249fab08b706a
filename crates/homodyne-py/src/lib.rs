//! `homodyne_rs._native`: the compiled half of the `homodyne_rs` Python package.
use pyo3::prelude::*;

/// The compiled module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

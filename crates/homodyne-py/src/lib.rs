//! `homodyne_rs._native`: the compiled half of the `homodyne_rs` Python package.
//!
//! The Python modules under `python/homodyne_rs/` give the public API (scipy's and the
//! reference's names, signatures and docstrings); this module does the work: fits, the
//! checkpoint, statistics, validation and recovery classes, and XPCS.
use pyo3::prelude::*;

mod control;
mod errors;
mod least_squares;
mod support;
mod xpcs;

/// The compiled module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    support::register(m)?;
    xpcs::register(m)?;
    least_squares::register(m)?;
    Ok(())
}

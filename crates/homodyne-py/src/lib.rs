//! `homodyne_rs._native`: the compiled half of the `homodyne_rs` Python package.
//!
//! The Python modules under `python/homodyne_rs/` give the public API (scipy's and the
//! reference's names, signatures and docstrings); this module does the work: fits, the
//! checkpoint, statistics, validation and recovery classes, and XPCS.
use pyo3::prelude::*;

mod control;
mod convert;
mod curve;
mod errors;
mod least_squares;
mod model;
mod stencil;
mod support;
mod xpcs;

/// The compiled module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(curve::fit_curve, m)?)?;
    m.add_function(wrap_pyfunction!(curve::formula_parameters, m)?)?;
    m.add_function(wrap_pyfunction!(curve::formula_values, m)?)?;
    support::register(m)?;
    xpcs::register(m)?;
    least_squares::register(m)?;
    Ok(())
}

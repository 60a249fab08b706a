//! `homodyne_rs._native`: the compiled half of the `homodyne_rs` Python package.
//!
//! The Python modules under `python/homodyne_rs/` give the public API (scipy's and the
//! reference's names, signatures and docstrings); this module does the work: fits, the
//! checkpoint, statistics, validation and recovery classes, and XPCS.
//!
//! It is used from Python, after `pip install ./crates/homodyne-py`. A Rust doc example
//! cannot run it: the extension module links against the interpreter that imports it, and
//! a doctest binary has none (the crate sets `doctest = false`). The example below is
//! Python; `tests/test_crate_doc.py` runs every `python` block of this comment:
//!
//! ```python
//! import numpy as np
//! from homodyne_rs import curve_fit
//!
//! x = np.linspace(0.0, 5.0, 200)
//! noise = 0.01 * np.sin(37.0 * x)  # a fixed, small wiggle
//! y = 3.0 * np.exp(-0.7 * x) + 0.5 + noise
//!
//! # A formula runs in Rust with exact derivatives; a Python function works the same way.
//! popt, pcov = curve_fit("a*exp(-b*x) + c", x, y, p0=[1.0, 1.0, 0.0])
//! assert np.allclose(popt, [3.0, 0.7, 0.5], atol=0.02)
//! popt_f, _ = curve_fit(lambda x, a, b, c: a * np.exp(-b * x) + c, x, y, p0=[1.0, 1.0, 0.0])
//! assert np.allclose(popt_f, popt, rtol=1e-6)
//! assert pcov.shape == (3, 3) and np.all(np.diag(pcov) > 0)
//! ```
use pyo3::prelude::*;

mod coarse;
mod control;
mod convert;
mod curve;
mod errors;
mod least_squares;
mod model;
mod multistart;
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

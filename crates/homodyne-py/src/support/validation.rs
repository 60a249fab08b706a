//! `NumericalValidator`: the checks at the three critical points of an iteration, bound
//! from `homodyne::NumericalValidator`.
//!
//! - gradient: every component finite and `|g_j| <= sqrt(f64::MAX) ~ 1.34e154`, past which
//!   its square overflows;
//! - parameters: every value finite and within `[lower_j, upper_j]`;
//! - loss: finite.
//!
//! A failed check raises `NLSQNumericalError` with `detection_point` `'gradient'`,
//! `'parameter'` or `'loss'` and `invalid_values` the first offending `(index, value)`
//! pairs; its `error_context` holds `check` (`gradient`, `parameter`, `parameter_bounds`
//! or `loss`), the number of invalid values `invalid_count`, and `iteration` when given.
use homodyne::{NumericalValidator, OptimizationError};
use numpy::{PyReadonlyArray1, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use super::arguments::count;
use crate::errors;

/// Adds `validate_gradients`, `validate_parameters` and `validate_loss` to `_native`.
pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(validate_gradients, m)?)?;
    m.add_function(wrap_pyfunction!(validate_parameters, m)?)?;
    m.add_function(wrap_pyfunction!(validate_loss, m)?)?;
    Ok(())
}

/// The iteration of the context, or `None` (then 0, removed from the error's context).
fn iteration_of(iteration: Option<&Bound<'_, PyAny>>) -> PyResult<Option<usize>> {
    iteration.map(|i| count(i, "iteration")).transpose()
}

/// The Python exception for a failed check, its context set as the module documents.
fn raise(py: Python<'_>, mut err: OptimizationError, iteration: Option<usize>) -> PyErr {
    if let OptimizationError::Numerical {
        detection_point,
        sample,
        context,
    } = &mut err
    {
        if iteration.is_none() {
            context.0.remove("iteration");
        }
        context
            .0
            .insert("check".to_owned(), detection_point.to_string());
        context
            .0
            .insert("invalid_count".to_owned(), sample.count.to_string());
    }
    errors::fit_error(py, &err)
}

/// Checks a gradient (any shape, read in C order).
#[pyfunction]
#[pyo3(signature = (gradients, enabled=true, iteration=None))]
fn validate_gradients(
    py: Python<'_>,
    gradients: PyReadonlyArrayDyn<'_, f64>,
    enabled: bool,
    iteration: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let iteration = iteration_of(iteration)?;
    let values: Vec<f64> = gradients.as_array().iter().copied().collect();
    NumericalValidator::new(enabled)
        .check_gradient(&values, iteration.unwrap_or(0))
        .map_err(|e| raise(py, e, iteration))
}

/// Checks parameters, and that they lie within `lower` and `upper` when given.
#[pyfunction]
#[pyo3(signature = (parameters, lower=None, upper=None, enabled=true, iteration=None))]
fn validate_parameters(
    py: Python<'_>,
    parameters: PyReadonlyArray1<'_, f64>,
    lower: Option<PyReadonlyArray1<'_, f64>>,
    upper: Option<PyReadonlyArray1<'_, f64>>,
    enabled: bool,
    iteration: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let iteration = iteration_of(iteration)?;
    let values = parameters.as_array().to_vec();
    let n = values.len();
    let (lower, upper) = super::arguments::bound_sides(py, n, lower, upper)?;
    NumericalValidator::new(enabled)
        .check_parameters(&values, &lower, &upper, iteration.unwrap_or(0))
        .map_err(|e| raise(py, e, iteration))
}

/// Checks a loss value.
#[pyfunction]
#[pyo3(signature = (loss_value, enabled=true, iteration=None))]
fn validate_loss(
    py: Python<'_>,
    loss_value: f64,
    enabled: bool,
    iteration: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let iteration = iteration_of(iteration)?;
    NumericalValidator::new(enabled)
        .check_loss(loss_value, iteration.unwrap_or(0))
        .map_err(|e| raise(py, e, iteration))
}

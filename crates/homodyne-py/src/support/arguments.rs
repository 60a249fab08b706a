//! The checks of the support classes' arguments, shared by every submodule: each refuses
//! a bad value with `NLSQInputError` naming the argument, before any work.
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;

/// The entries of the dict argument `name`, in order, each with its key as a string, or
/// `NLSQInputError` naming the argument and the key when that key is not a string.
pub(crate) fn string_keyed<'a, 'py>(
    dict: &'a Bound<'py, PyDict>,
    name: &'a str,
) -> impl Iterator<Item = PyResult<(String, Bound<'py, PyAny>)>> + 'a {
    dict.iter()
        .map(move |(key, value)| match key.extract::<String>() {
            Ok(key) => Ok((key, value)),
            Err(_) => Err(errors::input_error(
                dict.py(),
                format!("{name} has a key that is not a string: {key}"),
            )),
        })
}

/// The non-negative integer `value` of the argument `name` (a Python `int` or anything
/// with `__index__`, such as NumPy integers); `NLSQInputError` naming the argument
/// otherwise.
pub(crate) fn count(value: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    let py = value.py();
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(errors::input_error(
            py,
            format!("{name} must be a non-negative integer, not a bool ({value})"),
        ));
    }
    match value.extract::<i64>() {
        Ok(n) => usize::try_from(n).map_err(|_| {
            errors::input_error(
                py,
                format!("{name} must be a non-negative integer, got {n}"),
            )
        }),
        Err(_) => Err(errors::input_error(
            py,
            format!(
                "{name} must be a non-negative integer, got {} ({})",
                value
                    .repr()
                    .map_or_else(|_| "?".to_owned(), |r| r.to_string()),
                value
                    .get_type()
                    .name()
                    .map_or_else(|_| "?".to_owned(), |n| n.to_string())
            ),
        )),
    }
}

/// The positive, finite memory limit in GiB of the argument `memory_limit_gb`, or `None`.
pub(crate) fn memory_limit(py: Python<'_>, memory_limit_gb: Option<f64>) -> PyResult<Option<f64>> {
    match memory_limit_gb {
        Some(gb) if !(gb.is_finite() && gb > 0.0) => Err(errors::input_error(
            py,
            format!("memory_limit_gb must be a positive number of GiB, got {gb}"),
        )),
        other => Ok(other),
    }
}

/// The lower and upper bounds of `n` parameters as given from Python (either side may be
/// missing: unbounded there), each checked to hold `n` values.
pub(crate) fn bound_sides(
    py: Python<'_>,
    n: usize,
    lower: Option<numpy::PyReadonlyArray1<'_, f64>>,
    upper: Option<numpy::PyReadonlyArray1<'_, f64>>,
) -> PyResult<(Vec<f64>, Vec<f64>)> {
    let side = |bound: Option<numpy::PyReadonlyArray1<'_, f64>>, name: &str, fill: f64| match bound
    {
        None => Ok(vec![fill; n]),
        Some(b) if b.as_array().len() == n => Ok(b.as_array().to_vec()),
        Some(b) => Err(crate::errors::input_error(
            py,
            format!(
                "the {name} bounds have {} values but there are {n} parameters",
                b.as_array().len()
            ),
        )),
    };
    Ok((
        side(lower, "lower", f64::NEG_INFINITY)?,
        side(upper, "upper", f64::INFINITY)?,
    ))
}

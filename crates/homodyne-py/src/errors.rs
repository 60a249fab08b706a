//! Rust errors as the package's Python exceptions (`homodyne_rs.exceptions`).
//!
//! | Rust | Python |
//! |---|---|
//! | `OptimizationError::Convergence` | `NLSQConvergenceError` (also `RuntimeError`) |
//! | `OptimizationError::Numerical`, non-finite input data | `NLSQNumericalError` (also `ValueError`) |
//! | `OptimizationError::Checkpoint`, `CheckpointError` | `NLSQCheckpointError` |
//! | `OptimizationError::InvalidInput` (other than non-finite data) | `NLSQInputError` (also `ValueError`) |
//! | a panicking model, a failed exchange of sums | `NLSQOptimizationError` |
//!
//! Every exception carries the Rust error's context as `error_context` (a dict of strings).

use std::collections::BTreeMap;

use homodyne_core::{DetectionPoint, ErrorKind, InvalidInput, OptimizationError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The exception classes of `homodyne_rs.exceptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// `NLSQOptimizationError`, the base class.
    Optimization,
    /// `NLSQConvergenceError`.
    Convergence,
    /// `NLSQNumericalError`.
    Numerical,
    /// `NLSQCheckpointError`.
    Checkpoint,
    /// `NLSQInputError`.
    Input,
}

impl ErrorClass {
    fn name(self) -> &'static str {
        match self {
            Self::Optimization => "NLSQOptimizationError",
            Self::Convergence => "NLSQConvergenceError",
            Self::Numerical => "NLSQNumericalError",
            Self::Checkpoint => "NLSQCheckpointError",
            Self::Input => "NLSQInputError",
        }
    }
}

/// Builds an exception of `class` with `message` and `context` as its `error_context`.
pub(crate) fn error(
    py: Python<'_>,
    class: ErrorClass,
    message: &str,
    context: &BTreeMap<String, String>,
) -> PyErr {
    numerical_error(py, class, message, context, None, &[])
}

/// Like [`error`], with the `detection_point` and `invalid_values` of an
/// `NLSQNumericalError` (ignored by the other classes).
pub(crate) fn numerical_error(
    py: Python<'_>,
    class: ErrorClass,
    message: &str,
    context: &BTreeMap<String, String>,
    detection_point: Option<&str>,
    invalid_values: &[(usize, f64)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module = py.import("homodyne_rs.exceptions")?;
        let cls = module.getattr(class.name())?;
        let ctx = PyDict::new(py);
        for (k, v) in context {
            ctx.set_item(k, v)?;
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("error_context", ctx)?;
        if class == ErrorClass::Numerical {
            kwargs.set_item("detection_point", detection_point)?;
            kwargs.set_item("invalid_values", PyList::new(py, invalid_values)?)?;
        }
        let instance = cls.call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(instance))
    };
    // If the exceptions module itself cannot be imported, say so with the message kept.
    build().unwrap_or_else(|import_error| import_error)
}

/// The Python exception for an error of a fit.
pub(crate) fn fit_error(py: Python<'_>, err: &OptimizationError) -> PyErr {
    let context = &err.context().0;
    let message = err.to_string();
    match err {
        OptimizationError::Numerical {
            detection_point,
            sample,
            ..
        } => {
            let values: Vec<(usize, f64)> =
                sample.values.iter().map(|v| (v.index, v.value)).collect();
            numerical_error(
                py,
                ErrorClass::Numerical,
                &message,
                context,
                Some(detection_point_name(*detection_point)),
                &values,
            )
        }
        OptimizationError::InvalidInput {
            problem: InvalidInput::NonFinite { index, value, .. },
            ..
        } => numerical_error(
            py,
            ErrorClass::Numerical,
            &message,
            context,
            Some("data"),
            &[(*index, *value)],
        ),
        _ if err.kind() == ErrorKind::Interrupted => {
            pyo3::exceptions::PyKeyboardInterrupt::new_err(message)
        }
        _ => {
            let class = match err.kind() {
                ErrorKind::Convergence => ErrorClass::Convergence,
                ErrorKind::Numerical => ErrorClass::Numerical,
                ErrorKind::Checkpoint => ErrorClass::Checkpoint,
                ErrorKind::InvalidInput => ErrorClass::Input,
                _ => ErrorClass::Optimization,
            };
            error(py, class, &message, context)
        }
    }
}

/// The reference's names for where a non-finite value was found.
fn detection_point_name(point: DetectionPoint) -> &'static str {
    match point {
        DetectionPoint::Residuals => "residuals",
        DetectionPoint::Jacobian => "jacobian",
        DetectionPoint::Gradient => "gradient",
        DetectionPoint::Parameters | DetectionPoint::ParameterBounds => "parameter",
        DetectionPoint::Loss => "loss",
        _ => "unknown",
    }
}

/// An `NLSQInputError` with no context: for arguments rejected before any work.
pub(crate) fn input_error(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    error(py, ErrorClass::Input, message.as_ref(), &BTreeMap::new())
}

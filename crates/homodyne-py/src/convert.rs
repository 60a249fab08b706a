//! A fit's result as a Python dict of numpy arrays and plain values, the one shape every
//! Python-facing result (`OptimizationResult`, `curve_fit`'s tuple, `least_squares`'s
//! `OptimizeResult`) is built from.

use homodyne_core::OptimizationResult;
use numpy::{PyArray1, ToPyArray};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Sets `dict[name] = source.name` for each field `name`: a Python dict of a Rust struct's
/// fields under the fields' own names.
macro_rules! set_fields {
    ($dict:expr, $source:expr, $($field:ident),+ $(,)?) => {
        $($dict.set_item(stringify!($field), &$source.$field)?;)+
    };
}
pub(crate) use set_fields;

/// `value` (any serde value) as the Python object Python's `json` module would read.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    value: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| {
        crate::errors::error(
            py,
            crate::errors::ErrorClass::Optimization,
            &format!("internal error: a result field could not be converted: {e}"),
            &Default::default(),
        )
    })?;
    py.import("json")?.call_method1("loads", (text,))
}

/// The reference's strategy names: `STANDARD`, `LARGE`, `CHUNKED`, `STREAMING`.
pub(crate) fn strategy_name(strategy: homodyne_core::OptimizationStrategy) -> String {
    format!("{strategy:?}").to_uppercase()
}

/// Every field of `result` (numbers as numpy arrays where they are arrays).
pub(crate) fn result_dict<'py>(
    py: Python<'py>,
    result: &OptimizationResult,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("parameters", PyArray1::from_slice(py, &result.parameters))?;
    d.set_item("covariance", result.covariance.matrix.to_pyarray(py))?;
    d.set_item("covariance_rank", result.covariance.rank)?;
    d.set_item("condition_number", result.covariance.condition_number)?;
    d.set_item(
        "uncertainties",
        PyArray1::from_slice(py, &result.uncertainties),
    )?;
    d.set_item("chi_squared", result.chi_squared)?;
    d.set_item("reduced_chi_squared", result.reduced_chi_squared)?;
    d.set_item("convergence_status", status_name(result.convergence_status))?;
    d.set_item(
        "converged",
        result.convergence_status == homodyne_core::ConvergenceStatus::Converged,
    )?;
    d.set_item(
        "termination_reason",
        format!("{:?}", result.termination_reason),
    )?;
    d.set_item("message", result.termination_reason.to_string())?;
    set_fields!(
        d,
        result,
        iterations,
        nfev,
        njev,
        optimality,
        gradient_cosine,
        absolute_sigma
    );
    d.set_item("notes", result.notes.clone())?;
    d.set_item("final_cost", result.final_cost)?;
    d.set_item("method", format!("{:?}", result.method).to_lowercase())?;
    d.set_item("jacobian_kind", format!("{:?}", result.jacobian_kind))?;
    d.set_item("device_info", json_to_py(py, &result.device_info)?)?;
    let actions: Vec<String> = result
        .recovery_actions
        .iter()
        .map(|a| crate::support::reference_action(&a.action).to_string())
        .collect();
    d.set_item("recovery_actions", actions)?;
    d.set_item(
        "recovery_details",
        json_to_py(py, &result.recovery_actions)?,
    )?;
    d.set_item("attempts", json_to_py(py, &result.attempts)?)?;
    d.set_item("strategy", strategy_name(result.strategy))?;
    d.set_item("strategy_notes", result.strategy_notes.clone())?;
    match &result.streaming_diagnostics {
        Some(s) => d.set_item("streaming_diagnostics", json_to_py(py, s)?)?,
        None => d.set_item("streaming_diagnostics", py.None())?,
    }
    d.set_item("execution_time", result.wall_time.as_secs_f64())?;
    d.set_item("n_points", result.n_points)?;
    let flags: Vec<String> = result
        .parameter_flags
        .iter()
        .map(|f| format!("{f:?}"))
        .collect();
    d.set_item("parameter_flags", flags)?;
    Ok(d)
}

/// `converged`, `max_evaluations` or `stalled`.
pub(crate) fn status_name(status: homodyne_core::ConvergenceStatus) -> &'static str {
    match status {
        homodyne_core::ConvergenceStatus::Converged => "converged",
        homodyne_core::ConvergenceStatus::MaxEvaluationsReached => "max_evaluations",
        _ => "stalled",
    }
}

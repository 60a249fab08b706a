//! `RecoveryStrategyApplicator`: which strategy to retry a failed fit with, bound from
//! `homodyne::RecoveryStrategyApplicator`.
//!
//! In the reference's names and order, one strategy per retry:
//!
//! | error | attempt 0 | attempt 1 | attempt 2 |
//! |---|---|---|---|
//! | `NLSQConvergenceError` | `perturb_parameters` (each value moved by up to 5%, seeded, kept inside the bounds) | `increase_iterations` (1.5x the evaluations) | `relax_tolerance` (10x looser) |
//! | `NLSQNumericalError` | `reduce_step_size` (half the initial step) | `tighten_bounds` (90% of each range) | `rescale_data` (residuals over the range of `y`) |
//!
//! Only `perturb_parameters` changes the parameters; the others change the solver's
//! settings and return the parameters as they were. Any other exception, and an attempt at
//! or past `max_retries`, has no strategy. As in the Rust applicator, a numerical error at
//! iteration 0 (`error_context['iteration'] == 0`) is retried only where a strategy can
//! change the outcome (a non-finite loss, by `rescale_data`), and a convergence error whose
//! `error_context['status']` is `'stalled'` only by `perturb_parameters`.
use homodyne::{
    Bounds, Context, DetectionPoint, InvalidSample, OptimizationError, RecoveryStrategy,
};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arguments::count;
use crate::errors;

/// Adds the `RecoveryStrategyApplicator` class to `_native`.
pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RecoveryStrategyApplicator>()?;
    m.add_function(wrap_pyfunction!(recovery_action_name, m)?)
}

/// The reference's name of a recovery action (see [`reference_action`]).
#[pyfunction]
fn recovery_action_name(action: &str) -> &str {
    reference_action(action)
}

/// The reference's name of a recovery strategy (the Rust names differ for two:
/// `loosen_tolerances` is `relax_tolerance`, `halve_step` is `reduce_step_size`).
pub(crate) fn reference_name(strategy: RecoveryStrategy) -> &'static str {
    match strategy {
        RecoveryStrategy::PerturbParameters => "perturb_parameters",
        RecoveryStrategy::IncreaseIterations => "increase_iterations",
        RecoveryStrategy::LoosenTolerances => "relax_tolerance",
        RecoveryStrategy::HalveStep => "reduce_step_size",
        RecoveryStrategy::TightenBounds => "tighten_bounds",
        RecoveryStrategy::RescaleData => "rescale_data",
    }
}

/// A retry: the strategy's name and the parameters to start it from.
type Retry<'py> = (&'static str, Bound<'py, PyArray1<f64>>);

/// The reference's name of a recovery action recorded by the Rust wrapper
/// (`RecoveryAction::action`, a [`RecoveryStrategy::name`]): `halve_step` is
/// `reduce_step_size`, `loosen_tolerances` is `relax_tolerance`; any other action (such
/// as the streaming fit's `exclude_batch_and_restart`) keeps its name.
pub(crate) fn reference_action(action: &str) -> &str {
    match RecoveryStrategy::ALL
        .into_iter()
        .find(|s| s.name() == action)
    {
        Some(strategy) => reference_name(strategy),
        None => action,
    }
}

/// The Rust applicator behind `homodyne_rs.optimization.RecoveryStrategyApplicator`.
#[pyclass(module = "homodyne_rs._native", frozen)]
pub(crate) struct RecoveryStrategyApplicator {
    inner: homodyne::RecoveryStrategyApplicator,
}

#[pymethods]
impl RecoveryStrategyApplicator {
    /// An applicator allowing `max_retries` retries; `seed` fixes the perturbation.
    #[new]
    #[pyo3(signature = (max_retries, seed=None))]
    fn new(max_retries: &Bound<'_, PyAny>, seed: Option<u64>) -> PyResult<Self> {
        let mut inner =
            homodyne::RecoveryStrategyApplicator::new(count(max_retries, "max_retries")?);
        if let Some(seed) = seed {
            inner = inner.with_seed(seed);
        }
        Ok(Self { inner })
    }

    /// Retries allowed.
    #[getter]
    fn max_retries(&self) -> usize {
        self.inner.max_retries()
    }

    /// `(name, parameters)` for retry `attempt` (from 0) after `error`, or `None`.
    #[pyo3(signature = (error, params, attempt, lower=None, upper=None))]
    fn get_recovery_strategy<'py>(
        &self,
        py: Python<'py>,
        error: &Bound<'py, PyAny>,
        params: PyReadonlyArray1<'py, f64>,
        attempt: &Bound<'py, PyAny>,
        lower: Option<PyReadonlyArray1<'py, f64>>,
        upper: Option<PyReadonlyArray1<'py, f64>>,
    ) -> PyResult<Option<Retry<'py>>> {
        let attempt = count(attempt, "attempt")?;
        let params = params.as_array().to_vec();
        let bounds = bounds_for(py, params.len(), lower, upper)?;
        let Some(err) = rust_error(error)? else {
            return Ok(None);
        };
        Ok(self.inner.strategy(&err, attempt).map(|strategy| {
            let start = self.inner.start_for(strategy, &params, attempt, &bounds);
            (reference_name(strategy), PyArray1::from_vec(py, start))
        }))
    }
}

/// The bounds of `n` parameters: unbounded where a side is not given.
fn bounds_for(
    py: Python<'_>,
    n: usize,
    lower: Option<PyReadonlyArray1<'_, f64>>,
    upper: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Bounds> {
    let (lower, upper) = super::arguments::bound_sides(py, n, lower, upper)?;
    Bounds::new(lower, upper).map_err(|e| errors::fit_error(py, &e))
}

/// The Rust error of a Python `NLSQConvergenceError` or `NLSQNumericalError` (context
/// values as their `str`); `None` for any other exception (not recoverable).
fn rust_error(error: &Bound<'_, PyAny>) -> PyResult<Option<OptimizationError>> {
    let py = error.py();
    let exceptions = py.import("homodyne_rs.exceptions")?;
    let is = |class: &str| -> PyResult<bool> { error.is_instance(&exceptions.getattr(class)?) };
    let context = || -> PyResult<Context> {
        let mut context = Context::new();
        if let Ok(dict) = error.getattr("error_context")
            && let Ok(dict) = dict.cast::<PyDict>()
        {
            for (k, v) in dict.iter() {
                context.0.insert(k.str()?.to_string(), v.str()?.to_string());
            }
        }
        Ok(context)
    };
    if is("NLSQConvergenceError")? {
        return Ok(Some(OptimizationError::Convergence {
            message: error.str()?.to_string(),
            context: context()?,
        }));
    }
    if is("NLSQNumericalError")? {
        let point: Option<String> = error
            .getattr("detection_point")
            .ok()
            .and_then(|p| p.extract().ok());
        let detection_point = match point.as_deref() {
            Some("gradient") => DetectionPoint::Gradient,
            Some("parameter") => DetectionPoint::Parameters,
            Some("parameter_bounds") => DetectionPoint::ParameterBounds,
            Some("loss") => DetectionPoint::Loss,
            Some("jacobian") => DetectionPoint::Jacobian,
            _ => DetectionPoint::Residuals,
        };
        return Ok(Some(OptimizationError::Numerical {
            detection_point,
            sample: InvalidSample::default(),
            context: context()?,
        }));
    }
    Ok(None)
}

//! Strategy selection and the streaming configuration, for `DatasetSizeStrategy`.
//!
//! The size thresholds (STANDARD below 1M points, LARGE below 10M, CHUNKED up to 100M,
//! STREAMING above), the memory estimate and the batch size
//! `clamp(round_1000((0.1 * budget - overhead) / bytes_per_point), 1000, 100000)` are
//! `homodyne_strategy`'s; this module only converts arguments and results.
use crate::convert::set_fields;
use std::path::PathBuf;

use homodyne_core::OptimizationStrategy;
use homodyne_strategy::{CheckpointSettings, DatasetSizeStrategy, memory};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arguments::{count, memory_limit, string_keyed};
use crate::errors;

/// Adds `select_strategy` and `build_streaming_config` to `_native`.
pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(select_strategy, m)?)?;
    m.add_function(wrap_pyfunction!(build_streaming_config, m)?)?;
    Ok(())
}

/// The strategy's value in the Python enum `OptimizationStrategy` (`"standard"`, ...).
pub(crate) fn strategy_value(strategy: OptimizationStrategy) -> &'static str {
    match strategy {
        OptimizationStrategy::Standard => "standard",
        OptimizationStrategy::Large => "large",
        OptimizationStrategy::Chunked => "chunked",
        OptimizationStrategy::Streaming => "streaming",
    }
}

/// The strategy named `name` (any case); `NLSQInputError` naming `argument` otherwise.
pub(crate) fn parse_strategy(
    py: Python<'_>,
    argument: &str,
    name: &str,
) -> PyResult<OptimizationStrategy> {
    match name.to_ascii_lowercase().as_str() {
        "standard" => Ok(OptimizationStrategy::Standard),
        "large" => Ok(OptimizationStrategy::Large),
        "chunked" => Ok(OptimizationStrategy::Chunked),
        "streaming" => Ok(OptimizationStrategy::Streaming),
        _ => Err(errors::input_error(
            py,
            format!(
                "{argument} {name:?} is not a strategy; use 'standard', 'large', 'chunked' or \
                 'streaming'"
            ),
        )),
    }
}

/// Chooses the strategy for `n_points` points and `n_parameters` parameters.
///
/// Returns a dict: `strategy` (the enum value, `"standard"` ...), `estimated_bytes` (the
/// strategy's memory estimate), `budget_bytes` (the budget compared with, `None` without
/// `check_memory`), `reasons` (each move to a leaner strategy) and `warnings` (an override
/// or even STREAMING's smallest batch exceeding the budget).
#[pyfunction]
#[pyo3(signature = (n_points, n_parameters, strategy_override=None, check_memory=true,
                    memory_limit_gb=None, x_dim=None, weighted=false, workers=None))]
#[allow(clippy::too_many_arguments)] // the reference's arguments and the estimate's
fn select_strategy<'py>(
    n_points: &Bound<'py, PyAny>,
    n_parameters: &Bound<'py, PyAny>,
    strategy_override: Option<&str>,
    check_memory: bool,
    memory_limit_gb: Option<f64>,
    x_dim: Option<&Bound<'py, PyAny>>,
    weighted: bool,
    workers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let py = n_points.py();
    let n_points = count(n_points, "n_points")?;
    let n_parameters = count(n_parameters, "n_parameters")?;
    let x_dim = match x_dim {
        Some(x) => count(x, "x_dim")?.max(1),
        None => 1,
    };
    let workers = match workers {
        Some(w) => count(w, "workers")?.max(1),
        None => memory::default_workers(),
    };
    let strategy_override = strategy_override
        .map(|name| parse_strategy(py, "strategy_override", name))
        .transpose()?;
    let memory_limit_gb = memory_limit(py, memory_limit_gb)?;
    let selector = DatasetSizeStrategy {
        x_dim,
        workers,
        weighted,
    };
    let selection = py.detach(|| {
        selector.select_strategy(
            n_points,
            n_parameters,
            strategy_override,
            check_memory,
            memory_limit_gb,
        )
    });
    let out = PyDict::new(py);
    out.set_item("strategy", strategy_value(selection.strategy))?;
    set_fields!(
        out,
        selection,
        estimated_bytes,
        budget_bytes,
        reasons,
        warnings
    );
    Ok(out)
}

/// The streaming configuration for `n_points` points and `n_parameters` parameters, as
/// the reference's flat dict.
///
/// `checkpoint_config` may set `enable_checkpoints`, `checkpoint_dir`,
/// `checkpoint_frequency`, `resume_from_checkpoint` and `keep_last_checkpoints`; any other
/// key is refused (`NLSQInputError`), so that a misspelt setting is not silently ignored.
#[pyfunction]
#[pyo3(signature = (n_points, n_parameters, checkpoint_config=None, memory_limit_gb=None))]
fn build_streaming_config<'py>(
    n_points: &Bound<'py, PyAny>,
    n_parameters: &Bound<'py, PyAny>,
    checkpoint_config: Option<&Bound<'py, PyDict>>,
    memory_limit_gb: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let py = n_points.py();
    let n_points = count(n_points, "n_points")?;
    let n_parameters = count(n_parameters, "n_parameters")?;
    let memory_limit_gb = memory_limit(py, memory_limit_gb)?;
    let checkpoint = match checkpoint_config {
        Some(config) => checkpoint_settings(config)?,
        None => CheckpointSettings::default(),
    };
    let config = py.detach(|| {
        homodyne_strategy::build_streaming_config(
            n_points,
            n_parameters,
            checkpoint,
            memory_limit_gb,
        )
    });
    let out = PyDict::new(py);
    out.set_item("batch_size", config.batch_size)?;
    out.set_item("max_epochs", config.max_epochs)?;
    let ck = &config.checkpoint;
    out.set_item("enable_checkpoints", ck.enable)?;
    out.set_item("checkpoint_dir", ck.dir.to_string_lossy())?;
    out.set_item("checkpoint_frequency", ck.frequency)?;
    out.set_item("resume_from_checkpoint", ck.resume)?;
    out.set_item("keep_last_checkpoints", ck.keep_last)?;
    let ft = &config.fault_tolerance;
    out.set_item("enable_fault_tolerance", ft.enable)?;
    set_fields!(
        out,
        ft,
        validate_numerics,
        min_success_rate,
        max_retries_per_batch
    );
    out.set_item("memory_budget_bytes", config.budget_bytes)?;
    Ok(out)
}

/// The count `value` of the argument `name`, which must be at least 1.
fn at_least_one(value: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    match count(value, name)? {
        0 => Err(errors::input_error(
            value.py(),
            format!("{name} must be at least 1, got 0"),
        )),
        n => Ok(n),
    }
}

/// The checkpoint settings of a `checkpoint_config` dict, over the defaults.
fn checkpoint_settings(config: &Bound<'_, PyDict>) -> PyResult<CheckpointSettings> {
    let py = config.py();
    let mut settings = CheckpointSettings::default();
    for entry in string_keyed(config, "checkpoint_config") {
        let (key, value) = entry?;
        let flag = |v: &Bound<'_, PyAny>| -> PyResult<bool> {
            v.extract::<bool>().map_err(|_| {
                errors::input_error(
                    py,
                    format!("checkpoint_config[{key:?}] must be True or False, got {v}"),
                )
            })
        };
        match key.as_str() {
            "enable_checkpoints" => settings.enable = flag(&value)?,
            "resume_from_checkpoint" => settings.resume = flag(&value)?,
            "checkpoint_dir" => {
                settings.dir = value.extract::<PathBuf>().map_err(|_| {
                    errors::input_error(
                        py,
                        format!(
                            "checkpoint_config[\"checkpoint_dir\"] must be a path, got {value}"
                        ),
                    )
                })?;
            }
            "checkpoint_frequency" => {
                settings.frequency =
                    at_least_one(&value, "checkpoint_config[\"checkpoint_frequency\"]")?;
            }
            "keep_last_checkpoints" => {
                settings.keep_last =
                    at_least_one(&value, "checkpoint_config[\"keep_last_checkpoints\"]")?;
            }
            other => {
                return Err(errors::input_error(
                    py,
                    format!(
                        "checkpoint_config has an unknown key {other:?}; the keys are \
                         enable_checkpoints, checkpoint_dir, checkpoint_frequency, \
                         resume_from_checkpoint and keep_last_checkpoints"
                    ),
                ));
            }
        }
    }
    Ok(settings)
}

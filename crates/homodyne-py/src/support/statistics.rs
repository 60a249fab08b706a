//! `BatchStatistics`: a ring buffer of the last `max_size` batch records beside running
//! totals, bound from `homodyne_stats`.
//!
//! The reference's `success_rate` is the rate over the batches in the buffer,
//! `successes_recent / len(buffer)` (1.0 for an empty buffer); the rate over every batch
//! ever recorded is also given, as `overall_success_rate`.
use crate::convert::set_fields;
use homodyne_stats::{BatchRecord, Statistics};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::arguments::count;
use crate::errors;

/// Adds the `BatchStatistics` class to `_native`.
pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BatchStatistics>()
}

/// The Rust statistics behind `homodyne_rs.optimization.BatchStatistics`.
#[pyclass(module = "homodyne_rs._native")]
pub(crate) struct BatchStatistics {
    inner: homodyne_stats::BatchStatistics,
}

#[pymethods]
impl BatchStatistics {
    /// Empty statistics keeping the last `max_size` batches (at least 1).
    #[new]
    fn new(max_size: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = max_size.py();
        let max_size = count(max_size, "max_size")?;
        homodyne_stats::BatchStatistics::new(max_size)
            .map(|inner| Self { inner })
            .map_err(|e| errors::input_error(py, e.to_string()))
    }

    /// How many recent batches the buffer keeps.
    #[getter]
    fn max_size(&self) -> usize {
        self.inner.max_size()
    }

    /// Records one batch. `loss` may be `None` when none was computed.
    #[pyo3(signature = (batch_idx, success, loss, iterations, recovery_actions, error_type=None))]
    fn record_batch(
        &mut self,
        batch_idx: &Bound<'_, PyAny>,
        success: bool,
        loss: Option<f64>,
        iterations: &Bound<'_, PyAny>,
        recovery_actions: Vec<String>,
        error_type: Option<&str>,
    ) -> PyResult<()> {
        let batch_idx = count(batch_idx, "batch_idx")?;
        let iterations = count(iterations, "iterations")?;
        self.inner.record_batch(
            batch_idx,
            success,
            loss,
            iterations,
            recovery_actions,
            error_type,
        );
        Ok(())
    }

    /// The share of the batches in the buffer that succeeded (1.0 when empty).
    fn get_success_rate(&self) -> f64 {
        self.inner.get_success_rate()
    }

    /// The reference's statistics dict (see the module's documentation); without
    /// `recent_batches` when `include_recent` is false.
    #[pyo3(signature = (include_recent=true))]
    fn get_statistics<'py>(
        &self,
        py: Python<'py>,
        include_recent: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        statistics_dict(py, &self.inner.get_statistics(), include_recent)
    }

    /// Records in the buffer.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Forgets every batch.
    fn clear(&mut self) {
        self.inner.clear();
    }
}

/// A snapshot as the reference's dict.
fn statistics_dict<'py>(
    py: Python<'py>,
    stats: &Statistics,
    include_recent: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    set_fields!(out, stats, total_batches, total_successes, total_failures);
    out.set_item("success_rate", stats.recent_success_rate)?;
    out.set_item("overall_success_rate", stats.success_rate)?;
    set_fields!(
        out,
        stats,
        average_loss,
        average_iterations,
        error_distribution
    );
    if include_recent {
        let recent = PyList::empty(py);
        for record in &stats.recent_batches {
            recent.append(record_dict(py, record)?)?;
        }
        out.set_item("recent_batches", recent)?;
    }
    Ok(out)
}

/// One batch record as a dict with the `record_batch` argument names.
fn record_dict<'py>(py: Python<'py>, record: &BatchRecord) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    set_fields!(
        out,
        record,
        batch_idx,
        success,
        loss,
        iterations,
        recovery_actions,
        error_type
    );
    Ok(out)
}

//! `CheckpointManager`: HDF5 checkpoints with a SHA-256 checksum, bound from
//! `homodyne_checkpoint`.
//!
//! Crossing into Rust, the optimizer state is a dict of NumPy arrays of float64 or int64
//! (the Python class converts scalars and lists first), stored one dataset per entry; the
//! metadata is a dict of strings (the Python class JSON-encodes each value). Reading back,
//! rank-0 entries of the optimizer state become Python `int`/`float`, the others arrays of
//! their stored shape.
use crate::convert::set_fields;
use std::collections::BTreeMap;
use std::path::PathBuf;

use homodyne_checkpoint::{Checkpoint, CheckpointError, OptimizerState, StateArray};
use homodyne_core::OptimizationError;
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{PyArray1, PyArrayDyn, PyReadonlyArray1, PyReadonlyArrayDyn};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arguments::{count, string_keyed};
use crate::errors::{self, ErrorClass};

/// Adds the `CheckpointManager` class to `_native`.
pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CheckpointManager>()
}

/// The `NLSQCheckpointError` for `err`: its message names the file; its `error_context`
/// holds `checkpoint_error` (the kind: `corrupt`, `not_hdf5`, `io`, ...), `file` and the
/// kind's details (`expected`/`actual` checksums, `field`, ...).
pub(crate) fn checkpoint_error(py: Python<'_>, err: CheckpointError) -> PyErr {
    let message = err.to_string();
    let file = err.path().map(|p| p.display().to_string());
    let as_fit_error = OptimizationError::from(err);
    let mut context = as_fit_error.context().0.clone();
    if let Some(file) = file {
        context.insert("file".to_owned(), file);
    }
    errors::error(py, ErrorClass::Checkpoint, &message, &context)
}

/// The Rust checkpoint manager behind `homodyne_rs.optimization.CheckpointManager`.
#[pyclass(module = "homodyne_rs._native", frozen)]
pub(crate) struct CheckpointManager {
    inner: homodyne_checkpoint::CheckpointManager,
}

#[pymethods]
impl CheckpointManager {
    /// A manager writing into `checkpoint_dir` (created if missing).
    #[new]
    #[pyo3(signature = (checkpoint_dir, checkpoint_frequency, keep_last_n, enable_compression))]
    fn new(
        py: Python<'_>,
        checkpoint_dir: PathBuf,
        checkpoint_frequency: &Bound<'_, PyAny>,
        keep_last_n: &Bound<'_, PyAny>,
        enable_compression: bool,
    ) -> PyResult<Self> {
        let frequency = count(checkpoint_frequency, "checkpoint_frequency")?;
        let keep = count(keep_last_n, "keep_last_n")?;
        homodyne_checkpoint::CheckpointManager::new(
            checkpoint_dir,
            frequency,
            keep,
            enable_compression,
        )
        .map(|inner| Self { inner })
        .map_err(|e| checkpoint_error(py, e))
    }

    /// The directory of the checkpoint files.
    #[getter]
    fn checkpoint_dir(&self) -> PathBuf {
        self.inner.checkpoint_dir().to_path_buf()
    }

    /// A checkpoint is due every this many batches.
    #[getter]
    fn checkpoint_frequency(&self) -> usize {
        self.inner.checkpoint_frequency()
    }

    /// How many of the newest checkpoints are kept.
    #[getter]
    fn keep_last_n(&self) -> usize {
        self.inner.keep_last_n()
    }

    /// Whether arrays are gzip-compressed.
    #[getter]
    fn enable_compression(&self) -> bool {
        self.inner.compression_enabled()
    }

    /// Whether a checkpoint is due after batch `batch_idx`: `(batch_idx + 1) %
    /// checkpoint_frequency == 0`.
    fn should_checkpoint(&self, batch_idx: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self
            .inner
            .should_checkpoint(count(batch_idx, "batch_idx")? as u64))
    }

    /// Writes the checkpoint of batch `batch_idx` atomically and returns its path; older
    /// checkpoints beyond `keep_last_n` are removed.
    #[pyo3(signature = (batch_idx, parameters, optimizer_state, loss, metadata))]
    fn save_checkpoint(
        &self,
        py: Python<'_>,
        batch_idx: &Bound<'_, PyAny>,
        parameters: &Bound<'_, PyAny>,
        optimizer_state: &Bound<'_, PyDict>,
        loss: f64,
        metadata: BTreeMap<String, String>,
    ) -> PyResult<PathBuf> {
        let batch_idx = count(batch_idx, "batch_idx")? as u64;
        let parameters: PyReadonlyArray1<'_, f64> = parameters.extract().map_err(|_| {
            errors::input_error(py, "parameters must be a one-dimensional array of numbers")
        })?;
        let parameters = parameters.as_array().to_vec();
        let state = optimizer_state_from(optimizer_state)?;
        py.detach(|| {
            self.inner
                .save_checkpoint(batch_idx, &parameters, &state, loss, &metadata)
        })
        .map_err(|e| checkpoint_error(py, e))
    }

    /// Reads and checks the checkpoint at `checkpoint_path`: a dict of `batch_idx`,
    /// `parameters` (array), `optimizer_state` (dict), `loss`, `metadata` (dict of
    /// strings), `format_version`, `library_version`, `timestamp` (RFC 3339, UTC) and
    /// `path`.
    fn load_checkpoint<'py>(
        &self,
        py: Python<'py>,
        checkpoint_path: PathBuf,
    ) -> PyResult<Bound<'py, PyDict>> {
        let checkpoint = py
            .detach(|| self.inner.load_checkpoint(&checkpoint_path))
            .map_err(|e| checkpoint_error(py, e))?;
        checkpoint_dict(py, checkpoint)
    }

    /// `None` when the checkpoint at `checkpoint_path` passes every check (it exists, is
    /// HDF5, has every field, its checksum matches), else why it does not.
    fn checkpoint_problem(&self, py: Python<'_>, checkpoint_path: PathBuf) -> Option<String> {
        py.detach(|| self.inner.validate_checkpoint(&checkpoint_path))
            .err()
            .map(|e| e.to_string())
    }

    /// The newest checkpoint that passes its checks (or `None`), and the newer files that
    /// failed them with the reason, newest first.
    #[allow(clippy::type_complexity)] // (latest, [(skipped, why)])
    fn find_latest_checkpoint(
        &self,
        py: Python<'_>,
    ) -> PyResult<(Option<PathBuf>, Vec<(PathBuf, String)>)> {
        let (latest, skipped) = py
            .detach(|| self.inner.find_latest_checkpoint_with_skipped())
            .map_err(|e| checkpoint_error(py, e))?;
        let skipped = skipped
            .into_iter()
            .map(|(path, why)| (path, why.to_string()))
            .collect();
        Ok((latest, skipped))
    }

    /// Removes all but the `keep_last_n` newest checkpoints (and leftover temporary files);
    /// returns the removed paths.
    fn cleanup_old_checkpoints(&self, py: Python<'_>) -> PyResult<Vec<PathBuf>> {
        py.detach(|| self.inner.cleanup_old_checkpoints())
            .map_err(|e| checkpoint_error(py, e))
    }

    /// The checkpoint files in the directory with their batch indices, in increasing batch
    /// order, unchecked.
    fn list_checkpoints(&self, py: Python<'_>) -> PyResult<Vec<(u64, PathBuf)>> {
        py.detach(|| self.inner.list_checkpoints())
            .map_err(|e| checkpoint_error(py, e))
    }
}

/// The Rust optimizer state of a dict of float64 / int64 arrays.
fn optimizer_state_from(state: &Bound<'_, PyDict>) -> PyResult<OptimizerState> {
    let py = state.py();
    let mut out = OptimizerState::new();
    for entry in string_keyed(state, "optimizer_state") {
        let (name, value) = entry?;
        let array = if let Ok(a) = value.extract::<PyReadonlyArrayDyn<'_, f64>>() {
            let a = a.as_array();
            StateArray::f64_with_shape(a.shape().to_vec(), a.iter().copied().collect())
        } else if let Ok(a) = value.extract::<PyReadonlyArrayDyn<'_, i64>>() {
            let a = a.as_array();
            StateArray::i64_with_shape(a.shape().to_vec(), a.iter().copied().collect())
        } else {
            return Err(errors::input_error(
                py,
                format!("optimizer_state[{name:?}] must be a float64 or int64 array"),
            ));
        }
        .map_err(|e| checkpoint_error(py, e))?;
        out.insert(name, array)
            .map_err(|e| checkpoint_error(py, e))?;
    }
    Ok(out)
}

/// A checkpoint as the dict `load_checkpoint` returns.
fn checkpoint_dict(py: Python<'_>, checkpoint: Checkpoint) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("batch_idx", checkpoint.batch_idx)?;
    out.set_item("parameters", PyArray1::from_vec(py, checkpoint.parameters))?;
    let state = PyDict::new(py);
    for (name, array) in checkpoint.optimizer_state.into_map() {
        state.set_item(name, state_value(py, array)?)?;
    }
    out.set_item("optimizer_state", state)?;
    set_fields!(
        out,
        checkpoint,
        loss,
        metadata,
        format_version,
        library_version,
        timestamp,
        path
    );
    Ok(out)
}

/// One optimizer-state entry as Python sees it: a scalar for rank 0, else an array.
fn state_value(py: Python<'_>, array: StateArray) -> PyResult<Bound<'_, PyAny>> {
    match array {
        StateArray::F64 { shape, data } => scalar_or_array(py, shape, data),
        StateArray::I64 { shape, data } => scalar_or_array(py, shape, data),
    }
}

/// `values[0]` as a Python number when `shape` is `[]`, else an array of `shape`.
fn scalar_or_array<T>(
    py: Python<'_>,
    shape: Vec<usize>,
    values: Vec<T>,
) -> PyResult<Bound<'_, PyAny>>
where
    T: numpy::Element + Copy + for<'py> IntoPyObject<'py>,
{
    match values.as_slice() {
        [value] if shape.is_empty() => value.into_bound_py_any(py),
        _ => dyn_array(py, shape, values),
    }
}

/// An array of `shape` holding `values` in C order.
fn dyn_array<T: numpy::Element>(
    py: Python<'_>,
    shape: Vec<usize>,
    values: Vec<T>,
) -> PyResult<Bound<'_, PyAny>> {
    let array = ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| {
        errors::error(
            py,
            ErrorClass::Checkpoint,
            &format!("optimizer_state entry does not fit its shape {shape:?}: {e}"),
            &BTreeMap::new(),
        )
    })?;
    Ok(PyArrayDyn::from_owned_array(py, array).into_any())
}

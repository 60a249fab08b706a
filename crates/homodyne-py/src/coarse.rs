//! Coarse-to-fine from Python: the `coarse_to_fine` setting of `curve_fit`,
//! `least_squares` and `NLSQWrapper.fit` read into a [`CoarseToFine`], and the stages a fit
//! ran ([`CoarseStage`]) as a list of dicts, the result's `stages`.
//!
//! A fit of many points first fits strided subsets of them (every `s`-th block of
//! [`STAGE_BLOCK_POINTS`](homodyne::coarse::STAGE_BLOCK_POINTS) points), each from where
//! the last ended, and keeps a stage's optimum only when the cost of all the points is
//! lower there ([`homodyne::coarse`]).

use homodyne::CoarseToFine;
use homodyne_core::CoarseStage;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};

use crate::convert::{set_fields, status_name};
use crate::errors::input_error;

/// The stages of a fit of a Python callable when `coarse_to_fine` is not given: none.
///
/// A stage's points are a copy of every `s`-th block of `xdata`, and the solver asks for
/// them a chunk (a few hundred points) at a time: a callable is called once per chunk
/// (its place in the caller's array is not known, so no block of
/// [`DEFAULT_BLOCK`](crate::model::DEFAULT_BLOCK) points serves it), and the calls' overhead
/// outweighs what the stage saves. `a*exp(-b*x)+c` as a numpy lambda, `curve_fit` from
/// `(1, 1, 0)`, median of 5 alternating runs (shared 2-core machine): at 1e6 points
/// 0.177 s without stages and 0.172 s with auto's; at 4e6 points 0.596 s and 0.747 s (the
/// stage: 33,000 calls, 0.57 s). The same fits as a formula: 0.096 s and 0.060 s at 1e6,
/// 0.385 s and 0.201 s at 4e6. Asked for, a callable's stages run and are exact.
pub(crate) fn callable_default() -> CoarseToFine {
    CoarseToFine::Off
}

/// `coarse_to_fine` as Python gives it: `None` (the fit's default), `"auto"`, `"off"` (any
/// case) or a sequence of strides, whole numbers of at least 1, coarsest first.
pub(crate) fn coarse_to_fine(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<CoarseToFine>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let refused = || {
        input_error(
            py,
            format!(
                "coarse_to_fine={}: expected 'auto' (one coarse stage from 1,000,000 points \
                 on), 'off' (none) or a list of strides, whole numbers of at least 1 in \
                 blocks of 1024 points, coarsest first (e.g. [64, 8])",
                value
                    .repr()
                    .map_or_else(|_| "?".to_string(), |r| r.to_string())
            ),
        )
    };
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.extract::<String>()?.trim().to_ascii_lowercase();
        return match text.as_str() {
            "auto" => Ok(Some(CoarseToFine::Auto)),
            "off" => Ok(Some(CoarseToFine::Off)),
            _ => Err(refused()),
        };
    }
    if value.is_instance_of::<PyBool>() {
        return Err(refused());
    }
    let mut strides = Vec::new();
    for item in value.try_iter().map_err(|_| refused())? {
        let item = item?;
        if item.is_instance_of::<PyBool>() {
            return Err(refused());
        }
        let stride = item
            .call_method0("__index__")
            .and_then(|i| i.extract::<usize>())
            .map_err(|_| refused())?;
        if stride == 0 {
            return Err(refused());
        }
        strides.push(stride);
    }
    Ok(Some(CoarseToFine::Strides(strides)))
}

/// The stages of a fit, coarsest first, as dicts: `stride`, `n_points`, `start` (where the
/// stage started), `parameters` (its optimum, `None` when it failed), `used` (whether the
/// next stage or the fit of all the points started there), `seconds`,
/// `convergence_status`, `iterations`, `nfev` (`None` when it failed) and `error` (why it
/// failed, else `None`).
pub(crate) fn stages_list<'py>(
    py: Python<'py>,
    stages: &[CoarseStage],
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for stage in stages {
        let s = PyDict::new(py);
        set_fields!(s, stage, stride, n_points, used, seconds);
        s.set_item("start", PyArray1::from_slice(py, &stage.start))?;
        match &stage.result {
            Ok(r) => {
                s.set_item("parameters", PyArray1::from_slice(py, &r.parameters))?;
                s.set_item("convergence_status", status_name(r.convergence_status))?;
                s.set_item("iterations", r.iterations)?;
                s.set_item("nfev", r.nfev)?;
                s.set_item("error", py.None())?;
            }
            Err(e) => {
                s.set_item("parameters", py.None())?;
                s.set_item("convergence_status", py.None())?;
                s.set_item("iterations", py.None())?;
                s.set_item("nfev", py.None())?;
                s.set_item("error", e)?;
            }
        }
        list.append(s)?;
    }
    Ok(list)
}

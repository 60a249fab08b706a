//! [`PyResiduals`]: a Python function's residuals as a [`ResidualProblem`].
//!
//! The residual vector is `fun(x)` (the Python layer binds `args` and `kwargs` and hands
//! a function of `x` alone returning a 1-D float64 array); its Jacobian is `jac(x)` when
//! the user gave a callable, else finite differences within the bounds
//! ([`super::stencil`]).
//!
//! `fun` is called once per parameter vector: the last few residual vectors are kept,
//! keyed by the parameters' bits, so the linearisation at a trial point the solver just
//! accepted does not call `fun` again (the engine asks for the cost at a trial, then for
//! the residuals and Jacobian there). The counts are scipy's: `nfev` counts the calls of
//! `fun` for residual values, not those made for finite differences; `njev` counts the
//! Jacobians (a call of `jac`, or one set of differences).
//!
//! A call that raises (or returns the wrong shape) stops the fit:
//! [`Control::stop_with`] records the exception and asks the engine to stop, and the
//! residuals are NaN from then on without calling Python again. [`Control::run`] then
//! raises the exception as it was raised, as scipy lets it propagate.

use std::collections::VecDeque;
use std::sync::Mutex;

use homodyne_core::{DifferenceScheme, JacobianKind, ResidualProblem};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::control::Control;
use crate::errors::input_error;
use crate::stencil::Stencil;

/// Residual vectors kept: the current iterate, the trial and a little room.
const KEPT_VECTORS: usize = 4;

/// How the Jacobian is obtained.
pub(crate) enum Derivatives {
    /// The user's `jac(x)`, returning an `m x n` float64 array.
    Callable(Py<PyAny>),
    /// Finite differences with this scheme and, optionally, the user's relative steps
    /// (`diff_step`, one per parameter).
    Differences {
        /// Forward (`'2-point'`) or central (`'3-point'`).
        scheme: DifferenceScheme,
        /// The relative step of each parameter, replacing the scheme's own.
        rel_steps: Option<Vec<f64>>,
        /// The typical size of each parameter: the floor of its step
        /// ([`super::stencil`]).
        typical_sizes: Vec<f64>,
    },
}

/// The residual problem of a Python `fun` (see the [module documentation](self)).
pub(crate) struct PyResiduals<'a> {
    fun: Py<PyAny>,
    derivatives: Derivatives,
    lower: Vec<f64>,
    upper: Vec<f64>,
    n_residuals: usize,
    control: &'a Control,
    memory: Mutex<Memory>,
}

/// What has been evaluated and counted.
#[derive(Default)]
struct Memory {
    /// The last few `(parameter bits, residuals)`, newest last.
    values: VecDeque<(Vec<u64>, Vec<f64>)>,
    /// The last Jacobian (`m x n`, row-major) and its parameters' bits.
    jacobian: Option<(Vec<u64>, Vec<f64>)>,
    /// Calls of `fun` for residual values.
    nfev: usize,
    /// Jacobian evaluations.
    njev: usize,
}

/// The parameters' bits: the key of a kept evaluation.
fn key(p: &[f64]) -> Vec<u64> {
    p.iter().map(|v| v.to_bits()).collect()
}

impl<'a> PyResiduals<'a> {
    /// The problem of `fun` from `x0`, where `fun` returned `f0` (that call counts as the
    /// first evaluation, as in scipy), within `[lower, upper]`, reporting failures to
    /// `control`.
    pub(crate) fn new(
        fun: Py<PyAny>,
        derivatives: Derivatives,
        x0: &[f64],
        f0: Vec<f64>,
        (lower, upper): (Vec<f64>, Vec<f64>),
        control: &'a Control,
    ) -> Self {
        let memory = Memory {
            values: VecDeque::from([(key(x0), f0.clone())]),
            nfev: 1,
            ..Memory::default()
        };
        Self {
            fun,
            derivatives,
            lower,
            upper,
            n_residuals: f0.len(),
            control,
            memory: Mutex::new(memory),
        }
    }

    /// What has been evaluated and counted (a panic elsewhere does not lose it).
    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `(nfev, njev)` so far.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let memory = self.memory();
        (memory.nfev, memory.njev)
    }

    /// Calls `fun(p)` and checks that it returned `m` values.
    fn call_fun(&self, p: &[f64]) -> PyResult<Vec<f64>> {
        Python::attach(|py| {
            let values = self.fun.bind(py).call1((PyArray1::from_slice(py, p),))?;
            let values: PyReadonlyArray1<f64> = values.extract().map_err(|_| {
                input_error(py, "fun must return a 1-D array of floats (the residuals)")
            })?;
            let values = values.as_array();
            if values.len() != self.n_residuals {
                return Err(input_error(
                    py,
                    format!(
                        "fun returned {} residuals at x = {p:?}, but {} at x0: the number of \
                         residuals must not change",
                        values.len(),
                        self.n_residuals
                    ),
                ));
            }
            Ok(values.to_vec())
        })
    }

    /// Calls the user's `jac(p)` and writes its `m x n` values to `out` (row-major).
    fn call_jac(&self, jac: &Py<PyAny>, p: &[f64], out: &mut [f64]) -> PyResult<()> {
        Python::attach(|py| {
            let matrix = jac.bind(py).call1((PyArray1::from_slice(py, p),))?;
            let matrix: PyReadonlyArray2<f64> = matrix.extract().map_err(|_| {
                input_error(py, "jac must return a 2-D array of floats (the Jacobian)")
            })?;
            let matrix = matrix.as_array();
            let (m, n) = (self.n_residuals, p.len());
            if matrix.dim() != (m, n) {
                return Err(input_error(
                    py,
                    format!(
                        "jac returned an array of shape {:?}; expected ({m}, {n}): one row per \
                         residual, one column per parameter",
                        matrix.dim()
                    ),
                ));
            }
            for (target, value) in out.iter_mut().zip(matrix.iter()) {
                *target = *value;
            }
            Ok(())
        })
    }

    /// The residuals at `p`: kept ones, or a call of `fun` (counted in `nfev` when
    /// `counted`, that is when the solver asked for them).
    pub(crate) fn values_at(&self, p: &[f64], counted: bool) -> PyResult<Vec<f64>> {
        let bits = key(p);
        if let Some((_, values)) = self.memory().values.iter().find(|(k, _)| *k == bits) {
            return Ok(values.clone());
        }
        let values = self.call_fun(p)?;
        let mut memory = self.memory();
        if counted {
            memory.nfev += 1;
        }
        if memory.values.len() == KEPT_VECTORS {
            memory.values.pop_front();
        }
        memory.values.push_back((bits, values.clone()));
        Ok(values)
    }

    /// The Jacobian at `p`, where the residuals are `values`: the kept one, or a new one
    /// (counted in `njev` when `counted`).
    pub(crate) fn jacobian_at(
        &self,
        p: &[f64],
        values: &[f64],
        counted: bool,
    ) -> PyResult<Vec<f64>> {
        let bits = key(p);
        if let Some((k, jacobian)) = &self.memory().jacobian
            && *k == bits
        {
            return Ok(jacobian.clone());
        }
        let (m, n) = (self.n_residuals, p.len());
        let mut jacobian = vec![0.0; m * n];
        match &self.derivatives {
            Derivatives::Callable(jac) => self.call_jac(jac, p, &mut jacobian)?,
            Derivatives::Differences {
                scheme,
                rel_steps,
                typical_sizes,
            } => {
                let mut shifted = p.to_vec();
                for k in 0..n {
                    let rel = rel_steps.as_ref().map(|steps| steps[k]);
                    let stencil = Stencil::choose(
                        *scheme,
                        rel,
                        (p[k], typical_sizes[k]),
                        self.lower[k],
                        self.upper[k],
                    );
                    let (first, second) = stencil.offsets(p[k]);
                    shifted[k] = first;
                    let f_first = self.call_fun(&shifted)?;
                    let f_second = match second {
                        Some(at) => {
                            shifted[k] = at;
                            self.call_fun(&shifted)?
                        }
                        None => vec![f64::NAN; m],
                    };
                    shifted[k] = p[k];
                    for i in 0..m {
                        jacobian[i * n + k] =
                            stencil.quotient(p[k], values[i], f_first[i], f_second[i]);
                    }
                }
            }
        }
        let mut memory = self.memory();
        if counted {
            memory.njev += 1;
        }
        memory.jacobian = Some((bits, jacobian.clone()));
        Ok(jacobian)
    }

    /// Records a failed Python call: the fit stops and the exception is raised after it.
    fn fail(&self, err: PyErr, out: &mut [f64]) {
        self.control.stop_with(err);
        out.fill(f64::NAN);
    }
}

impl ResidualProblem for PyResiduals<'_> {
    fn n_params(&self) -> usize {
        self.lower.len()
    }

    fn n_residuals(&self) -> usize {
        self.n_residuals
    }

    fn residuals(&self, p: &[f64], out: &mut [f64]) {
        if self.control.stopping() {
            out.fill(f64::NAN);
            return;
        }
        match self.values_at(p, true) {
            Ok(values) => out.copy_from_slice(&values),
            Err(err) => self.fail(err, out),
        }
    }

    fn residuals_with_jacobian(&self, p: &[f64], out: &mut [f64], jacobian: &mut [f64]) {
        if self.control.stopping() {
            out.fill(f64::NAN);
            jacobian.fill(f64::NAN);
            return;
        }
        let linearised = self.values_at(p, true).and_then(|values| {
            let matrix = self.jacobian_at(p, &values, true)?;
            Ok((values, matrix))
        });
        match linearised {
            Ok((values, matrix)) => {
                out.copy_from_slice(&values);
                jacobian.copy_from_slice(&matrix);
            }
            Err(err) => {
                jacobian.fill(f64::NAN);
                self.fail(err, out);
            }
        }
    }

    /// `x0[0]`, `x0[1]`, ...: the parameters as `least_squares` names them in its
    /// messages (the library's errors name a parameter by this, as a multistart's refusal
    /// of an infinite bound does).
    fn param_names(&self) -> Vec<String> {
        (0..self.lower.len()).map(|k| format!("x0[{k}]")).collect()
    }

    fn jacobian_kind(&self) -> JacobianKind {
        match self.derivatives {
            Derivatives::Callable(_) => JacobianKind::Exact,
            Derivatives::Differences { .. } => JacobianKind::FiniteDifference,
        }
    }
}

//! `homodyne_rs.least_squares`: scipy's `least_squares(fun, x0, ...)` on homodyne's
//! solvers.
//!
//! The Python layer (`python/homodyne_rs/_least_squares.py`) checks the arguments, binds
//! `args` and `kwargs`, evaluates `fun(x0)` once (scipy does too) and calls
//! [`least_squares`] here, which minimises
//!
//! ```text
//! C(x) = 1/2 sum_i f_s^2 rho((r_i(x) / f_s)^2)    subject to  lower <= x <= upper
//! ```
//!
//! by TRF or LM through [`Fit::residuals`], with the Python function as a
//! [`PyResiduals`] problem and the fit run by [`Control`] (worker thread, Ctrl-C, progress
//! bar), from many starts when asked ([`crate::multistart`]). The result's fields are
//! scipy's ([`summary`]).

use homodyne::{Bounds, DifferenceScheme, Fit, Loss, Method, NlsqWrapper, SolverOptions, XScale};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::control::Control;
use crate::errors::{fit_error, input_error};

mod problem;
mod summary;

use problem::{Derivatives, PyResiduals};
use summary::Summary;

/// Minimises the sum of squares of `fun(x)` from `x0` within `[lower, upper]`: the
/// compiled half of `homodyne_rs.least_squares` (whose docstring documents the options).
///
/// `fun` takes `x` alone and returns the residuals as a 1-D float64 array; `f0` is its
/// value at `x0`. `jac` is a callable returning the `m x n` Jacobian as a 2-D float64
/// array, or `None` for finite differences by `scheme` (`"2-point"`, `"3-point"`) with
/// relative steps `diff_step` (the library's when `None`). `x_scale` is one positive scale
/// per parameter, or `None` for scipy's `'jac'`; the scales are also the parameters'
/// typical sizes, the floors of the difference steps (1 for `'jac'`). `coarse_to_fine`:
/// `'auto'`, `'off'` or strides ([`crate::coarse`]; `None`: off, as
/// [`Fit::residuals`] has it, since a stage's subset of the residuals costs a call of
/// `fun` for all of them). Returns a dict of scipy's result fields and `stages`.
#[pyfunction]
#[pyo3(signature = (
    fun, x0, f0, jac, scheme, lower, upper, method, ftol, xtol, gtol, x_scale, loss,
    f_scale, diff_step, max_nfev, progress, coarse_to_fine=None, multistart=None
))]
#[allow(clippy::too_many_arguments)] // scipy's options, checked by the Python layer
fn least_squares<'py>(
    py: Python<'py>,
    fun: Py<PyAny>,
    x0: PyReadonlyArray1<'py, f64>,
    f0: PyReadonlyArray1<'py, f64>,
    jac: Option<Py<PyAny>>,
    scheme: &str,
    lower: PyReadonlyArray1<'py, f64>,
    upper: PyReadonlyArray1<'py, f64>,
    method: &str,
    ftol: f64,
    xtol: f64,
    gtol: f64,
    x_scale: Option<PyReadonlyArray1<'py, f64>>,
    loss: &str,
    f_scale: f64,
    diff_step: Option<PyReadonlyArray1<'py, f64>>,
    max_nfev: usize,
    progress: bool,
    coarse_to_fine: Option<&Bound<'py, PyAny>>,
    multistart: Option<crate::multistart::Settings>,
) -> PyResult<Bound<'py, PyDict>> {
    let multistart = crate::multistart::multistart(multistart);
    let x0 = x0.as_array().to_vec();
    let n = x0.len();
    let lower = lower.as_array().to_vec();
    let upper = upper.as_array().to_vec();
    let per_parameter = |name: &str, values: &[f64]| {
        if values.len() == n {
            Ok(())
        } else {
            Err(input_error(
                py,
                format!("{name} has {} values; x0 has {n}", values.len()),
            ))
        }
    };
    per_parameter("the lower bounds", &lower)?;
    per_parameter("the upper bounds", &upper)?;
    let x_scale = match x_scale {
        Some(scales) => XScale::Vector(scales.as_array().to_vec()),
        None => XScale::Jac,
    };
    let derivatives = match jac {
        Some(jac) => Derivatives::Callable(jac),
        None => Derivatives::Differences {
            scheme: parse_scheme(py, scheme)?,
            rel_steps: diff_step.map(|d| d.as_array().to_vec()),
            typical_sizes: match &x_scale {
                XScale::Vector(scales) => scales.clone(),
                _ => vec![1.0; n],
            },
        },
    };
    if let Derivatives::Differences {
        rel_steps: Some(steps),
        ..
    } = &derivatives
    {
        per_parameter("diff_step", steps)?;
    }
    if let XScale::Vector(scales) = &x_scale {
        per_parameter("x_scale", scales)?;
    }
    let coarse_to_fine = crate::coarse::coarse_to_fine(py, coarse_to_fine)?;
    let loss: Loss = loss.parse().map_err(|e: String| input_error(py, e))?;
    let method: Method = method.parse().map_err(|e| fit_error(py, &e))?;
    let bounds = Bounds::new(lower.clone(), upper.clone()).map_err(|e| fit_error(py, &e))?;
    let options = SolverOptions {
        ftol,
        xtol,
        gtol,
        max_nfev: Some(max_nfev),
        x_scale,
        loss,
        f_scale,
        ..SolverOptions::default()
    };
    // scipy's behaviour: one attempt (no recovery retries), the residuals held whole.
    let wrapper = NlsqWrapper::builder()
        .enable_recovery(false)
        .enable_large_dataset(false)
        .build();

    let control = Control::new(progress);
    let f0 = f0.as_array().to_vec();
    let problem = PyResiduals::new(
        fun,
        derivatives,
        &x0,
        f0,
        (lower.clone(), upper.clone()),
        &control,
    );
    let fitted = control.run(py, || {
        let fit = Fit::residuals(&problem)
            .p0(&x0)
            .bounds(&bounds)
            .method(method)
            .options(options)
            .wrapper(wrapper)
            .observer(&control);
        let fit = match coarse_to_fine {
            Some(c) => fit.coarse_to_fine(c),
            None => fit,
        };
        crate::multistart::run(&fit, multistart.as_ref())
    })?;
    let (result, report) = fitted.map_err(|e| fit_error(py, &e))?;
    let stages = crate::coarse::stages_list(py, &result.stages)?;

    // The residuals and Jacobian at the solution: kept from the fit when it linearised
    // there (it usually did), else evaluated once more, outside the counts (scipy has them
    // from its last iteration).
    let x = result.parameters;
    let residuals = problem.values_at(&x, false)?;
    let jacobian = problem.jacobian_at(&x, &residuals, false)?;
    let summary = Summary::at(
        &x,
        &residuals,
        jacobian,
        (&lower, &upper),
        loss,
        f_scale,
        xtol,
    );
    let (status, message) = summary::status(result.termination_reason);
    let (nfev, njev) = match report {
        Some(_) => (result.nfev, result.njev),
        None => problem.counts(),
    };

    let m = residuals.len();
    let jacobian = ndarray::Array2::from_shape_vec((m, n), summary.jacobian)
        .map_err(|e| input_error(py, format!("the Jacobian at the solution: {e}")))?;
    let fields = PyDict::new(py);
    fields.set_item("x", PyArray1::from_vec(py, x))?;
    fields.set_item("cost", summary.cost)?;
    fields.set_item("fun", PyArray1::from_vec(py, residuals))?;
    fields.set_item("jac", PyArray2::from_owned_array(py, jacobian))?;
    fields.set_item("grad", PyArray1::from_vec(py, summary.grad))?;
    fields.set_item("optimality", summary.optimality)?;
    fields.set_item("active_mask", PyArray1::from_vec(py, summary.active_mask))?;
    fields.set_item("nfev", nfev)?;
    fields.set_item("njev", njev)?;
    fields.set_item("status", status)?;
    fields.set_item("message", message)?;
    fields.set_item("success", status > 0)?;
    fields.set_item("stages", stages)?;
    fields.set_item(
        "multistart",
        crate::multistart::report_dict(py, report.as_ref())?,
    )?;
    Ok(fields)
}

/// scipy's names of the finite-difference schemes.
fn parse_scheme(py: Python<'_>, scheme: &str) -> PyResult<DifferenceScheme> {
    match scheme {
        "2-point" => Ok(DifferenceScheme::Forward),
        "3-point" => Ok(DifferenceScheme::Central),
        other => Err(input_error(
            py,
            format!("jac={other:?} is not a scheme: use '2-point', '3-point' or a callable"),
        )),
    }
}

/// Adds this module's functions and classes to `_native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(least_squares, m)?)?;
    Ok(())
}

//! `_native.fit_curve`: one curve fit, the engine under `curve_fit` and `NLSQWrapper.fit`.
//!
//! The Python layer checks and shapes the arguments (scipy's and the reference's
//! conventions); this function builds the model (a Python callable or a formula string),
//! the [`homodyne::Fit`], runs it through [`Control`] (Ctrl-C, progress), from many starts
//! when asked ([`crate::multistart`]), and returns the result as a dict
//! ([`crate::convert::result_dict`]) with the model's call counts.

use homodyne::{
    Bounds, CheckpointOptions, Fit, Loss, Method, NlsqWrapper, SolverOptions, StreamingOptions,
    XScale,
};
use homodyne_cli::formula::Formula;
use homodyne_core::{DifferenceScheme, Model, OptimizationStrategy};
use ndarray::Array2;
use numpy::{AllowTypeChange, PyArrayLike1, PyArrayLike2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::coarse::stages_list;
use crate::control::Control;
use crate::convert::result_dict;
use crate::errors::{self, input_error};
use crate::model::{DEFAULT_BLOCK, Points, PythonModel, index_points};

/// The solver's settings as the Python layer passes them (a dict with the keys of
/// [`solver_options`]).
fn solver_options(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<SolverOptions> {
    let mut o = SolverOptions::default();
    let Some(options) = options else {
        return Ok(o);
    };
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        match key.as_str() {
            "ftol" => o.ftol = value.extract()?,
            "xtol" => o.xtol = value.extract()?,
            "gtol" => o.gtol = value.extract()?,
            "max_nfev" => o.max_nfev = Some(value.extract()?),
            "f_scale" => o.f_scale = value.extract()?,
            "loss" => {
                let name: String = value.extract()?;
                o.loss = name.parse::<Loss>().map_err(|e| input_error(py, &e))?;
            }
            "x_scale" => {
                o.x_scale = if let Ok(name) = value.extract::<String>() {
                    if name != "jac" {
                        return Err(input_error(
                            py,
                            format!("x_scale = {name:?}: expected 'jac' or positive numbers"),
                        ));
                    }
                    XScale::Jac
                } else {
                    XScale::Vector(value.extract()?)
                }
            }
            "validate" => o.validate = value.extract()?,
            other => {
                return Err(input_error(py, format!("unknown solver option {other:?}")));
            }
        }
    }
    Ok(o)
}

/// The strategy named `name` (`standard`, `large`, `chunked`, `streaming`, any case).
fn strategy(py: Python<'_>, name: &str) -> PyResult<OptimizationStrategy> {
    match name.to_ascii_lowercase().as_str() {
        "standard" => Ok(OptimizationStrategy::Standard),
        "large" => Ok(OptimizationStrategy::Large),
        "chunked" => Ok(OptimizationStrategy::Chunked),
        "streaming" => Ok(OptimizationStrategy::Streaming),
        _ => Err(input_error(
            py,
            format!(
                "unknown strategy {name:?}: expected 'standard', 'large', 'chunked' or 'streaming'"
            ),
        )),
    }
}

/// The wrapper's five switches, `(enable_large_dataset, enable_recovery,
/// enable_numerical_validation, max_retries, fast_mode)`.
type WrapperFlags = (bool, bool, bool, usize, bool);

/// Streaming settings: `batch_size`, `max_retries_per_batch`, `min_success_rate` and the
/// checkpoint's `dir`, `frequency`, `keep_last_n`, `compression`, `resume`.
fn streaming_options(
    streaming: Option<&Bound<'_, PyDict>>,
    checkpoint: Option<&Bound<'_, PyDict>>,
) -> PyResult<Option<StreamingOptions>> {
    if streaming.is_none() && checkpoint.is_none() {
        return Ok(None);
    }
    let mut s = StreamingOptions::default();
    if let Some(d) = streaming {
        if let Some(v) = d.get_item("batch_size")?.filter(|v| !v.is_none()) {
            s.batch_size = Some(v.extract()?);
        }
        if let Some(v) = d
            .get_item("max_retries_per_batch")?
            .filter(|v| !v.is_none())
        {
            s.max_retries_per_batch = v.extract()?;
        }
        if let Some(v) = d.get_item("min_success_rate")?.filter(|v| !v.is_none()) {
            s.min_success_rate = v.extract()?;
        }
    }
    if let Some(d) = checkpoint {
        let dir: std::path::PathBuf = d
            .get_item("dir")?
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or_else(|| "./checkpoints".into());
        let mut c = CheckpointOptions::new(dir);
        if let Some(v) = d.get_item("frequency")?.filter(|v| !v.is_none()) {
            c.frequency = v.extract()?;
        }
        if let Some(v) = d.get_item("keep_last_n")?.filter(|v| !v.is_none()) {
            c.keep_last_n = v.extract()?;
        }
        if let Some(v) = d.get_item("compression")?.filter(|v| !v.is_none()) {
            c.compression = v.extract()?;
        }
        if let Some(v) = d.get_item("resume")?.filter(|v| !v.is_none()) {
            c.resume = v.extract()?;
        }
        s.checkpoint = Some(c);
    }
    Ok(Some(s))
}

/// Fits `model` (a callable `f(x, *p)` or a formula string) to `ydata` over `xdata`.
///
/// `names` are the parameter names (in `p0`'s order); `variables` the formula's names for
/// the rows of a 2-D `xdata` (`x` for 1-D); `difference` the finite differences of a
/// callable without `jac` (`'2-point'` forward, `'3-point'` central); `coarse_to_fine`
/// `'auto'`, `'off'` or strides ([`crate::coarse`]; `None`: the library's default, auto,
/// for a formula, and off for a callable: [`crate::coarse::callable_default`]).
/// `multistart` is `(starts, seed, budget)` (checked by the Python layer) for a fit from
/// many starts ([`crate::multistart`]), `None` (or 0 starts) for the one fit from `p0`.
/// Returns the result dict with `model_calls`, `jacobian_calls` (all the calls made, every
/// candidate's of a multistart included), `names`, `stages` ([`stages_list`]) and
/// `multistart` (its report, `None` without one) added.
#[pyfunction]
#[pyo3(signature = (
    model, xdata, ydata, p0, lower, upper, names, *, sigma=None, absolute_sigma=false,
    fixed=None, method="trf", options=None, jac=None, difference="2-point", strategy_override=None,
    memory_limit_gb=None, wrapper=None, streaming=None, checkpoint=None, progress=false,
    block=None, variables=None, coarse_to_fine=None, multistart=None
))]
#[allow(clippy::too_many_arguments)] // the Python signature's keywords, one for one
pub(crate) fn fit_curve<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    xdata: &Bound<'py, PyAny>,
    ydata: PyReadonlyArray1<'py, f64>,
    p0: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    names: Vec<String>,
    sigma: Option<PyReadonlyArray1<'py, f64>>,
    absolute_sigma: bool,
    fixed: Option<Vec<Option<f64>>>,
    method: &str,
    options: Option<&Bound<'py, PyDict>>,
    jac: Option<Py<PyAny>>,
    difference: &str,
    strategy_override: Option<&str>,
    memory_limit_gb: Option<f64>,
    wrapper: Option<WrapperFlags>,
    streaming: Option<&Bound<'py, PyDict>>,
    checkpoint: Option<&Bound<'py, PyDict>>,
    progress: bool,
    block: Option<usize>,
    variables: Option<Vec<String>>,
    coarse_to_fine: Option<&Bound<'py, PyAny>>,
    multistart: Option<crate::multistart::Settings>,
) -> PyResult<Bound<'py, PyDict>> {
    let multistart = crate::multistart::multistart(multistart);
    let y = ydata
        .as_slice()
        .map_err(|_| input_error(py, "ydata must be contiguous"))?;
    let n = y.len();
    let method: Method = method
        .parse()
        .map_err(|e: homodyne_core::OptimizationError| errors::fit_error(py, &e))?;
    let options = solver_options(py, options)?;
    let strategy = strategy_override.map(|s| strategy(py, s)).transpose()?;
    let streaming = streaming_options(streaming, checkpoint)?;
    let coarse_to_fine = crate::coarse::coarse_to_fine(py, coarse_to_fine)?;
    let sigma = sigma
        .as_ref()
        .map(|s| {
            s.as_slice()
                .map_err(|_| input_error(py, "sigma must be contiguous"))
        })
        .transpose()?;
    let wrapper = wrapper.map(|(large, recovery, validation, retries, fast)| {
        NlsqWrapper::builder()
            .enable_large_dataset(large)
            .enable_recovery(recovery)
            .enable_numerical_validation(validation)
            .max_retries(retries)
            .fast_mode(fast)
            .build()
    });
    let control = Control::new(progress);

    // The formula's predictors, point-major; a callable's are the point indices.
    let formula;
    let python_model;
    let x_borrowed: Predictors<'py>;
    let x_view;
    let model_ref: &dyn Model = if let Ok(source) = model.cast::<PyString>() {
        let source: String = source.extract()?;
        let source = source.as_str();
        let (parsed, points) = formula_points(py, xdata, source, &names, variables)?;
        if points.as_slice().len() != n * parsed.x_dim() {
            return Err(input_error(
                py,
                format!(
                    "xdata has {} points, ydata {n}",
                    points.as_slice().len() / parsed.x_dim()
                ),
            ));
        }
        formula = parsed;
        x_borrowed = points;
        x_view = x_borrowed.as_slice();
        python_model = None;
        &formula
    } else {
        let points = xdata
            .getattr("shape")?
            .extract::<Vec<usize>>()?
            .last()
            .copied();
        if points != Some(n) {
            return Err(input_error(
                py,
                format!(
                    "xdata's last axis has {} points, ydata {n}",
                    points.map_or("no".to_string(), |p| p.to_string())
                ),
            ));
        }
        let scheme = match difference {
            "2-point" => DifferenceScheme::Forward,
            "3-point" => DifferenceScheme::Central,
            other => {
                return Err(input_error(
                    py,
                    format!("jac={other:?}: expected a callable, '2-point' or '3-point'"),
                ));
            }
        };
        // The caller's 1-D float64 array in place, unless the points stream (a streamed
        // batch is a copy, whose address says nothing of its place in the data).
        let streams =
            matches!(strategy, Some(OptimizationStrategy::Streaming)) || streaming.is_some();
        let in_place = xdata
            .extract::<PyReadonlyArray1<'py, f64>>()
            .ok()
            .filter(|a| !streams && a.as_slice().is_ok());
        let points = match &in_place {
            Some(array) => Points::Caller(array.as_slice().expect("contiguous").as_ptr() as usize),
            None => Points::Indices,
        };
        x_borrowed = match in_place {
            Some(array) => Predictors::Borrowed(array),
            None => Predictors::Owned(index_points(n)),
        };
        // The model gets read-only views: the solver reads the same memory on other threads,
        // and a model that wrote into its x (`x -= x0`) would change the data under it.
        let readonly = xdata.call_method0("view")?;
        let write_off = pyo3::types::PyDict::new(py);
        write_off.set_item("write", false)?;
        readonly.call_method("setflags", (), Some(&write_off))?;
        python_model = Some(PythonModel::new(
            model.clone().unbind(),
            jac,
            scheme,
            readonly.unbind(),
            (n, points),
            names.clone(),
            (lower.clone(), upper.clone()),
            &p0,
            block.unwrap_or(DEFAULT_BLOCK),
            &control,
        ));
        x_view = x_borrowed.as_slice();
        python_model.as_ref().expect("set just above")
    };
    let bounds = Bounds::new(lower, upper).map_err(|e| errors::fit_error(py, &e))?;
    let run = || {
        let mut fit = Fit::curve(model_ref, x_view, y)
            .p0(&p0)
            .bounds(bounds)
            .absolute_sigma(absolute_sigma)
            .method(method)
            .options(options)
            .observer(&control);
        if let Some(sigma) = sigma {
            fit = fit.sigma(sigma);
        }
        if let Some(fixed) = &fixed {
            fit = fit.fixed(fixed);
        }
        if let Some(s) = strategy {
            fit = fit.strategy(s);
        }
        if let Some(gb) = memory_limit_gb {
            fit = fit.memory_limit_gb(gb);
        }
        if let Some(s) = streaming {
            fit = fit.streaming(s);
        }
        if let Some(w) = wrapper {
            fit = fit.wrapper(w);
        }
        // A Python model's default is no stages ([`crate::coarse::callable_default`]).
        match (coarse_to_fine, &python_model) {
            (Some(c), _) => fit = fit.coarse_to_fine(c),
            (None, Some(_)) => fit = fit.coarse_to_fine(crate::coarse::callable_default()),
            (None, None) => {}
        }
        crate::multistart::run(&fit, multistart.as_ref())
    };
    let outcome = control.run(py, run)?;
    let (result, report) = outcome.map_err(|e| errors::fit_error(py, &e))?;
    let d = result_dict(py, &result)?;
    let (calls, jacobian_calls) = python_model
        .as_ref()
        .map_or((0, 0), |m| (m.calls(), m.jacobian_calls()));
    d.set_item("model_calls", calls)?;
    d.set_item("jacobian_calls", jacobian_calls)?;
    d.set_item("names", names)?;
    d.set_item("stages", stages_list(py, &result.stages)?)?;
    d.set_item(
        "multistart",
        crate::multistart::report_dict(py, report.as_ref())?,
    )?;
    Ok(d)
}

/// The parameters a formula implies (`Formula::free_names`) for the variables `variables`.
#[pyfunction]
pub(crate) fn formula_parameters(
    py: Python<'_>,
    source: &str,
    variables: Vec<String>,
) -> PyResult<Vec<String>> {
    Formula::free_names(source, &variables).map_err(|e| input_error(py, format!("formula: {e}")))
}

/// A formula's values at `p` over `xdata` (1-D, or one row per variable).
#[pyfunction]
#[pyo3(signature = (source, xdata, p, names, variables=None))]
pub(crate) fn formula_values<'py>(
    py: Python<'py>,
    source: &str,
    xdata: &Bound<'py, PyAny>,
    p: Vec<f64>,
    names: Vec<String>,
    variables: Option<Vec<String>>,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    let (formula, points) = formula_points(py, xdata, source, &names, variables)?;
    let n = points.as_slice().len() / formula.x_dim();
    let x = points.as_slice();
    let mut values = vec![0.0; n];
    formula.eval(x, &p, &mut values);
    Ok(numpy::PyArray1::from_vec(py, values))
}

/// The predictors the solver sees, point-major: the caller's own 1-D float64 array (no
/// copy), the rows of a 2-D one interleaved point by point, or a Python model's point
/// indices.
enum Predictors<'py> {
    /// A contiguous 1-D float64 array, borrowed.
    Borrowed(PyReadonlyArray1<'py, f64>),
    /// The variables the formula reads, point by point.
    Owned(Vec<f64>),
}

impl Predictors<'_> {
    fn as_slice(&self) -> &[f64] {
        match self {
            Self::Borrowed(array) => array.as_slice().expect("checked contiguous"),
            Self::Owned(v) => v,
        }
    }
}

/// Parses `source` over `xdata`'s rows (named `variables`, by default `x` for 1-D data and
/// `x0, x1, ...` for the rows of 2-D data) and lays out its predictors.
fn formula_points<'py>(
    py: Python<'py>,
    xdata: &Bound<'py, PyAny>,
    source: &str,
    names: &[String],
    variables: Option<Vec<String>>,
) -> PyResult<(Formula, Predictors<'py>)> {
    if let Ok(one) = xdata.extract::<PyReadonlyArray1<'py, f64>>()
        && one.as_slice().is_ok()
        && variables.as_ref().is_none_or(|v| v.len() == 1)
    {
        let columns = variables.unwrap_or_else(|| vec!["x".to_string()]);
        let formula = Formula::parse(source, names, &columns)
            .map_err(|e| input_error(py, format!("formula: {e}")))?;
        return Ok((formula, Predictors::Borrowed(one)));
    }
    let rows = predictor_rows(xdata)?;
    let columns = variables.unwrap_or_else(|| {
        if rows.nrows() == 1 {
            vec!["x".to_string()]
        } else {
            (0..rows.nrows()).map(|k| format!("x{k}")).collect()
        }
    });
    if columns.len() != rows.nrows() {
        return Err(input_error(
            py,
            format!(
                "{} variable names for {} rows of xdata",
                columns.len(),
                rows.nrows()
            ),
        ));
    }
    let formula = Formula::parse(source, names, &columns)
        .map_err(|e| input_error(py, format!("formula: {e}")))?;
    // Only the variables the formula reads, point by point.
    let used: Vec<usize> = formula
        .variables()
        .iter()
        .map(|v| columns.iter().position(|c| c == v).expect("a column"))
        .collect();
    let points = (0..rows.ncols())
        .flat_map(|i| used.iter().map(move |&r| (r, i)))
        .map(|(r, i)| rows[[r, i]])
        .collect();
    Ok((formula, Predictors::Owned(points)))
}

/// `xdata` as one row per predictor: a 1-D array is one row.
fn predictor_rows(xdata: &Bound<'_, PyAny>) -> PyResult<Array2<f64>> {
    if let Ok(one) = xdata.extract::<PyArrayLike1<'_, f64, AllowTypeChange>>() {
        return Ok(one.as_array().insert_axis(ndarray::Axis(0)).to_owned());
    }
    let rows: PyArrayLike2<'_, f64, AllowTypeChange> = xdata.extract()?;
    Ok(rows.as_array().to_owned())
}

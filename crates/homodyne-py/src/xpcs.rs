//! XPCS from Python: `_native.xpcs_load` and `_native.xpcs_fit`, the compiled half of
//! `homodyne_rs.xpcs.load` and `homodyne_rs.xpcs.fit`.
//!
//! Both run `homodyne xpcs`'s own pipeline (`homodyne_cli::xpcs`): the configuration file
//! with the caller's keys laid over it ([`configuration_with`]), the package's loader, the
//! starts, the fit with its per-angle scaling choice, and the result files. A fit runs on
//! a worker thread with the GIL released ([`Control`]): Ctrl-C stops it, `progress=True`
//! draws a bar. The demos (`homodyne xpcs --demo`, laminar flow, and `--demo --mode
//! heterodyne`, the two-component model: [`demo_mode`]) are fitted the same way, so a fit
//! from Python gives the command line's numbers bit for bit. The keywords `multistart`,
//! `multistart_seed` and `multistart_budget` are laid over the configuration's (or the
//! demo's) multistart as the command line's `--multistart` options are
//! ([`multistart::over`]); the result's `multistart` is the multistart's report.
//!
//! Failures are the package's exceptions: a configuration or data file that cannot be used
//! is an `NLSQInputError` naming the file or key (its `error_context` holds `path` or
//! `key`), a failed fit the class of its error (`errors::fit_error`).

use crate::convert::set_fields;
use std::collections::BTreeMap;
use std::path::PathBuf;

use homodyne_cli::checks;
use homodyne_cli::failure::Failure;
use homodyne_cli::processes::Processes;
use homodyne_cli::xpcs::{
    KeySetting, PreparedDemo, PreparedRun, RunError, RunSettings, XpcsRun, configuration_with,
    given_data, write_demo, write_heterodyne_demo, write_outputs,
};
use homodyne_xpcs::diagnostics::{diagnose, significance, significance_warning};
use homodyne_xpcs::{AnalysisMode, CorrelationModel, ModelForm, XpcsError, load_experimental_data};
use numpy::{PyArray1, PyArray3, PyReadonlyArray1, PyReadonlyArray3, ToPyArray};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::control::Control;
use crate::convert::result_dict;
use crate::errors::{self, ErrorClass};
use crate::multistart;

/// Adds this module's functions and classes to `_native`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(xpcs_load, m)?)?;
    m.add_function(wrap_pyfunction!(xpcs_fit, m)?)?;
    m.add_function(wrap_pyfunction!(xpcs_write_demo, m)?)?;
    Ok(())
}

/// Data given as arrays: `(c2_exp, t1, phi_angles_list, wavevector_q_list)`.
type GivenArrays<'py> = (
    PyReadonlyArray3<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray1<'py, f64>,
);

/// The keys of `settings_json` (a JSON object of dotted key paths and values).
fn key_settings(py: Python<'_>, settings_json: &str) -> PyResult<Vec<KeySetting>> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(settings_json)
        .map_err(|e| {
            errors::input_error(
                py,
                format!("the configuration keys are not a JSON object of values: {e}"),
            )
        })?;
    Ok(map
        .into_iter()
        .map(|(key, value)| KeySetting { key, value })
        .collect())
}

/// The Python exception for `error`: a failed fit by its error's class, a file or key
/// that cannot be used as `NLSQInputError` with the file (`path`) or key (`key`) in its
/// context, results that could not be written as `NLSQOptimizationError`.
fn run_error(py: Python<'_>, error: RunError) -> PyErr {
    let mut context = BTreeMap::new();
    match &error.cause {
        Some(XpcsError::Fit(fit)) => return errors::fit_error(py, fit),
        Some(
            XpcsError::Io { path, .. }
            | XpcsError::DataFile { path, .. }
            | XpcsError::MissingDataset { path, .. }
            | XpcsError::FrameRange { path, .. }
            | XpcsError::Wavevector { path, .. }
            | XpcsError::Write { path, .. },
        ) => {
            context.insert("path".to_owned(), path.display().to_string());
        }
        Some(XpcsError::ConfigType { key, .. } | XpcsError::ConfigValue { key, .. }) => {
            context.insert("key".to_owned(), key.clone());
        }
        Some(XpcsError::ConfigSyntax { source_name, .. }) => {
            context.insert("path".to_owned(), source_name.clone());
        }
        _ => {}
    }
    let class = if error.failure.status == 2 {
        ErrorClass::Input
    } else {
        ErrorClass::Optimization
    };
    errors::error(py, class, &error.failure.message, &context)
}

/// The physics of a demo named `mode` (`--demo --mode`: `laminar_flow`, or
/// `two_component` alias `heterodyne`, in any spelling `analysis_mode` takes) and the
/// model's form, checked before any work: `static` is no demo, and the two-component
/// model has one form, so `python_compat` is refused with it. The error names the
/// argument in its `error_context["argument"]`.
fn demo_mode(
    py: Python<'_>,
    mode: &str,
    python_compat: bool,
) -> PyResult<(AnalysisMode, ModelForm)> {
    let refused = |argument: &str, message: String| {
        let context = BTreeMap::from([("argument".to_owned(), argument.to_owned())]);
        errors::error(py, ErrorClass::Input, &message, &context)
    };
    let parsed = mode.parse::<AnalysisMode>();
    let physics = match parsed {
        Ok(AnalysisMode::Static) | Err(_) => {
            return Err(refused(
                "mode",
                format!(
                    "mode={mode:?}: the demo is 'laminar_flow' or 'two_component' (alias \
                     'heterodyne')"
                ),
            ));
        }
        Ok(physics) => physics,
    };
    if physics == AnalysisMode::TwoComponent && python_compat {
        return Err(refused(
            "python_compat",
            "python_compat=True is a form of the homodyne model; the two-component model \
             has one form"
                .to_owned(),
        ));
    }
    let form = if python_compat {
        ModelForm::PythonCompat
    } else {
        ModelForm::Published
    };
    Ok((physics, form))
}

/// Loads the data of the configuration file `config` with `settings_json` laid over it,
/// as the Python package's loader returns them, and the warnings of the configuration and
/// the loader.
///
/// The dict holds `c2_exp` (`(n_phi, n_t, n_t)`), `t1` and `t2` (the `n_t` frame times,
/// from 0), `phi_angles_list` (degrees, as the file holds them) and `wavevector_q_list`
/// (1/Angstrom, one per matrix).
#[pyfunction]
#[pyo3(signature = (config, settings_json = "{}"))]
fn xpcs_load<'py>(
    py: Python<'py>,
    config: Option<PathBuf>,
    settings_json: &str,
) -> PyResult<(Bound<'py, PyDict>, Vec<String>)> {
    let settings = key_settings(py, settings_json)?;
    let loaded = py.detach(|| -> Result<_, RunError> {
        let config = configuration_with(config.as_deref(), &settings)?;
        let loaded = load_experimental_data(
            &config.data_location().map_err(RunError::input)?,
            &config.load_options().map_err(RunError::input)?,
        )
        .map_err(RunError::input)?;
        Ok((config.warnings, loaded))
    });
    let (mut warnings, loaded) = loaded.map_err(|e| run_error(py, e))?;
    warnings.extend(loaded.warnings.iter().cloned());
    let data = &loaded.data;
    let n_t = data.n_t;
    let c2 = ndarray::Array3::from_shape_vec((data.phi.len(), n_t, n_t), data.c2.clone()).map_err(
        |e| {
            errors::input_error(
                py,
                format!("{}: matrices of the wrong size: {e}", loaded.path.display()),
            )
        },
    )?;
    let d = PyDict::new(py);
    d.set_item("c2_exp", PyArray3::from_owned_array(py, c2))?;
    d.set_item("t1", PyArray1::from_slice(py, &loaded.t))?;
    d.set_item("t2", PyArray1::from_slice(py, &loaded.t))?;
    d.set_item("phi_angles_list", PyArray1::from_slice(py, &data.phi))?;
    d.set_item(
        "wavevector_q_list",
        PyArray1::from_slice(py, &loaded.wavevector_q_list),
    )?;
    Ok((d, warnings))
}

/// Fits the configuration file `config` with `settings_json` laid over it (or, with
/// `demo = (angles, frames)`, the command line's demo dataset of the physics `demo_mode`,
/// [`demo_mode`]), as `homodyne xpcs` does, and returns the fit as a dict with the
/// warnings raised on the way.
///
/// `python_compat`: the Python package's form of the model (`--python-compat`).
/// `output_dir`: where the result files go (`<dir>/nlsq/`), checked writable before the
/// fit; no files without it; `hdf5`: `fitted_data.h5` too (`--hdf5`). `progress`: draw a
/// progress bar.
/// `data`: the arrays `(c2_exp, t1, phi_angles_list, wavevector_q_list)` to fit instead
/// of the configuration's data file (its frame range is not applied; `dt` is the
/// configuration's, else the spacing of `t1`).
/// `multistart`: the keywords `(multistart, multistart_seed, multistart_budget)` laid over
/// the configuration's (or the demo's) multistart as `--multistart`, `--multistart-seed`
/// and `--multistart-budget` are ([`multistart::over`]); `None` keeps it.
#[pyfunction]
#[pyo3(signature = (config = None, settings_json = "{}", demo = None, python_compat = false,
    output_dir = None, progress = false, data = None, hdf5 = false, multistart = None,
    demo_mode = "laminar_flow"))]
#[allow(clippy::too_many_arguments)] // the keywords of homodyne_rs.xpcs.fit
fn xpcs_fit<'py>(
    py: Python<'py>,
    config: Option<PathBuf>,
    settings_json: &str,
    demo: Option<(usize, usize)>,
    python_compat: bool,
    output_dir: Option<PathBuf>,
    progress: bool,
    data: Option<GivenArrays<'py>>,
    hdf5: bool,
    multistart: Option<multistart::Overrides>,
    demo_mode: &str,
) -> PyResult<(Bound<'py, PyDict>, Vec<String>)> {
    let settings = key_settings(py, settings_json)?;
    let (physics, form) = match demo {
        Some(_) => self::demo_mode(py, demo_mode, python_compat)?,
        None if python_compat => (AnalysisMode::LaminarFlow, ModelForm::PythonCompat),
        None => (AnalysisMode::LaminarFlow, ModelForm::Published),
    };
    if demo.is_some() && (config.is_some() || !settings.is_empty() || data.is_some()) {
        return Err(errors::input_error(
            py,
            "demo=True fits the command line's demo dataset: give no configuration file, \
             configuration keys or data with it",
        ));
    }
    // The arrays copied out of numpy before the GIL is released.
    let given = data.map(|(c2, t, phi, q)| {
        let values = |a: numpy::ndarray::ArrayViewD<'_, f64>| a.iter().copied().collect::<Vec<_>>();
        (
            values(c2.as_array().into_dyn()),
            values(t.as_array().into_dyn()),
            values(phi.as_array().into_dyn()),
            values(q.as_array().into_dyn()),
        )
    });
    if let Some(dir) = &output_dir {
        checks::output_dir("output_dir", dir)
            .map_err(|e| errors::input_error(py, e.to_string()))?;
    }
    let control = Control::new(progress);
    let mut warnings = Vec::new();
    // A multistart keyword with nothing to apply to, named in the error's context.
    let mut unapplied = None;
    let mut over = |base, default_seed| match multistart {
        None => Ok(base),
        Some(overrides) => multistart::over(base, overrides, default_seed).map_err(|e| {
            let failure = Failure::input(e.message.clone());
            unapplied = Some(e);
            RunError {
                failure,
                cause: None,
            }
        }),
    };
    let outcome = control.run(py, || -> Result<XpcsRun, RunError> {
        let processes = Processes::alone();
        if let Some((angles, frames)) = demo {
            let mut prepared = match physics {
                AnalysisMode::TwoComponent => PreparedDemo::prepare_heterodyne(angles, frames)?,
                _ => PreparedDemo::prepare(angles, frames, form)?,
            };
            // The command line's seed for the demo's multistart.
            prepared.options.multistart = over(prepared.options.multistart.take(), 0)?;
            return prepared.fit(&processes, &control);
        }
        let mut config = configuration_with(config.as_deref(), &settings)?;
        warnings.extend(config.warnings.iter().cloned());
        // The command line's seed for a configuration's multistart.
        config.multistart = over(config.multistart.take(), 42)?;
        let settings = RunSettings {
            form,
            sigma_auto: false,
        };
        let mut warn = |warning: &str| warnings.push(warning.to_owned());
        let prepared = match given {
            None => PreparedRun::prepare(config, &settings, &mut warn)?,
            Some((c2, t, phi, q_list)) => {
                if config.dt().is_none() && t.len() >= 2 {
                    config.analyzer.dt = Some(t[1] - t[0]);
                }
                let dt = config.dt().unwrap_or(f64::NAN);
                let loaded = given_data(c2, t, phi, q_list, dt)?;
                PreparedRun::prepare_loaded(config, loaded, &settings, &mut warn)?
            }
        };
        prepared.fit(&processes, &control)
    })?;
    if let Some(e) = unapplied {
        let context = BTreeMap::from([("argument".to_owned(), e.argument.to_owned())]);
        return Err(errors::error(py, ErrorClass::Input, &e.message, &context));
    }
    let run = outcome.map_err(|e| run_error(py, e))?;
    let (aic, bic) = diagnose_into(&run, &mut warnings);
    let written = match &output_dir {
        Some(dir) => Some(
            py.detach(|| write_outputs(dir, &run, hdf5))
                .map_err(|failure| run_error(py, failure.into()))?,
        ),
        None => None,
    };
    let d = run_dict(py, &run)?;
    let files: Vec<String> = written
        .iter()
        .flat_map(|w| w.files.iter().chain(&w.heatmaps).chain(&w.cuts))
        .map(|p| p.display().to_string())
        .collect();
    d.set_item("files", files)?;
    d.set_item("aic", aic)?;
    d.set_item("bic", bic)?;
    Ok((d, warnings))
}

/// The fit's AIC and BIC (NaN when they cannot be computed), with the warnings the
/// command line prints after its summary added to `warnings`: strongly correlated
/// parameters, standard errors above the value, parameters below the significance
/// threshold, each with what to try.
fn diagnose_into(run: &XpcsRun, warnings: &mut Vec<String>) -> (f64, f64) {
    let (layout, result) = (run.model.layout(), run.result());
    let statistics = match diagnose(layout, result, None) {
        Ok(diagnostics) => {
            for warning in &diagnostics.warnings {
                warnings.push(format!("{warning}\n  what to try: {}", warning.advice()));
            }
            (diagnostics.aic, diagnostics.bic)
        }
        Err(e) => {
            warnings.push(format!("no diagnostics of this fit: {e}"));
            (f64::NAN, f64::NAN)
        }
    };
    warnings.extend(significance_warning(&significance(layout, result)));
    statistics
}

/// Writes the demo dataset of `angles` angles and `frames` frames of the physics `mode`
/// ([`demo_mode`]) into `folder` (an APS-U HDF5 file and the YAML configuration that fits
/// it, `homodyne xpcs --demo [--mode heterodyne] --write-data`) and returns their paths as
/// `[("data", path), ("config", path)]`.
#[pyfunction]
#[pyo3(signature = (folder, angles, frames, python_compat = false, mode = "laminar_flow"))]
fn xpcs_write_demo(
    py: Python<'_>,
    folder: PathBuf,
    angles: usize,
    frames: usize,
    python_compat: bool,
    mode: &str,
) -> PyResult<Vec<(&'static str, String)>> {
    let (physics, form) = demo_mode(py, mode, python_compat)?;
    let files = py
        .detach(|| match physics {
            AnalysisMode::TwoComponent => write_heterodyne_demo(&folder, angles, frames),
            _ => write_demo(&folder, angles, frames, form),
        })
        .map_err(|e| run_error(py, e))?;
    Ok(vec![
        ("data", files.data.display().to_string()),
        ("config", files.config.display().to_string()),
    ])
}

/// The numbers of `run`: parameter names, values and standard errors, the fit
/// statistics, the per-angle scaling, the scaling candidates, the full result.
fn run_dict<'py>(py: Python<'py>, run: &XpcsRun) -> PyResult<Bound<'py, PyDict>> {
    let result = run.result();
    let layout = run.model.layout();
    let d = PyDict::new(py);
    d.set_item("parameter_names", run.names())?;
    d.set_item("analysis_mode", layout.mode.name())?;
    d.set_item("scaling", layout.scaling.name())?;
    d.set_item("held_scaling", run.held_scaling)?;
    d.set_item("model_form", run.model.form().name())?;
    let (contrasts, offsets) = run.per_angle_scaling();
    d.set_item("phi", PyArray1::from_slice(py, &run.data.phi))?;
    d.set_item("contrast", PyArray1::from_vec(py, contrasts))?;
    d.set_item("offset", PyArray1::from_vec(py, offsets))?;
    d.set_item("q", run.data.q)?;
    d.set_item("n_t", run.data.n_t)?;
    d.set_item("times", run.model.grid().times().to_pyarray(py))?;
    d.set_item("start", PyArray1::from_slice(py, &run.fitted.start))?;
    d.set_item(
        "truth",
        run.truth.as_deref().map(|t| PyArray1::from_slice(py, t)),
    )?;
    d.set_item("seconds", run.seconds)?;
    d.set_item(
        "data_path",
        run.loaded
            .as_ref()
            .map(|loaded| loaded.path.display().to_string()),
    )?;
    d.set_item(
        "noise_sigma",
        run.noise
            .as_ref()
            .map(|n| PyArray1::from_slice(py, &n.sigma)),
    )?;
    let choice = match &run.choice {
        None => None,
        Some(choice) => {
            let c = PyDict::new(py);
            let mut candidates = Vec::with_capacity(choice.candidates.len());
            for candidate in &choice.candidates {
                let e = PyDict::new(py);
                e.set_item("scaling", candidate.scaling.name())?;
                set_fields!(
                    e,
                    candidate,
                    n_varying,
                    n_points,
                    chi_squared,
                    reduced_chi_squared,
                    aic,
                    bic,
                    iterations,
                    converged,
                    seconds
                );
                candidates.push(e);
            }
            c.set_item("candidates", candidates)?;
            c.set_item("chosen", choice.chosen)?;
            c.set_item("reason", choice.reason())?;
            Some(c)
        }
    };
    d.set_item("scaling_choice", choice)?;
    let mut stages = Vec::with_capacity(run.fitted.stages.len());
    for stage in &run.fitted.stages {
        let s = PyDict::new(py);
        set_fields!(s, stage, stride, n_points, used, seconds);
        match &stage.result {
            Ok(r) => {
                s.set_item("iterations", r.iterations)?;
                s.set_item("convergence_status", r.convergence_status.to_string())?;
                s.set_item("error", py.None())?;
            }
            Err(e) => {
                s.set_item("iterations", py.None())?;
                s.set_item("convergence_status", py.None())?;
                s.set_item("error", e)?;
            }
        }
        stages.push(s);
    }
    d.set_item("coarse_stages", stages)?;
    d.set_item(
        "multistart",
        multistart::report_dict(py, run.fitted.multistart.as_ref())?,
    )?;
    d.set_item("result", result_dict(py, result)?)?;
    Ok(d)
}

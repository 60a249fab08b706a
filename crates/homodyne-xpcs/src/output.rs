//! The files the Python `homodyne` package (2.23) writes after an NLSQ fit, written from
//! our fit: [`write_nlsq_outputs`] fills `<output_dir>/nlsq/` with
//!
//! - `parameters.json`: the fitted values and uncertainties by name;
//! - `analysis_results_nlsq.json`: fit quality, dataset size, optimisation summary;
//! - `convergence_metrics.json`: convergence, device, and the package's quality checks;
//! - `fitted_data.npz`: data, model and residual arrays (NumPy's `np.load` reads it);
//! - `fitted_data.h5`, when asked for ([`NlsqOutputs::hdf5`]): the same arrays as HDF5
//!   datasets of the same names at the root (the package writes no such file; h5py reads
//!   it).
//!
//! The keys, their nesting and the array shapes are the package's
//! (`cli/result_saving.py:save_nlsq_results`, `io/nlsq_writers.py`,
//! `optimization/nlsq/fit_computation.py:compute_theoretical_fits`), so scripts written for
//! its output read ours. `n` is the number of angles, `N` the frames per matrix side.
//!
//! # `parameters.json`
//!
//! `timestamp`, `analysis_mode` (`static` or `laminar_flow`), `chi_squared`,
//! `reduced_chi_squared`, `convergence_status`, and `parameters`: `{name: {value,
//! uncertainty}}` with `contrast`, `offset`, then the physical parameters. As in the
//! package, `contrast` and `offset` summarise the per-angle values: the value is the mean
//! over angles (NaN-skipping) and the uncertainty the root mean square of the per-angle
//! uncertainties. **Added**: `per_angle` with the full lists, `{"phi": [..], "contrast":
//! [..], "contrast_uncertainty": [..], "offset": [..], "offset_uncertainty": [..],
//! "scaling_mode": "individual" | "constant" | "fourier"}` (with constant scaling the shared
//! value is repeated for every angle), and `sigma` and `chi_squared_definition` (see below).
//! With Fourier scaling ([`crate::scaling`]) the per-angle values are those of the series,
//! `B a`, with uncertainties `sqrt(diag(B C_a B^T))` from the coefficients' covariance
//! `C_a` (the package's covariance transform); `per_angle` then also holds `fourier_order`
//! and `coefficients`: `{"contrast_c0": {value, uncertainty}, "contrast_c1": .., ..,
//! "offset_c0": .., ..}`, flagged as parameters are.
//!
//! **Fixed and undetermined parameters.** A parameter held fixed (a `fixed` key in the
//! configuration, equal bounds: [`crate::fixed`]) is written with its value, `"uncertainty":
//! null` and `"flag": "fixed"`; one the data do not determine
//! ([`homodyne_core::ParameterFlag::Undetermined`]) with its value, `"uncertainty": null`
//! and `"flag": "undetermined"` (never an uncertainty of 0). Other parameters have no `flag`, as in the
//! package. The `contrast` and `offset` summaries are `fixed` when every angle's value is,
//! `undetermined` (uncertainty `null`) when any is, and otherwise their uncertainty is the
//! root mean square over the fitted angles. When any contrast or offset is flagged,
//! `per_angle` also holds `contrast_flag` and `offset_flag`: `"fixed"`, `"undetermined"`
//! or `"free"` per angle; the per-angle uncertainties of flagged values are `null`.
//!
//! # `analysis_results_nlsq.json`
//!
//! `method` (`nlsq`), `timestamp`, `analysis_mode`, `fit_quality` {`chi_squared`,
//! `reduced_chi_squared`, `degrees_of_freedom` (`M - P`, `P` the parameters fitted: those
//! held fixed are not counted), `quality_flag`},
//! `dataset_info` {`n_angles`, `n_time_points` (`N^2`, as the package counts it),
//! `total_data_points`, `q_value`}, `optimization_summary` {`convergence_status`,
//! `iterations`, `execution_time`}. **Added**: `fit_quality.sigma`,
//! `fit_quality.chi_squared_definition`, `dataset_info.n_frames`, `dataset_info.dt`, and
//! `optimization_summary.{nfev, njev, termination_reason, method, strategy}`, and
//! `optimization_summary.coarse_stages`: one object per coarse stage that ran before the
//! full fit ([`crate::CoarseToFine`]), `{stride, n_points, convergence_status,
//! iterations, nfev, used, seconds}` (`convergence_status` "failed" with an `error` when
//! the stage did not finish; `iterations` and `nfev` then null).
//! `optimization_summary.scaling_choice`: how `per_angle_mode: auto` chose the per-angle
//! scaling ([`crate::scaling_choice`]), `{chosen, criterion: "bic", reason, candidates:
//! [{scaling, n_varying, n_points, chi_squared, reduced_chi_squared, aic, bic,
//! iterations, converged, seconds}]}`; null when the layout was given.
//!
//! **Added**: `diagnostics`, what the fit does not determine ([`crate::diagnostics`],
//! [`homodyne::diagnostics`]): `{aic, bic, n_points, n_varying, correlation: {names,
//! matrix}, warnings: [{kind, parameters, message, advice}]}`. AIC and BIC are lmfit's,
//! from this file's `chi_squared` and the elements fitted (only differences between fits
//! of the same data mean something); `matrix` is the parameters' correlation matrix in the
//! order of `names`, `null` for parameters held fixed or undetermined; `warnings` name
//! every pair correlated beyond |r| > 0.99, every varied parameter whose standard error
//! exceeds its magnitude, on a bound or undetermined, and a stalled or unfinished fit, each
//! with what to try (for a power-law amplitude and its offset: hold the offset fixed, or
//! the exponent).
//!
//! # `convergence_metrics.json`
//!
//! `convergence` {`status`, `iterations`, `execution_time`, `final_chi_squared`,
//! `chi_squared_reduction` (`1 - reduced chi2` when that is below 1, else 0)},
//! `recovery_actions` (strings), `quality_flag`, `device_info` {`platform`, `device`,
//! `device_kind`, `n_devices`, `adapter`, `fallback_occurred`, `fallback_reason`},
//! `quality_validation_passed`, `quality_warnings`, `quality_checks`
//! {`reduced_chi_squared`, `chi2_quality`, `parameter_significance`, `condition_number`,
//! `physical_bounds`, `convergence_status`}, with the package's default thresholds
//! (reduced chi-squared at most 10; `chi2_quality` "good or acceptable" up to 5; significance
//! `|p| / u >= 2`; covariance condition number at most 1e12). As in the package, a failed
//! `parameter_significance` or `chi2_quality` check warns (or not) without failing the
//! validation; unlike the package, the significance warning names the parameters and their
//! `|p| / u`. **Added**: `quality_checks.parameters_determined` (false, with a warning,
//! when the data do not determine a parameter), `quality_checks.parameter_correlations`
//! (false when a pair is correlated beyond |r| > 0.99; one warning per pair, naming both
//! and saying what to try; the validation still passes), `convergence.{nfev, njev,
//! termination_reason}`, `device_info.{threads, strategy, strategy_notes}`, `covariance`
//! {`rank`, `n_parameters`, `jacobian_condition_number`, `condition_number`}, and
//! `streaming_diagnostics` for a STREAMING fit.
//!
//! # `fitted_data.npz` and `fitted_data.h5`
//!
//! All float64, C order, in the package's key order:
//!
//! | key | shape | meaning |
//! | --- | --- | --- |
//! | `phi_angles` | (n,) | the angles (degrees) |
//! | `c2_exp` | (n, N, N) | the fitted data |
//! | `c2_theoretical_raw` | (n, N, N) | the model at the fitted physical parameters with every contrast and offset 1 (the package's `1 + g1^2`; for a Fourier series, the coefficients of the constant 1) |
//! | `c2_theoretical_scaled` | (n, N, N) | `a_k raw + b_k`, with `[a_k, b_k]` the per-angle least squares of the data on `[raw, 1]` |
//! | `per_angle_scaling` | (n, 2) | those `[a_k, b_k]` (post hoc, not the fitted values) |
//! | `per_angle_scaling_solver` | (n, 2) | the fitted `[contrast, offset]` of each angle (of the series, for Fourier scaling) |
//! | `residuals` | (n, N, N) | `c2_exp - c2_theoretical_scaled` |
//! | `residuals_normalized` | (n, N, N) | `residuals / (0.05 c2_exp)`, 0 where `c2_exp` is 0 |
//! | `t1`, `t2` | (N,) | the frame times (seconds) |
//! | `q` | (1,) | the wavevector (1/Angstrom) |
//! | `c2_solver_scaled` | (n, N, N) | the model at the fitted parameters |
//!
//! The `.npz` members are stored uncompressed (`np.savez`, where the package uses
//! `np.savez_compressed`): noisy c2 matrices do not compress, deflate made the members
//! 1-6% larger and took most of the writing time. The HDF5 matrices are chunked (rows of
//! one angle, about 1 MiB a chunk), uncompressed for the same reason. Both files are
//! written to a temporary name and renamed, so an interrupted write never leaves a
//! truncated file under the final name (they are not synced to the disk first: only a
//! crash of the operating system soon after the run can lose them). The arrays are
//! computed and written one at a time, to both files at once: besides the data, at most
//! two `n N^2` arrays are held (the model at the fitted parameters, and the array being
//! written).
//!
//! # Where this differs from the package, on purpose
//!
//! - **Chi-squared is of the residuals**: `sum (c2_exp - c2_solver_scaled)^2` over the
//!   elements that were fitted ([`NlsqOutputs::points`]; the arrays hold every element),
//!   divided by `sigma^2` when [`NlsqOutputs::sigma`] is given (with `sigma: auto`,
//!   each angle's residuals by its own estimated `sigma_phi^2`, [`crate::noise`]). The
//!   package's standard path reports the sum of the *model* squared. Without `sigma` the
//!   residuals are unweighted (so the reduced chi-squared is the residual variance in c2
//!   units, and `quality_flag` says little); the package assumes a default sigma of 0.01
//!   that it then does not use on that path. What was used is written as `sigma` (a number,
//!   the list of per-angle estimates in the data's angle order, or `null`) and
//!   `chi_squared_definition` next to the values (which says when sigma was estimated).
//! - `reduced_chi_squared = chi_squared / (M - P)`, `M` the elements fitted, `P` the
//!   parameters not held fixed; with no degrees of freedom it is
//!   `null` (the package writes `Infinity`).
//! - **`iterations` is the solver's count of outer iterations** (the package reports 0).
//! - `convergence_status` is `converged`, or `max_iter` when the evaluation budget ran out
//!   (the package's word for it).
//! - **Non-finite numbers are written as `null`** (valid JSON; the package writes its own
//!   NaN floats as the bare token `NaN`, which strict JSON readers refuse, and already
//!   writes `null` for NaN inside arrays).
//! - Timestamps are local time with microseconds and the UTC offset,
//!   `2026-11-29T20:13:52.055234+01:00` (the package omits the offset); one timestamp
//!   serves every file of a call.
//! - The covariance condition number is `cond(J)^2` of the solver's Jacobian (exactly the
//!   2-norm condition number NumPy's `cond` computes from the covariance when the Jacobian
//!   has full rank); a rank-deficient covariance fails the check with a warning that says
//!   so (the package's `cond` is then infinite or meaningless and it skips or fails the
//!   check by chance). Rank and condition are those of the parameters fitted: the zero
//!   rows and columns of parameters held fixed do not count as a deficiency.
//! - **`quality_flag` is not the reduced chi-squared's alone.** The reduced chi-squared
//!   grades the fit as the package does (`good` below 1.5, `marginal` below 3, else
//!   `poor`); then a fit that did not converge is `poor`, and one with a varied parameter
//!   on a bound, one below the significance threshold, one undetermined, or a pair
//!   correlated beyond |r| > 0.99 is at most `marginal`: `good` means converged, inside its
//!   bounds and determined. The same flag is written in both files.
//! - `physical_bounds` uses the solver's flags ([`homodyne_core::ParameterFlag`]: on a
//!   bound within relative 1e-10) of the physical parameters, as the package does with its
//!   configured bounds (absolute 1e-9). There is no CMA-ES, so no `cmaes_convergence` check.
//! - The arrays are on the grid that was fitted ([`NlsqOutputs::data`]); the package's
//!   command line writes them on the loader's grid with `t = 0`, one frame more than it
//!   fitted.
//! - The per-angle least squares treats a raw model that is (numerically) constant over an
//!   angle as NumPy's `lstsq` does a rank-one matrix: the minimum-norm solution.
//! - `recovery_actions` are `"<action> (attempt k, after: <error>)"` strings; the package's
//!   are bare action names.
//! - `device_info` describes this program: `platform` and `device_kind` from the fit's
//!   device, `device` `cpu:0`, `n_devices` 1, `adapter` `homodyne`, never a fallback.

mod analysis_json;
mod arrays;
mod convergence_json;
mod fitted_data;
mod inputs;
mod json;
mod parameter_flags;
mod parameters_json;
mod quality;
mod statistics;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::XpcsError;

use self::analysis_json::analysis_json;
use self::arrays::write_arrays;
use self::convergence_json::convergence_json;
use self::fitted_data::FittedDataFiles;
use self::json::python_text;
use self::parameters_json::parameters_json;
use self::statistics::Statistics;

pub use self::arrays::NORMALIZED_RESIDUAL_FRACTION;
pub use self::inputs::{NlsqOutputs, PACKAGE_DEFAULT_SIGMA, Sigma};
pub use self::quality::{
    CHI2_ACCEPTABLE_THRESHOLD, MAX_CONDITION_NUMBER, REDUCED_CHI_SQUARED_THRESHOLD,
};
pub use self::statistics::{QUALITY_GOOD_BELOW, QUALITY_MARGINAL_BELOW};
pub use crate::diagnostics::MIN_PARAMETER_SIGNIFICANCE;

/// The folder under the output directory that receives the files, as in the package.
pub const NLSQ_DIR: &str = "nlsq";
/// `parameters.json`.
pub const PARAMETERS_FILE: &str = "parameters.json";
/// `analysis_results_nlsq.json`.
pub const ANALYSIS_RESULTS_FILE: &str = "analysis_results_nlsq.json";
/// `convergence_metrics.json`.
pub const CONVERGENCE_METRICS_FILE: &str = "convergence_metrics.json";
/// `fitted_data.npz`.
pub const FITTED_DATA_NPZ: &str = "fitted_data.npz";
/// `fitted_data.h5`.
pub const FITTED_DATA_H5: &str = "fitted_data.h5";

/// Writes `parameters.json`, `analysis_results_nlsq.json`, `convergence_metrics.json`,
/// `fitted_data.npz` and, with [`NlsqOutputs::hdf5`], `fitted_data.h5` into
/// `<output_dir>/nlsq/` (created when missing; existing files of those names are
/// replaced, and an earlier run's `fitted_data.h5` is removed when none is written), and
/// returns their paths in the order written: the `.npz`, the `.h5`, then the three JSON
/// files.
///
/// # Errors
///
/// - [`XpcsError::ParameterCount`] when the result's parameters do not fit the model's
///   layout; [`XpcsError::InvalidSetting`] when the data do not match the model (angles,
///   frames, number of values) or `sigma` is not positive and finite;
/// - [`XpcsError::Io`] naming the folder or file that cannot be created or written;
/// - [`XpcsError::Write`] when the HDF5 writer or the `.npy` encoder refuses an array.
///
/// Nothing is left under a final name by a failed array file; JSON files written before a
/// failure stay.
pub fn write_nlsq_outputs(
    output_dir: &Path,
    outputs: &NlsqOutputs,
) -> Result<Vec<PathBuf>, XpcsError> {
    outputs.check()?;
    let fit = outputs.model.values(&outputs.result.parameters);
    write_nlsq_outputs_with_fit(output_dir, outputs, &fit)
}

/// [`write_nlsq_outputs`] with the model at the fitted parameters on every point given:
/// `fit` is what [`crate::HomodyneModel::values`] returns for
/// `outputs.result.parameters`, for a caller that uses it too (the CLI draws it), so that
/// it is computed once. The files are those `write_nlsq_outputs` writes.
///
/// # Errors
///
/// Those of [`write_nlsq_outputs`], and [`XpcsError::InvalidSetting`] when `fit` does not
/// hold one value per point of the model.
pub fn write_nlsq_outputs_with_fit(
    output_dir: &Path,
    outputs: &NlsqOutputs,
    fit: &[f64],
) -> Result<Vec<PathBuf>, XpcsError> {
    outputs.check()?;
    check_fit(outputs, fit)?;
    write_nlsq_outputs_awaiting_fit(output_dir, outputs, || Some(fit))
}

/// [`write_nlsq_outputs_with_fit`] with the model values handed over while the files are
/// being written: `fit` is called once, when they are first needed (after the measured
/// data, the raw and scaled theory and the residuals are written, the last matrix of the
/// files), so that a caller can compute them on other threads meanwhile. `None` (the
/// values could not be had) abandons the array files with an error.
///
/// # Errors
///
/// Those of [`write_nlsq_outputs_with_fit`], and [`XpcsError::InvalidSetting`] when `fit`
/// returns `None`.
pub fn write_nlsq_outputs_awaiting_fit<'f>(
    output_dir: &Path,
    outputs: &NlsqOutputs,
    fit: impl FnOnce() -> Option<&'f [f64]>,
) -> Result<Vec<PathBuf>, XpcsError> {
    outputs.check()?;
    let fit = || {
        let values = fit()
            .ok_or_else(|| XpcsError::setting("fitted model values", "they were not computed"))?;
        check_fit(outputs, values).map(|()| values)
    };
    // The raw theory is computed while the data are written.
    let raw = || {
        Ok(Cow::Owned(
            outputs.model.values_and_raw(&outputs.result.parameters).1,
        ))
    };
    write_files(output_dir, outputs, raw, fit)
}

/// The model on every point of a fit, handed to
/// [`write_nlsq_outputs_awaiting_values`]: what [`crate::HomodyneModel::values_and_raw`]
/// returns at the fitted parameters.
#[derive(Debug, Clone)]
pub struct ModelValues<'f> {
    /// The model at the fitted parameters (`c2_solver_scaled`).
    pub fitted: &'f [f64],
    /// The raw theory (`c2_theoretical_raw`), given over: once it is written, its buffer
    /// receives the residuals.
    pub raw: Vec<f64>,
}

/// [`write_nlsq_outputs_awaiting_fit`] with the raw theory handed over too, computed by
/// the caller with the fitted values in one evaluation of the model
/// ([`crate::HomodyneModel::values_and_raw`]) instead of a second one here: `values` is
/// called once, on a thread of its own, while the measured data are written (the raw
/// theory is the next matrix). The files are those [`write_nlsq_outputs`] writes.
///
/// # Errors
///
/// Those of [`write_nlsq_outputs_awaiting_fit`], and [`XpcsError::InvalidSetting`] when
/// `values` returns `None` or arrays of the wrong length.
pub fn write_nlsq_outputs_awaiting_values<'f>(
    output_dir: &Path,
    outputs: &NlsqOutputs,
    values: impl FnOnce() -> Option<ModelValues<'f>> + Send,
) -> Result<Vec<PathBuf>, XpcsError> {
    outputs.check()?;
    let fitted: OnceLock<&'f [f64]> = OnceLock::new();
    let raw = || {
        let values = values()
            .ok_or_else(|| XpcsError::setting("fitted model values", "they were not computed"))?;
        check_fit(outputs, values.fitted)?;
        check_fit(outputs, &values.raw)?;
        fitted.get_or_init(|| values.fitted);
        Ok(Cow::Owned(values.raw))
    };
    let fit = || {
        fitted
            .get()
            .copied()
            .ok_or_else(|| XpcsError::setting("fitted model values", "they were not computed"))
    };
    write_files(output_dir, outputs, raw, fit)
}

/// Writes the files of [`write_nlsq_outputs`]: `raw` gives the raw theory (called on a
/// thread of its own while the data are written), `fit` the fitted values (called when
/// the last matrix is due).
fn write_files<'f>(
    output_dir: &Path,
    outputs: &NlsqOutputs,
    raw: impl FnOnce() -> Result<Cow<'f, [f64]>, XpcsError> + Send,
    fit: impl FnOnce() -> Result<&'f [f64], XpcsError>,
) -> Result<Vec<PathBuf>, XpcsError> {
    let dir = output_dir.join(NLSQ_DIR);
    std::fs::create_dir_all(&dir).map_err(|source| XpcsError::Io {
        path: dir.clone(),
        action: "create".to_owned(),
        source,
    })?;
    let timestamp = timestamp();

    let npz_path = dir.join(FITTED_DATA_NPZ);
    let h5_path = outputs.hdf5.then(|| dir.join(FITTED_DATA_H5));
    if !outputs.hdf5 {
        // An earlier run's copy would no longer hold these arrays.
        remove_stale(&dir.join(FITTED_DATA_H5))?;
    }
    let mut files = FittedDataFiles::create(&npz_path, h5_path.as_deref())?;
    let chi_squared = match write_arrays(outputs, raw, fit, &mut files) {
        Ok(chi_squared) => chi_squared,
        Err(e) => {
            files.abandon();
            return Err(e);
        }
    };
    files.finish()?;

    let stats = Statistics::new(outputs, chi_squared)?;
    let documents = [
        (
            PARAMETERS_FILE,
            parameters_json(outputs, &stats, &timestamp),
        ),
        (
            ANALYSIS_RESULTS_FILE,
            analysis_json(outputs, &stats, &timestamp),
        ),
        (CONVERGENCE_METRICS_FILE, convergence_json(outputs, &stats)),
    ];
    let mut written: Vec<PathBuf> = std::iter::once(npz_path).chain(h5_path).collect();
    for (name, document) in documents {
        let path = dir.join(name);
        std::fs::write(&path, python_text(&document)).map_err(|source| XpcsError::Io {
            path: path.clone(),
            action: "write".to_owned(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Removes the file at `path` if there is one.
fn remove_stale(path: &Path) -> Result<(), XpcsError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(XpcsError::Io {
            path: path.to_path_buf(),
            action: "remove the earlier run's".to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// [`XpcsError::InvalidSetting`] unless `fit` holds one value per point of the model.
fn check_fit(outputs: &NlsqOutputs, fit: &[f64]) -> Result<(), XpcsError> {
    if fit.len() == outputs.model.n_points() {
        return Ok(());
    }
    Err(XpcsError::setting(
        "fitted model values",
        format!(
            "{} values given for the model's {} points",
            fit.len(),
            outputs.model.n_points()
        ),
    ))
}

/// The local time now, ISO 8601 with microseconds and the UTC offset; `null` when the
/// system clock is outside what can be represented.
fn timestamp() -> Value {
    let Ok(now) = jiff::Timestamp::try_from(std::time::SystemTime::now()) else {
        return Value::Null;
    };
    let zoned = now.to_zoned(jiff::tz::TimeZone::system());
    let civil = zoned.datetime();
    let offset = zoned.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs();
    Value::String(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{sign}{:02}:{:02}",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second(),
        civil.subsec_nanosecond() / 1000,
        offset / 3600,
        (offset % 3600) / 60
    ))
}

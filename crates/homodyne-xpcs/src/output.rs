//! The files the Python `homodyne` package (2.23) writes after an NLSQ fit, written from
//! our fit: [`write_nlsq_outputs`] fills `<output_dir>/nlsq/` with
//!
//! - `parameters.json`: the fitted values and uncertainties by name;
//! - `analysis_results_nlsq.json`: fit quality, dataset size, optimisation summary;
//! - `convergence_metrics.json`: convergence, device, and the package's quality checks;
//! - `fitted_data.npz`: data, model and residual arrays (NumPy's `np.load` reads it);
//! - `fitted_data.h5`: the same arrays as HDF5 datasets of the same names at the root (the
//!   package writes no such file; h5py reads it).
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
//! ([`ParameterFlag::Undetermined`]) with its value, `"uncertainty": null` and `"flag":
//! "undetermined"` (never an uncertainty of 0). Other parameters have no `flag`, as in the
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
//! truncated file under the final name. The arrays are computed and written one at a
//! time, to both files at once: besides the data, at most two `n N^2` arrays are held.
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
//! - `physical_bounds` uses the solver's [`ParameterFlag`]s (on a bound within relative
//!   1e-10) of the physical parameters, as the package does with its configured bounds
//!   (absolute 1e-9). There is no CMA-ES, so no `cmaes_convergence` check.
//! - The arrays are on the grid that was fitted ([`NlsqOutputs::data`]); the package's
//!   command line writes them on the loader's grid with `t = 0`, one frame more than it
//!   fitted.
//! - The per-angle least squares treats a raw model that is (numerically) constant over an
//!   angle as NumPy's `lstsq` does a rank-one matrix: the minimum-norm solution.
//! - `recovery_actions` are `"<action> (attempt k, after: <error>)"` strings; the package's
//!   are bare action names.
//! - `device_info` describes this program: `platform` and `device_kind` from the fit's
//!   device, `device` `cpu:0`, `n_devices` 1, `adapter` `homodyne`, never a fallback.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use homodyne_core::{ConvergenceStatus, OptimizationResult, ParameterFlag};
use rust_hdf5::{H5File, Hdf5Error};

use homodyne::diagnostics::{Diagnostics, Warning};

use crate::analysis::CoarseStage;
use crate::data::{CorrelationData, PointSelection};
use crate::diagnostics::{diagnose, significance, significance_warning};
use crate::error::XpcsError;
use crate::loader::npy;
use crate::model::HomodyneModel;
use crate::noise::NoiseEstimate;
use crate::parameters::ScalingMode;
use crate::scaling_choice::ScalingChoice;

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

/// The package's default measurement uncertainty of c2 (`sigma`); not applied here unless
/// given as [`NlsqOutputs::sigma`].
pub const PACKAGE_DEFAULT_SIGMA: f64 = 0.01;
/// `residuals_normalized = residuals / (NORMALIZED_RESIDUAL_FRACTION * c2_exp)`.
pub const NORMALIZED_RESIDUAL_FRACTION: f64 = 0.05;
/// `quality_flag` is `good` below this reduced chi-squared.
pub const QUALITY_GOOD_BELOW: f64 = 1.5;
/// `quality_flag` is `marginal` below this reduced chi-squared (and `poor` from it on).
pub const QUALITY_MARGINAL_BELOW: f64 = 3.0;
/// The `reduced_chi_squared` check fails above this value.
pub const REDUCED_CHI_SQUARED_THRESHOLD: f64 = 10.0;
/// The `chi2_quality` check passes up to this reduced chi-squared (the package grades a
/// fit good up to 2 and acceptable up to 5; both pass).
pub const CHI2_ACCEPTABLE_THRESHOLD: f64 = 5.0;
/// The `parameter_significance` check: `|value| / uncertainty` below this is insignificant.
pub const MIN_PARAMETER_SIGNIFICANCE: f64 = 2.0;
/// The `condition_number` check fails above this covariance condition number.
pub const MAX_CONDITION_NUMBER: f64 = 1e12;

/// Values converted to bytes at a time when streaming an array into the `.npz`.
const NPZ_WRITE_BLOCK: usize = 1 << 16;

/// What [`write_nlsq_outputs`] writes from.
#[derive(Debug, Clone, Copy)]
pub struct NlsqOutputs<'a> {
    /// The model that was fitted (angles, time grid, wavevector, parameter layout).
    pub model: &'a HomodyneModel,
    /// The matrices that were fitted, on the model's time grid.
    pub data: &'a CorrelationData,
    /// The fit.
    pub result: &'a OptimizationResult,
    /// Wall-clock seconds of the whole analysis, as the package reports `execution_time`.
    pub execution_time: f64,
    /// The measurement uncertainty of the c2 values: chi-squared is `sum r^2 / sigma^2`
    /// when given (one value, or each angle's estimate), the unweighted `sum r^2` when
    /// `None` (see the module documentation).
    pub sigma: Option<Sigma<'a>>,
    /// The elements that were fitted: chi-squared and the degrees of freedom count these
    /// alone, so that they are the fit's own.
    pub points: PointSelection,
    /// The coarse stages that ran before the fit ([`crate::XpcsFit::stages`]; empty when
    /// none did).
    pub coarse_stages: &'a [CoarseStage],
    /// How `per_angle_mode: auto` chose the scaling ([`crate::fit_choosing_scaling`]):
    /// written as `optimization_summary.scaling_choice`; `None` when the layout was given.
    pub scaling_choice: Option<&'a ScalingChoice>,
}

/// The measurement uncertainty a fit was weighted by ([`NlsqOutputs::sigma`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sigma<'a> {
    /// One value for every element, as given.
    Given(f64),
    /// One value per angle, estimated from the data (`sigma: auto`,
    /// [`crate::noise::estimate_noise`]).
    Estimated(&'a NoiseEstimate),
}

impl Sigma<'_> {
    /// The sigma of angle `k`.
    pub fn of_angle(&self, k: usize) -> f64 {
        match self {
            Self::Given(sigma) => *sigma,
            Self::Estimated(estimate) => estimate.sigma.get(k).copied().unwrap_or(f64::NAN),
        }
    }
}

/// Writes `parameters.json`, `analysis_results_nlsq.json`, `convergence_metrics.json`,
/// `fitted_data.npz` and `fitted_data.h5` into `<output_dir>/nlsq/` (created when
/// missing; existing files of those names are replaced), and returns their paths in the
/// order written: the `.npz`, the `.h5`, then the three JSON files.
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
    check(outputs)?;
    let dir = output_dir.join(NLSQ_DIR);
    std::fs::create_dir_all(&dir).map_err(|source| XpcsError::Io {
        path: dir.clone(),
        action: "create".to_owned(),
        source,
    })?;
    let timestamp = timestamp();

    let npz_path = dir.join(FITTED_DATA_NPZ);
    let h5_path = dir.join(FITTED_DATA_H5);
    let mut npz = NpzSink::create(&npz_path)?;
    let mut h5 = match H5Sink::create(&h5_path) {
        Ok(h5) => h5,
        Err(e) => {
            npz.abandon();
            return Err(e);
        }
    };
    let arrays = write_arrays(outputs, &mut npz, &mut h5);
    let finished = arrays.and_then(|chi| {
        npz.finish()?;
        h5.finish()?;
        Ok(chi)
    });
    let chi_squared = match finished {
        Ok(value) => value,
        Err(e) => {
            npz.abandon();
            h5.abandon();
            return Err(e);
        }
    };

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
    let mut written = vec![npz_path, h5_path];
    for (name, document) in documents {
        let path = dir.join(name);
        std::fs::write(&path, document.pretty()).map_err(|source| XpcsError::Io {
            path: path.clone(),
            action: "write".to_owned(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The inputs agree with each other.
fn check(outputs: &NlsqOutputs) -> Result<(), XpcsError> {
    let model = outputs.model;
    let data = outputs.data;
    model.layout().check(&outputs.result.parameters)?;
    // Uncertainties, flags and covariance of one entry per parameter.
    diagnose(model.layout(), outputs.result, None)?;
    let n_phi = model.phi().len();
    let n_t = model.grid().len();
    if data.phi.len() != n_phi {
        return Err(XpcsError::setting(
            "fitted data",
            format!("the data hold {} angles, the model {n_phi}", data.phi.len()),
        ));
    }
    if data.n_t != n_t {
        return Err(XpcsError::setting(
            "fitted data",
            format!(
                "the data hold {} frames per side, the model's grid {n_t}",
                data.n_t
            ),
        ));
    }
    if data.c2.len() != model.n_points() {
        return Err(XpcsError::setting(
            "fitted data",
            format!(
                "{n_phi} angles of {n_t} x {n_t} frames need {} values, the data hold {}",
                model.n_points(),
                data.c2.len()
            ),
        ));
    }
    if let Some(Sigma::Estimated(estimate)) = outputs.sigma
        && estimate.sigma.len() != n_phi
    {
        return Err(XpcsError::setting(
            "sigma",
            format!(
                "{} estimated sigmas for {n_phi} angles",
                estimate.sigma.len()
            ),
        ));
    }
    if let Some(sigma) = outputs.sigma {
        for k in 0..n_phi {
            let value = sigma.of_angle(k);
            if !(value.is_finite() && value > 0.0) {
                return Err(XpcsError::setting(
                    "sigma",
                    format!("the uncertainty of c2 must be positive and finite, got {value}"),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------------------

/// Computes every array, hands each to both files in the package's key order, and returns
/// the sum of squared residuals of the solver's model.
fn write_arrays(
    outputs: &NlsqOutputs,
    npz: &mut NpzSink,
    h5: &mut H5Sink,
) -> Result<f64, XpcsError> {
    let npz_path = npz.path.clone();
    let model = outputs.model;
    let layout = model.layout();
    let parameters = &outputs.result.parameters;
    let exp = &outputs.data.c2;
    let n_phi = model.phi().len();
    let n_t = model.grid().len();
    let size = n_t * n_t;
    let cube = [n_phi, n_t, n_t];
    // Each array goes to both files at once: compressing is most of the time. (The HDF5
    // file cannot move between threads; the archive can.)
    let mut put = |key: &str, shape: &[usize], values: &[f64]| -> Result<(), XpcsError> {
        let (h5_outcome, npz_outcome) = std::thread::scope(|scope| {
            let archive = &mut *npz;
            let spawned = std::thread::Builder::new()
                .spawn_scoped(scope, move || archive.put(key, shape, values));
            let h5_outcome = h5.put(key, shape, values);
            let npz_outcome = spawned.ok().map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(XpcsError::Write {
                        path: npz_path.clone(),
                        item: key.to_owned(),
                        message: "the writing thread panicked".to_owned(),
                    })
                })
            });
            (h5_outcome, npz_outcome)
        });
        // No thread to be had: the archive is written here, after the HDF5 file.
        let npz_outcome = npz_outcome.unwrap_or_else(|| npz.put(key, shape, values));
        npz_outcome.and(h5_outcome)
    };

    put("phi_angles", &[n_phi], model.phi())?;
    put("c2_exp", &cube, exp)?;

    // The raw theory: every contrast and offset 1 (for a Fourier series, the coefficients
    // of the constant 1).
    let ones = vec![1.0; n_phi];
    let (unit_contrasts, unit_offsets) = layout.scaling_from_per_angle(&ones, &ones, model.phi());
    let raw_parameters =
        layout.assemble(&unit_contrasts, &unit_offsets, layout.physical(parameters))?;
    let mut buffer = model.values(&raw_parameters);
    put("c2_theoretical_raw", &cube, &buffer)?;

    // Post-hoc per-angle least squares of the data on [raw, 1], applied in place.
    let mut scaling = Vec::with_capacity(2 * n_phi);
    for k in 0..n_phi {
        let range = k * size..(k + 1) * size;
        let (a, b) = least_squares_scaling(&buffer[range.clone()], &exp[range.clone()]);
        for value in &mut buffer[range] {
            *value = a * *value + b;
        }
        scaling.extend([a, b]);
    }
    put("c2_theoretical_scaled", &cube, &buffer)?;
    put("per_angle_scaling", &[n_phi, 2], &scaling)?;
    let (solver_contrasts, solver_offsets) = layout.per_angle_scaling(parameters, model.phi());
    let solver_scaling: Vec<f64> = solver_contrasts
        .iter()
        .zip(&solver_offsets)
        .flat_map(|(&c, &o)| [c, o])
        .collect();
    put("per_angle_scaling_solver", &[n_phi, 2], &solver_scaling)?;

    for (value, &y) in buffer.iter_mut().zip(exp) {
        *value = y - *value;
    }
    put("residuals", &cube, &buffer)?;
    for (value, &y) in buffer.iter_mut().zip(exp) {
        *value = if y != 0.0 {
            *value / (NORMALIZED_RESIDUAL_FRACTION * y)
        } else {
            0.0
        };
    }
    put("residuals_normalized", &cube, &buffer)?;
    drop(buffer);

    let times = model.grid().times();
    put("t1", &[n_t], times)?;
    put("t2", &[n_t], times)?;
    put("q", &[1], &[model.q()])?;

    let solver = model.values(parameters);
    put("c2_solver_scaled", &cube, &solver)?;
    // Over the fitted elements, summed angle by angle, row by row: partial sums keep the
    // rounding small. Each angle's squares are divided by its sigma^2 when one is given.
    let selection = outputs.points;
    let weight = |row: usize| {
        outputs
            .sigma
            .map_or(1.0, |sigma| sigma.of_angle(row / n_t.max(1)).powi(-2))
    };
    let chi_squared = exp
        .chunks(n_t.max(1))
        .zip(solver.chunks(n_t.max(1)))
        .enumerate()
        .map(|(row, (y, f))| {
            let i = row % n_t.max(1);
            y.iter()
                .zip(f)
                .enumerate()
                .filter(|&(j, _)| selection.includes(i, j))
                .map(|(_, (y, f))| (y - f) * (y - f))
                .sum::<f64>()
                * weight(row)
        })
        .sum();
    Ok(chi_squared)
}

/// `(a, b)` minimising `sum (a raw + b - y)^2`, as NumPy's `lstsq` of `y` on `[raw, 1]`:
/// when `raw` is constant to rounding (a rank-one matrix) the minimum-norm solution.
fn least_squares_scaling(raw: &[f64], y: &[f64]) -> (f64, f64) {
    let n = raw.len() as f64;
    if raw.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean_raw = raw.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut norm2) = (0.0, 0.0, 0.0);
    for (&r, &v) in raw.iter().zip(y) {
        let dr = r - mean_raw;
        sxy += dr * (v - mean_y);
        sxx += dr * dr;
        norm2 += r * r;
    }
    // NumPy drops singular values below eps * max(rows, cols) * sigma_max; the smallest
    // singular value of [raw, 1] is about the spread of raw about its mean.
    let rank_one = sxx.sqrt() <= f64::EPSILON * n.max(2.0) * (norm2 + n).sqrt();
    if rank_one {
        let d = mean_raw * mean_raw + 1.0;
        (mean_y * mean_raw / d, mean_y / d)
    } else {
        let a = sxy / sxx;
        (a, mean_y - a * mean_raw)
    }
}

/// A name beside `path` for writing before the rename.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_owned());
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

fn io_error(path: &Path, action: &str, source: std::io::Error) -> XpcsError {
    XpcsError::Io {
        path: path.to_path_buf(),
        action: action.to_owned(),
        source,
    }
}

fn zip_error(path: &Path, e: zip::result::ZipError) -> XpcsError {
    match e {
        zip::result::ZipError::Io(io) => io_error(path, "write", io),
        other => io_error(path, "write", std::io::Error::other(other)),
    }
}

/// `fitted_data.npz`: one deflated `.npy` member per array, streamed.
struct NpzSink {
    path: PathBuf,
    temporary: PathBuf,
    writer: Option<zip::ZipWriter<File>>,
}

impl NpzSink {
    fn create(path: &Path) -> Result<Self, XpcsError> {
        let temporary = temporary_path(path);
        let file = File::create(&temporary).map_err(|e| io_error(path, "create", e))?;
        Ok(Self {
            path: path.to_path_buf(),
            temporary,
            writer: Some(zip::ZipWriter::new(file)),
        })
    }

    fn finish(&mut self) -> Result<(), XpcsError> {
        let Some(writer) = self.writer.take() else {
            return Err(io_error(
                &self.path,
                "write",
                std::io::Error::other("the archive was already closed"),
            ));
        };
        let file = writer.finish().map_err(|e| zip_error(&self.path, e))?;
        file.sync_all()
            .map_err(|e| io_error(&self.path, "write", e))?;
        drop(file);
        std::fs::rename(&self.temporary, &self.path).map_err(|e| io_error(&self.path, "write", e))
    }

    /// Removes the temporary file (after a failure).
    fn abandon(&mut self) {
        self.writer = None;
        let _ = std::fs::remove_file(&self.temporary);
    }
}

impl NpzSink {
    /// Stores `values` (C order) as the member `key.npy` with `shape`.
    fn put(&mut self, key: &str, shape: &[usize], values: &[f64]) -> Result<(), XpcsError> {
        // The header alone: encode_f64 of no values is the header for `shape`.
        let header = npy::encode_f64(shape, &[]).map_err(|message| XpcsError::Write {
            path: self.path.clone(),
            item: key.to_owned(),
            message,
        })?;
        let bytes = header.len() as u64 + 8 * values.len() as u64;
        // Stored, not deflated: noisy c2 matrices do not compress (deflate made the members
        // 1-6% larger, at most of the writing time). NumPy reads either.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes >= u64::from(u32::MAX));
        let path = &self.path;
        let Some(writer) = self.writer.as_mut() else {
            return Err(io_error(
                path,
                "write",
                std::io::Error::other("the archive was already closed"),
            ));
        };
        writer
            .start_file(format!("{key}.npy"), options)
            .map_err(|e| zip_error(path, e))?;
        writer
            .write_all(&header)
            .map_err(|e| io_error(path, "write", e))?;
        let mut block = Vec::with_capacity(8 * NPZ_WRITE_BLOCK.min(values.len()));
        for chunk in values.chunks(NPZ_WRITE_BLOCK) {
            block.clear();
            for v in chunk {
                block.extend_from_slice(&v.to_le_bytes());
            }
            writer
                .write_all(&block)
                .map_err(|e| io_error(path, "write", e))?;
        }
        Ok(())
    }
}

/// `fitted_data.h5`: one dataset per array at the root.
struct H5Sink {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<H5File>,
}

impl H5Sink {
    fn create(path: &Path) -> Result<Self, XpcsError> {
        let temporary = temporary_path(path);
        let file = H5File::create(&temporary).map_err(|e| Self::error(path, "", e))?;
        Ok(Self {
            path: path.to_path_buf(),
            temporary,
            file: Some(file),
        })
    }

    fn error(path: &Path, item: &str, e: Hdf5Error) -> XpcsError {
        match e {
            Hdf5Error::Io(io) => io_error(path, "write", io),
            other => XpcsError::Write {
                path: path.to_path_buf(),
                item: item.to_owned(),
                message: other.to_string(),
            },
        }
    }

    fn finish(&mut self) -> Result<(), XpcsError> {
        let Some(file) = self.file.take() else {
            return Err(io_error(
                &self.path,
                "write",
                std::io::Error::other("the HDF5 file was already closed"),
            ));
        };
        // rust-hdf5's close flushes and syncs the file.
        file.close().map_err(|e| Self::error(&self.path, "", e))?;
        std::fs::rename(&self.temporary, &self.path).map_err(|e| io_error(&self.path, "write", e))
    }

    /// Removes the temporary file (after a failure).
    fn abandon(&mut self) {
        self.file = None;
        let _ = std::fs::remove_file(&self.temporary);
    }
}

impl H5Sink {
    /// Stores `values` (C order) as the root dataset `key` with `shape`.
    fn put(&mut self, key: &str, shape: &[usize], values: &[f64]) -> Result<(), XpcsError> {
        let Some(file) = self.file.as_ref() else {
            return Err(io_error(
                &self.path,
                "write",
                std::io::Error::other("the HDF5 file was already closed"),
            ));
        };
        let mut builder = file.new_dataset::<f64>().shape(shape);
        // Matrices: chunks of whole rows of one angle, about 1 MiB each.
        if let [_, rows, columns] = *shape
            && rows > 0
            && columns > 0
        {
            let chunk_rows = ((1 << 17) / columns).clamp(1, rows);
            builder = builder.chunk(&[1, chunk_rows, columns]);
        }
        let dataset = builder
            .create(key)
            .map_err(|e| Self::error(&self.path, key, e))?;
        if !values.is_empty() {
            dataset
                .write_raw(values)
                .map_err(|e| Self::error(&self.path, key, e))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Statistics and quality checks
// ---------------------------------------------------------------------------------------

/// The numbers the JSON files report.
struct Statistics {
    chi_squared: f64,
    /// NaN when there are no degrees of freedom.
    reduced_chi_squared: f64,
    degrees_of_freedom: i128,
    quality_flag: &'static str,
    definition: &'static str,
    /// The identifiability diagnostics, with this chi-squared and the elements fitted.
    diagnostics: Diagnostics,
}

impl Statistics {
    /// `chi_squared`: the fitted elements' squared residuals, each divided by its
    /// angle's sigma^2 when a sigma is given ([`write_arrays`]).
    fn new(outputs: &NlsqOutputs, chi_squared: f64) -> Result<Self, XpcsError> {
        let definition = match outputs.sigma {
            Some(Sigma::Given(_)) => "sum((c2_exp - c2_solver_scaled)^2) / sigma^2",
            Some(Sigma::Estimated(_)) => {
                "sum over angles of sum((c2_exp - c2_solver_scaled)^2) / sigma_phi^2, \
                 sigma_phi each angle's noise estimated from the data (sigma: auto: \
                 1.4826 MAD of second differences along each lag / sqrt(6))"
            }
            None => "sum((c2_exp - c2_solver_scaled)^2), unweighted (no sigma given)",
        };
        let n_t = outputs.data.n_t;
        let fitted_per_angle = (0..n_t)
            .map(|i| (0..n_t).filter(|&j| outputs.points.includes(i, j)).count())
            .sum::<usize>();
        let n_fitted = outputs.data.phi.len() * fitted_per_angle;
        let degrees_of_freedom = n_fitted as i128 - n_varied(outputs.result) as i128;
        let reduced_chi_squared = if degrees_of_freedom > 0 {
            chi_squared / degrees_of_freedom as f64
        } else {
            f64::NAN
        };
        let layout = outputs.model.layout();
        let diagnostics = diagnose(layout, outputs.result, Some((chi_squared, n_fitted)))?;
        let identifiable = significance(layout, outputs.result).is_empty()
            && diagnostics.warnings.iter().all(|w| {
                !matches!(
                    w,
                    Warning::AtBound { .. }
                        | Warning::Undetermined { .. }
                        | Warning::Degenerate { .. }
                )
            });
        let converged = outputs.result.convergence_status == ConvergenceStatus::Converged;
        Ok(Self {
            chi_squared,
            reduced_chi_squared,
            degrees_of_freedom,
            quality_flag: graded_quality_flag(
                quality_flag(reduced_chi_squared),
                converged,
                identifiable,
            ),
            definition,
            diagnostics,
        })
    }
}

/// The `quality_flag` written: the reduced chi-squared's `grade` ([`quality_flag`]), `poor`
/// when the fit did not converge, and at most `marginal` when it is not `identifiable`
/// (a varied parameter on a bound, below the significance threshold or undetermined, or a
/// pair correlated beyond |r| > 0.99).
fn graded_quality_flag(grade: &'static str, converged: bool, identifiable: bool) -> &'static str {
    match (converged, identifiable, grade) {
        (false, _, _) => "poor",
        (true, false, "good") => "marginal",
        (true, _, grade) => grade,
    }
}

/// `good` below 1.5, `marginal` below 3, otherwise (NaN included) `poor`, as the package.
fn quality_flag(reduced_chi_squared: f64) -> &'static str {
    if reduced_chi_squared < QUALITY_GOOD_BELOW {
        "good"
    } else if reduced_chi_squared < QUALITY_MARGINAL_BELOW {
        "marginal"
    } else {
        "poor"
    }
}

/// The package's word for the convergence status.
fn status_name(status: ConvergenceStatus) -> &'static str {
    match status {
        ConvergenceStatus::Converged => "converged",
        ConvergenceStatus::MaxEvaluationsReached => "max_iter",
        ConvergenceStatus::Stalled => "stalled",
    }
}

/// The flag of parameter `index`, when the result has flags.
fn flag(result: &OptimizationResult, index: usize) -> Option<ParameterFlag> {
    if result.parameter_flags.len() == result.parameters.len() {
        result.parameter_flags.get(index).copied()
    } else {
        None
    }
}

/// `"fixed"` or `"undetermined"` for a parameter so flagged, else `None`.
fn marker(result: &OptimizationResult, index: usize) -> Option<&'static str> {
    match flag(result, index)? {
        ParameterFlag::Fixed => Some("fixed"),
        ParameterFlag::Undetermined => Some("undetermined"),
        _ => None,
    }
}

/// Number of parameters the fit varied (those not held fixed).
fn n_varied(result: &OptimizationResult) -> usize {
    result.parameters.len() - result.fixed().len()
}

/// The uncertainty of parameter `index`, NaN (written `null`) when the result has none for
/// it, and for a parameter held fixed or undetermined by the data.
fn uncertainty(result: &OptimizationResult, index: usize) -> f64 {
    if marker(result, index).is_some() {
        f64::NAN
    } else if result.uncertainties.len() == result.parameters.len() {
        result.uncertainties.get(index).copied().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// Mean of the non-NaN values; NaN when there is none.
fn nan_mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, count) = values
        .into_iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// The package's `quality_validation_passed`, `quality_warnings` and `quality_checks`.
struct QualityReport {
    passed: bool,
    warnings: Vec<String>,
    checks: Vec<(&'static str, bool)>,
}

fn quality_report(outputs: &NlsqOutputs, stats: &Statistics) -> QualityReport {
    let result = outputs.result;
    let mut report = QualityReport {
        passed: true,
        warnings: Vec::new(),
        checks: Vec::new(),
    };

    // Reduced chi-squared against its threshold (NaN fails, as NaN <= x is false).
    let reduced = stats.reduced_chi_squared;
    let within = reduced <= REDUCED_CHI_SQUARED_THRESHOLD;
    report.checks.push(("reduced_chi_squared", within));
    if !within {
        let shown = if reduced.is_nan() {
            "undefined: no degrees of freedom".to_owned()
        } else {
            format!("{reduced:.4e}")
        };
        let note = if outputs.sigma.is_none() {
            " No sigma was given, so chi-squared is unweighted and not physically \
             meaningful; assess the fit by its residuals."
        } else {
            " Consider reviewing fit quality."
        };
        report.warnings.push(format!(
            "Reduced chi-squared ({shown}) exceeds threshold ({REDUCED_CHI_SQUARED_THRESHOLD}).{note}"
        ));
        report.passed = false;
    }
    report
        .checks
        .push(("chi2_quality", reduced <= CHI2_ACCEPTABLE_THRESHOLD));

    // Parameter significance |p| / u over the parameters with a finite positive uncertainty
    // (a warning only: the package does not fail the validation on it), by name.
    let layout = outputs.model.layout();
    let measured = (result.uncertainties.iter().enumerate())
        .any(|(k, u)| u.is_finite() && *u > 0.0 && marker(result, k).is_none());
    if measured {
        let insignificant = significance(layout, result);
        report
            .checks
            .push(("parameter_significance", insignificant.is_empty()));
        report.warnings.extend(significance_warning(&insignificant));
    }

    // Pairs the data do not tell apart (a warning only, as significance).
    let degenerate = stats.diagnostics.warnings_of("degenerate");
    report
        .checks
        .push(("parameter_correlations", degenerate.is_empty()));
    for warning in degenerate {
        report
            .warnings
            .push(format!("{warning}. What to try: {}.", warning.advice()));
    }

    // Covariance condition number.
    let covariance = &result.covariance;
    let n_params = covariance.matrix.nrows();
    let finite_matrix = covariance.matrix.iter().all(|v| v.is_finite());
    let varied = n_varied(result);
    if n_params > 0 && varied > 0 && finite_matrix {
        if covariance.rank < varied {
            report.checks.push(("condition_number", false));
            report.warnings.push(format!(
                "Covariance matrix is rank-deficient (rank {} of {varied} fitted parameters): \
                 some parameter combinations are not determined by the data.",
                covariance.rank
            ));
            report.passed = false;
        } else {
            let cond = covariance_condition_number(outputs);
            if cond.is_finite() {
                let ok = cond <= MAX_CONDITION_NUMBER;
                report.checks.push(("condition_number", ok));
                if !ok {
                    report.warnings.push(format!(
                        "Covariance matrix condition number ({cond:.2e}) exceeds threshold \
                         ({MAX_CONDITION_NUMBER:.2e}). Parameters may be highly correlated or \
                         poorly determined."
                    ));
                    report.passed = false;
                }
            }
        }
    }

    // Physical parameters on a bound.
    let layout_names = layout.names();
    if result.parameter_flags.len() == result.parameters.len() {
        let names = layout.names();
        let at_bounds: Vec<String> = result
            .parameter_flags
            .iter()
            .enumerate()
            .skip(layout.physical_start())
            .filter_map(|(i, flag)| {
                let status = match flag {
                    ParameterFlag::AtLowerBound => "at_lower_bound",
                    ParameterFlag::AtUpperBound => "at_upper_bound",
                    ParameterFlag::Free
                    | ParameterFlag::AtStart
                    | ParameterFlag::Fixed
                    | ParameterFlag::Undetermined => return None,
                };
                let name = names.get(i).map_or("?", String::as_str);
                Some(format!("{name} ({status})"))
            })
            .collect();
        report
            .checks
            .push(("physical_bounds", at_bounds.is_empty()));
        if !at_bounds.is_empty() {
            report.warnings.push(format!(
                "Physical parameters at bounds: {}. Consider expanding bounds or reviewing \
                 initial parameters.",
                at_bounds.join(", ")
            ));
            report.passed = false;
        }
    }

    // Parameters the data do not determine.
    let undetermined: Vec<&str> = (result.undetermined().into_iter())
        .map(|i| layout_names.get(i).map_or("?", String::as_str))
        .collect();
    report
        .checks
        .push(("parameters_determined", undetermined.is_empty()));
    if !undetermined.is_empty() {
        report.warnings.push(format!(
            "The data do not determine {}: their uncertainties are infinite. Hold them \
             fixed (parameter_space.bounds: fixed) or give data that constrain them.",
            undetermined.join(", ")
        ));
        report.passed = false;
    }

    // Convergence.
    let converged = result.convergence_status == ConvergenceStatus::Converged;
    report.checks.push(("convergence_status", converged));
    if !converged {
        report.warnings.push(format!(
            "Optimization did not converge successfully (status: {}).",
            status_name(result.convergence_status)
        ));
        report.passed = false;
    }
    report
}

/// `cond(C) = cond(J)^2` for a full-rank Jacobian; NaN when unknown.
fn covariance_condition_number(outputs: &NlsqOutputs) -> f64 {
    let covariance = &outputs.result.covariance;
    let n = n_varied(outputs.result);
    if n == 0 || covariance.rank < n || !covariance.matrix.iter().all(|v| v.is_finite()) {
        return f64::NAN;
    }
    let c = covariance.condition_number;
    if c.is_finite() { c * c } else { f64::NAN }
}

// ---------------------------------------------------------------------------------------
// The JSON documents
// ---------------------------------------------------------------------------------------

fn float_list(values: impl IntoIterator<Item = f64>) -> Json {
    Json::Array(values.into_iter().map(Json::Float).collect())
}

/// `{value, uncertainty}`, with `flag` added for a parameter held fixed or undetermined.
fn value_and_uncertainty(value: f64, uncertainty: f64, flag: Option<&str>) -> Json {
    let mut fields = vec![
        ("value".to_owned(), Json::Float(value)),
        ("uncertainty".to_owned(), Json::Float(uncertainty)),
    ];
    if let Some(flag) = flag {
        fields.push(("flag".to_owned(), Json::str(flag)));
    }
    Json::Object(fields)
}

/// The flag of the mean of per-angle values: `undetermined` when any is, `fixed` when all
/// are.
fn summary_marker(markers: &[Option<&'static str>]) -> Option<&'static str> {
    if markers.contains(&Some("undetermined")) {
        Some("undetermined")
    } else if !markers.is_empty() && markers.iter().all(|m| *m == Some("fixed")) {
        Some("fixed")
    } else {
        None
    }
}

fn sigma_json(outputs: &NlsqOutputs) -> Json {
    match outputs.sigma {
        None => Json::Null,
        Some(Sigma::Given(sigma)) => Json::Float(sigma),
        Some(Sigma::Estimated(estimate)) => {
            Json::Array(estimate.sigma.iter().copied().map(Json::Float).collect())
        }
    }
}

/// One kind (contrast or offset) of every angle's scaling: values, uncertainties (NaN
/// where flagged) and flags.
struct PerAngleKind {
    values: Vec<f64>,
    uncertainties: Vec<f64>,
    markers: Vec<Option<&'static str>>,
}

/// The per-angle contrasts (`first = 0`) or offsets (`first = n_scaling_groups`) of the
/// fit. With individual or constant scaling each angle's value is one parameter's; with a
/// Fourier series it is `B_k a` over the coefficients `a` ([`crate::scaling`]), with the
/// uncertainty `sqrt(B_k C_a B_k^T)` (`C_a` the coefficients' covariance block: the
/// diagonal of `B C_a B^T`), `undetermined` when any coefficient it depends on is, and
/// `fixed` when all of them are.
fn per_angle_kind(outputs: &NlsqOutputs, first: usize) -> PerAngleKind {
    let model = outputs.model;
    let layout = model.layout();
    let result = outputs.result;
    let p = &result.parameters;
    let n_phi = model.phi().len();
    if !matches!(layout.scaling, ScalingMode::Fourier { .. }) {
        let index = |k: usize| {
            if first == 0 {
                layout.contrast_index(k)
            } else {
                layout.offset_index(k)
            }
        };
        return PerAngleKind {
            values: (0..n_phi).map(|k| p[index(k)]).collect(),
            uncertainties: (0..n_phi).map(|k| uncertainty(result, index(k))).collect(),
            markers: (0..n_phi).map(|k| marker(result, index(k))).collect(),
        };
    }
    let groups = layout.n_scaling_groups();
    let map = layout.scaling_map(model.phi());
    let (contrasts, offsets) = layout.per_angle_scaling(p, model.phi());
    let values = if first == 0 { contrasts } else { offsets };
    let covariance = &result.covariance.matrix;
    let has_covariance = covariance.nrows() == p.len() && covariance.ncols() == p.len();
    let mut uncertainties = Vec::with_capacity(n_phi);
    let mut markers = Vec::with_capacity(n_phi);
    for k in 0..n_phi {
        let row = &map[k * groups..(k + 1) * groups];
        let used: Vec<usize> = (0..groups).filter(|&j| row[j] != 0.0).collect();
        let flags: Vec<_> = used.iter().map(|&j| marker(result, first + j)).collect();
        let m = summary_marker(&flags);
        let u = if m.is_some() || !has_covariance {
            f64::NAN
        } else {
            let mut variance = 0.0;
            for &a in &used {
                for &b in &used {
                    variance += row[a] * row[b] * covariance[[first + a, first + b]];
                }
            }
            variance.max(0.0).sqrt()
        };
        uncertainties.push(u);
        markers.push(m);
    }
    PerAngleKind {
        values,
        uncertainties,
        markers,
    }
}

fn parameters_json(outputs: &NlsqOutputs, stats: &Statistics, timestamp: &Json) -> Json {
    let model = outputs.model;
    let layout = model.layout();
    let result = outputs.result;
    let p = &result.parameters;
    let PerAngleKind {
        values: contrast,
        uncertainties: contrast_u,
        markers: contrast_m,
    } = per_angle_kind(outputs, 0);
    let PerAngleKind {
        values: offset,
        uncertainties: offset_u,
        markers: offset_m,
    } = per_angle_kind(outputs, layout.n_scaling_groups());
    // Over the angles whose value was fitted; none (null) when one is undetermined.
    let rms = |u: &[f64], m: Option<&str>| match m {
        Some(_) => f64::NAN,
        None => nan_mean(u.iter().map(|v| v * v)).sqrt(),
    };
    let summary = |values: &[f64], u: &[f64], markers: &[Option<&'static str>]| {
        let m = summary_marker(markers);
        value_and_uncertainty(nan_mean(values.iter().copied()), rms(u, m), m)
    };

    let mut parameters = vec![
        (
            "contrast".to_owned(),
            summary(&contrast, &contrast_u, &contrast_m),
        ),
        ("offset".to_owned(), summary(&offset, &offset_u, &offset_m)),
    ];
    let start = layout.physical_start();
    for (i, name) in layout.mode.physical_names().iter().enumerate() {
        parameters.push((
            (*name).to_owned(),
            value_and_uncertainty(
                p[start + i],
                uncertainty(result, start + i),
                marker(result, start + i),
            ),
        ));
    }
    let scaling_mode = layout.scaling.name();
    let mut per_angle = vec![
        ("phi".to_owned(), float_list(model.phi().iter().copied())),
        ("contrast".to_owned(), float_list(contrast)),
        ("contrast_uncertainty".to_owned(), float_list(contrast_u)),
        ("offset".to_owned(), float_list(offset)),
        ("offset_uncertainty".to_owned(), float_list(offset_u)),
        ("scaling_mode".to_owned(), Json::str(scaling_mode)),
    ];
    if contrast_m.iter().chain(&offset_m).any(Option::is_some) {
        let flags = |markers: Vec<Option<&str>>| {
            Json::Array(
                (markers.into_iter())
                    .map(|m| Json::str(m.unwrap_or("free")))
                    .collect(),
            )
        };
        per_angle.push(("contrast_flag".to_owned(), flags(contrast_m)));
        per_angle.push(("offset_flag".to_owned(), flags(offset_m)));
    }
    if let ScalingMode::Fourier { order } = layout.scaling {
        let coefficients = (layout.names().into_iter())
            .take(layout.physical_start())
            .enumerate()
            .map(|(k, name)| {
                (
                    name,
                    value_and_uncertainty(p[k], uncertainty(result, k), marker(result, k)),
                )
            })
            .collect();
        per_angle.push(("fourier_order".to_owned(), Json::count(order)));
        per_angle.push(("coefficients".to_owned(), Json::Object(coefficients)));
    }
    Json::object([
        ("timestamp", timestamp.clone()),
        ("analysis_mode", Json::str(layout.mode.name())),
        ("chi_squared", Json::Float(stats.chi_squared)),
        (
            "reduced_chi_squared",
            Json::Float(stats.reduced_chi_squared),
        ),
        (
            "convergence_status",
            Json::str(status_name(result.convergence_status)),
        ),
        ("parameters", Json::Object(parameters)),
        ("per_angle", Json::Object(per_angle)),
        ("sigma", sigma_json(outputs)),
        ("chi_squared_definition", Json::str(stats.definition)),
    ])
}

fn analysis_json(outputs: &NlsqOutputs, stats: &Statistics, timestamp: &Json) -> Json {
    let model = outputs.model;
    let result = outputs.result;
    let n_t = model.grid().len();
    Json::object([
        ("method", Json::str("nlsq")),
        ("timestamp", timestamp.clone()),
        ("analysis_mode", Json::str(model.layout().mode.name())),
        (
            "fit_quality",
            Json::object([
                ("chi_squared", Json::Float(stats.chi_squared)),
                (
                    "reduced_chi_squared",
                    Json::Float(stats.reduced_chi_squared),
                ),
                ("degrees_of_freedom", Json::Int(stats.degrees_of_freedom)),
                ("quality_flag", Json::str(stats.quality_flag)),
                ("sigma", sigma_json(outputs)),
                ("chi_squared_definition", Json::str(stats.definition)),
            ]),
        ),
        (
            "dataset_info",
            Json::object([
                ("n_angles", Json::count(model.phi().len())),
                ("n_time_points", Json::count(n_t * n_t)),
                ("total_data_points", Json::count(outputs.data.c2.len())),
                ("q_value", Json::Float(model.q())),
                ("n_frames", Json::count(n_t)),
                ("dt", Json::Float(model.grid().dt())),
            ]),
        ),
        (
            "optimization_summary",
            Json::object([
                (
                    "convergence_status",
                    Json::str(status_name(result.convergence_status)),
                ),
                ("iterations", Json::count(result.iterations)),
                ("execution_time", Json::Float(outputs.execution_time)),
                ("nfev", Json::count(result.nfev)),
                ("njev", Json::count(result.njev)),
                (
                    "termination_reason",
                    Json::Str(result.termination_reason.to_string()),
                ),
                ("method", Json::Str(result.method.to_string())),
                ("strategy", Json::Str(result.strategy.to_string())),
                (
                    "coarse_stages",
                    Json::Array(outputs.coarse_stages.iter().map(stage_json).collect()),
                ),
                (
                    "scaling_choice",
                    outputs.scaling_choice.map_or(Json::Null, choice_json),
                ),
            ]),
        ),
        ("diagnostics", diagnostics_json(&stats.diagnostics)),
    ])
}

/// The `diagnostics` object (see the module documentation), keys in a fixed order.
fn diagnostics_json(diagnostics: &Diagnostics) -> Json {
    let matrix = diagnostics
        .correlation
        .matrix
        .rows()
        .into_iter()
        .map(|row| float_list(row.iter().copied()))
        .collect();
    let names = |names: Vec<&str>| Json::Array(names.into_iter().map(Json::str).collect());
    let warnings = (diagnostics.warnings.iter())
        .map(|w| {
            Json::object([
                ("kind", Json::str(w.kind())),
                ("parameters", names(w.parameters())),
                ("message", Json::Str(w.to_string())),
                ("advice", Json::Str(w.advice())),
            ])
        })
        .collect();
    let correlation_names = diagnostics
        .correlation
        .names
        .iter()
        .map(String::as_str)
        .collect();
    Json::object([
        ("aic", Json::Float(diagnostics.aic)),
        ("bic", Json::Float(diagnostics.bic)),
        ("n_points", Json::count(diagnostics.n_points)),
        ("n_varying", Json::count(diagnostics.n_varying)),
        (
            "correlation",
            Json::object([
                ("names", names(correlation_names)),
                ("matrix", Json::Array(matrix)),
            ]),
        ),
        ("warnings", Json::Array(warnings)),
    ])
}

/// `optimization_summary.scaling_choice`: every candidate layout with its statistics, the
/// one kept and why.
fn choice_json(choice: &ScalingChoice) -> Json {
    let candidates = choice
        .candidates
        .iter()
        .map(|c| {
            Json::object([
                ("scaling", Json::str(c.scaling.name())),
                ("n_varying", Json::count(c.n_varying)),
                ("n_points", Json::count(c.n_points)),
                ("chi_squared", Json::Float(c.chi_squared)),
                ("reduced_chi_squared", Json::Float(c.reduced_chi_squared)),
                ("aic", Json::Float(c.aic)),
                ("bic", Json::Float(c.bic)),
                ("iterations", Json::count(c.iterations)),
                ("converged", Json::Bool(c.converged)),
                ("seconds", Json::Float(c.seconds)),
            ])
        })
        .collect();
    Json::object([
        ("chosen", Json::str(choice.kept().scaling.name())),
        ("criterion", Json::str("bic")),
        ("reason", Json::Str(choice.reason())),
        ("candidates", Json::Array(candidates)),
    ])
}

/// One coarse stage in `optimization_summary.coarse_stages`.
fn stage_json(stage: &CoarseStage) -> Json {
    let (status, iterations, nfev, error) = match &stage.result {
        Ok(r) => (
            status_name(r.convergence_status),
            Json::count(r.iterations),
            Json::count(r.nfev),
            None,
        ),
        Err(e) => ("failed", Json::Null, Json::Null, Some(e.clone())),
    };
    let mut fields = vec![
        ("stride".to_owned(), Json::count(stage.stride)),
        ("n_points".to_owned(), Json::count(stage.n_points)),
        ("convergence_status".to_owned(), Json::str(status)),
        ("iterations".to_owned(), iterations),
        ("nfev".to_owned(), nfev),
        ("used".to_owned(), Json::Bool(stage.used)),
        ("seconds".to_owned(), Json::Float(stage.seconds)),
    ];
    if let Some(error) = error {
        fields.push(("error".to_owned(), Json::Str(error)));
    }
    Json::Object(fields)
}

fn convergence_json(outputs: &NlsqOutputs, stats: &Statistics) -> Json {
    let result = outputs.result;
    let reduced = stats.reduced_chi_squared;
    let report = quality_report(outputs, stats);
    let recovery: Vec<Json> = result
        .recovery_actions
        .iter()
        .map(|a| {
            Json::Str(format!(
                "{} (attempt {}, after: {})",
                a.action, a.attempt, a.trigger
            ))
        })
        .collect();
    let covariance = &result.covariance;
    let mut document = vec![
        (
            "convergence".to_owned(),
            Json::object([
                ("status", Json::str(status_name(result.convergence_status))),
                ("iterations", Json::count(result.iterations)),
                ("execution_time", Json::Float(outputs.execution_time)),
                ("final_chi_squared", Json::Float(stats.chi_squared)),
                (
                    "chi_squared_reduction",
                    Json::Float(if reduced < 1.0 { 1.0 - reduced } else { 0.0 }),
                ),
                ("nfev", Json::count(result.nfev)),
                ("njev", Json::count(result.njev)),
                (
                    "termination_reason",
                    Json::Str(result.termination_reason.to_string()),
                ),
            ]),
        ),
        ("recovery_actions".to_owned(), Json::Array(recovery)),
        ("quality_flag".to_owned(), Json::str(stats.quality_flag)),
        (
            "device_info".to_owned(),
            Json::object([
                ("platform", Json::Str(result.device_info.kind.clone())),
                (
                    "device",
                    Json::Str(format!("{}:0", result.device_info.kind)),
                ),
                ("device_kind", Json::Str(result.device_info.kind.clone())),
                ("n_devices", Json::Int(1)),
                ("adapter", Json::str("homodyne")),
                ("fallback_occurred", Json::Bool(false)),
                ("fallback_reason", Json::Null),
                ("threads", Json::count(result.device_info.threads)),
                ("strategy", Json::Str(result.strategy.to_string())),
                (
                    "strategy_notes",
                    Json::Array(
                        result
                            .strategy_notes
                            .iter()
                            .map(|s| Json::Str(s.clone()))
                            .collect(),
                    ),
                ),
            ]),
        ),
        (
            "quality_validation_passed".to_owned(),
            Json::Bool(report.passed),
        ),
        (
            "quality_warnings".to_owned(),
            Json::Array(report.warnings.into_iter().map(Json::Str).collect()),
        ),
        (
            "quality_checks".to_owned(),
            Json::Object(
                report
                    .checks
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), Json::Bool(v)))
                    .collect(),
            ),
        ),
        (
            "covariance".to_owned(),
            Json::object([
                ("rank", Json::count(covariance.rank)),
                ("n_parameters", Json::count(covariance.matrix.nrows())),
                (
                    "jacobian_condition_number",
                    Json::Float(covariance.condition_number),
                ),
                (
                    "condition_number",
                    Json::Float(covariance_condition_number(outputs)),
                ),
            ]),
        ),
    ];
    if let Some(diagnostics) = &result.streaming_diagnostics {
        let value = serde_json::to_value(diagnostics).map_or(Json::Null, |v| Json::from_value(&v));
        document.push(("streaming_diagnostics".to_owned(), value));
    }
    Json::Object(document)
}

/// The local time now, ISO 8601 with microseconds and the UTC offset; `null` when the
/// system clock is outside what can be represented.
fn timestamp() -> Json {
    let Ok(now) = jiff::Timestamp::try_from(std::time::SystemTime::now()) else {
        return Json::Null;
    };
    let zoned = now.to_zoned(jiff::tz::TimeZone::system());
    let civil = zoned.datetime();
    let offset = zoned.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs();
    Json::Str(format!(
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

// ---------------------------------------------------------------------------------------
// A JSON value with ordered keys, printed as Python's json.dump(indent=2)
// ---------------------------------------------------------------------------------------

/// A JSON value whose objects keep their keys in insertion order (the package's order).
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Int(i128),
    /// Written as `null` when not finite.
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn object<const N: usize>(pairs: [(&str, Json); N]) -> Self {
        Self::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn str(text: &str) -> Self {
        Self::Str(text.to_owned())
    }

    fn count(n: usize) -> Self {
        Self::Int(n as i128)
    }

    fn from_value(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Self::Int(i.into())
                } else if let Some(u) = n.as_u64() {
                    Self::Int(u.into())
                } else {
                    n.as_f64().map_or(Self::Null, Self::Float)
                }
            }
            serde_json::Value::String(s) => Self::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Self::Array(items.iter().map(Self::from_value).collect())
            }
            serde_json::Value::Object(map) => Self::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Self::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// The text, indented by two spaces a level as Python's `json.dump(indent=2)`.
    fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Int(i) => out.push_str(&i.to_string()),
            // Debug is the shortest text that reads back to the same f64, and is a valid
            // JSON number (`0.1`, `1.0`, `1e-5`, `1.5e300`).
            Self::Float(v) if v.is_finite() => out.push_str(&format!("{v:?}")),
            Self::Float(_) => out.push_str("null"),
            Self::Str(s) => write_string(out, s),
            Self::Array(items) if items.is_empty() => out.push_str("[]"),
            Self::Array(items) => {
                out.push('[');
                for (k, item) in items.iter().enumerate() {
                    out.push_str(if k == 0 { "\n" } else { ",\n" });
                    push_indent(out, indent + 2);
                    item.write(out, indent + 2);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push(']');
            }
            Self::Object(pairs) if pairs.is_empty() => out.push_str("{}"),
            Self::Object(pairs) => {
                out.push('{');
                for (k, (key, value)) in pairs.iter().enumerate() {
                    out.push_str(if k == 0 { "\n" } else { ",\n" });
                    push_indent(out, indent + 2);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 2);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push('}');
            }
        }
    }
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A JSON string literal, with non-ASCII characters escaped as Python's default
/// `ensure_ascii` does.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_printed_as_python_prints_it() {
        let doc = Json::object([
            ("a", Json::Float(1.0)),
            ("b", Json::Float(f64::NAN)),
            ("c", Json::Array(vec![])),
            ("d", Json::Object(vec![])),
            (
                "e",
                Json::Array(vec![
                    Json::Int(-3),
                    Json::Float(1e-5),
                    Json::str("x\"\u{e9}"),
                ]),
            ),
            (
                "f",
                Json::object([("g", Json::Bool(true)), ("h", Json::Null)]),
            ),
        ]);
        let expected = "{\n  \"a\": 1.0,\n  \"b\": null,\n  \"c\": [],\n  \"d\": {},\n  \"e\": [\n    -3,\n    1e-5,\n    \"x\\\"\\u00e9\"\n  ],\n  \"f\": {\n    \"g\": true,\n    \"h\": null\n  }\n}\n";
        assert_eq!(doc.pretty(), expected);
        let parsed: serde_json::Value = serde_json::from_str(&doc.pretty()).unwrap();
        assert_eq!(parsed["e"][2], "x\"\u{e9}");
        assert_eq!(parsed["e"][1], 1e-5);
        // Astral characters become surrogate pairs.
        let mut s = String::new();
        write_string(&mut s, "\u{1F600}");
        assert_eq!(s, "\"\\ud83d\\ude00\"");
    }

    #[test]
    fn least_squares_matches_the_closed_form_and_the_rank_one_case() {
        let raw: Vec<f64> = (0..50).map(|i| 1.0 + (-(i as f64) / 10.0).exp()).collect();
        let y: Vec<f64> = raw.iter().map(|r| 0.3 * r + 0.7).collect();
        let (a, b) = least_squares_scaling(&raw, &y);
        assert!(
            (a - 0.3).abs() < 1e-12 && (b - 0.7).abs() < 1e-12,
            "{a} {b}"
        );
        // Constant raw: NumPy's minimum-norm solution mean_y * (c, 1) / (c^2 + 1).
        let (a, b) = least_squares_scaling(&[2.0; 10], &[1.0, 3.0].repeat(5));
        assert!(
            (a - 0.8).abs() < 1e-15 && (b - 0.4).abs() < 1e-15,
            "{a} {b}"
        );
        let (a, b) = least_squares_scaling(&[], &[]);
        assert!(a.is_nan() && b.is_nan());
    }

    #[test]
    fn quality_flag_thresholds() {
        assert_eq!(quality_flag(1.49), "good");
        assert_eq!(quality_flag(1.5), "marginal");
        assert_eq!(quality_flag(2.99), "marginal");
        assert_eq!(quality_flag(3.0), "poor");
        assert_eq!(quality_flag(f64::NAN), "poor");
        assert_eq!(graded_quality_flag("good", true, true), "good");
        assert_eq!(graded_quality_flag("good", true, false), "marginal");
        assert_eq!(graded_quality_flag("marginal", true, false), "marginal");
        assert_eq!(graded_quality_flag("poor", true, false), "poor");
        assert_eq!(graded_quality_flag("good", false, true), "poor");
    }
}

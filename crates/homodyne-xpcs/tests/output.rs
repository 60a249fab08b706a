//! The NLSQ output files (`write_nlsq_outputs`): the package's file names, JSON keys and
//! nesting, array keys and shapes, the values recomputed independently, the HDF5 copy,
//! typed errors, and NumPy, h5py and Python's json reading the files (an ignored test: it
//! needs a Python with numpy and h5py, `target/pyvenv` or `$HOMODYNE_PYTHON`; `.ci/run`
//! runs it with `--include-ignored`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use homodyne::diagnostics::correlation_text;
use homodyne_core::{ConvergenceStatus, Model, NoObserver, OptimizationResult, ParameterFlag};
use homodyne_xpcs::loader::{npy, read_npz};
use homodyne_xpcs::output::{
    ANALYSIS_RESULTS_FILE, CONVERGENCE_METRICS_FILE, FITTED_DATA_H5, FITTED_DATA_NPZ,
    PARAMETERS_FILE, Sigma,
};
use homodyne_xpcs::{
    AnalysisMode, CoarseStage, CorrelationData, HomodyneModel, NlsqOutputs, PointSelection,
    ScalingMode, XpcsError, XpcsFitOptions, fit, write_nlsq_outputs,
};
use serde_json::Value;

mod common;

use common::published_model;

const PHI: [f64; 3] = [-30.0, 0.0, 45.0];
const N_T: usize = 12;
const NOISE: f64 = 0.004;
const TRUTH: [f64; 7] = [15_000.0, -0.6, 50.0, 2e-3, 0.3, 1e-4, 4.0];

/// A fitted laminar-flow case: 3 angles x 12 frames of synthetic data.
struct Case {
    model: HomodyneModel,
    data: CorrelationData,
    result: OptimizationResult,
}

impl Case {
    /// The fit of `model` to `data` from `options`.
    fn fitted(model: HomodyneModel, data: CorrelationData, options: &XpcsFitOptions) -> Case {
        let result = fit(&model, &data, options, &NoObserver).unwrap().result;
        Case {
            model,
            data,
            result,
        }
    }
}

fn case(scaling: ScalingMode) -> Case {
    let model = published_model(AnalysisMode::LaminarFlow, scaling, &PHI, N_T);
    let layout = *model.layout();
    let groups = layout.n_scaling_groups();
    let contrasts: Vec<f64> = (0..groups).map(|k| 0.25 + 0.02 * k as f64).collect();
    let offsets: Vec<f64> = (0..groups).map(|k| 1.0 + 0.003 * k as f64).collect();
    let truth = layout.assemble(&contrasts, &offsets, &TRUTH).unwrap();
    let data = CorrelationData::synthetic(&model, &truth, NOISE, 7).unwrap();
    let options = XpcsFitOptions {
        physical_start: Some(TRUTH.iter().map(|v| v * 1.1).collect()),
        ..XpcsFitOptions::default()
    };
    Case::fitted(model, data, &options)
}

fn outputs(case: &Case, sigma: Option<f64>) -> NlsqOutputs<'_> {
    NlsqOutputs {
        model: &case.model,
        data: &case.data,
        result: &case.result,
        execution_time: 1.25,
        sigma: sigma.map(Sigma::Given),
        points: PointSelection::All,
        coarse_stages: &[],
        scaling_choice: None,
        multistart: None,
        hdf5: true,
    }
}

fn read_json(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, value)
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// `expected` are the package's keys, in its order: all present, in that order in the
/// text (the file may add keys after them).
fn assert_package_keys(what: &str, text: &str, value: &Value, expected: &[&str], extra: &[&str]) {
    let have = keys(value);
    let want: BTreeSet<String> = expected
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
    assert_eq!(have, want, "{what}: keys");
    // Order: each key's first occurrence as `"key":` comes after the previous one's.
    let mut last = 0;
    for key in expected {
        let at = text[last..]
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{what}: {key} is missing or out of the package's order"));
        last += at;
    }
}

fn model_values(model: &HomodyneModel, p: &[f64]) -> Vec<f64> {
    let x: Vec<f64> = (0..model.n_points()).map(|i| i as f64).collect();
    let mut values = vec![0.0; x.len()];
    model.eval(&x, p, &mut values);
    values
}

fn npz_arrays(path: &Path) -> Vec<(String, npy::Array)> {
    read_npz(path).unwrap()
}

fn numbers(array: &npy::Array) -> &[f64] {
    match &array.values {
        npy::Values::Numbers(v) => v,
        npy::Values::Strings(_) => panic!("strings where numbers were expected"),
    }
}

fn assert_close(what: &str, actual: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths");
    for (k, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * (1.0 + e.abs()),
            "{what}[{k}]: {a} != {e}"
        );
    }
}

const NPZ_KEYS: [&str; 12] = [
    "phi_angles",
    "c2_exp",
    "c2_theoretical_raw",
    "c2_theoretical_scaled",
    "per_angle_scaling",
    "per_angle_scaling_solver",
    "residuals",
    "residuals_normalized",
    "t1",
    "t2",
    "q",
    "c2_solver_scaled",
];

#[test]
fn files_keys_shapes_and_values() {
    let case = case(ScalingMode::Individual);
    let dir = tempfile::tempdir().unwrap();
    let written = write_nlsq_outputs(dir.path(), &outputs(&case, None)).unwrap();
    let nlsq = dir.path().join("nlsq");
    let expected: Vec<PathBuf> = [
        FITTED_DATA_NPZ,
        FITTED_DATA_H5,
        PARAMETERS_FILE,
        ANALYSIS_RESULTS_FILE,
        CONVERGENCE_METRICS_FILE,
    ]
    .iter()
    .map(|name| nlsq.join(name))
    .collect();
    assert_eq!(written, expected);
    let names: BTreeSet<String> = std::fs::read_dir(&nlsq)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "no temporary file is left: {names:?}");

    let model = &case.model;
    let result = &case.result;
    let p = &result.parameters;
    let exp = &case.data.c2;
    let n_points = exp.len();
    let n_params = p.len();
    let solver = model_values(model, p);
    let chi2: f64 = exp
        .iter()
        .zip(&solver)
        .map(|(y, f)| (y - f) * (y - f))
        .sum();
    let reduced = chi2 / (n_points - n_params) as f64;
    assert!(
        (reduced / (NOISE * NOISE) - 1.0).abs() < 0.25,
        "the fit is good: {reduced}"
    );

    // parameters.json
    let (text, params) = read_json(&nlsq.join(PARAMETERS_FILE));
    assert_package_keys(
        "parameters.json",
        &text,
        &params,
        &[
            "timestamp",
            "analysis_mode",
            "chi_squared",
            "reduced_chi_squared",
            "convergence_status",
            "parameters",
        ],
        &["per_angle", "sigma", "chi_squared_definition"],
    );
    assert_eq!(params["analysis_mode"], "laminar_flow");
    assert_eq!(params["convergence_status"], "converged");
    assert!((params["chi_squared"].as_f64().unwrap() / chi2 - 1.0).abs() < 1e-12);
    assert!((params["reduced_chi_squared"].as_f64().unwrap() / reduced - 1.0).abs() < 1e-12);
    assert_eq!(params["sigma"], Value::Null);
    let timestamp = params["timestamp"].as_str().unwrap();
    assert_eq!(
        timestamp.len(),
        "2026-11-29T20:13:52.055234+01:00".len(),
        "{timestamp}"
    );
    assert_eq!(&timestamp[10..11], "T");
    // The scaling's parameters, then the physical ones in the model's order, which
    // python_reference.rs checks against the package reference's names.
    let names: Vec<&str> = (["contrast", "offset"].into_iter())
        .chain(AnalysisMode::LaminarFlow.physical_names().iter().copied())
        .collect();
    assert_package_keys("parameters", &text, &params["parameters"], &names, &[]);
    let u = &result.uncertainties;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    let contrast = &params["parameters"]["contrast"];
    assert!((contrast["value"].as_f64().unwrap() - mean(&p[0..3])).abs() < 1e-15);
    assert!((contrast["uncertainty"].as_f64().unwrap() - rms(&u[0..3])).abs() < 1e-15);
    let offset = &params["parameters"]["offset"];
    assert!((offset["value"].as_f64().unwrap() - mean(&p[3..6])).abs() < 1e-15);
    assert!((offset["uncertainty"].as_f64().unwrap() - rms(&u[3..6])).abs() < 1e-15);
    assert_eq!(
        params["parameters"]["phi0"]["value"].as_f64().unwrap(),
        p[12]
    );
    assert_eq!(
        params["parameters"]["D0"]["uncertainty"].as_f64().unwrap(),
        u[6]
    );
    let per_angle = &params["per_angle"];
    let list = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    assert_eq!(list(&per_angle["phi"]), PHI);
    assert_eq!(list(&per_angle["contrast"]), p[0..3]);
    assert_eq!(list(&per_angle["offset"]), p[3..6]);
    assert_eq!(list(&per_angle["contrast_uncertainty"]), u[0..3]);
    assert_eq!(list(&per_angle["offset_uncertainty"]), u[3..6]);
    assert_eq!(per_angle["scaling_mode"], "individual");

    // analysis_results_nlsq.json
    let (text, analysis) = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    assert_package_keys(
        "analysis_results_nlsq.json",
        &text,
        &analysis,
        &[
            "method",
            "timestamp",
            "analysis_mode",
            "fit_quality",
            "dataset_info",
            "optimization_summary",
        ],
        &["diagnostics"],
    );
    assert_eq!(analysis["method"], "nlsq");
    assert_eq!(analysis["timestamp"], params["timestamp"]);
    let quality = &analysis["fit_quality"];
    assert_package_keys(
        "fit_quality",
        &text,
        quality,
        &[
            "chi_squared",
            "reduced_chi_squared",
            "degrees_of_freedom",
            "quality_flag",
        ],
        &["sigma", "chi_squared_definition"],
    );
    assert_eq!(quality["degrees_of_freedom"], (n_points - n_params) as u64);
    // 12 frames do not separate gamma_dot_t0 from gamma_dot_t_offset: a good reduced
    // chi-squared, but not a "good" fit (see diagnostics_name_* for the whole rule).
    let diagnosed = &analysis["diagnostics"];
    assert!(
        diagnosed["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "degenerate"),
        "{diagnosed}"
    );
    assert_eq!(quality["quality_flag"], "marginal");
    let info = &analysis["dataset_info"];
    assert_package_keys(
        "dataset_info",
        &text,
        info,
        &["n_angles", "n_time_points", "total_data_points", "q_value"],
        &["n_frames", "dt"],
    );
    assert_eq!(info["n_angles"], 3);
    assert_eq!(info["n_time_points"], (N_T * N_T) as u64);
    assert_eq!(info["total_data_points"], n_points as u64);
    assert_eq!(info["q_value"], 0.0054);
    let summary = &analysis["optimization_summary"];
    assert_package_keys(
        "optimization_summary",
        &text,
        summary,
        &["convergence_status", "iterations", "execution_time"],
        &[
            "nfev",
            "njev",
            "termination_reason",
            "method",
            "strategy",
            "coarse_stages",
            "scaling_choice",
            "multistart",
        ],
    );
    // The layout was given, not chosen by evidence, and the fit ran from one start.
    assert_eq!(summary["scaling_choice"], serde_json::Value::Null);
    assert_eq!(summary["multistart"], serde_json::Value::Null);
    assert_eq!(summary["iterations"], result.iterations as u64);
    assert!(result.iterations > 0, "the real iteration count");
    assert_eq!(summary["execution_time"], 1.25);

    // convergence_metrics.json
    let (text, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    assert_package_keys(
        "convergence_metrics.json",
        &text,
        &metrics,
        &[
            "convergence",
            "recovery_actions",
            "quality_flag",
            "device_info",
            "quality_validation_passed",
            "quality_warnings",
            "quality_checks",
        ],
        &["covariance"],
    );
    assert_eq!(metrics["quality_flag"], quality["quality_flag"]);
    let convergence = &metrics["convergence"];
    assert_package_keys(
        "convergence",
        &text,
        convergence,
        &[
            "status",
            "iterations",
            "execution_time",
            "final_chi_squared",
            "chi_squared_reduction",
        ],
        &["nfev", "njev", "termination_reason"],
    );
    let reduction = convergence["chi_squared_reduction"].as_f64().unwrap();
    assert!((reduction - (1.0 - reduced)).abs() < 1e-12);
    assert_eq!(metrics["recovery_actions"], Value::Array(vec![]));
    assert_package_keys(
        "device_info",
        &text,
        &metrics["device_info"],
        &[
            "platform",
            "device",
            "device_kind",
            "n_devices",
            "adapter",
            "fallback_occurred",
            "fallback_reason",
        ],
        &["threads", "strategy", "strategy_notes"],
    );
    assert_eq!(metrics["device_info"]["platform"], "cpu");
    assert_eq!(metrics["device_info"]["fallback_reason"], Value::Null);
    let checks = keys(&metrics["quality_checks"]);
    for check in ["reduced_chi_squared", "chi2_quality", "convergence_status"] {
        assert!(checks.contains(check), "{check} in {checks:?}");
        assert_eq!(metrics["quality_checks"][check], true, "{check}");
    }
    let allowed: BTreeSet<String> = [
        "reduced_chi_squared",
        "chi2_quality",
        "parameter_significance",
        "condition_number",
        "physical_bounds",
        "parameters_determined",
        "parameter_correlations",
        "convergence_status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(checks.is_subset(&allowed), "{checks:?}");
    let warnings = metrics["quality_warnings"].as_array().unwrap();
    let failed_hard = [
        "reduced_chi_squared",
        "condition_number",
        "physical_bounds",
        "convergence_status",
    ]
    .iter()
    .any(|c| metrics["quality_checks"][*c] == false);
    assert_eq!(metrics["quality_validation_passed"], !failed_hard);
    assert!(warnings.iter().all(|w| w.is_string()));

    // fitted_data.npz
    let arrays = npz_arrays(&nlsq.join(FITTED_DATA_NPZ));
    let order: Vec<&str> = arrays.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(order, NPZ_KEYS);
    let get = |key: &str| -> &npy::Array { &arrays.iter().find(|(k, _)| k == key).unwrap().1 };
    let cube = vec![3, N_T, N_T];
    let shapes: BTreeMap<&str, Vec<usize>> = [
        ("phi_angles", vec![3]),
        ("c2_exp", cube.clone()),
        ("c2_theoretical_raw", cube.clone()),
        ("c2_theoretical_scaled", cube.clone()),
        ("per_angle_scaling", vec![3, 2]),
        ("per_angle_scaling_solver", vec![3, 2]),
        ("residuals", cube.clone()),
        ("residuals_normalized", cube.clone()),
        ("t1", vec![N_T]),
        ("t2", vec![N_T]),
        ("q", vec![1]),
        ("c2_solver_scaled", cube.clone()),
    ]
    .into_iter()
    .collect();
    for (key, array) in &arrays {
        assert_eq!(array.shape, shapes[key.as_str()], "{key}");
        assert_eq!(array.descr, "<f8", "{key}");
    }
    assert_eq!(numbers(get("phi_angles")), PHI);
    assert_eq!(numbers(get("c2_exp")), exp.as_slice());
    assert_eq!(numbers(get("c2_solver_scaled")), solver.as_slice());
    assert_eq!(numbers(get("q")), [0.0054]);
    let times: Vec<f64> = (0..N_T).map(|k| k as f64 * 0.1).collect();
    assert_eq!(numbers(get("t1")), times.as_slice());
    assert_eq!(numbers(get("t2")), times.as_slice());
    let mut ones = vec![1.0; 6];
    ones.extend_from_slice(&p[6..]);
    let raw = model_values(model, &ones);
    assert_eq!(numbers(get("c2_theoretical_raw")), raw.as_slice());
    let solver_scaling: Vec<f64> = (0..3).flat_map(|k| [p[k], p[3 + k]]).collect();
    assert_eq!(
        numbers(get("per_angle_scaling_solver")),
        solver_scaling.as_slice()
    );
    // The post-hoc scaling solves the normal equations of exp on [raw, 1] per angle.
    let scaling = numbers(get("per_angle_scaling"));
    let scaled = numbers(get("c2_theoretical_scaled"));
    let residuals = numbers(get("residuals"));
    let normalized = numbers(get("residuals_normalized"));
    let size = N_T * N_T;
    for k in 0..3 {
        let (a, b) = (scaling[2 * k], scaling[2 * k + 1]);
        let range = k * size..(k + 1) * size;
        let (mut g_a, mut g_b) = (0.0, 0.0);
        for i in range {
            assert!((scaled[i] - (a * raw[i] + b)).abs() < 1e-14);
            let r = exp[i] - scaled[i];
            assert!((residuals[i] - r).abs() < 1e-15);
            assert!((normalized[i] - r / (0.05 * exp[i])).abs() < 1e-12);
            g_a += r * raw[i];
            g_b += r;
        }
        assert!(
            g_a.abs() < 1e-10 && g_b.abs() < 1e-10,
            "angle {k}: {g_a} {g_b}"
        );
        // raw = 1 + g, so a is close to the fitted contrast and a + b to the fitted offset.
        assert!((a - p[k]).abs() < 0.02 && (a + b - p[3 + k]).abs() < 0.02);
    }

    // fitted_data.h5: the same arrays.
    let file = rust_hdf5::H5File::open(nlsq.join(FITTED_DATA_H5)).unwrap();
    for (key, array) in &arrays {
        let dataset = file.dataset(key).unwrap();
        assert_eq!(dataset.shape(), array.shape, "{key}");
        let values: Vec<f64> = dataset.read_raw().unwrap();
        assert_eq!(values, numbers(array), "{key}");
    }

    // A second write replaces the files.
    let again = write_nlsq_outputs(dir.path(), &outputs(&case, Some(0.004))).unwrap();
    assert_eq!(again, expected);
    let (_, params) = read_json(&nlsq.join(PARAMETERS_FILE));
    let weighted = params["chi_squared"].as_f64().unwrap();
    assert!((weighted / (chi2 / (0.004 * 0.004)) - 1.0).abs() < 1e-12);
    assert_eq!(params["sigma"], 0.004);
    let reduced = params["reduced_chi_squared"].as_f64().unwrap();
    assert!((reduced - 1.0).abs() < 0.25, "sigma = the noise: {reduced}");
}

/// The coarse stages before the fit are listed in the summary, a failed one with its
/// error; without stages the list is empty.
#[test]
fn coarse_stages_are_listed_in_the_summary() {
    let case = case(ScalingMode::Individual);
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &outputs(&case, None)).unwrap();
    let (_, analysis) = read_json(&dir.path().join("nlsq/analysis_results_nlsq.json"));
    assert_eq!(
        analysis["optimization_summary"]["coarse_stages"],
        Value::Array(Vec::new())
    );
    let stages = [
        CoarseStage {
            stride: 16,
            n_points: 120,
            start: case.result.parameters.clone(),
            result: Err("the data hold no point".to_owned()),
            used: false,
            seconds: 0.001,
        },
        CoarseStage {
            stride: 4,
            n_points: 450,
            start: case.result.parameters.clone(),
            result: Ok(case.result.clone()),
            used: true,
            seconds: 0.25,
        },
    ];
    let staged = NlsqOutputs {
        coarse_stages: &stages,
        scaling_choice: None,
        multistart: None,
        hdf5: true,
        ..outputs(&case, None)
    };
    write_nlsq_outputs(dir.path(), &staged).unwrap();
    let (_, analysis) = read_json(&dir.path().join("nlsq/analysis_results_nlsq.json"));
    let listed = &analysis["optimization_summary"]["coarse_stages"];
    assert_eq!(listed[0]["stride"], 16);
    assert_eq!(listed[0]["convergence_status"], "failed");
    assert_eq!(listed[0]["error"], "the data hold no point");
    assert_eq!(listed[0]["iterations"], Value::Null);
    assert_eq!(listed[0]["used"], false);
    assert_eq!(listed[1]["n_points"], 450);
    assert_eq!(listed[1]["convergence_status"], "converged");
    assert_eq!(listed[1]["iterations"], case.result.iterations as u64);
    assert_eq!(listed[1]["nfev"], case.result.nfev as u64);
    assert_eq!(listed[1]["used"], true);
    assert_eq!(listed[1]["seconds"], 0.25);
    assert!(listed[1].get("error").is_none());
}

/// Chi-squared and the degrees of freedom count the fitted elements alone.
#[test]
fn statistics_count_the_fitted_elements() {
    let case = case(ScalingMode::Individual);
    let dir = tempfile::tempdir().unwrap();
    let upper = NlsqOutputs {
        points: PointSelection::UpperTriangle,
        ..outputs(&case, None)
    };
    write_nlsq_outputs(dir.path(), &upper).unwrap();
    let (_, analysis) = read_json(&dir.path().join("nlsq/analysis_results_nlsq.json"));
    let (n_phi, n_t) = (case.data.phi.len(), case.data.n_t);
    let fitted = n_phi * n_t * (n_t - 1) / 2;
    let quality = &analysis["fit_quality"];
    assert_eq!(
        quality["degrees_of_freedom"],
        (fitted - case.result.parameters.len()) as u64
    );
    let model = model_values(&case.model, &case.result.parameters);
    let mut expected = 0.0;
    for (index, (y, f)) in case.data.c2.iter().zip(&model).enumerate() {
        let within = index % (n_t * n_t);
        if within / n_t < within % n_t {
            expected += (y - f) * (y - f);
        }
    }
    let chi2 = quality["chi_squared"].as_f64().unwrap();
    assert!(
        (chi2 - expected).abs() <= 1e-12 * expected,
        "{chi2} vs {expected}"
    );
}

#[test]
fn constant_scaling_repeats_the_shared_values() {
    let case = case(ScalingMode::Constant);
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &outputs(&case, None)).unwrap();
    let nlsq = dir.path().join("nlsq");
    let p = &case.result.parameters;
    let (_, params) = read_json(&nlsq.join(PARAMETERS_FILE));
    assert!((params["parameters"]["contrast"]["value"].as_f64().unwrap() - p[0]).abs() < 1e-15);
    assert!((params["parameters"]["offset"]["value"].as_f64().unwrap() - p[1]).abs() < 1e-15);
    let u0 = params["parameters"]["contrast"]["uncertainty"]
        .as_f64()
        .unwrap();
    assert!((u0 - case.result.uncertainties[0]).abs() < 1e-15 * (1.0 + u0));
    assert_eq!(params["per_angle"]["scaling_mode"], "constant");
    assert_eq!(
        params["per_angle"]["contrast"],
        serde_json::json!([p[0], p[0], p[0]])
    );
    let arrays = npz_arrays(&nlsq.join(FITTED_DATA_NPZ));
    let solver = &arrays
        .iter()
        .find(|(k, _)| k == "per_angle_scaling_solver")
        .unwrap()
        .1;
    assert_eq!(numbers(solver), [p[0], p[1], p[0], p[1], p[0], p[1]]);
}

#[test]
fn non_finite_values_are_null_and_failures_are_reported() {
    let mut case = case(ScalingMode::Individual);
    case.result.uncertainties[0] = f64::NAN;
    case.result.uncertainties[6] = f64::INFINITY;
    case.result.convergence_status = ConvergenceStatus::MaxEvaluationsReached;
    case.result.parameter_flags[6] = ParameterFlag::AtUpperBound;
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &outputs(&case, None)).unwrap();
    let nlsq = dir.path().join("nlsq");
    let (text, params) = read_json(&nlsq.join(PARAMETERS_FILE));
    assert!(!text.contains("NaN") && !text.contains("Infinity"));
    assert_eq!(params["parameters"]["D0"]["uncertainty"], Value::Null);
    assert_eq!(params["per_angle"]["contrast_uncertainty"][0], Value::Null);
    // The RMS skips the NaN, as the package's nanmean.
    let u = &case.result.uncertainties;
    let rms = ((u[1] * u[1] + u[2] * u[2]) / 2.0).sqrt();
    let got = params["parameters"]["contrast"]["uncertainty"]
        .as_f64()
        .unwrap();
    assert!((got - rms).abs() < 1e-15 * (1.0 + rms));
    assert_eq!(params["convergence_status"], "max_iter");
    let (_, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    assert_eq!(metrics["convergence"]["status"], "max_iter");
    assert_eq!(metrics["quality_checks"]["convergence_status"], false);
    assert_eq!(metrics["quality_checks"]["physical_bounds"], false);
    assert_eq!(metrics["quality_validation_passed"], false);
    let warnings: Vec<&str> = metrics["quality_warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("D0 (at_upper_bound)")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("did not converge successfully (status: max_iter)")),
        "{warnings:?}"
    );
}

#[test]
fn bad_input_and_unwritable_folders_are_typed_errors() {
    let case = case(ScalingMode::Individual);
    let dir = tempfile::tempdir().unwrap();

    // The output folder is a regular file: the nlsq folder cannot be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = write_nlsq_outputs(&file, &outputs(&case, None)).unwrap_err();
    match &err {
        XpcsError::Io { path, .. } => assert_eq!(path, &file.join("nlsq")),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("a-file"), "{err}");

    // The nlsq folder exists, but the .npz name is taken by a folder: nothing is left
    // behind under a temporary name.
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("nlsq").join(FITTED_DATA_NPZ)).unwrap();
    let err = write_nlsq_outputs(&out, &outputs(&case, None)).unwrap_err();
    match &err {
        XpcsError::Io { path, .. } => assert_eq!(path, &out.join("nlsq").join(FITTED_DATA_NPZ)),
        other => panic!("{other}"),
    }
    let left: Vec<String> = std::fs::read_dir(out.join("nlsq"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [FITTED_DATA_NPZ], "{left:?}");

    // Parameters of the wrong length.
    let mut short = case.result.clone();
    short.parameters.pop();
    let bad = NlsqOutputs {
        result: &short,
        ..outputs(&case, None)
    };
    assert!(matches!(
        write_nlsq_outputs(dir.path(), &bad),
        Err(XpcsError::ParameterCount { .. })
    ));

    // Data that do not match the model: one angle or one value short.
    let refused_data = |shorten: fn(&mut CorrelationData)| {
        let mut data = case.data.clone();
        shorten(&mut data);
        let bad = NlsqOutputs {
            data: &data,
            ..outputs(&case, None)
        };
        matches!(
            write_nlsq_outputs(dir.path(), &bad),
            Err(XpcsError::InvalidSetting { .. })
        )
    };
    assert!(refused_data(|data| {
        data.phi.pop();
    }));
    assert!(refused_data(|data| {
        data.c2.pop();
    }));

    // A sigma that is not positive.
    for sigma in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            write_nlsq_outputs(dir.path(), &outputs(&case, Some(sigma))),
            Err(XpcsError::InvalidSetting { .. })
        ));
    }
}

/// Reads the files with the package's own tools (NumPy, h5py, json) and prints a summary
/// for the Rust side to compare.
const PYTHON_CHECK: &str = r#"
import json, sys
import numpy as np, h5py
d = sys.argv[1]
npz = np.load(d + "/fitted_data.npz")
out = {"keys": list(npz.keys()), "shapes": {}, "dtypes": {}, "sums": {}, "h5_equal": {}}
with h5py.File(d + "/fitted_data.h5", "r") as h5:
    for k in npz.keys():
        a = npz[k]
        out["shapes"][k] = list(a.shape)
        out["dtypes"][k] = str(a.dtype)
        out["sums"][k] = float(np.sum(a))
        out["h5_equal"][k] = bool(h5[k].shape == a.shape and np.array_equal(h5[k][()], a))
for name in ("parameters.json", "analysis_results_nlsq.json", "convergence_metrics.json"):
    with open(d + "/" + name) as f:
        out[name] = json.load(f)
print(json.dumps(out))
"#;

/// `$HOMODYNE_PYTHON`, or else `target/pyvenv/bin/python` (`.ci/run` installs numpy and
/// h5py there); a failure saying how to make one when it cannot import them.
fn python() -> PathBuf {
    let python = std::env::var_os("HOMODYNE_PYTHON")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyvenv/bin/python")
        });
    let imports = Command::new(&python)
        .args(["-c", "import numpy, h5py"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        imports,
        "{} cannot import numpy and h5py: create target/pyvenv (python3 -m venv target/pyvenv \
         && target/pyvenv/bin/pip install numpy h5py) or set HOMODYNE_PYTHON",
        python.display()
    );
    python
}

#[test]
#[ignore = "needs a Python with numpy and h5py (target/pyvenv or HOMODYNE_PYTHON); .ci/run runs it with --include-ignored"]
fn numpy_h5py_and_json_read_the_files() {
    let python = python();
    let case = case(ScalingMode::Individual);
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &outputs(&case, None)).unwrap();
    let nlsq = dir.path().join("nlsq");
    let output = Command::new(&python)
        .arg("-c")
        .arg(PYTHON_CHECK)
        .arg(&nlsq)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let keys: Vec<&str> = report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, NPZ_KEYS);
    let arrays = npz_arrays(&nlsq.join(FITTED_DATA_NPZ));
    for (key, array) in &arrays {
        let shape: Vec<usize> = report["shapes"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(shape, array.shape, "{key}");
        assert_eq!(report["dtypes"][key], "float64", "{key}");
        assert_eq!(
            report["h5_equal"][key], true,
            "h5py reads {key} as NumPy does"
        );
        let sum: f64 = numbers(array).iter().sum();
        let theirs = report["sums"][key].as_f64().unwrap();
        assert_close(key, &[theirs], &[sum], 1e-12);
    }
    for name in [
        PARAMETERS_FILE,
        ANALYSIS_RESULTS_FILE,
        CONVERGENCE_METRICS_FILE,
    ] {
        let (_, ours) = read_json(&nlsq.join(name));
        assert_eq!(
            report[name], ours,
            "Python's json reads {name} as serde_json does"
        );
    }
}

/// Static data whose rate is `D0 t^alpha + D_offset` with `alpha` near 0: both terms
/// have the same shape. `fixed` holds parameters (one entry per parameter of the layout).
fn static_case(fixed: Vec<Option<f64>>) -> Case {
    let model = published_model(
        AnalysisMode::Static,
        ScalingMode::Individual,
        &[0.0, 60.0],
        40,
    );
    let truth = [0.3, 0.28, 1.0, 1.01, 1.8e4, 0.02, 2e3];
    let data = CorrelationData::synthetic(&model, &truth, NOISE, 11).unwrap();
    let options = XpcsFitOptions {
        physical_start: Some(vec![1.5e4, 0.0, if fixed[6].is_some() { 0.0 } else { 1e3 }]),
        fixed,
        ..XpcsFitOptions::default()
    };
    Case::fitted(model, data, &options)
}

fn strings(value: &Value) -> Vec<String> {
    (value.as_array().unwrap().iter())
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// A static fit with alpha near 0 and D_offset free: D0 and D_offset are named in a
/// degeneracy warning with the model's advice, in `diagnostics` and in
/// `quality_warnings`, and the fit is not "good" however small its chi-squared. With
/// D_offset held at 0 the pair is gone.
#[test]
fn diagnostics_name_d0_and_d_offset_when_alpha_is_near_zero() {
    let case = static_case(vec![None; 7]);
    assert!(case.result.converged(), "{}", case.result);
    let dir = tempfile::tempdir().unwrap();
    let sigma = Some(NOISE);
    write_nlsq_outputs(dir.path(), &outputs(&case, sigma)).unwrap();
    let nlsq = dir.path().join("nlsq");
    let (_, analysis) = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    let (_, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    let diagnostics = &analysis["diagnostics"];
    assert_eq!(
        keys(diagnostics),
        [
            "aic",
            "bic",
            "correlation",
            "n_points",
            "n_varying",
            "warnings"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    let reduced = analysis["fit_quality"]["reduced_chi_squared"]
        .as_f64()
        .unwrap();
    assert!(
        (reduced - 1.0).abs() < 0.1,
        "the model fits the data: {reduced}"
    );

    // The pair, with the model's advice.
    let warnings = diagnostics["warnings"].as_array().unwrap();
    let pair = warnings
        .iter()
        .find(|w| {
            w["kind"] == "degenerate" && w["parameters"] == serde_json::json!(["D0", "D_offset"])
        })
        .unwrap_or_else(|| panic!("no D0 / D_offset warning: {diagnostics}"));
    let message = pair["message"].as_str().unwrap();
    let r = diagnostics["correlation"]["matrix"][4][6].as_f64().unwrap();
    assert!(r < -0.99, "{r}");
    assert!(
        message.starts_with(&format!(
            "D0 and D_offset are correlated at {}",
            correlation_text(r)
        )),
        "{message}"
    );
    let advice = pair["advice"].as_str().unwrap();
    assert!(
        advice.contains("hold the offset fixed (`fixed: 0` on D_offset's entry"),
        "{advice}"
    );
    assert!(advice.contains("or the exponent"), "{advice}");
    let names = strings(&diagnostics["correlation"]["names"]);
    assert_eq!(
        names,
        [
            "contrast_0",
            "contrast_1",
            "offset_0",
            "offset_1",
            "D0",
            "alpha",
            "D_offset"
        ]
    );
    let matrix = &diagnostics["correlation"]["matrix"];
    assert_eq!(matrix[6][4], matrix[4][6]);
    assert_eq!(matrix[4][4], 1.0);

    // AIC and BIC from this file's chi-squared over the elements fitted.
    let chi2 = analysis["fit_quality"]["chi_squared"].as_f64().unwrap();
    let n = diagnostics["n_points"].as_u64().unwrap() as f64;
    assert_eq!(n as usize, case.data.c2.len());
    assert_eq!(diagnostics["n_varying"], 7);
    let aic = n * (chi2 / n).ln() + 2.0 * 7.0;
    let bic = n * (chi2 / n).ln() + n.ln() * 7.0;
    assert!((diagnostics["aic"].as_f64().unwrap() - aic).abs() < 1e-9 * aic.abs());
    assert!((diagnostics["bic"].as_f64().unwrap() - bic).abs() < 1e-9 * bic.abs());

    // convergence_metrics.json says it too, and the flag is not "good".
    assert_eq!(metrics["quality_checks"]["parameter_correlations"], false);
    let quality_warnings = strings(&metrics["quality_warnings"]);
    assert!(
        quality_warnings
            .iter()
            .any(|w| w.starts_with("D0 and D_offset are correlated") && w.contains("fixed: 0")),
        "{quality_warnings:?}"
    );
    // Insignificant parameters are named, never only counted.
    for w in quality_warnings
        .iter()
        .filter(|w| w.contains("significance threshold"))
    {
        assert!(w.contains("): ") && w.contains(" ("), "{w}");
    }
    assert_ne!(metrics["quality_flag"], "good");
    assert_eq!(
        metrics["quality_flag"],
        analysis["fit_quality"]["quality_flag"]
    );

    // D_offset held at 0: no D0 / D_offset pair is left to warn about.
    let mut fixed = vec![None; 7];
    fixed[6] = Some(0.0);
    let held = static_case(fixed);
    assert!(held.result.converged(), "{}", held.result);
    write_nlsq_outputs(dir.path(), &outputs(&held, sigma)).unwrap();
    let (_, analysis) = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    let diagnostics = &analysis["diagnostics"];
    assert_eq!(diagnostics["n_varying"], 6);
    assert_eq!(diagnostics["correlation"]["matrix"][6][4], Value::Null);
    assert!(
        !diagnostics["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["parameters"]
                .as_array()
                .unwrap()
                .contains(&Value::from("D_offset"))),
        "{diagnostics}"
    );
}

/// `quality_flag` is "good" for a converged fit inside its bounds, every parameter
/// significant and no degenerate pair; the insignificance of one parameter (named in
/// `quality_warnings`) makes it "marginal".
#[test]
fn quality_flag_is_good_only_for_a_determined_fit() {
    let mut fixed = vec![None; 7];
    fixed[6] = Some(0.0);
    fixed[5] = Some(0.02);
    let case = static_case(fixed);
    assert!(case.result.converged(), "{}", case.result);
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &outputs(&case, Some(NOISE))).unwrap();
    let nlsq = dir.path().join("nlsq");
    let (_, analysis) = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    let (_, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    assert_eq!(
        analysis["diagnostics"]["warnings"],
        Value::Array(vec![]),
        "{}",
        analysis["diagnostics"]
    );
    assert_eq!(metrics["quality_flag"], "good", "{metrics}");
    assert_eq!(analysis["fit_quality"]["quality_flag"], "good");

    // The same fit with D0's uncertainty made larger than half its value.
    let mut vague = case;
    vague.result.uncertainties[4] = 0.6 * vague.result.parameters[4];
    write_nlsq_outputs(dir.path(), &outputs(&vague, Some(NOISE))).unwrap();
    let (_, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    assert_eq!(metrics["quality_flag"], "marginal");
    assert_eq!(metrics["quality_checks"]["parameter_significance"], false);
    let warnings = strings(&metrics["quality_warnings"]);
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "1 parameter(s) below significance threshold (|param/uncertainty| < 2.0): D0 (1.67)"
        )),
        "{warnings:?}"
    );

    // On a bound: at most marginal; not converged: poor.
    let mut bound = vague;
    bound.result.uncertainties[4] = 0.01 * bound.result.parameters[4];
    bound.result.parameter_flags[0] = ParameterFlag::AtUpperBound;
    write_nlsq_outputs(dir.path(), &outputs(&bound, Some(NOISE))).unwrap();
    let (_, analysis) = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    let (_, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    assert_eq!(metrics["quality_flag"], "marginal");
    let at_bound = &analysis["diagnostics"]["warnings"][0];
    assert_eq!(at_bound["kind"], "at_bound");
    assert_eq!(at_bound["parameters"], serde_json::json!(["contrast_0"]));
    bound.result.convergence_status = ConvergenceStatus::Stalled;
    write_nlsq_outputs(dir.path(), &outputs(&bound, Some(NOISE))).unwrap();
    let (_, analysis) = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    let (_, metrics) = read_json(&nlsq.join(CONVERGENCE_METRICS_FILE));
    assert_eq!(metrics["quality_flag"], "poor");
    assert_eq!(analysis["diagnostics"]["warnings"][0]["kind"], "stalled");
}

//! Parameters held fixed by the configuration (`crate::fixed`): the YAML keys read and
//! checked, equal bounds, the values in layout order, and fits on synthetic data with a
//! parameter held at its true value, through to the output files.

use homodyne_core::{NoObserver, OptimizationResult, ParameterFlag};
use homodyne_xpcs::config::{XpcsConfig, config_template};
use homodyne_xpcs::fixed::Hold;
use homodyne_xpcs::output::{ANALYSIS_RESULTS_FILE, CONVERGENCE_METRICS_FILE, PARAMETERS_FILE};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, ParameterLayout, ScalingMode, XpcsError,
    XpcsFitOptions, fit, write_nlsq_outputs,
};
use serde_json::Value;

mod common;

use common::{
    LAMINAR_TRUTH, NOISE, STATIC_TRUTH, assert_within_standard_errors, model_and_truth,
    physical_truth, plain_outputs,
};

/// A configuration of `mode` with these `parameter_space.bounds` entries and
/// `initial_parameters` lines (YAML, indented by four spaces and two).
fn yaml(mode: &str, initial: &str, bounds: &str) -> String {
    format!(
        "analysis_mode: {mode}\ninitial_parameters:\n{initial}\nparameter_space:\n  bounds:\n{bounds}\n"
    )
}

/// [`yaml`] without starting values (`values: null`): only bounds entries.
fn bounds_yaml(mode: &str, bounds: &str) -> String {
    yaml(mode, "  values: null", bounds)
}

fn read(text: &str) -> XpcsConfig {
    let config = XpcsConfig::from_yaml_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
    config
}

fn layout_of(mode: AnalysisMode, scaling: ScalingMode, n_phi: usize) -> ParameterLayout {
    ParameterLayout::new(mode, scaling, n_phi)
}

/// The key and message of a configuration error.
fn config_error(text: &str) -> (String, String) {
    match XpcsConfig::from_yaml_str(text) {
        Err(XpcsError::ConfigValue { key, message }) => (key, message),
        Err(XpcsError::ConfigType { key, expected, .. }) => (key, expected),
        other => panic!("expected a configuration error, got {other:?}\n{text}"),
    }
}

#[test]
fn a_fixed_key_holds_a_parameter_at_its_value_or_its_initial_value() {
    let text = yaml(
        "static",
        "  parameter_names: [D0, alpha, D_offset]\n  values: [12000.0, -0.8, 10.0]",
        "    - {name: D0, min: 100.0, max: 100000.0}\n\
         \x20   - {name: alpha, min: -2.0, max: 2.0, fixed: true}\n\
         \x20   - {name: D_offset, min: -100.0, max: 100.0, fixed: 0.0}",
    );
    let config = read(&text);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.bounds[0].fixed, None);
    assert_eq!(config.bounds[1].fixed, Some(Hold::Start));
    assert_eq!(config.bounds[2].fixed, Some(Hold::At(0.0)));
    assert_eq!(config.bounds[2].path, "parameter_space.bounds[2]");
    let layout = layout_of(AnalysisMode::Static, ScalingMode::Individual, 2);
    assert_eq!(
        config.layout_fixed(&layout).unwrap(),
        [None, None, None, None, None, Some(-0.8), Some(0.0)]
    );

    // A number as a string (as the package's float() reads it); `true` without values:
    // the default start (D_offset 0, beta 0, D0 1e4).
    let text = yaml(
        "laminar_flow",
        "  values: null",
        "    - {name: D_offset, fixed: true}\n\
         \x20   - {name: beta, fixed: true}\n\
         \x20   - {name: gamma_dot_t_offset, fixed: \"1e-5\"}\n\
         \x20   - {name: D0, fixed: true}",
    );
    let config = read(&text);
    let layout = layout_of(AnalysisMode::LaminarFlow, ScalingMode::Constant, 5);
    let fixed = config.layout_fixed(&layout).unwrap();
    assert_eq!(
        fixed,
        [
            None,
            None,
            Some(1e4),
            None,
            Some(0.0),
            None,
            Some(0.0),
            Some(1e-5),
            None
        ]
    );
}

#[test]
fn without_a_fixed_key_nothing_is_held() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let config = read(&config_template(mode));
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        assert!(config.bounds.iter().all(|b| b.fixed.is_none()));
        for scaling in [ScalingMode::Individual, ScalingMode::Constant] {
            let layout = layout_of(mode, scaling, 3);
            assert_eq!(config.layout_fixed(&layout).unwrap(), Vec::new());
        }
        // The template says how.
        assert!(config_template(mode).contains("fixed: 0.0"));
        assert!(config_template(mode).contains("`fixed: true`"));
    }
    // `fixed: false` and `fixed: null` fit the parameter; so do the package's templates.
    let text = bounds_yaml(
        "static",
        "    - {name: D_offset, fixed: false}\n    - {name: alpha, fixed: null}",
    );
    let config = read(&text);
    assert_eq!(config.bounds[0].fixed, Some(Hold::Free));
    assert_eq!(config.bounds[1].fixed, None);
    let static_layout = layout_of(AnalysisMode::Static, ScalingMode::Individual, 3);
    assert!(config.layout_fixed(&static_layout).unwrap().is_empty());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for name in ["static", "laminar_flow", "master_template"] {
        let config =
            XpcsConfig::from_file(dir.join(format!("package_template_{name}.yaml"))).unwrap();
        let layout = layout_of(config.analysis_mode, ScalingMode::Individual, 3);
        assert!(config.layout_fixed(&layout).unwrap().is_empty(), "{name}");
    }
}

#[test]
fn equal_min_and_max_hold_the_parameter() {
    let text = bounds_yaml(
        "static",
        "    - {name: D_offset, min: 0, max: 0}\n    - {name: alpha, min: -0.6, max: -0.6}",
    );
    let config = read(&text);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let layout = layout_of(AnalysisMode::Static, ScalingMode::Constant, 4);
    assert_eq!(
        config.layout_fixed(&layout).unwrap(),
        [None, None, None, Some(-0.6), Some(0.0)]
    );
    // `fixed: false` does not free it: the solver holds equal bounds.
    let text = bounds_yaml(
        "static",
        "    - {name: D_offset, min: 7, max: 7, fixed: false}",
    );
    let fixed = read(&text).layout_fixed(&layout).unwrap();
    assert_eq!(fixed, [None, None, None, None, Some(7.0)]);
    // The bounds stay as given: the solver holds a parameter with equal bounds too.
    let (lower, upper) = config.layout_bounds(&layout);
    assert_eq!((lower[4], upper[4]), (0.0, 0.0));
}

#[test]
fn contrasts_and_offsets_are_held_for_every_angle() {
    let text = yaml(
        "static",
        "  values: null\n  per_angle_scaling:\n    contrast: [0.2, 0.3]\n    offset: [1.0, 1.1]",
        "    - {name: contrast, fixed: true}\n    - {name: offset, fixed: 1.05}",
    );
    let config = read(&text);
    let individual = layout_of(AnalysisMode::Static, ScalingMode::Individual, 2);
    assert_eq!(
        config.layout_fixed(&individual).unwrap(),
        [
            Some(0.2),
            Some(0.3),
            Some(1.05),
            Some(1.05),
            None,
            None,
            None
        ]
    );
    // One contrast for all angles: the mean, as the start takes it.
    let constant = layout_of(AnalysisMode::Static, ScalingMode::Constant, 2);
    let fixed = config.layout_fixed(&constant).unwrap();
    assert!((fixed[0].unwrap() - 0.25).abs() < 1e-15);
    assert_eq!(fixed[1], Some(1.05));
    // Two starting contrasts for three angles.
    let three = layout_of(AnalysisMode::Static, ScalingMode::Individual, 3);
    match config.layout_fixed(&three) {
        Err(XpcsError::ConfigValue { key, message }) => {
            assert_eq!(key, "initial_parameters.per_angle_scaling.contrast");
            assert!(message.contains("3"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // `true` needs a starting contrast.
    let text = bounds_yaml("static", "    - {name: contrast, fixed: true}");
    let (key, message) = config_error(&text);
    assert_eq!(key, "parameter_space.bounds[0].fixed");
    assert!(message.contains("contrast"), "{message}");
}

#[test]
fn the_packages_fixed_parameters_hold_too() {
    let text = yaml(
        "laminar_flow",
        "  values: null\n  fixed_parameters: {gamma_dot_offset: 0.0, beta: 0.0}",
        "    - {name: D0, min: 100.0, max: 100000.0}",
    );
    let config = read(&text);
    assert!(
        !config
            .accepted_unused
            .iter()
            .any(|k| k.contains("fixed_parameters")),
        "{:?}",
        config.accepted_unused
    );
    let initial = config.initial_parameters.as_ref().unwrap();
    assert_eq!(
        initial.fixed_parameters,
        [
            ("beta".to_owned(), 0.0),
            ("gamma_dot_t_offset".to_owned(), 0.0)
        ]
    );
    let fixed = config
        .layout_fixed(&layout_of(
            AnalysisMode::LaminarFlow,
            ScalingMode::Constant,
            1,
        ))
        .unwrap();
    assert_eq!(fixed[6], Some(0.0));
    assert_eq!(fixed[7], Some(0.0));
    // A bounds entry that agrees is fine; one that disagrees is refused.
    let agree = yaml(
        "static",
        "  values: null\n  fixed_parameters: {D_offset: 0.0}",
        "    - {name: D_offset, fixed: 0.0}",
    );
    assert_eq!(
        read(&agree)
            .layout_fixed(&layout_of(AnalysisMode::Static, ScalingMode::Constant, 1))
            .unwrap()[4],
        Some(0.0)
    );
    let disagree = yaml(
        "static",
        "  values: null\n  fixed_parameters: {D_offset: 0.0}",
        "    - {name: D_offset, fixed: 5.0}",
    );
    let (key, message) = config_error(&disagree);
    assert_eq!(key, "parameter_space.bounds[0].fixed");
    assert!(message.contains("fixed_parameters"), "{message}");
    let unknown = yaml(
        "static",
        "  values: null\n  fixed_parameters: {temperature: 300}",
        "    - {name: D0}",
    );
    let (key, _) = config_error(&unknown);
    assert_eq!(key, "initial_parameters.fixed_parameters.temperature");
}

#[test]
fn unusable_held_values_are_errors_naming_the_parameter_and_the_key() {
    let cases = [
        // Outside the bounds of the entry.
        (
            "  values: null",
            "    - {name: D0}\n    - {name: D_offset, min: -100.0, max: 100.0, fixed: 500.0}",
            "parameter_space.bounds[1].fixed",
            "D_offset",
        ),
        // Outside the default bounds.
        (
            "  values: null",
            "    - {name: alpha, fixed: 3.0}",
            "parameter_space.bounds[0].fixed",
            "alpha",
        ),
        // Outside the bounds a later entry sets.
        (
            "  values: null",
            "    - {name: D_offset, fixed: 50.0}\n    - {name: D_offset, max: 10.0}",
            "parameter_space.bounds[0].fixed",
            "D_offset",
        ),
        // Not finite.
        (
            "  values: null",
            "    - {name: D_offset, fixed: \"-inf\"}",
            "parameter_space.bounds[0].fixed",
            "D_offset",
        ),
        (
            "  values: null",
            "    - {name: D_offset, fixed: \"nan\"}",
            "parameter_space.bounds[0].fixed",
            "D_offset",
        ),
        // The initial value it is held at is outside the bounds.
        (
            "  parameter_names: [D0, alpha, D_offset]\n  values: [1000.0, -0.5, 400.0]",
            "    - {name: D_offset, min: -100.0, max: 100.0, fixed: true}",
            "parameter_space.bounds[0].fixed",
            "D_offset",
        ),
        (
            "  values: null\n  fixed_parameters: {D0: 1.0}",
            "    - {name: alpha}",
            "initial_parameters.fixed_parameters.D0",
            "D0",
        ),
    ];
    for (initial, bounds, want_key, name) in cases {
        let text = yaml("static", initial, bounds);
        let (key, message) = config_error(&text);
        assert_eq!(key, want_key, "{text}");
        assert!(message.contains(name), "{message}");
        let shown = XpcsConfig::from_yaml_str(&text).unwrap_err().to_string();
        assert!(shown.contains(want_key) && shown.contains(name), "{shown}");
    }
    // Wrong types.
    for value in ["[1.0]", "{value: 1.0}", "\"abc\""] {
        let text = bounds_yaml(
            "static",
            &format!("    - {{name: D_offset, fixed: {value}}}"),
        );
        match XpcsConfig::from_yaml_str(&text) {
            Err(XpcsError::ConfigType { key, expected, .. }) => {
                assert_eq!(key, "parameter_space.bounds[0].fixed");
                assert!(expected.contains("true"), "{expected}");
            }
            other => panic!("{value}: {other:?}"),
        }
    }
    // A parameter the mode does not have: a warning.
    let text = bounds_yaml("static", "    - {name: gamma_dot_t0, fixed: 0.001}");
    let config = read(&text);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(
        config.warnings[0].contains("gamma_dot_t0") && config.warnings[0].contains("static"),
        "{:?}",
        config.warnings
    );
    let layout = layout_of(AnalysisMode::Static, ScalingMode::Constant, 1);
    assert!(config.layout_fixed(&layout).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Fits
// ---------------------------------------------------------------------------------------

fn synthetic(
    mode: AnalysisMode,
    physical: &[f64],
    n_phi: usize,
    n_t: usize,
) -> (HomodyneModel, Vec<f64>, CorrelationData) {
    let (model, truth) = model_and_truth(mode, physical, n_phi, n_t);
    let data = CorrelationData::synthetic(&model, &truth, NOISE, 0x5EED).unwrap();
    (model, truth, data)
}

/// The fit from `options`, with the parameters the configuration `text` holds.
fn fit_held(
    model: &HomodyneModel,
    data: &CorrelationData,
    text: &str,
    options: &XpcsFitOptions,
) -> OptimizationResult {
    let config = read(text);
    let fixed = config.layout_fixed(model.layout()).unwrap();
    assert!(!fixed.is_empty());
    let options = XpcsFitOptions {
        fixed,
        ..options.clone()
    };
    fit(model, data, &options, &NoObserver).unwrap().result
}

/// The held parameter `k` is exactly `value`, flagged, with zero covariance row and
/// column; the others are within `z` of their standard errors of `truth`; the solve had
/// one parameter fewer.
fn assert_held(result: &OptimizationResult, names: &[String], k: usize, value: f64) {
    assert_eq!(result.parameters[k], value, "{} is held", names[k]);
    assert_eq!(result.parameter_flags[k], ParameterFlag::Fixed);
    assert_eq!(result.fixed(), [k]);
    assert_eq!(result.uncertainties[k], 0.0);
    let n = result.parameters.len();
    for j in 0..n {
        assert_eq!(result.covariance.matrix[(k, j)], 0.0);
        assert_eq!(result.covariance.matrix[(j, k)], 0.0);
    }
    // The reduced problem: n - 1 parameters, all determined.
    assert_eq!(result.covariance.rank, n - 1);
    assert!(result.converged(), "{:?}", result.convergence_status);
}

/// Every parameter but the held one, `skip`, within 4 standard errors of `truth`.
fn assert_recovered(result: &OptimizationResult, names: &[String], truth: &[f64], skip: usize) {
    let free = (0..truth.len()).filter(|&k| k != skip);
    assert_within_standard_errors("held fit", result, names, truth, free, 4.0);
}

/// Synthetic data of `mode` (3 angles, 60 frames) fitted from `options` with the physical
/// parameter `physical` held at its true `value` by the bounds `entry`: it is held
/// ([`assert_held`]) and the others recovered ([`assert_recovered`]). The model, the
/// data and the fit.
fn fit_held_at_truth(
    mode: AnalysisMode,
    physical: usize,
    entry: &str,
    value: f64,
    options: &XpcsFitOptions,
) -> (HomodyneModel, CorrelationData, OptimizationResult) {
    let (model, truth, data) = synthetic(mode, physical_truth(mode), 3, 60);
    let layout = *model.layout();
    let names = layout.names();
    let k = layout.physical_start() + physical;
    let held = fit_held(&model, &data, &bounds_yaml(mode.name(), entry), options);
    assert_held(&held, &names, k, value);
    assert_recovered(&held, &names, &truth, k);
    (model, data, held)
}

#[test]
fn a_static_fit_with_d_offset_held_at_its_truth() {
    let entry = "    - {name: D_offset, min: -1000.0, max: 1000.0, fixed: 50.0}";
    let options = XpcsFitOptions::default();
    let (model, data, held) = fit_held_at_truth(AnalysisMode::Static, 2, entry, 50.0, &options);
    let layout = *model.layout();
    let names = layout.names();
    let k = layout.physical_start() + 2;

    // The free fit of the same data: one parameter more, close to the held one.
    let free = fit(&model, &data, &options, &NoObserver).unwrap().result;
    assert!(free.fixed().is_empty());
    assert_eq!(free.covariance.rank, layout.n_params());
    for j in (0..layout.n_params()).filter(|&j| j != k) {
        let d = (held.parameters[j] - free.parameters[j]) / free.uncertainties[j];
        assert!(
            d.abs() < 2.0,
            "{}: {d:.2} sigma from the free fit",
            names[j]
        );
    }

    // Equal bounds (min = max = 50) hold it the same way, to the bits of the fit.
    let equal = bounds_yaml("static", "    - {name: D_offset, min: 50.0, max: 50.0}");
    let config = read(&equal);
    let bounds_only = XpcsFitOptions {
        bounds: Some(config.layout_bounds(&layout)),
        ..XpcsFitOptions::default()
    };
    let fitted = fit(&model, &data, &bounds_only, &NoObserver).unwrap();
    // The start (and every coarse stage's) holds it too.
    assert_eq!(fitted.start[k], 50.0);
    assert!(!fitted.stages.is_empty());
    for stage in &fitted.stages {
        assert_eq!(stage.start[k], 50.0);
        assert_eq!(stage.result.as_ref().unwrap().parameters[k], 50.0);
    }
    let by_bounds = fitted.result;
    assert_held(&by_bounds, &names, k, 50.0);
    for j in 0..layout.n_params() {
        let scale = held.parameters[j].abs().max(1e-300);
        assert!(
            (by_bounds.parameters[j] - held.parameters[j]).abs() <= 1e-10 * scale,
            "{}: {} against {}",
            names[j],
            by_bounds.parameters[j],
            held.parameters[j]
        );
    }

    // The output files say so.
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &plain_outputs(&model, &data, &held)).unwrap();
    let nlsq = dir.path().join("nlsq");
    let json = |file: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(nlsq.join(file)).unwrap()).unwrap()
    };
    let params = json(PARAMETERS_FILE);
    let d_offset = &params["parameters"]["D_offset"];
    assert_eq!(d_offset["value"], 50.0);
    assert_eq!(d_offset["uncertainty"], Value::Null);
    assert_eq!(d_offset["flag"], "fixed");
    // The fitted ones keep the package's {value, uncertainty}.
    let d0 = params["parameters"]["D0"].as_object().unwrap();
    assert_eq!(d0.len(), 2, "{d0:?}");
    assert!(d0["uncertainty"].as_f64().unwrap() > 0.0);
    assert!(params["per_angle"].get("contrast_flag").is_none());
    // Degrees of freedom count the fitted parameters only.
    let analysis = json(ANALYSIS_RESULTS_FILE);
    let pairs = 3 * 60 * 59 / 2;
    assert_eq!(
        analysis["fit_quality"]["degrees_of_freedom"],
        (pairs - (layout.n_params() - 1)) as u64
    );
    // The held parameter's zero row is no rank deficiency.
    let metrics = json(CONVERGENCE_METRICS_FILE);
    assert_eq!(metrics["quality_checks"]["condition_number"], true);
    assert_eq!(metrics["quality_checks"]["parameters_determined"], true);
    assert!(
        metrics["convergence"]["status"] == "converged",
        "{}",
        metrics["convergence"]
    );
}

#[test]
fn a_laminar_flow_fit_with_gamma_dot_t_offset_held_at_its_truth() {
    let entry = "    - {name: gamma_dot_t_offset, fixed: 1.0e-5}";
    let options = XpcsFitOptions {
        physical_start: Some(LAMINAR_TRUTH.iter().map(|v| v * 1.1).collect()),
        ..XpcsFitOptions::default()
    };
    fit_held_at_truth(AnalysisMode::LaminarFlow, 5, entry, 1e-5, &options);
}

#[test]
fn fixed_and_undetermined_parameters_in_the_output_files() {
    let (model, _, data) = synthetic(AnalysisMode::Static, &STATIC_TRUTH, 2, 20);
    let layout = *model.layout();
    let mut result = fit(&model, &data, &XpcsFitOptions::default(), &NoObserver)
        .unwrap()
        .result;
    // Mark alpha undetermined (infinite uncertainty) and the contrasts fixed, as the
    // solver reports them.
    let alpha = layout.physical_start() + 1;
    result.parameter_flags[alpha] = ParameterFlag::Undetermined;
    result.uncertainties[alpha] = f64::INFINITY;
    for k in 0..2 {
        result.parameter_flags[layout.contrast_index(k)] = ParameterFlag::Fixed;
        result.uncertainties[layout.contrast_index(k)] = 0.0;
    }
    result.parameter_flags[layout.offset_index(1)] = ParameterFlag::Undetermined;
    result.uncertainties[layout.offset_index(1)] = f64::NAN;
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(dir.path(), &plain_outputs(&model, &data, &result)).unwrap();
    let text = std::fs::read_to_string(dir.path().join("nlsq").join(PARAMETERS_FILE)).unwrap();
    assert!(!text.contains("NaN") && !text.contains("Infinity"));
    let params: Value = serde_json::from_str(&text).unwrap();
    let p = &params["parameters"];
    assert_eq!(p["alpha"]["uncertainty"], Value::Null);
    assert_eq!(p["alpha"]["flag"], "undetermined");
    assert_eq!(p["contrast"]["flag"], "fixed");
    assert_eq!(p["contrast"]["uncertainty"], Value::Null);
    // One offset undetermined: the summary is too (never an RMS of the other alone).
    assert_eq!(p["offset"]["flag"], "undetermined");
    assert_eq!(p["offset"]["uncertainty"], Value::Null);
    assert!(p["D0"].get("flag").is_none());
    let per_angle = &params["per_angle"];
    assert_eq!(
        per_angle["contrast_flag"],
        serde_json::json!(["fixed", "fixed"])
    );
    assert_eq!(
        per_angle["offset_flag"],
        serde_json::json!(["free", "undetermined"])
    );
    assert_eq!(per_angle["contrast_uncertainty"][0], Value::Null);
    assert!(per_angle["offset_uncertainty"][0].as_f64().unwrap() > 0.0);
    assert_eq!(per_angle["offset_uncertainty"][1], Value::Null);
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("nlsq").join(CONVERGENCE_METRICS_FILE)).unwrap(),
    )
    .unwrap();
    assert_eq!(metrics["quality_checks"]["parameters_determined"], false);
}

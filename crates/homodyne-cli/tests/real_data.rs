//! `homodyne xpcs` on the two kinds of data that went wrong without a word before: a
//! laminar-flow file whose per-angle contrasts differ (the scaling is now chosen by
//! evidence), and a static matrix whose diffusion exponent is near 0 (D0 and D_offset
//! are then named as degenerate, and holding D_offset makes a short fit).

mod common;

use std::path::Path;

use common::{fit_config, laminar_flow_parameters, loader_model, read_json, scratch};
use homodyne_xpcs::loader::write::write_aps_u;
use homodyne_xpcs::{AnalysisMode, CorrelationData};

/// Noisy matrices of `mode` at the angles `phi`, `n` frames of `dt` as the loader times
/// them, with the given per-angle scaling and physical parameters.
fn synthetic(
    mode: AnalysisMode,
    phi: &[f64],
    (n, dt): (usize, f64),
    (contrasts, offsets): (&[f64], &[f64]),
    physical: &[f64],
    noise: f64,
) -> CorrelationData {
    let model = loader_model(mode, phi, n, dt);
    let truth = model
        .layout()
        .assemble(contrasts, offsets, physical)
        .unwrap();
    CorrelationData::synthetic(&model, &truth, noise, 11).unwrap()
}

/// `<dir>/nlsq/<name>` as JSON.
fn json(dir: &Path, name: &str) -> serde_json::Value {
    read_json(dir.join("nlsq").join(name))
}

/// Runs `homodyne xpcs --config yaml --output-dir out`, which must succeed.
fn fit(yaml: &Path, out: &Path) -> (String, String) {
    fit_config(yaml, &[], out)
}

/// A parameter's value and standard error from `parameters.json`.
fn parameter(parameters: &serde_json::Value, name: &str) -> (f64, f64) {
    let entry = &parameters["parameters"][name];
    let value = entry["value"].as_f64();
    let error = entry["uncertainty"].as_f64();
    match (value, error) {
        (Some(v), Some(e)) => (v, e),
        _ => panic!("{name} in {parameters:#}"),
    }
}

/// The 4 angles and the physical parameters of the laminar-flow files.
const FLOW_PHI: [f64; 4] = [-30.0, 10.0, 50.0, 90.0];
const FLOW_TRUTH: [f64; 7] = [1.5e4, -0.6, 50.0, 2e-4, 0.2, 1e-5, 4.0];

/// A laminar-flow APS-U file `<dir>/flow.h5` of the 4 angles x `frames` (frames of `dt`
/// seconds, noise 0.005, these per-angle `scaling`), and a YAML `<dir>/flow.yaml` that
/// fits it with `extra` appended (further sections).
fn flow_file(
    dir: &Path,
    (frames, dt): (usize, f64),
    scaling: (&[f64], &[f64]),
    extra: &str,
) -> std::path::PathBuf {
    let data = synthetic(
        AnalysisMode::LaminarFlow,
        &FLOW_PHI,
        (frames, dt),
        scaling,
        &FLOW_TRUTH,
        0.005,
    );
    write_aps_u(&dir.join("flow.h5"), &data).unwrap();
    let yaml = dir.join("flow.yaml");
    std::fs::write(
        &yaml,
        format!(
            "analysis_mode: laminar_flow\nanalyzer_parameters:\n  dt: {dt:?}\n  scattering:\n    \
             wavevector_q: 0.0054\n  geometry:\n    stator_rotor_gap: 2000000.0\n\
             experimental_data:\n  data_folder_path: .\n  data_file_name: flow.h5\n\
             v2_features:\n  cache_strategy: none\n{extra}"
        ),
    )
    .unwrap();
    yaml
}

/// Per-angle contrasts and offsets that differ by angle, as detector sectors give them.
const SPREAD: (&[f64], &[f64]) = (&[0.28, 0.30, 0.32, 0.29], &[0.99, 1.01, 1.0, 1.005]);

#[test]
fn per_angle_contrasts_that_differ_are_kept_by_evidence() {
    let dir = scratch("real_data", "laminar");
    // The default per_angle_mode (auto), a start 40% low in D0 with the shear exponent at 0.
    let yaml = flow_file(
        &dir,
        (150, 1.0),
        SPREAD,
        "initial_parameters:\n  parameter_names: [D0, alpha, D_offset, gamma_dot_t0, beta, \
         gamma_dot_t_offset, phi0]\n  values: [9000.0, -0.6, 50.0, 2.0e-4, 0.0, 1.0e-5, 4.0]\n",
    );
    let out = dir.join("out");
    let (o, _) = fit(&yaml, &out);
    assert!(
        o.contains("per-angle scaling chosen by evidence") && o.contains("individual scaling kept"),
        "{o}"
    );
    let results = json(&out, "analysis_results_nlsq.json");
    let summary = &results["optimization_summary"];
    let choice = &summary["scaling_choice"];
    assert_eq!(choice["chosen"], "individual", "{choice:#}");
    let candidates = choice["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2, "{choice:#}");
    let chi2 = |k: usize| candidates[k]["chi_squared"].as_f64().unwrap();
    let bic = |k: usize| candidates[k]["bic"].as_f64().unwrap();
    assert!(chi2(1) < chi2(0) && bic(1) < bic(0), "{choice:#}");
    let iterations = summary["iterations"].as_u64().unwrap();
    assert!(
        iterations <= 60,
        "the kept fit took {iterations} iterations"
    );
    let parameters = json(&out, "parameters.json");
    for (name, want) in laminar_flow_parameters().iter().zip(FLOW_TRUTH) {
        let (got, error) = parameter(&parameters, name);
        let z = (got - want) / error;
        assert!(
            z.abs() <= 3.0,
            "{name} = {got} +- {error}, truth {want} ({z:+.2} sigma)"
        );
    }
}

#[test]
fn equal_contrasts_keep_the_shared_scaling() {
    let dir = scratch("real_data", "shared");
    let yaml = flow_file(&dir, (80, 1.0), (&[0.3; 4], &[1.0; 4]), "");
    let out = dir.join("out");
    let (o, _) = fit(&yaml, &out);
    assert!(o.contains("constant scaling kept"), "{o}");
    let results = json(&out, "analysis_results_nlsq.json");
    assert_eq!(
        results["optimization_summary"]["scaling_choice"]["chosen"], "constant",
        "{results:#}"
    );
}

#[test]
fn a_power_law_with_exponent_near_zero_names_d0_and_d_offset_and_holding_the_offset_is_short() {
    let dir = scratch("real_data", "static");
    let data = synthetic(
        AnalysisMode::Static,
        &[0.0],
        (200, 0.5),
        (&[0.3], &[1.0]),
        &[3000.0, 0.0, 200.0],
        0.03,
    );
    homodyne_data::write_npy_f64(dir.join("c2.npy"), &data.c2, &[data.n_t, data.n_t]).unwrap();
    let common = "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.5\n  scattering:\n    \
                  wavevector_q: 0.0054\nexperimental_data:\n  data_folder_path: .\n  \
                  data_file_name: c2.npy\n  phi_angles: [0.0]\n";
    let free = dir.join("free.yaml");
    std::fs::write(&free, common).unwrap();
    let (_, e) = fit(&free, &dir.join("free"));
    let named = e
        .lines()
        .any(|line| line.contains("warning") && line.contains("D0") && line.contains("D_offset"));
    assert!(named, "no warning names D0 and D_offset:\n{e}");
    let held = dir.join("held.yaml");
    std::fs::write(
        &held,
        format!(
            "{common}parameter_space:\n  bounds:\n    - name: D_offset\n      min: -100000.0\n      \
             max: 100000.0\n      fixed: 0.0\n"
        ),
    )
    .unwrap();
    let out = dir.join("held");
    fit(&held, &out);
    let results = json(&out, "analysis_results_nlsq.json");
    let summary = &results["optimization_summary"];
    assert_eq!(summary["convergence_status"], "converged", "{summary:#}");
    let iterations = summary["iterations"].as_u64().unwrap();
    assert!(
        iterations <= 20,
        "with D_offset held the fit took {iterations} iterations"
    );
}

#[test]
fn per_angle_mode_constant_holds_the_quantile_estimates() {
    let dir = scratch("real_data", "constant");
    let yaml = flow_file(
        &dir,
        (80, 0.1),
        SPREAD,
        "optimization:\n  nlsq:\n    anti_degeneracy:\n      per_angle_mode: constant\n",
    );
    let out = dir.join("out");
    let (o, _) = fit(&yaml, &out);
    assert!(o.contains("held fixed (per_angle_mode: constant)"), "{o}");
    let results = json(&out, "analysis_results_nlsq.json");
    // Only the 7 physical parameters vary; the 8 contrasts and offsets are held.
    assert_eq!(
        results["diagnostics"]["n_varying"], 7,
        "{:#}",
        results["diagnostics"]
    );
    assert_eq!(
        results["optimization_summary"]["scaling_choice"],
        serde_json::Value::Null
    );
}

#[test]
fn auto_with_streaming_checkpoints_each_candidate_apart_and_resumes() {
    let dir = scratch("real_data", "streaming");
    let checkpoints = dir.join("checkpoints");
    let yaml = flow_file(
        &dir,
        (40, 1.0),
        SPREAD,
        &format!(
            "performance:\n  strategy_override: streaming\noptimization:\n  streaming:\n    \
             checkpoint_dir: {}\n",
            checkpoints.display()
        ),
    );
    let (first, _) = fit(&yaml, &dir.join("first"));
    assert!(
        first.contains("per-angle scaling chosen by evidence"),
        "{first}"
    );
    for scaling in ["constant", "individual"] {
        assert!(
            checkpoints.join(scaling).is_dir(),
            "no checkpoint folder for the {scaling} candidate"
        );
    }
    // A second run resumes each candidate from its own checkpoints.
    fit(&yaml, &dir.join("second"));
    let value = |run: &str| {
        json(&dir.join(run), "parameters.json")["parameters"]["D0"]["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(value("first").to_bits(), value("second").to_bits());
}

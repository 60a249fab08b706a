//! The two-component demo end to end: `homodyne xpcs --demo --mode heterodyne` fits its
//! data from xpcsjax's default start (a symmetric stationary point) with its multistart
//! and recovers the truth within 3 standard errors; the data written with `--write-data`
//! fit through `--config` (xpcsjax's keys, `analysis_mode: two_component`) to the same
//! optimum.

mod common;

use common::{NLSQ_FILES, fit_config, homodyne, read_json, scratch, stderr, stdout};
use homodyne_xpcs::AnalysisMode;
use homodyne_xpcs::heterodyne_demo::{HELD, TRUTH};
use serde_json::Value;

/// `parameters.json`'s value and standard error of `name` (no error for a held one).
fn value_and_error(parameters: &Value, name: &str) -> (f64, Option<f64>) {
    let entry = &parameters["parameters"][name];
    let value = entry["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("no value for {name}: {parameters}"));
    (value, entry["uncertainty"].as_f64())
}

#[test]
fn the_demo_recovers_its_truth_within_three_standard_errors_from_xpcsjax_s_start() {
    let dir = scratch("heterodyne_demo", "in_memory");
    let out = homodyne(&[
        "xpcs",
        "--demo",
        "--mode",
        "heterodyne",
        "--quiet",
        "--output-dir",
        dir.to_str().unwrap(),
    ]);
    let (text, errors) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}\n{errors}");
    assert!(
        text.contains("two-component (heterodyne), 3 angles x 100 frames"),
        "{text}"
    );
    assert!(text.contains("xpcsjax's registry defaults"), "{text}");
    assert!(
        text.contains("note: multistart: 17 candidates") && text.contains("reached its basin"),
        "{text}"
    );
    let nlsq = dir.join("nlsq");
    for file in NLSQ_FILES {
        assert!(nlsq.join(file).is_file(), "{file} missing: {text}");
    }
    let parameters = read_json(nlsq.join("parameters.json"));
    assert_eq!(parameters["analysis_mode"], "two_component", "{parameters}");
    assert_eq!(
        parameters["convergence_status"], "converged",
        "{parameters}"
    );
    let names = AnalysisMode::TwoComponent.physical_names();
    for (name, truth) in names.iter().zip(TRUTH) {
        let (value, error) = value_and_error(&parameters, name);
        if HELD.iter().any(|(held, _)| held == name) {
            assert_eq!((value, error), (truth, None), "{name} is held");
            continue;
        }
        let error = error.unwrap_or_else(|| panic!("{name} has no standard error"));
        assert!(
            error > 0.0 && (value - truth).abs() <= 3.0 * error,
            "{name}: {value} +- {error}, truth {truth}\n{text}"
        );
    }
    // Every angle's contrast and offset, too (the demo's 0.28..0.32 and 0.99..1.01).
    let per_angle = &parameters["per_angle"];
    let truths = [
        ("contrast", [0.28, 0.30, 0.32]),
        ("offset", [1.0, 1.01, 0.99]),
    ];
    for (kind, truth) in truths {
        let values = common::floats(&per_angle[kind]);
        let errors = common::floats(&per_angle[format!("{kind}_uncertainty")]);
        for k in 0..3 {
            assert!(
                (values[k] - truth[k]).abs() <= 3.0 * errors[k],
                "{kind} {k}: {} +- {}, truth {}",
                values[k],
                errors[k],
                truth[k]
            );
        }
    }
}

#[test]
fn the_written_two_component_demo_fits_through_the_config_workflow() {
    let dir = scratch("heterodyne_demo", "workflow");
    let data = dir.join("data");
    let out = homodyne(&[
        "xpcs",
        "--demo",
        "--mode",
        "two_component",
        "--angles",
        "2",
        "--frames",
        "60",
        "--write-data",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let yaml = data.join("demo_two_component.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(text.contains("analysis_mode: two_component"), "{text}");
    assert!(data.join("demo_two_component.h5").is_file());

    // From one start (the multistart turned off), the fit ends with a component lost,
    // and says so with what to try.
    let single = data.join("single.yaml");
    let yaml_text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&single, yaml_text.replace("enable: true", "enable: false")).unwrap();
    let (_, errors) = fit_config(&single, &[], &dir.join("single"));
    assert!(
        errors.contains("two-component fit from one start left")
            && errors.contains("--multistart 16"),
        "{errors}"
    );

    let from_file = dir.join("from_file");
    let (text, _) = fit_config(&yaml, &[], &from_file);
    assert!(
        text.contains("two_component from") && text.contains("2 angles x 60 frames"),
        "{text}"
    );
    let in_memory = dir.join("in_memory");
    let out = homodyne(&[
        "xpcs",
        "--demo",
        "--mode",
        "heterodyne",
        "--angles",
        "2",
        "--frames",
        "60",
        "--quiet",
        "--output-dir",
        in_memory.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = read_json(from_file.join("nlsq/parameters.json"));
    let memory = read_json(in_memory.join("nlsq/parameters.json"));
    for name in AnalysisMode::TwoComponent.physical_names() {
        let ((a, _), (b, error)) = (value_and_error(&file, name), value_and_error(&memory, name));
        match error {
            Some(error) => assert!(
                (a - b).abs() <= 1e-3 * error,
                "{name}: {a} from the file, {b} +- {error} in memory"
            ),
            None => assert_eq!(a, b, "{name} is held"),
        }
    }
}

#[test]
fn the_demo_mode_and_multistart_options_are_checked() {
    let out = homodyne(&["xpcs", "--demo", "--mode", "isotropic_turbulence"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--mode"), "{}", stderr(&out));
    let out = homodyne(&["xpcs", "--demo", "--mode", "heterodyne", "--python-compat"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--python-compat"), "{}", stderr(&out));
    // A seed needs a multistart: the laminar demo has none.
    let out = homodyne(&["xpcs", "--demo", "--frames", "10", "--multistart-seed", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--multistart <N>"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_demo_s_multistart_gives_the_same_bits_on_one_and_two_threads() {
    let dir = scratch("heterodyne_demo", "threads");
    let parameters = |threads: &str| {
        let out_dir = dir.join(format!("threads_{threads}"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_homodyne"))
            .args(["xpcs", "--demo", "--mode", "heterodyne", "--angles", "2"])
            .args(["--frames", "60", "--quiet", "--output-dir"])
            .arg(&out_dir)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let analysis = read_json(out_dir.join("nlsq/analysis_results_nlsq.json"));
        let document = read_json(out_dir.join("nlsq/parameters.json"));
        (
            document["parameters"].to_string(),
            analysis["optimization_summary"]["multistart"]["candidates"].to_string(),
        )
    };
    let (one, two) = (parameters("1"), parameters("2"));
    assert!(one.1.contains("final_cost"), "{}", one.1);
    assert_eq!(one, two);
}

//! The newcomer's path end to end: `homodyne xpcs --demo --write-data DIR` writes an
//! APS-U file and a YAML, and `homodyne xpcs --config DIR/demo_laminar_flow.yaml` fits
//! them and writes the results, heatmaps and one-time cuts.

mod common;

use common::{
    DEMO_YAML, NLSQ_FILES, fit_config, homodyne, laminar_flow_parameters, read_json, run_demo,
    scratch, stderr, stdout, write_demo_data,
};

/// The PNGs in `dir` whose names start with `prefix`, sorted.
fn pngs(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix) && name.ends_with(".png"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_written_demo_data_fit_through_the_config_workflow() {
    let dir = scratch("demo_data", "workflow");
    let data = dir.join("demo_data");
    let text = write_demo_data(&data, 3, 60);
    let yaml = data.join(DEMO_YAML);
    let h5 = data.join("demo_laminar_flow.h5");
    assert!(yaml.is_file() && h5.is_file(), "{text}");
    assert!(text.contains("APS-U"), "{text}");
    assert!(
        text.contains(&format!("homodyne xpcs --config {}", yaml.display())),
        "{text}"
    );
    // Written without a fit: nothing else in the folder.
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 2);
    assert!(!text.contains("Converged"), "{text}");

    let results = dir.join("results");
    let (text, _) = fit_config(&yaml, &[], &results);
    assert!(
        text.contains("laminar_flow from") && text.contains("demo_laminar_flow.h5"),
        "{text}"
    );
    assert!(text.contains("3 angles x 60 frames"), "{text}");
    let nlsq = results.join("nlsq");
    for file in NLSQ_FILES {
        assert!(nlsq.join(file).is_file(), "{file} missing: {text}");
    }
    let angles = ["-10.0", "-60.0", "40.0"];
    let expected = |kind: &str| -> Vec<String> {
        angles
            .iter()
            .map(|a| format!("c2_{kind}_phi_{a}deg.png"))
            .collect()
    };
    assert_eq!(pngs(&nlsq, "c2_heatmaps_"), expected("heatmaps"));
    assert_eq!(pngs(&nlsq, "c2_cuts_"), expected("cuts"));
    assert!(text.contains("3 one-time cut plots"), "{text}");
    // The fit found the flow: the shear rate and its angle are the truth's order.
    let parameters: serde_json::Value = read_json(nlsq.join("parameters.json"));
    let value = |name: &str| {
        parameters["parameters"][name]["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("no value for {name}: {parameters}"))
    };
    let d0 = value("D0");
    assert!((5e3..5e4).contains(&d0), "D0 {d0}, truth 15000");
    let phi0 = value("phi0");
    assert!((0.0..8.0).contains(&phi0), "phi0 {phi0}, truth 4");

    // The in-memory demo fits the same values (the loader's steps applied in memory)
    // with per-angle scaling from the package's start; the written YAML lets `auto` keep
    // per-angle scaling after a shared fit, so the same optimum is reached along another
    // path: the two agree far within a standard error (to the solver's tolerances).
    let in_memory = dir.join("in_memory");
    let out = run_demo(
        3,
        60,
        &["--quiet", "--output-dir", in_memory.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let demo: serde_json::Value = read_json(in_memory.join("nlsq/parameters.json"));
    for &name in laminar_flow_parameters() {
        let (file, memory) = (
            value(name),
            demo["parameters"][name]["value"].as_f64().unwrap(),
        );
        let error = demo["parameters"][name]["uncertainty"].as_f64().unwrap();
        assert!(
            (file - memory).abs() <= 1e-3 * error,
            "{name}: {file} from the file, {memory} +- {error} in memory"
        );
    }
}

#[test]
fn write_data_needs_the_demo_and_a_folder() {
    let dir = scratch("demo_data", "refused");
    let out = homodyne(&["xpcs", "--write-data", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--demo"), "{}", stderr(&out));
    // A regular file where the folder should be: refused before the data are made.
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let target = file.join("demo");
    let out = homodyne(&[
        "xpcs",
        "--demo",
        "--frames",
        "10",
        "--write-data",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("a-file"), "{}", stderr(&out));
    // --output-dir belongs to a fit, which --write-data does not run.
    let out = homodyne(&[
        "xpcs",
        "--demo",
        "--write-data",
        dir.join("d").to_str().unwrap(),
        "--output-dir",
        dir.join("r").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

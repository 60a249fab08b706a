//! `per_angle_mode: fourier` through `homodyne xpcs --config`: the demo's data (written by
//! `--demo --write-data`) fitted with a Fourier series of the contrast and offset in the
//! angle, its coefficients printed and written by name; with fewer angles than the
//! series has coefficients, the package's fallback to one contrast and offset per angle,
//! said on the console.

mod common;

use std::path::{Path, PathBuf};

use common::{DEMO_YAML, homodyne, read_json, scratch, stderr, stdout, write_demo_data};
use serde_json::Value;

/// Writes the demo's data of `angles` angles into `dir` and returns its YAML with
/// `per_angle_mode` set to `mode`.
fn demo_with_mode(dir: &Path, angles: usize, mode: &str) -> PathBuf {
    let data = dir.join("data");
    write_demo_data(&data, angles, 40);
    let yaml = data.join(DEMO_YAML);
    let text = std::fs::read_to_string(&yaml).unwrap();
    // The demo's YAML names a mode; this one replaces it, indentation kept.
    let lines: Vec<String> = text
        .lines()
        .map(|line| match line.find("per_angle_mode:") {
            Some(at) => format!("{}per_angle_mode: {mode}", &line[..at]),
            None => line.to_owned(),
        })
        .collect();
    assert!(text.contains("per_angle_mode:"), "{text}");
    std::fs::write(&yaml, lines.join("\n") + "\n").unwrap();
    yaml
}

fn fit(yaml: &Path, results: &Path) -> (String, String, Value) {
    let out = homodyne(&[
        "xpcs",
        "--config",
        yaml.to_str().unwrap(),
        "--output-dir",
        results.to_str().unwrap(),
    ]);
    let (text, errors) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}\n{errors}");
    let parameters = results.join("nlsq").join("parameters.json");
    let json = read_json(parameters);
    (text, errors, json)
}

#[test]
fn a_fourier_series_is_fitted_and_reported_by_coefficient() {
    let dir = scratch("fourier", "series");
    let yaml = demo_with_mode(&dir, 8, "fourier");
    let (text, errors, json) = fit(&yaml, &dir.join("results"));
    for part in [
        "contrast_c0",
        "contrast_s2",
        "offset_c1",
        "series at",
        "phi -60.00 deg",
    ] {
        assert!(text.contains(part), "{part} not in\n{text}");
    }
    assert!(!errors.contains("individual"), "{errors}");
    let per_angle = &json["per_angle"];
    assert_eq!(per_angle["scaling_mode"], "fourier", "{per_angle}");
    assert_eq!(per_angle["fourier_order"], 2);
    assert_eq!(per_angle["contrast"].as_array().unwrap().len(), 8);
    assert_eq!(per_angle["coefficients"].as_object().unwrap().len(), 10);
    // The demo's contrasts lie between 0.28 and 0.32; the series' values come close.
    for c in per_angle["contrast"].as_array().unwrap() {
        let c = c.as_f64().unwrap();
        assert!((0.26..0.34).contains(&c), "{per_angle}");
    }
}

#[test]
fn too_few_angles_for_the_series_fall_back_to_individual_scaling_with_a_warning() {
    let dir = scratch("fourier", "fallback");
    let yaml = demo_with_mode(&dir, 4, "fourier");
    let (_, errors, json) = fit(&yaml, &dir.join("results"));
    assert!(
        errors.contains("warning") && errors.contains("at least 5 angles"),
        "{errors}"
    );
    assert!(errors.contains("individual"), "{errors}");
    assert_eq!(json["per_angle"]["scaling_mode"], "individual");
}

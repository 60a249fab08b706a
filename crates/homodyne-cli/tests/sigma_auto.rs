//! `homodyne xpcs --config ... --sigma auto` on the demo's written data: each angle's noise
//! is estimated and printed, the fit is weighted by it, and its reduced chi-squared is
//! near 1 (the demo's noise is 0.005 on every angle).

mod common;

use common::{DEMO_YAML, fit_config, homodyne, read_json, scratch, stderr, write_demo_data};

/// The number after `reduced ` on the summary's chi-squared line.
fn reduced_chi_squared(text: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.contains("chi-squared") && l.contains("reduced "))
        .unwrap_or_else(|| panic!("no chi-squared line:\n{text}"));
    let after = &line[line.find("reduced ").unwrap() + "reduced ".len()..];
    let number: String = after
        .chars()
        .take_while(|c| !matches!(c, ';' | ',' | ' '))
        .collect();
    number
        .parse()
        .unwrap_or_else(|e| panic!("{number:?}: {e}\n{line}"))
}

#[test]
fn sigma_auto_estimates_each_angles_noise_and_gives_reduced_chi_squared_near_1() {
    let dir = scratch("sigma_auto", "demo");
    let data = dir.join("demo_data");
    write_demo_data(&data, 3, 60);
    let yaml = data.join(DEMO_YAML);
    let results = dir.join("results");
    let (text, _) = fit_config(&yaml, &["--sigma", "auto"], &results);
    let line = text
        .lines()
        .find(|l| l.starts_with("noise estimated from the data: phi "))
        .unwrap_or_else(|| panic!("no noise line:\n{text}"));
    assert_eq!(line.matches("phi ").count(), 3, "{line}");
    let reduced = reduced_chi_squared(&text);
    assert!((reduced - 1.0).abs() < 0.1, "reduced {reduced}\n{text}");
    let analysis: serde_json::Value =
        read_json(results.join("nlsq").join("analysis_results_nlsq.json"));
    let sigma = analysis["fit_quality"]["sigma"].as_array().unwrap();
    assert_eq!(sigma.len(), 3);
    for value in sigma {
        let value = value.as_f64().unwrap();
        assert!((value / 0.005 - 1.0).abs() < 0.1, "sigma {value}");
    }

    // Without it, the fit stays unweighted and nothing is estimated.
    let (text, _) = fit_config(&yaml, &[], &dir.join("unweighted"));
    assert!(!text.contains("noise estimated"), "{text}");
    assert!(reduced_chi_squared(&text) < 1e-3, "{text}");
}

#[test]
fn a_wrong_sigma_flag_is_refused() {
    let out = homodyne(&["xpcs", "--demo", "--sigma", "0.01"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--sigma"), "{}", stderr(&out));
}

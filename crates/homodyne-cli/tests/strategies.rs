//! End-to-end tests: `homodyne curve` gives a table in memory to one fit however it runs
//! (`--strategy standard`, `chunked`, `streaming`): the same checks of the data, the same
//! settings, the same optimum.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::tables::{decay, scatter, write_table};
use common::{decay_curve, homodyne, read_json, scratch, stderr, stdout};

/// `y = 2.5 exp(-1.3 x) + 0.5` at 2000 points with a small deterministic noise and a
/// sigma column `s`; the sigma of data point `zero_at` (counting from 1) is 0 if given.
fn decay_csv(dir: &Path, zero_at: Option<usize>) -> PathBuf {
    let path = dir.join("decay.csv");
    let rows = (0..2000).map(|i| {
        let x = i as f64 * 0.004;
        let y = decay(x) + 0.01 * scatter(i);
        let s = if zero_at == Some(i + 1) { 0.0 } else { 0.01 };
        format!("{x},{y},{s}")
    });
    write_table(&path, "x,y,s", rows);
    path
}

/// `homodyne curve` of the decay in `data`, weighted by its column `s`, with `extra` options.
fn fit_decay(data: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = decay_curve(data.to_str().unwrap(), &["--sigma", "s"]);
    args.extend(extra);
    homodyne(&args)
}

#[test]
fn a_zero_sigma_is_refused_at_its_row_by_every_strategy() {
    let dir = scratch("strategies", "zero_sigma");
    // Data point 1234 is line 1235 of the file (after the header).
    let data = decay_csv(&dir, Some(1234));
    for strategy in ["standard", "chunked", "streaming"] {
        let out = fit_decay(&data, &["--strategy", strategy, "--batch-size", "300"]);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{strategy}: {message}");
        assert!(
            message.contains("sigma is 0") && message.contains("decay.csv:1235"),
            "{strategy}: {message}"
        );
    }
}

#[test]
fn streaming_a_table_gets_the_settings_and_the_optimum_of_the_fit_in_memory() {
    let dir = scratch("strategies", "settings");
    let data = decay_csv(&dir, None);
    let fit = |json: &str, extra: &[&str]| {
        let json = dir.join(json);
        let mut args = vec!["--fix", "c=0.5", "--absolute-sigma", "--json"];
        args.push(json.to_str().unwrap());
        args.extend(extra);
        let out = fit_decay(&data, &args);
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        let value: Value = read_json(json);
        (stdout(&out), value)
    };
    let (_, memory) = fit("memory.json", &["--strategy", "standard"]);
    let (report, streamed) = fit(
        "streamed.json",
        &["--strategy", "streaming", "--batch-size", "300"],
    );
    assert!(report.contains("STREAMING strategy"), "{report}");
    assert!(report.contains("7 batches of 300 points"), "{report}");
    assert_eq!(streamed["strategy"], "STREAMING");
    for result in [&memory, &streamed] {
        // --fix holds c at its value (no uncertainty); --absolute-sigma is applied.
        assert_eq!(result["parameters"]["c"]["value"], 0.5, "{result}");
        assert_eq!(result["parameters"]["c"]["flag"], "fixed", "{result}");
        assert!(
            result["parameters"]["c"]["uncertainty"].is_null(),
            "{result}"
        );
        assert_eq!(result["absolute_sigma"], true, "{result}");
    }
    for name in ["a", "b"] {
        let value = |r: &Value| r["parameters"][name]["value"].as_f64().unwrap();
        let uncertainty = |r: &Value| r["parameters"][name]["uncertainty"].as_f64().unwrap();
        let (m, s) = (value(&memory), value(&streamed));
        assert!((m - s).abs() <= 1e-9 * m.abs(), "{name}: {m} against {s}");
        let (m, s) = (uncertainty(&memory), uncertainty(&streamed));
        assert!((m - s).abs() <= 1e-6 * m.abs(), "{name}: {m} against {s}");
    }
}

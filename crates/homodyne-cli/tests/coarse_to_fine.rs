//! `homodyne curve --coarse-to-fine`: the stages it asks for run and are reported (one line
//! each in the summary, `coarse_stages` in the `--json` document), the fit of all the points
//! ends where it ends without them, and a value it cannot read is bad usage (exit status 2).

mod common;

use std::path::{Path, PathBuf};

use common::tables::{decay, sine_noise, write_table};
use common::{curve_help, decay_curve, expect_error, fit_decay_json, scratch};
use homodyne::coarse::{COARSE_FROM_POINTS, block_points};
use npyz::{WriteOptions, WriterBuilder};
use serde_json::Value;

/// The decay with its deterministic noise at point `i` of `n` over `x` in `[0, 4)`.
fn point(i: usize, n: usize) -> (f64, f64) {
    let x = 4.0 * i as f64 / n as f64;
    (x, decay(x) + sine_noise(i))
}

/// A `.npy` table of `n` points, columns x and y, in `dir`.
fn write_npy(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("decay.npy");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer = WriteOptions::<f64>::new()
        .default_dtype()
        .shape(&[n as u64, 2])
        .writer(file)
        .begin_nd()
        .unwrap();
    writer
        .extend((0..n).flat_map(|i| {
            let (x, y) = point(i, n);
            [x, y]
        }))
        .unwrap();
    writer.finish().unwrap();
    path
}

/// A text table of `n` points, columns x and y, in `dir`.
fn write_csv(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("decay.csv");
    write_table(
        &path,
        "x,y",
        (0..n).map(|i| {
            let (x, y) = point(i, n);
            format!("{x:?},{y:?}")
        }),
    );
    path
}

/// Fits `a*exp(-b*x)+c` to `data` with `more` options and `--json`; returns the summary
/// printed and the document.
fn fit(dir: &Path, data: &Path, name: &str, more: &[&str]) -> (String, Value) {
    fit_decay_json(data, &dir.join(format!("{name}.json")), more)
}

/// The summary's lines of coarse stages.
fn stage_lines(summary: &str) -> Vec<&str> {
    summary
        .lines()
        .filter(|line| line.trim_start().starts_with("coarse stage "))
        .collect()
}

/// The fitted values, in `--p0` order.
fn values(document: &Value) -> Vec<f64> {
    ["a", "b", "c"]
        .iter()
        .map(|name| document["parameters"][name]["value"].as_f64().unwrap())
        .collect()
}

fn assert_close(a: &[f64], b: &[f64], rtol: f64) {
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= rtol * y.abs(), "{a:?} against {b:?}");
    }
}

/// At 1e6 points `auto` (the default) runs one stage, of every 16th block, which is kept;
/// `off` runs none. Both end on the same optimum.
#[test]
fn auto_stages_a_million_points_and_off_does_not() {
    let n = COARSE_FROM_POINTS;
    let dir = scratch("coarse_to_fine", "million");
    let data = write_npy(&dir, n);
    let (off_summary, off) = fit(&dir, &data, "off", &["--coarse-to-fine", "off"]);
    let (auto_summary, auto) = fit(&dir, &data, "auto", &[]);

    assert_eq!(off["coarse_stages"], serde_json::json!([]), "{off}");
    assert!(stage_lines(&off_summary).is_empty(), "{off_summary}");

    let stages = auto["coarse_stages"].as_array().unwrap();
    assert_eq!(stages.len(), 1, "{auto}");
    let stage = &stages[0];
    assert_eq!(stage["stride"], 16);
    assert_eq!(stage["n_points"], block_points(n, 16));
    assert_eq!(stage["used"], true, "{stage}");
    assert_eq!(stage["convergence_status"], "converged", "{stage}");
    assert!(stage["seconds"].as_f64().unwrap() > 0.0);
    assert!(stage.get("error").is_none(), "{stage}");
    let lines = stage_lines(&auto_summary);
    assert_eq!(lines.len(), 1, "{auto_summary}");
    let expected = format!(
        "every 16th block of 1024 points ({} points): converged in",
        block_points(n, 16)
    );
    assert!(
        lines[0].contains(&expected) && lines[0].contains(", kept, "),
        "{}",
        lines[0]
    );

    assert_eq!(auto["n_points"], n);
    assert_close(&values(&auto), &values(&off), 1e-8);
    assert_close(&values(&auto), &[2.5, 1.3, 0.5], 1e-3);
}

/// Given strides run at any size, coarsest first, in memory and streamed alike; below
/// 1e6 points `auto` runs none.
#[test]
fn given_strides_run_at_any_size() {
    let n = 20_000;
    let dir = scratch("coarse_to_fine", "strides");
    let data = write_csv(&dir, n);
    let (summary, staged) = fit(&dir, &data, "staged", &["--coarse-to-fine", "4,2"]);
    let stages = staged["coarse_stages"].as_array().unwrap();
    let strides: Vec<u64> = stages
        .iter()
        .map(|s| s["stride"].as_u64().unwrap())
        .collect();
    assert_eq!(strides, [4, 2], "{staged}");
    for stage in stages {
        let stride = stage["stride"].as_u64().unwrap() as usize;
        assert_eq!(stage["n_points"], block_points(n, stride));
        assert!(stage["iterations"].as_u64().is_some(), "{stage}");
        assert!(stage["nfev"].as_u64().is_some(), "{stage}");
    }
    let lines = stage_lines(&summary);
    assert_eq!(lines.len(), 2, "{summary}");
    assert!(
        lines[0].contains("every 4th block of 1024 points"),
        "{summary}"
    );
    assert!(
        lines[1].contains("every 2nd block of 1024 points"),
        "{summary}"
    );

    let (streamed_summary, streamed) = fit(
        &dir,
        &data,
        "streamed",
        &["--coarse-to-fine", "4,2", "--strategy", "streaming"],
    );
    assert_eq!(
        stage_lines(&streamed_summary).len(),
        2,
        "{streamed_summary}"
    );
    for (a, b) in stages
        .iter()
        .zip(streamed["coarse_stages"].as_array().unwrap())
    {
        for key in ["stride", "n_points", "iterations", "nfev", "used"] {
            assert_eq!(a[key], b[key], "{key}: {a} against {b}");
        }
    }

    let (plain_summary, plain) = fit(&dir, &data, "plain", &[]);
    assert_eq!(plain["coarse_stages"], serde_json::json!([]));
    assert!(stage_lines(&plain_summary).is_empty(), "{plain_summary}");
    assert_close(&values(&staged), &values(&plain), 1e-8);
    assert_close(&values(&streamed), &values(&plain), 1e-8);
}

/// The keys of a stage in `--json` are those docs/json-output.md lists under
/// `coarse_stages[]` (`error` only for a failed stage).
#[test]
fn stage_keys_are_the_documented_ones() {
    let dir = scratch("coarse_to_fine", "keys");
    let data = write_csv(&dir, 5_000);
    let (_, document) = fit(&dir, &data, "keys", &["--coarse-to-fine", "2", "--quiet"]);
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-output.md"),
    )
    .unwrap();
    let documented: Vec<(String, bool)> = text
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let key = cells.get(1)?.strip_prefix("`coarse_stages[].")?;
            Some((
                key.strip_suffix('`')?.to_owned(),
                *cells.get(3)? == "always",
            ))
        })
        .collect();
    assert!(!documented.is_empty());
    let stage = document["coarse_stages"][0].as_object().unwrap();
    let written: Vec<&String> = stage.keys().collect();
    for key in &written {
        assert!(
            documented.iter().any(|(k, _)| k == *key),
            "{key} is not documented"
        );
    }
    for (key, always) in &documented {
        assert_eq!(stage.contains_key(key), *always, "{key}: {stage:?}");
    }
}

/// A value that is neither auto, off nor a list of strides is bad usage: exit status 2
/// and a message saying what is accepted.
#[test]
fn a_bad_value_is_refused() {
    let dir = scratch("coarse_to_fine", "bad");
    let data = write_csv(&dir, 100);
    let data = data.to_str().unwrap();
    for (value, needles) in [
        (
            "fast",
            &[
                "--coarse-to-fine",
                "'fast' is neither auto, off nor a list of strides",
            ][..],
        ),
        ("0", &["'0' in '0' is not a stride", "at least 1"][..]),
        ("16,x", &["'x' in '16,x' is not a stride"][..]),
        ("2.5", &["'2.5' in '2.5' is not a stride"][..]),
    ] {
        expect_error(&decay_curve(data, &["--coarse-to-fine", value]), 2, needles);
    }
}

/// `homodyne curve --help` says what the option does and when `auto` runs.
#[test]
fn the_help_says_when_auto_runs() {
    let help = curve_help();
    for needle in [
        "--coarse-to-fine <auto|off|S1,S2,...>",
        "every S-th block of 1024 points",
        "one stage from 1,000,000 points on",
        "[default: auto]",
    ] {
        assert!(help.contains(needle), "{needle:?} not in:\n{help}");
    }
}

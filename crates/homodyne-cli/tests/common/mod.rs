//! What the end-to-end tests of the `homodyne` binary share: running it, reading its
//! output, and a fresh folder per test.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod tables;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use homodyne_xpcs::loader::loader_times;
use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};
use serde_json::Value;

/// Runs the built `homodyne` with `args`.
pub fn homodyne(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .output()
        .expect("the homodyne binary runs")
}

/// What the run wrote to stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What the run wrote to stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh folder for one test's files, `group/test` under the test target folder.
pub fn scratch(group: &str, test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The arguments of `homodyne curve` fitting `formula` to the file `data` from the start
/// `p0` (`name=value,...`), followed by `more`.
pub fn curve<'a>(formula: &'a str, data: &'a str, p0: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["curve", "--formula", formula, "--data", data, "--p0", p0];
    args.extend_from_slice(more);
    args
}

/// Runs `homodyne curve` fitting `formula` to the file `data` from the start `p0` with
/// `--json json` and nothing else.
pub fn curve_json(formula: &str, data: &str, p0: &str, json: &Path) -> Output {
    homodyne(&curve(
        formula,
        data,
        p0,
        &["--json", json.to_str().unwrap()],
    ))
}

/// The arguments of `homodyne curve` fitting the decay `a*exp(-b*x)+c` to the file `data`
/// from `a=1,b=1,c=0`, followed by `more`.
pub fn decay_curve<'a>(data: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    curve("a*exp(-b*x)+c", data, "a=1,b=1,c=0", more)
}

/// Runs [`decay_curve`] on `data` with `--json json`, then `more`, which must succeed;
/// returns what it printed and the document it wrote.
pub fn fit_decay_json(data: &Path, json: &Path, more: &[&str]) -> (String, Value) {
    let mut args = vec!["--json", json.to_str().unwrap()];
    args.extend_from_slice(more);
    let out = homodyne(&decay_curve(data.to_str().unwrap(), &args));
    assert!(out.status.success(), "{}: {}", json.display(), stderr(&out));
    (stdout(&out), read_json(json))
}

/// What `homodyne curve --help` prints; the run must succeed.
pub fn curve_help() -> String {
    let out = homodyne(&["curve", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// Runs a failing invocation and checks its exit status and that its message names each
/// of `needles`; returns the message.
pub fn expect_error(args: &[&str], status: i32, needles: &[&str]) -> String {
    let out = homodyne(args);
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(status), "{args:?}: {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{args:?}: expected {needle:?} in:\n{message}"
        );
    }
    message
}

/// The name of the YAML that [`write_demo_data`] writes beside its data file.
pub const DEMO_YAML: &str = "demo_laminar_flow.yaml";

/// Writes the demo's data of `angles` angles and `frames` frames into the folder `data`
/// (`homodyne xpcs --demo --write-data`), which must succeed; returns what it printed.
pub fn write_demo_data(data: &Path, angles: usize, frames: usize) -> String {
    let out = homodyne(&[
        "xpcs",
        "--demo",
        "--write-data",
        data.to_str().unwrap(),
        "--angles",
        &angles.to_string(),
        "--frames",
        &frames.to_string(),
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    text
}

/// The arguments `xpcs --config yaml`, then `more`, then `--quiet --output-dir results`.
fn config_args<'a>(yaml: &'a Path, more: &[&'a str], results: &'a Path) -> Vec<&'a str> {
    let mut args = vec!["xpcs", "--config", yaml.to_str().unwrap()];
    args.extend_from_slice(more);
    args.extend(["--quiet", "--output-dir", results.to_str().unwrap()]);
    args
}

/// Runs `homodyne xpcs --config yaml`, then `more`, then `--quiet --output-dir results`.
pub fn run_config(yaml: &Path, more: &[&str], results: &Path) -> Output {
    homodyne(&config_args(yaml, more, results))
}

/// [`run_config`], which must succeed; returns its stdout and stderr.
pub fn fit_config(yaml: &Path, more: &[&str], results: &Path) -> (String, String) {
    let args = config_args(yaml, more, results);
    let out = homodyne(&args);
    let (text, errors) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{args:?}\n{text}\n{errors}");
    (text, errors)
}

/// The physical parameters of the laminar-flow model, in the package's order (the
/// model's own names; homodyne-xpcs's tests check them against the package's).
pub fn laminar_flow_parameters() -> &'static [&'static str] {
    AnalysisMode::LaminarFlow.physical_names()
}

/// The package's result files that a fit writes into `<output-dir>/nlsq`.
pub const NLSQ_FILES: [&str; 4] = [
    "parameters.json",
    "analysis_results_nlsq.json",
    "convergence_metrics.json",
    "fitted_data.npz",
];

/// The copy of `fitted_data.npz`'s arrays written with `--hdf5`.
pub const HDF5_FILE: &str = "fitted_data.h5";

/// The JSON file at `path`; a file that cannot be read or parsed panics naming it.
pub fn read_json(path: impl AsRef<Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The numbers of the JSON array `value`; anything else panics naming it.
pub fn floats(value: &Value) -> Vec<f64> {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// Runs `homodyne xpcs --demo` with `angles` angles and `frames` frames, then `more`.
pub fn run_demo(angles: usize, frames: usize, more: &[&str]) -> Output {
    let (angles, frames) = (angles.to_string(), frames.to_string());
    let mut args = vec!["xpcs", "--demo", "--angles", &angles, "--frames", &frames];
    args.extend_from_slice(more);
    homodyne(&args)
}

/// The wave vector (1/Å) of the synthetic data files.
pub const Q: f64 = 0.0054;

/// The published model of `mode` with a contrast and an offset per angle at the angles
/// `phi`, `n` frames of `dt` timed as the loader times them, the wave vector [`Q`] and a
/// gap of 2e6 Å.
pub fn loader_model(mode: AnalysisMode, phi: &[f64], n: usize, dt: f64) -> HomodyneModel {
    let grid = TimeGrid::from_times(dt, loader_times(dt, n)).unwrap();
    HomodyneModel::new(
        mode,
        ScalingMode::Individual,
        ModelForm::Published,
        grid,
        phi,
        Q,
        2e6,
    )
    .unwrap()
}

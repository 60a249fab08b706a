//! End to end: `homodyne curve` fits the one-time XPCS correlation
//! `beta1*exp(-2*(gamma*lag)^alpha)+g_inf` to data whose first lag is 0, and reaches the
//! optimum of scipy's `curve_fit`.
//!
//! At lag 0 the base of the power `(gamma*lag)^alpha` is 0 for every `gamma`: the chain rule
//! computes `0 * ln 0` (in `alpha`) and `alpha 0^(alpha-1) * 0` (in `gamma`), NaN, where
//! each partial is 0. The formula language takes those limits (see
//! `src/formula/eval.rs`); before, the fit failed at iteration 0 with "the jacobian: 1
//! invalid value(s)".
//!
//! The data (`tests/data/stretched_exponential/*.csv`: lag 0 and 100 log-spaced lags, g2-1
//! with noise of a fixed seed, one-sigma uncertainties growing with the lag) and the
//! reference optima (`reference.json`) come from
//! `tests/reference/stretched_exponential.py`, run with scipy (its version is recorded
//! in the JSON). Three decays: stretched (`alpha = 0.62`), compressed (`alpha = 1.45`) and
//! fast and noisy (`alpha = 0.88`); each fitted unweighted and with `--sigma`, by TRF and
//! LM, from a start away from the truth.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::{floats, read_json};

const FORMULA: &str = "beta1*exp(-2*(gamma*lag)^alpha)+g_inf";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stretched_exponential")
}

fn reference() -> Value {
    read_json(data_dir().join("reference.json"))
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// `x <= tolerance`, false for NaN.
fn within(x: f64, tolerance: f64) -> bool {
    x <= tolerance
}

/// Runs `homodyne curve` on one case and returns its `--json` result, or why it failed.
fn fit(case: &str, start: &[f64], weighted: bool, method: &str) -> Result<Value, String> {
    let names = ["beta1", "gamma", "alpha", "g_inf"];
    let p0: Vec<String> = names
        .iter()
        .zip(start)
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stretched_exponential");
    std::fs::create_dir_all(&dir).unwrap();
    let weighting = if weighted { "weighted" } else { "unweighted" };
    let json = dir.join(format!("{case}-{weighting}-{method}.json"));
    let _ = std::fs::remove_file(&json);
    let data = data_dir().join(format!("{case}.csv"));
    let p0 = p0.join(",");
    let mut args = vec![
        "curve",
        "--formula",
        FORMULA,
        "--data",
        data.to_str().unwrap(),
        "--x",
        "lag",
        "--y",
        "g2m1",
        "--p0",
        &p0,
        "--method",
        method,
        "--json",
        json.to_str().unwrap(),
        "--quiet",
    ];
    if weighted {
        args.extend(["--sigma", "sigma"]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(&args)
        .output()
        .expect("the homodyne binary runs");
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(read_json(&json))
}

/// Relative agreement required with scipy: parameters with curve_fit's popt and with the
/// polished optimum (both solvers stop ~1e-8 from the stationary point along the flat
/// (gamma, alpha) valley; homodyne was within 1.2e-8 of either in every case).
const PARAMETERS: f64 = 1e-7;
/// Chi-squared with curve_fit's (homodyne was within 6e-16).
const CHI2: f64 = 1e-12;
/// Parameters with curve_fit's popt from its own finite differences (no `jac`), which
/// stops within 5e-8 of the analytic-Jacobian fit.
const PARAMETERS_FINITE_DIFFERENCES: f64 = 1e-6;
/// Uncertainties with scipy's `(J^T J)^-1 chi2 / dof` at the polished optimum (within 8e-9).
const UNCERTAINTIES: f64 = 1e-7;

/// Every case, weighted or not, by `method`, reaches scipy's optimum: the parameters, the
/// chi-squared and the uncertainties.
fn reaches_scipy_optimum(weighted: bool, method: &str) {
    let reference = reference();
    let names: Vec<String> = serde_json::from_value(reference["parameters"].clone()).unwrap();
    let weighting = if weighted { "weighted" } else { "unweighted" };
    let mut failures = Vec::new();
    for (case, want) in reference["cases"].as_object().unwrap() {
        let start = floats(&want["start"]);
        let scipy = &want[weighting];
        let popt = floats(&scipy["popt"]);
        let polished = floats(&scipy["popt_polished"]);
        let popt_fd = floats(&scipy["popt_finite_differences"]);
        let perr = floats(&scipy["perr"]);
        let chi2 = scipy["chi2"].as_f64().unwrap();
        let result = match fit(case, &start, weighted, method) {
            Ok(result) => result,
            Err(e) => {
                failures.push(format!("{case} {weighting} {method}: {e}"));
                continue;
            }
        };
        let got_chi2 = result["chi_squared"].as_f64().unwrap();
        let mut worst = (0.0f64, 0.0f64, 0.0f64);
        for (k, name) in names.iter().enumerate() {
            let p = &result["parameters"][name];
            let value = p["value"].as_f64().unwrap();
            let uncertainty = p["uncertainty"].as_f64().unwrap_or(f64::NAN);
            let (to_scipy, to_polished) = (relative(value, popt[k]), relative(value, polished[k]));
            let to_perr = relative(uncertainty, perr[k]);
            worst = (
                worst.0.max(to_scipy),
                worst.1.max(to_polished),
                worst.2.max(to_perr),
            );
            if !(within(to_scipy, PARAMETERS) && within(to_polished, PARAMETERS)) {
                failures.push(format!(
                    "{case} {weighting} {method}: {name} = {value}, scipy {} (relative {to_scipy:.1e}), \
                     polished {} ({to_polished:.1e})",
                    popt[k], polished[k]
                ));
            }
            let to_fd = relative(value, popt_fd[k]);
            if !within(to_fd, PARAMETERS_FINITE_DIFFERENCES) {
                failures.push(format!(
                    "{case} {weighting} {method}: {name} = {value}, curve_fit by finite \
                     differences {} (relative {to_fd:.1e})",
                    popt_fd[k]
                ));
            }
            if !within(to_perr, UNCERTAINTIES) {
                failures.push(format!(
                    "{case} {weighting} {method}: {name} +/- {uncertainty}, scipy {} (relative {to_perr:.1e})",
                    perr[k]
                ));
            }
        }
        let to_chi2 = relative(got_chi2, chi2);
        println!(
            "{case:<11} {weighting:<10} {method:<3} parameters vs curve_fit {:.1e}, vs polished {:.1e}; \
             chi2 {to_chi2:.1e}; uncertainties {:.1e}; {} iterations, {}",
            worst.0, worst.1, worst.2, result["iterations"], result["convergence_status"]
        );
        if !within(to_chi2, CHI2) {
            failures.push(format!(
                "{case} {weighting} {method}: chi2 {got_chi2}, scipy {chi2} (relative {to_chi2:.1e})"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn unweighted_trf_reaches_scipy_optimum() {
    reaches_scipy_optimum(false, "trf");
}

#[test]
fn weighted_trf_reaches_scipy_optimum() {
    reaches_scipy_optimum(true, "trf");
}

#[test]
fn unweighted_lm_reaches_scipy_optimum() {
    reaches_scipy_optimum(false, "lm");
}

#[test]
fn weighted_lm_reaches_scipy_optimum() {
    reaches_scipy_optimum(true, "lm");
}

/// The data files are what the reference was computed on: lag 0 first, 101 points.
#[test]
fn data_start_at_lag_zero() {
    let reference = reference();
    assert!(reference["scipy"].is_string());
    for (case, want) in reference["cases"].as_object().unwrap() {
        let text = std::fs::read_to_string(data_dir().join(format!("{case}.csv"))).unwrap();
        let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(rows[0], "lag,g2m1,sigma", "{case}");
        assert!(rows[1].starts_with("0.0,"), "{case}: {}", rows[1]);
        assert_eq!(rows.len() - 1, want["n_points"].as_u64().unwrap() as usize);
    }
}

//! What the xpcsjax rows read and write besides the runs themselves: the laminar
//! configuration as both programs read it ([`xpcsjax_flavour`]), each program's outputs as
//! a run's record with its errors against the truth, the ratio of bracketed runs, CPU
//! seconds, the load average, and the caches emptied before a run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::super::runs::{median, read_json};
use crate::workspace::Result;

/// 3 angles x 499 frames x 498: frame 0 and the diagonal left out, both triangles.
pub(super) const POINTS: usize = 3 * 499 * 498;

/// xpcsjax's output names of physical parameters that differ from the configuration's.
pub(super) const ALIASES: [(&str, &str); 2] = [("v_beta", "beta"), ("phi0_het", "phi0")];

/// The configuration of the Python package comparison (`yaml`, as
/// `bench/xpcs_compare/make_data.py` writes it) as both programs read it in the xpcsjax
/// rows: its cache in `cache`, and under `optimization`, two keys only xpcsjax reads:
/// `stratification.enabled: false` (with its default, xpcsjax 0.1.8 asks for 32.7 GB on
/// laminar 3 x 500) and `nlsq.loss: linear` (the sum of squares `homodyne xpcs` fits;
/// xpcsjax's default is soft_l1). Everything else (model, frames, q, dt, start, bounds)
/// is unchanged. An error when `yaml` lacks the `cache_file_path` line or the
/// `optimization:` / `nlsq:` block.
pub(super) fn xpcsjax_flavour(yaml: &str, cache: &Path) -> Result<String> {
    let cache_lines = yaml
        .lines()
        .filter(|l| l.trim_start().starts_with("cache_file_path:"))
        .count();
    if cache_lines != 1 {
        return Err(format!(
            "the laminar configuration has {cache_lines} `cache_file_path` lines, not 1"
        )
        .into());
    }
    let block = "\noptimization:\n  nlsq:\n";
    if yaml.matches(block).count() != 1 {
        return Err("the laminar configuration has no single `optimization: nlsq:` block".into());
    }
    let mut text = String::from(
        "# A copy of bench/xpcs_compare/make_data.py's configuration for the xpcsjax rows of\n\
         # `cargo xtask bench` (xtask/src/suite/xpcsjax.rs): its own cache folder, and two keys\n\
         # only xpcsjax reads (homodyne xpcs accepts and ignores them).\n",
    );
    for line in yaml.lines() {
        if line.trim_start().starts_with("cache_file_path:") {
            let indent = &line[..line.len() - line.trim_start().len()];
            let _ = writeln!(text, "{indent}cache_file_path: \"{}\"", cache.display());
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    Ok(text.replacen(
        block,
        "\noptimization:\n  \
         # xpcsjax 0.1.8 with its default (auto) asks for 32.7 GB on this case and fails\n  \
         stratification:\n    enabled: false\n  \
         nlsq:\n    \
         # the sum of squares, which homodyne xpcs fits (xpcsjax's default is soft_l1)\n    \
         loss: linear\n",
        1,
    ))
}

/// The median, over xpcsjax's runs (`theirs`, by repeat), of its seconds over the mean
/// of homodyne's runs just before and just after it (`ours`, repeats `k` and `k + 1`;
/// one of them where the other is missing). `None` without such a pair.
pub(super) fn bracketed_ratio(ours: &[(usize, f64)], theirs: &[(usize, f64)]) -> Option<f64> {
    let at = |k: usize| ours.iter().find(|(r, _)| *r == k).map(|(_, s)| *s);
    median(theirs.iter().filter_map(|&(k, seconds)| {
        let around: Vec<f64> = [at(k), at(k + 1)].into_iter().flatten().collect();
        (!around.is_empty()).then(|| seconds * around.len() as f64 / around.iter().sum::<f64>())
    }))
}

/// The error of fitted `parameters` (name -> `{value, uncertainty}`) against `truth`
/// (name -> value, the configuration's names; xpcsjax's [`ALIASES`] accepted):
/// `max_relative_error` (|fitted - true| / |true|, the largest over the truth's
/// parameters), its `max_relative_error_parameter`, `worst_z` (the largest |fitted - true|
/// / uncertainty, where there are uncertainties) and `missing` (truth parameters not in
/// the output; then no largest error).
pub(super) fn truth_errors(parameters: &Value, truth: &Map<String, Value>) -> Value {
    let (mut worst, mut worst_z, mut missing) = (None::<(f64, &str)>, None::<f64>, Vec::new());
    for (name, value) in truth {
        let Some(true_value) = value.as_f64() else {
            continue;
        };
        let alias = ALIASES.iter().find(|(n, _)| n == name).map(|(_, a)| *a);
        let fitted = [Some(name.as_str()), alias]
            .into_iter()
            .flatten()
            .map(|n| &parameters[n])
            .find(|p| p["value"].is_number());
        let Some(fitted) = fitted else {
            missing.push(name.clone());
            continue;
        };
        let v = fitted["value"].as_f64().unwrap_or(f64::NAN);
        let relative = (v - true_value).abs() / true_value.abs();
        if worst.is_none_or(|(w, _)| relative > w || relative.is_nan()) {
            worst = Some((relative, name));
        }
        if let Some(u) = fitted["uncertainty"].as_f64().filter(|u| *u > 0.0) {
            let z = (v - true_value).abs() / u;
            worst_z = Some(worst_z.map_or(z, |w: f64| w.max(z)));
        }
    }
    let worst = worst.filter(|_| missing.is_empty());
    json!({
        "max_relative_error": worst.map(|(w, _)| w),
        "max_relative_error_parameter": worst.map(|(_, n)| n),
        "worst_z": worst_z,
        "missing": missing,
    })
}

/// `0.44 (D_offset)`, or `n/a`.
pub(super) fn fmt_error(record: &Value) -> String {
    match (
        record["max_relative_error"].as_f64(),
        record["max_relative_error_parameter"].as_str(),
    ) {
        (Some(e), Some(name)) if e >= 1e-3 => format!("{e:.3} ({name})"),
        (Some(e), Some(name)) => format!("{e:.1e} ({name})"),
        _ => "n/a".to_owned(),
    }
}

/// The iterations of xpcsjax's last solve, from its log: the `iterations=N` of the last
/// `Convergence reason=... | iterations=N | ...` line nlsq writes.
pub(super) fn iterations_from_log(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .filter(|l| l.contains("Convergence reason="))
        .find_map(|l| {
            let (_, rest) = l.split_once("iterations=")?;
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
}

/// The failure of an xpcsjax run as the report shows it: exit status 2 with a result
/// record is "not converged", which the record says (no failure); another failure gets
/// the log's last `ERROR` line, where there is one.
pub(super) fn xpcsjax_failure(
    failure: Option<String>,
    record: &Value,
    log: &str,
) -> Option<String> {
    let failure = failure?;
    if failure.starts_with("exit status 2") && !record.is_null() {
        return None;
    }
    let error = log
        .lines()
        .rev()
        .find(|l| l.contains("| ERROR"))
        .and_then(|l| l.rsplit_once(" | "))
        .map(|(_, message)| message.trim());
    Some(match error {
        Some(message) => format!("{}: {message}", failure.trim_end_matches(": ")),
        None => failure,
    })
}

/// The record of an xpcsjax run from its output folder `dir` (`nlsq_result.json`) and
/// its `log`: converged, message, iterations (from the log), its own fit time, chi-squared
/// (over both triangles: [`POINTS`] residuals), the parameters and their errors against
/// `truth`.
pub(super) fn read_xpcsjax_outputs(dir: &Path, log: &str, truth: Option<&Value>) -> Value {
    let Some(result) = read_json(&dir.join("nlsq_result.json")) else {
        return Value::Null;
    };
    let metadata = &result["metadata"];
    Reported {
        converged: metadata["convergence_status"].as_str() == Some("converged"),
        message: &metadata["message"],
        iterations: iterations_from_log(log)
            .map(Value::from)
            .unwrap_or_else(|| metadata["iterations"].clone()),
        fit_seconds: &metadata["execution_time"],
        chi_squared: &metadata["chi_squared"],
        residuals: POINTS as f64,
        parameters: &result["parameters"],
    }
    .record(truth)
}

/// The record of a `homodyne xpcs` run from its output folder `dir` (`nlsq/`); its
/// chi-squared is over the pairs it fits once each (`diagnostics.n_points`).
pub(super) fn read_homodyne_outputs(dir: &Path, truth: Option<&Value>) -> Value {
    let nlsq = dir.join("nlsq");
    let Some(parameters) = read_json(&nlsq.join("parameters.json")) else {
        return Value::Null;
    };
    let analysis = read_json(&nlsq.join("analysis_results_nlsq.json")).unwrap_or(Value::Null);
    let summary = &analysis["optimization_summary"];
    Reported {
        converged: parameters["convergence_status"].as_str() == Some("converged"),
        message: &parameters["convergence_status"],
        iterations: summary["iterations"].clone(),
        fit_seconds: &summary["execution_time"],
        chi_squared: &parameters["chi_squared"],
        residuals: analysis["diagnostics"]["n_points"]
            .as_f64()
            .unwrap_or(f64::NAN),
        parameters: &parameters["parameters"],
    }
    .record(truth)
}

/// What a program reported of its fit.
pub(super) struct Reported<'a> {
    pub(super) converged: bool,
    pub(super) message: &'a Value,
    pub(super) iterations: Value,
    /// Its own timing of the fit, seconds.
    pub(super) fit_seconds: &'a Value,
    /// Its sum of squared residuals.
    pub(super) chi_squared: &'a Value,
    /// How many residuals that sum has.
    pub(super) residuals: f64,
    /// Name -> `{value, uncertainty}`.
    pub(super) parameters: &'a Value,
}

impl Reported<'_> {
    /// The run's record: what it reported, the root mean square of its residuals
    /// (`rms_residual`: comparable between the programs, which sum over different
    /// copies of the pairs) and its errors against the truth.
    pub(super) fn record(self, truth: Option<&Value>) -> Value {
        let rms = self
            .chi_squared
            .as_f64()
            .map(|c| (c / self.residuals).sqrt())
            .filter(|r| r.is_finite());
        let mut record = json!({
            "converged": self.converged,
            "message": self.message,
            "iterations": self.iterations,
            "fit_seconds": self.fit_seconds,
            "chi_squared": self.chi_squared,
            "rms_residual": rms,
            "parameters": self.parameters,
        });
        if let (Some(truth), Some(fields)) = (
            truth.and_then(|t| t["truth"].as_object()),
            record.as_object_mut(),
        ) && let Value::Object(errors) = truth_errors(self.parameters, truth)
        {
            fields.extend(errors);
        }
        record
    }
}

/// Empties each cache folder (made if missing), so that a run reads the HDF5 file.
pub(super) fn empty_caches(caches: &[PathBuf]) -> Result<()> {
    for cache in caches {
        let _ = std::fs::remove_dir_all(cache);
        std::fs::create_dir_all(cache)?;
    }
    Ok(())
}

/// The CPU seconds (user + system) in a file `/usr/bin/time -f "%U %S"` wrote: its last
/// line (a line before it says when the command exited with another status than 0).
pub(super) fn cpu_seconds(text: &str) -> Option<f64> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut sum = 0.0;
    let mut fields = 0;
    for field in line.split_whitespace() {
        sum += field.parse::<f64>().ok()?;
        fields += 1;
    }
    (fields == 2).then_some(sum)
}

/// The 1-minute load average (`/proc/loadavg`), where it can be read.
pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

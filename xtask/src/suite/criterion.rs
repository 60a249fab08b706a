//! The criterion benchmarks of the crates: run (measured, or once in test mode), their
//! estimates collected and tabled.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::format::fmt_s;
use super::measure::Bench;
use super::runs::read_json;
use crate::workspace::{Result, criterion_dir, target_dir};

/// The criterion benchmarks: (package, bench target).
const CRITERION: [(&str, &str); 5] = [
    ("homodyne-xpcs", "model"),
    ("homodyne-solvers", "kernels"),
    ("homodyne", "iteration"),
    ("homodyne-checkpoint", "save"),
    ("homodyne", "fault_tolerance"),
];

impl Bench {
    /// Criterion benchmarks: measured in a full run, once each in test mode in a quick one.
    /// Returns the estimates (full) or the pass/fail of each target (quick).
    pub(super) fn criterion(&mut self) -> Result<Value> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let since = SystemTime::now();
        let mut outcomes = Vec::new();
        if self.quick {
            // Every benchmark of the workspace once, in one build that shares the test
            // suite's (per-package builds would unify features differently and rebuild).
            eprintln!(
                "xtask: criterion benchmarks in test mode (cargo test --workspace --benches)"
            );
            let ok = Command::new(&cargo)
                .args(["test", "--workspace", "--benches"])
                .current_dir(&self.root)
                .status()
                .is_ok_and(|s| s.success());
            outcomes.push(json!({ "package": "--workspace", "bench": "every benchmark, test mode", "ok": ok }));
            return Ok(json!({ "targets": outcomes, "estimates": [] }));
        }
        for (package, target) in CRITERION {
            let mut command = Command::new(&cargo);
            command.args(["bench", "-p", package, "--bench", target]);
            eprintln!("xtask: criterion {package} {target}");
            let ok = command
                .current_dir(&self.root)
                .status()
                .is_ok_and(|s| s.success());
            outcomes.push(json!({ "package": package, "bench": target, "ok": ok }));
        }
        let estimates = criterion_estimates(&criterion_dir(&target_dir(&self.root)?)?, since);
        Ok(json!({ "targets": outcomes, "estimates": estimates }))
    }
}

/// The criterion estimates written since `since`: id, median and its 95% interval (ns).
fn criterion_estimates(dir: &Path, since: SystemTime) -> Vec<Value> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.ends_with("new/estimates.json")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= since)
            {
                let Some(estimates) = read_json(&path) else {
                    continue;
                };
                let id = path
                    .parent()
                    .and_then(Path::parent)
                    .and_then(|p| p.strip_prefix(dir).ok())
                    .map_or_else(String::new, |p| p.to_string_lossy().into_owned());
                let median = &estimates["median"];
                found.push(json!({
                    "id": id,
                    "median_ns": median["point_estimate"],
                    "low_ns": median["confidence_interval"]["lower_bound"],
                    "high_ns": median["confidence_interval"]["upper_bound"],
                }));
            }
        }
    }
    found.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    found
}

pub(super) fn criterion_table(md: &mut String, criterion: &Value) {
    if criterion["targets"].as_array().is_none_or(Vec::is_empty) {
        return;
    }
    md.push_str("\n## Criterion benchmarks\n\n");
    for target in criterion["targets"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "- `{} --bench {}`: {}",
            target["package"].as_str().unwrap_or("?"),
            target["bench"].as_str().unwrap_or("?"),
            if target["ok"].as_bool() == Some(true) {
                "ran"
            } else {
                "FAILED"
            }
        );
    }
    let estimates = criterion["estimates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !estimates.is_empty() {
        md.push_str("\n| benchmark | median | 95% interval |\n|---|---:|---|\n");
        for e in estimates {
            let ns = |k: &str| e[k].as_f64().map(|v| v * 1e-9);
            let _ = writeln!(
                md,
                "| {} | {} | {} - {} |",
                e["id"].as_str().unwrap_or("?"),
                fmt_s(ns("median_ns")),
                fmt_s(ns("low_ns")),
                fmt_s(ns("high_ns"))
            );
        }
    }
}

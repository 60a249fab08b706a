//! The XPCS cases: `homodyne xpcs` against the Python homodyne package on the same files,
//! the large laminar case, and their table.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::format::{fmt_count, fmt_mb, fmt_ratio, fmt_s, label, thousands};
use super::machine::machine;
use super::measure::{Bench, REPEATS, strings};
use super::runs::{Key, Run, last_record, median, read_json, status_of};
use crate::workspace::{Result, run};

/// The homodyne package the XPCS comparison runs against.
pub(super) const PACKAGE: &str = "homodyne==2.23.3";

/// XPCS cases read from files: (case, points fitted by both programs).
pub(super) const XPCS_CASES: [(&str, usize); 2] =
    [("laminar_3x500", 747_003), ("static_3x600", 1_076_403)];

/// The large XPCS case: angles, frames.
pub(super) const LARGE_XPCS: (usize, usize) = (23, 1001);

/// The case name of the large XPCS case in `results.json`.
pub(super) fn large_xpcs_case() -> String {
    format!("laminar_{}x{}", LARGE_XPCS.0, LARGE_XPCS.1)
}

/// Why scipy and nlsq have no XPCS rows of their own.
pub(super) const XPCS_PEERS_REASON: &str = "they fit a function the user writes, and have no XPCS \
    model; the Python homodyne package, which fits its model through nlsq, is the XPCS peer";

impl Bench {
    /// The XPCS cases: the files against the package, and the large case.
    pub(super) fn xpcs(&mut self, package: Option<&Path>) -> Result<()> {
        let cli = self.homodyne_cli.clone();
        let xpcs_out = self.out.join("xpcs");
        if self.quick {
            let key = Key {
                tool: "homodyne_xpcs",
                case: "xpcs_demo",
                size: 3 * 300 * 299 / 2,
                repeat: 0,
            };
            self.measure_demo(key, &[], &xpcs_out.join("demo"));
            return Ok(());
        }
        let data = self.root.join("target").join("bench-xpcs").join("data");
        let have_data = XPCS_CASES.iter().all(|(c, _)| {
            data.join(format!("{c}.h5")).exists() && data.join(format!("{c}.yaml")).exists()
        });
        if !have_data {
            match package {
                Some(python) => {
                    eprintln!("xtask: making the XPCS data files with the package's model");
                    run(Command::new(python)
                        .arg(self.root.join("bench/xpcs_compare/make_data.py"))
                        .arg(&data)
                        .current_dir(&self.root))?;
                }
                None => {
                    self.notes.push(
                        "XPCS file cases not run: their data are made by the Python homodyne \
                         package's own model, whose venv could not be made"
                            .to_owned(),
                    );
                }
            }
        }
        let package_cli = package.map(|p| p.with_file_name("homodyne"));
        for (case, points) in XPCS_CASES {
            let yaml = data.join(format!("{case}.yaml"));
            if !yaml.exists() {
                continue;
            }
            let truth = read_json(&data.join(format!("{case}_truth.json")));
            let cache = data.join(format!("cache_{case}"));
            for repeat in 0..REPEATS {
                // Each run reads the HDF5 file: the caches both programs write are removed.
                let _ = std::fs::remove_dir_all(&cache);
                let dir = xpcs_out.join(format!("{case}_ours_{repeat}"));
                let _ = std::fs::remove_dir_all(&dir);
                let args = strings(&[
                    "xpcs",
                    "--config",
                    &yaml.to_string_lossy(),
                    "--python-compat",
                    "--quiet",
                    "--output-dir",
                    &dir.to_string_lossy(),
                ]);
                let read = |stdout: &str| read_xpcs_run(stdout, &dir, truth.as_ref());
                self.measure(
                    Key {
                        tool: "homodyne_xpcs",
                        case,
                        size: points,
                        repeat,
                    },
                    &cli,
                    &args,
                    None,
                    Some(&read),
                );
                if let Some(package_cli) = &package_cli {
                    let _ = std::fs::remove_dir_all(&cache);
                    let dir = xpcs_out.join(format!("{case}_package_{repeat}"));
                    let cwd = xpcs_out.join(format!("{case}_package_cwd"));
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&cwd)?;
                    let args = strings(&[
                        "--config",
                        &yaml.to_string_lossy(),
                        "--method",
                        "nlsq",
                        "--output-dir",
                        &dir.to_string_lossy(),
                    ]);
                    let read = |_: &str| read_xpcs_outputs(&dir, truth.as_ref());
                    self.measure(
                        Key {
                            tool: "python_homodyne",
                            case,
                            size: points,
                            repeat,
                        },
                        package_cli,
                        &args,
                        Some(&cwd),
                        Some(&read),
                    );
                }
            }
        }
        // The large case: homodyne on data generated in memory; the package where its
        // memory, projected from its laminar 3 x 500 run, fits this machine.
        let (angles, frames) = LARGE_XPCS;
        let case = large_xpcs_case();
        let points = angles * frames * (frames - 1) / 2;
        let size = [angles, frames].map(|n| n.to_string());
        for repeat in 0..REPEATS {
            let key = Key {
                tool: "homodyne_xpcs",
                case: &case,
                size: points,
                repeat,
            };
            // As for the file cases: the time is the writing of this run's files, not the
            // removal of an earlier run's that they would replace, nor the kernel's
            // writeback of the gigabytes earlier runs left in the page cache (on 2 cores
            // its CPU time lands in the next run's): each run starts with none dirty.
            let dir = xpcs_out.join(format!("{case}_ours_{repeat}"));
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::process::Command::new("sync").status();
            self.measure_demo(key, &["--angles", &size[0], "--frames", &size[1]], &dir);
        }
        let per_point = self
            .runs
            .iter()
            .filter(|r| r.tool == "python_homodyne" && r.case == "laminar_3x500")
            .filter_map(|r| r.peak_rss_mb.map(|m| m / r.size as f64))
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))));
        let memory_gb = machine()["memory_gb"].as_f64().unwrap_or(f64::NAN);
        let reason = match per_point {
            None => "not run: no laminar 3 x 500 run of the package to project its memory from"
                .to_owned(),
            Some(mb) => {
                let projected = mb * (angles * frames * frames) as f64 / 1024.0;
                format!(
                    "not run: its peak memory, projected from {:.0} MB at 747,003 points on \
                     laminar 3 x 500 ({:.2} kB a point, over the {} points it loads), is \
                     {projected:.0} GB, beyond this machine's {memory_gb:.0} GB",
                    mb * 747_003.0,
                    mb * 1024.0,
                    thousands(angles * frames * frames)
                )
            }
        };
        self.unavailable
            .insert(format!("python_homodyne {case}"), reason);
        Ok(())
    }

    /// `homodyne xpcs --demo SIZE --quiet --output-dir DIR` as the run `key`, `size` the
    /// flags of the demo's size, its record read from the output files in `dir`.
    fn measure_demo(&mut self, key: Key, size: &[&str], dir: &Path) {
        let cli = self.homodyne_cli.clone();
        let mut args = strings(&["xpcs", "--demo"]);
        args.extend(strings(size));
        args.extend(strings(&[
            "--quiet",
            "--output-dir",
            &dir.to_string_lossy(),
        ]));
        let read = |stdout: &str| read_xpcs_run(stdout, dir, None);
        self.measure(key, &cli, &args, None, Some(&read));
    }

    pub(super) fn xpcs_runs(&self, case: &str, tool: &str) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == case && r.tool == tool)
            .collect()
    }

    pub(super) fn xpcs_tables(&self, md: &mut String) {
        let mut cases: Vec<String> = Vec::new();
        for r in self
            .runs
            .iter()
            .filter(|r| r.tool.ends_with("homodyne_xpcs") || r.tool == "python_homodyne")
        {
            if !cases.contains(&r.case) {
                cases.push(r.case.clone());
            }
        }
        if cases.is_empty() {
            return;
        }
        md.push_str(
            "\n## XPCS two-time correlation fits\n\n\
             | case | tool | end to end (median) | output writing (median) | peak RSS | iterations | converged | largest physical-parameter error (in standard errors) | package time / homodyne |\n\
             |---|---|---:|---:|---:|---:|---|---:|---:|\n",
        );
        for case in &cases {
            for tool in ["homodyne_xpcs", "python_homodyne"] {
                let runs = self.xpcs_runs(case, tool);
                if runs.is_empty() {
                    if tool == "python_homodyne" {
                        let key = format!("python_homodyne {case}");
                        let reason = self
                            .unavailable
                            .get(&key)
                            .or_else(|| self.unavailable.get("python_homodyne"))
                            .cloned()
                            .unwrap_or_else(|| "not run".to_owned());
                        let _ = writeln!(md, "| {case} | Python homodyne | {reason} | | | | | | |");
                        if !self.quick {
                            let _ = writeln!(
                                md,
                                "| {case} | scipy, nlsq | not run: {XPCS_PEERS_REASON} | | | | | | |"
                            );
                        }
                    }
                    continue;
                }
                let record = last_record(&runs);
                let ratio = if tool == "python_homodyne" {
                    let size = runs[0].size;
                    self.pairwise_ratio(case, size, "homodyne_xpcs", tool, |r| {
                        Some(r.process_seconds)
                    })
                } else {
                    None
                };
                let _ = writeln!(
                    md,
                    "| {case} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    label(tool),
                    fmt_s(median(
                        runs.iter()
                            .filter(|r| r.failure.is_none())
                            .map(|r| r.process_seconds)
                    )),
                    fmt_s(median(
                        runs.iter()
                            .filter_map(|r| r.record["output_seconds"].as_f64())
                    )),
                    fmt_mb(median(runs.iter().filter_map(|r| r.peak_rss_mb))),
                    fmt_count(&record["iterations"]),
                    status_of(&runs),
                    record["worst_z"]
                        .as_f64()
                        .map_or("n/a".to_owned(), |z| if z < 1e3 {
                            format!("{z:.1}")
                        } else {
                            format!("{z:.1e}")
                        }),
                    fmt_ratio(ratio)
                );
                if tool == "python_homodyne" {
                    let _ = writeln!(
                        md,
                        "| {case} | scipy, nlsq | not run: {XPCS_PEERS_REASON} | | | | | | |"
                    );
                }
            }
        }
    }

    /// Runs that report convergence without having fitted: no iterations, and parameters
    /// more than 3 standard errors from the truth.
    pub(super) fn unfitted_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for r in &self.runs {
            let record = &r.record;
            if record["converged"].as_bool() == Some(true)
                && record["iterations"].as_u64() == Some(0)
                && record["worst_z"].as_f64().is_some_and(|z| z > 3.0)
            {
                let note = format!(
                    "{} on {}: reported converged after 0 iterations; its parameters are its \
                     start, {:.1e} standard errors from the truth (the failure XPCS.md \
                     describes for 100k-1M points and several angles)",
                    label(&r.tool),
                    r.case,
                    record["worst_z"].as_f64().unwrap_or(f64::NAN)
                );
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
        notes
    }
}

/// The record of a `homodyne xpcs` run: [`read_xpcs_outputs`] of its output folder `dir`,
/// with `output_seconds`, the time it reports for writing its outputs
/// ([`output_seconds`]), read from its `stdout`.
fn read_xpcs_run(stdout: &str, dir: &Path, truth: Option<&Value>) -> Value {
    let mut record = read_xpcs_outputs(dir, truth);
    if let Some(fields) = record.as_object_mut() {
        fields.insert("output_seconds".to_owned(), json!(output_seconds(stdout)));
    }
    record
}

/// The seconds `homodyne xpcs` reports for writing its result files and plots, read from
/// its stdout: the line `wrote N files, H heatmaps and C one-time cut plots to DIR in X s`.
/// `None` when no such line is there.
pub(super) fn output_seconds(stdout: &str) -> Option<f64> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("wrote "))
        .find_map(|line| {
            let (_, seconds) = line.rsplit_once(" in ")?;
            seconds.strip_suffix(" s")?.trim().parse::<f64>().ok()
        })
        .filter(|s| s.is_finite())
}

/// The record of an XPCS run from its output files (either program's: the same keys):
/// converged, iterations and, with the truth, the largest error of a physical parameter
/// in its standard errors.
fn read_xpcs_outputs(dir: &Path, truth: Option<&Value>) -> Value {
    let nlsq = dir.join("nlsq");
    let Some(parameters) = read_json(&nlsq.join("parameters.json")) else {
        return Value::Null;
    };
    let analysis = read_json(&nlsq.join("analysis_results_nlsq.json")).unwrap_or(Value::Null);
    let summary = &analysis["optimization_summary"];
    let worst_z = truth.and_then(|t| t["truth"].as_object()).map(|truth| {
        truth
            .iter()
            .filter_map(|(name, value)| {
                let p = &parameters["parameters"][name];
                let (v, u, t) = (
                    p["value"].as_f64()?,
                    p["uncertainty"].as_f64()?,
                    value.as_f64()?,
                );
                Some(((v - t) / u).abs())
            })
            .fold(0.0, f64::max)
    });
    json!({
        "converged": parameters["convergence_status"].as_str() == Some("converged"),
        "iterations": summary["iterations"],
        "message": parameters["convergence_status"],
        "worst_z": worst_z,
        "chi_squared": parameters["chi_squared"],
        "parameters": parameters["parameters"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_writing_time_is_read_from_the_wrote_line() {
        let stdout = "homodyne xpcs --demo: laminar flow, 23 angles x 1001 frames\n\
             fit: converged (xtol) in 3.61 s, 12 iterations\n\
             wrote 5 files, 23 heatmaps and 23 one-time cut plots to out/nlsq in 0.84 s\n";
        assert_eq!(output_seconds(stdout), Some(0.84));
        assert_eq!(output_seconds("fit: converged in 3.61 s\n"), None);
        assert_eq!(output_seconds("wrote 5 files to a folder in it s\n"), None);
    }
}

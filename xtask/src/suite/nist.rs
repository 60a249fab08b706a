//! The 12 NIST StRD problems from both starts: LRE and time per fit of every tool, and
//! their tables.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::format::{fmt_mb, fmt_ratio, fmt_s, label};
use super::measure::Bench;
use super::runs::{Run, median};
use crate::workspace::Result;

/// In-process repeats of each NIST fit.
pub(super) const NIST_REPEATS: usize = 5;

pub(super) const PEER_NIST_TOOLS: [&str; 3] = ["scipy_trf", "scipy_curve_fit", "nlsq_curve_fit"];

/// Why `nlsq.curve_fit_large` has no NIST row.
pub(super) const NIST_LARGE_REASON: &str = "below 10^6 points it hands the fit to nlsq.curve_fit, whose \
    row this is";

impl Bench {
    /// The 12 NIST problems from both starts, one process per tool.
    pub(super) fn nist(&mut self, python: Option<&Path>) -> Result<()> {
        let dir = homodyne_nist_dir(&self.root);
        let dir = dir.to_string_lossy().into_owned();
        let repeats = if self.quick { 1 } else { NIST_REPEATS }.to_string();
        let rest = ["--data-dir", &dir, "--repeats", &repeats];
        self.measure_fits(python, &PEER_NIST_TOOLS, ("nist", 24, 0), &rest);
        Ok(())
    }

    pub(super) fn nist_tables(&self, md: &mut String) {
        let runs: Vec<&Run> = self.runs.iter().filter(|r| r.case == "nist").collect();
        if runs.is_empty() {
            return;
        }
        md.push_str("\n## NIST StRD, 12 problems x 2 starts\n\n");
        md.push_str("| tool | runs at LRE >= 6 | >= 4 | median time per fit | time / homodyne trf (median over fits) | peak RSS |\n|---|---:|---:|---:|---:|---:|\n");
        let reference = runs.iter().find(|r| r.tool == "homodyne_trf");
        for run in &runs {
            let (six, four, total) = nist_counts(run);
            let times = nist_times(run);
            let ratio = reference.and_then(|reference| {
                let ours = nist_times(reference);
                median(times.iter().filter_map(|(k, t)| ours.get(k).map(|o| t / o)))
            });
            let _ = writeln!(
                md,
                "| {} | {six} of {total} | {four} | {} | {} | {} |",
                label(&run.tool),
                fmt_s(median(times.values().copied())),
                if run.tool == "homodyne_trf" {
                    "".to_owned()
                } else {
                    fmt_ratio(ratio)
                },
                fmt_mb(run.peak_rss_mb)
            );
            if let Some(f) = &run.failure {
                let _ = writeln!(md, "| {} | failed: {f} | | | | |", label(&run.tool));
            }
        }
        if !self.quick {
            let _ = writeln!(
                md,
                "| {} | not run: {NIST_LARGE_REASON} | | | | |",
                label("nlsq_curve_fit_large")
            );
        }
        md.push_str("\nLowest LRE per run (problem, start 1 / start 2):\n\n| problem |");
        for run in &runs {
            let _ = write!(md, " {} |", label(&run.tool));
        }
        md.push_str("\n|---|");
        md.push_str(&"---:|".repeat(runs.len()));
        md.push('\n');
        let names: Vec<String> = runs[0].record["results"]
            .as_array()
            .map(|a| {
                let mut names: Vec<String> = Vec::new();
                for r in a {
                    if let Some(p) = r["problem"].as_str()
                        && !names.iter().any(|n| n == p)
                    {
                        names.push(p.to_owned());
                    }
                }
                names
            })
            .unwrap_or_default();
        for name in names {
            let _ = write!(md, "| {name} |");
            for run in &runs {
                let lre = |start: u64| {
                    run.record["results"]
                        .as_array()
                        .and_then(|a| {
                            a.iter().find(|r| {
                                r["problem"].as_str() == Some(name.as_str())
                                    && r["start"].as_u64() == Some(start)
                            })
                        })
                        .and_then(|r| r["lre"].as_f64())
                        .map_or("n/a".to_owned(), |l| format!("{l:.1}"))
                };
                let _ = write!(md, " {} / {} |", lre(1), lre(2));
            }
            md.push('\n');
        }
    }
}

/// The NIST files shipped with the homodyne crate.
fn homodyne_nist_dir(root: &Path) -> PathBuf {
    root.join("crates/homodyne/tests/data/nist")
}

/// (runs at LRE >= 6, at >= 4, runs) of a NIST process.
pub(super) fn nist_counts(run: &Run) -> (usize, usize, usize) {
    let results = run.record["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lre = |r: &Value| r["lre"].as_f64().unwrap_or(0.0);
    (
        results.iter().filter(|r| lre(r) >= 6.0).count(),
        results.iter().filter(|r| lre(r) >= 4.0).count(),
        results.len(),
    )
}

/// Median seconds per (problem, start) of a NIST process.
fn nist_times(run: &Run) -> BTreeMap<(String, u64), f64> {
    run.record["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                (r["problem"].as_str()?.to_owned(), r["start"].as_u64()?),
                r["seconds"].as_f64()?,
            ))
        })
        .collect()
}

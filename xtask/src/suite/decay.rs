//! The exponential model `y = a exp(-b x) + c` at 1e4 to 1e7 points: homodyne TRF and LM
//! against scipy and nlsq on the same data files, and its table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::format::{fmt_count, fmt_mb, fmt_ratio, fmt_s, label, thousands};
use super::measure::{Bench, REPEATS};
use super::runs::{Run, last_record, median, status_of};
use crate::workspace::Result;

/// Point counts of the exponential model in a full run, and in a quick one.
const DECAY_SIZES: [usize; 4] = [10_000, 100_000, 1_000_000, 10_000_000];
const QUICK_DECAY_SIZES: [usize; 2] = [10_000, 100_000];

/// The point counts of the exponential model in a quick run, or else in a full one.
pub(super) fn decay_sizes(quick: bool) -> &'static [usize] {
    if quick {
        &QUICK_DECAY_SIZES
    } else {
        &DECAY_SIZES
    }
}

/// The peers of the exponential model and of the NIST problems.
pub(super) const PEER_DECAY_TOOLS: [&str; 4] = [
    "scipy_trf",
    "scipy_curve_fit",
    "nlsq_curve_fit",
    "nlsq_curve_fit_large",
];

impl Bench {
    /// Writes the exponential model's data at `n` points, `decay_{n}.f64` (`bench_case
    /// write-decay`: `n` values of x, then `n` of y, little-endian float64); returns its path.
    pub(super) fn write_decay(&self, n: usize) -> Result<PathBuf> {
        let file = self.data.join(format!("decay_{n}.f64"));
        let written = Command::new(&self.bench_case)
            .args(["write-decay", "--n", &n.to_string(), "--out"])
            .arg(&file)
            .stdout(Stdio::null())
            .status()?;
        if !written.success() {
            return Err(format!("cannot write {}", file.display()).into());
        }
        Ok(file)
    }

    /// The exponential model at every size, every tool, repeats interleaved.
    pub(super) fn decay(&mut self, python: Option<&Path>) -> Result<()> {
        let sizes = decay_sizes(self.quick);
        let repeats = if self.quick { 1 } else { REPEATS };
        for &n in sizes {
            let data = self.write_decay(n)?.to_string_lossy().into_owned();
            for repeat in 0..repeats {
                let key = ("decay", n, repeat);
                self.measure_fits(python, &PEER_DECAY_TOOLS, key, &["--data", &data]);
            }
        }
        Ok(())
    }

    /// The (tool, size) pairs of the exponential model, in table order.
    pub(super) fn decay_keys(&self) -> Vec<(String, usize)> {
        let mut keys: Vec<(String, usize)> = Vec::new();
        for r in self.runs.iter().filter(|r| r.case == "decay") {
            if !keys.iter().any(|(t, n)| *t == r.tool && *n == r.size) {
                keys.push((r.tool.clone(), r.size));
            }
        }
        keys
    }

    pub(super) fn decay_runs(&self, tool: &str, n: usize) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == "decay" && r.tool == tool && r.size == n)
            .collect()
    }

    pub(super) fn decay_tables(&self, md: &mut String) {
        let keys = self.decay_keys();
        if keys.is_empty() {
            return;
        }
        md.push_str(
            "\n## Exponential model `y = a exp(-b x) + c`\n\n\
             | points | tool | fit (median) | process | peak RSS | iterations / nfev | cost | error vs truth | status | time / homodyne trf |\n\
             |---:|---|---:|---:|---:|---:|---:|---:|---|---:|\n",
        );
        for (tool, n) in &keys {
            let runs = self.decay_runs(tool, *n);
            let record = last_record(&runs);
            let error = decay_error(record);
            let ratio = if tool == "homodyne_trf" {
                None
            } else {
                self.pairwise_ratio("decay", *n, "homodyne_trf", tool, Run::seconds)
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} |",
                thousands(*n),
                label(tool),
                fmt_s(median(runs.iter().filter_map(|r| r.seconds()))),
                fmt_s(median(runs.iter().map(|r| r.process_seconds))),
                fmt_mb(median(runs.iter().filter_map(|r| r.peak_rss_mb))),
                fmt_count(&record["iterations"]),
                fmt_count(&record["nfev"]),
                record["cost"]
                    .as_f64()
                    .map_or("n/a".to_owned(), |c| format!("{c:.6}")),
                error.map_or("n/a".to_owned(), |e| format!("{e:.1e}")),
                status_of(&runs),
                fmt_ratio(ratio)
            );
        }
    }
}

/// The largest relative error of a parameter of the exponential model in `record` against
/// the truth the data were made with, `(a, b, c) = (2.5, 1.3, 0.5)`, or `None` when the
/// record has no parameters.
pub(super) fn decay_error(record: &Value) -> Option<f64> {
    let truth = [2.5, 1.3, 0.5];
    record["parameters"].as_array().map(|p| {
        p.iter()
            .zip(truth)
            .filter_map(|(v, t)| v.as_f64().map(|v| ((v - t) / t).abs()))
            .fold(0.0, f64::max)
    })
}

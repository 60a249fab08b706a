//! The measured runs: which run ([`Key`]), what it gave ([`Run`]), and how runs are
//! summarised (status, median) and their JSON records read.

use std::path::Path;

use serde_json::{Value, json};

/// Which run: the tool, the case, its size (points or runs) and the repeat.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key<'a> {
    pub(super) tool: &'a str,
    pub(super) case: &'a str,
    pub(super) size: usize,
    pub(super) repeat: usize,
}

/// One tool's run of one case, as measured.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub(super) tool: String,
    pub(super) case: String,
    pub(super) size: usize,
    pub(super) repeat: usize,
    /// Wall time of the whole process, seconds.
    pub(super) process_seconds: f64,
    /// Peak resident set size of the process (`/usr/bin/time`), else as it reported it.
    pub(super) peak_rss_mb: Option<f64>,
    /// The record the process printed (its last line of stdout, JSON), or built from its
    /// output files.
    pub(super) record: Value,
    /// Why the run gave no result: the time limit, a failed start, a crash.
    pub(super) failure: Option<String>,
}

impl Run {
    /// The tool's own timing of the fit (or of the whole program for the XPCS cases).
    pub(super) fn seconds(&self) -> Option<f64> {
        self.record["fit_seconds"].as_f64()
    }

    /// Whether the run gave its result: every fit converged; for a NIST process, that it
    /// reported every problem (each one's score is judged by its LRE).
    pub(super) fn converged(&self) -> bool {
        self.failure.is_none()
            && match self.record["results"].as_array() {
                Some(results) => !results.is_empty(),
                None => self.record["converged"].as_bool() == Some(true),
            }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "tool": self.tool, "case": self.case, "size": self.size, "repeat": self.repeat,
            "process_seconds": self.process_seconds, "peak_rss_mb": self.peak_rss_mb,
            "failure": self.failure, "record": self.record,
        })
    }
}

/// `ok` when every run converged, else what went wrong, once per distinct reason.
pub(super) fn status_of(runs: &[&Run]) -> String {
    let mut reasons: Vec<String> = Vec::new();
    for r in runs {
        let reason = match &r.failure {
            Some(f) => f.clone(),
            None if r.converged() => continue,
            None => format!(
                "not converged: {}",
                r.record["message"].as_str().unwrap_or("?")
            ),
        };
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    if runs.is_empty() {
        "not run".to_owned()
    } else if reasons.is_empty() {
        "ok".to_owned()
    } else {
        reasons.join("; ")
    }
}

/// The median of `values` (the lower middle for an even count), or `None` when empty.
pub(super) fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

/// A JSON file (NaN written by Python read as null), or `None`.
pub(super) fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text.replace("NaN", "null")).ok()
}

/// The record of the last of `runs` that has one, else null.
pub(super) fn last_record<'a>(runs: &[&'a Run]) -> &'a Value {
    runs.iter()
        .rev()
        .find(|r| !r.record.is_null())
        .map_or(&Value::Null, |r| &r.record)
}

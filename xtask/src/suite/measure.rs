//! [`Bench`]: what a run of the suite needs (folders, binaries, the tools that measure)
//! and the runs it measured; [`Bench::measure`] runs one command as one measured run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use super::mode::Mode;
use super::revision::Revision;
use super::runs::{Key, Run, median};

/// Repeats of each end-to-end run (full mode; quick mode runs each once).
pub(super) const REPEATS: usize = 3;

/// The longest a single run may take before it is stopped and reported as such: 30
/// minutes, twice the longest run measured (xpcsjax's laminar 3 x 500 fit, 12 to 15
/// minutes on 2 shared cores).
pub(super) const TIME_LIMIT_S: u64 = 1800;

/// What a run needs: folders, the binaries, and how to measure.
pub(super) struct Bench {
    pub(super) root: PathBuf,
    pub(super) out: PathBuf,
    pub(super) data: PathBuf,
    pub(super) mode: Mode,
    /// `mode == Mode::Quick`.
    pub(super) quick: bool,
    pub(super) bench_case: PathBuf,
    pub(super) homodyne_cli: PathBuf,
    /// The example `streaming_hdf5` of the homodyne crate.
    pub(super) streaming_hdf5: PathBuf,
    /// The baseline revision's `bench_case`, where it was built.
    pub(super) baseline: Option<Revision>,
    /// `/usr/bin/time` is there to measure peak memory.
    pub(super) time_v: bool,
    /// `timeout` is there to stop a run at the time limit.
    pub(super) timeout: bool,
    pub(super) runs: Vec<Run>,
    /// Tools that could not run at all, with the reason.
    pub(super) unavailable: BTreeMap<String, String>,
    pub(super) notes: Vec<String>,
}

impl Bench {
    /// Runs `command` as one measured run: under `timeout` and `/usr/bin/time` where they
    /// exist, its record the last line of its stdout that is a JSON object, or what
    /// `record_of` makes of its stdout (and of its output files).
    pub(super) fn measure(
        &mut self,
        key: Key,
        program: &Path,
        args: &[String],
        cwd: Option<&Path>,
        record_of: Option<&dyn Fn(&str) -> Value>,
    ) -> Run {
        let Key {
            tool,
            case,
            size,
            repeat,
        } = key;
        let rss_file = self.out.join("rss.txt");
        let _ = std::fs::remove_file(&rss_file);
        let mut command = if self.time_v {
            let mut c = Command::new("/usr/bin/time");
            c.arg("-f").arg("%M").arg("-o").arg(&rss_file);
            c
        } else {
            Command::new(if self.timeout { "timeout" } else { "env" })
        };
        if self.timeout {
            if self.time_v {
                command.arg("timeout");
            }
            command.args(["--kill-after=10", &TIME_LIMIT_S.to_string()]);
        }
        command.arg(program).args(args);
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        eprintln!("xtask: {tool} {case} {size} (run {})", repeat + 1);
        let started = Instant::now();
        let output = command.stdin(Stdio::null()).stderr(Stdio::piped()).output();
        let process_seconds = started.elapsed().as_secs_f64();
        let peak_rss_mb = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|s| s.lines().last().and_then(|l| l.trim().parse::<f64>().ok()))
            .map(|kb| kb / 1024.0);
        let (record, failure) = match output {
            Err(e) => (
                Value::Null,
                Some(format!("cannot start {}: {e}", program.display())),
            ),
            Ok(output) => {
                let code = output.status.code();
                let stdout = String::from_utf8_lossy(&output.stdout);
                let record = match record_of {
                    Some(read) => read(&stdout),
                    None => stdout
                        .lines()
                        .rev()
                        .find(|l| l.trim_start().starts_with('{'))
                        .and_then(|l| serde_json::from_str(l).ok())
                        .unwrap_or(Value::Null),
                };
                let failure = if code == Some(124) || code == Some(137) {
                    Some(format!("stopped at the time limit of {TIME_LIMIT_S} s"))
                } else if !output.status.success() {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
                    Some(format!(
                        "exit status {}: {}",
                        code.map_or_else(|| "signal".to_owned(), |c| c.to_string()),
                        last.unwrap_or("").trim()
                    ))
                } else if record.is_null() {
                    Some("no result record".to_owned())
                } else {
                    None
                };
                (record, failure)
            }
        };
        let peak_rss_mb = peak_rss_mb.or_else(|| record["peak_rss_mb"].as_f64());
        let run = Run {
            tool: tool.to_owned(),
            case: case.to_owned(),
            size,
            repeat,
            process_seconds,
            peak_rss_mb,
            record,
            failure,
        };
        if let Some(f) = &run.failure {
            eprintln!("xtask:   {f}");
        }
        self.runs.push(run.clone());
        run
    }

    /// One repeat of the fits of `case` at `size` (the `key`): homodyne's TRF and LM
    /// (`bench_case CASE --method METHOD REST`), then, with the peers' `python`, each tool
    /// of `peers` (`bench/peers.py CASE --tool TOOL REST`), `rest` the arguments of the
    /// data.
    pub(super) fn measure_fits(
        &mut self,
        python: Option<&Path>,
        peers: &[&str],
        (case, size, repeat): (&str, usize, usize),
        rest: &[&str],
    ) {
        let bench_case = self.bench_case.clone();
        for method in ["trf", "lm"] {
            let mut args = strings(&[case, "--method", method]);
            args.extend(strings(rest));
            let tool = format!("homodyne_{method}");
            let key = Key {
                tool: &tool,
                case,
                size,
                repeat,
            };
            self.measure(key, &bench_case, &args, None, None);
        }
        let Some(python) = python else {
            return;
        };
        let script = self.root.join("bench").join("peers.py");
        for &tool in peers {
            let mut args = vec![script.to_string_lossy().into_owned()];
            args.extend(strings(&[case, "--tool", tool]));
            args.extend(strings(rest));
            let key = Key {
                tool,
                case,
                size,
                repeat,
            };
            self.measure(key, python, &args, None, None);
        }
    }

    /// The median over repeats of `peer / reference` for one case and size, pairing the
    /// runs of the same repeat.
    pub(super) fn pairwise_ratio(
        &self,
        case: &str,
        size: usize,
        reference: &str,
        peer: &str,
        seconds: fn(&Run) -> Option<f64>,
    ) -> Option<f64> {
        let of = |tool: &str| -> BTreeMap<usize, f64> {
            self.runs
                .iter()
                .filter(|r| r.case == case && r.size == size && r.tool == tool)
                .filter(|r| r.failure.is_none())
                .filter_map(|r| seconds(r).map(|s| (r.repeat, s)))
                .collect()
        };
        let (ours, theirs) = (of(reference), of(peer));
        median(
            ours.iter()
                .filter_map(|(k, a)| theirs.get(k).map(|b| b / a)),
        )
    }
}

#[cfg(test)]
impl Bench {
    /// A bench of `mode` with no runs, nothing on disk and no tools, for the tests of the
    /// tables and goals.
    pub(super) fn empty(mode: Mode) -> Self {
        Self {
            root: PathBuf::from("/nonexistent"),
            out: PathBuf::from("/nonexistent"),
            data: PathBuf::from("/nonexistent"),
            mode,
            quick: mode == Mode::Quick,
            bench_case: PathBuf::from("/nonexistent/bench_case"),
            homodyne_cli: PathBuf::from("/nonexistent/homodyne"),
            streaming_hdf5: PathBuf::from("/nonexistent/streaming_hdf5"),
            baseline: None,
            time_v: false,
            timeout: false,
            runs: Vec::new(),
            unavailable: BTreeMap::new(),
            notes: Vec::new(),
        }
    }
}

pub(super) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

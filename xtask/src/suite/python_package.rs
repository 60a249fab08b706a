//! The Python package `homodyne_rs` against scipy's `curve_fit` with the same numpy
//! callable: a step of `cargo xtask bench` (full mode; alone with `--only python`).
//!
//! What a scientist gains by changing the import line of a `curve_fit` call (issue 18):
//! `y = a exp(-b x) + c` on the exponential model's data files (`decay_{n}.f64`, the ones
//! of the rest of the suite) at 1e6 and 1e7 points, from `p0 = (1, 1, 0)`, every fit in
//! its own process (`bench/python_package.py`) under [`Bench::measure`], the three tools
//! interleaved (A, B, C, A, B, C, ...) [`REPEATS`] times:
//! - `homodyne_rs_callable`: `homodyne_rs.curve_fit(model, x, y, p0=p0,
//!   full_output=True)`, the model the numpy callable `a * np.exp(-b * x) + c`, called by
//!   homodyne_rs on blocks of its default size (views of `x`), forward differences;
//! - `homodyne_rs_formula`: `homodyne_rs.curve_fit("a*exp(-b*x)+c", ...)`, the formula
//!   in Rust with exact derivatives;
//! - `scipy_curve_fit_callable`: `scipy.optimize.curve_fit` with the very same callable at
//!   its defaults (method 'lm', MINPACK, forward differences, every call on all points).
//!
//! The callable counts its calls and the points it is given, so the report gives each
//! tool's callable calls and points evaluated next to its time and peak memory.
//!
//! Before the runs, `pip install --no-deps --force-reinstall ./crates/homodyne-py` puts the
//! working tree's package into the peers' venv `target/pyvenv-bench` (scipy pinned by
//! `bench/requirements-peers.txt`); maturin builds it in the release profile (tens of
//! seconds when nothing changed; its output goes to
//! `target/bench-report/python_package_install.log`). When the venv cannot be made or the
//! install fails, the three tools are reported as not run, with the reason, and the suite
//! goes on.
//!
//! Each ratio is the median of the per-repeat ratios, and the goals of issue 18 are judged
//! at 1e7 points:
//!
//! ```text
//! time:     t(scipy, callable) / t(homodyne_rs, callable)   >= 2
//! memory:   RSS(homodyne_rs, callable) / RSS(scipy, callable) <= 1/3
//! formula:  t(scipy, callable) / t(homodyne_rs, formula)    >= 15
//! ```

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::decay::decay_error;
use super::format::{fmt_count, fmt_mb, fmt_ratio, fmt_s, label, thousands};
use super::measure::{Bench, REPEATS, strings};
use super::runs::{Key, Run, last_record, median, status_of};

/// The case name of these runs in `results.json`.
pub(super) const CASE: &str = "python_package";
/// `homodyne_rs.curve_fit` with the numpy callable.
const CALLABLE: &str = "homodyne_rs_callable";
/// `homodyne_rs.curve_fit` with the formula string.
const FORMULA: &str = "homodyne_rs_formula";
/// `scipy.optimize.curve_fit` with the numpy callable.
const SCIPY: &str = "scipy_curve_fit_callable";
/// The tools, in the order each repeat runs them.
pub(super) const TOOLS: [&str; 3] = [CALLABLE, FORMULA, SCIPY];
/// Point counts of the comparison.
const SIZES: [usize; 2] = [1_000_000, 10_000_000];
/// The point count the goals are judged at.
const GOAL_SIZE: usize = 10_000_000;
/// Goal: scipy's time over homodyne_rs's with the same callable, at least.
const TIME_GOAL: f64 = 2.0;
/// Goal: homodyne_rs's peak RSS over scipy's with the same callable, at most.
const MEMORY_GOAL: f64 = 1.0 / 3.0;
/// Goal: scipy's time with the callable over homodyne_rs's with the formula, at least.
const FORMULA_GOAL: f64 = 15.0;

/// The report's "How it measures" line of this step.
pub(super) const HOW_IT_MEASURES: &str = "- homodyne_rs from Python: \
     `bench/python_package.py`, each `curve_fit(..., full_output=True)` call timed alone \
     (`fit`) in its own process (`process`: the whole process, imports included) on the \
     exponential model's data files (`homodyne_testkit::example::decay` with noise 0.01); error is \
     the largest relative error of a parameter against the truth (2.5, 1.3, 0.5). The \
     callable `a * np.exp(-b * x) + c` counts its calls and the points it is given. \
     homodyne_rs computes `infodict['fvec']` only when it is read, which the script does \
     not do. The goals of issue 18 are judged at 10,000,000 points.\n";

impl Bench {
    /// The Python package's runs: installs `homodyne_rs` into the peers' venv `python`,
    /// then runs the three tools at every size, repeats interleaved. Without a venv, or
    /// when the install fails, the tools are recorded as not run with the reason.
    pub(super) fn python_package(&mut self, python: Option<&Path>) -> crate::workspace::Result<()> {
        let Some(python) = python else {
            let reason = self.unavailable.get("scipy_curve_fit").map_or_else(
                || "the peers' venv target/pyvenv-bench could not be made".to_owned(),
                |why| format!("the peers' venv target/pyvenv-bench could not be made: {why}"),
            );
            self.python_package_not_run(&reason);
            return Ok(());
        };
        if let Err(reason) = self.install_package(python) {
            self.python_package_not_run(&reason);
            return Ok(());
        }
        let script = self.root.join("bench").join("python_package.py");
        let script = script.to_string_lossy().into_owned();
        for n in SIZES {
            let data = self.write_decay(n)?.to_string_lossy().into_owned();
            for repeat in 0..REPEATS {
                for tool in TOOLS {
                    let args = strings(&[&script, "--tool", tool, "--data", &data]);
                    let key = Key {
                        tool,
                        case: CASE,
                        size: n,
                        repeat,
                    };
                    self.measure(key, python, &args, None, None);
                }
            }
        }
        Ok(())
    }

    /// Records the three tools as not run, for `reason`.
    fn python_package_not_run(&mut self, reason: &str) {
        eprintln!("xtask: homodyne_rs not measured: {reason}");
        for tool in TOOLS {
            self.unavailable.insert(tool.to_owned(), reason.to_owned());
        }
    }

    /// `pip install ./crates/homodyne-py` into the venv of `python`, then a check that
    /// `homodyne_rs` and scipy import there; the reason when either fails.
    fn install_package(&self, python: &Path) -> Result<(), String> {
        let log = self.out.join("python_package_install.log");
        eprintln!(
            "xtask: pip install ./crates/homodyne-py into {} (maturin, release profile)",
            python
                .parent()
                .and_then(Path::parent)
                .unwrap_or(python)
                .display()
        );
        let output = Command::new(python)
            .args(["-m", "pip", "install", "--no-deps", "--force-reinstall"])
            .arg("./crates/homodyne-py")
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {} -m pip: {e}", python.display()))?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        // The log is a convenience; a failure to write it must not hide the install's.
        let _ = std::fs::write(&log, &text);
        if !output.status.success() {
            return Err(format!(
                "pip install ./crates/homodyne-py failed ({}; its output is in {}): {}",
                output.status,
                log.display(),
                last_line(&String::from_utf8_lossy(&output.stderr))
            ));
        }
        let check = Command::new(python)
            .args(["-c", "import homodyne_rs, scipy.optimize"])
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !check.status.success() {
            return Err(format!(
                "homodyne_rs was installed, but `import homodyne_rs, scipy.optimize` fails: {}",
                last_line(&String::from_utf8_lossy(&check.stderr))
            ));
        }
        Ok(())
    }

    /// This step's runs of `tool` at `n` points.
    fn python_package_runs(&self, tool: &str, n: usize) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == CASE && r.tool == tool && r.size == n)
            .collect()
    }

    /// The point counts this step ran, ascending.
    fn python_package_sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self
            .runs
            .iter()
            .filter(|r| r.case == CASE)
            .map(|r| r.size)
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    /// The three ratios at `n` points, each the median of the per-repeat ratios: scipy's
    /// time over the callable's, the callable's peak RSS over scipy's, scipy's time over
    /// the formula's.
    fn python_package_ratios(&self, n: usize) -> [Option<f64>; 3] {
        let rss: fn(&Run) -> Option<f64> = |r| r.peak_rss_mb;
        [
            self.pairwise_ratio(CASE, n, CALLABLE, SCIPY, Run::seconds),
            self.pairwise_ratio(CASE, n, SCIPY, CALLABLE, rss),
            self.pairwise_ratio(CASE, n, FORMULA, SCIPY, Run::seconds),
        ]
    }

    /// The headline rows: at the largest size run, the callable's time and peak memory
    /// against scipy's, and the formula's time against scipy's (peer / homodyne_rs, as the
    /// headline's other rows).
    pub(super) fn python_package_headline(&self, md: &mut String) {
        let Some(&n) = self.python_package_sizes().last() else {
            return;
        };
        // The median of `value` over the runs of `tool`, as `format` writes it; why they
        // failed where none gave a value.
        let shown =
            |tool: &str, value: fn(&Run) -> Option<f64>, format: fn(Option<f64>) -> String| {
                let runs = self.python_package_runs(tool, n);
                format(median(runs.iter().filter_map(|r| value(r))))
                    .replace("n/a", status_of(&runs).as_str())
            };
        let scipy_over_callable_rss =
            self.pairwise_ratio(CASE, n, CALLABLE, SCIPY, |r| r.peak_rss_mb);
        let [time_ratio, _, formula_ratio] = self.python_package_ratios(n);
        let points = thousands(n);
        let time = |tool| shown(tool, Run::seconds, fmt_s);
        let memory = |tool| shown(tool, |r| r.peak_rss_mb, fmt_mb);
        let memory_goal = format!("{:.0}", 1.0 / MEMORY_GOAL);
        let rows = [
            (
                "numpy callable",
                "fit",
                time(CALLABLE),
                time(SCIPY),
                time_ratio,
                TIME_GOAL.to_string(),
            ),
            (
                "numpy callable",
                "peak RSS",
                memory(CALLABLE),
                memory(SCIPY),
                scipy_over_callable_rss,
                memory_goal,
            ),
            (
                "formula string",
                "fit",
                time(FORMULA),
                time(SCIPY),
                formula_ratio,
                FORMULA_GOAL.to_string(),
            ),
        ];
        for (input, what, ours, scipy, ratio, goal) in rows {
            let _ = writeln!(
                md,
                "| homodyne_rs curve_fit from Python, {input}, {points} points, {what} | {ours} | \
                 {}: {scipy} | {} (goal {goal}x) |",
                label(SCIPY),
                fmt_ratio(ratio)
            );
        }
    }

    /// The section of the report: every tool at every size, then the ratios and goals.
    pub(super) fn python_package_tables(&self, md: &mut String) {
        let sizes = self.python_package_sizes();
        if sizes.is_empty() {
            return;
        }
        let version = self
            .runs
            .iter()
            .find_map(|r| (r.case == CASE).then(|| r.record["versions"]["homodyne_rs"].as_str())?)
            .unwrap_or("?");
        let _ = write!(
            md,
            "\n## homodyne_rs from Python: `curve_fit` against scipy's, the same numpy callable\n\n\
             `y = a exp(-b x) + c` on the exponential model's data, from `p0 = (1, 1, 0)`; \
             homodyne_rs {version} installed by pip from `crates/homodyne-py`. The callable is \
             `a * np.exp(-b * x) + c`: homodyne_rs calls it on blocks of the data (its default \
             block size: `points per call`) with \
             forward differences, scipy (method 'lm', MINPACK, forward differences) on every \
             point at each call; the formula string runs in Rust with exact derivatives.\n\n\
             | points | tool | fit (median) | process | peak RSS | callable calls | points evaluated | points per call | nfev | error vs truth | status |\n\
             |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for &n in &sizes {
            for tool in TOOLS {
                let runs = self.python_package_runs(tool, n);
                if runs.is_empty() {
                    continue;
                }
                let record = last_record(&runs);
                let calls = if tool == FORMULA {
                    "0 (Rust)".to_owned()
                } else {
                    record["callable_calls"]
                        .as_u64()
                        .and_then(|c| usize::try_from(c).ok())
                        .map_or_else(|| "n/a".to_owned(), thousands)
                };
                let evaluated = record["points_evaluated"].as_u64();
                let points = evaluated
                    .and_then(|p| usize::try_from(p).ok())
                    .map_or_else(|| "n/a".to_owned(), thousands);
                let per_call = match (evaluated, record["callable_calls"].as_u64()) {
                    (Some(p), Some(c)) if c > 0 => {
                        thousands((p as f64 / c as f64).round() as usize)
                    }
                    _ => "".to_owned(),
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {calls} | {points} | {per_call} | {} | {} | {} |",
                    thousands(n),
                    label(tool),
                    fmt_s(median(runs.iter().filter_map(|r| r.seconds()))),
                    fmt_s(median(runs.iter().map(|r| r.process_seconds))),
                    fmt_mb(median(runs.iter().filter_map(|r| r.peak_rss_mb))),
                    fmt_count(&record["nfev"]),
                    decay_error(record).map_or("n/a".to_owned(), |e| format!("{e:.1e}")),
                    status_of(&runs)
                );
            }
        }
        let goal_size = thousands(GOAL_SIZE);
        let _ = write!(
            md,
            "\n| points | fit time, scipy / homodyne_rs callable (goal >= {TIME_GOAL} at \
             {goal_size}) | peak RSS, homodyne_rs callable / scipy (goal <= 1/{:.0} at \
             {goal_size}) | fit time, scipy callable / homodyne_rs formula (goal >= \
             {FORMULA_GOAL} at {goal_size}) |\n|---:|---:|---:|---:|\n",
            1.0 / MEMORY_GOAL
        );
        for &n in &sizes {
            let [time, memory, formula] = self.python_package_ratios(n);
            let judged = n == GOAL_SIZE;
            let _ = writeln!(
                md,
                "| {} | {}{} | {}{} | {}{} |",
                thousands(n),
                fmt_ratio(time),
                verdict(judged, time, |r| r >= TIME_GOAL),
                memory.map_or_else(|| "n/a".to_owned(), |m| format!("**{m:.2}**")),
                verdict(judged, memory, |r| r <= MEMORY_GOAL),
                fmt_ratio(formula),
                verdict(judged, formula, |r| r >= FORMULA_GOAL),
            );
        }
    }
}

/// ` (goal met)` or ` (goal not met)` after a ratio the goal is judged on, else nothing.
fn verdict(judged: bool, ratio: Option<f64>, meets: impl Fn(f64) -> bool) -> &'static str {
    match (judged, ratio) {
        (true, Some(r)) if meets(r) => " (goal met)",
        (true, Some(_)) => " (goal not met)",
        _ => "",
    }
}

/// The last non-empty line of a program's output, trimmed.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or("", str::trim)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::suite::mode::Mode;

    /// A bench of the Python package's step alone, with no runs.
    fn bench() -> Bench {
        Bench::empty(Mode::PythonPackage)
    }

    /// A converged run of `tool` at 1e7 points: `seconds` of fit, `rss` MB, `calls` calls.
    fn run(tool: &str, repeat: usize, seconds: f64, rss: f64, calls: u64) -> Run {
        Run {
            tool: tool.to_owned(),
            case: CASE.to_owned(),
            size: GOAL_SIZE,
            repeat,
            process_seconds: seconds + 0.5,
            peak_rss_mb: Some(rss),
            record: json!({
                "fit_seconds": seconds, "converged": true, "nfev": 7,
                "callable_calls": calls, "points_evaluated": calls * 10_000,
                "parameters": [2.5, 1.3, 0.5], "versions": {"homodyne_rs": "9.9.9"},
            }),
            failure: None,
        }
    }

    #[test]
    fn ratios_are_medians_of_per_repeat_ratios_and_goals_are_judged_at_1e7() {
        let mut bench = bench();
        // Repeat 1 is slow for every tool (a busy machine): per-repeat ratios ignore it.
        for (repeat, slow) in [(0, 1.0), (1, 3.0), (2, 1.0)] {
            bench
                .runs
                .push(run(CALLABLE, repeat, 1.0 * slow, 200.0, 1000));
            bench.runs.push(run(FORMULA, repeat, 0.2 * slow, 180.0, 0));
            bench.runs.push(run(SCIPY, repeat, 2.5 * slow, 800.0, 21));
        }
        let [time, memory, formula] = bench.python_package_ratios(GOAL_SIZE);
        assert_eq!(time, Some(2.5));
        assert_eq!(memory, Some(0.25));
        assert_eq!(formula, Some(12.5));
        let mut md = String::new();
        bench.python_package_tables(&mut md);
        assert!(md.contains("homodyne_rs 9.9.9"), "{md}");
        assert!(md.contains("| 1,000 | 10,000,000 | 10,000 |"), "{md}");
        assert!(md.contains("| 0 (Rust) | 0 |  |"), "{md}");
        assert!(
            md.contains(
                "| 10,000,000 | **2.5x** (goal met) | **0.25** (goal met) | **12.5x** (goal not met) |"
            ),
            "{md}"
        );
        let mut headline = String::new();
        bench.python_package_headline(&mut headline);
        assert!(headline.contains("| **4.0x** (goal 3x) |"), "{headline}");
    }

    #[test]
    fn without_a_venv_the_tools_are_not_run_with_the_reason() {
        let mut bench = bench();
        bench
            .unavailable
            .insert("scipy_curve_fit".to_owned(), "no Python 3.12".to_owned());
        bench.python_package(None).expect("no error without a venv");
        assert!(bench.runs.is_empty());
        for tool in TOOLS {
            let reason = &bench.unavailable[tool];
            assert!(reason.contains("target/pyvenv-bench") && reason.contains("no Python 3.12"));
        }
        let mut md = String::new();
        bench.python_package_tables(&mut md);
        assert!(md.is_empty());
    }
}

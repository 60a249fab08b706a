//! Developer tasks for the homodyne workspace, run as `cargo xtask <task>`.
//!
//! `cargo xtask bench [--quick] [--baseline REV|none]`: every performance claim in one
//! command, against scipy, nlsq, the Python homodyne package and the current release
//! (the `bench_case` of revision `REV`, by default [`suite::BASELINE_REV`], built in the
//! same run): the speed goals judged, criterion benchmarks, end-to-end comparisons, a
//! Markdown report with plots, and `BENCHMARKS.md` (see [`suite`]). `--only
//! python|baseline|streaming|xpcsjax|venvs` runs one step alone: the Python package
//! `homodyne_rs` against scipy's `curve_fit` with the same callable, this build against the
//! baseline, STREAMING against CHUNKED, `homodyne xpcs` against xpcsjax, or the making of
//! the Python environments (reports in `target/bench-report/<step>.md`).
//!
//! `cargo xtask bench-standard`:
//! 1. makes sure the Python venv `target/pyvenv` exists with numpy and scipy;
//! 2. runs the criterion benchmark `cargo bench -p homodyne --bench standard`, which fits
//!    `y = a exp(-b x) + c` at 1e4, 1e5 and 1e6 points and writes its data to
//!    `target/bench-data/`;
//! 3. runs `bench/scipy_standard.py`, which times scipy's `least_squares` (analytic
//!    Jacobian) on the same data files;
//! 4. prints the comparison and writes it as markdown to `target/bench-report.md`.
//!
//! `cargo xtask bench-cli`: a million-point CSV fit through `homodyne curve` against the
//! same fit through the library API plus reading the file.
//!
//! `cargo xtask bench-dual`: the Jacobian cost per point of a 7-parameter model with
//! hand-written derivatives, homodyne's `Dual<7>`, num-dual's `DualSVec64<7>` and central
//! finite differences (`bench/dual-compare`, outside the workspace).
//!
//! `cargo xtask bench-large`: the LARGE and CHUNKED paths at 1e6 and 1e7 points against
//! scipy's `least_squares` and nlsq's `curve_fit`/`curve_fit_large` (installed into
//! `target/pyvenv`), the time per iteration against the model and Jacobian alone, and one
//! thread against all; writes `target/bench-large-report.md`.
//!
//! `cargo xtask memory`: peak resident set size of 1e7-point fits with 3 and 53 parameters
//! (the example `large_fit` under `/usr/bin/time -v`) against the data and the memory
//! estimate; writes `target/memory-report.md`.
//!
//! `cargo xtask fuzz [--minutes N | --seconds N] [--ci] [--keep-going] [TARGET...]`: builds
//! the libFuzzer targets of `fuzz/` on the stable toolchain and runs each for N minutes
//! (default 1; `--ci`: 10 seconds, a quicker build; `--keep-going`: on past crashes) on its
//! corpus; a table of executions, edges and crashes in `fuzz/target/fuzz-report.md` (see
//! [`fuzz`]).
//!
//! `cargo xtask bench-ft`: the overhead of fault tolerance when nothing fails; runs
//! `cargo bench -p homodyne --bench fault_tolerance` and prints, per model, the median time
//! of each configuration and the ratios validation/none, full/none and fast_mode/none.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::SystemTime;

use serde_json::Value;

mod fuzz;
mod large;
mod suite;
mod units;
mod workspace;

use units::format_seconds;
use workspace::{
    Result, criterion_dir, ensure_venv, run, rustc_version, target_dir, workspace_root,
    write_report,
};

/// Point counts of the benchmark; the same as `SIZES` in `crates/homodyne/benches/standard.rs`.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// The methods timed, in table order.
const METHODS: [&str; 2] = ["trf", "lm"];
/// Criterion group of the benchmark.
const GROUP: &str = "standard_decay";
/// The goal of the acceptance criterion: homodyne's TRF at least this many times faster
/// than scipy's at the largest size.
const GOAL_RATIO: f64 = 5.0;

/// Parses the task name and runs it.
fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("bench") => match suite::Options::parse(&args[1..]) {
            Some(options) => suite::bench(options),
            None => return usage(),
        },
        Some("bench-standard") if args.len() == 1 => bench(),
        Some("bench-dual") if args.len() == 1 => bench_dual(),
        Some("bench-cli") if args.len() == 1 => bench_cli(),
        Some("bench-ft") if args.len() == 1 => bench_ft(),
        Some("bench-large") if args.len() == 1 => large::bench_large(),
        Some("memory") if args.len() == 1 => large::memory(),
        Some("fuzz") => match fuzz::Options::parse(&args[1..]) {
            Some(options) => fuzz::fuzz(options),
            None => return usage(),
        },
        _ => return usage(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the tasks and their options; exit status 2.
fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask bench [--quick] [--baseline REV|none] | bench --only python|baseline|streaming|xpcsjax|venvs | bench-standard | bench-cli | bench-dual | bench-ft | bench-large | memory | fuzz [--minutes N|--seconds N] [--ci] [--keep-going] [TARGET...]"
    );
    eprintln!(
        "  bench        everything against scipy, nlsq, the Python homodyne and the current release: report, plots, BENCHMARKS.md"
    );
    eprintln!(
        "  --baseline REV  the revision whose bench_case this build is timed against (default {}, the release before issue 20); none: no comparison",
        suite::BASELINE_REV
    );
    eprintln!(
        "  bench --quick  homodyne alone, no Python, no baseline unless --baseline, every benchmark once (for CI)"
    );
    eprintln!(
        "  bench --only python  the Python package homodyne_rs against scipy's curve_fit, same callable, 1e6 and 1e7 points"
    );
    eprintln!(
        "  bench --only baseline  this build's bench_case against the baseline revision's, exponential model 1e4 to 1e7 points"
    );
    eprintln!(
        "  bench --only streaming  STREAMING from an HDF5 file against CHUNKED in memory, 1e7 points"
    );
    eprintln!(
        "  bench --only xpcsjax  homodyne xpcs against xpcsjax 0.1.8, laminar and heterodyne 3 x 500, same files and configuration"
    );
    eprintln!(
        "  bench --only venvs  make the Python environments of the peers and of the Python homodyne package, measure nothing"
    );
    eprintln!(
        "  bench-standard  criterion benchmark of the STANDARD path against scipy's least_squares"
    );
    eprintln!(
        "  bench-cli    a million-point CSV fit: homodyne curve end to end against the library API plus reading the file"
    );
    eprintln!(
        "  bench-dual   Jacobian cost per point: our dual numbers against num-dual, hand-written derivatives and finite differences"
    );
    eprintln!(
        "  bench-ft     overhead of numerical validation, recovery and fast mode when nothing fails"
    );
    eprintln!(
        "  bench-large  1e6 and 1e7 points: homodyne against scipy and nlsq, per-iteration cost, threads"
    );
    eprintln!(
        "  memory       peak RSS of 1e7-point fits (3 and 53 parameters) under /usr/bin/time -v"
    );
    eprintln!(
        "  fuzz         the libFuzzer targets of fuzz/, N minutes each (default 1; --ci: 10 s, quicker build): executions, edges, crashes"
    );
    ExitCode::from(2)
}

/// The `cargo xtask bench-dual` task: builds and runs `bench/dual-compare` (outside the
/// workspace, so the workspace never compiles num-dual) in release mode.
fn bench_dual() -> Result<()> {
    let root = workspace_root();
    let target = target_dir(&root)?.join("dual-compare");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    run(Command::new(cargo)
        .current_dir(root.join("bench/dual-compare"))
        .env("CARGO_TARGET_DIR", target)
        .args(["run", "--release", "--quiet"]))
}

/// The `cargo xtask bench-cli` task: builds the release binary, then runs the
/// `million_point_csv` example of homodyne-cli.
fn bench_cli() -> Result<()> {
    let root = workspace_root();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    run(Command::new(&cargo).current_dir(&root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "homodyne-cli",
    ]))?;
    run(Command::new(&cargo).current_dir(&root).args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "homodyne-cli",
        "--example",
        "million_point_csv",
    ]))
}

/// Criterion groups of the fault-tolerance benchmark with a description of each, in report
/// order; the same as the groups in `crates/homodyne/benches/fault_tolerance.rs`.
const FT_GROUPS: [(&str, &str); 2] = [
    (
        "fault_tolerance_decay",
        "y = a exp(-b x) + c, 1e6 points, hand-written exact Jacobian",
    ),
    (
        "fault_tolerance_7param",
        "y = b1 + b2 exp(-b3 x) + b4 exp(-b5 x) cos(b6 x + b7), 2e5 points, AutoDiff::<_, 7>",
    ),
];
/// Configurations of the fault-tolerance benchmark, the baseline first and its repeat
/// (timed last, to measure the drift of the machine during the run) last; the same as
/// `CONFIGS` in `crates/homodyne/benches/fault_tolerance.rs`.
const FT_CONFIGS: [&str; 5] = ["none", "validation", "full", "fast_mode", "none_repeat"];
/// Targets of the acceptance criterion: a configuration, the bound on its ratio to `none`
/// (`None`: within noise of 1) and the target in words.
const FT_TARGETS: [(&str, Option<f64>, &str); 3] = [
    ("validation", Some(1.01), "validation/none < 1.01"),
    ("full", Some(1.05), "full/none < 1.05"),
    ("fast_mode", None, "fast_mode/none within noise of 1"),
];

/// Whether one ratio meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Below the bound (or, without a bound, within noise of 1).
    Met,
    /// Above the bound by less than the noise: the measurement cannot tell.
    WithinNoise,
    /// Above the bound by more than the noise (or, without a bound, away from 1).
    Missed,
}

impl Verdict {
    /// Judges `ratio` against `bound` (`None`: 1 within `noise`), `noise` being the
    /// relative uncertainty of the ratio.
    fn judge(ratio: f64, bound: Option<f64>, noise: f64) -> Self {
        match bound {
            Some(bound) if ratio < bound => Self::Met,
            Some(bound) if ratio - noise < bound => Self::WithinNoise,
            Some(_) => Self::Missed,
            None if (ratio - 1.0).abs() <= noise => Self::Met,
            None => Self::Missed,
        }
    }
}

/// The `cargo xtask bench-ft` task: runs the criterion benchmark `fault_tolerance` and
/// prints, per model and method, the median time of each configuration (with the half
/// width of its 95 % confidence interval), the ratios to `none`, and whether the targets
/// hold ([`FT_TARGETS`]: validation under 1 % overhead, full fault tolerance under 5 %,
/// fast mode within noise of `none`, noise being the two medians' relative half-widths
/// plus the drift of the run, `|none_repeat/none - 1|`). Writes the report as markdown to
/// `target/bench-ft-report.md`.
fn bench_ft() -> Result<()> {
    let root = workspace_root();
    let target = target_dir(&root)?;
    let started = SystemTime::now();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask: cargo bench -p homodyne --bench fault_tolerance");
    run(Command::new(cargo)
        .args(["bench", "-p", "homodyne", "--bench", "fault_tolerance"])
        .current_dir(&root))?;
    let criterion = criterion_dir(&target)?;

    let mut out = String::new();
    out.push_str("# Overhead of fault tolerance when nothing fails\n\n");
    out.push_str(
        "Criterion medians of `Fit::curve(..).run()` with each wrapper (95 % confidence half-width of each median in \
         parentheses). none: recovery and validation off; validation: validation on; full: \
         recovery and validation on (the defaults); fast_mode: the defaults plus fast_mode; \
         none_repeat: none again, timed last. Every configuration reached bit-identical \
         parameters with the same evaluations.\n",
    );
    let threads = env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| {
        std::thread::available_parallelism().map_or_else(|_| "?".to_string(), |n| n.to_string())
    });
    let _ = writeln!(
        out,
        "\nrustc: {}; worker threads: {threads}.",
        rustc_version()
    );
    // One verdict per target, model and method.
    let mut verdicts: Vec<(usize, Verdict)> = Vec::new();
    for (group, description) in FT_GROUPS {
        let _ = writeln!(out, "\n## {group}: {description}\n");
        out.push_str("| method |");
        for config in FT_CONFIGS {
            let _ = write!(out, " {config} |");
        }
        for config in &FT_CONFIGS[1..] {
            let _ = write!(out, " {config}/none |");
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(2 * FT_CONFIGS.len() - 1));
        out.push('\n');
        for method in METHODS {
            let medians = FT_CONFIGS
                .iter()
                .map(|config| criterion_estimates(&criterion, &[group, method, config], started))
                .collect::<Result<Vec<Median>>>()?;
            let _ = write!(out, "| {method} |");
            for m in &medians {
                let _ = write!(
                    out,
                    " {} (±{:.1} %) |",
                    format_seconds(m.median),
                    100.0 * m.relative_half_width()
                );
            }
            let none = medians[0];
            for m in &medians[1..] {
                let _ = write!(out, " {:.4} |", m.median / none.median);
            }
            out.push('\n');
            let position = |config: &str| {
                FT_CONFIGS
                    .iter()
                    .position(|&c| c == config)
                    .expect("a configuration of the benchmark")
            };
            let drift = (medians[position("none_repeat")].median / none.median - 1.0).abs();
            for (target, &(config, bound, _)) in FT_TARGETS.iter().enumerate() {
                let k = position(config);
                let ratio = medians[k].median / none.median;
                let noise = none.relative_half_width() + medians[k].relative_half_width() + drift;
                verdicts.push((target, Verdict::judge(ratio, bound, noise)));
            }
        }
    }
    out.push_str("\n## Targets\n\n");
    out.push_str(
        "Noise of a ratio: the two medians' relative 95 % half-widths plus the drift of the \
         run, |none_repeat/none - 1|. A ratio above its bound by less than the noise is within \
         noise of the bound: the run cannot tell.\n\n",
    );
    for (target, &(_, _, goal)) in FT_TARGETS.iter().enumerate() {
        let cases: Vec<Verdict> = verdicts
            .iter()
            .filter(|(t, _)| *t == target)
            .map(|&(_, v)| v)
            .collect();
        let count = |v: Verdict| cases.iter().filter(|&&c| c == v).count();
        let (met, unclear) = (count(Verdict::Met), count(Verdict::WithinNoise));
        let verdict = if met == cases.len() {
            "met"
        } else if met + unclear == cases.len() {
            "not refuted (within noise)"
        } else {
            "NOT met"
        };
        let _ = writeln!(
            out,
            "- {goal}: **{verdict}** (met in {met} of {} model and method pairs, within noise \
             in {unclear})",
            cases.len()
        );
    }
    let path = target.join("bench-ft-report.md");
    std::fs::write(&path, &out).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{out}");
    println!("(written to {})", path.display());
    Ok(())
}

/// The `cargo xtask bench` task (see the crate documentation).
fn bench() -> Result<()> {
    let root = workspace_root();
    let target = target_dir(&root)?;
    let data_dir = target.join("bench-data");
    std::fs::create_dir_all(&data_dir)?;

    let python = ensure_venv(&root, &target.join("pyvenv"))?;
    let started = SystemTime::now();
    run_criterion(&root, &data_dir)?;
    let criterion = criterion_dir(&target)?;
    let scipy = run_scipy(&root, &python, &data_dir)?;

    let report = Report::collect(&criterion, &data_dir, &scipy, started)?;
    let markdown = report.markdown();
    write_report(&target.join("bench-report.md"), &markdown)
}

/// Runs the criterion benchmark, which also writes the data files and fit summaries to
/// `data_dir` (through `HOMODYNE_BENCH_DATA_DIR`).
fn run_criterion(root: &Path, data_dir: &Path) -> Result<()> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask: cargo bench -p homodyne --bench standard");
    run(Command::new(cargo)
        .args(["bench", "-p", "homodyne", "--bench", "standard"])
        .env("HOMODYNE_BENCH_DATA_DIR", data_dir)
        .current_dir(root))
}

/// Runs `bench/scipy_standard.py` on the data in `data_dir` and returns its JSON report.
fn run_scipy(root: &Path, python: &Path, data_dir: &Path) -> Result<Value> {
    eprintln!("xtask: timing scipy.optimize.least_squares (bench/scipy_standard.py)");
    let mut command = Command::new(python);
    command
        .arg(root.join("bench").join("scipy_standard.py"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--sizes")
        .args(SIZES.map(|n| n.to_string()))
        .stderr(Stdio::inherit())
        .current_dir(root);
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", output.status).into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Reads a JSON file.
fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Criterion's median estimate, in seconds, of `method` at `n` points; refuses an estimate
/// older than `since` (left over from an earlier run).
fn criterion_median(criterion: &Path, method: &str, n: usize, since: SystemTime) -> Result<f64> {
    let id = [GROUP, method, &n.to_string()];
    Ok(criterion_estimates(criterion, &id, since)?.median)
}

/// Criterion's median of one benchmark and its 95 % confidence interval, in seconds.
#[derive(Debug, Clone, Copy)]
struct Median {
    /// The point estimate.
    median: f64,
    /// Lower bound of the confidence interval.
    lower: f64,
    /// Upper bound of the confidence interval.
    upper: f64,
}

impl Median {
    /// Half the width of the confidence interval, relative to the median.
    fn relative_half_width(&self) -> f64 {
        (self.upper - self.lower) / (2.0 * self.median)
    }
}

/// Criterion's median estimate of the benchmark `id` (group, then the id's parts, as
/// folders under `criterion`); refuses an estimate older than `since` (left over from an
/// earlier run).
fn criterion_estimates(criterion: &Path, id: &[&str], since: SystemTime) -> Result<Median> {
    let path = id
        .iter()
        .fold(criterion.to_path_buf(), |path, part| path.join(part))
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if modified < since {
        return Err(format!(
            "{} predates this run: did the benchmark run?",
            path.display()
        )
        .into());
    }
    let estimates = read_json(&path)?;
    let median = &estimates["median"];
    let seconds = |value: &Value, what: &str| {
        value
            .as_f64()
            .map(|nanos| nanos * 1e-9)
            .ok_or_else(|| format!("{}: no median.{what}", path.display()))
    };
    Ok(Median {
        median: seconds(&median["point_estimate"], "point_estimate")?,
        lower: seconds(
            &median["confidence_interval"]["lower_bound"],
            "confidence_interval.lower_bound",
        )?,
        upper: seconds(
            &median["confidence_interval"]["upper_bound"],
            "confidence_interval.upper_bound",
        )?,
    })
}

/// One fit's summary: the median time, the parameters found and the evaluations used.
#[derive(Debug, Clone)]
struct Timing {
    /// Median wall time of one fit, in seconds.
    seconds: f64,
    /// The fitted parameters.
    parameters: Vec<f64>,
    /// Residual evaluations.
    nfev: u64,
    /// Jacobian evaluations, where reported.
    njev: Option<u64>,
}

impl Timing {
    /// Reads the parameters and evaluation counts from a JSON record (homodyne's summary or
    /// one of the Python script's results), with the time given apart.
    fn from_json(seconds: f64, record: &Value) -> Result<Self> {
        let parameters = record["parameters"]
            .as_array()
            .ok_or("record without parameters")?
            .iter()
            .map(|v| v.as_f64().ok_or("non-numeric parameter"))
            .collect::<std::result::Result<_, _>>()?;
        Ok(Self {
            seconds,
            parameters,
            nfev: record["nfev"].as_u64().ok_or("record without nfev")?,
            njev: record["njev"].as_u64(),
        })
    }

    /// The evaluation counts as `nfev/njev`.
    fn evaluations(&self) -> String {
        match self.njev {
            Some(njev) => format!("{}/{njev}", self.nfev),
            None => self.nfev.to_string(),
        }
    }
}

/// The timings of one size and method: homodyne and scipy at both scipy settings.
#[derive(Debug, Clone)]
struct Row {
    /// Number of points.
    n: usize,
    /// `"trf"` or `"lm"`.
    method: &'static str,
    /// homodyne with `SolverOptions::default()`.
    homodyne: Timing,
    /// scipy with homodyne's settings (tolerances 1e-15, `x_scale='jac'`).
    scipy_matched: Timing,
    /// scipy with its own defaults (tolerances 1e-8).
    scipy_default: Timing,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
struct Report {
    /// One row per size and method, sizes outer.
    rows: Vec<Row>,
    /// Versions of Python, numpy and scipy.
    python_versions: String,
    /// Threads available to homodyne.
    threads: String,
}

impl Report {
    /// Gathers criterion's estimates, homodyne's fit summaries and scipy's results.
    fn collect(
        criterion: &Path,
        data_dir: &Path,
        scipy: &Value,
        since: SystemTime,
    ) -> Result<Self> {
        let scipy_results = scipy["results"]
            .as_array()
            .ok_or("scipy report without results")?;
        let scipy_record = |n: usize, method: &str, settings: &str| -> Result<Timing> {
            let record = scipy_results
                .iter()
                .find(|r| {
                    r["n"].as_u64() == Some(n as u64)
                        && r["method"] == method
                        && r["settings"] == settings
                })
                .ok_or_else(|| format!("scipy report lacks {method} {settings} at n = {n}"))?;
            let seconds = record["seconds"]
                .as_f64()
                .ok_or("scipy record without seconds")?;
            Timing::from_json(seconds, record)
        };
        let mut rows = Vec::new();
        let mut threads = None;
        for n in SIZES {
            for method in METHODS {
                let summary = read_json(&data_dir.join(format!("homodyne_{method}_{n}.json")))?;
                threads = threads.or(summary["threads"].as_u64());
                let seconds = criterion_median(criterion, method, n, since)?;
                rows.push(Row {
                    n,
                    method,
                    homodyne: Timing::from_json(seconds, &summary)?,
                    scipy_matched: scipy_record(n, method, "matched")?,
                    scipy_default: scipy_record(n, method, "scipy-default")?,
                });
            }
        }
        let version = |key: &str| scipy[key].as_str().unwrap_or("?").to_string();
        Ok(Self {
            rows,
            python_versions: format!(
                "Python {}, numpy {}, scipy {}",
                version("python"),
                version("numpy"),
                version("scipy")
            ),
            threads: threads.map_or_else(|| "?".to_string(), |t| t.to_string()),
        })
    }

    /// The row of `method` at `n`.
    fn row(&self, n: usize, method: &str) -> &Row {
        self.rows
            .iter()
            .find(|r| r.n == n && r.method == method)
            .expect("collect fills every size and method")
    }

    /// The comparison table against one scipy setting, chosen by `scipy`.
    fn ratio_table(&self, out: &mut String, scipy: fn(&Row) -> &Timing) {
        out.push_str("| n | homodyne trf | scipy trf | ratio | homodyne lm | scipy lm | ratio |\n");
        out.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
        for n in SIZES {
            let _ = write!(out, "| {n} |");
            for method in METHODS {
                let row = self.row(n, method);
                let (ours, theirs) = (row.homodyne.seconds, scipy(row).seconds);
                let _ = write!(
                    out,
                    " {} | {} | {:.1}x |",
                    format_seconds(ours),
                    format_seconds(theirs),
                    theirs / ours
                );
            }
            out.push('\n');
        }
    }

    /// The report as markdown.
    fn markdown(&self) -> String {
        let largest = *SIZES.last().expect("SIZES is not empty");
        let trf = self.row(largest, "trf");
        let ratio = trf.scipy_matched.seconds / trf.homodyne.seconds;
        let verdict = if ratio >= GOAL_RATIO {
            "met"
        } else {
            "NOT met"
        };

        let mut out = String::new();
        out.push_str("# STANDARD path: homodyne against scipy.optimize.least_squares\n\n");
        out.push_str(
            "Model y = a exp(-b x) + c with its analytic Jacobian; x = linspace(0, 10, n), truth \
             (2.5, 1.3, 0.5), Gaussian noise sigma 0.01 from a fixed seed, p0 = (1, 1, 0). Both \
             sides fit the same data files. homodyne: criterion median of `Fit::curve(..).run()` \
             with `SolverOptions::default()`; scipy: median of repeated fits with `time.perf_counter`. \
             Ratio = scipy time / homodyne time.\n\n",
        );
        let _ = writeln!(
            out,
            "homodyne threads: {}; {}; rustc: {}.\n",
            self.threads,
            self.python_versions,
            rustc_version()
        );
        out.push_str(
            "## Same settings (scipy given homodyne's defaults: ftol = xtol = gtol = 1e-15, x_scale='jac')\n\n",
        );
        self.ratio_table(&mut out, |r| &r.scipy_matched);
        let _ = writeln!(
            out,
            "\nGoal (homodyne trf at least {GOAL_RATIO}x faster than scipy trf at {largest} points): \
             **{verdict}** ({ratio:.1}x).\n"
        );
        out.push_str(
            "## scipy at its own defaults (tolerances 1e-8; x_scale 1 for trf, 'jac' for lm)\n\n",
        );
        self.ratio_table(&mut out, |r| &r.scipy_default);
        out.push_str(
            "\n## Work done (nfev/njev) and agreement of the fitted parameters\n\n\
             | n | method | homodyne | scipy (same settings) | scipy (defaults) | max abs parameter difference, homodyne vs scipy (same settings) |\n\
             |---:|---|---:|---:|---:|---:|\n",
        );
        for row in &self.rows {
            let diff = row
                .homodyne
                .parameters
                .iter()
                .zip(&row.scipy_matched.parameters)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {diff:.1e} |",
                row.n,
                row.method,
                row.homodyne.evaluations(),
                row.scipy_matched.evaluations(),
                row.scipy_default.evaluations(),
            );
        }
        out
    }
}

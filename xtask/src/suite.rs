//! `cargo xtask bench [--quick]`: every performance claim measured in one command, side by
//! side with the tools users would otherwise pick.
//!
//! A full run (about 10 minutes on 2 cores, 13 the first time, when it makes its Python
//! environments):
//! 1. **Criterion benchmarks** of the crates: model evaluation per solver chunk
//!    (`homodyne-xpcs`, bench `model`), accumulation per chunk (`homodyne-solvers`,
//!    `kernels`), one solver iteration's linearisation pass (`homodyne`, `iteration`),
//!    checkpoint save (`homodyne-checkpoint`, `save`) and the overhead of validation and
//!    fault tolerance (`homodyne`, `fault_tolerance`).
//! 2. **End-to-end comparisons**, every run in its own process, under `/usr/bin/time` for
//!    the peak resident set size:
//!    - `y = a exp(-b x) + c` at 1e4 to 1e7 points: homodyne TRF and LM
//!      (`crates/homodyne/examples/bench_case.rs`) against scipy `least_squares` (TRF, exact
//!      Jacobian), scipy `curve_fit`, nlsq `curve_fit` and `curve_fit_large`
//!      (`bench/peers.py`), on the same data files;
//!    - the 12 NIST StRD problems from both starts: LRE and time per fit;
//!    - XPCS static 3 x 600 and laminar 3 x 500 (`bench/xpcs_compare/make_data.py`):
//!      `homodyne xpcs` against the Python homodyne package's command line, same file,
//!      configuration and start;
//!    - XPCS laminar 23 angles x 1001 frames: `homodyne xpcs --demo`; the package is run
//!      only where its memory, projected from its laminar 3 x 500 run, fits the machine;
//!    - the Python package `homodyne_rs` (`crates/homodyne-py`, installed by pip into
//!      `target/pyvenv-bench`) at 1e6 and 1e7 points: its `curve_fit` with a numpy
//!      callable and with the formula string against scipy's `curve_fit` with the same
//!      callable (`bench/python_package.py`; see [`python_package`]): about 2 minutes on 2
//!      cores, plus the package's release build by pip (1 to 3 minutes when the crates
//!      changed).
//!
//!    Runs alternate between the tools (A, B, A, B, ...), and each ratio is the median of
//!    the per-repeat ratios, so a drifting machine does not bias it.
//! 3. **The report**: `target/bench-report/report.md`, `results.json` (every run) and the
//!    plots `time_vs_points.png` and `memory_vs_points.png`; the report is also written to
//!    `BENCHMARKS.md` at the root, with the plots in `bench/plots/`.
//!
//! The Python environments are made on first use under `target/` with pinned versions:
//! `target/pyvenv-bench` (`bench/requirements-peers.txt`) and `target/pyvenv-homodyne`
//! (`bench/requirements-homodyne.txt`: homodyne 2.23.3, which needs Python 3.12). When one cannot be made, its tools are reported as not
//! run, with the reason, and the rest goes on.
//!
//! `--quick` (for CI, no Python, no timing thresholds): every criterion benchmark of the
//! workspace once in test mode (`cargo test --workspace --benches`), homodyne alone on the exponential model at 1e4 and 1e5 points, the NIST
//! problems and the XPCS demo, in the dev profile. It fails when a benchmark breaks: a
//! criterion benchmark that fails, a fit that errors or does not converge, a NIST run below
//! LRE 4. Its report goes to `target/bench-report/quick.md`.
//!
//! `--only python`: the Python package's step alone (it installs `homodyne_rs` into
//! `target/pyvenv-bench`, making that venv first if needed, writes the data files at 1e6
//! and 1e7 points and runs the three tools); its report goes to
//! `target/bench-report/python.md` and `python.json`, and `BENCHMARKS.md` is left as is.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use serde_json::{Value, json};

use crate::{Result, criterion_dir, run, rustc_version, target_dir, workspace_root};

mod python_package;

/// Which part of the suite a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything, in the release profile, against every peer (`cargo xtask bench`).
    Full,
    /// Homodyne alone, no Python, every benchmark once (`cargo xtask bench --quick`).
    Quick,
    /// The Python package's step alone (`cargo xtask bench --only python`).
    PythonPackage,
}

impl Mode {
    /// The name of the mode in the report's title and in `results.json`.
    fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Quick => "quick",
            Mode::PythonPackage => "Python package only",
        }
    }

    /// The stem of the report's files under `target/bench-report/`.
    fn file_stem(self) -> &'static str {
        match self {
            Mode::Full => "results",
            Mode::Quick => "quick",
            Mode::PythonPackage => "python",
        }
    }
}

/// Point counts of the exponential model in a full run, and in a quick one.
const DECAY_SIZES: [usize; 4] = [10_000, 100_000, 1_000_000, 10_000_000];
const QUICK_DECAY_SIZES: [usize; 2] = [10_000, 100_000];
/// Repeats of each end-to-end run (full mode; quick mode runs each once).
const REPEATS: usize = 3;
/// In-process repeats of each NIST fit.
const NIST_REPEATS: usize = 5;
/// The longest a single run may take before it is stopped and reported as such.
const TIME_LIMIT_S: u64 = 900;
/// The criterion benchmarks: (package, bench target).
const CRITERION: [(&str, &str); 5] = [
    ("homodyne-xpcs", "model"),
    ("homodyne-solvers", "kernels"),
    ("homodyne", "iteration"),
    ("homodyne-checkpoint", "save"),
    ("homodyne", "fault_tolerance"),
];
/// The homodyne package the XPCS comparison runs against.
const PACKAGE: &str = "homodyne==2.23.3";
/// XPCS cases read from files: (case, points fitted by both programs).
const XPCS_CASES: [(&str, usize); 2] = [("laminar_3x500", 747_003), ("static_3x600", 1_076_403)];
/// The large XPCS case: angles, frames.
const LARGE_XPCS: (usize, usize) = (23, 1001);

/// Which run: the tool, the case, its size (points or runs) and the repeat.
#[derive(Debug, Clone, Copy)]
struct Key<'a> {
    tool: &'a str,
    case: &'a str,
    size: usize,
    repeat: usize,
}

/// One tool's run of one case, as measured.
#[derive(Debug, Clone)]
struct Run {
    tool: String,
    case: String,
    size: usize,
    repeat: usize,
    /// Wall time of the whole process, seconds.
    process_seconds: f64,
    /// Peak resident set size of the process (`/usr/bin/time`), else as it reported it.
    peak_rss_mb: Option<f64>,
    /// The record the process printed (its last line of stdout, JSON), or built from its
    /// output files.
    record: Value,
    /// Why the run gave no result: the time limit, a failed start, a crash.
    failure: Option<String>,
}

impl Run {
    /// The tool's own timing of the fit (or of the whole program for the XPCS cases).
    fn seconds(&self) -> Option<f64> {
        self.record["fit_seconds"].as_f64()
    }

    /// Whether the run gave its result: every fit converged; for a NIST process, that it
    /// reported every problem (each one's score is judged by its LRE).
    fn converged(&self) -> bool {
        self.failure.is_none()
            && match self.record["results"].as_array() {
                Some(results) => !results.is_empty(),
                None => self.record["converged"].as_bool() == Some(true),
            }
    }

    fn to_json(&self) -> Value {
        json!({
            "tool": self.tool, "case": self.case, "size": self.size, "repeat": self.repeat,
            "process_seconds": self.process_seconds, "peak_rss_mb": self.peak_rss_mb,
            "failure": self.failure, "record": self.record,
        })
    }
}

/// What a run needs: folders, the binaries, and how to measure.
struct Bench {
    root: PathBuf,
    out: PathBuf,
    data: PathBuf,
    mode: Mode,
    /// `mode == Mode::Quick`.
    quick: bool,
    bench_case: PathBuf,
    homodyne_cli: PathBuf,
    /// `/usr/bin/time` is there to measure peak memory.
    time_v: bool,
    /// `timeout` is there to stop a run at the time limit.
    timeout: bool,
    runs: Vec<Run>,
    /// Tools that could not run at all, with the reason.
    unavailable: BTreeMap<String, String>,
    notes: Vec<String>,
}

/// The `cargo xtask bench` task, the whole suite or the part `mode` names.
pub fn bench(mode: Mode) -> Result<()> {
    let quick = mode == Mode::Quick;
    let root = workspace_root();
    let target = target_dir(&root)?;
    let out = target.join("bench-report");
    std::fs::create_dir_all(&out)?;
    let data = target.join("bench-data");
    std::fs::create_dir_all(&data)?;
    let profile = if quick { "debug" } else { "release" };
    eprintln!("xtask: building bench_case and the homodyne program ({profile})");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // `--workspace`: the features of the dependencies unified as for `cargo test
    // --workspace`, so that a quick run after the test suite (as in CI) rebuilds nothing.
    let mut build = Command::new(&cargo);
    build.args([
        "build",
        "--workspace",
        "--example",
        "bench_case",
        "--bin",
        "homodyne",
    ]);
    if !quick {
        build.arg("--release");
    }
    run(build.current_dir(&root))?;
    let bin = target.join(profile);
    let mut bench = Bench {
        bench_case: bin.join("examples").join("bench_case"),
        homodyne_cli: bin.join("homodyne"),
        time_v: Command::new("/usr/bin/time")
            .args(["-f", "%M", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        timeout: Command::new("timeout")
            .args(["1", "true"])
            .status()
            .is_ok_and(|s| s.success()),
        root,
        out,
        data,
        mode,
        quick,
        runs: Vec::new(),
        unavailable: BTreeMap::new(),
        notes: Vec::new(),
    };
    if quick {
        let reason = "quick mode runs homodyne alone (no Python)".to_owned();
        let python_tools = ["python_homodyne"].into_iter().chain(python_package::TOOLS);
        for tool in PEER_DECAY_TOOLS.into_iter().chain(python_tools) {
            bench.unavailable.insert(tool.to_owned(), reason.clone());
        }
    }
    let started = Instant::now();
    let criterion = if mode == Mode::PythonPackage {
        json!({ "targets": [], "estimates": [] })
    } else {
        bench.criterion()?
    };
    let peers = if quick { None } else { bench.peers_python() };
    if mode == Mode::PythonPackage {
        bench.python_package(peers.as_deref())?;
    } else {
        bench.decay(peers.as_deref())?;
        bench.nist(peers.as_deref())?;
        if !quick {
            bench.python_package(peers.as_deref())?;
        }
        let package = if quick { None } else { bench.package_python() };
        bench.xpcs(package.as_deref())?;
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let results = json!({
        "mode": mode.name(),
        "machine": machine(),
        "minutes": minutes,
        "criterion": criterion,
        "unavailable": bench.unavailable,
        "notes": bench.notes,
        "runs": bench.runs.iter().map(Run::to_json).collect::<Vec<_>>(),
    });
    std::fs::write(
        bench.out.join(format!("{}.json", mode.file_stem())),
        serde_json::to_string_pretty(&results)?,
    )?;
    let report = bench.report(&criterion, minutes);
    let report_path = bench.out.join(match mode {
        Mode::Full => "report.md",
        Mode::Quick => "quick.md",
        Mode::PythonPackage => "python.md",
    });
    std::fs::write(&report_path, &report)?;
    if mode == Mode::Full {
        if let Some(python) = &peers {
            bench.plots(python)?;
        }
        bench.publish(&report)?;
    }
    println!("{report}");
    eprintln!("xtask: report written to {}", report_path.display());
    if quick {
        bench.check_quick(&criterion)?;
    }
    Ok(())
}

/// The machine and the versions of the tools: one line each.
fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or_else(|| "?".to_owned(), |s| s.trim().to_owned());
    let memory_gb = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0);
    let git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let dirty = Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--", "crates", "Cargo.lock"])
        .status()
        .is_ok_and(|s| !s.success());
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "memory_gb": memory_gb,
        "rustc": rustc_version(),
        "git": git.map(|g| if dirty { format!("{g} (modified)") } else { g }),
        "date": Command::new("date").arg("-Iseconds").output().ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()),
    })
}

impl Bench {
    /// Runs `command` as one measured run: under `timeout` and `/usr/bin/time` where they
    /// exist, its record the last line of its stdout (or `record` of its output files).
    fn measure(
        &mut self,
        key: Key,
        program: &Path,
        args: &[String],
        cwd: Option<&Path>,
        record_from_files: Option<&dyn Fn() -> Value>,
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
                let record = match record_from_files {
                    Some(read) => read(),
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

    /// Criterion benchmarks: measured in a full run, once each in test mode in a quick one.
    /// Returns the estimates (full) or the pass/fail of each target (quick).
    fn criterion(&mut self) -> Result<Value> {
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

    /// The venv of the scipy and nlsq peers, made on first use; `None` (with the reason
    /// recorded) when it cannot be made.
    fn peers_python(&mut self) -> Option<PathBuf> {
        let venv = self.root.join("target").join("pyvenv-bench");
        let requirements = self.root.join("bench").join("requirements-peers.txt");
        let made = make_venv(
            &self.root,
            &venv,
            "import numpy, scipy, nlsq, jax, matplotlib",
            &["-r", requirements.to_string_lossy().as_ref()],
        );
        match made {
            Ok(python) => Some(python),
            Err(e) => {
                for tool in PEER_DECAY_TOOLS {
                    self.unavailable.insert(tool.to_owned(), e.to_string());
                }
                None
            }
        }
    }

    /// The venv of the Python homodyne package (Python 3.12), made on first use.
    fn package_python(&mut self) -> Option<PathBuf> {
        let venv = self.root.join("target").join("pyvenv-homodyne");
        let requirements = self.root.join("bench").join("requirements-homodyne.txt");
        let install = ["-r", requirements.to_string_lossy().as_ref()].map(str::to_owned);
        let install: Vec<&str> = install.iter().map(String::as_str).collect();
        match make_venv(&self.root, &venv, "import homodyne", &install) {
            Ok(python) => Some(python),
            Err(e) => {
                self.unavailable
                    .insert("python_homodyne".to_owned(), e.to_string());
                None
            }
        }
    }

    /// Writes the exponential model's data at `n` points, `decay_{n}.f64` (`bench_case
    /// write-decay`: `n` values of x, then `n` of y, little-endian float64); returns its path.
    fn write_decay(&self, n: usize) -> Result<PathBuf> {
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
    fn decay(&mut self, python: Option<&Path>) -> Result<()> {
        let sizes: &[usize] = if self.quick {
            &QUICK_DECAY_SIZES
        } else {
            &DECAY_SIZES
        };
        let repeats = if self.quick { 1 } else { REPEATS };
        let bench_case = self.bench_case.clone();
        for &n in sizes {
            let data = self.write_decay(n)?.to_string_lossy().into_owned();
            for repeat in 0..repeats {
                for method in ["trf", "lm"] {
                    let args = strings(&["decay", "--method", method, "--data", &data]);
                    self.measure(
                        Key {
                            tool: &format!("homodyne_{method}"),
                            case: "decay",
                            size: n,
                            repeat,
                        },
                        &bench_case,
                        &args,
                        None,
                        None,
                    );
                }
                if let Some(python) = python {
                    let script = self.root.join("bench").join("peers.py");
                    for tool in PEER_DECAY_TOOLS {
                        let mut args = vec![script.to_string_lossy().into_owned()];
                        args.extend(strings(&["decay", "--tool", tool, "--data", &data]));
                        self.measure(
                            Key {
                                tool,
                                case: "decay",
                                size: n,
                                repeat,
                            },
                            python,
                            &args,
                            None,
                            None,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The 12 NIST problems from both starts, one process per tool.
    fn nist(&mut self, python: Option<&Path>) -> Result<()> {
        let dir = homodyne_nist_dir(&self.root);
        let dir = dir.to_string_lossy().into_owned();
        let repeats = if self.quick { 1 } else { NIST_REPEATS }.to_string();
        let bench_case = self.bench_case.clone();
        for method in ["trf", "lm"] {
            let args = strings(&[
                "nist",
                "--method",
                method,
                "--data-dir",
                &dir,
                "--repeats",
                &repeats,
            ]);
            self.measure(
                Key {
                    tool: &format!("homodyne_{method}"),
                    case: "nist",
                    size: 24,
                    repeat: 0,
                },
                &bench_case,
                &args,
                None,
                None,
            );
        }
        if let Some(python) = python {
            let script = self.root.join("bench").join("peers.py");
            for tool in PEER_NIST_TOOLS {
                let mut args = vec![script.to_string_lossy().into_owned()];
                args.extend(strings(&[
                    "nist",
                    "--tool",
                    tool,
                    "--data-dir",
                    &dir,
                    "--repeats",
                    &repeats,
                ]));
                self.measure(
                    Key {
                        tool,
                        case: "nist",
                        size: 24,
                        repeat: 0,
                    },
                    python,
                    &args,
                    None,
                    None,
                );
            }
        }
        Ok(())
    }

    /// The XPCS cases: the files against the package, and the large case.
    fn xpcs(&mut self, package: Option<&Path>) -> Result<()> {
        let cli = self.homodyne_cli.clone();
        let xpcs_out = self.out.join("xpcs");
        if self.quick {
            let dir = xpcs_out.join("demo");
            let args = strings(&[
                "xpcs",
                "--demo",
                "--quiet",
                "--output-dir",
                &dir.to_string_lossy(),
            ]);
            let read = || read_xpcs_outputs(&dir, None);
            self.measure(
                Key {
                    tool: "homodyne_xpcs",
                    case: "xpcs_demo",
                    size: 3 * 300 * 299 / 2,
                    repeat: 0,
                },
                &cli,
                &args,
                None,
                Some(&read),
            );
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
                let read = || read_xpcs_outputs(&dir, truth.as_ref());
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
                    let read = || read_xpcs_outputs(&dir, truth.as_ref());
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
        let case = format!("laminar_{angles}x{frames}");
        let points = angles * frames * (frames - 1) / 2;
        for repeat in 0..2 {
            let dir = xpcs_out.join(format!("{case}_ours_{repeat}"));
            let args = strings(&[
                "xpcs",
                "--demo",
                "--angles",
                &angles.to_string(),
                "--frames",
                &frames.to_string(),
                "--quiet",
                "--output-dir",
                &dir.to_string_lossy(),
            ]);
            let read = || read_xpcs_outputs(&dir, None);
            self.measure(
                Key {
                    tool: "homodyne_xpcs",
                    case: &case,
                    size: points,
                    repeat,
                },
                &cli,
                &args,
                None,
                Some(&read),
            );
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

    /// The plots of the exponential model's time and memory against points.
    fn plots(&mut self, python: &Path) -> Result<()> {
        let mut rows = Vec::new();
        for (tool, n) in self.decay_keys() {
            let runs = self.decay_runs(&tool, n);
            rows.push(json!({
                "tool": label(&tool),
                "n": n,
                "median_seconds": median(runs.iter().filter_map(|r| r.seconds())),
                "median_peak_rss_mb": median(runs.iter().filter_map(|r| r.peak_rss_mb)),
                "status": status_of(&runs),
            }));
        }
        let input = self.out.join("plot_input.json");
        std::fs::write(
            &input,
            serde_json::to_string_pretty(&json!({ "decay": rows }))?,
        )?;
        run(Command::new(python)
            .arg(self.root.join("bench").join("plot_report.py"))
            .arg(&input)
            .arg(&self.out))
    }

    /// `BENCHMARKS.md` at the root and the plots in `bench/plots/`.
    fn publish(&self, report: &str) -> Result<()> {
        let plots = self.root.join("bench").join("plots");
        std::fs::create_dir_all(&plots)?;
        for name in ["time_vs_points.png", "memory_vs_points.png"] {
            let from = self.out.join(name);
            if from.exists() {
                std::fs::copy(&from, plots.join(name))?;
            }
        }
        let text = format!(
            "# Benchmarks\n\nThe latest full run of `cargo xtask bench` (how it measures: \
             `xtask/src/suite.rs`). To reproduce on your machine: `cargo xtask bench` (about \
             10 minutes on 2 cores; it makes its Python environments under `target/` on first \
             use) or `cargo xtask bench --quick` (homodyne alone, no Python, a few minutes). \
             Every figure below is from one run; the raw runs are in \
             `target/bench-report/results.json`.\n\n![fit time against points](bench/plots/time_vs_points.png)\n\n\
             ![peak memory against points](bench/plots/memory_vs_points.png)\n\n{}",
            report.replacen("# ", "## ", 1)
        );
        std::fs::write(self.root.join("BENCHMARKS.md"), text)?;
        Ok(())
    }

    /// The (tool, size) pairs of the exponential model, in table order.
    fn decay_keys(&self) -> Vec<(String, usize)> {
        let mut keys: Vec<(String, usize)> = Vec::new();
        for r in self.runs.iter().filter(|r| r.case == "decay") {
            if !keys.iter().any(|(t, n)| *t == r.tool && *n == r.size) {
                keys.push((r.tool.clone(), r.size));
            }
        }
        keys
    }

    fn decay_runs(&self, tool: &str, n: usize) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == "decay" && r.tool == tool && r.size == n)
            .collect()
    }

    /// The median over repeats of `peer / reference` for one case and size, pairing the
    /// runs of the same repeat.
    fn pairwise_ratio(
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

    /// The Markdown report.
    fn report(&self, criterion: &Value, minutes: f64) -> String {
        let mut md = String::new();
        let m = machine();
        let _ = writeln!(md, "# homodyne benchmarks ({} run)\n", self.mode.name());
        let _ = writeln!(
            md,
            "Machine: {} ({} cores, {:.0} GB); {}; homodyne at git {}; {}; {:.1} minutes in all.",
            m["cpu"].as_str().unwrap_or("?"),
            m["cores"],
            m["memory_gb"].as_f64().unwrap_or(f64::NAN),
            m["rustc"].as_str().unwrap_or("?"),
            m["git"].as_str().unwrap_or("?"),
            m["date"].as_str().unwrap_or("?"),
            minutes
        );
        if self.quick {
            md.push_str(
                "\nQuick mode: homodyne alone, the dev profile, one run each. The times are \
                 not comparable with a full run's; the run checks that every benchmark works.\n",
            );
        }
        if self.mode == Mode::PythonPackage {
            md.push_str(
                "\nThe Python package's step alone (`cargo xtask bench --only python`), in \
                 the release profile; the full run's other sections are not in this report.\n",
            );
        }
        let versions = self.peer_versions();
        if !versions.is_empty() {
            let _ = writeln!(md, "Peers: {versions}.");
        }
        self.headline(&mut md);
        self.decay_tables(&mut md);
        self.python_package_tables(&mut md);
        self.nist_tables(&mut md);
        self.xpcs_tables(&mut md);
        criterion_table(&mut md, criterion);
        let unfitted = self.unfitted_notes();
        if !unfitted.is_empty() {
            md.push('\n');
            for note in unfitted {
                let _ = writeln!(md, "- {note}");
            }
        }
        if !self.unavailable.is_empty() || !self.notes.is_empty() {
            md.push_str("\n## Not run\n\n");
            for (tool, reason) in &self.unavailable {
                let _ = writeln!(md, "- {tool}: {reason}");
            }
            for note in &self.notes {
                let _ = writeln!(md, "- {note}");
            }
        }
        md.push_str(
            "\n## How it measures\n\n\
             - Every end-to-end run is its own process; the peak resident set size is \
             `/usr/bin/time`'s. Runs alternate between tools, and a ratio is the median of \
             the per-repeat ratios (peer time / homodyne time: above 1, homodyne is faster).\n",
        );
        if self.mode != Mode::PythonPackage {
            md.push_str(HOW_THE_SUITE_MEASURES);
        }
        if self.runs.iter().any(|r| r.case == python_package::CASE) {
            md.push_str(python_package::HOW_IT_MEASURES);
        }
        md
    }

    fn peer_versions(&self) -> String {
        let mut versions = BTreeMap::new();
        for r in &self.runs {
            if let Some(v) = r.record["versions"].as_object() {
                for (k, v) in v {
                    if let Some(v) = v.as_str() {
                        versions.insert(k.clone(), v.to_owned());
                    }
                }
            }
        }
        if self.runs.iter().any(|r| r.tool == "python_homodyne") {
            versions.insert(
                "homodyne (Python)".to_owned(),
                PACKAGE.trim_start_matches("homodyne==").to_owned(),
            );
        }
        versions
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "homodyne" | "homodyne_rs"))
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The headline: homodyne TRF against each peer at the largest size, the NIST score
    /// and the XPCS ratios.
    fn headline(&self, md: &mut String) {
        md.push_str(
            "\n## Headline\n\n| case | homodyne | peer | peer / homodyne |\n|---|---:|---|---:|\n",
        );
        if let Some(&n) = self.decay_keys().iter().map(|(_, n)| n).max() {
            let ours = median(
                self.decay_runs("homodyne_trf", n)
                    .iter()
                    .filter_map(|r| r.seconds()),
            );
            for tool in PEER_DECAY_TOOLS {
                let runs = self.decay_runs(tool, n);
                if runs.is_empty() {
                    continue;
                }
                let theirs = median(runs.iter().filter_map(|r| r.seconds()));
                let ratio = self.pairwise_ratio("decay", n, "homodyne_trf", tool, Run::seconds);
                let _ = writeln!(
                    md,
                    "| exponential, {} points, fit | {} | {}: {} | {} |",
                    thousands(n),
                    fmt_s(ours),
                    label(tool),
                    fmt_s(theirs).replace("n/a", status_of(&runs).as_str()),
                    fmt_ratio(ratio)
                );
            }
        }
        self.python_package_headline(md);
        for (case, points) in XPCS_CASES {
            let ratio =
                self.pairwise_ratio(case, points, "homodyne_xpcs", "python_homodyne", |r| {
                    Some(r.process_seconds)
                });
            if ratio.is_some() {
                let ours = median(
                    self.xpcs_runs(case, "homodyne_xpcs")
                        .iter()
                        .map(|r| r.process_seconds),
                );
                let theirs = median(
                    self.xpcs_runs(case, "python_homodyne")
                        .iter()
                        .map(|r| r.process_seconds),
                );
                let _ = writeln!(
                    md,
                    "| XPCS {case}, end to end | {} | Python homodyne: {} | {} |",
                    fmt_s(ours),
                    fmt_s(theirs),
                    fmt_ratio(ratio)
                );
            }
        }
        for tool in ["homodyne_trf", "homodyne_lm"]
            .iter()
            .chain(PEER_NIST_TOOLS.iter())
        {
            if let Some(run) = self
                .runs
                .iter()
                .find(|r| r.case == "nist" && r.tool == *tool)
            {
                let (six, four, total) = nist_counts(run);
                let _ = writeln!(
                    md,
                    "| NIST StRD, runs at LRE >= 6 (>= 4) of {total} | | {}: {six} ({four}) | |",
                    label(tool)
                );
            }
        }
    }

    fn decay_tables(&self, md: &mut String) {
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
            let last = runs.iter().rev().find(|r| !r.record.is_null());
            let record = last.map_or(&Value::Null, |r| &r.record);
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

    fn nist_tables(&self, md: &mut String) {
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

    fn xpcs_runs(&self, case: &str, tool: &str) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == case && r.tool == tool)
            .collect()
    }

    fn xpcs_tables(&self, md: &mut String) {
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
             | case | tool | end to end (median) | peak RSS | iterations | converged | largest physical-parameter error (in standard errors) | package time / homodyne |\n\
             |---|---|---:|---:|---:|---|---:|---:|\n",
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
                        let _ = writeln!(md, "| {case} | Python homodyne | {reason} | | | | | |");
                        if !self.quick {
                            let _ = writeln!(
                                md,
                                "| {case} | scipy, nlsq | not run: {XPCS_PEERS_REASON} | | | | | |"
                            );
                        }
                    }
                    continue;
                }
                let record = runs
                    .iter()
                    .rev()
                    .find(|r| !r.record.is_null())
                    .map_or(&Value::Null, |r| &r.record);
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
                    "| {case} | {} | {} | {} | {} | {} | {} | {} |",
                    label(tool),
                    fmt_s(median(
                        runs.iter()
                            .filter(|r| r.failure.is_none())
                            .map(|r| r.process_seconds)
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
                        "| {case} | scipy, nlsq | not run: {XPCS_PEERS_REASON} | | | | | |"
                    );
                }
            }
        }
    }

    /// Runs that report convergence without having fitted: no iterations, and parameters
    /// more than 3 standard errors from the truth.
    fn unfitted_notes(&self) -> Vec<String> {
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

    /// Quick mode's verdict: every benchmark ran and every fit converged.
    fn check_quick(&self, criterion: &Value) -> Result<()> {
        let mut broken = Vec::new();
        for target in criterion["targets"].as_array().into_iter().flatten() {
            if target["ok"].as_bool() != Some(true) {
                broken.push(format!(
                    "criterion {} {}",
                    target["package"], target["bench"]
                ));
            }
        }
        for run in &self.runs {
            if !run.converged() {
                broken.push(format!(
                    "{} {} {}: {}",
                    run.tool,
                    run.case,
                    run.size,
                    run.failure
                        .clone()
                        .unwrap_or_else(|| format!("not converged ({})", run.record["message"]))
                ));
            }
            if run.case == "nist" {
                for r in run.record["results"].as_array().into_iter().flatten() {
                    if r["lre"].as_f64().is_none_or(|l| l < 4.0) {
                        broken.push(format!(
                            "{} NIST {} start {}: LRE {}",
                            run.tool, r["problem"], r["start"], r["lre"]
                        ));
                    }
                }
            }
        }
        if broken.is_empty() {
            eprintln!("xtask: quick benchmark run: every benchmark ran");
            Ok(())
        } else {
            Err(format!("broken benchmarks:\n  {}", broken.join("\n  ")).into())
        }
    }
}

/// The report's "How it measures" lines of the exponential model, NIST and XPCS steps.
const HOW_THE_SUITE_MEASURES: &str = "- Exponential model: the fit call alone, timed by each tool around it (for nlsq \
             that includes compiling the model, which a fresh process pays every run); \
             `process` is the whole process, imports included. Data: \
             `homodyne::example::decay` with noise 0.01, from `p0 = (1, 1, 0)`; error is the \
             largest relative error of a parameter against the truth (2.5, 1.3, 0.5).\n\
             - NIST: each fit once untimed, then the median of 5; LRE against the certified \
             values, capped at 11. homodyne uses exact derivatives (dual numbers); scipy at \
             its defaults uses forward differences; nlsq differentiates with JAX, and \
             `nlsq.curve_fit` compiles the model again on every call, which is most of its \
             time per fit here.\n\
             - XPCS: both programs' whole command, end to end (loading the HDF5 file, fitting, \
             writing results), same configuration file and start; the caches are removed \
             before each run. `largest error` is the largest distance of a physical \
             parameter from the truth the data were made with, in the run's own standard \
             errors. The 23 x 1001 case is `homodyne xpcs --demo` (data made in memory, \
             included in its time).\n";

/// Why scipy and nlsq have no XPCS rows of their own.
const XPCS_PEERS_REASON: &str = "they fit a function the user writes, and have no XPCS \
    model; the Python homodyne package, which fits its model through nlsq, is the XPCS peer";
/// Why `nlsq.curve_fit_large` has no NIST row.
const NIST_LARGE_REASON: &str = "below 10^6 points it hands the fit to nlsq.curve_fit, whose \
    row this is";

/// The peers of the exponential model and of the NIST problems.
const PEER_DECAY_TOOLS: [&str; 4] = [
    "scipy_trf",
    "scipy_curve_fit",
    "nlsq_curve_fit",
    "nlsq_curve_fit_large",
];
const PEER_NIST_TOOLS: [&str; 3] = ["scipy_trf", "scipy_curve_fit", "nlsq_curve_fit"];

/// The NIST files shipped with the homodyne crate.
fn homodyne_nist_dir(root: &Path) -> PathBuf {
    root.join("crates/homodyne/tests/data/nist")
}

/// A readable name for a tool.
fn label(tool: &str) -> String {
    match tool {
        "homodyne_trf" => "homodyne trf",
        "homodyne_lm" => "homodyne lm",
        "homodyne_xpcs" => "homodyne xpcs",
        "python_homodyne" => "Python homodyne",
        "scipy_trf" => "scipy least_squares trf",
        "scipy_curve_fit" => "scipy curve_fit",
        "nlsq_curve_fit" => "nlsq curve_fit",
        "nlsq_curve_fit_large" => "nlsq curve_fit_large",
        "homodyne_rs_callable" => "homodyne_rs curve_fit, numpy callable",
        "homodyne_rs_formula" => "homodyne_rs curve_fit, formula string",
        "scipy_curve_fit_callable" => "scipy curve_fit, same callable",
        other => other,
    }
    .to_owned()
}

/// The largest relative error of a parameter of the exponential model in `record` against
/// the truth the data were made with, `(a, b, c) = (2.5, 1.3, 0.5)`, or `None` when the
/// record has no parameters.
fn decay_error(record: &Value) -> Option<f64> {
    let truth = [2.5, 1.3, 0.5];
    record["parameters"].as_array().map(|p| {
        p.iter()
            .zip(truth)
            .filter_map(|(v, t)| v.as_f64().map(|v| ((v - t) / t).abs()))
            .fold(0.0, f64::max)
    })
}

/// `ok` when every run converged, else what went wrong, once per distinct reason.
fn status_of(runs: &[&Run]) -> String {
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

/// (runs at LRE >= 6, at >= 4, runs) of a NIST process.
fn nist_counts(run: &Run) -> (usize, usize, usize) {
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

/// A JSON file (NaN written by Python read as null), or `None`.
fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text.replace("NaN", "null")).ok()
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

fn criterion_table(md: &mut String, criterion: &Value) {
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

/// Makes `venv` (Python 3.12 through pyenv where there, else `python3.12`, else
/// `python3`) and installs `install` into it unless `check` already imports there.
fn make_venv(root: &Path, venv: &Path, check: &str, install: &[&str]) -> Result<PathBuf> {
    let python = venv.join("bin").join("python");
    let works = |python: &Path| {
        Command::new(python)
            .args(["-c", check])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if python.exists() && works(&python) {
        return Ok(python);
    }
    if !python.exists() {
        eprintln!("xtask: creating the Python venv {}", venv.display());
        let made = ["python3.12", "python3"].iter().any(|interpreter| {
            Command::new(interpreter)
                .env("PYENV_VERSION", "3.12.1")
                .arg("-m")
                .arg("venv")
                .arg(venv)
                .current_dir(root)
                .status()
                .is_ok_and(|s| s.success())
        });
        if !made {
            return Err(format!(
                "no Python could make the venv {} (tried python3.12 with PYENV_VERSION=3.12.1, \
                 then python3; install Python >= 3.12 with venv)",
                venv.display()
            )
            .into());
        }
    }
    eprintln!("xtask: installing into {}", venv.display());
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet"])
        .args(install)
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !works(&python) {
        return Err(format!(
            "pip could not install {} into {} (is PyPI reachable? is the Python new enough?)",
            install.join(" "),
            venv.display()
        )
        .into());
    }
    Ok(python)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// The median of `values` (the lower middle for an even count), or `None` when empty.
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

fn fmt_s(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "n/a".to_owned(), crate::format_seconds)
}

fn fmt_mb(mb: Option<f64>) -> String {
    mb.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0} MB"))
}

fn fmt_ratio(ratio: Option<f64>) -> String {
    ratio.map_or_else(String::new, |r| format!("**{r:.1}x**"))
}

fn fmt_count(value: &Value) -> String {
    value
        .as_u64()
        .map_or_else(|| "n/a".to_owned(), |v| v.to_string())
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

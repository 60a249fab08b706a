//! The xpcsjax rows: `homodyne xpcs` against xpcsjax 0.1.8's command line (`xpcsjax
//! --config FILE --output DIR`, JAX on the CPU, float64) on the same data file,
//! configuration and start, end to end, with each program's error against the truth the
//! data were made with.
//!
//! Two cases of the same size (3 angles x 500 frames; 745,506 residuals, frame 0 and the
//! diagonal left out by both programs):
//! - **laminar 3 x 500**: the file of the comparison with the Python homodyne package
//!   (`bench/xpcs_compare/make_data.py`, that package's model, in `target/bench-xpcs/data/`),
//!   read by both programs through a copy of its configuration ([`xpcsjax_flavour`]) in
//!   `target/bench-xpcsjax/data/`: the same model, frames, q, dt, start and bounds, its own
//!   cache folder, and two keys that only xpcsjax reads. `optimization.stratification.
//!   enabled: false`, because with the default (`auto`) xpcsjax 0.1.8 asks for a 32.7 GB
//!   allocation on this case and fails ("Out of memory"). `optimization.nlsq.loss: linear`,
//!   because xpcsjax's default is soft_l1 and `homodyne xpcs` fits the plain sum of squares,
//!   so that both minimise the same objective. homodyne runs with `--python-compat`: the
//!   package's form of the shear factor (`sinc^2` of `q L dt int(gamma_dot) cos(phi0 - phi)
//!   / (2 pi)` in `g1`), which is xpcsjax's form too.
//! - **heterodyne 3 x 500** (`analysis_mode: two_component`): data made by
//!   `bench/xpcsjax_compare/make_het_data.py` with xpcsjax's own `compute_c2_heterodyne` at
//!   a known truth with every term of order one, seeded Gaussian noise, `f2` held at 0;
//!   the start is the truth moved by 5 %.
//!
//! Each case runs homodyne, xpcsjax, homodyne, ... ([`XPCSJAX_RUNS`] runs of xpcsjax, each
//! between two of homodyne), every run its own process under `/usr/bin/time`, each
//! program's caches removed before each run so that every run reads the HDF5 file. The
//! ratio is the median, over xpcsjax's runs, of its time over the mean of the two homodyne
//! runs around it ([`bracketed_ratio`]). Both programs write their default outputs (result
//! files and plots, under `target/bench-xpcsjax/runs/`); xpcsjax's log goes to
//! `xpcsjax.log` in its output folder, from which its iteration count is read (its result
//! file reports 0 on the laminar case).
//!
//! The venv `target/pyvenv-xpcsjax` is not made by a run (about 2.3 GB); `cargo xtask bench
//! --only venvs` makes it. Without it, or in quick mode, the rows say why they were not run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value, json};

use super::format::{fmt_count, fmt_mb, fmt_ratio, fmt_s};
use super::machine::machine;
use super::measure::{Bench, TIME_LIMIT_S, strings};
use super::runs::{Key, Run, median, read_json, status_of};
use crate::workspace::{Result, run};

/// The xpcsjax the rows run against.
pub(super) const XPCSJAX: &str = "xpcsjax==0.1.8";

/// The tool name of xpcsjax's runs.
pub(super) const TOOL: &str = "xpcsjax";

/// The tool name of homodyne's runs in these rows (not `homodyne_xpcs`, so that they do
/// not mix with the runs of the comparison with the Python package on the same file).
pub(super) const OURS: &str = "homodyne_xpcs_vs_xpcsjax";

/// Runs of xpcsjax per case (homodyne runs once more, around them).
pub(super) const XPCSJAX_RUNS: usize = 1;

/// The cases: name in the report, residuals both programs fit.
pub(super) const CASES: [(&str, usize); 2] = [
    ("xpcsjax_laminar_3x500", POINTS),
    ("xpcsjax_heterodyne_3x500", POINTS),
];

/// 3 angles x 499 frames x 498: frame 0 and the diagonal left out, both triangles.
const POINTS: usize = 3 * 499 * 498;

/// homodyne's rms residual must be at most xpcsjax's times this for "at least its
/// accuracy": both programs fit the same sum of squares to the same points, so the lower
/// one reached the better optimum of it (the slack covers the last digits of the solvers'
/// stopping points). The errors against the truth are reported beside it, but do not
/// decide: they are the data's noise (about 2 standard errors for both programs here), and
/// a parameter the data barely determine (`D_offset`, a standard error near its true
/// value) makes the largest relative error a coin toss.
pub(super) const ACCURACY_SLACK: f64 = 1.0 + 1e-6;

/// xpcsjax's output names of physical parameters that differ from the configuration's.
const ALIASES: [(&str, &str); 2] = [("v_beta", "beta"), ("phi0_het", "phi0")];

/// The report's lines on how the xpcsjax rows measure.
pub(super) const HOW_IT_MEASURES: &str = "- xpcsjax rows: `homodyne xpcs` and xpcsjax 0.1.8's \
    command line (`xpcsjax --config FILE --output DIR`, `JAX_ENABLE_X64=1`), each end to end \
    (loading the HDF5 file, fitting, writing its result files and plots) in its own process, \
    on the same file, configuration and start; homodyne, xpcsjax, homodyne, and the ratio is \
    xpcsjax's time over the mean of the two homodyne runs around it. `CPU time` is user + \
    system seconds (an inner `/usr/bin/time`), which other work on a shared machine changes \
    less than wall time; its ratio is in brackets. `fit` is each program's own timing of its \
    fit. The laminar case is the Python package's file with a copy of its \
    configuration that adds two keys only xpcsjax reads (`optimization.stratification.enabled: \
    false`: with the default, xpcsjax asks for 32.7 GB and fails; `optimization.nlsq.loss: \
    linear`: the sum of squares homodyne fits); homodyne runs with `--python-compat`, the \
    package's shear factor, which is xpcsjax's. The heterodyne case (`analysis_mode: \
    two_component`, `f2` held at 0) is data made with xpcsjax's own model \
    (`bench/xpcsjax_compare/make_het_data.py`), started at the truth moved by 5 %. `largest \
    relative error` is the largest |fitted - true| / |true| over the physical parameters, with \
    that parameter; `in standard errors` is the largest |fitted - true| / (the run's own \
    standard error). `rms residual` is the root mean square of the residuals at each \
    program's optimum (its chi-squared over its count of residuals: homodyne counts each pair \
    of frames once, xpcsjax both triangles), so the lower one is the better minimum of the same \
    sum of squares.\n";

/// A case of the xpcsjax rows, ready to run.
struct Case {
    /// The case name in the report.
    name: &'static str,
    /// The configuration both programs read.
    yaml: PathBuf,
    /// The truth file (`truth`: physical parameter name -> value).
    truth: PathBuf,
    /// The cache folders both programs may write, emptied before each run.
    caches: Vec<PathBuf>,
    /// homodyne's flags beyond `--config`, `--quiet` and `--output-dir`.
    flags: &'static [&'static str],
}

impl Bench {
    /// The xpcsjax rows: both cases, where the venv and the data are there.
    /// `package` is the Python homodyne package's venv, which makes the laminar file
    /// when it is missing (`None`: made on first use where the file is missing).
    pub(super) fn xpcsjax(&mut self, package: Option<&Path>) -> Result<()> {
        let Some(python) = self.xpcsjax_python() else {
            return Ok(());
        };
        let xpcsjax = python.with_file_name("xpcsjax");
        let mut cases = Vec::new();
        if let Some(case) = self.laminar_case(package)? {
            cases.push(case);
        }
        cases.push(self.heterodyne_case(&python)?);
        for case in &cases {
            self.run_case(case, &xpcsjax)?;
        }
        Ok(())
    }

    /// The laminar case: the Python package comparison's file, its configuration copied
    /// with xpcsjax's keys; `None` (with a note) when the file cannot be made.
    fn laminar_case(&mut self, package: Option<&Path>) -> Result<Option<Case>> {
        let source = self.root.join("target").join("bench-xpcs").join("data");
        let stem = "laminar_3x500";
        let have = |ext: &str| source.join(format!("{stem}{ext}")).exists();
        if !(have(".h5") && have(".yaml") && have("_truth.json")) {
            let package = match package {
                Some(package) => Some(package.to_path_buf()),
                None => self.package_python(),
            };
            let Some(package) = package else {
                self.unavailable.insert(
                    "xpcsjax xpcsjax_laminar_3x500".to_owned(),
                    "not run: its data are made by the Python homodyne package's own model \
                     (bench/xpcs_compare/make_data.py), whose venv could not be made"
                        .to_owned(),
                );
                return Ok(None);
            };
            eprintln!("xtask: making the XPCS data files with the package's model");
            run(Command::new(&package)
                .arg(self.root.join("bench/xpcs_compare/make_data.py"))
                .arg(&source)
                .current_dir(&self.root))?;
        }
        let data = self.xpcsjax_data()?;
        let cache = data.join(format!("cache_{stem}"));
        let text = std::fs::read_to_string(source.join(format!("{stem}.yaml")))?;
        let yaml = data.join(format!("{stem}.yaml"));
        std::fs::write(&yaml, xpcsjax_flavour(&text, &cache)?)?;
        Ok(Some(Case {
            name: CASES[0].0,
            yaml,
            truth: source.join(format!("{stem}_truth.json")),
            caches: vec![cache],
            flags: &["--python-compat"],
        }))
    }

    /// The heterodyne case, its data made with xpcsjax's model when missing.
    fn heterodyne_case(&mut self, python: &Path) -> Result<Case> {
        let data = self.xpcsjax_data()?;
        let stem = "heterodyne_3x500";
        let have = |ext: &str| data.join(format!("{stem}{ext}")).exists();
        if !(have(".h5") && have(".yaml") && have("_truth.json")) {
            eprintln!("xtask: making the heterodyne data file with xpcsjax's model");
            run(Command::new(python)
                .arg(self.root.join("bench/xpcsjax_compare/make_het_data.py"))
                .arg(&data)
                .args(["--frames", "500"])
                .env("JAX_ENABLE_X64", "1")
                .current_dir(&self.root))?;
        }
        Ok(Case {
            name: CASES[1].0,
            yaml: data.join(format!("{stem}.yaml")),
            truth: data.join(format!("{stem}_truth.json")),
            caches: vec![data.join(format!("cache_{stem}"))],
            flags: &[],
        })
    }

    /// `target/bench-xpcsjax/data`, made if needed.
    fn xpcsjax_data(&self) -> Result<PathBuf> {
        let data = self.root.join("target").join("bench-xpcsjax").join("data");
        std::fs::create_dir_all(&data)?;
        Ok(data)
    }

    /// homodyne, xpcsjax, homodyne, ...: [`XPCSJAX_RUNS`] runs of xpcsjax, each between
    /// two of homodyne. homodyne's runs stop after a first failure (a build that does not
    /// read the case's `analysis_mode` yet), xpcsjax's go on.
    fn run_case(&mut self, case: &Case, xpcsjax: &Path) -> Result<()> {
        let truth = read_json(&case.truth);
        // Both programs' outputs (xpcsjax's are about 90 MB a run) beside the data.
        let out = self.root.join("target").join("bench-xpcsjax").join("runs");
        let mut homodyne_works = true;
        for repeat in 0..=XPCSJAX_RUNS {
            if homodyne_works {
                homodyne_works = self.run_homodyne(case, repeat, &out, truth.as_ref())?;
            }
            if repeat < XPCSJAX_RUNS {
                self.run_xpcsjax(case, repeat, &out, xpcsjax, truth.as_ref())?;
            }
        }
        Ok(())
    }

    /// One run of `homodyne xpcs` on `case`; whether it gave a result.
    fn run_homodyne(
        &mut self,
        case: &Case,
        repeat: usize,
        out: &Path,
        truth: Option<&Value>,
    ) -> Result<bool> {
        empty_caches(&case.caches)?;
        let dir = out.join(format!("{}_homodyne_{repeat}", case.name));
        let _ = std::fs::remove_dir_all(&dir);
        let mut args = strings(&["xpcs", "--config", &case.yaml.to_string_lossy()]);
        args.extend(strings(case.flags));
        args.extend(strings(&[
            "--quiet",
            "--output-dir",
            &dir.to_string_lossy(),
        ]));
        let read = |_: &str| read_homodyne_outputs(&dir, truth);
        let key = Key {
            tool: OURS,
            case: case.name,
            size: POINTS,
            repeat,
        };
        std::fs::create_dir_all(out)?;
        let cpu = out.join(format!("{}_homodyne_{repeat}.cpu.txt", case.name));
        let cli = self.homodyne_cli.clone();
        let args = self.wrapped(&cpu, None, &cli, args);
        let load = load_average();
        let run = self.measure(key, Path::new("/bin/sh"), &args, None, Some(&read));
        self.note_run(load, &cpu);
        Ok(run.failure.is_none())
    }

    /// One run of xpcsjax's command line on `case`, its log in its output folder.
    fn run_xpcsjax(
        &mut self,
        case: &Case,
        repeat: usize,
        out: &Path,
        xpcsjax: &Path,
        truth: Option<&Value>,
    ) -> Result<()> {
        empty_caches(&case.caches)?;
        let dir = out.join(format!("{}_xpcsjax_{repeat}", case.name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let log = dir.join("xpcsjax.log");
        let cpu = dir.join("cpu.txt");
        let args = strings(&[
            "--config",
            &case.yaml.to_string_lossy(),
            "--output",
            &dir.to_string_lossy(),
        ]);
        let args = self.wrapped(&cpu, Some(&log), xpcsjax, args);
        let read = |_: &str| {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            read_xpcsjax_outputs(&dir, &text, truth)
        };
        let key = Key {
            tool: TOOL,
            case: case.name,
            size: POINTS,
            repeat,
        };
        let load = load_average();
        self.measure(key, Path::new("/bin/sh"), &args, Some(&dir), Some(&read));
        self.note_run(load, &cpu);
        // Exit status 2 is xpcsjax's "not converged": its result files are written, and
        // the record says so; any other failure gets the log's last error line.
        if let Some(last) = self.runs.last_mut() {
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            last.failure = xpcsjax_failure(last.failure.take(), &last.record, &log_text);
        }
        Ok(())
    }

    /// The arguments of `/bin/sh` that run `program args` with `JAX_ENABLE_X64=1`: `sh`
    /// execs the inner `/usr/bin/time` (where there is one), which writes the run's CPU
    /// seconds (user, system) to `cpu`, with the program's stderr to `log` where given.
    /// The outer `/usr/bin/time` and `timeout` of [`Bench::measure`] still see one process
    /// tree, and the peak RSS is the program's.
    fn wrapped(
        &self,
        cpu: &Path,
        log: Option<&Path>,
        program: &Path,
        args: Vec<String>,
    ) -> Vec<String> {
        let _ = std::fs::remove_file(cpu);
        let time = if self.time_v {
            r#"/usr/bin/time -f "%U %S" -o "$cpu" "#
        } else {
            ""
        };
        let stderr = if log.is_some() { r#" 2>"$log""# } else { "" };
        let script = format!(
            r#"cpu="$1"; log="$2"; shift 2; export JAX_ENABLE_X64=1; exec {time}"$@"{stderr}"#
        );
        let mut wrapped = strings(&[
            "-c",
            &script,
            "sh",
            &cpu.to_string_lossy(),
            &log.map_or_else(String::new, |l| l.to_string_lossy().into_owned()),
            &program.to_string_lossy(),
        ]);
        wrapped.extend(args);
        wrapped
    }

    /// Records in the last run's record `load`, the load average at its start, and its
    /// CPU seconds from the file `cpu` ([`cpu_seconds`]).
    fn note_run(&mut self, load: Option<f64>, cpu: &Path) {
        let cpu = std::fs::read_to_string(cpu).ok();
        if let Some(fields) = self.runs.last_mut().and_then(|r| r.record.as_object_mut()) {
            fields.insert("load_average".to_owned(), json!(load));
            let seconds = cpu.as_deref().and_then(cpu_seconds);
            fields.insert("cpu_seconds".to_owned(), json!(seconds));
        }
    }

    /// The runs of the xpcsjax rows of `case` by `tool`.
    fn xpcsjax_runs(&self, case: &str, tool: &str) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == case && r.tool == tool)
            .collect()
    }

    /// xpcsjax's end-to-end time over homodyne's for `case` ([`bracketed_ratio`]).
    pub(super) fn xpcsjax_ratio(&self, case: &str) -> Option<f64> {
        self.ratio_of(case, |r| Some(r.process_seconds))
    }

    /// The same ratio of CPU seconds (user + system), which other work on the machine
    /// changes less than wall time.
    fn xpcsjax_cpu_ratio(&self, case: &str) -> Option<f64> {
        self.ratio_of(case, |r| r.record["cpu_seconds"].as_f64())
    }

    /// [`bracketed_ratio`] of `seconds` of the successful runs.
    fn ratio_of(&self, case: &str, seconds: fn(&Run) -> Option<f64>) -> Option<f64> {
        let times = |tool: &str| -> Vec<(usize, f64)> {
            self.xpcsjax_runs(case, tool)
                .iter()
                .filter(|r| r.failure.is_none())
                .filter_map(|r| seconds(r).map(|s| (r.repeat, s)))
                .collect()
        };
        bracketed_ratio(&times(OURS), &times(TOOL))
    }

    /// The ratio cell of xpcsjax's row: end to end and CPU time; where xpcsjax was
    /// stopped at the time limit, the bound that gives.
    fn ratio_cell(&self, case: &str) -> String {
        if let Some(ratio) = self.xpcsjax_ratio(case) {
            return match self.xpcsjax_cpu_ratio(case) {
                Some(cpu) => format!("{} (CPU {cpu:.1}x)", fmt_ratio(Some(ratio))),
                None => fmt_ratio(Some(ratio)),
            };
        }
        let stopped = (self.xpcsjax_runs(case, TOOL).iter()).any(|r| {
            r.failure
                .as_deref()
                .is_some_and(|f| f.starts_with("stopped at"))
        });
        match self.xpcsjax_seconds(case, OURS) {
            Some(ours) if stopped => format!(
                "more than {:.0}x (xpcsjax stopped at {TIME_LIMIT_S} s)",
                TIME_LIMIT_S as f64 / ours
            ),
            _ => String::new(),
        }
    }

    /// The median end-to-end seconds of `tool` on `case`, failed runs left out.
    pub(super) fn xpcsjax_seconds(&self, case: &str, tool: &str) -> Option<f64> {
        median(
            self.xpcsjax_runs(case, tool)
                .iter()
                .filter(|r| r.failure.is_none())
                .map(|r| r.process_seconds),
        )
    }

    /// The largest relative error of `tool`'s last converged run of `case`.
    pub(super) fn xpcsjax_error(&self, case: &str, tool: &str) -> Option<f64> {
        self.last_converged(case, tool, "max_relative_error")
    }

    /// The rms residual of `tool`'s last converged run of `case`.
    pub(super) fn xpcsjax_rms(&self, case: &str, tool: &str) -> Option<f64> {
        self.last_converged(case, tool, "rms_residual")
    }

    /// The number `key` of the record of `tool`'s last converged run of `case`.
    fn last_converged(&self, case: &str, tool: &str, key: &str) -> Option<f64> {
        self.xpcsjax_runs(case, tool)
            .iter()
            .rev()
            .filter(|r| r.converged())
            .find_map(|r| r.record[key].as_f64())
    }

    /// The section "Against xpcsjax": one row per case and program.
    pub(super) fn xpcsjax_tables(&self, md: &mut String) {
        let ran = self.runs.iter().any(|r| r.tool == TOOL || r.tool == OURS);
        let reason = self.unavailable.get(TOOL);
        if !ran && reason.is_none() {
            return;
        }
        let m = machine();
        let loads: Vec<f64> = (self.runs.iter())
            .filter(|r| r.tool == TOOL || r.tool == OURS)
            .filter_map(|r| r.record["load_average"].as_f64())
            .collect();
        let shared = match (
            loads.iter().copied().reduce(f64::min),
            loads.iter().copied().reduce(f64::max),
        ) {
            (Some(low), Some(high)) => format!(
                "; the machine was shared with other work (1-minute load average {low:.1} to \
                 {high:.1} at the starts of these runs)"
            ),
            _ => String::new(),
        };
        let _ = write!(
            md,
            "\n## Against xpcsjax\n\n\
             `homodyne xpcs` and {} (JAX, CPU) on the same file, configuration and start, end \
             to end; the error of each against the truth the data were made with (how: \"How it \
             measures\" below). This section alone: `cargo xtask bench --only xpcsjax`. These \
             figures: git {}, {}, {} cores{shared}.\n\n\
             | case | tool | end to end (median) | CPU time (median) | fit (its own timing) | peak RSS | iterations | converged | rms residual | largest relative error (parameter) | in standard errors | runs | xpcsjax / homodyne, end to end (CPU time) |\n\
             |---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n",
            XPCSJAX.replace("==", " "),
            m["git"].as_str().unwrap_or("?"),
            m["date"].as_str().unwrap_or("?"),
            m["cores"],
        );
        for (case, _) in CASES {
            for (tool, label) in [(OURS, "homodyne xpcs"), (TOOL, "xpcsjax")] {
                let runs = self.xpcsjax_runs(case, tool);
                if runs.is_empty() {
                    let why = self
                        .unavailable
                        .get(&format!("{tool} {case}"))
                        .or(reason.filter(|_| tool == TOOL))
                        .map_or("not run", String::as_str);
                    let _ = writeln!(md, "| {case} | {label} | {why} | | | | | | | | | | |");
                    continue;
                }
                let record = runs
                    .iter()
                    .rev()
                    .find(|r| !r.record.is_null())
                    .map_or(&Value::Null, |r| &r.record);
                let ratio = if tool == TOOL {
                    self.ratio_cell(case)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    md,
                    "| {case} | {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {ratio} |",
                    fmt_s(self.xpcsjax_seconds(case, tool)),
                    fmt_s(median(
                        runs.iter()
                            .filter(|r| r.failure.is_none())
                            .filter_map(|r| r.record["cpu_seconds"].as_f64())
                    )),
                    fmt_s(median(
                        runs.iter()
                            .filter(|r| r.failure.is_none())
                            .filter_map(|r| r.record["fit_seconds"].as_f64())
                    )),
                    fmt_mb(median(runs.iter().filter_map(|r| r.peak_rss_mb))),
                    fmt_count(&record["iterations"]),
                    status_of(&runs),
                    record["rms_residual"]
                        .as_f64()
                        .map_or("n/a".to_owned(), |r| format!("{r:.7e}")),
                    fmt_error(record),
                    record["worst_z"]
                        .as_f64()
                        .map_or("n/a".to_owned(), |z| format!("{z:.1}")),
                    runs.len(),
                );
            }
        }
    }
}

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
fn fmt_error(record: &Value) -> String {
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
fn read_xpcsjax_outputs(dir: &Path, log: &str, truth: Option<&Value>) -> Value {
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
fn read_homodyne_outputs(dir: &Path, truth: Option<&Value>) -> Value {
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
struct Reported<'a> {
    converged: bool,
    message: &'a Value,
    iterations: Value,
    /// Its own timing of the fit, seconds.
    fit_seconds: &'a Value,
    /// Its sum of squared residuals.
    chi_squared: &'a Value,
    /// How many residuals that sum has.
    residuals: f64,
    /// Name -> `{value, uncertainty}`.
    parameters: &'a Value,
}

impl Reported<'_> {
    /// The run's record: what it reported, the root mean square of its residuals
    /// (`rms_residual`: comparable between the programs, which sum over different
    /// copies of the pairs) and its errors against the truth.
    fn record(self, truth: Option<&Value>) -> Value {
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
fn empty_caches(caches: &[PathBuf]) -> Result<()> {
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
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_divides_each_xpcsjax_run_by_the_homodyne_runs_around_it() {
        // homodyne 1 s and 3 s around xpcsjax's 40 s: 20x.
        let ours = [(0, 1.0), (1, 3.0)];
        assert_eq!(bracketed_ratio(&ours, &[(0, 40.0)]), Some(20.0));
        // Two xpcsjax runs: 40 / 2 = 20 and 90 / 3 = 30; the median is the lower middle.
        let ours = [(0, 1.0), (1, 3.0), (2, 3.0)];
        assert_eq!(bracketed_ratio(&ours, &[(0, 40.0), (1, 90.0)]), Some(20.0));
        // A missing homodyne run: the other one alone.
        assert_eq!(bracketed_ratio(&[(1, 2.0)], &[(0, 40.0)]), Some(20.0));
        assert_eq!(bracketed_ratio(&[], &[(0, 40.0)]), None);
        assert_eq!(bracketed_ratio(&[(0, 1.0)], &[]), None);
    }

    #[test]
    fn errors_against_the_truth_accept_xpcsjax_names() {
        let truth = json!({ "v0": 400.0, "v_beta": 0.7, "phi0_het": 4.0 });
        let truth = truth.as_object().unwrap();
        let fitted = json!({
            "v0": { "value": 404.0, "uncertainty": 2.0 },
            "beta": { "value": 0.7, "uncertainty": null },
            "phi0": { "value": 3.0, "uncertainty": 0.5 },
        });
        let errors = truth_errors(&fitted, truth);
        assert_eq!(errors["max_relative_error"], json!(0.25));
        assert_eq!(errors["max_relative_error_parameter"], json!("phi0_het"));
        assert_eq!(errors["worst_z"], json!(2.0));
        assert_eq!(errors["missing"], json!([]));
        // homodyne's spelling is the configuration's.
        let fitted = json!({ "v0": { "value": 400.0 }, "v_beta": { "value": 0.77 } });
        let errors = truth_errors(&fitted, truth);
        assert_eq!(errors["max_relative_error"], Value::Null);
        assert_eq!(errors["missing"], json!(["phi0_het"]));
        assert_eq!(errors["worst_z"], Value::Null);
    }

    #[test]
    fn the_iterations_are_those_of_the_last_solve_in_the_log() {
        let log = "INFO:nlsq.least_squares:Convergence reason=`ftol` termination condition is \
                   satisfied. | iterations=39 | final_cost=0.3563 | elapsed=9.447s\n\
                   2026-12-07 14:27:45 | INFO | x | Iterations: 39\n\
                   INFO:nlsq.least_squares:Convergence reason=`ftol` | iterations=294 | final\n\
                   iterations:       0\n";
        assert_eq!(iterations_from_log(log), Some(294));
        assert_eq!(iterations_from_log("iterations: 12\n"), None);
    }

    #[test]
    fn a_record_has_the_rms_residual_and_the_errors() {
        let parameters = json!({ "D0": { "value": 15060.0, "uncertainty": 60.0 } });
        let reported = Reported {
            converged: true,
            message: &json!("converged"),
            iterations: json!(4),
            fit_seconds: &json!(0.27),
            chi_squared: &json!(9.0),
            residuals: 3600.0,
            parameters: &parameters,
        };
        let truth = json!({ "truth": { "D0": 15000.0 } });
        let record = reported.record(Some(&truth));
        assert_eq!(record["rms_residual"], json!(0.05));
        assert_eq!(record["max_relative_error"], json!(0.004));
        assert_eq!(record["worst_z"], json!(1.0));
        assert_eq!(record["iterations"], json!(4));
        assert!(record["converged"].as_bool().unwrap());
    }

    #[test]
    fn cpu_seconds_are_user_plus_system_from_the_last_line() {
        assert_eq!(cpu_seconds("12.50 0.75\n"), Some(13.25));
        assert_eq!(
            cpu_seconds("Command exited with non-zero status 2\n3.00 1.00\n"),
            Some(4.0)
        );
        assert_eq!(cpu_seconds("Command terminated by signal 9\n"), None);
        assert_eq!(cpu_seconds(""), None);
    }

    #[test]
    fn exit_status_2_with_results_is_not_a_failure() {
        let record = json!({ "converged": false });
        let log = "2026-12-07 14:13:36 | ERROR    | xpcsjax.optimization.nlsq.core | Both failed\n";
        assert_eq!(
            xpcsjax_failure(Some("exit status 2: ".to_owned()), &record, log),
            None
        );
        assert_eq!(
            xpcsjax_failure(Some("exit status 2: ".to_owned()), &Value::Null, log),
            Some("exit status 2: Both failed".to_owned())
        );
        assert_eq!(
            xpcsjax_failure(Some("exit status 1: ".to_owned()), &record, ""),
            Some("exit status 1: ".to_owned())
        );
        assert_eq!(xpcsjax_failure(None, &record, log), None);
    }

    #[test]
    fn the_laminar_configuration_gets_xpcsjax_keys_and_its_own_cache() {
        let yaml = "analysis_mode: \"laminar_flow\"\n\
                    experimental_data:\n  data_file_name: \"laminar_3x500.h5\"\n  \
                    cache_file_path: \"/old/cache\"\n\
                    optimization:\n  nlsq:\n    anti_degeneracy:\n      per_angle_mode: \"individual\"\n";
        let text = xpcsjax_flavour(yaml, Path::new("/new/cache")).unwrap();
        assert!(
            text.contains("  cache_file_path: \"/new/cache\"\n"),
            "{text}"
        );
        assert!(!text.contains("/old/cache"), "{text}");
        assert!(
            text.contains("stratification:\n    enabled: false\n  nlsq:\n"),
            "{text}"
        );
        assert!(
            text.contains("    loss: linear\n    anti_degeneracy:\n      per_angle_mode"),
            "{text}"
        );
        assert!(text.contains("analysis_mode: \"laminar_flow\"\n"), "{text}");
        assert!(xpcsjax_flavour("analysis_mode: static\n", Path::new("/c")).is_err());
        let no_block = "cache_file_path: \"/old\"\noptimization:\n  method: nlsq\n";
        assert!(xpcsjax_flavour(no_block, Path::new("/c")).is_err());
    }

    #[test]
    fn the_table_says_why_xpcsjax_did_not_run() {
        let mut bench = Bench::empty(super::super::mode::Mode::Full);
        let mut md = String::new();
        bench.xpcsjax_tables(&mut md);
        assert!(md.is_empty(), "{md}");
        bench
            .unavailable
            .insert(TOOL.to_owned(), "not run: make it".to_owned());
        bench.xpcsjax_tables(&mut md);
        assert!(md.contains("## Against xpcsjax"), "{md}");
        assert!(
            md.contains("| xpcsjax_laminar_3x500 | xpcsjax | not run: make it |"),
            "{md}"
        );
        assert!(
            md.contains("| xpcsjax_heterodyne_3x500 | homodyne xpcs | not run |"),
            "{md}"
        );
    }

    #[test]
    fn the_table_shows_each_program_and_the_ratio() {
        let mut bench = Bench::empty(super::super::mode::Mode::Xpcsjax);
        let case = CASES[0].0;
        let rec = |seconds: f64, error: f64| {
            json!({
                "converged": true, "iterations": 4, "fit_seconds": seconds / 2.0,
                "max_relative_error": error, "max_relative_error_parameter": "D_offset",
                "worst_z": 1.25, "rms_residual": 0.005,
            })
        };
        for (tool, repeat, seconds, error) in [
            (OURS, 0, 0.5, 0.44),
            (TOOL, 0, 30.0, 0.45),
            (OURS, 1, 0.7, 0.44),
        ] {
            let mut record = rec(seconds, error);
            record["load_average"] = json!(1.5 + seconds / 30.0);
            // homodyne 1 CPU second a run, xpcsjax 2 per wall second.
            record["cpu_seconds"] = json!(if tool == TOOL { 2.0 * seconds } else { 1.5 });
            bench.runs.push(Run {
                tool: tool.to_owned(),
                case: case.to_owned(),
                size: POINTS,
                repeat,
                process_seconds: seconds,
                peak_rss_mb: Some(100.0),
                record,
                failure: None,
            });
        }
        assert_eq!(bench.xpcsjax_ratio(case), Some(50.0));
        assert_eq!(bench.xpcsjax_error(case, OURS), Some(0.44));
        let mut md = String::new();
        bench.xpcsjax_tables(&mut md);
        assert!(
            md.contains(&format!(
                "| {case} | xpcsjax | 30.000 s | 60.000 s | 15.000 s | 100 MB | 4 | ok | 5.0000000e-3 | 0.450 (D_offset) | 1.2 | 1 | **50.0x** (CPU 40.0x) |"
            )),
            "{md}"
        );
        assert!(
            md.contains("| xpcsjax_heterodyne_3x500 | xpcsjax | not run |"),
            "{md}"
        );
        assert!(
            md.contains("(1-minute load average 1.5 to 2.5 at the starts of these runs)"),
            "{md}"
        );
        assert!(md.contains("`cargo xtask bench --only xpcsjax`"), "{md}");
        // xpcsjax stopped at the time limit: the bound it gives.
        let last = bench.runs.iter_mut().find(|r| r.tool == TOOL).unwrap();
        last.failure = Some(format!("stopped at the time limit of {TIME_LIMIT_S} s"));
        let mut md = String::new();
        bench.xpcsjax_tables(&mut md);
        let bound = format!(
            "more than {:.0}x (xpcsjax stopped at {TIME_LIMIT_S} s) |",
            TIME_LIMIT_S as f64 / 0.5
        );
        assert!(md.contains(&bound), "{md}");
    }
}

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

use serde_json::{Value, json};

use super::format::{fmt_count, fmt_mb, fmt_ratio, fmt_s};
use super::machine::machine;
use super::measure::{Bench, TIME_LIMIT_S, strings};
use super::runs::{Key, Run, median, read_json, status_of};
use crate::workspace::{Result, run};

mod outputs;
#[cfg(test)]
mod tests;

use outputs::{
    POINTS, bracketed_ratio, cpu_seconds, empty_caches, fmt_error, load_average,
    read_homodyne_outputs, read_xpcsjax_outputs, xpcsjax_failure, xpcsjax_flavour,
};

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

/// homodyne's rms residual must be at most xpcsjax's times this for "at least its
/// accuracy": both programs fit the same sum of squares to the same points, so the lower
/// one reached the better optimum of it (the slack covers the last digits of the solvers'
/// stopping points). The errors against the truth are reported beside it, but do not
/// decide: they are the data's noise (about 2 standard errors for both programs here), and
/// a parameter the data barely determine (`D_offset`, a standard error near its true
/// value) makes the largest relative error a coin toss.
pub(super) const ACCURACY_SLACK: f64 = 1.0 + 1e-6;

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

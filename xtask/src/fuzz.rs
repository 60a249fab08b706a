//! `cargo xtask fuzz`: builds the fuzz targets of `fuzz/` (libFuzzer through
//! `libfuzzer-sys`) on the stable toolchain and runs each on its corpus for a set time,
//! one after the other; prints and writes a table of executions, coverage and crashes.
//!
//! # Stable toolchain
//!
//! cargo-fuzz is not needed: the build is `cargo build --release --target <host>` of the
//! `fuzz/` workspace with the flags `cargo fuzz build --sanitizer none` passes to rustc
//! ([`RUSTFLAGS`]: the SanitizerCoverage pass with inline 8-bit counters, the PC table,
//! comparison tracing and stack depth; `--cfg fuzzing`; debug assertions and overflow
//! checks). All are stable flags; only a sanitizer (`-Zsanitizer=address`) would need a
//! nightly compiler. Naming `--target` keeps the flags off build scripts and proc macros,
//! as cargo-fuzz does. Without AddressSanitizer, libFuzzer's `-malloc_limit_mb` does
//! nothing: the targets' global allocator refuses to hold more than 1 GiB instead
//! (`homodyne_fuzz::MEMORY_LIMIT`), and `-rss_limit_mb` still watches the process.
//!
//! # Runs
//!
//! Each target runs as `fuzz/target/<host>/<profile>/<target> fuzz/corpus/<target>
//! fuzz/seeds/<target>`: new inputs go to `fuzz/corpus/` (kept between runs, not in git),
//! the committed seeds are read. A crash, a timeout (10 s for one input) or running out
//! of memory stops that target; its input is written to `fuzz/artifacts/<target>/`, and
//! the task fails after running the others. With `--keep-going` (for long campaigns, where
//! a crash not yet fixed would otherwise end each run early) libFuzzer runs in fork mode,
//! one child at a time, and goes on after a crash, a timeout or running out of memory,
//! writing each input; the task still fails when any was written. Rerun one input with
//! `fuzz/target/<host>/release/<target> <file>`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::workspace::{Result, run, workspace_root, write_report};

/// The fuzz targets (binaries of `fuzz/Cargo.toml`), in the order they run.
pub(crate) const TARGETS: [&str; 9] = [
    "formula",
    "text_table",
    "npy",
    "npz",
    "hdf5",
    "xpcs_config",
    "xpcs_aps",
    "checkpoint",
    "distributed",
];

/// What `cargo fuzz build --sanitizer none` passes to rustc (cargo-fuzz 0.12), stable
/// flags all.
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    -Cllvm-args=-sanitizer-coverage-stack-depth \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// Seconds one input may take before libFuzzer reports a timeout.
const INPUT_TIMEOUT_S: u32 = 10;
/// Resident memory at which libFuzzer reports the process out of memory.
const RSS_LIMIT_MB: u32 = 2048;

/// The options of `cargo xtask fuzz`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Seconds each target runs.
    seconds: u64,
    /// CI's short run: the `fuzz-ci` profile (quicker to build).
    ci: bool,
    /// Go on after a crash (libFuzzer's fork mode).
    keep_going: bool,
    /// The targets to run (all when empty).
    targets: Vec<String>,
}

impl Options {
    /// Parses `[--minutes N | --seconds N] [--ci] [--keep-going] [TARGET...]`; `None` for
    /// anything else.
    /// By default each target runs 1 minute (`--ci`: 10 seconds).
    pub(crate) fn parse(args: &[String]) -> Option<Options> {
        let mut seconds = None;
        let mut ci = false;
        let mut keep_going = false;
        let mut targets = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--minutes" => seconds = Some(args.next()?.parse::<u64>().ok()? * 60),
                "--seconds" => seconds = Some(args.next()?.parse::<u64>().ok()?),
                "--ci" => ci = true,
                "--keep-going" => keep_going = true,
                name if TARGETS.contains(&name) => targets.push(name.to_owned()),
                _ => return None,
            }
        }
        let seconds = seconds.unwrap_or(if ci { 10 } else { 60 });
        (seconds > 0).then_some(Options {
            seconds,
            ci,
            keep_going,
            targets,
        })
    }

    fn profile(&self) -> &'static str {
        if self.ci { "fuzz-ci" } else { "release" }
    }
}

/// How one target's run ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Outcome {
    /// Inputs executed.
    pub(crate) executions: Option<u64>,
    /// Coverage: edges (libFuzzer's `cov:`) reached.
    pub(crate) edges: Option<u64>,
    /// Inputs in the corpus at the end.
    pub(crate) corpus: Option<u64>,
    /// Peak resident memory, MB.
    pub(crate) rss_mb: Option<u64>,
    /// Why the run stopped early (`deadly signal`, `timeout`, `out-of-memory`, ...).
    pub(crate) failure: Option<String>,
    /// The input that failed, as libFuzzer wrote it.
    pub(crate) artifact: Option<String>,
    /// Inputs written to the target's artifacts folder during the run (crashes, timeouts,
    /// out-of-memory), by file name.
    pub(crate) written: Vec<String>,
}

/// Reads a run's libFuzzer log: the last status line's `cov:`, `corp:` and `rss:`, the
/// final statistics, and the failure and its input when there is one.
pub(crate) fn parse_log(log: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let field = |line: &str, name: &str| -> Option<u64> {
        let rest = &line[line.find(name)? + name.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    for line in log.lines() {
        // `#70123\tDONE   cov: ...`, or in fork mode `#70123: cov: ...`.
        if line.starts_with('#') && line.contains(" cov: ") {
            outcome.executions = line[1..]
                .split_whitespace()
                .next()
                .and_then(|n| n.trim_end_matches(':').parse().ok());
            outcome.edges = field(line, " cov:");
            outcome.corpus = field(line, " corp:");
            outcome.rss_mb = field(line, " rss:");
        } else if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            outcome.executions = n.trim().parse().ok();
        } else if let Some(n) = line.strip_prefix("stat::peak_rss_mb:") {
            outcome.rss_mb = n.trim().parse().ok();
        } else if let Some(why) = line.split("SUMMARY: libFuzzer: ").nth(1) {
            outcome.failure = Some(why.trim().to_owned());
        } else if outcome.failure.is_none() && line.contains("ERROR: libFuzzer: ") {
            let why = line.split("ERROR: libFuzzer: ").nth(1).unwrap_or_default();
            outcome.failure = Some(why.trim().to_owned());
        } else if let Some(rest) = line.split("Test unit written to ").nth(1) {
            outcome.artifact = Some(rest.trim().to_owned());
        }
    }
    outcome
}

/// The host's target triple (`rustc -vV`).
fn host_triple() -> Result<String> {
    let output = Command::new("rustc").arg("-vV").output()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV names no host".into())
}

/// Builds every target of `fuzz/` with the coverage instrumentation.
fn build(fuzz: &Path, triple: &str, profile: &str) -> Result<()> {
    let flags = match std::env::var("RUSTFLAGS") {
        Ok(user) if !user.trim().is_empty() => format!("{user} {RUSTFLAGS}"),
        _ => RUSTFLAGS.to_owned(),
    };
    let flags = flags.split_whitespace().collect::<Vec<_>>().join(" ");
    run(Command::new(env!("CARGO"))
        .current_dir(fuzz)
        .args(["build", "--profile", profile, "--target", triple, "--bins"])
        .env("RUSTFLAGS", flags)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR"))
}

/// The names of the files in `dir`, sorted.
fn artifact_names(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Runs `target` for `seconds` on its corpus (in fork mode, going on after failures, when
/// `keep_going`); the log is written to `log`.
fn run_target(
    fuzz: &Path,
    binary: &Path,
    target: &str,
    (seconds, keep_going): (u64, bool),
    log: &Path,
) -> Result<Outcome> {
    let corpus = fuzz.join("corpus").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let seeds = fuzz.join("seeds").join(target);
    let before = artifact_names(&artifacts)?;
    let mut command = Command::new(binary);
    command
        .current_dir(fuzz)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_S}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1");
    if keep_going {
        command.args([
            "-fork=1",
            "-ignore_crashes=1",
            "-ignore_timeouts=1",
            "-ignore_ooms=1",
        ]);
    }
    command.arg(&corpus);
    if seeds.is_dir() {
        command.arg(&seeds);
    }
    let file = std::fs::File::create(log)?;
    let status = command
        .stdout(file.try_clone()?)
        .stderr(file)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let mut outcome = parse_log(&std::fs::read_to_string(log)?);
    outcome.written = artifact_names(&artifacts)?
        .into_iter()
        .filter(|name| !before.contains(name))
        .collect();
    if outcome.failure.is_none() {
        if !status.success() {
            outcome.failure = Some(format!("exited with {status}"));
        } else if !outcome.written.is_empty() {
            outcome.failure = Some(format!("{} inputs failed", outcome.written.len()));
        }
    }
    Ok(outcome)
}

/// The Markdown table of the runs.
fn report(rows: &[(String, Outcome)], options: &Options) -> String {
    let number = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
    let mut out = format!(
        "# Fuzzing: {} s per target, profile {}\n\n\
         | target | executions | edges (cov) | corpus | peak RSS (MB) | result |\n\
         | --- | ---: | ---: | ---: | ---: | --- |\n",
        options.seconds,
        options.profile()
    );
    for (target, o) in rows {
        let result = match (&o.failure, &o.artifact) {
            (None, _) => "no crash".to_owned(),
            (Some(why), Some(input)) => format!("**{why}**: `{input}`"),
            (Some(why), None) if !o.written.is_empty() => {
                format!("**{why}**: `{}`", o.written.join("`, `"))
            }
            (Some(why), None) => format!("**{why}**"),
        };
        let _ = writeln!(
            out,
            "| {target} | {} | {} | {} | {} | {result} |",
            number(o.executions),
            number(o.edges),
            number(o.corpus),
            number(o.rss_mb)
        );
    }
    out
}

/// `cargo xtask fuzz`: builds, runs each target in turn, reports; fails when a target
/// crashed, timed out or ran out of memory.
pub(crate) fn fuzz(options: Options) -> Result<()> {
    let root = workspace_root();
    let fuzz = root.join("fuzz");
    let triple = host_triple()?;
    let started = Instant::now();
    build(&fuzz, &triple, options.profile())?;
    println!(
        "fuzz targets built in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let bin_dir: PathBuf = fuzz.join("target").join(&triple).join(options.profile());
    let logs = fuzz.join("target").join("logs");
    std::fs::create_dir_all(&logs)?;
    let targets: Vec<&str> = if options.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        options.targets.iter().map(String::as_str).collect()
    };
    let mut rows = Vec::new();
    for target in targets {
        let log = logs.join(format!("{target}.log"));
        println!(
            "fuzzing {target} for {} s (log: {})",
            options.seconds,
            log.display()
        );
        let outcome = run_target(
            &fuzz,
            &bin_dir.join(target),
            target,
            (options.seconds, options.keep_going),
            &log,
        )?;
        rows.push((target.to_owned(), outcome));
    }
    write_report(
        &fuzz.join("target").join("fuzz-report.md"),
        &report(&rows, &options),
    )?;
    let failed: Vec<&str> = rows
        .iter()
        .filter(|(_, o)| o.failure.is_some())
        .map(|(t, _)| t.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz target(s) {} failed: see fuzz/target/logs/ and fuzz/artifacts/",
            failed.join(", ")
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse_times_targets_and_refuse_the_rest() {
        let o = Options::parse(&args(&["--minutes", "15"])).unwrap();
        assert_eq!((o.seconds, o.ci, o.targets.len()), (900, false, 0));
        let o = Options::parse(&args(&["--ci", "npy", "hdf5"])).unwrap();
        assert_eq!(
            (o.seconds, o.profile(), o.keep_going),
            (10, "fuzz-ci", false)
        );
        assert!(Options::parse(&args(&["--keep-going"])).unwrap().keep_going);
        assert_eq!(o.targets, ["npy", "hdf5"]);
        assert_eq!(
            Options::parse(&args(&["--seconds", "5"])).unwrap().seconds,
            5
        );
        assert_eq!(Options::parse(&args(&["--seconds", "0"])), None);
        assert_eq!(Options::parse(&args(&["--minutes"])), None);
        assert_eq!(Options::parse(&args(&["nonsense"])), None);
    }

    #[test]
    fn a_clean_run_log_gives_executions_edges_and_no_failure() {
        let log = "INFO: Seed: 1\n\
                   #2\tINITED cov: 310 ft: 311 corp: 1/1b exec/s: 0 rss: 40Mb\n\
                   #65536\tpulse  cov: 1020 ft: 2200 corp: 120/9Kb lim: 652 exec/s: 3276 rss: 61Mb\n\
                   #70123\tDONE   cov: 1034 ft: 2230 corp: 125/10Kb lim: 652 exec/s: 3339 rss: 62Mb\n\
                   Done 70123 runs in 21 second(s)\n\
                   stat::number_of_executed_units: 70123\n\
                   stat::peak_rss_mb:              63\n";
        let o = parse_log(log);
        assert_eq!(o.executions, Some(70123));
        assert_eq!(o.edges, Some(1034));
        assert_eq!(o.corpus, Some(125));
        assert_eq!(o.rss_mb, Some(63));
        assert_eq!(o.failure, None);
    }

    #[test]
    fn a_crash_log_gives_the_reason_and_the_input() {
        let log = "#1234\tNEW    cov: 500 ft: 600 corp: 20/1Kb lim: 4 exec/s: 0 rss: 50Mb\n\
                   thread '<unnamed>' panicked at src/x.rs:1:1:\n\
                   ==4242== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='a/'; Test unit written to a/crash-da39a3ee\n\
                   SUMMARY: libFuzzer: deadly signal\n\
                   stat::number_of_executed_units: 1235\n";
        let o = parse_log(log);
        assert_eq!(o.failure.as_deref(), Some("deadly signal"));
        assert_eq!(o.artifact.as_deref(), Some("a/crash-da39a3ee"));
        assert_eq!((o.executions, o.edges), (Some(1235), Some(500)));
    }

    #[test]
    fn a_fork_mode_log_gives_executions_and_edges() {
        let log = "INFO: -fork=1: fuzzing in separate process(s)\n\
                   #20345: cov: 3001 ft: 9000 corp: 400 exec/s 1000 oom/timeout/crash: 0/0/2 time: 30s job: 5 dft_time: 0\n\
                   INFO: exiting: 0 time: 121s\n";
        let o = parse_log(log);
        assert_eq!(
            (o.executions, o.edges, o.corpus),
            (Some(20345), Some(3001), Some(400))
        );
    }
}

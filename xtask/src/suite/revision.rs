//! The baseline revision's `bench_case` (the example of `crates/homodyne`), built in the
//! same run as this build's, so that "faster than the current release" is measured on the
//! same machine, data and repeats.
//!
//! The revision's files come from `git archive REV` into `target/bench-baseline/<commit>/`
//! (made once per commit: a marker file says the extraction finished), and only the one
//! example is built there, `cargo build [--release] --locked -p homodyne --example
//! bench_case`, into its own target folder `target/bench-baseline/target/` (kept between
//! runs, so that a second run builds nothing; the shared `target/` is not touched, so
//! this build's artifacts stay as they are). The first build compiles the baseline's
//! crates and their dependencies: about 3 minutes on 2 cores.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::workspace::{Result, run};

/// The marker written into an extracted tree once `git archive` finished.
const EXTRACTED: &str = ".bench-baseline-extracted";

/// A built baseline: which revision, and its `bench_case`.
#[derive(Debug, Clone)]
pub(super) struct Revision {
    /// The revision as asked for (`--baseline REV`).
    pub(super) requested: String,
    /// Its commit, abbreviated (`git rev-parse --short`).
    pub(super) commit: String,
    /// The revision's `bench_case` example.
    pub(super) bench_case: PathBuf,
    /// How long its build took in this run, seconds (a few when nothing changed).
    pub(super) build_seconds: f64,
}

impl Revision {
    /// How the report names it: `git 1b6ab2e`, or `HEAD~2 (git 1b6ab2e)`.
    pub(super) fn label(&self) -> String {
        let same = |a: &str, b: &str| a.starts_with(b) || b.starts_with(a);
        if same(&self.requested, &self.commit) {
            format!("git {}", self.commit)
        } else {
            format!("{} (git {})", self.requested, self.commit)
        }
    }
}

/// `git rev-parse ARGS REV^{commit}` in `root`: the commit `rev` names.
fn rev_parse(root: &Path, rev: &str, short: bool) -> Result<String> {
    let mut command = Command::new("git");
    command.arg("rev-parse").arg("--verify").arg("--quiet");
    if short {
        command.arg("--short");
    }
    let output = command
        .arg(format!("{rev}^{{commit}}"))
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || commit.is_empty() {
        return Err(format!("git knows no commit {rev:?} (--baseline)").into());
    }
    Ok(commit)
}

/// The files of `commit` under `dir`, extracted by `git archive | tar -x` unless an
/// earlier run did.
fn extract(root: &Path, commit: &str, dir: &Path) -> Result<()> {
    if dir.join(EXTRACTED).exists() {
        return Ok(());
    }
    eprintln!(
        "xtask: extracting the baseline {commit} into {}",
        dir.display()
    );
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", commit])
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git archive: {e}"))?;
    let tar_input = archive
        .stdout
        .take()
        .ok_or("git archive gave no output pipe")?;
    let untarred = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir)
        .stdin(tar_input)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let archived = archive.wait()?;
    if !archived.success() || !untarred.success() {
        return Err(format!(
            "git archive {commit} | tar -x -C {} failed ({archived}, {untarred})",
            dir.display()
        )
        .into());
    }
    std::fs::write(dir.join(EXTRACTED), commit)?;
    Ok(())
}

/// Builds the `bench_case` of revision `rev` (see the module documentation) in the
/// release profile or, with `release` false, the dev profile; `target` is the shared
/// target folder, under which `bench-baseline/` is made.
pub(super) fn build_bench_case(
    root: &Path,
    target: &Path,
    rev: &str,
    release: bool,
) -> Result<Revision> {
    let commit = rev_parse(root, rev, false)?;
    let short = rev_parse(root, rev, true)?;
    let base = target.join("bench-baseline");
    let source = base.join(&commit);
    extract(root, &commit, &source)?;
    let build_target = base.join("target");
    eprintln!(
        "xtask: building the baseline's bench_case (git {short}) into {}",
        build_target.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args([
        "build",
        "--locked",
        "-p",
        "homodyne",
        "--example",
        "bench_case",
    ]);
    if release {
        build.arg("--release");
    }
    let started = Instant::now();
    run(build
        .current_dir(&source)
        .env("CARGO_TARGET_DIR", &build_target))
    .map_err(|e| format!("the baseline git {short} does not build: {e}"))?;
    let profile = if release { "release" } else { "debug" };
    let bench_case = build_target
        .join(profile)
        .join("examples")
        .join("bench_case");
    if !bench_case.exists() {
        return Err(format!("the baseline's build made no {}", bench_case.display()).into());
    }
    Ok(Revision {
        requested: rev.to_owned(),
        commit: short,
        bench_case,
        build_seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(requested: &str) -> Revision {
        Revision {
            requested: requested.to_owned(),
            commit: "1b6ab2e".to_owned(),
            bench_case: PathBuf::from("/nonexistent"),
            build_seconds: 0.0,
        }
    }

    #[test]
    fn a_revision_is_named_by_its_commit_and_by_how_it_was_asked_for() {
        assert_eq!(revision("1b6ab2e").label(), "git 1b6ab2e");
        assert_eq!(revision("1b6ab2ee55dd").label(), "git 1b6ab2e");
        assert_eq!(revision("HEAD~2").label(), "HEAD~2 (git 1b6ab2e)");
    }

    #[test]
    fn an_unknown_revision_is_an_error_that_names_it() {
        let root = crate::workspace::workspace_root();
        let error = rev_parse(&root, "no-such-revision-anywhere", false)
            .expect_err("git knows no such revision");
        assert!(error.to_string().contains("no-such-revision-anywhere"));
    }
}

//! The workspace and the tools a task runs: its folders, running a command, `rustc`'s
//! version and the Python environments made under `target/`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Errors of a task, as a message for the user.
pub(crate) type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The workspace root (the folder above this crate).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in a folder of the workspace")
        .to_path_buf()
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `<workspace>/target`.
pub(crate) fn target_dir(root: &Path) -> Result<PathBuf> {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => Ok(std::path::absolute(dir)?),
        None => Ok(root.join("target")),
    }
}

/// Criterion's output folder: `CRITERION_HOME` when set, else `<target>/criterion`.
pub(crate) fn criterion_dir(target: &Path) -> Result<PathBuf> {
    match env::var_os("CRITERION_HOME") {
        Some(dir) => Ok(std::path::absolute(dir)?),
        None => Ok(target.join("criterion")),
    }
}

/// Runs `command`, failing with its description unless it exits successfully.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}").into())
    }
}

/// Makes sure the venv at `venv` exists and imports numpy and scipy, creating it with
/// `PYENV_VERSION=3.12.1 python3.12 -m venv` (else `python3`) and installing them with pip where needed.
/// Returns the venv's Python interpreter.
pub(crate) fn ensure_venv(root: &Path, venv: &Path) -> Result<PathBuf> {
    ensure_venv_with(root, venv, &["numpy", "scipy"])
}

/// [`ensure_venv`] for the given PyPI packages (each importable under its own name).
pub(crate) fn ensure_venv_with(root: &Path, venv: &Path, packages: &[&str]) -> Result<PathBuf> {
    make_venv(
        root,
        venv,
        &format!("import {}", packages.join(", ")),
        packages,
    )
}

/// Makes `venv` (Python 3.12 through pyenv where there, else `python3.12`, else
/// `python3`) and installs `install` into it unless `check` already imports there.
pub(crate) fn make_venv(
    root: &Path,
    venv: &Path,
    check: &str,
    install: &[&str],
) -> Result<PathBuf> {
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

/// `rustc --version`, or `"?"` when it cannot be run.
pub(crate) fn rustc_version() -> String {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "?".to_string(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_string(),
        )
}

/// Writes the Markdown report `markdown` to `path` and prints it, with where it went.
pub(crate) fn write_report(path: &Path, markdown: &str) -> Result<()> {
    std::fs::write(path, markdown).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{markdown}");
    println!("(written to {})", path.display());
    Ok(())
}

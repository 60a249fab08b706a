//! The Python environments of the peers and of the Python homodyne package, made on first
//! use under `target/` (or ahead of a run with `cargo xtask bench --only venvs`).

use std::path::{Path, PathBuf};

use super::decay::PEER_DECAY_TOOLS;
use super::measure::Bench;
use crate::workspace::{Result, make_venv, workspace_root};

/// The venv of the scipy and nlsq peers, `target/pyvenv-bench`
/// (`bench/requirements-peers.txt`), made unless it imports them already; its Python.
fn peers_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target").join("pyvenv-bench");
    let requirements = root.join("bench").join("requirements-peers.txt");
    make_venv(
        root,
        &venv,
        "import numpy, scipy, nlsq, jax, matplotlib",
        &["-r", requirements.to_string_lossy().as_ref()],
    )
}

/// The venv of the Python homodyne package (Python 3.12), `target/pyvenv-homodyne`
/// (`bench/requirements-homodyne.txt`), made unless it imports homodyne already; its
/// Python.
fn package_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target").join("pyvenv-homodyne");
    let requirements = root.join("bench").join("requirements-homodyne.txt");
    make_venv(
        root,
        &venv,
        "import homodyne",
        &["-r", requirements.to_string_lossy().as_ref()],
    )
}

/// `cargo xtask bench --only venvs`: makes both venvs (each where it does not work yet),
/// so that a later full run does not spend its first minutes on pip; fails naming each
/// one that could not be made.
pub(super) fn make_venvs() -> Result<()> {
    let root = workspace_root();
    let mut failed = Vec::new();
    for (name, made) in [
        ("peers (target/pyvenv-bench)", peers_venv(&root)),
        (
            "Python homodyne (target/pyvenv-homodyne)",
            package_venv(&root),
        ),
    ] {
        match made {
            Ok(python) => eprintln!("xtask: venv of the {name}: {}", python.display()),
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; ").into())
    }
}

impl Bench {
    /// The venv of the scipy and nlsq peers, made on first use; `None` (with the reason
    /// recorded) when it cannot be made.
    pub(super) fn peers_python(&mut self) -> Option<PathBuf> {
        match peers_venv(&self.root) {
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
    pub(super) fn package_python(&mut self) -> Option<PathBuf> {
        match package_venv(&self.root) {
            Ok(python) => Some(python),
            Err(e) => {
                self.unavailable
                    .insert("python_homodyne".to_owned(), e.to_string());
                None
            }
        }
    }
}

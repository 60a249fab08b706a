//! The Python environments of the peers and of the Python homodyne package, made on first
//! use under `target/` (or ahead of a run with `cargo xtask bench --only venvs`), and
//! xpcsjax's, made only by `--only venvs` (it is about 2.3 GB).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::decay::PEER_DECAY_TOOLS;
use super::measure::Bench;
use crate::workspace::{Result, make_venv, workspace_root};

/// A Python venv of the benchmarks, `target/DIR`, made from the requirements file
/// `bench/REQUIREMENTS`.
struct BenchVenv {
    /// Its folder under `target/`.
    dir: &'static str,
    /// Its requirements file under `bench/`.
    requirements: &'static str,
    /// A Python statement importing what the venv is for: when it runs, the venv is made.
    check: &'static str,
}

/// The venv of the scipy and nlsq peers.
const PEERS: BenchVenv = BenchVenv {
    dir: "pyvenv-bench",
    requirements: "requirements-peers.txt",
    check: "import numpy, scipy, nlsq, jax, matplotlib",
};

/// The venv of the Python homodyne package (Python 3.12).
const PACKAGE: BenchVenv = BenchVenv {
    dir: "pyvenv-homodyne",
    requirements: "requirements-homodyne.txt",
    check: "import homodyne",
};

/// The venv of xpcsjax 0.1.8 (Python 3.12; about 2.3 GB with JAX and its dependencies).
const XPCSJAX: BenchVenv = BenchVenv {
    dir: "pyvenv-xpcsjax",
    requirements: "xpcsjax_compare/requirements.txt",
    check: "import xpcsjax, h5py",
};

/// How to make the xpcsjax venv, for the report when it is missing.
pub(super) const MAKE_XPCSJAX: &str = "make it with `cargo xtask bench --only venvs` (pip, \
    about 2.3 GB: xpcsjax 0.1.8, JAX and their dependencies, \
    bench/xpcsjax_compare/requirements.txt), which a run does not do on its own";

impl BenchVenv {
    /// Makes the venv unless its check runs in it already; its Python.
    fn make(&self, root: &Path) -> Result<PathBuf> {
        let requirements = root.join("bench").join(self.requirements);
        make_venv(
            root,
            &root.join("target").join(self.dir),
            self.check,
            &["-r", requirements.to_string_lossy().as_ref()],
        )
    }

    /// The venv's Python where the venv is there and its check runs in it; `None`
    /// otherwise (nothing is installed).
    fn existing(&self, root: &Path) -> Option<PathBuf> {
        let python = root
            .join("target")
            .join(self.dir)
            .join("bin")
            .join("python");
        Command::new(&python)
            .args(["-c", self.check])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
            .then_some(python)
    }
}

/// `cargo xtask bench --only venvs`: makes the three venvs (each where it does not work yet),
/// so that a later full run does not spend its first minutes on pip; fails naming each
/// one that could not be made.
pub(super) fn make_venvs() -> Result<()> {
    let root = workspace_root();
    let mut failed = Vec::new();
    for (name, made) in [
        ("peers (target/pyvenv-bench)", PEERS.make(&root)),
        (
            "Python homodyne (target/pyvenv-homodyne)",
            PACKAGE.make(&root),
        ),
        ("xpcsjax (target/pyvenv-xpcsjax)", XPCSJAX.make(&root)),
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
        match PEERS.make(&self.root) {
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
        match PACKAGE.make(&self.root) {
            Ok(python) => Some(python),
            Err(e) => {
                self.unavailable
                    .insert("python_homodyne".to_owned(), e.to_string());
                None
            }
        }
    }

    /// The venv of xpcsjax where it is there and imports xpcsjax; `None` (with the
    /// reason recorded for the tool `xpcsjax`) otherwise: a run does not make it.
    pub(super) fn xpcsjax_python(&mut self) -> Option<PathBuf> {
        let python = XPCSJAX.existing(&self.root);
        if python.is_none() {
            self.unavailable.insert(
                "xpcsjax".to_owned(),
                format!(
                    "not run: target/{} is missing or does not import xpcsjax; {MAKE_XPCSJAX}",
                    XPCSJAX.dir
                ),
            );
        }
        python
    }
}

//! The Python environments of the peers and of the Python homodyne package, made on first
//! use under `target/`.

use std::path::PathBuf;

use super::decay::PEER_DECAY_TOOLS;
use super::measure::Bench;
use crate::workspace::make_venv;

impl Bench {
    /// The venv of the scipy and nlsq peers, made on first use; `None` (with the reason
    /// recorded) when it cannot be made.
    pub(super) fn peers_python(&mut self) -> Option<PathBuf> {
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
    pub(super) fn package_python(&mut self) -> Option<PathBuf> {
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
}

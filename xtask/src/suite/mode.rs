//! Which part of the suite a run measures.

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
    pub(super) fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Quick => "quick",
            Mode::PythonPackage => "Python package only",
        }
    }

    /// The stem of the report's files under `target/bench-report/`.
    pub(super) fn file_stem(self) -> &'static str {
        match self {
            Mode::Full => "results",
            Mode::Quick => "quick",
            Mode::PythonPackage => "python",
        }
    }
}

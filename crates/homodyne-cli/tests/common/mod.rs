//! What the end-to-end tests of the `homodyne` binary share: running it, reading its
//! output, and a fresh folder per test.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the built `homodyne` with `args`.
pub fn homodyne(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .output()
        .expect("the homodyne binary runs")
}

/// What the run wrote to stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What the run wrote to stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh folder for one test's files, `group/test` under the test target folder.
pub fn scratch(group: &str, test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

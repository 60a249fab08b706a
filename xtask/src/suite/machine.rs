//! The machine and the versions of the tools a report names.

use std::process::Command;

use serde_json::{Value, json};

use crate::workspace::rustc_version;

/// The machine and the versions of the tools: one line each.
pub(super) fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or_else(|| "?".to_owned(), |s| s.trim().to_owned());
    let memory_gb = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0);
    let git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let dirty = Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--", "crates", "Cargo.lock"])
        .status()
        .is_ok_and(|s| !s.success());
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "memory_gb": memory_gb,
        "rustc": rustc_version(),
        "git": git.map(|g| if dirty { format!("{g} (modified)") } else { g }),
        "date": Command::new("date").arg("-Iseconds").output().ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()),
    })
}

//! The memory estimate of `homodyne_strategy` against the measured peak resident set size
//! of real fits, within 25%.
//!
//! Linux only: the peak is `VmHWM` of `/proc/self/status`. Each case runs in a fresh child
//! process (this test binary again, with `HOMODYNE_MEMORY_CASE` set), so that no earlier
//! allocation, and no memory the allocator keeps after a free, counts towards it.

#![cfg(target_os = "linux")]

use std::process::Command;

use homodyne::prelude::*;
use homodyne_strategy::estimate_bytes;
use homodyne_testkit::example::{Decay, Peaks, synthetic};

/// Names the case a child process runs.
const CASE_VAR: &str = "HOMODYNE_MEMORY_CASE";
/// The line a child prints its measurement on.
const MEASURED: &str = "measured peak bytes:";
/// This test's name, to run it alone in the child.
const TEST_NAME: &str = "estimate_is_within_25_percent_of_the_measured_peak";

/// `(parameters: 3 for Decay, 53 for Peaks, points, weighted)`.
const CASES: [(usize, usize, bool); 5] = [
    (3, 1_000_000, false),
    (3, 4_000_000, false),
    (3, 2_000_000, true),
    (53, 1_000_000, false),
    (53, 500_000, true),
];

/// `VmHWM` of this process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("a VmHWM line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmHWM in kB");
    kib * 1024
}

/// Generates the data of case `i` and fits it (forced CHUNKED, a few iterations: the peak
/// does not depend on their number); returns the process's peak RSS.
fn run_case(i: usize) -> u64 {
    let (p, n, weighted) = CASES[i];
    let (model, truth, p0): (&dyn Model, _, _) = match p {
        3 => (&Decay, vec![2.5, 1.3, 0.5], vec![1.0, 1.0, 0.0]),
        _ => (&Peaks, Peaks::truth(), Peaks::start()),
    };
    let data = synthetic(model, &truth, n, 0.01, 0x3E30_0001);
    let sigma = weighted.then(|| vec![0.01; n]);
    let mut fit = Fit::curve(model, &data.x, &data.y)
        .p0(&p0)
        .strategy(OptimizationStrategy::Chunked)
        .options(SolverOptions {
            max_nfev: Some(3),
            ..SolverOptions::default()
        });
    if let Some(sigma) = &sigma {
        fit = fit.sigma(sigma);
    }
    let fit = fit.run().expect("the fit runs");
    assert_eq!(fit.strategy, OptimizationStrategy::Chunked);
    peak_rss()
}

#[test]
fn estimate_is_within_25_percent_of_the_measured_peak() {
    if let Ok(case) = std::env::var(CASE_VAR) {
        let measured = run_case(case.parse().expect("a case number"));
        println!("\n{MEASURED} {measured}");
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut report = Vec::new();
    let mut worst: f64 = 0.0;
    for (i, &(p, n, weighted)) in CASES.iter().enumerate() {
        let out = Command::new(&exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CASE_VAR, i.to_string())
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "case {i} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let measured: f64 = stdout
            .lines()
            .find_map(|l| l.split(MEASURED).nth(1))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("the child prints its measurement");
        let estimate = estimate_bytes(OptimizationStrategy::Chunked, n, p, 1, weighted) as f64;
        let ratio = measured / estimate;
        worst = worst.max((ratio - 1.0).abs());
        report.push(format!(
            "n {n:>9}  p {p:>2}  weighted {weighted:<5}  measured {:>7.1} MB  estimate {:>7.1} MB  ratio {ratio:.3}",
            measured / 1e6,
            estimate / 1e6,
        ));
    }
    let report = report.join("\n");
    println!("{report}");
    assert!(worst <= 0.25, "off by more than 25%:\n{report}");
}

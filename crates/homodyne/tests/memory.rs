//! The memory estimate of `homodyne_strategy` against the measured peak resident set size
//! of real fits, within 25%.
//!
//! Linux only: the peak is `VmHWM` of `/proc/self/status`, reset between fits by writing
//! 5 to `/proc/self/clear_refs`. This file is its own test binary with a single test, so no
//! other test's allocations share the process.

#![cfg(target_os = "linux")]

use homodyne::example::{Decay, Peaks, synthetic};
use homodyne::prelude::*;
use homodyne_strategy::estimate_bytes;

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

/// Resets `VmHWM` to the current resident set size.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("writing /proc/self/clear_refs");
}

/// Peak RSS of generating the data and fitting `n` points of `model` (forced CHUNKED, a
/// few iterations: the peak does not depend on their number).
fn measured_peak(model: &dyn Model, truth: &[f64], p0: &[f64], n: usize, weighted: bool) -> u64 {
    reset_peak();
    let data = synthetic(model, truth, n, 0.01, 0x3E30_0001);
    let config = FitConfig {
        strategy: Some(OptimizationStrategy::Chunked),
        max_nfev: Some(3),
        sigma: weighted.then(|| vec![0.01; n]),
        ..FitConfig::default()
    };
    let fit = NlsqWrapper::new()
        .fit(model, &data.x, &data.y, p0, None, Method::Trf, &config)
        .expect("the fit runs");
    assert_eq!(fit.strategy, OptimizationStrategy::Chunked);
    peak_rss()
}

#[test]
fn estimate_is_within_25_percent_of_the_measured_peak() {
    let decay = (vec![2.5, 1.3, 0.5], vec![1.0, 1.0, 0.0]);
    let peaks = (Peaks::truth(), Peaks::start());
    let cases: [(&dyn Model, &(Vec<f64>, Vec<f64>), usize, bool); 5] = [
        (&Decay, &decay, 1_000_000, false),
        (&Decay, &decay, 4_000_000, false),
        (&Decay, &decay, 2_000_000, true),
        (&Peaks, &peaks, 1_000_000, false),
        (&Peaks, &peaks, 500_000, true),
    ];
    let mut report = Vec::new();
    for (model, (truth, p0), n, weighted) in cases {
        let measured = measured_peak(model, truth, p0, n, weighted);
        let estimate = estimate_bytes(
            OptimizationStrategy::Chunked,
            n,
            model.n_params(),
            1,
            weighted,
        );
        let ratio = measured as f64 / estimate as f64;
        report.push(format!(
            "n {n:>9}  p {:>2}  weighted {weighted:<5}  measured {:>7.1} MB  estimate {:>7.1} MB  ratio {ratio:.3}",
            model.n_params(),
            measured as f64 / 1e6,
            estimate as f64 / 1e6,
        ));
    }
    println!("{}", report.join("\n"));
    for line in &report {
        let ratio: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(
            (0.75..=1.25).contains(&ratio),
            "off by more than 25%:\n{}",
            report.join("\n")
        );
    }
}

//! One large fit, for measuring memory and time: `n` points of a 3-parameter decay or a
//! 53-parameter sum of peaks, fitted with a chosen strategy.
//!
//! ```text
//! cargo run --release -p homodyne --example large_fit -- [POINTS] [PARAMS] [STRATEGY] [METHOD]
//! ```
//!
//! - `POINTS`: number of points (default 10,000,000);
//! - `PARAMS`: 3 for `y = a exp(-b x) + c` ([`homodyne_testkit::example::Decay`]), or 53 for 17
//!   Gaussian peaks on a linear background ([`homodyne_testkit::example::Peaks`]) (default 3);
//! - `STRATEGY`: `standard`, `large`, `chunked` or `auto` (the wrapper's choice; default
//!   `chunked`);
//! - `METHOD`: `trf` or `lm` (default `trf`).
//!
//! The program holds `x` and `y` (16 bytes a point) and whatever the fit needs on top; it
//! prints the fit, its own peak resident set size (`VmHWM` of `/proc/self/status` on
//! Linux) and the estimate of `homodyne_strategy::estimate_bytes`. `cargo xtask memory`
//! runs it under `/usr/bin/time -v` for the memory table.

use std::time::Instant;

use homodyne::prelude::*;
use homodyne_strategy::estimate_bytes;
use homodyne_testkit::example::{Decay, Peaks, synthetic};

/// Peak resident set size of this process in bytes (`VmHWM`), where the system reports it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .first()
        .map_or(Ok(10_000_000), |s| s.replace('_', "").parse())?;
    let n_params: usize = args.get(1).map_or(Ok(3), |s| s.parse())?;
    let strategy = match args.get(2).map_or("chunked", String::as_str) {
        "standard" => Some(OptimizationStrategy::Standard),
        "large" => Some(OptimizationStrategy::Large),
        "chunked" => Some(OptimizationStrategy::Chunked),
        "auto" => None,
        other => return Err(format!("unknown strategy {other:?}").into()),
    };
    let method = match args.get(3).map_or("trf", String::as_str) {
        "trf" => Method::Trf,
        "lm" => Method::Lm,
        other => return Err(format!("unknown method {other:?}").into()),
    };
    let (model, truth, p0): (Box<dyn Model>, _, _) = match n_params {
        3 => (Box::new(Decay), vec![2.5, 1.3, 0.5], vec![1.0, 1.0, 0.0]),
        53 => (Box::new(Peaks), Peaks::truth(), Peaks::start()),
        other => return Err(format!("PARAMS must be 3 or 53, not {other}").into()),
    };

    // The data: x = linspace(0, 10, n), y = model(truth) + N(0, 0.01^2).
    let t0 = Instant::now();
    let homodyne_testkit::example::ExampleData { x, y, .. } =
        synthetic(model.as_ref(), &truth, n, 0.01, 0x1A46_E517);
    let data_time = t0.elapsed();

    let t1 = Instant::now();
    let fit = Fit::curve(model.as_ref(), &x, &y).p0(&p0).method(method);
    let fit = match strategy {
        Some(strategy) => fit.strategy(strategy),
        None => fit,
    }
    .run()?;
    let fit_time = t1.elapsed();

    let worst = fit
        .parameters
        .iter()
        .zip(&truth)
        .zip(&fit.uncertainties)
        .map(|((p, t), u)| ((p - t) / u).abs())
        .fold(0.0, f64::max);
    println!(
        "points {n}  params {n_params}  strategy {}  method {method}",
        fit.strategy
    );
    println!(
        "data {:.2} s  fit {:.3} s  iterations {}  nfev {}  njev {}  {:?}",
        data_time.as_secs_f64(),
        fit_time.as_secs_f64(),
        fit.iterations,
        fit.nfev,
        fit.njev,
        fit.termination_reason
    );
    println!(
        "reduced chi2 {:.4}  worst |p - truth| / sigma {:.2}",
        fit.reduced_chi_squared, worst
    );
    let estimate = estimate_bytes(fit.strategy, n, n_params, 1, false);
    match peak_rss_bytes() {
        Some(bytes) => println!(
            "peak RSS {:.1} MB (x and y: {:.1} MB; estimate {:.1} MB, measured / estimate {:.3})",
            bytes as f64 / 1e6,
            16.0 * n as f64 / 1e6,
            estimate as f64 / 1e6,
            bytes as f64 / estimate as f64
        ),
        None => println!("estimate {:.1} MB", estimate as f64 / 1e6),
    }
    Ok(())
}

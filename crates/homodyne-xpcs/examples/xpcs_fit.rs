//! A synthetic laminar-flow (or static) dataset fitted from the Python package's default
//! start: wall time, peak memory and the recovered parameters.
//!
//! ```text
//! cargo run --release -p homodyne-xpcs --example xpcs_fit -- [laminar|static] N_PHI N_T
//! ```
//!
//! `laminar 23 1001` is the package documents' case: 23,046,023 points, 53 parameters.

use std::time::Instant;

use homodyne_core::NoObserver;
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, ModelForm, ScalingMode, TimeGrid, XpcsFitOptions,
    fit,
};

/// Peak resident set size in MB, where the system reports it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0 / 1e6)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode: AnalysisMode = args.first().map_or("laminar", String::as_str).parse()?;
    let n_phi: usize = args.get(1).map_or(Ok(3), |s| s.parse())?;
    let n_t: usize = args.get(2).map_or(Ok(500), |s| s.parse())?;
    let phi: Vec<f64> = (0..n_phi)
        .map(|k| -60.0 + 150.0 * k as f64 / n_phi as f64)
        .collect();
    let model = HomodyneModel::new(
        mode,
        ScalingMode::Individual,
        ModelForm::Published,
        TimeGrid::new(0.1, n_t)?,
        &phi,
        0.0054,
        2e6,
    )?;
    let layout = *model.layout();
    let physical = &[15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0][..mode.n_physical()];
    let truth = layout.assemble(&vec![0.3; n_phi], &vec![1.0; n_phi], physical)?;
    let started = Instant::now();
    let data = CorrelationData::synthetic(&model, &truth, 0.005, 7)?;
    let generated = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let fitted = fit(&model, &data, &XpcsFitOptions::default(), &NoObserver)?;
    let seconds = started.elapsed().as_secs_f64();
    let r = &fitted.result;
    println!(
        "{} {n_phi} x {n_t}: {} points, {} parameters; data made in {generated:.2} s; fit {seconds:.2} s \
         (full fit: {:?}, {} iterations, nfev {}, njev {}, {:?}); peak RSS {:.0} MB",
        mode.name(),
        data.n_points(),
        layout.n_params(),
        r.strategy,
        r.iterations,
        r.nfev,
        r.njev,
        r.convergence_status,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    for stage in &fitted.stages {
        match &stage.result {
            Ok(r) => println!(
                "  coarse stage, every {}th row ({} points): {} iterations, {:?}, {:.2} s",
                stage.stride, stage.n_points, r.iterations, r.convergence_status, stage.seconds
            ),
            Err(e) => println!("  coarse stage, every {}th row: failed: {e}", stage.stride),
        }
    }
    let names = layout.names();
    for k in layout.physical_start()..layout.n_params() {
        println!(
            "  {:<20} fitted {:>14.6e} +- {:.2e}   true {:>12.4e}",
            names[k], r.parameters[k], r.uncertainties[k], truth[k]
        );
    }
    Ok(())
}

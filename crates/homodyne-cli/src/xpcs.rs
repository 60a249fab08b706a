//! `homodyne xpcs`: fit the homodyne two-time correlation models to XPCS data, or, with
//! `--demo`, to a laminar-flow dataset generated in memory with known truth.

use std::io::IsTerminal;
use std::time::Instant;

use homodyne::prelude::*;
use homodyne::{ConvergenceStatus, FitObserver, NoObserver};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, ModelForm, ParameterLayout, ScalingMode,
    TimeGrid, XpcsFitOptions,
};

use crate::args::XpcsArgs;
use crate::curve::{Failure, Progress};

/// The demo's physical parameters: `D0, alpha, D_offset, gamma_dot_t0, beta,
/// gamma_dot_t_offset, phi0`.
pub const DEMO_TRUTH: [f64; 7] = [15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0];
/// Standard deviation of the demo's Gaussian noise.
pub const DEMO_NOISE: f64 = 0.005;
/// Seed of the demo's noise.
const DEMO_SEED: u64 = 0x00C2_DE30;

/// Runs `homodyne xpcs`.
pub fn run(args: &XpcsArgs) -> Result<(), Failure> {
    if args.demo {
        run_demo(args)
    } else {
        Err(Failure::input(
            "give --demo, or --config FILE (the configuration file support is not finished)",
        ))
    }
}

/// The demo: synthetic laminar-flow data, fitted from the Python package's default start.
fn run_demo(args: &XpcsArgs) -> Result<(), Failure> {
    if args.angles == 0 || args.frames < 2 {
        return Err(Failure::input(format!(
            "--angles must be at least 1 and --frames at least 2 (got {} and {})",
            args.angles, args.frames
        )));
    }
    let phi: Vec<f64> = (0..args.angles)
        .map(|k| -60.0 + 150.0 * k as f64 / args.angles as f64)
        .collect();
    let grid = TimeGrid::new(0.1, args.frames).map_err(|e| Failure::input(e.to_string()))?;
    let form = if args.python_compat {
        ModelForm::PythonCompat
    } else {
        ModelForm::Published
    };
    let model = HomodyneModel::new(
        AnalysisMode::LaminarFlow,
        ScalingMode::Individual,
        form,
        grid,
        &phi,
        0.0054,
        2e6,
    )
    .map_err(|e| Failure::input(e.to_string()))?;
    let layout = *model.layout();
    let contrasts: Vec<f64> = (0..args.angles)
        .map(|k| 0.25 + 0.01 * (k % 8) as f64)
        .collect();
    let offsets: Vec<f64> = (0..args.angles)
        .map(|k| 1.0 + 0.002 * (k % 5) as f64)
        .collect();
    let truth = layout
        .assemble(&contrasts, &offsets, &DEMO_TRUTH)
        .map_err(|e| Failure::input(e.to_string()))?;
    let data = CorrelationData::synthetic(&model, &truth, DEMO_NOISE, DEMO_SEED)
        .map_err(|e| Failure::input(e.to_string()))?;
    println!(
        "homodyne xpcs --demo: laminar flow, {} angles x {} frames = {} points, {} parameters \
         ({} form), noise sigma {DEMO_NOISE}",
        args.angles,
        args.frames,
        data.n_points(),
        layout.n_params(),
        form.name()
    );
    println!(
        "start: the Python package's defaults (D0 1e4, alpha -1.5, gamma_dot_t0 1e-3, the \
         rest 0), contrasts and offsets estimated from the data"
    );
    let progress = Progress::new();
    let observer: &dyn FitObserver = if !args.quiet && std::io::stderr().is_terminal() {
        &progress
    } else {
        &NoObserver
    };
    let started = Instant::now();
    let fitted = homodyne_xpcs::fit(&model, &data, &XpcsFitOptions::default(), observer);
    progress.finish();
    let fitted = fitted.map_err(|e| Failure::fit(e.to_string()))?;
    let seconds = started.elapsed().as_secs_f64();
    print_summary(&layout, &fitted.result, Some(&truth), seconds);
    converged(&fitted.result)
}

/// The table of fitted values (with the truth beside them, when known) and the fit's
/// statistics.
fn print_summary(
    layout: &ParameterLayout,
    result: &OptimizationResult,
    truth: Option<&[f64]>,
    seconds: f64,
) {
    println!(
        "\nfit: {:?} in {seconds:.2} s, {} iterations ({} cost and {} Jacobian evaluations), \
         strategy {:?}",
        result.convergence_status, result.iterations, result.nfev, result.njev, result.strategy
    );
    println!(
        "chi-squared {:.6e}, reduced {:.6e}",
        result.chi_squared, result.reduced_chi_squared
    );
    let names = layout.names();
    let start = layout.physical_start();
    match truth {
        Some(truth) => {
            println!(
                "\n{:<20} {:>14} {:>12} {:>14} {:>9}",
                "parameter", "fitted", "+-", "true", "off by"
            );
            for k in start..layout.n_params() {
                let (value, error) = (result.parameters[k], result.uncertainties[k]);
                println!(
                    "{:<20} {value:>14.6e} {error:>12.3e} {:>14.6e} {:>8.2}s",
                    names[k],
                    truth[k],
                    (value - truth[k]) / error
                );
            }
            println!("('off by' is (fitted - true) in standard errors: s = sigma)");
        }
        None => {
            println!("\n{:<20} {:>14} {:>12}", "parameter", "fitted", "+-");
            for k in start..layout.n_params() {
                println!(
                    "{:<20} {:>14.6e} {:>12.3e}",
                    names[k], result.parameters[k], result.uncertainties[k]
                );
            }
        }
    }
    let groups = layout.n_scaling_groups();
    let mean =
        |from: usize| result.parameters[from..from + groups].iter().sum::<f64>() / groups as f64;
    println!(
        "{} contrast(s), mean {:.5}; {} offset(s), mean {:.5}",
        groups,
        mean(0),
        groups,
        mean(groups)
    );
}

/// Exit status 1 when the fit did not converge.
fn converged(result: &OptimizationResult) -> Result<(), Failure> {
    if result.convergence_status == ConvergenceStatus::Converged {
        Ok(())
    } else {
        Err(Failure::fit(format!(
            "the fit stopped without converging: {:?}",
            result.termination_reason
        )))
    }
}

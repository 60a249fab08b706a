//! Reproduces the laminar-flow crawl: 4 angles with per-angle contrasts, fitted with shared
//! and with per-angle scaling.
use std::time::Instant;

use homodyne_core::{NoObserver, OptimizationResult};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, ModelForm, ScalingMode, TimeGrid, XpcsFitOptions,
    fit,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_t: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(200);
    let scaling = match args.get(2).map(String::as_str) {
        Some("individual") => ScalingMode::Individual,
        _ => ScalingMode::Constant,
    };
    let env = |k: &str, d: f64| {
        std::env::var(k)
            .ok()
            .map(|v| v.parse().unwrap())
            .unwrap_or(d)
    };
    let truth_phys = [
        env("D0", 1.0e4),
        env("ALPHA", -0.5),
        env("DOFF", 100.0),
        env("G0", 1e-3),
        env("BETA", 0.2),
        env("GOFF", 1e-4),
        env("PHI0", 5.0),
    ];
    let dt = env("DT", 0.1);
    let static_mode = std::env::var("MODE").is_ok_and(|m| m == "static");
    let (mode, phi, truth_phys): (AnalysisMode, Vec<f64>, Vec<f64>) = if static_mode {
        (AnalysisMode::Static, vec![0.0], truth_phys[..3].to_vec())
    } else {
        (
            AnalysisMode::LaminarFlow,
            vec![-30.0, 10.0, 50.0, 90.0],
            truth_phys.to_vec(),
        )
    };
    let noise = env("NOISE", 0.005);
    let grid = TimeGrid::new(dt, n_t).unwrap();
    let truth_model = HomodyneModel::new(
        mode,
        ScalingMode::Individual,
        ModelForm::Published,
        grid.clone(),
        &phi,
        0.0054,
        2e6,
    )
    .unwrap();
    let truth = truth_model
        .layout()
        .assemble(
            &[0.28, 0.30, 0.32, 0.29][..phi.len()],
            &[0.99, 1.01, 1.0, 1.005][..phi.len()],
            &truth_phys,
        )
        .unwrap();
    let data = CorrelationData::synthetic(&truth_model, &truth, noise, 7).unwrap();
    let model =
        HomodyneModel::new(mode, scaling, ModelForm::Published, grid, &phi, 0.0054, 2e6).unwrap();
    let mut start = truth_phys.to_vec();
    start[0] *= 0.6;
    if !static_mode {
        start[4] = 0.0;
    }
    let options = XpcsFitOptions {
        coarse_to_fine: if std::env::var_os("NO_STAGES").is_some() {
            homodyne_xpcs::CoarseToFine::Off
        } else {
            homodyne_xpcs::CoarseToFine::Auto
        },
        refer_power_laws: std::env::var_os("NO_TREF").is_none(),
        physical_start: Some(start),
        ..XpcsFitOptions::default()
    };
    let t = Instant::now();
    if args.get(2).is_some_and(|a| a == "auto") {
        let scalings = [ScalingMode::Constant, ScalingMode::Individual];
        let chosen = homodyne_xpcs::fit_choosing_scaling(
            &model,
            &scalings,
            &data,
            &|_| Ok(options.clone()),
            &NoObserver,
        )
        .unwrap();
        for c in &chosen.choice.candidates {
            println!("{:?}", c);
        }
        println!(
            "{}  total {:.2}s",
            chosen.choice.reason(),
            t.elapsed().as_secs_f64()
        );
        let first = chosen.model.layout().physical_start();
        print_parameters(&chosen.model, &chosen.fit.result, &truth_phys, first);
        return;
    }
    let fitted = fit(&model, &data, &options, &NoObserver).unwrap();
    for s in &fitted.stages {
        match &s.result {
            Ok(r) => println!(
                "stage stride {} ({} pts): {} it, nfev {}, {:?}, cost {:.6e}, used {} {:.2}s",
                s.stride,
                s.n_points,
                r.iterations,
                r.nfev,
                r.convergence_status,
                r.chi_squared,
                s.used,
                s.seconds
            ),
            Err(e) => println!("stage {} failed {e}", s.stride),
        }
    }
    let r = &fitted.result;
    println!(
        "full: {} it, nfev {} njev {}, {:?}, chi2 {:.6e} red {:.4e}, {:.2}s",
        r.iterations,
        r.nfev,
        r.njev,
        r.convergence_status,
        r.chi_squared,
        r.reduced_chi_squared,
        t.elapsed().as_secs_f64()
    );
    print_parameters(&model, r, &truth_phys, 0);
}

/// Prints the fitted parameters from index `first` on, each with its uncertainty, the truth
/// (NaN for the scaling parameters, which the crawl does not compare) and its z-score.
fn print_parameters(
    model: &HomodyneModel,
    r: &OptimizationResult,
    truth_phys: &[f64],
    first: usize,
) {
    let names = model.layout().names();
    let p0 = model.layout().physical_start();
    for k in first..names.len() {
        let tv = if k >= p0 {
            truth_phys[k - p0]
        } else {
            f64::NAN
        };
        println!(
            "{:<20} {:>14.6e} +- {:.3e}  truth {:>12.4e}  z {:+.2}",
            names[k],
            r.parameters[k],
            r.uncertainties[k],
            tv,
            (r.parameters[k] - tv) / r.uncertainties[k]
        );
    }
}

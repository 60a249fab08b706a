//! `homodyne xpcs`: fit the homodyne two-time correlation models to XPCS data, or, with
//! `--demo`, to a laminar-flow dataset generated in memory with known truth.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use homodyne::prelude::*;
use homodyne::{CheckpointOptions, FitObserver, NoObserver, StreamingOptions};
use homodyne_xpcs::config::{
    ScalingPlan, SigmaSetting, StrategyOverride, XpcsConfig, config_template,
};
use homodyne_xpcs::initial::quantile_scaling;
use homodyne_xpcs::loader::load_experimental_data;
use homodyne_xpcs::noise::{NoiseEstimate, estimate_noise};
use homodyne_xpcs::output::Sigma;
use homodyne_xpcs::{
    AnalysisMode, CoarseToFine, CorrelationData, HomodyneModel, ModelForm, NlsqOutputs,
    ParameterLayout, PointSelection, ScalingChoice, ScalingMode, TimeGrid, XpcsError, XpcsFit,
    XpcsFitOptions, fit_choosing_scaling, fit_choosing_scaling_distributed, write_nlsq_outputs,
};

use crate::args::{ConfigArgs, XpcsArgs};
use crate::checks;
use crate::curve::{Failure, Progress};
use crate::failure::{by_index, describe};
use crate::plot::cuts::write_cuts;
use crate::plot::heatmap::write_heatmaps;
use crate::processes::Processes;
use crate::xpcs_summary::{print_choice, print_summary};

pub use homodyne_xpcs::demo::{DEMO_NOISE, DEMO_TRUTH};

mod demo;
use demo::run_demo;

/// Runs `homodyne xpcs`.
pub fn run(args: &XpcsArgs) -> Result<(), Failure> {
    let processes = Processes::start(&args.processes)?;
    if let Some(dir) = &args.output_dir {
        checks::output_dir("--output-dir", dir)?;
    }
    match (&args.config, args.demo) {
        (_, true) => run_demo(args, &processes),
        (Some(path), false) => run_config(args, Some(path), &processes),
        (None, false) if args.data.is_some() => run_config(args, None, &processes),
        (None, false) => Err(Failure::input(
            "give --config FILE (a YAML configuration; `homodyne config --mode laminar_flow \
             --output my.yaml` writes a template), --data FILE (with --dt, --q and --phi for \
             a bare matrix), or --demo",
        )),
    }
    .map_err(|failure| processes.name(failure))
}

/// `"; shared among N processes"` under MPI, else nothing.
fn shared_among(processes: &Processes) -> String {
    match processes.size() {
        1 if !processes.distributed() => String::new(),
        n => format!("; shared among {n} MPI process(es)"),
    }
}

/// The failure of a fit: the library's errors as `homodyne curve` describes them (bad
/// input is exit status 2, a failed fit 1), naming parameters by `names`; the other errors
/// of an XPCS fit (a start outside the bounds, a wrong number of values) are bad input.
fn fit_failure(error: XpcsError, names: &[String]) -> Failure {
    match error {
        XpcsError::Fit(e) => describe(&e, names, &by_index),
        other => Failure::input(other.to_string()),
    }
}

/// The fit, by this process or shared among the processes of `processes`.
fn fit_on(
    processes: &Processes,
    model: &HomodyneModel,
    data: &CorrelationData,
    options: &XpcsFitOptions,
    observer: &dyn FitObserver,
) -> Result<XpcsFit, XpcsError> {
    processes.run(|communicator| match communicator {
        None => homodyne_xpcs::fit(model, data, options, observer),
        Some(communicator) => {
            homodyne_xpcs::fit_distributed(model, data, options, observer, communicator)
        }
    })
}

/// Runs `homodyne config`: writes a commented configuration template.
pub fn run_template(args: &ConfigArgs) -> Result<(), Failure> {
    let mode: AnalysisMode = args
        .mode
        .parse()
        .map_err(|e: XpcsError| Failure::input(e.to_string()))?;
    let text = config_template(mode);
    match &args.output {
        None => print!("{text}"),
        Some(path) => {
            if path.exists() && !args.force {
                return Err(Failure::input(format!(
                    "{} exists; give --force to overwrite it",
                    path.display()
                )));
            }
            std::fs::write(path, text)
                .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "wrote a {} configuration template to {}",
                mode.name(),
                path.display()
            );
        }
    }
    Ok(())
}

/// A fit described by a YAML configuration file: load, fit, report.
fn run_config(args: &XpcsArgs, path: Option<&Path>, processes: &Processes) -> Result<(), Failure> {
    let leads = processes.leads();
    let input = |e: XpcsError| Failure::input(e.to_string());
    let config = configuration(args, path)?;
    // Where the results go, checked before the data are loaded.
    let output_dir = args
        .output_dir
        .clone()
        .or_else(|| {
            config
                .output
                .directory
                .as_deref()
                .map(|d| config.resolve_path(d))
        })
        .unwrap_or_else(|| std::path::PathBuf::from(DEFAULT_OUTPUT_DIR));
    checks::output_dir(
        "the output folder (--output-dir, output.directory)",
        &output_dir,
    )?;
    for warning in config.warnings.iter().filter(|_| leads) {
        eprintln!("homodyne: warning: {warning}");
    }
    let started = Instant::now();
    let loaded = load_experimental_data(
        &config.data_location().map_err(input)?,
        &config.load_options().map_err(input)?,
    )
    .map_err(input)?;
    for warning in loaded.warnings.iter().filter(|_| leads) {
        eprintln!("homodyne: warning: {warning}");
    }
    let prepared = loaded.cli_prepared().map_err(input)?;
    let (angles, warning) = config.phi_filtering.select(&prepared.data.phi);
    if let Some(warning) = warning.filter(|_| leads) {
        eprintln!("homodyne: warning: {warning}");
    }
    let data = if angles.len() < prepared.data.phi.len() {
        prepared.data.select_angles(&angles)
    } else {
        prepared.data
    };
    let load_seconds = started.elapsed().as_secs_f64();
    // `sigma: auto` (or `--sigma auto`): each angle's noise from the data, before any fit;
    // the fit is weighted by it and its covariance is absolute.
    let noise = if args.sigma.is_some() || config.sigma == SigmaSetting::Auto {
        Some(estimate_noise(&data).map_err(input)?)
    } else {
        None
    };
    let point_sigma = noise
        .as_ref()
        .map(|noise| noise.point_sigma(&data, PointSelection::default()));
    let mode = config.analysis_mode;
    let n_phi = data.phi.len();
    // `constant` holds the package's per-angle estimates in the individual layout;
    // `auto` fits its candidates in turn and keeps the lowest BIC.
    let (scaling, candidates, held_scaling) = match config.per_angle_scaling.plan(n_phi) {
        ScalingPlan::Fit(scaling) => (scaling, Vec::new(), false),
        ScalingPlan::HeldAtEstimate => (ScalingMode::Individual, Vec::new(), true),
        ScalingPlan::ChooseByEvidence(modes) => (modes[0], modes, false),
    };
    if let Some(note) = config.per_angle_scaling.plan_note(n_phi).filter(|_| leads) {
        eprintln!("homodyne: warning: {note}");
    }
    let dt = config
        .dt()
        .ok_or_else(|| Failure::input("analyzer_parameters.dt is not set"))?;
    let grid = TimeGrid::from_times(dt, prepared.t.clone()).map_err(input)?;
    let form = if args.python_compat {
        ModelForm::PythonCompat
    } else {
        ModelForm::Published
    };
    let model = HomodyneModel::new(
        mode,
        scaling,
        form,
        grid,
        &data.phi,
        data.q,
        config.stator_rotor_gap(),
    )
    .map_err(input)?;
    let layout = *model.layout();
    let physical_start = physical_start(&config, mode)?;
    let strategy = config.performance.strategy_override.map(|s| match s {
        StrategyOverride::Standard => OptimizationStrategy::Standard,
        StrategyOverride::Large => OptimizationStrategy::Large,
        StrategyOverride::Chunked => OptimizationStrategy::Chunked,
        StrategyOverride::Streaming => OptimizationStrategy::Streaming,
    });
    // STREAMING (asked for, or above 100M points) runs batch by batch with the
    // configuration's checkpoints, so that a killed fit resumes.
    let streaming = (strategy == Some(OptimizationStrategy::Streaming)
        || (strategy.is_none() && data.n_points() > 100_000_000))
        .then(|| {
            let settings = &config.streaming;
            StreamingOptions {
                checkpoint: settings.enable_checkpoints.then(|| CheckpointOptions {
                    frequency: settings.checkpoint_frequency,
                    keep_last_n: settings.keep_last_checkpoints,
                    resume: settings.resume_from_checkpoint,
                    ..CheckpointOptions::new(config.resolve_path(&settings.checkpoint_dir))
                }),
                ..StreamingOptions::default()
            }
        });
    // The options of every layout the fit may use, checked before any fit.
    let mut layouts = vec![layout];
    for &candidate in candidates.iter().skip(1) {
        layouts.push(ParameterLayout::new(mode, candidate, n_phi));
    }
    let mut layout_options = Vec::with_capacity(layouts.len());
    for candidate in &layouts {
        let (lower, upper) = config.layout_bounds(candidate);
        let mut fixed = config.layout_fixed(candidate).map_err(input)?;
        let mut scaling_start = scaling_start(&config, candidate, &data.phi)?;
        if held_scaling {
            let (contrasts, offsets) = quantile_scaling(
                &data,
                PointSelection::default(),
                (lower[0], upper[0]),
                (lower[n_phi], upper[n_phi]),
            );
            fixed.resize(candidate.n_params(), None);
            for k in 0..n_phi {
                fixed[candidate.contrast_index(k)] = Some(contrasts[k]);
                fixed[candidate.offset_index(k)] = Some(offsets[k]);
            }
            scaling_start = Some((contrasts, offsets));
        }
        // Each candidate of a choice checkpoints in its own folder: a fit resumes only
        // its own passes.
        let mut streaming = streaming.clone();
        if let Some(checkpoint) = streaming.as_mut().and_then(|s| s.checkpoint.as_mut())
            && layouts.len() > 1
        {
            checkpoint.dir = checkpoint.dir.join(candidate.scaling.name());
        }
        layout_options.push(XpcsFitOptions {
            streaming,
            coarse_to_fine: CoarseToFine::Auto,
            points: PointSelection::default(),
            physical_start: Some(physical_start.clone()),
            scaling_start,
            bounds: Some((lower, upper)),
            method: Method::Trf,
            solver: SolverOptions::default(),
            sigma: point_sigma.clone(),
            absolute_sigma: point_sigma.is_some(),
            fixed,
            strategy,
            memory_limit_gb: config.performance.memory_limit_gb,
            refer_power_laws: true,
        });
    }
    let options_for = |candidate: &ParameterLayout| -> Result<XpcsFitOptions, XpcsError> {
        layouts
            .iter()
            .position(|l| l == candidate)
            .map(|k| layout_options[k].clone())
            .ok_or_else(|| XpcsError::setting("per_angle_mode", candidate.describe()))
    };
    let options = layout_options[0].clone();
    if leads {
        println!(
            "homodyne xpcs: {} from {} ({} angles x {} frames = {} points, q = {} 1/A), {}, \
             {} form; loaded in {load_seconds:.2} s{}",
            mode.name(),
            loaded.path.display(),
            n_phi,
            data.n_t,
            data.n_points(),
            data.q,
            if candidates.len() > 1 {
                let names: Vec<&str> = candidates.iter().map(|c| c.name()).collect();
                format!("scaling chosen by BIC among {}", names.join(", "))
            } else {
                format!(
                    "{} parameters ({} scaling)",
                    layout.n_params(),
                    scaling.name()
                )
            },
            form.name(),
            shared_among(processes)
        );
    }
    if let Some(noise) = noise.as_ref().filter(|_| leads) {
        println!("{}", noise.describe());
    }
    let progress = Progress::new();
    let observer: &dyn FitObserver = if leads && !args.quiet && std::io::stderr().is_terminal() {
        &progress
    } else {
        &NoObserver
    };
    let fit_started = Instant::now();
    let chosen = if candidates.len() > 1 {
        processes
            .run(|communicator| match communicator {
                None => fit_choosing_scaling(&model, &candidates, &data, &options_for, observer),
                Some(communicator) => fit_choosing_scaling_distributed(
                    &model,
                    &candidates,
                    &data,
                    &options_for,
                    observer,
                    communicator,
                ),
            })
            .map(|chosen| (chosen.model, chosen.fit, Some(chosen.choice)))
    } else {
        fit_on(processes, &model, &data, &options, observer).map(|fit| (model, fit, None))
    };
    progress.finish();
    let (model, fitted, choice) = chosen.map_err(|e| fit_failure(e, &layout.names()))?;
    let layout = *model.layout();
    let seconds = fit_started.elapsed().as_secs_f64();
    if !leads {
        return converged(&fitted.result);
    }
    if let Some(choice) = &choice {
        print_choice(choice);
    } else if held_scaling {
        println!(
            "per-angle scaling: contrasts and offsets estimated from the data's quantiles and \
             held fixed (per_angle_mode: constant)"
        );
    }
    print_summary(&layout, &data.phi, &fitted, None, seconds);
    write_outputs(
        &output_dir,
        &model,
        &data,
        &fitted,
        choice.as_ref(),
        noise.as_ref(),
        seconds,
    )?;
    println!("total {:.2} s", started.elapsed().as_secs_f64());
    converged(&fitted.result)
}

/// The configuration file `path` (without one, the defaults: the static model), with
/// the data flags laid over it: `--data FILE[:DATASET]` for
/// `experimental_data.data_folder_path`, `.data_file_name` and `.dataset`, `--dt` for
/// `analyzer_parameters.dt`, `--q` for `analyzer_parameters.scattering.wavevector_q` and
/// `--phi` for `experimental_data.phi_angles`.
fn configuration(args: &XpcsArgs, path: Option<&Path>) -> Result<XpcsConfig, Failure> {
    let mut config = match path {
        Some(path) => XpcsConfig::from_file(path).map_err(|e| Failure::input(e.to_string()))?,
        None => {
            let mut config = XpcsConfig::default();
            config.warnings.push(
                "no --config: the static model (D0, alpha, D_offset) is fitted from the \
                 package's default start and bounds; give a configuration for laminar flow, \
                 other bounds or frames"
                    .to_owned(),
            );
            config
        }
    };
    if let Some(argument) = &args.data {
        let (file, dataset) = data_argument(argument);
        let folder = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = file.file_name().ok_or_else(|| {
            Failure::input(format!("--data {argument}: give a file, not a folder"))
        })?;
        let data = &mut config.experimental_data;
        data.data_folder_path = Some(folder);
        data.data_file_name = Some(name.to_string_lossy().into_owned());
        if let Some(dataset) = dataset {
            data.dataset = Some(dataset);
        }
    }
    let positive = |flag: &str, value: f64, what: &str| {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(Failure::input(format!(
                "{flag} {value}: give a positive {what}"
            )))
        }
    };
    if let Some(dt) = args.dt {
        config.analyzer.dt = Some(positive("--dt", dt, "frame time in seconds")?);
    }
    if let Some(q) = args.q {
        config.analyzer.wavevector_q = Some(positive("--q", q, "wavevector in 1/A")?);
    }
    if let Some(phi) = &args.phi {
        if let Some(bad) = phi.iter().find(|a| !a.is_finite()) {
            return Err(Failure::input(format!(
                "--phi: {bad} is not a finite angle in degrees"
            )));
        }
        config.experimental_data.phi_angles = Some(phi.clone());
    }
    Ok(config)
}

/// `FILE` and the dataset of `--data FILE[:DATASET]`: the whole argument when it names an
/// existing file (a file name may hold a colon), else split at its last colon.
fn data_argument(argument: &str) -> (std::path::PathBuf, Option<String>) {
    let whole = std::path::PathBuf::from(argument);
    if whole.exists() {
        return (whole, None);
    }
    match argument.rsplit_once(':') {
        Some((file, dataset)) if !file.is_empty() && !dataset.is_empty() => {
            (std::path::PathBuf::from(file), Some(dataset.to_owned()))
        }
        _ => (whole, None),
    }
}

/// The physical start: `initial_parameters` where given, else the package's defaults.
fn physical_start(config: &XpcsConfig, mode: AnalysisMode) -> Result<Vec<f64>, Failure> {
    let defaults = mode.default_start();
    let Some(initial) = &config.initial_parameters else {
        return Ok(defaults.to_vec());
    };
    if initial.values.is_none() {
        return Ok(defaults.to_vec());
    }
    Ok(mode
        .physical_names()
        .iter()
        .zip(defaults)
        .map(|(name, &default)| initial.value_of(name).unwrap_or(default))
        .collect())
}

/// Starting contrasts and offsets, one per scaling group.
type ScalingStart = (Vec<f64>, Vec<f64>);

/// Starting contrasts and offsets from `initial_parameters` (per-angle lists, or one
/// `contrast` / `offset` value), or `None` to estimate them from the data. For a Fourier
/// series, the series closest to those per-angle values (at the angles `phi`).
fn scaling_start(
    config: &XpcsConfig,
    layout: &ParameterLayout,
    phi: &[f64],
) -> Result<Option<ScalingStart>, Failure> {
    let Some(initial) = &config.initial_parameters else {
        return Ok(None);
    };
    if let ScalingMode::Fourier { .. } = layout.scaling {
        let per_angle = |values: &Option<Vec<f64>>, name: &str| match values {
            Some(v) if v.len() == phi.len() => Ok(Some(v.clone())),
            Some(v) => Err(Failure::input(format!(
                "initial_parameters.per_angle_scaling.{name} has {} values, but the data have {} \
                 angles ({})",
                v.len(),
                phi.len(),
                layout.describe()
            ))),
            None => Ok(initial.value_of(name).map(|c| vec![c; phi.len()])),
        };
        let contrast = per_angle(&initial.per_angle_contrast, "contrast")?;
        let offset = per_angle(&initial.per_angle_offset, "offset")?;
        return Ok(contrast
            .zip(offset)
            .map(|(c, o)| layout.scaling_from_per_angle(&c, &o, phi)));
    }
    let groups = layout.n_scaling_groups();
    let per_angle = |values: &Option<Vec<f64>>, name: &str| -> Result<Option<Vec<f64>>, Failure> {
        match values {
            None => Ok(None),
            Some(v) if v.len() == groups => Ok(Some(v.clone())),
            Some(v) if groups == 1 && !v.is_empty() => {
                Ok(Some(vec![v.iter().sum::<f64>() / v.len() as f64]))
            }
            Some(v) => Err(Failure::input(format!(
                "initial_parameters.per_angle_scaling.{name} has {} values, but the fit has {groups} \
                 scaling groups ({})",
                v.len(),
                layout.describe()
            ))),
        }
    };
    let contrast = per_angle(&initial.per_angle_contrast, "contrast")?
        .or_else(|| initial.value_of("contrast").map(|c| vec![c; groups]));
    let offset = per_angle(&initial.per_angle_offset, "offset")?
        .or_else(|| initial.value_of("offset").map(|o| vec![o; groups]));
    Ok(contrast.zip(offset))
}

/// Where `homodyne xpcs --config` writes its results without `--output-dir` or
/// `output.directory`: the Python package's default.
pub const DEFAULT_OUTPUT_DIR: &str = "./homodyne_results";

/// The result files (`<dir>/nlsq/`: the package's three JSON files, the fitted data as
/// `.npz` and HDF5), and per angle a heatmap PNG and a PNG of one-time cuts (c2 against
/// the delay at a few ages, data and fit). `noise`: each angle's sigma when the fit was
/// weighted by it (`sigma: auto`), written with the chi-squared it defines.
fn write_outputs(
    dir: &Path,
    model: &HomodyneModel,
    data: &CorrelationData,
    fitted: &XpcsFit,
    choice: Option<&ScalingChoice>,
    noise: Option<&NoiseEstimate>,
    seconds: f64,
) -> Result<(), Failure> {
    let result = &fitted.result;
    let started = Instant::now();
    let written = write_nlsq_outputs(
        dir,
        &NlsqOutputs {
            model,
            data,
            result,
            execution_time: seconds,
            sigma: noise.map(Sigma::Estimated),
            points: PointSelection::default(),
            coarse_stages: &fitted.stages,
            scaling_choice: choice,
        },
    )
    .map_err(|e| {
        Failure::fit(format!(
            "the fit worked but its results could not be written: {e}"
        ))
    })?;
    let fit = model.values(&result.parameters);
    let nlsq = dir.join("nlsq");
    // Heatmaps and one-time cuts draw the same matrices, measured and fitted.
    type Plots = fn(&Path, &[f64], usize, &[f64], &[f64], &[f64]) -> Result<Vec<PathBuf>, String>;
    let draw = |plots: Plots, what: &str| {
        plots(
            &nlsq,
            &data.phi,
            data.n_t,
            model.grid().times(),
            &data.c2,
            &fit,
        )
        .map_err(|e| {
            Failure::fit(format!(
                "the fit worked but its {what} could not be drawn: {e}"
            ))
        })
    };
    let heatmaps = draw(write_heatmaps, "heatmaps")?;
    let cuts = draw(write_cuts, "one-time cuts")?;
    println!(
        "wrote {} files, {} heatmaps and {} one-time cut plots to {} in {:.2} s",
        written.len(),
        heatmaps.len(),
        cuts.len(),
        nlsq.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Exit status 1 when the fit did not converge (its best parameters were reported), with
/// what to try.
fn converged(result: &OptimizationResult) -> Result<(), Failure> {
    if result.converged() {
        return Ok(());
    }
    Err(Failure::fit(crate::report::not_converged(result, false)))
}

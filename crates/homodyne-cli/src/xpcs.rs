//! `homodyne xpcs`: fit the homodyne two-time correlation models to XPCS data, or, with
//! `--demo`, to a laminar-flow dataset generated in memory with known truth.

use homodyne_xpcs::CorrelationModel;
use std::path::Path;
use std::time::Instant;

use homodyne_xpcs::config::{XpcsConfig, config_template};
use homodyne_xpcs::{AnalysisMode, ModelForm, XpcsError};

use crate::args::{ConfigArgs, XpcsArgs};
use crate::checks;
use crate::failure::Failure;
use crate::processes::Processes;
use crate::xpcs_summary::{print_choice, print_summary};

pub use homodyne_xpcs::demo::{DEMO_NOISE, DEMO_TRUTH};

mod demo;
pub mod outputs;
pub mod overrides;
pub mod pipeline;
pub mod starts;
mod watched;

use demo::run_demo;
pub use demo::{PreparedDemo, write_demo, write_heterodyne_demo};
pub use outputs::{WrittenOutputs, write_outputs};
pub use overrides::{KeySetting, configuration_with};
pub use pipeline::{PreparedRun, RunError, RunSettings, XpcsRun, fit_failure, fit_on, given_data};
use watched::with_progress;

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
    let settings = RunSettings {
        form: if args.python_compat {
            ModelForm::PythonCompat
        } else {
            ModelForm::Published
        },
        sigma_auto: args.sigma.is_some(),
    };
    let prepared = PreparedRun::prepare(config, &settings, &mut |warning| {
        if leads {
            eprintln!("homodyne: warning: {warning}");
        }
    })?;
    if leads {
        let (data, layout, candidates) = (
            &prepared.data,
            prepared.model.layout(),
            &prepared.candidates,
        );
        println!(
            "homodyne xpcs: {} from {} ({} angles x {} frames = {} points, q = {} 1/A), {}, \
             {} form; loaded in {:.2} s{}",
            prepared.config.analysis_mode.name(),
            prepared.loaded.path.display(),
            data.phi.len(),
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
                    layout.scaling.name()
                )
            },
            settings.form.name(),
            prepared.load_seconds,
            processes.shared_among()
        );
    }
    if let Some(noise) = prepared.noise.as_ref().filter(|_| leads) {
        println!("{}", noise.describe());
    }
    let run = with_progress(leads && !args.quiet, |observer| {
        prepared.fit(processes, observer)
    })?;
    if !leads {
        return run.converged();
    }
    if let Some(choice) = &run.choice {
        print_choice(choice);
    } else if run.held_scaling {
        println!(
            "per-angle scaling: contrasts and offsets estimated from the data's quantiles and \
             held fixed (per_angle_mode: constant)"
        );
    }
    print_summary(
        run.model.layout(),
        &run.data.phi,
        &run.fitted,
        None,
        run.seconds,
    );
    println!(
        "{}",
        write_outputs(&output_dir, &run, args.hdf5)?.describe()
    );
    println!("total {:.2} s", started.elapsed().as_secs_f64());
    run.converged()
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
    config.multistart = (args.multistart)
        .over(config.multistart.take(), 42)
        .map_err(Failure::input)?;
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

/// Where `homodyne xpcs --config` writes its results without `--output-dir` or
/// `output.directory`: the Python package's default.
pub const DEFAULT_OUTPUT_DIR: &str = "./homodyne_results";

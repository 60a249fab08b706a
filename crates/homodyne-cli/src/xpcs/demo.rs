//! `homodyne xpcs --demo [--mode heterodyne]`: synthetic laminar-flow (or two-component)
//! data with known truth, fitted in memory or written as an APS-U file with a YAML that
//! fits it (`--write-data DIR`).

use std::path::Path;
use std::time::Instant;

use homodyne::FitObserver;
use homodyne_xpcs::demo::{DEMO_NOISE, DEMO_TRUTH, DemoDataset, DemoFiles};
use homodyne_xpcs::heterodyne_demo::{self, HeterodyneDemo};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, CorrelationModel, ModelForm, ScalingMode, XpcsFitOptions,
    XpcsModel,
};

use super::outputs::write_outputs;
use super::pipeline::{RunError, XpcsRun, fit_on};
use super::watched::with_progress;
use crate::args::XpcsArgs;
use crate::checks;
use crate::failure::Failure;
use crate::processes::Processes;
use crate::xpcs_summary::print_summary;

/// The demo: synthetic laminar-flow data ([`DemoDataset`]), fitted from the Python
/// package's default start, or with `--write-data DIR` written as an APS-U file with a
/// YAML that fits it, without a fit.
pub(super) fn run_demo(args: &XpcsArgs, processes: &Processes) -> Result<(), Failure> {
    let leads = processes.leads();
    let mode: AnalysisMode = args
        .mode
        .parse()
        .map_err(|e: homodyne_xpcs::XpcsError| Failure::input(format!("--mode: {e}")))?;
    if mode == AnalysisMode::Static {
        return Err(Failure::input(
            "--mode static: the demo is laminar_flow (which holds the static parameters) or              two_component",
        ));
    }
    let frames = args.frames.unwrap_or(match mode {
        AnalysisMode::TwoComponent => 100,
        _ => 300,
    });
    check_counts(args.angles, frames)?;
    if let Some(dir) = &args.write_data {
        checks::output_dir("--write-data", dir)?;
    }
    check_size(args.angles, frames, mode)?;
    if mode == AnalysisMode::TwoComponent && args.python_compat {
        return Err(Failure::input(
            "--python-compat is a form of the homodyne model; the two-component model has one              form",
        ));
    }
    let form = if args.python_compat {
        ModelForm::PythonCompat
    } else {
        ModelForm::Published
    };
    // `--write-data` writes the data (on the lead process) instead of fitting them.
    let write = |written: &dyn Fn(&Path) -> Result<(), Failure>| match &args.write_data {
        Some(dir) if leads => Some(written(dir)),
        Some(_) => Some(Ok(())),
        None => None,
    };
    let mut prepared = if mode == AnalysisMode::TwoComponent {
        let demo = HeterodyneDemo::generate(args.angles, frames).map_err(RunError::input)?;
        if let Some(done) = write(&|dir| write_heterodyne_demo_data(dir, &demo)) {
            return done;
        }
        PreparedDemo::from_heterodyne(demo)?
    } else {
        let demo = DemoDataset::generate(args.angles, frames, form).map_err(RunError::input)?;
        if let Some(done) = write(&|dir| write_demo_data(dir, &demo)) {
            return done;
        }
        PreparedDemo::from_dataset(demo)?
    };
    prepared.options.multistart = (args.multistart)
        .over(prepared.options.multistart.take(), 0)
        .map_err(Failure::input)?;
    if leads {
        let physics = match mode {
            AnalysisMode::TwoComponent => "two-component (heterodyne)",
            _ => "laminar flow",
        };
        println!(
            "homodyne xpcs --demo: {physics}, {} angles x {} frames = {} points, {}              parameters ({} form), noise sigma {DEMO_NOISE}{}",
            args.angles,
            frames,
            prepared.data.n_points(),
            prepared.model.layout().n_params(),
            form.name(),
            processes.shared_among()
        );
        println!("start: {}", prepared.start_note());
    }
    let run = with_progress(leads && !args.quiet, |observer| {
        prepared.fit(processes, observer)
    })?;
    if !leads {
        return run.converged();
    }
    print_summary(
        run.model.layout(),
        &run.data.phi,
        &run.fitted,
        run.truth.as_deref(),
        run.seconds,
    );
    if let Some(dir) = &args.output_dir {
        println!("{}", write_outputs(dir, &run, args.hdf5)?.describe());
    }
    run.converged()
}

/// At least one angle and two frames (`--angles`, `--frames`).
fn check_counts(angles: usize, frames: usize) -> Result<(), Failure> {
    if angles == 0 || frames < 2 {
        return Err(Failure::input(format!(
            "--angles must be at least 1 and --frames at least 2 (got {angles} and {frames})"
        )));
    }
    Ok(())
}

/// Before anything is allocated: the memory the data need, and enough points (the fit
/// takes each pair t1 < t2 of each angle once) for the physical parameters of `mode` and
/// 2 x angles.
fn check_size(angles: usize, frames: usize, mode: AnalysisMode) -> Result<(), Failure> {
    checks::demo_memory(angles, frames, checks::memory_budget())?;
    let pairs = frames * (frames - 1) / 2;
    checks::enough_points(
        &format!("--demo with {angles} angles x {frames} frames ({pairs} pairs t1 < t2 per angle)"),
        angles * pairs,
        mode.n_physical() + 2 * angles,
    )?;
    Ok(())
}

/// Writes the demo of `angles` angles and `frames` frames (made with the model's `form`)
/// into `dir` as an APS-U HDF5 file with the YAML configuration that fits it, as
/// `homodyne xpcs --demo --write-data DIR` does, after the same checks.
///
/// # Errors
///
/// Exit status 2: the counts or size of [`PreparedDemo::prepare`], a folder that cannot be
/// written.
pub fn write_demo(
    dir: &Path,
    angles: usize,
    frames: usize,
    form: ModelForm,
) -> Result<DemoFiles, RunError> {
    check_counts(angles, frames)?;
    checks::output_dir("the demo's folder", dir).map_err(Failure::from)?;
    check_size(angles, frames, AnalysisMode::LaminarFlow)?;
    let demo = DemoDataset::generate(angles, frames, form).map_err(RunError::input)?;
    demo.write(dir).map_err(|e| RunError {
        failure: Failure::input(format!("the demo data could not be written: {e}")),
        cause: Some(e),
    })
}

/// Writes the two-component demo of `angles` angles and `frames` frames into `dir` as an
/// APS-U HDF5 file with the YAML configuration (xpcsjax's keys) that fits it, as
/// `homodyne xpcs --demo --mode heterodyne --write-data DIR` does, after the same checks.
///
/// # Errors
///
/// Exit status 2: the counts or size of [`PreparedDemo::prepare_heterodyne`], a folder
/// that cannot be written.
pub fn write_heterodyne_demo(
    dir: &Path,
    angles: usize,
    frames: usize,
) -> Result<DemoFiles, RunError> {
    check_counts(angles, frames)?;
    checks::output_dir("the demo's folder", dir).map_err(Failure::from)?;
    check_size(angles, frames, AnalysisMode::TwoComponent)?;
    let demo = HeterodyneDemo::generate(angles, frames).map_err(RunError::input)?;
    demo.write(dir).map_err(|e| RunError {
        failure: Failure::input(format!("the demo data could not be written: {e}")),
        cause: Some(e),
    })
}

/// The demo's data set up for its fit: the data without the first frame, the model
/// (laminar flow or two-component) with one contrast and offset per angle, the truth and
/// the fit's options.
#[derive(Debug)]
pub struct PreparedDemo {
    /// The data fitted (`frames` frames per angle).
    pub data: CorrelationData,
    /// The model fitted (laminar flow or two-component, individual scaling).
    pub model: XpcsModel,
    /// The values the data were made from, in the model's layout.
    pub truth: Vec<f64>,
    /// The options of the fit: the defaults for laminar flow, the start, held `f2`,
    /// bounds and multistart of [`HeterodyneDemo::fit_options`] for the two-component
    /// model.
    pub options: XpcsFitOptions,
}

impl PreparedDemo {
    /// The demo of `angles` angles and `frames` frames made with the model's `form`, as
    /// `homodyne xpcs --demo --angles A --frames F [--python-compat]` fits it; its size is
    /// checked against the memory available before anything is allocated.
    ///
    /// # Errors
    ///
    /// Exit status 2: no angle, fewer than 2 frames, more memory than is available, or
    /// fewer points than parameters.
    pub fn prepare(angles: usize, frames: usize, form: ModelForm) -> Result<Self, RunError> {
        check_counts(angles, frames)?;
        check_size(angles, frames, AnalysisMode::LaminarFlow)?;
        let demo = DemoDataset::generate(angles, frames, form).map_err(RunError::input)?;
        Self::from_dataset(demo)
    }

    /// The two-component demo of `angles` angles and `frames` frames, as `homodyne xpcs
    /// --demo --mode heterodyne --angles A --frames F` fits it (with its multistart, see
    /// [`HeterodyneDemo::fit_options`]); its size is checked first.
    ///
    /// # Errors
    ///
    /// As [`PreparedDemo::prepare`].
    pub fn prepare_heterodyne(angles: usize, frames: usize) -> Result<Self, RunError> {
        check_counts(angles, frames)?;
        check_size(angles, frames, AnalysisMode::TwoComponent)?;
        let demo = HeterodyneDemo::generate(angles, frames).map_err(RunError::input)?;
        Self::from_heterodyne(demo)
    }

    /// The fit of the generated `demo`.
    fn from_dataset(demo: DemoDataset) -> Result<Self, RunError> {
        let form = demo.form;
        let (contrasts, offsets) = (demo.contrasts.clone(), demo.offsets.clone());
        let data = demo.into_fit_data().map_err(RunError::input)?;
        let model = DemoDataset::fit_model(&data, ScalingMode::Individual, form)
            .map_err(RunError::input)?;
        let truth = model
            .layout()
            .assemble(&contrasts, &offsets, &DEMO_TRUTH)
            .map_err(RunError::input)?;
        Ok(Self {
            data,
            model: model.into(),
            truth,
            options: XpcsFitOptions::default(),
        })
    }

    /// The fit of the generated two-component `demo`.
    fn from_heterodyne(demo: HeterodyneDemo) -> Result<Self, RunError> {
        let (contrasts, offsets) = (demo.contrasts.clone(), demo.offsets.clone());
        let data = demo.into_fit_data().map_err(RunError::input)?;
        let model =
            HeterodyneDemo::fit_model(&data, ScalingMode::Individual).map_err(RunError::input)?;
        let layout = *model.layout();
        let truth = layout
            .assemble(&contrasts, &offsets, &heterodyne_demo::TRUTH)
            .map_err(RunError::input)?;
        Ok(Self {
            data,
            model: model.into(),
            truth,
            options: HeterodyneDemo::fit_options(&layout),
        })
    }

    /// Where the fit starts, for the console.
    fn start_note(&self) -> String {
        let layout = self.model.layout();
        if layout.mode != AnalysisMode::TwoComponent {
            return "the Python package's defaults (D0 1e4, alpha -1.5, gamma_dot_t0 1e-3, \
                    the rest 0), contrasts and offsets estimated from the data"
                .to_owned();
        }
        let held: Vec<String> = (heterodyne_demo::HELD.iter())
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        let bounds: Vec<String> = (heterodyne_demo::BOUNDS.iter())
            .map(|(name, lo, hi)| format!("{name} [{lo}, {hi}]"))
            .collect();
        let multistart = match &self.options.multistart {
            Some(m) => format!(
                "; a multistart of {} Latin-hypercube starts (seed {}) besides it, each of at \
                 most {} evaluations, the best finished",
                m.starts(),
                m.seed_value(),
                m.budget_value()
            ),
            None => String::new(),
        };
        format!(
            "xpcsjax's registry defaults (a symmetric stationary point: both components \
             equal, the fraction columns zero), contrasts and offsets estimated from the \
             data; held {}; bounds the registry's but {}{multistart}",
            held.join(", "),
            bounds.join(", ")
        )
    }

    /// Fits the demo from the Python package's default start (contrasts and offsets
    /// estimated from the data), on this process or shared among `processes`.
    ///
    /// # Errors
    ///
    /// The fit's error, its parameters named.
    pub fn fit(
        self,
        processes: &Processes,
        observer: &dyn FitObserver,
    ) -> Result<XpcsRun, RunError> {
        let started = Instant::now();
        let fitted = fit_on(processes, &self.model, &self.data, &self.options, observer)
            .map_err(|e| RunError::fit(e, &self.model.layout().names()))?;
        Ok(XpcsRun {
            config: None,
            loaded: None,
            data: self.data,
            noise: None,
            model: self.model,
            fitted,
            choice: None,
            held_scaling: false,
            truth: Some(self.truth),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// `--demo --write-data DIR`: the demo's data as an APS-U file and the YAML that fits
/// it, and the command that does.
fn write_demo_data(dir: &Path, demo: &DemoDataset) -> Result<(), Failure> {
    let started = Instant::now();
    let files = demo
        .write(dir)
        .map_err(|e| Failure::input(format!("the demo data could not be written: {e}")))?;
    let recorded = &demo.recorded;
    println!(
        "homodyne xpcs --demo: laminar flow, {} angles x {} frames of {} s ({} recorded from \
         t = 0; the fit drops t = 0), {} form, noise sigma {DEMO_NOISE}",
        recorded.phi.len(),
        demo.frames(),
        recorded.dt,
        recorded.n_t,
        demo.form.name()
    );
    print_written(
        &files,
        started,
        if demo.form == ModelForm::PythonCompat {
            " --python-compat"
        } else {
            ""
        },
    );
    Ok(())
}

/// What `--write-data` wrote (since `started`) and the command that fits it (`flags`
/// after the configuration).
fn print_written(files: &DemoFiles, started: Instant, flags: &str) {
    println!(
        "wrote {} (APS-U layout) and {} (the truth in its comments) in {:.2} s",
        files.data.display(),
        files.config.display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "fit it with: homodyne xpcs --config {}{flags} --output-dir results",
        files.config.display(),
    );
}

/// `--demo --mode heterodyne --write-data DIR`: the two-component demo's data as an APS-U
/// file and the YAML (xpcsjax's keys) that fits it, and the command that does.
fn write_heterodyne_demo_data(dir: &Path, demo: &HeterodyneDemo) -> Result<(), Failure> {
    let started = Instant::now();
    let files = demo
        .write(dir)
        .map_err(|e| Failure::input(format!("the demo data could not be written: {e}")))?;
    println!(
        "homodyne xpcs --demo: two-component (heterodyne), {} angles x {} frames of {} s \
         ({} recorded; the fit drops the first), noise sigma {DEMO_NOISE}",
        demo.recorded.phi.len(),
        demo.frames(),
        demo.recorded.dt,
        demo.recorded.n_t,
    );
    print_written(&files, started, "");
    Ok(())
}

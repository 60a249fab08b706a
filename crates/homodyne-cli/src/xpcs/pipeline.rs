//! The XPCS fit of a configuration as a library call: configuration -> load -> starts ->
//! fit (with the per-angle scaling choice) -> results, without printing.
//!
//! `homodyne xpcs --config` runs it in two steps ([`PreparedRun::prepare`], then
//! [`PreparedRun::fit`]) and prints between them; the Python package (`homodyne_rs.xpcs`)
//! runs the same two steps, so a fit from Python is the command line's fit, bit for bit.
//! [`XpcsRun`] is what either gets back: the data fitted, the model kept, the fit, and the
//! scaling candidates.

use std::time::Instant;

use homodyne::prelude::*;
use homodyne::{CheckpointOptions, FitObserver, StreamingOptions};
use homodyne_xpcs::config::{ScalingPlan, SigmaSetting, StrategyOverride, XpcsConfig};
use homodyne_xpcs::heterodyne::{HeterodyneModel, fitted_frames_grid};
use homodyne_xpcs::initial::quantile_scaling;
use homodyne_xpcs::loader::{Precision, SourceFormat, load_experimental_data};
use homodyne_xpcs::noise::{NoiseEstimate, estimate_noise};
use homodyne_xpcs::{
    CoarseToFine, CorrelationData, CorrelationModel, HomodyneModel, LoadedXpcs, ModelForm,
    ParameterLayout, PointSelection, ScalingChoice, ScalingMode, TimeGrid, XpcsError, XpcsFit,
    XpcsFitOptions, XpcsModel, fit_choosing_scaling, fit_choosing_scaling_distributed,
};

use super::starts::{physical_start, scaling_start};
use crate::failure::Failure;
use crate::failure::{by_index, describe};
use crate::processes::Processes;

/// Why a run stopped: what the command line prints (with its exit status), and the
/// library's error behind it when there is one, so that Python can raise the exception
/// class of its kind (a failed fit, a file that cannot be read, a configuration key).
#[derive(Debug)]
pub struct RunError {
    /// The command line's message and exit status.
    pub failure: Failure,
    /// The library's error the failure describes; `None` for a setting checked here.
    pub cause: Option<XpcsError>,
}

impl RunError {
    /// Bad input found by the library (a configuration key, a data file): exit status 2.
    pub fn input(error: XpcsError) -> Self {
        Self {
            failure: Failure::input(error.to_string()),
            cause: Some(error),
        }
    }

    /// The failure of a fit whose parameters are `names` ([`fit_failure`]).
    pub fn fit(error: XpcsError, names: &[String]) -> Self {
        Self {
            failure: fit_failure(&error, names),
            cause: Some(error),
        }
    }
}

impl From<Failure> for RunError {
    fn from(failure: Failure) -> Self {
        Self {
            failure,
            cause: None,
        }
    }
}

impl From<RunError> for Failure {
    fn from(error: RunError) -> Self {
        error.failure
    }
}

/// The failure of a fit: the library's errors as `homodyne curve` describes them (bad
/// input is exit status 2, a failed fit 1), naming parameters by `names`; the other errors
/// of an XPCS fit (a start outside the bounds, a wrong number of values) are bad input.
pub fn fit_failure(error: &XpcsError, names: &[String]) -> Failure {
    match error {
        XpcsError::Fit(e) => describe(e, names, &by_index),
        other => Failure::input(other.to_string()),
    }
}

/// The fit, by this process or shared among the processes of `processes`.
pub fn fit_on(
    processes: &Processes,
    model: &XpcsModel,
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

/// What a run takes besides its configuration (the command line's flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunSettings {
    /// The model's form: the published one, or the Python package's (`--python-compat`).
    pub form: ModelForm,
    /// Weight each angle by its noise estimated from the data whatever the configuration
    /// says (`--sigma auto`; the configuration's `optimization.nlsq.sigma: auto` does the
    /// same).
    pub sigma_auto: bool,
}

/// A configuration's data loaded and its fit set up: the model, the starts, bounds and
/// held values of every layout the fit may use, checked before any fit.
#[derive(Debug)]
pub struct PreparedRun {
    /// The configuration.
    pub config: XpcsConfig,
    /// The data as the loader returned them (every angle, the first frame included).
    pub loaded: LoadedXpcs,
    /// The data fitted: the first frame dropped, angles normalised and filtered
    /// (`phi_filtering`).
    pub data: CorrelationData,
    /// Each angle's noise, when the fit is weighted by it (`sigma: auto`).
    pub noise: Option<NoiseEstimate>,
    /// The model of the first (or only) scaling fitted.
    pub model: XpcsModel,
    /// The scalings `per_angle_mode: auto` chooses among by BIC (empty: one scaling).
    pub candidates: Vec<ScalingMode>,
    /// Whether the contrasts and offsets are held at the data's quantile estimates
    /// (`per_angle_mode: constant`).
    pub held_scaling: bool,
    /// Seconds spent loading.
    pub load_seconds: f64,
    /// The options of each layout the fit may use (the first is the model's).
    layouts: Vec<(ParameterLayout, XpcsFitOptions)>,
}

impl PreparedRun {
    /// Loads the data of `config` and sets up its fit. `warn` receives each warning as it
    /// arises (of the loader, the angle filter, the scaling plan), for the caller to show.
    ///
    /// # Errors
    ///
    /// A [`RunError`] with exit status 2: data that cannot be read or used, a
    /// configuration value that cannot be used, a missing `dt`, starts of the wrong length.
    pub fn prepare(
        config: XpcsConfig,
        settings: &RunSettings,
        warn: &mut dyn FnMut(&str),
    ) -> Result<Self, RunError> {
        let started = Instant::now();
        let loaded = load_experimental_data(
            &config.data_location().map_err(RunError::input)?,
            &config.load_options().map_err(RunError::input)?,
        )
        .map_err(RunError::input)?;
        Self::set_up(config, loaded, settings, warn, started)
    }

    /// Sets up the fit of data already loaded (by the loader, or given as arrays:
    /// [`given_data`]) as [`PreparedRun::prepare`] does after loading; the configuration's
    /// data location and frame range are not used.
    ///
    /// # Errors
    ///
    /// As [`PreparedRun::prepare`].
    pub fn prepare_loaded(
        config: XpcsConfig,
        loaded: LoadedXpcs,
        settings: &RunSettings,
        warn: &mut dyn FnMut(&str),
    ) -> Result<Self, RunError> {
        Self::set_up(config, loaded, settings, warn, Instant::now())
    }

    /// [`PreparedRun::prepare`] after the load that began at `started`.
    fn set_up(
        config: XpcsConfig,
        loaded: LoadedXpcs,
        settings: &RunSettings,
        warn: &mut dyn FnMut(&str),
        started: Instant,
    ) -> Result<Self, RunError> {
        for warning in &loaded.warnings {
            warn(warning);
        }
        let prepared = loaded.cli_prepared().map_err(RunError::input)?;
        let (angles, warning) = config.phi_filtering.select(&prepared.data.phi);
        if let Some(warning) = warning {
            warn(&warning);
        }
        let data = if angles.len() < prepared.data.phi.len() {
            prepared.data.select_angles(&angles)
        } else {
            prepared.data
        };
        let load_seconds = started.elapsed().as_secs_f64();
        // `sigma: auto` (or `--sigma auto`): each angle's noise from the data, before any
        // fit; the fit is weighted by it and its covariance is absolute.
        let noise = if settings.sigma_auto || config.sigma == SigmaSetting::Auto {
            Some(estimate_noise(&data).map_err(RunError::input)?)
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
        if let Some(note) = config.per_angle_scaling.plan_note(n_phi) {
            warn(&note);
        }
        let dt = config
            .dt()
            .ok_or_else(|| Failure::input("analyzer_parameters.dt is not set"))?;
        let model: XpcsModel = if mode.is_homodyne() {
            let grid = TimeGrid::from_times(dt, prepared.t.clone()).map_err(RunError::input)?;
            HomodyneModel::new(
                mode,
                scaling,
                settings.form,
                grid,
                &data.phi,
                data.q,
                config.stator_rotor_gap(),
            )
            .map_err(RunError::input)?
            .into()
        } else {
            if settings.form == ModelForm::PythonCompat {
                warn(
                    "--python-compat is a form of the homodyne model; the two_component model \
                     has one form, which is fitted",
                );
            }
            // xpcsjax's time origin: the window's first frame at `dt`.
            let grid = fitted_frames_grid(dt, data.n_t).map_err(RunError::input)?;
            HeterodyneModel::new(scaling, grid, &data.phi, data.q)
                .map_err(RunError::input)?
                .into()
        };
        let physical_start = physical_start(&config, mode);
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
        let mut all = vec![*model.layout()];
        for &candidate in candidates.iter().skip(1) {
            all.push(ParameterLayout::new(mode, candidate, n_phi));
        }
        let several = all.len() > 1;
        let mut layouts = Vec::with_capacity(all.len());
        for candidate in all {
            let (lower, upper) = config.layout_bounds(&candidate);
            let mut fixed = config.layout_fixed(&candidate).map_err(RunError::input)?;
            let mut scaling_start = scaling_start(&config, &candidate, &data.phi)?;
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
                && several
            {
                checkpoint.dir = checkpoint.dir.join(candidate.scaling.name());
            }
            let options = XpcsFitOptions {
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
                // The parametrisation about a reference time is the homodyne power laws'.
                refer_power_laws: mode.is_homodyne(),
                multistart: config.multistart.clone(),
            };
            layouts.push((candidate, options));
        }
        Ok(Self {
            config,
            loaded,
            data,
            noise,
            model,
            candidates,
            held_scaling,
            load_seconds,
            layouts,
        })
    }

    /// Fits the data: the one scaling of the plan, or each candidate in turn keeping the
    /// lowest BIC; on this process or shared among `processes`. `observer` sees every
    /// iteration and may stop the fit.
    ///
    /// # Errors
    ///
    /// The fit's error ([`RunError::fit`]), its parameters named.
    pub fn fit(
        self,
        processes: &Processes,
        observer: &dyn FitObserver,
    ) -> Result<XpcsRun, RunError> {
        let started = Instant::now();
        let names = self.model.layout().names();
        let options_for = |candidate: &ParameterLayout| -> Result<XpcsFitOptions, XpcsError> {
            self.layouts
                .iter()
                .find(|(layout, _)| layout == candidate)
                .map(|(_, options)| options.clone())
                .ok_or_else(|| XpcsError::setting("per_angle_mode", candidate.describe()))
        };
        let (model, fitted, choice) = if self.candidates.len() > 1 {
            let (model, data, candidates) = (&self.model, &self.data, &self.candidates);
            processes
                .run(|communicator| match communicator {
                    None => fit_choosing_scaling(model, candidates, data, &options_for, observer),
                    Some(communicator) => fit_choosing_scaling_distributed(
                        model,
                        candidates,
                        data,
                        &options_for,
                        observer,
                        communicator,
                    ),
                })
                .map(|chosen| (chosen.model, chosen.fit, Some(chosen.choice)))
                .map_err(|e| RunError::fit(e, &names))?
        } else {
            let options = &self.layouts[0].1;
            let fitted = fit_on(processes, &self.model, &self.data, options, observer)
                .map_err(|e| RunError::fit(e, &names))?;
            (self.model, fitted, None)
        };
        Ok(XpcsRun {
            config: Some(self.config),
            loaded: Some(self.loaded),
            data: self.data,
            noise: self.noise,
            model,
            fitted,
            choice,
            held_scaling: self.held_scaling,
            truth: None,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Two-time data given as arrays, as the package's loader returns them: `c2` the
/// `n_phi` matrices of `n_t x n_t` frames one after another (row-major, diagonal
/// corrected), `t` the `n_t` frame times from 0 (seconds), `phi` the angles (degrees),
/// `q_list` the wavevector of each matrix (1/Angstrom; the first is fitted, as the
/// package fits it), `dt` the frame time. The path is `<arrays>`.
///
/// # Errors
///
/// Exit status 2: sizes that do not agree (named), no angle, no wavevector, a
/// non-positive `dt`.
pub fn given_data(
    c2: Vec<f64>,
    t: Vec<f64>,
    phi: Vec<f64>,
    q_list: Vec<f64>,
    dt: f64,
) -> Result<LoadedXpcs, RunError> {
    let n_t = t.len();
    let n_phi = phi.len();
    let sizes = |what: String| -> RunError { Failure::input(what).into() };
    if c2.len() != n_phi * n_t * n_t {
        return Err(sizes(format!(
            "c2_exp holds {} values, but {n_phi} angles (phi_angles_list) of {n_t} x {n_t} \
             frames (t1) need {}",
            c2.len(),
            n_phi * n_t * n_t
        )));
    }
    let Some(&q) = q_list.first() else {
        return Err(sizes(
            "wavevector_q_list is empty: give the q of the data".to_owned(),
        ));
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(sizes(format!(
            "the frame time dt is {dt}: give a positive analyzer_parameters.dt"
        )));
    }
    let data = CorrelationData::new(q, dt, phi, n_t, c2).map_err(RunError::input)?;
    Ok(LoadedXpcs {
        c2_before_correction: Vec::new(),
        data,
        t,
        wavevector_q_list: q_list,
        selected_q: Some(q),
        precision: Precision::Float64,
        format: SourceFormat::Matrix,
        path: "<arrays>".into(),
        source_indices: (0..n_phi).collect(),
        source_datasets: (0..n_phi).map(|k| format!("c2_exp[{k}]")).collect(),
        n_frames_in_file: None,
        frames: None,
        cache_metadata: None,
        cache_written: None,
        warnings: Vec::new(),
    })
}

/// A finished XPCS fit: the data, the model kept, its fit and how it was chosen.
#[derive(Debug)]
pub struct XpcsRun {
    /// The configuration (`None` for the demo).
    pub config: Option<XpcsConfig>,
    /// The data as the loader returned them (`None` for the demo).
    pub loaded: Option<LoadedXpcs>,
    /// The data fitted.
    pub data: CorrelationData,
    /// Each angle's noise, when the fit was weighted by it (`sigma: auto`).
    pub noise: Option<NoiseEstimate>,
    /// The model of the scaling kept.
    pub model: XpcsModel,
    /// The fit (coarse stages and the full fit's [`OptimizationResult`]).
    pub fitted: XpcsFit,
    /// The scaling candidates and the one kept (`per_angle_mode: auto` with several).
    pub choice: Option<ScalingChoice>,
    /// Whether contrasts and offsets were held at the data's estimates.
    pub held_scaling: bool,
    /// The values the data were made from, in the model's layout (the demo only).
    pub truth: Option<Vec<f64>>,
    /// Seconds the fit took (loading not counted).
    pub seconds: f64,
}

impl XpcsRun {
    /// The full result of the fit.
    pub fn result(&self) -> &OptimizationResult {
        &self.fitted.result
    }

    /// Exit status 1 when the fit did not converge (its best parameters were reported),
    /// with what to try.
    pub(crate) fn converged(&self) -> Result<(), Failure> {
        let result = self.result();
        if result.converged() {
            return Ok(());
        }
        Err(Failure::fit(crate::report::not_converged(result, false)))
    }

    /// The parameter names, in the model's layout (`contrast[0]`, ..., `D0`, ...).
    pub fn names(&self) -> Vec<String> {
        self.model.layout().names()
    }

    /// The contrast and offset of each fitted angle (`c(phi_k)`, `o(phi_k)`): a group's
    /// value for each of its angles, or a Fourier series evaluated at each angle.
    pub fn per_angle_scaling(&self) -> (Vec<f64>, Vec<f64>) {
        self.model
            .layout()
            .per_angle_scaling(&self.fitted.result.parameters, &self.data.phi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_data_names_sizes_that_do_not_agree() {
        let message = |e: RunError| e.failure.message;
        let error = given_data(vec![1.0; 8], vec![0.0, 0.1], vec![0.0], vec![0.01], 0.1);
        let text = message(error.unwrap_err());
        assert!(
            text.contains("holds 8 values") && text.contains("need 4"),
            "{text}"
        );
        let error = given_data(vec![1.0; 4], vec![0.0, 0.1], vec![0.0], vec![], 0.1);
        assert!(message(error.unwrap_err()).contains("wavevector_q_list is empty"));
        let error = given_data(vec![1.0; 4], vec![0.0, 0.1], vec![0.0], vec![0.01], -1.0);
        assert!(message(error.unwrap_err()).contains("analyzer_parameters.dt"));
        let loaded = given_data(
            vec![1.0; 8],
            vec![0.0, 0.1],
            vec![0.0, 90.0],
            vec![0.01],
            0.1,
        )
        .unwrap();
        assert_eq!((loaded.data.n_t, loaded.data.phi.len()), (2, 2));
        assert_eq!(loaded.data.q, 0.01);
    }
}

//! The YAML configuration, with the keys of the Python `homodyne` package (2.23.3).
//!
//! [`XpcsConfig::from_file`] and [`XpcsConfig::from_yaml_str`] read a configuration
//! written for the package (its shipped templates included) and keep what a fit uses:
//!
//! | key | default |
//! | --- | --- |
//! | `analysis_mode` | `static` (`static_isotropic` and `static_anisotropic` mean `static`) |
//! | `analyzer_parameters.dt` | none; required to load data (falls back to `experimental_data.dt`) |
//! | `analyzer_parameters.start_frame` | 1 |
//! | `analyzer_parameters.end_frame` | -1 (the last frame) |
//! | `analyzer_parameters.scattering.wavevector_q` | none: a file holding one q is fitted at it (with a warning naming it); a file holding several, or a bare matrix, needs it |
//! | `analyzer_parameters.geometry.stator_rotor_gap` | 2e6 Angstrom, with a warning in `laminar_flow` mode (falls back to `experimental_data.geometry.stator_rotor_gap`, then `experimental_data.sample_detector_distance`) |
//! | `experimental_data.data_folder_path`, `.data_file_name` | none; required to load data |
//! | `experimental_data.format` | `auto`: a `.npy` file, a `.npz` without `c2_exp`, or any file with `dataset` is a bare matrix, else the package's files; `matrix`; `aps` (APS or APS-U HDF5, or the package's `.npz` cache) |
//! | `experimental_data.dataset` | none: a bare matrix's HDF5 dataset path (`/exchange/c2`) or `.npz` array name (not needed for `.npy`, or a `.npz` of one array) |
//! | `experimental_data.phi_angles` | none: a bare matrix's angles in degrees, one per matrix (`[0.0]` for one matrix); required for a bare matrix |
//! | `experimental_data.triangle` | `auto` (`upper` when the values below the diagonal are all 0 or NaN, `lower` the other way round, else `full`); `full`, `upper`, `lower` |
//! | `experimental_data.cache_file_path` | the data folder |
//! | `experimental_data.cache_filename_template` | `cached_c2_frames_${start_frame}_${end_frame}.npz` |
//! | `experimental_data.cache_compression` | true |
//! | `initial_parameters.parameter_names`, `.values` | none (values may be `null`) |
//! | `initial_parameters.per_angle_scaling.{contrast, offset}` | none |
//! | `initial_parameters.fixed_parameters` | none (`{name: value}`: parameters held at values) |
//! | `parameter_space.bounds[{name, min, max}]` | the package's default bounds |
//! | `parameter_space.bounds[{name, fixed}]` | fitted (a number: held at it; `true`: at its initial value) |
//! | `optimization.nlsq.anti_degeneracy.per_angle_mode` | `auto` |
//! | `optimization.nlsq.anti_degeneracy.constant_scaling_threshold` | 3 |
//! | `optimization.nlsq.anti_degeneracy.fourier_order` | 2 (harmonics of the `fourier` mode's series, at least 1) |
//! | `optimization.nlsq.anti_degeneracy.fourier_auto_threshold` | 6 (`auto` tries a Fourier series above this many angles) |
//! | `optimization.nlsq.sigma` | none: an unweighted fit, its covariance scaled by the residuals; `auto`: each angle's noise estimated from the data ([`crate::noise`]), the fit weighted by it and its covariance absolute ([`SigmaSetting`]) |
//! | `optimization.streaming.enable_checkpoints` | true |
//! | `optimization.streaming.checkpoint_dir` | `./checkpoints` |
//! | `optimization.streaming.checkpoint_frequency` | 10 |
//! | `optimization.streaming.resume_from_checkpoint` | true |
//! | `optimization.streaming.keep_last_checkpoints` | 3 |
//! | `performance.strategy_override` | none (`standard`, `large`, `chunked`, `streaming`) |
//! | `performance.memory_limit_gb` | none |
//! | `phi_filtering.{enabled, target_ranges[{min_angle, max_angle, description}]}` | false, none |
//! | `output.directory`, `output.base_directory` | none |
//! | `v2_features.cache_strategy` | `intelligent` (`none` turns the cache off) |
//! | `q_tolerance_fraction` | 0.1 |
//!
//! The package reads none of the `optimization.streaming` keys on its NLSQ path; their
//! defaults are the values of its templates. Neither does it read `output.directory`,
//! `output.base_directory` or `performance.memory_limit_gb`: its command line writes to
//! `--output-dir` (default `./homodyne_results`).
//!
//! Every key is accounted for. A key the package knows but a fit here does not use
//! (`logging`, `plotting`, `optimization.mcmc`, `parameter_space.bounds[2].prior_mu`, ...)
//! is listed in [`XpcsConfig::accepted_unused`] by its dotted path. Any other key is
//! *unknown*: its dotted path is in [`XpcsConfig::unknown_keys`] and a message, with the
//! closest known key when one is near, in [`XpcsConfig::warnings`]. (The package only
//! warns about unknown top-level keys and silently ignores the rest.) A value of the
//! wrong type is an [`XpcsError::ConfigType`] naming the key; a value of the right type
//! that cannot be used is an [`XpcsError::ConfigValue`].
//!
//! A bare matrix (a 2-D `(frames, frames)` or 3-D `(angles, frames, frames)` array, as any
//! beamline writes it) is read by [`crate::loader::matrix`] into the same data an APS
//! file gives, so `start_frame`, `end_frame` and `phi_filtering` apply to it as to an APS
//! file; its `dt`, `wavevector_q` and `phi_angles` come from the configuration.
//!
//! Relative data paths (`data_folder_path`, `cache_file_path`) are resolved against the
//! configuration file's folder ([`XpcsConfig::from_file`]); the package resolves them
//! against the working directory, which is what [`XpcsConfig::from_yaml_str`] keeps.
//! Other paths (`checkpoint_dir`, output folders) are kept as written.
//!
//! A parameter is held fixed (left out of the fit, reported with its value and the flag
//! `fixed`) by `fixed: <value>` or `fixed: true` on its `parameter_space.bounds` entry, by
//! `initial_parameters.fixed_parameters`, or by equal `min` and `max`: see
//! [`crate::fixed`] for the rules and [`XpcsConfig::layout_fixed`] for the values.
//!
//! YAML is read with YAML 1.1 booleans (`yes`/`no`/`on`/`off`) as PyYAML reads them;
//! `1e-3` is a number here, where PyYAML reads a string. Duplicate keys are a syntax
//! error (PyYAML keeps the last).
//!
//! [`config_template`] writes a commented configuration for either mode that reads back
//! with no warning, for a `homodyne config --mode static|laminar_flow` command.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::XpcsError;
use crate::fixed::{Hold, read_fixed_parameters, read_hold};
use crate::loader::{
    DEFAULT_CACHE_TEMPLATE, DEFAULT_Q_TOLERANCE_FRACTION, DEFAULT_WAVEVECTOR_Q, DataFormat,
    DataLocation, LoadOptions, MatrixSource, MatrixTriangle, python_float,
};
use crate::parameters::{
    AnalysisMode, CONTRAST_BOUNDS, DEFAULT_FOURIER_ORDER, OFFSET_BOUNDS, ParameterLayout,
    ScalingMode,
};

/// The package's default stator-rotor gap `L` (Angstrom).
pub const DEFAULT_STATOR_ROTOR_GAP: f64 = 2e6;

/// `analyzer_parameters`: frames, time step and scattering geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzerParameters {
    /// `dt` (seconds); `None` when absent.
    pub dt: Option<f64>,
    /// `start_frame`, 1-based (default 1).
    pub start_frame: i64,
    /// `end_frame`, 1-based inclusive; -1 (the default) means the last frame.
    pub end_frame: i64,
    /// `scattering.wavevector_q` (1/Angstrom); `None` when absent. The loader then
    /// fits the only q of a file holding one (with a warning naming it) and refuses a
    /// file holding several, or a bare matrix ([`XpcsConfig::load_options`]).
    pub wavevector_q: Option<f64>,
    /// `geometry.stator_rotor_gap` (Angstrom); `None` when absent (see
    /// [`XpcsConfig::stator_rotor_gap`] for the fallbacks).
    pub stator_rotor_gap: Option<f64>,
}

impl Default for AnalyzerParameters {
    fn default() -> Self {
        Self {
            dt: None,
            start_frame: 1,
            end_frame: -1,
            wavevector_q: None,
            stator_rotor_gap: None,
        }
    }
}

/// `experimental_data`: where the data and the cache are.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentalData {
    /// `data_folder_path`, resolved against the configuration's folder.
    pub data_folder_path: Option<PathBuf>,
    /// `data_file_name` (an HDF5 file, or a `.npz` cache).
    pub data_file_name: Option<String>,
    /// `cache_file_path`, resolved; `None` means the data folder.
    pub cache_file_path: Option<PathBuf>,
    /// `cache_filename_template`.
    pub cache_filename_template: String,
    /// `cache_compression` (default true).
    pub cache_compression: bool,
    /// `dt`: the fallback for `analyzer_parameters.dt`.
    pub dt: Option<f64>,
    /// `geometry.stator_rotor_gap`: a fallback for the gap.
    pub stator_rotor_gap: Option<f64>,
    /// `sample_detector_distance`: the last fallback for the gap.
    pub sample_detector_distance: Option<f64>,
    /// `format`: which reader the data file goes to (default `auto`).
    pub format: DataFormat,
    /// `dataset`: a bare matrix's HDF5 dataset path or `.npz` array name.
    pub dataset: Option<String>,
    /// `phi_angles`: a bare matrix's angles (degrees), one per matrix.
    pub phi_angles: Option<Vec<f64>>,
    /// `triangle`: which triangle of a bare matrix holds the data (default `auto`).
    pub triangle: MatrixTriangle,
}

impl Default for ExperimentalData {
    fn default() -> Self {
        Self {
            data_folder_path: None,
            data_file_name: None,
            cache_file_path: None,
            cache_filename_template: DEFAULT_CACHE_TEMPLATE.to_owned(),
            cache_compression: true,
            dt: None,
            stator_rotor_gap: None,
            sample_detector_distance: None,
            format: DataFormat::Auto,
            dataset: None,
            phi_angles: None,
            triangle: MatrixTriangle::Auto,
        }
    }
}

/// `initial_parameters`: the starting point of a fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InitialParameters {
    /// `parameter_names`, with the package's aliases mapped (`gamma_dot_0` to
    /// `gamma_dot_t0`, `gamma_dot_offset` to `gamma_dot_t_offset`, `phi_0` to `phi0`).
    pub parameter_names: Vec<String>,
    /// `values`, one per name; `None` when absent or `null` (the package's templates
    /// write `null`: start from the default values).
    pub values: Option<Vec<f64>>,
    /// `per_angle_scaling.contrast`: one per angle; kept only with an offset list of the
    /// same length, as the package keeps it.
    pub per_angle_contrast: Option<Vec<f64>>,
    /// `per_angle_scaling.offset`.
    pub per_angle_offset: Option<Vec<f64>>,
    /// `fixed_parameters`: parameters held at values (canonical names, sorted by name);
    /// see [`crate::fixed`].
    pub fixed_parameters: Vec<(String, f64)>,
}

impl InitialParameters {
    /// The configured starting value of `name` (canonical or alias), when values are
    /// given.
    pub fn value_of(&self, name: &str) -> Option<f64> {
        let name = canonical_name(name)?;
        let values = self.values.as_ref()?;
        self.parameter_names
            .iter()
            .position(|n| n == name)
            .and_then(|i| values.get(i).copied())
    }
}

/// One entry of `parameter_space.bounds`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterBound {
    /// The parameter (canonical name).
    pub name: String,
    /// `min`; `None` keeps the default.
    pub min: Option<f64>,
    /// `max`; `None` keeps the default.
    pub max: Option<f64>,
    /// `fixed`; `None` when absent or `null` (see [`crate::fixed`]).
    pub fixed: Option<Hold>,
    /// The entry's dotted path, `parameter_space.bounds[2]`, for messages.
    pub path: String,
}

/// `optimization.nlsq.anti_degeneracy.per_angle_mode`: how the package treats the
/// per-angle contrasts and offsets on its stratified, CMA-ES and hybrid-streaming paths
/// (its standard path always fits them per angle).
///
/// What a fit here does with each is [`PerAngleScaling::plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PerAngleMode {
    /// `auto` (the default): with fewer than `constant_scaling_threshold` angles, one
    /// contrast and offset per angle. From that many on the package fits one shared
    /// contrast and offset ("auto_averaged"); here the shared, Fourier and per-angle
    /// layouts are compared by evidence ([`ScalingPlan::ChooseByEvidence`]).
    Auto,
    /// `individual`: a contrast and an offset per angle.
    Individual,
    /// `constant`: in the package, per-angle values estimated once from quantiles of the
    /// data and then held fixed ("fixed_constant"), only the physical parameters fitted.
    Constant,
    /// `fourier`: per-angle values as a truncated Fourier series in the angle, of
    /// `fourier_order` harmonics ([`ScalingMode::Fourier`]); with fewer than
    /// `1 + 2 fourier_order` angles, one contrast and offset per angle instead (the
    /// package's fallback, with a warning: [`PerAngleScaling::plan_note`]).
    Fourier,
}

impl PerAngleMode {
    /// The configuration spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Individual => "individual",
            Self::Constant => "constant",
            Self::Fourier => "fourier",
        }
    }
}

/// The package's default `fourier_auto_threshold`: `auto` considers a Fourier series
/// above this many angles.
pub const DEFAULT_FOURIER_AUTO_THRESHOLD: usize = 6;

/// `optimization.nlsq.sigma`: the measurement uncertainty a fit is weighted by. (The
/// package has no such key: its standard path fits unweighted, and its top-level
/// `noise_estimation` block, which its NLSQ path does not read, describes a Bayesian
/// estimate; this key is read here alone.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigmaSetting {
    /// Absent or `null` (the default): every residual weighted alike, the covariance
    /// scaled by the reduced chi-squared, as the package fits.
    #[default]
    Unweighted,
    /// `auto`: each angle's noise `sigma_phi` estimated from its matrix
    /// ([`crate::noise::estimate_noise`]), every residual divided by its angle's
    /// `sigma_phi` and the covariance taken as absolute, so that a reduced chi-squared
    /// near 1 means the model describes the data to the noise.
    Auto,
}

impl SigmaSetting {
    /// The configuration spelling (`null` for unweighted).
    pub fn name(self) -> &'static str {
        match self {
            Self::Unweighted => "null",
            Self::Auto => "auto",
        }
    }
}

/// The per-angle scaling settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerAngleScaling {
    /// `per_angle_mode`.
    pub mode: PerAngleMode,
    /// `constant_scaling_threshold` (default 3): below this many angles `auto` fits one
    /// contrast and offset per angle.
    pub constant_scaling_threshold: usize,
    /// `fourier_order` (default 2, at least 1): the harmonics of a Fourier series.
    pub fourier_order: usize,
    /// `fourier_auto_threshold` (default 6): `auto` considers a Fourier series only with
    /// more angles than this.
    pub fourier_auto_threshold: usize,
}

impl Default for PerAngleScaling {
    fn default() -> Self {
        Self {
            mode: PerAngleMode::Auto,
            constant_scaling_threshold: 3,
            fourier_order: DEFAULT_FOURIER_ORDER,
            fourier_auto_threshold: DEFAULT_FOURIER_AUTO_THRESHOLD,
        }
    }
}

/// What a fit does with the per-angle scaling, for a number of angles
/// ([`PerAngleScaling::plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScalingPlan {
    /// Fit with this layout.
    Fit(ScalingMode),
    /// `constant`: individual layout, contrasts and offsets estimated from the data (the
    /// package's rule, [`crate::initial::quantile_scaling`]) and held fixed.
    HeldAtEstimate,
    /// `auto`: fit each of these layouts in turn, each from the previous optimum, and
    /// keep the lowest BIC.
    ChooseByEvidence(Vec<ScalingMode>),
}

impl PerAngleScaling {
    /// The Fourier layout of `fourier_order`.
    pub fn fourier(&self) -> ScalingMode {
        ScalingMode::Fourier {
            order: self.fourier_order,
        }
    }

    /// Whether `n_phi` angles determine a Fourier series of `fourier_order`: at least
    /// `1 + 2 fourier_order` of them.
    pub fn fourier_fits(&self, n_phi: usize) -> bool {
        n_phi > 2 * self.fourier_order
    }

    /// The plan for `n_phi` angles:
    ///
    /// | `per_angle_mode` | plan |
    /// | --- | --- |
    /// | `individual` | `Fit(Individual)` |
    /// | `constant` | `HeldAtEstimate` (the package's "fixed_constant") |
    /// | `fourier` | `Fit(Fourier { order })`; `Fit(Individual)` with fewer than `1 + 2 order` angles (see [`PerAngleScaling::plan_note`]) |
    /// | `auto`, `n_phi < constant_scaling_threshold` | `Fit(Individual)` |
    /// | `auto`, otherwise | `ChooseByEvidence([Constant, Fourier { order }, Individual])`, the Fourier series only with more than `fourier_auto_threshold` and at least `1 + 2 order` angles |
    pub fn plan(&self, n_phi: usize) -> ScalingPlan {
        match self.mode {
            PerAngleMode::Individual => ScalingPlan::Fit(ScalingMode::Individual),
            PerAngleMode::Constant => ScalingPlan::HeldAtEstimate,
            PerAngleMode::Fourier if self.fourier_fits(n_phi) => ScalingPlan::Fit(self.fourier()),
            PerAngleMode::Fourier => ScalingPlan::Fit(ScalingMode::Individual),
            PerAngleMode::Auto if n_phi < self.constant_scaling_threshold => {
                ScalingPlan::Fit(ScalingMode::Individual)
            }
            PerAngleMode::Auto => {
                let mut modes = vec![ScalingMode::Constant];
                if n_phi > self.fourier_auto_threshold && self.fourier_fits(n_phi) {
                    modes.push(self.fourier());
                }
                modes.push(ScalingMode::Individual);
                ScalingPlan::ChooseByEvidence(modes)
            }
        }
    }

    /// A warning for the console when [`PerAngleScaling::plan`] does not do what the
    /// configuration asks: `fourier` with too few angles for its series falls back to one
    /// contrast and offset per angle, as in the package. `None` otherwise.
    pub fn plan_note(&self, n_phi: usize) -> Option<String> {
        (self.mode == PerAngleMode::Fourier && !self.fourier_fits(n_phi)).then(|| {
            format!(
                "optimization.nlsq.anti_degeneracy.per_angle_mode 'fourier' with fourier_order \
                 {order} needs at least {needed} angles for its {needed} coefficients per \
                 contrast and offset, but the data have {n_phi}: fitting one contrast and \
                 offset per angle (individual) instead",
                order = self.fourier_order,
                needed = 1 + 2 * self.fourier_order,
            )
        })
    }
}

/// `optimization.streaming`: checkpoints of long fits.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingConfig {
    /// `enable_checkpoints` (default true).
    pub enable_checkpoints: bool,
    /// `checkpoint_dir` (default `./checkpoints`), as written.
    pub checkpoint_dir: PathBuf,
    /// `checkpoint_frequency` (default 10), at least 1.
    pub checkpoint_frequency: usize,
    /// `resume_from_checkpoint` (default true).
    pub resume_from_checkpoint: bool,
    /// `keep_last_checkpoints` (default 3), at least 1.
    pub keep_last_checkpoints: usize,
}

impl Default for StreamingConfig {
    fn default() -> Self {
        Self {
            enable_checkpoints: true,
            checkpoint_dir: PathBuf::from("./checkpoints"),
            checkpoint_frequency: 10,
            resume_from_checkpoint: true,
            keep_last_checkpoints: 3,
        }
    }
}

/// `performance.strategy_override`: the package's fit strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrategyOverride {
    /// `standard`: the whole Jacobian in memory.
    Standard,
    /// `large`.
    Large,
    /// `chunked`.
    Chunked,
    /// `streaming`.
    Streaming,
}

impl StrategyOverride {
    /// The configuration spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Large => "large",
            Self::Chunked => "chunked",
            Self::Streaming => "streaming",
        }
    }
}

/// `performance`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerformanceConfig {
    /// `strategy_override`; `None` (the default, or `null`) chooses by size.
    pub strategy_override: Option<StrategyOverride>,
    /// `memory_limit_gb`; `None` means the machine's available memory.
    pub memory_limit_gb: Option<f64>,
}

/// One `phi_filtering.target_ranges` entry (degrees).
#[derive(Debug, Clone, PartialEq)]
pub struct AngleRange {
    /// `min_angle` (default -180).
    pub min_angle: f64,
    /// `max_angle` (default 180).
    pub max_angle: f64,
    /// `description`.
    pub description: String,
}

/// `phi_filtering`: the angle ranges the package's command line keeps before a fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhiFiltering {
    /// `enabled` (default false).
    pub enabled: bool,
    /// `target_ranges`.
    pub target_ranges: Vec<AngleRange>,
}

/// `output`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputConfig {
    /// `directory`, as written.
    pub directory: Option<PathBuf>,
    /// `base_directory`, as written.
    pub base_directory: Option<PathBuf>,
}

/// A configuration in the package's format, with what was unknown or not used.
#[derive(Debug, Clone, PartialEq)]
pub struct XpcsConfig {
    /// `analysis_mode`.
    pub analysis_mode: AnalysisMode,
    /// `analyzer_parameters`.
    pub analyzer: AnalyzerParameters,
    /// `experimental_data`.
    pub experimental_data: ExperimentalData,
    /// `initial_parameters`; `None` when the section is absent.
    pub initial_parameters: Option<InitialParameters>,
    /// `parameter_space.bounds`, in file order.
    pub bounds: Vec<ParameterBound>,
    /// `optimization.nlsq.anti_degeneracy.{per_angle_mode, constant_scaling_threshold,
    /// fourier_order, fourier_auto_threshold}`.
    pub per_angle_scaling: PerAngleScaling,
    /// `optimization.streaming`.
    pub streaming: StreamingConfig,
    /// `optimization.nlsq.sigma`: unweighted (the default) or estimated from the data.
    pub sigma: SigmaSetting,
    /// `performance`.
    pub performance: PerformanceConfig,
    /// `phi_filtering`.
    pub phi_filtering: PhiFiltering,
    /// `output`.
    pub output: OutputConfig,
    /// `q_tolerance_fraction` (older APS layout, default 0.1).
    pub q_tolerance_fraction: f64,
    /// False when `v2_features.cache_strategy` is `none`.
    pub use_cache: bool,
    /// The folder relative data paths were resolved against (`None` for text read with
    /// [`XpcsConfig::from_yaml_str`]).
    pub base_dir: Option<PathBuf>,
    /// Dotted paths of the keys neither the package nor this crate knows, e.g.
    /// `analyzer_parameters.scatering`.
    pub unknown_keys: Vec<String>,
    /// Dotted paths of the keys the package knows but a fit here does not use.
    pub accepted_unused: Vec<String>,
    /// One message per unknown key (with the closest known key when one is near), and
    /// other notes: a missing `analysis_mode`, initial values for parameters the mode
    /// does not have, per-angle lists that are ignored, bounds for unknown parameters.
    pub warnings: Vec<String>,
}

impl Default for XpcsConfig {
    fn default() -> Self {
        Self {
            analysis_mode: AnalysisMode::Static,
            analyzer: AnalyzerParameters::default(),
            experimental_data: ExperimentalData::default(),
            initial_parameters: None,
            bounds: Vec::new(),
            per_angle_scaling: PerAngleScaling::default(),
            streaming: StreamingConfig::default(),
            sigma: SigmaSetting::default(),
            performance: PerformanceConfig::default(),
            phi_filtering: PhiFiltering::default(),
            output: OutputConfig::default(),
            q_tolerance_fraction: DEFAULT_Q_TOLERANCE_FRACTION,
            use_cache: true,
            base_dir: None,
            unknown_keys: Vec::new(),
            accepted_unused: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl XpcsConfig {
    /// Reads a configuration from YAML (or JSON) text. Relative paths are kept as
    /// written (relative to the working directory, as the package takes them).
    ///
    /// # Errors
    ///
    /// [`XpcsError::ConfigSyntax`] for text that is not YAML or whose top level is not a
    /// mapping; [`XpcsError::ConfigType`] and [`XpcsError::ConfigValue`] naming the key
    /// of a value that cannot be used.
    pub fn from_yaml_str(text: &str) -> Result<Self, XpcsError> {
        Self::parse(text, "<string>", None)
    }

    /// Reads YAML text whose relative data paths are relative to `dir`.
    ///
    /// # Errors
    ///
    /// As [`XpcsConfig::from_yaml_str`].
    pub fn from_yaml_str_in(text: &str, dir: impl AsRef<Path>) -> Result<Self, XpcsError> {
        Self::parse(text, "<string>", Some(dir.as_ref()))
    }

    /// Reads the configuration file `path`; relative data paths are resolved against
    /// its folder.
    ///
    /// # Errors
    ///
    /// [`XpcsError::Io`] when the file cannot be read, else as
    /// [`XpcsConfig::from_yaml_str`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, XpcsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| XpcsError::Io {
            path: path.to_path_buf(),
            action: "read".to_owned(),
            source,
        })?;
        let dir = path.parent().unwrap_or_else(|| Path::new(""));
        Self::parse(&text, &path.display().to_string(), Some(dir))
    }

    fn parse(text: &str, source_name: &str, base: Option<&Path>) -> Result<Self, XpcsError> {
        let syntax = |message: String| XpcsError::ConfigSyntax {
            source_name: source_name.to_owned(),
            message,
        };
        let value: Value = serde_saphyr::from_str(text).map_err(|e| syntax(e.to_string()))?;
        let root = match value {
            Value::Object(map) => map,
            Value::Null => return Err(syntax("is empty; give a YAML mapping of sections".into())),
            other => {
                return Err(syntax(format!(
                    "is {}, not a mapping of sections",
                    describe(&other)
                )));
            }
        };
        let mut report = Report::default();
        let config = read_root(&root, base, &mut report)?;
        Ok(Self {
            unknown_keys: report.unknown,
            accepted_unused: report.accepted,
            warnings: report.warnings,
            ..config
        })
    }

    /// `path` (a checkpoint or output folder, say) relative to the configuration file's
    /// folder, as the data paths are resolved; unchanged when absolute or when the
    /// configuration was not read from a file.
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        resolve_path(path, self.base_dir.as_deref())
    }

    /// The frame time: `analyzer_parameters.dt`, else `experimental_data.dt`.
    pub fn dt(&self) -> Option<f64> {
        self.analyzer.dt.or(self.experimental_data.dt)
    }

    /// The gap `L` (Angstrom) as the package finds it:
    /// `analyzer_parameters.geometry.stator_rotor_gap`, else
    /// `experimental_data.geometry.stator_rotor_gap`, else
    /// `experimental_data.sample_detector_distance`, else 2e6 (in `laminar_flow` mode a
    /// configuration that gives none says so in [`XpcsConfig::warnings`]).
    pub fn stator_rotor_gap(&self) -> f64 {
        self.configured_gap().unwrap_or(DEFAULT_STATOR_ROTOR_GAP)
    }

    /// The gap the configuration gives, by the fallbacks of
    /// [`XpcsConfig::stator_rotor_gap`]; `None` when it gives none.
    pub fn configured_gap(&self) -> Option<f64> {
        self.analyzer
            .stator_rotor_gap
            .or(self.experimental_data.stator_rotor_gap)
            .or(self.experimental_data.sample_detector_distance)
    }

    /// The loader settings (the package's defaults for what is not configured). Without
    /// a configured `wavevector_q` the options carry the package's default 0.0054 (it
    /// names the cache file) marked as not configured
    /// ([`LoadOptions::wavevector_q_configured`]), so the loader never picks a q by it.
    ///
    /// # Errors
    ///
    /// [`XpcsError::ConfigValue`] for `analyzer_parameters.dt` when no `dt` is
    /// configured (the package's loader requires it).
    pub fn load_options(&self) -> Result<LoadOptions, XpcsError> {
        let dt = self.dt().ok_or_else(|| {
            XpcsError::config_value(
                "analyzer_parameters.dt",
                "is required to load data: give the frame time in seconds",
            )
        })?;
        let mut options = LoadOptions::new(
            dt,
            self.analyzer.start_frame,
            self.analyzer.end_frame,
            self.analyzer.wavevector_q.unwrap_or(DEFAULT_WAVEVECTOR_Q),
        );
        options.wavevector_q_configured = self.analyzer.wavevector_q.is_some();
        options.phi_angles = self.experimental_data.phi_angles.clone();
        options.q_tolerance_fraction = self.q_tolerance_fraction;
        Ok(options)
    }

    /// Where the data and the cache are.
    ///
    /// # Errors
    ///
    /// [`XpcsError::ConfigValue`] for `experimental_data.data_folder_path` or
    /// `experimental_data.data_file_name` when absent.
    pub fn data_location(&self) -> Result<DataLocation, XpcsError> {
        let data = &self.experimental_data;
        let folder = data.data_folder_path.clone().ok_or_else(|| {
            XpcsError::config_value(
                "experimental_data.data_folder_path",
                "is required to load data: give the folder of the data file",
            )
        })?;
        let name = data.data_file_name.clone().ok_or_else(|| {
            XpcsError::config_value(
                "experimental_data.data_file_name",
                "is required to load data: give the HDF5 (or .npz) file name",
            )
        })?;
        let mut location = DataLocation::new(folder, name);
        location.cache_folder = data.cache_file_path.clone();
        location.cache_filename_template = data.cache_filename_template.clone();
        location.cache_compression = data.cache_compression;
        location.use_cache = self.use_cache;
        location.format = data.format;
        location.matrix = MatrixSource {
            dataset: data.dataset.clone(),
            triangle: data.triangle,
        };
        Ok(location)
    }

    /// Bounds `(min, max)` of the parameter `name` (canonical or alias; `contrast_3` and
    /// `offset_0` take the contrast and offset bounds): the package's defaults, updated
    /// by every `parameter_space.bounds` entry for it in file order. `None` for a name
    /// that is no parameter.
    pub fn parameter_bounds(&self, name: &str) -> Option<(f64, f64)> {
        let base = scaling_base(name).unwrap_or(name);
        let name = canonical_name(base)?;
        let (mut min, mut max) = default_bounds(name)?;
        for bound in self.bounds.iter().filter(|b| b.name == name) {
            min = bound.min.unwrap_or(min);
            max = bound.max.unwrap_or(max);
        }
        Some((min, max))
    }

    /// Lower and upper bounds of every parameter of `layout`, in its order. The
    /// configured `contrast` and `offset` bounds bound per-angle values; the coefficients
    /// of a Fourier series take the package's defaults instead
    /// ([`ParameterLayout::default_scaling_bounds`]), as its Fourier path does.
    pub fn layout_bounds(&self, layout: &ParameterLayout) -> (Vec<f64>, Vec<f64>) {
        let groups = layout.n_scaling_groups();
        let mut ranges = Vec::with_capacity(layout.n_params());
        if let ScalingMode::Fourier { .. } = layout.scaling {
            ranges.extend(layout.default_scaling_bounds());
        } else {
            let contrast = self.parameter_bounds("contrast").unwrap_or(CONTRAST_BOUNDS);
            let offset = self.parameter_bounds("offset").unwrap_or(OFFSET_BOUNDS);
            ranges.extend(std::iter::repeat_n(contrast, groups));
            ranges.extend(std::iter::repeat_n(offset, groups));
        }
        for (name, default) in layout
            .mode
            .physical_names()
            .iter()
            .zip(layout.mode.physical_bounds())
        {
            ranges.push(self.parameter_bounds(name).unwrap_or(*default));
        }
        ranges.into_iter().unzip()
    }
}

// ---------------------------------------------------------------------------------------
// Parameter names
// ---------------------------------------------------------------------------------------

/// Every parameter's canonical name.
pub(crate) const PARAMETER_NAMES: [&str; 9] = [
    "contrast",
    "offset",
    "D0",
    "alpha",
    "D_offset",
    "gamma_dot_t0",
    "beta",
    "gamma_dot_t_offset",
    "phi0",
];

/// The canonical name of a parameter or one of the package's aliases.
pub(crate) fn canonical_name(name: &str) -> Option<&'static str> {
    let name = match name {
        "gamma_dot_0" => "gamma_dot_t0",
        "gamma_dot_offset" => "gamma_dot_t_offset",
        "phi_0" => "phi0",
        other => other,
    };
    PARAMETER_NAMES.iter().copied().find(|n| *n == name)
}

/// `contrast` for `contrast_3` (also `contrast[3]`), `offset` likewise.
fn scaling_base(name: &str) -> Option<&'static str> {
    for base in ["contrast", "offset"] {
        if let Some(rest) = name.strip_prefix(base) {
            let index = rest
                .strip_prefix('_')
                .or_else(|| rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')));
            if index.is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit())) {
                return Some(base);
            }
        }
    }
    None
}

fn default_bounds(name: &str) -> Option<(f64, f64)> {
    match name {
        "contrast" => Some(CONTRAST_BOUNDS),
        "offset" => Some(OFFSET_BOUNDS),
        other => AnalysisMode::LaminarFlow
            .physical_names()
            .iter()
            .position(|n| *n == other)
            .map(|i| AnalysisMode::LaminarFlow.physical_bounds()[i]),
    }
}

// ---------------------------------------------------------------------------------------
// The walk over the value tree
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Report {
    unknown: Vec<String>,
    accepted: Vec<String>,
    warnings: Vec<String>,
}

/// `section.key`, or `key` at the top level.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `a mapping`, `the string "x"`, ... for messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

pub(crate) fn type_error(key: &str, expected: &str, found: &Value) -> XpcsError {
    XpcsError::ConfigType {
        key: key.to_owned(),
        expected: expected.to_owned(),
        found: describe(found),
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// A mapping being read: every key looked up or accepted is known; the rest are unknown.
struct Section<'a> {
    path: String,
    map: Option<&'a Map<String, Value>>,
    known: BTreeSet<&'static str>,
}

impl<'a> Section<'a> {
    /// The mapping at `path`; `null` or absent reads as empty.
    fn new(path: String, value: Option<&'a Value>) -> Result<Self, XpcsError> {
        let map = match value {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(other) => return Err(type_error(&path, "a mapping", other)),
        };
        Ok(Self {
            path,
            map,
            known: BTreeSet::new(),
        })
    }

    fn key(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value of `key` (known from now on); `None` when absent or `null`.
    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.insert(key);
        match self.map?.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// A sub-mapping.
    fn section(&mut self, key: &'static str) -> Result<Section<'a>, XpcsError> {
        let path = self.key(key);
        Section::new(path, self.get(key))
    }

    /// Keys the package knows and a fit here does not use: listed when present.
    fn accept(&mut self, keys: &[&'static str], report: &mut Report) {
        for &key in keys {
            self.known.insert(key);
            if self.map.is_some_and(|m| m.contains_key(key)) {
                report.accepted.push(self.key(key));
            }
        }
    }

    fn number(&mut self, key: &'static str) -> Result<Option<f64>, XpcsError> {
        let path = self.key(key);
        self.get(key).map(|v| number(v, &path)).transpose()
    }

    fn positive(&mut self, key: &'static str) -> Result<Option<f64>, XpcsError> {
        let path = self.key(key);
        match self.number(key)? {
            Some(v) if !(v.is_finite() && v > 0.0) => Err(XpcsError::config_value(
                path,
                format!("is {v}; give a positive number"),
            )),
            other => Ok(other),
        }
    }

    fn integer(&mut self, key: &'static str) -> Result<Option<i64>, XpcsError> {
        let path = self.key(key);
        self.get(key)
            .map(|v| v.as_i64().ok_or_else(|| type_error(&path, "an integer", v)))
            .transpose()
    }

    fn count(&mut self, key: &'static str, minimum: usize) -> Result<Option<usize>, XpcsError> {
        let path = self.key(key);
        match self.integer(key)? {
            None => Ok(None),
            Some(v) => usize::try_from(v)
                .ok()
                .filter(|&n| n >= minimum)
                .map(Some)
                .ok_or_else(|| {
                    XpcsError::config_value(path, format!("is {v}; give an integer >= {minimum}"))
                }),
        }
    }

    fn boolean(&mut self, key: &'static str) -> Result<Option<bool>, XpcsError> {
        let path = self.key(key);
        self.get(key)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| type_error(&path, "true or false", v))
            })
            .transpose()
    }

    fn string(&mut self, key: &'static str) -> Result<Option<&'a str>, XpcsError> {
        let path = self.key(key);
        self.get(key)
            .map(|v| v.as_str().ok_or_else(|| type_error(&path, "a string", v)))
            .transpose()
    }

    /// Reports every key not looked up or accepted.
    fn finish(self, report: &mut Report) {
        let Some(map) = self.map else {
            return;
        };
        for key in map.keys() {
            if self.known.contains(key.as_str()) {
                continue;
            }
            let path = self.key(key);
            let suggestion = self
                .known
                .iter()
                .map(|k| (edit_distance(key, k), *k))
                .filter(|(d, k)| *d <= 2.max(k.len() / 4))
                .min();
            let message = match suggestion {
                Some((_, k)) => format!(
                    "unknown key `{path}` (did you mean `{}`?); ignored",
                    self.key(k)
                ),
                None => format!("unknown key `{path}`; ignored"),
            };
            report.unknown.push(path);
            report.warnings.push(message);
        }
    }
}

/// A number; an integer is accepted where a float is expected.
fn number(value: &Value, key: &str) -> Result<f64, XpcsError> {
    value
        .as_f64()
        .ok_or_else(|| type_error(key, "a number", value))
}

/// A number, or a string Python's `float()` reads (the package calls `float()` on bounds
/// and initial values, so `"1e5"` works there).
pub(crate) fn lenient_number(value: &Value, key: &str) -> Result<f64, XpcsError> {
    match value {
        Value::String(s) => python_float_parse(s).ok_or_else(|| type_error(key, "a number", value)),
        other => number(other, key),
    }
}

fn python_float_parse(text: &str) -> Option<f64> {
    let t = text.trim().replace('_', "");
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => t.parse().ok(),
    }
}

/// Resolves a relative path against `base`, dropping `.` components.
fn resolve(path: &str, base: Option<&Path>) -> PathBuf {
    resolve_path(Path::new(path), base)
}

/// [`resolve`] for a path.
fn resolve_path(path: &Path, base: Option<&Path>) -> PathBuf {
    let joined = match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        if component != Component::CurDir {
            out.push(component.as_os_str());
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

const ROOT_ACCEPTED: &[&str] = &[
    "metadata",
    "analysis_settings",
    "noise_estimation",
    "logging",
    "quality_control",
    "plotting",
    "validation",
    "config_version",
    "data_filtering",
    "preprocessing",
    "hardware",
    "optimization_config",
];

fn read_root(
    root: &Map<String, Value>,
    base: Option<&Path>,
    report: &mut Report,
) -> Result<XpcsConfig, XpcsError> {
    let root_value = Value::Object(root.clone());
    let mut top = Section::new(String::new(), Some(&root_value))?;
    let mut config = XpcsConfig {
        base_dir: base.map(Path::to_path_buf),
        ..XpcsConfig::default()
    };

    match top.string("analysis_mode")? {
        Some(mode) => {
            let lower = mode.trim().to_ascii_lowercase();
            let lower = match lower.as_str() {
                "static_isotropic" | "static_anisotropic" => "static",
                other => other,
            };
            config.analysis_mode = lower.parse().map_err(|_| {
                XpcsError::config_value(
                    "analysis_mode",
                    format!("is {mode:?}; give \"static\" or \"laminar_flow\""),
                )
            })?;
        }
        None => report
            .warnings
            .push("no `analysis_mode`: static assumed, as the package assumes it".to_owned()),
    }

    config.analyzer = read_analyzer(top.section("analyzer_parameters")?, report)?;
    config.experimental_data = read_experimental(top.section("experimental_data")?, base, report)?;
    let initial = top.section("initial_parameters")?;
    if initial.map.is_some() {
        config.initial_parameters = Some(read_initial(initial, config.analysis_mode, report)?);
    } else {
        initial.finish(report);
    }
    config.bounds = read_parameter_space(top.section("parameter_space")?, report)?;
    let (per_angle, streaming, sigma) = read_optimization(top.section("optimization")?, report)?;
    config.per_angle_scaling = per_angle;
    config.streaming = streaming;
    config.sigma = sigma;
    config.performance = read_performance(top.section("performance")?, report)?;
    config.phi_filtering = read_phi_filtering(top.section("phi_filtering")?, report)?;
    config.output = read_output(top.section("output")?, report)?;

    let mut v2 = top.section("v2_features")?;
    if let Some(strategy) = v2.string("cache_strategy")? {
        config.use_cache = match strategy {
            "none" => false,
            "simple" | "intelligent" => true,
            other => {
                return Err(XpcsError::config_value(
                    "v2_features.cache_strategy",
                    format!("is {other:?}; give \"intelligent\", \"simple\" or \"none\""),
                ));
            }
        };
    }
    v2.accept(
        &[
            "output_format",
            "validation_level",
            "performance_optimization",
            "physics_validation",
            "parallel_processing",
            "gpu_acceleration",
            "quality_control",
        ],
        report,
    );
    v2.finish(report);

    if let Some(fraction) = top.number("q_tolerance_fraction")? {
        if !(fraction.is_finite() && fraction >= 0.0) {
            return Err(XpcsError::config_value(
                "q_tolerance_fraction",
                format!("is {fraction}; give a fraction >= 0 (default 0.1)"),
            ));
        }
        config.q_tolerance_fraction = fraction;
    }
    top.accept(ROOT_ACCEPTED, report);
    top.finish(report);
    if config.analysis_mode == AnalysisMode::LaminarFlow && config.configured_gap().is_none() {
        report.warnings.push(format!(
            "no stator-rotor gap (`analyzer_parameters.geometry.stator_rotor_gap`): the \
             package's default L = {DEFAULT_STATOR_ROTOR_GAP:e} Angstrom (200 um) is taken; \
             the shear rates scale with 1/L"
        ));
    }
    report.warnings.extend(crate::fixed::check(&config)?);
    Ok(config)
}

fn read_analyzer(mut s: Section<'_>, report: &mut Report) -> Result<AnalyzerParameters, XpcsError> {
    let mut out = AnalyzerParameters {
        dt: s.positive("dt")?,
        ..AnalyzerParameters::default()
    };
    if let Some(v) = s.integer("start_frame")? {
        out.start_frame = v;
    }
    if let Some(v) = s.integer("end_frame")? {
        out.end_frame = v;
    }
    let mut scattering = s.section("scattering")?;
    out.wavevector_q = scattering.positive("wavevector_q")?;
    scattering.finish(report);
    let mut geometry = s.section("geometry")?;
    out.stator_rotor_gap = geometry.positive("stator_rotor_gap")?;
    geometry.finish(report);
    s.accept(&["temporal", "frame_step", "time_unit"], report);
    s.finish(report);
    Ok(out)
}

fn read_experimental(
    mut s: Section<'_>,
    base: Option<&Path>,
    report: &mut Report,
) -> Result<ExperimentalData, XpcsError> {
    let mut out = ExperimentalData {
        data_folder_path: s.string("data_folder_path")?.map(|p| resolve(p, base)),
        data_file_name: s.string("data_file_name")?.map(str::to_owned),
        cache_file_path: s.string("cache_file_path")?.map(|p| resolve(p, base)),
        dt: s.positive("dt")?,
        sample_detector_distance: s.positive("sample_detector_distance")?,
        ..ExperimentalData::default()
    };
    if let Some(template) = s.string("cache_filename_template")? {
        out.cache_filename_template = template.to_owned();
    }
    if let Some(compress) = s.boolean("cache_compression")? {
        out.cache_compression = compress;
    }
    let mut geometry = s.section("geometry")?;
    out.stator_rotor_gap = geometry.positive("stator_rotor_gap")?;
    geometry.finish(report);
    let format_key = s.key("format");
    if let Some(format) = s.string("format")? {
        out.format = DataFormat::parse(format).ok_or_else(|| {
            XpcsError::config_value(
                &format_key,
                format!("is {format:?}; give \"auto\", \"aps\" or \"matrix\""),
            )
        })?;
    }
    let dataset_key = s.key("dataset");
    if let Some(dataset) = s.string("dataset")? {
        if dataset.trim().is_empty() {
            return Err(XpcsError::config_value(
                dataset_key,
                "is empty; give the HDF5 dataset path or the .npz array name",
            ));
        }
        out.dataset = Some(dataset.to_owned());
    }
    let angles_key = s.key("phi_angles");
    if let Some(value) = s.get("phi_angles") {
        let angles = match value {
            Value::Number(_) | Value::String(_) => vec![lenient_number(value, &angles_key)?],
            other => number_list(other, &angles_key)?,
        };
        if angles.is_empty() {
            return Err(XpcsError::config_value(
                angles_key,
                "is empty; give one angle in degrees per matrix",
            ));
        }
        if let Some(k) = angles.iter().position(|a| !a.is_finite()) {
            return Err(XpcsError::config_value(
                format!("{angles_key}[{k}]"),
                format!("is {}; give a finite angle in degrees", angles[k]),
            ));
        }
        out.phi_angles = Some(angles);
    }
    let triangle_key = s.key("triangle");
    if let Some(triangle) = s.string("triangle")? {
        out.triangle = MatrixTriangle::parse(triangle).ok_or_else(|| {
            XpcsError::config_value(
                &triangle_key,
                format!("is {triangle:?}; give \"auto\", \"full\", \"upper\" or \"lower\""),
            )
        })?;
    }
    s.accept(
        &[
            "file_path",
            "phi_angles_path",
            "phi_angles_file",
            "phi_angles_full_path",
            "data_type",
            "file_format",
            "exchange_key",
            "cache_directory",
            "use_caching",
            "apply_diagonal_correction",
        ],
        report,
    );
    s.finish(report);
    Ok(out)
}

/// A list of numbers (or numeric strings) at `key`.
fn number_list(value: &Value, key: &str) -> Result<Vec<f64>, XpcsError> {
    let Value::Array(items) = value else {
        return Err(type_error(key, "a list of numbers", value));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| lenient_number(v, &format!("{key}[{i}]")))
        .collect()
}

fn read_initial(
    mut s: Section<'_>,
    mode: AnalysisMode,
    report: &mut Report,
) -> Result<InitialParameters, XpcsError> {
    let mut out = InitialParameters::default();
    let names_key = s.key("parameter_names");
    if let Some(value) = s.get("parameter_names") {
        let Value::Array(items) = value else {
            return Err(type_error(&names_key, "a list of parameter names", value));
        };
        for (i, item) in items.iter().enumerate() {
            let key = format!("{names_key}[{i}]");
            let name = item
                .as_str()
                .ok_or_else(|| type_error(&key, "a parameter name", item))?;
            let canonical = canonical_name(name).ok_or_else(|| {
                XpcsError::config_value(
                    &key,
                    format!(
                        "{name:?} is no parameter; give one of {}",
                        PARAMETER_NAMES.join(", ")
                    ),
                )
            })?;
            if out.parameter_names.iter().any(|n| n == canonical) {
                return Err(XpcsError::config_value(
                    &key,
                    format!("{canonical} is named twice"),
                ));
            }
            let in_mode = matches!(canonical, "contrast" | "offset")
                || mode.physical_names().contains(&canonical);
            if !in_mode {
                report.warnings.push(format!(
                    "`{key}`: {canonical} is not a parameter of {} mode; its value is ignored",
                    mode.name()
                ));
            }
            out.parameter_names.push(canonical.to_owned());
        }
    }
    let values_key = s.key("values");
    if let Some(value) = s.get("values") {
        let values = number_list(value, &values_key)?;
        if values.len() != out.parameter_names.len() {
            return Err(XpcsError::config_value(
                &values_key,
                format!(
                    "holds {} values for the {} names of `{names_key}`; give one value per name",
                    values.len(),
                    out.parameter_names.len()
                ),
            ));
        }
        out.values = Some(values);
    }
    let mut per_angle = s.section("per_angle_scaling")?;
    let contrast_key = per_angle.key("contrast");
    let offset_key = per_angle.key("offset");
    let contrast = per_angle
        .get("contrast")
        .map(|v| number_list(v, &contrast_key))
        .transpose()?;
    let offset = per_angle
        .get("offset")
        .map(|v| number_list(v, &offset_key))
        .transpose()?;
    per_angle.finish(report);
    match (contrast, offset) {
        (Some(c), Some(o)) if c.len() == o.len() && !c.is_empty() => {
            out.per_angle_contrast = Some(c);
            out.per_angle_offset = Some(o);
        }
        (None, None) => {}
        _ => report.warnings.push(format!(
            "`{}`: contrast and offset lists of the same length are needed; both ignored, as \
             the package ignores them",
            s.key("per_angle_scaling")
        )),
    }
    let fixed_key = s.key("fixed_parameters");
    if let Some(value) = s.get("fixed_parameters") {
        out.fixed_parameters = read_fixed_parameters(value, &fixed_key)?;
    }
    s.accept(&["units", "active_parameters"], report);
    s.finish(report);
    Ok(out)
}

fn read_parameter_space(
    mut s: Section<'_>,
    report: &mut Report,
) -> Result<Vec<ParameterBound>, XpcsError> {
    let key = s.key("bounds");
    let mut out = Vec::new();
    if let Some(value) = s.get("bounds") {
        let Value::Array(items) = value else {
            return Err(type_error(
                &key,
                "a list of {name, min, max} entries",
                value,
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let mut entry = Section::new(format!("{key}[{i}]"), Some(item))?;
            let name_key = entry.key("name");
            let name = entry.string("name")?.ok_or_else(|| {
                XpcsError::config_value(&name_key, "is missing; give the parameter's name")
            })?;
            let min_key = entry.key("min");
            let max_key = entry.key("max");
            let min = entry
                .get("min")
                .map(|v| lenient_number(v, &min_key))
                .transpose()?;
            let max = entry
                .get("max")
                .map(|v| lenient_number(v, &max_key))
                .transpose()?;
            let fixed_key = entry.key("fixed");
            let fixed = entry
                .get("fixed")
                .map(|v| read_hold(v, &fixed_key))
                .transpose()?;
            entry.accept(&["type", "prior_mu", "prior_sigma", "unit"], report);
            let path = entry.path.clone();
            entry.finish(report);
            if let (Some(lo), Some(hi)) = (min, max)
                && (lo.is_nan() || hi.is_nan() || lo > hi)
            {
                return Err(XpcsError::config_value(
                    path,
                    format!("min {lo} is not <= max {hi}"),
                ));
            }
            match canonical_name(name) {
                Some(canonical) => out.push(ParameterBound {
                    name: canonical.to_owned(),
                    min,
                    max,
                    fixed,
                    path,
                }),
                None => report.warnings.push(format!(
                    "`{name_key}`: {name:?} is no parameter; its bounds are ignored"
                )),
            }
        }
    }
    s.accept(&["model", "priors"], report);
    s.finish(report);
    Ok(out)
}

const NLSQ_ACCEPTED: &[&str] = &[
    "workflow",
    "goal",
    "memory_fraction",
    "max_iterations",
    "tolerance",
    "ftol",
    "xtol",
    "gtol",
    "trust_region_scale",
    "verbose",
    "loss",
    "x_scale",
    "x_scale_map",
    "progress",
    "diagnostics",
    "hybrid_streaming",
    "multi_start",
    "cmaes",
    "quality_validation",
    "shear_transforms",
    "stratified",
    "streaming",
    "recovery",
    "use_streaming",
    "chunk_size",
    "enable_quality_validation",
    "quality_reduced_chi_squared_threshold",
    "quality_warn_on_max_restarts",
    "quality_warn_on_bounds_hit",
    "quality_warn_on_convergence_failure",
    "quality_bounds_tolerance",
];

fn read_optimization(
    mut s: Section<'_>,
    report: &mut Report,
) -> Result<(PerAngleScaling, StreamingConfig, SigmaSetting), XpcsError> {
    let mut per_angle = PerAngleScaling::default();
    let mut nlsq = s.section("nlsq")?;
    let sigma_key = nlsq.key("sigma");
    let sigma = match nlsq.string("sigma")? {
        None => SigmaSetting::Unweighted,
        Some("auto") => SigmaSetting::Auto,
        Some(other) => {
            return Err(XpcsError::config_value(
                sigma_key,
                format!(
                    "is {other:?}; give \"auto\" (each angle's noise estimated from the data) \
                     or leave it out (an unweighted fit)"
                ),
            ));
        }
    };
    let mut anti = nlsq.section("anti_degeneracy")?;
    let mode_key = anti.key("per_angle_mode");
    if let Some(mode) = anti.string("per_angle_mode")? {
        per_angle.mode = match mode {
            "auto" => PerAngleMode::Auto,
            "individual" => PerAngleMode::Individual,
            "constant" => PerAngleMode::Constant,
            "fourier" => PerAngleMode::Fourier,
            other => {
                return Err(XpcsError::config_value(
                    mode_key,
                    format!(
                        "is {other:?}; give \"auto\", \"individual\", \"constant\" or \"fourier\""
                    ),
                ));
            }
        };
    }
    if let Some(threshold) = anti.count("constant_scaling_threshold", 1)? {
        per_angle.constant_scaling_threshold = threshold;
    }
    if let Some(order) = anti.count("fourier_order", 1)? {
        per_angle.fourier_order = order;
    }
    if let Some(threshold) = anti.count("fourier_auto_threshold", 0)? {
        per_angle.fourier_auto_threshold = threshold;
    }
    anti.accept(
        &[
            "enable",
            "hierarchical",
            "regularization",
            "gradient_monitoring",
            "shear_weighting",
        ],
        report,
    );
    anti.finish(report);
    nlsq.accept(NLSQ_ACCEPTED, report);
    nlsq.finish(report);

    let mut streaming = StreamingConfig::default();
    let mut st = s.section("streaming")?;
    if let Some(v) = st.boolean("enable_checkpoints")? {
        streaming.enable_checkpoints = v;
    }
    if let Some(v) = st.string("checkpoint_dir")? {
        streaming.checkpoint_dir = PathBuf::from(v);
    }
    if let Some(v) = st.count("checkpoint_frequency", 1)? {
        streaming.checkpoint_frequency = v;
    }
    if let Some(v) = st.boolean("resume_from_checkpoint")? {
        streaming.resume_from_checkpoint = v;
    }
    if let Some(v) = st.count("keep_last_checkpoints", 1)? {
        streaming.keep_last_checkpoints = v;
    }
    st.accept(
        &[
            "enable_fault_tolerance",
            "max_retries_per_batch",
            "min_success_rate",
            "batch_size",
            "adaptive_batching",
        ],
        report,
    );
    st.finish(report);
    s.accept(
        &[
            "method",
            "stratification",
            "sequential",
            "recovery",
            "mcmc",
            "cmc",
            "lsq",
            "fast_chi2_mode",
        ],
        report,
    );
    s.finish(report);
    Ok((per_angle, streaming, sigma))
}

fn read_performance(
    mut s: Section<'_>,
    report: &mut Report,
) -> Result<PerformanceConfig, XpcsError> {
    let key = s.key("strategy_override");
    let strategy_override = match s.string("strategy_override")? {
        None => None,
        Some(text) => Some(match text {
            "standard" => StrategyOverride::Standard,
            "large" => StrategyOverride::Large,
            "chunked" => StrategyOverride::Chunked,
            "streaming" => StrategyOverride::Streaming,
            other => {
                return Err(XpcsError::config_value(
                    key,
                    format!(
                        "is {other:?}; give \"standard\", \"large\", \"chunked\", \"streaming\" \
                         or null"
                    ),
                ));
            }
        }),
    };
    let memory_limit_gb = s.positive("memory_limit_gb")?;
    s.accept(
        &[
            "enable_progress",
            "memory_optimization",
            "computation",
            "performance_engine_enabled",
            "memory_mapped_io",
            "advanced_chunking",
            "multi_level_caching",
            "background_prefetching",
            "memory_pressure_monitoring",
            "caching",
            "chunking",
            "memory_mapping",
            "monitoring",
            "parallel",
            "prefetching",
        ],
        report,
    );
    s.finish(report);
    Ok(PerformanceConfig {
        strategy_override,
        memory_limit_gb,
    })
}

fn read_phi_filtering(mut s: Section<'_>, report: &mut Report) -> Result<PhiFiltering, XpcsError> {
    let mut out = PhiFiltering {
        enabled: s.boolean("enabled")?.unwrap_or(false),
        target_ranges: Vec::new(),
    };
    let key = s.key("target_ranges");
    if let Some(value) = s.get("target_ranges") {
        let Value::Array(items) = value else {
            return Err(type_error(
                &key,
                "a list of {min_angle, max_angle} entries",
                value,
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let mut entry = Section::new(format!("{key}[{i}]"), Some(item))?;
            out.target_ranges.push(AngleRange {
                min_angle: entry.number("min_angle")?.unwrap_or(-180.0),
                max_angle: entry.number("max_angle")?.unwrap_or(180.0),
                description: entry.string("description")?.unwrap_or_default().to_owned(),
            });
            entry.finish(report);
        }
    }
    s.accept(
        &[
            "fallback_to_all_angles",
            "algorithm",
            "tolerance",
            "quality_control",
        ],
        report,
    );
    s.finish(report);
    Ok(out)
}

fn read_output(mut s: Section<'_>, report: &mut Report) -> Result<OutputConfig, XpcsError> {
    let out = OutputConfig {
        directory: s.string("directory")?.map(PathBuf::from),
        base_directory: s.string("base_directory")?.map(PathBuf::from),
    };
    s.accept(
        &[
            "formats",
            "create_subdirs",
            "timestamp_dirs",
            "compress_hdf5",
            "compression_level",
            "plots",
            "output_folder",
            "output_dir",
            "output_directory",
            "sample_name",
            "experiment_id",
            "save_plots",
            "include_diagnostics",
        ],
        report,
    );
    s.finish(report);
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Template
// ---------------------------------------------------------------------------------------

/// A float as YAML 1.1 (PyYAML) reads it as a float: Python's `repr`, with `.0` added to
/// a mantissa without a point (`1e-06` becomes `1.0e-06`).
fn yaml_float(x: f64) -> String {
    let text = python_float(x);
    match text.split_once('e') {
        Some((mantissa, exponent)) if !mantissa.contains('.') => {
            format!("{mantissa}.0e{exponent}")
        }
        _ => text,
    }
}

/// A commented configuration for `mode` with the package's keys and defaults, that
/// [`XpcsConfig::from_yaml_str`] reads back with no warning, no unknown key and nothing
/// unused (and that the package reads too). The data paths are placeholders to edit.
pub fn config_template(mode: AnalysisMode) -> String {
    let names = mode.physical_names();
    let mut t = String::new();
    t.push_str(&format!(
        "# homodyne configuration: {} mode.\n\
         # The keys are those of the Python homodyne package (2.23.x), which reads this file too.\n\
         # Relative data paths are relative to this file's folder.\n\n",
        mode.name()
    ));
    t.push_str(&format!(
        "# \"static\" (diffusion: D0, alpha, D_offset) or \"laminar_flow\" (diffusion and shear:\n\
         # also gamma_dot_t0, beta, gamma_dot_t_offset, phi0).\n\
         analysis_mode: \"{}\"\n\n",
        mode.name()
    ));
    t.push_str(&format!(
        "analyzer_parameters:\n\
         \x20 dt: 0.001 # frame time [s]\n\
         \x20 start_frame: 1 # first frame used (1-based)\n\
         \x20 end_frame: -1 # last frame used (1-based, inclusive); -1 = the last frame\n\
         \x20 scattering:\n\
         \x20   wavevector_q: {} # [1/A]: the q in the file closest to this is used\n\
         \x20 geometry:\n\
         \x20   stator_rotor_gap: {} # gap L [A]{}\n\n",
        yaml_float(DEFAULT_WAVEVECTOR_Q),
        yaml_float(DEFAULT_STATOR_ROTOR_GAP),
        if mode == AnalysisMode::Static {
            " (used by laminar_flow only)"
        } else {
            ""
        }
    ));
    t.push_str(
        "experimental_data:\n\
         \x20 data_folder_path: \"./data\" # folder of the data file\n\
         \x20 data_file_name: \"experiment.hdf\" # APS or APS-U HDF5 file, or a .npz cache\n\
         \x20 cache_file_path: \"./data\" # where the .npz cache is written and looked for\n\
         \x20 # ${wavevector_q}, ${start_frame} and ${end_frame} are filled in.\n\
         \x20 cache_filename_template: \"cached_c2_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz\"\n\
         \x20 cache_compression: true\n\
         \x20 # A bare two-time correlation instead (any facility): a (frames, frames) or\n\
         \x20 # (angles, frames, frames) array in a .npy, .npz or HDF5 file, full or one triangle;\n\
         \x20 # it carries no q or angles, so wavevector_q above and phi_angles are required:\n\
         \x20 #   data_file_name: \"c2.h5\"\n\
         \x20 #   format: matrix # auto (default): .npy, or any file with a dataset, is a matrix\n\
         \x20 #   dataset: \"/exchange/c2\" # HDF5 dataset path or .npz array name\n\
         \x20 #   phi_angles: [0.0, 45.0, 90.0] # degrees, one per matrix\n\
         \x20 #   triangle: auto # auto, full, upper or lower\n\n",
    );
    t.push_str("initial_parameters:\n  parameter_names:\n");
    for name in names {
        t.push_str(&format!("    - {name}\n"));
    }
    let listed: Vec<String> = names
        .iter()
        .zip(mode.default_start())
        .map(|(name, v)| format!("{name} = {}", yaml_float(*v)))
        .collect();
    t.push_str(&format!(
        "  # null: start from [{}]\n\
         \x20 # with contrast and offset estimated from the data; or give one value per name\n\
         \x20 # (the Python package 2.23.3 needs values here: its NLSQ fit fails on null).\n\
         \x20 values: null\n\
         \x20 per_angle_scaling: # starting contrast and offset per angle (lists of equal length)\n\
         \x20   contrast: null\n\
         \x20   offset: null\n\n",
        listed.join(", ")
    ));
    t.push_str(
        "parameter_space:\n\
         \x20 # [min, max] of each parameter. To hold one fixed (left out of the fit, reported\n\
         \x20 # with its value and \"flag\": \"fixed\"), add `fixed: <value>` to its entry, or\n\
         \x20 # `fixed: true` to hold it at its initial value; equal min and max hold it too:\n\
         \x20 #   - name: D_offset\n\
         \x20 #     min: -100000.0\n\
         \x20 #     max: 100000.0\n\
         \x20 #     fixed: 0.0\n\
         \x20 bounds:\n",
    );
    let mut bounds: Vec<(&str, (f64, f64))> =
        vec![("contrast", CONTRAST_BOUNDS), ("offset", OFFSET_BOUNDS)];
    bounds.extend(
        names
            .iter()
            .copied()
            .zip(mode.physical_bounds().iter().copied()),
    );
    for (name, (lo, hi)) in bounds {
        t.push_str(&format!(
            "    - name: {name}\n      min: {}\n      max: {}\n",
            yaml_float(lo),
            yaml_float(hi)
        ));
    }
    t.push('\n');
    t.push_str(
        "optimization:\n\
         \x20 nlsq:\n\
         \x20   # sigma: auto weights each angle by its noise, estimated from the data, so that\n\
         \x20   # a reduced chi-squared near 1 means a good fit (absent: unweighted).\n\
         \x20   # sigma: \"auto\"\n\
         \x20   anti_degeneracy:\n\
         \x20     # auto: one contrast and offset per angle below constant_scaling_threshold\n\
         \x20     # angles; from there on shared, Fourier (above fourier_auto_threshold angles)\n\
         \x20     # and per-angle scaling compared by evidence. Or individual, constant (per-angle\n\
         \x20     # values estimated from the data and held) or fourier (a series in the angle).\n\
         \x20     per_angle_mode: \"auto\"\n\
         \x20     constant_scaling_threshold: 3\n\
         \x20     fourier_order: 2\n\
         \x20     fourier_auto_threshold: 6\n\
         \x20 streaming: # checkpoints of long fits\n\
         \x20   enable_checkpoints: true\n\
         \x20   checkpoint_dir: \"./checkpoints\"\n\
         \x20   checkpoint_frequency: 10\n\
         \x20   resume_from_checkpoint: true\n\
         \x20   keep_last_checkpoints: 3\n\n",
    );
    t.push_str(
        "performance:\n\
         \x20 strategy_override: null # null (by size), standard, large, chunked or streaming\n\
         \x20 memory_limit_gb: null # null: the memory available\n\n",
    );
    t.push_str(
        "phi_filtering: # keep only angles in these ranges [degrees] when enabled\n\
         \x20 enabled: false\n\
         \x20 target_ranges:\n\
         \x20   - min_angle: -10.0\n\
         \x20     max_angle: 10.0\n\
         \x20     description: \"parallel to the flow\"\n\
         \x20   - min_angle: 80.0\n\
         \x20     max_angle: 100.0\n\
         \x20     description: \"perpendicular to the flow\"\n\n",
    );
    t.push_str(
        "output:\n\
         \x20 directory: \"./homodyne_results\" # results are written here\n",
    );
    t
}

//! The sections of a configuration as a fit uses them: frames and geometry, where the
//! data are, the starting point, bounds, checkpoints, strategy, angle filter, output.

use std::path::PathBuf;

use super::hold::Hold;
use crate::loader::{DEFAULT_CACHE_TEMPLATE, DataFormat, MatrixTriangle};
use crate::parameters::names::canonical_name;
use crate::spelling::spellings;

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
    /// file holding several, or a bare matrix
    /// ([`XpcsConfig::load_options`](super::XpcsConfig::load_options)).
    pub wavevector_q: Option<f64>,
    /// `geometry.stator_rotor_gap` (Angstrom); `None` when absent (see
    /// [`XpcsConfig::stator_rotor_gap`](super::XpcsConfig::stator_rotor_gap) for the
    /// fallbacks).
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

spellings!(StrategyOverride {
    Standard => "standard",
    Large => "large",
    Chunked => "chunked",
    Streaming => "streaming",
});

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

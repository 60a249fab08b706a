//! The configuration document as typed sections: one struct per mapping, one [`Field`] per
//! key that a fit reads, and with each struct the keys of its section that the package
//! knows and a fit here does not use ([`Section::UNUSED`]).
//!
//! The structs are deserialised from the document's value tree through `serde_ignored`,
//! which reports every key they do not name with its dotted path ([`super::keys`] sorts
//! them into unused and unknown); the reader ([`super::read`]) checks each key's value and
//! names it in its errors.

use serde::Deserialize;

use super::hold::Hold;
use super::value::{Field, LenientNumber, List, NamedValues, OneOrList, Section};

/// The top level.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Document {
    pub(super) analysis_mode: Field<String>,
    pub(super) analyzer_parameters: Field<AnalyzerSection>,
    pub(super) experimental_data: Field<ExperimentalSection>,
    pub(super) initial_parameters: Field<InitialSection>,
    pub(super) parameter_space: Field<ParameterSpaceSection>,
    pub(super) optimization: Field<OptimizationSection>,
    pub(super) performance: Field<PerformanceSection>,
    pub(super) phi_filtering: Field<PhiFilteringSection>,
    pub(super) output: Field<OutputSection>,
    pub(super) v2_features: Field<V2FeaturesSection>,
    pub(super) q_tolerance_fraction: Field<f64>,
}

impl Section for Document {
    const UNUSED: &'static [&'static str] = &[
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
}

/// `analyzer_parameters`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AnalyzerSection {
    pub(super) dt: Field<f64>,
    pub(super) start_frame: Field<i64>,
    pub(super) end_frame: Field<i64>,
    pub(super) scattering: Field<ScatteringSection>,
    pub(super) geometry: Field<GeometrySection>,
}

impl Section for AnalyzerSection {
    const UNUSED: &'static [&'static str] = &["temporal", "frame_step", "time_unit"];
}

/// `analyzer_parameters.scattering`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ScatteringSection {
    pub(super) wavevector_q: Field<f64>,
}

impl Section for ScatteringSection {
    const UNUSED: &'static [&'static str] = &[];
}

/// `analyzer_parameters.geometry` and `experimental_data.geometry`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct GeometrySection {
    pub(super) stator_rotor_gap: Field<f64>,
}

impl Section for GeometrySection {
    const UNUSED: &'static [&'static str] = &[];
}

/// `experimental_data`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ExperimentalSection {
    pub(super) data_folder_path: Field<String>,
    pub(super) data_file_name: Field<String>,
    pub(super) cache_file_path: Field<String>,
    pub(super) dt: Field<f64>,
    pub(super) sample_detector_distance: Field<f64>,
    pub(super) cache_filename_template: Field<String>,
    pub(super) cache_compression: Field<bool>,
    pub(super) geometry: Field<GeometrySection>,
    pub(super) format: Field<String>,
    pub(super) dataset: Field<String>,
    pub(super) phi_angles: Field<OneOrList<LenientNumber>>,
    pub(super) triangle: Field<String>,
}

impl Section for ExperimentalSection {
    const UNUSED: &'static [&'static str] = &[
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
    ];
}

/// `initial_parameters`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct InitialSection {
    pub(super) parameter_names: Field<List<String>>,
    pub(super) values: Field<List<LenientNumber>>,
    pub(super) per_angle_scaling: Field<PerAngleScalingSection>,
    pub(super) fixed_parameters: Field<NamedValues<LenientNumber>>,
}

impl Section for InitialSection {
    const UNUSED: &'static [&'static str] = &["units", "active_parameters"];
}

/// `initial_parameters.per_angle_scaling`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PerAngleScalingSection {
    pub(super) contrast: Field<List<LenientNumber>>,
    pub(super) offset: Field<List<LenientNumber>>,
}

impl Section for PerAngleScalingSection {
    const UNUSED: &'static [&'static str] = &[];
}

/// `parameter_space`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ParameterSpaceSection {
    pub(super) bounds: Field<List<BoundEntry>>,
}

impl Section for ParameterSpaceSection {
    const UNUSED: &'static [&'static str] = &["model", "priors"];
}

/// One entry of `parameter_space.bounds`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BoundEntry {
    pub(super) name: Field<String>,
    pub(super) min: Field<LenientNumber>,
    pub(super) max: Field<LenientNumber>,
    pub(super) fixed: Field<Hold>,
}

impl Section for BoundEntry {
    const UNUSED: &'static [&'static str] = &["type", "prior_mu", "prior_sigma", "unit"];
}

/// `optimization`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OptimizationSection {
    pub(super) nlsq: Field<NlsqSection>,
    pub(super) streaming: Field<StreamingSection>,
}

impl Section for OptimizationSection {
    const UNUSED: &'static [&'static str] = &[
        "method",
        "stratification",
        "sequential",
        "recovery",
        "mcmc",
        "cmc",
        "lsq",
        "fast_chi2_mode",
    ];
}

/// `optimization.nlsq`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NlsqSection {
    pub(super) sigma: Field<String>,
    pub(super) anti_degeneracy: Field<AntiDegeneracySection>,
}

impl Section for NlsqSection {
    const UNUSED: &'static [&'static str] = &[
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
}

/// `optimization.nlsq.anti_degeneracy`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AntiDegeneracySection {
    pub(super) per_angle_mode: Field<String>,
    pub(super) constant_scaling_threshold: Field<i64>,
    pub(super) fourier_order: Field<i64>,
    pub(super) fourier_auto_threshold: Field<i64>,
}

impl Section for AntiDegeneracySection {
    const UNUSED: &'static [&'static str] = &[
        "enable",
        "hierarchical",
        "regularization",
        "gradient_monitoring",
        "shear_weighting",
    ];
}

/// `optimization.streaming`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct StreamingSection {
    pub(super) enable_checkpoints: Field<bool>,
    pub(super) checkpoint_dir: Field<String>,
    pub(super) checkpoint_frequency: Field<i64>,
    pub(super) resume_from_checkpoint: Field<bool>,
    pub(super) keep_last_checkpoints: Field<i64>,
}

impl Section for StreamingSection {
    const UNUSED: &'static [&'static str] = &[
        "enable_fault_tolerance",
        "max_retries_per_batch",
        "min_success_rate",
        "batch_size",
        "adaptive_batching",
    ];
}

/// `performance`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PerformanceSection {
    pub(super) strategy_override: Field<String>,
    pub(super) memory_limit_gb: Field<f64>,
}

impl Section for PerformanceSection {
    const UNUSED: &'static [&'static str] = &[
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
    ];
}

/// `phi_filtering`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PhiFilteringSection {
    pub(super) enabled: Field<bool>,
    pub(super) target_ranges: Field<List<TargetRangeEntry>>,
}

impl Section for PhiFilteringSection {
    const UNUSED: &'static [&'static str] = &[
        "fallback_to_all_angles",
        "algorithm",
        "tolerance",
        "quality_control",
    ];
}

/// One entry of `phi_filtering.target_ranges`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TargetRangeEntry {
    pub(super) min_angle: Field<f64>,
    pub(super) max_angle: Field<f64>,
    pub(super) description: Field<String>,
}

impl Section for TargetRangeEntry {
    const UNUSED: &'static [&'static str] = &[];
}

/// `output`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OutputSection {
    pub(super) directory: Field<String>,
    pub(super) base_directory: Field<String>,
}

impl Section for OutputSection {
    const UNUSED: &'static [&'static str] = &[
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
    ];
}

/// `v2_features`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct V2FeaturesSection {
    pub(super) cache_strategy: Field<String>,
}

impl Section for V2FeaturesSection {
    const UNUSED: &'static [&'static str] = &[
        "output_format",
        "validation_level",
        "performance_optimization",
        "physics_validation",
        "parallel_processing",
        "gpu_acceleration",
        "quality_control",
    ];
}

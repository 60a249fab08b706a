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

/// A typed section: the struct `$name` of a [`Field`] per key that a fit reads (every key
/// optional), and the [`Section`] impl naming the keys it does not use.
macro_rules! section {
    (
        $(#[$doc:meta])*
        $name:ident { $($key:ident: $ty:ty),* $(,)? }
        unused [$($unused:literal),* $(,)?]
    ) => {
        $(#[$doc])*
        #[derive(Debug, Default, Deserialize)]
        #[serde(default)]
        pub(super) struct $name {
            $(pub(super) $key: Field<$ty>,)*
        }

        impl Section for $name {
            const UNUSED: &'static [&'static str] = &[$($unused),*];
        }
    };
}

section! {
    /// The top level.
    Document {
        analysis_mode: String,
        analyzer_parameters: AnalyzerSection,
        experimental_data: ExperimentalSection,
        initial_parameters: InitialSection,
        parameter_space: ParameterSpaceSection,
        optimization: OptimizationSection,
        performance: PerformanceSection,
        phi_filtering: PhiFilteringSection,
        output: OutputSection,
        v2_features: V2FeaturesSection,
        q_tolerance_fraction: f64,
    }
    unused [
        "metadata", "analysis_settings", "noise_estimation", "logging", "quality_control",
        "plotting", "validation", "config_version", "data_filtering", "preprocessing", "hardware",
        "optimization_config",
    ]
}

section! {
    /// `analyzer_parameters`.
    AnalyzerSection {
        dt: f64,
        start_frame: i64,
        end_frame: i64,
        scattering: ScatteringSection,
        geometry: GeometrySection,
    }
    unused ["temporal", "frame_step", "time_unit"]
}

section! {
    /// `analyzer_parameters.scattering`.
    ScatteringSection {
        wavevector_q: f64,
    }
    unused []
}

section! {
    /// `analyzer_parameters.geometry` and `experimental_data.geometry`.
    GeometrySection {
        stator_rotor_gap: f64,
    }
    unused []
}

section! {
    /// `experimental_data`.
    ExperimentalSection {
        data_folder_path: String,
        data_file_name: String,
        file_path: String,
        cache_file_path: String,
        dt: f64,
        sample_detector_distance: f64,
        cache_filename_template: String,
        cache_compression: bool,
        geometry: GeometrySection,
        format: String,
        dataset: String,
        phi_angles: OneOrList<LenientNumber>,
        triangle: String,
    }
    unused [
        "phi_angles_path", "phi_angles_file", "phi_angles_full_path", "data_type",
        "file_format", "exchange_key", "cache_directory", "use_caching",
        "apply_diagonal_correction",
    ]
}

section! {
    /// `initial_parameters`.
    InitialSection {
        parameter_names: List<String>,
        values: List<LenientNumber>,
        per_angle_scaling: PerAngleScalingSection,
        fixed_parameters: NamedValues<LenientNumber>,
    }
    unused ["units", "active_parameters"]
}

section! {
    /// `initial_parameters.per_angle_scaling`.
    PerAngleScalingSection {
        contrast: List<LenientNumber>,
        offset: List<LenientNumber>,
    }
    unused []
}

section! {
    /// `parameter_space`.
    ParameterSpaceSection {
        bounds: List<BoundEntry>,
    }
    unused ["model", "priors"]
}

section! {
    /// One entry of `parameter_space.bounds`.
    BoundEntry {
        name: String,
        min: LenientNumber,
        max: LenientNumber,
        fixed: Hold,
    }
    unused ["type", "prior_mu", "prior_sigma", "unit"]
}

section! {
    /// `optimization`.
    OptimizationSection {
        nlsq: NlsqSection,
        streaming: StreamingSection,
    }
    unused [
        "method", "stratification", "sequential", "recovery", "mcmc", "cmc", "lsq",
        "fast_chi2_mode",
    ]
}

section! {
    /// `optimization.nlsq`.
    NlsqSection {
        sigma: String,
        anti_degeneracy: AntiDegeneracySection,
        multi_start: MultiStartSection,
    }
    unused [
        "workflow", "goal", "memory_fraction", "max_iterations", "tolerance", "ftol", "xtol",
        "gtol", "trust_region_scale", "verbose", "loss", "x_scale", "x_scale_map", "progress",
        "diagnostics", "hybrid_streaming", "cmaes", "quality_validation",
        "shear_transforms", "stratified", "streaming", "recovery", "use_streaming", "chunk_size",
        "enable_quality_validation", "quality_reduced_chi_squared_threshold",
        "quality_warn_on_max_restarts", "quality_warn_on_bounds_hit",
        "quality_warn_on_convergence_failure", "quality_bounds_tolerance",
    ]
}

section! {
    /// `optimization.nlsq.multi_start` (xpcsjax's nested form).
    MultiStartSection {
        enable: bool,
        n_starts: i64,
        seed: i64,
        max_nfev_per_start: i64,
    }
    unused [
        "sampling_strategy", "n_workers", "use_screening", "screen_keep_fraction",
        "refine_top_k", "refinement_ftol", "degeneracy_threshold",
    ]
}

section! {
    /// `optimization.nlsq.anti_degeneracy`.
    AntiDegeneracySection {
        per_angle_mode: String,
        constant_scaling_threshold: i64,
        fourier_order: i64,
        fourier_auto_threshold: i64,
    }
    unused ["enable", "hierarchical", "regularization", "gradient_monitoring", "shear_weighting"]
}

section! {
    /// `optimization.streaming`.
    StreamingSection {
        enable_checkpoints: bool,
        checkpoint_dir: String,
        checkpoint_frequency: i64,
        resume_from_checkpoint: bool,
        keep_last_checkpoints: i64,
    }
    unused [
        "enable_fault_tolerance", "max_retries_per_batch", "min_success_rate", "batch_size",
        "adaptive_batching",
    ]
}

section! {
    /// `performance`.
    PerformanceSection {
        strategy_override: String,
        memory_limit_gb: f64,
    }
    unused [
        "enable_progress", "memory_optimization", "computation", "performance_engine_enabled",
        "memory_mapped_io", "advanced_chunking", "multi_level_caching", "background_prefetching",
        "memory_pressure_monitoring", "caching", "chunking", "memory_mapping", "monitoring",
        "parallel", "prefetching",
    ]
}

section! {
    /// `phi_filtering`.
    PhiFilteringSection {
        enabled: bool,
        target_ranges: List<TargetRangeEntry>,
    }
    unused ["fallback_to_all_angles", "algorithm", "tolerance", "quality_control"]
}

section! {
    /// One entry of `phi_filtering.target_ranges`.
    TargetRangeEntry {
        min_angle: f64,
        max_angle: f64,
        description: String,
    }
    unused []
}

section! {
    /// `output`.
    OutputSection {
        directory: String,
        base_directory: String,
    }
    unused [
        "formats", "create_subdirs", "timestamp_dirs", "compress_hdf5", "compression_level",
        "plots", "output_folder", "output_dir", "output_directory", "sample_name", "experiment_id",
        "save_plots", "include_diagnostics",
    ]
}

section! {
    /// `v2_features`.
    V2FeaturesSection {
        cache_strategy: String,
    }
    unused [
        "output_format", "validation_level", "performance_optimization", "physics_validation",
        "parallel_processing", "gpu_acceleration", "quality_control",
    ]
}

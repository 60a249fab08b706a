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
//! wrong type is an [`XpcsError::ConfigType`](crate::XpcsError::ConfigType) naming the
//! key; a value of the right type that cannot be used is an
//! [`XpcsError::ConfigValue`](crate::XpcsError::ConfigValue).
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

mod document;
pub(crate) mod held;
mod hold;
mod keys;
mod parse;
mod per_angle;
mod read;
mod settings;
mod template;
mod value;
mod xpcs_config;

pub use hold::Hold;
pub use per_angle::{DEFAULT_FOURIER_AUTO_THRESHOLD, PerAngleMode, PerAngleScaling, ScalingPlan};
pub use settings::{
    AnalyzerParameters, AngleRange, DEFAULT_STATOR_ROTOR_GAP, ExperimentalData, InitialParameters,
    OutputConfig, ParameterBound, PerformanceConfig, PhiFiltering, SigmaSetting, StrategyOverride,
    StreamingConfig,
};
pub use template::config_template;
pub use xpcs_config::XpcsConfig;

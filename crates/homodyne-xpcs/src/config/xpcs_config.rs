//! [`XpcsConfig`]: a configuration read in full, and what it gives a fit: the loader's
//! settings, where the data are, each parameter's bounds.

use std::path::{Component, Path, PathBuf};

use super::per_angle::PerAngleScaling;
use super::settings::{
    AnalyzerParameters, DEFAULT_STATOR_ROTOR_GAP, ExperimentalData, InitialParameters,
    OutputConfig, ParameterBound, PerformanceConfig, PhiFiltering, SigmaSetting, StreamingConfig,
};
use crate::error::XpcsError;
use crate::loader::{
    DEFAULT_Q_TOLERANCE_FRACTION, DEFAULT_WAVEVECTOR_Q, DataLocation, LoadOptions, MatrixSource,
};
use crate::parameters::names::{canonical_name_in, default_bounds, scaling_base};
use crate::parameters::{
    AnalysisMode, CONTRAST_BOUNDS, OFFSET_BOUNDS, ParameterLayout, ScalingMode,
};

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
    /// `optimization.nlsq.multi_start` with `enable: true`: fit from many starts
    /// ([`homodyne::Multistart`]); `None` (the default) for one start.
    pub multistart: Option<homodyne::Multistart>,
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
            multistart: None,
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
        let name = canonical_name_in(base, self.analysis_mode)?;
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

/// `path` resolved against `base` when it is relative, without its `.` components.
pub(super) fn resolve_path(path: &Path, base: Option<&Path>) -> PathBuf {
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

//! The document read into an [`XpcsConfig`]: every key's value checked, in the order of
//! the sections, each error naming its key by its dotted path.

mod parameters;

use std::path::{Path, PathBuf};

use homodyne::Multistart;

use super::document::{
    AnalyzerSection, AntiDegeneracySection, Document, ExperimentalSection, MultiStartSection,
    OptimizationSection, OutputSection, PerformanceSection, PhiFilteringSection, StreamingSection,
    V2FeaturesSection,
};
use super::held::check;
use super::per_angle::{PerAngleMode, PerAngleScaling};
use super::settings::{
    AnalyzerParameters, AngleRange, DEFAULT_STATOR_ROTOR_GAP, ExperimentalData, OutputConfig,
    PerformanceConfig, PhiFiltering, SigmaSetting, StrategyOverride, StreamingConfig,
};
use super::value::{Field, LenientNumber, OneOrList};
use super::xpcs_config::{XpcsConfig, resolve_path};
use crate::error::XpcsError;
use crate::loader::{DataFormat, MatrixTriangle};
use crate::parameters::AnalysisMode;

/// Reads `document`, resolving relative data paths against `base`; adds the notes for the
/// console (a missing `analysis_mode`, ignored values) to `warnings`.
pub(super) fn read_document(
    document: Document,
    base: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Result<XpcsConfig, XpcsError> {
    let mut config = XpcsConfig {
        base_dir: base.map(Path::to_path_buf),
        ..XpcsConfig::default()
    };
    let mode = document.analysis_mode.choice(
        "analysis_mode",
        |text| match text.trim().to_ascii_lowercase().as_str() {
            "static_isotropic" | "static_anisotropic" => Some(AnalysisMode::Static),
            other => other.parse().ok(),
        },
        "\"static\", \"laminar_flow\" or \"two_component\"",
    )?;
    match mode {
        Some(mode) => config.analysis_mode = mode,
        None => warnings
            .push("no `analysis_mode`: static assumed, as the package assumes it".to_owned()),
    }
    config.analyzer = read_analyzer(
        document
            .analyzer_parameters
            .section("analyzer_parameters")?,
    )?;
    let (experimental_data, file_path_unused) = read_experimental(
        document.experimental_data.section("experimental_data")?,
        base,
    )?;
    config.experimental_data = experimental_data;
    if file_path_unused {
        // Known (the package's templates give it beside the pair), not used.
        config
            .accepted_unused
            .push("experimental_data.file_path".to_owned());
    }
    config.initial_parameters = (document.initial_parameters)
        .get("initial_parameters")?
        .map(|initial| parameters::read_initial(initial, config.analysis_mode, warnings))
        .transpose()?;
    config.bounds = parameters::read_bounds(
        document.parameter_space.section("parameter_space")?,
        config.analysis_mode,
        warnings,
    )?;
    let (per_angle, streaming, sigma, multistart) =
        read_optimization(document.optimization.section("optimization")?)?;
    config.multistart = multistart;
    config.per_angle_scaling = per_angle;
    config.streaming = streaming;
    config.sigma = sigma;
    config.performance = read_performance(document.performance.section("performance")?)?;
    config.phi_filtering = read_phi_filtering(document.phi_filtering.section("phi_filtering")?)?;
    config.output = read_output(document.output.section("output")?)?;
    config.use_cache = read_v2_features(document.v2_features.section("v2_features")?)?;
    if let Some(fraction) = document.q_tolerance_fraction.get("q_tolerance_fraction")? {
        if !(fraction.is_finite() && fraction >= 0.0) {
            return Err(XpcsError::config_value(
                "q_tolerance_fraction",
                format!("is {fraction}; give a fraction >= 0 (default 0.1)"),
            ));
        }
        config.q_tolerance_fraction = fraction;
    }
    if config.analysis_mode == AnalysisMode::LaminarFlow && config.configured_gap().is_none() {
        warnings.push(format!(
            "no stator-rotor gap (`analyzer_parameters.geometry.stator_rotor_gap`): the \
             package's default L = {DEFAULT_STATOR_ROTOR_GAP:e} Angstrom (200 um) is taken; \
             the shear rates scale with 1/L"
        ));
    }
    warnings.extend(check(&config)?);
    Ok(config)
}

fn read_analyzer(s: AnalyzerSection) -> Result<AnalyzerParameters, XpcsError> {
    let key = |name: &str| format!("analyzer_parameters.{name}");
    let defaults = AnalyzerParameters::default();
    Ok(AnalyzerParameters {
        dt: s.dt.positive(&key("dt"))?,
        start_frame: (s.start_frame.get(&key("start_frame"))?).unwrap_or(defaults.start_frame),
        end_frame: (s.end_frame.get(&key("end_frame"))?).unwrap_or(defaults.end_frame),
        wavevector_q: (s.scattering.section(&key("scattering"))?)
            .wavevector_q
            .positive(&key("scattering.wavevector_q"))?,
        stator_rotor_gap: (s.geometry.section(&key("geometry"))?)
            .stator_rotor_gap
            .positive(&key("geometry.stator_rotor_gap"))?,
    })
}

/// `experimental_data`, and whether its `file_path` was left unused (given beside
/// `data_file_name`).
fn read_experimental(
    s: ExperimentalSection,
    base: Option<&Path>,
) -> Result<(ExperimentalData, bool), XpcsError> {
    let key = |name: &str| format!("experimental_data.{name}");
    let resolve = |path: String| resolve_path(Path::new(&path), base);
    let defaults = ExperimentalData::default();
    let mut data_folder_path = s.data_folder_path.get(&key("data_folder_path"))?;
    let mut data_file_name = s.data_file_name.get(&key("data_file_name"))?;
    // `file_path` (xpcsjax's, and the package's newer key): the data file's whole path,
    // folder and name in one; read when `data_file_name` is absent (the package's
    // templates give both, naming the same file).
    let file_path = s.file_path.get(&key("file_path"))?;
    let file_path_unused = file_path.is_some() && data_file_name.is_some();
    if let Some(file_path) = file_path.filter(|_| data_file_name.is_none()) {
        let path = Path::new(&file_path);
        let name = path.file_name().ok_or_else(|| {
            XpcsError::config_value(key("file_path"), format!("{file_path:?} names no file"))
        })?;
        data_file_name = Some(name.to_string_lossy().into_owned());
        data_folder_path = Some(match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_string_lossy().into_owned(),
            _ => ".".to_owned(),
        });
    }
    let data = ExperimentalData {
        data_folder_path: data_folder_path.map(resolve),
        data_file_name,
        cache_file_path: s.cache_file_path.get(&key("cache_file_path"))?.map(resolve),
        dt: s.dt.positive(&key("dt"))?,
        sample_detector_distance: (s.sample_detector_distance)
            .positive(&key("sample_detector_distance"))?,
        cache_filename_template: (s.cache_filename_template)
            .get(&key("cache_filename_template"))?
            .unwrap_or(defaults.cache_filename_template),
        cache_compression: (s.cache_compression.get(&key("cache_compression"))?)
            .unwrap_or(defaults.cache_compression),
        stator_rotor_gap: (s.geometry.section(&key("geometry"))?)
            .stator_rotor_gap
            .positive(&key("geometry.stator_rotor_gap"))?,
        format: (s.format)
            .choice(
                &key("format"),
                DataFormat::parse,
                "\"auto\", \"aps\" or \"matrix\"",
            )?
            .unwrap_or(defaults.format),
        dataset: read_dataset(s.dataset)?,
        phi_angles: read_phi_angles(s.phi_angles)?,
        triangle: (s.triangle)
            .choice(
                &key("triangle"),
                MatrixTriangle::parse,
                "\"auto\", \"full\", \"upper\" or \"lower\"",
            )?
            .unwrap_or(defaults.triangle),
    };
    Ok((data, file_path_unused))
}

/// `experimental_data.dataset`: a name that is not blank.
fn read_dataset(dataset: Field<String>) -> Result<Option<String>, XpcsError> {
    const KEY: &str = "experimental_data.dataset";
    match dataset.get(KEY)? {
        Some(name) if name.trim().is_empty() => Err(XpcsError::config_value(
            KEY,
            "is empty; give the HDF5 dataset path or the .npz array name",
        )),
        other => Ok(other),
    }
}

/// `experimental_data.phi_angles`: one angle, or a list, of finite numbers (degrees).
fn read_phi_angles(angles: Field<OneOrList<LenientNumber>>) -> Result<Option<Vec<f64>>, XpcsError> {
    const KEY: &str = "experimental_data.phi_angles";
    let angles: Vec<f64> = match angles.get_as(KEY, "a list of numbers")? {
        None => return Ok(None),
        Some(OneOrList::One(angle)) => vec![angle.require(KEY)?.0],
        Some(OneOrList::List(items)) => parameters::numbers(items, KEY)?,
    };
    if angles.is_empty() {
        return Err(XpcsError::config_value(
            KEY,
            "is empty; give one angle in degrees per matrix",
        ));
    }
    if let Some(k) = angles.iter().position(|a| !a.is_finite()) {
        return Err(XpcsError::config_value(
            format!("{KEY}[{k}]"),
            format!("is {}; give a finite angle in degrees", angles[k]),
        ));
    }
    Ok(Some(angles))
}

/// `optimization`: the per-angle scaling and the weighting of the fit
/// (`optimization.nlsq`), the checkpoints (`optimization.streaming`).
fn read_optimization(
    s: OptimizationSection,
) -> Result<
    (
        PerAngleScaling,
        StreamingConfig,
        SigmaSetting,
        Option<Multistart>,
    ),
    XpcsError,
> {
    let nlsq = s.nlsq.section("optimization.nlsq")?;
    let sigma = nlsq.sigma.choice(
        "optimization.nlsq.sigma",
        |text| (text == "auto").then_some(SigmaSetting::Auto),
        "\"auto\" (each angle's noise estimated from the data) or leave it out (an \
         unweighted fit)",
    )?;
    let per_angle =
        read_anti_degeneracy((nlsq.anti_degeneracy).section("optimization.nlsq.anti_degeneracy")?)?;
    let streaming = read_streaming(s.streaming.section("optimization.streaming")?)?;
    let multistart =
        read_multi_start((nlsq.multi_start).section("optimization.nlsq.multi_start")?)?;
    Ok((per_angle, streaming, sigma.unwrap_or_default(), multistart))
}

/// `optimization.nlsq.multi_start`: with `enable: true`, `n_starts` Latin-hypercube starts
/// (default 10, as xpcsjax) besides the given one, seeded by `seed` (default 42, as
/// xpcsjax), each with at most `max_nfev_per_start` cost evaluations (this crate's key,
/// default [`homodyne::multistart::DEFAULT_START_NFEV`]).
fn read_multi_start(s: MultiStartSection) -> Result<Option<Multistart>, XpcsError> {
    let key = |name: &str| format!("optimization.nlsq.multi_start.{name}");
    let n_starts = s.n_starts.count(&key("n_starts"), 1)?;
    let seed = s.seed.count(&key("seed"), 0)?;
    let budget = s.max_nfev_per_start.count(&key("max_nfev_per_start"), 1)?;
    if !s.enable.get(&key("enable"))?.unwrap_or(false) {
        return Ok(None);
    }
    let mut multistart = Multistart::new(n_starts.unwrap_or(10)).seed(seed.unwrap_or(42) as u64);
    if let Some(budget) = budget {
        multistart = multistart.budget(budget);
    }
    Ok(Some(multistart))
}

fn read_anti_degeneracy(s: AntiDegeneracySection) -> Result<PerAngleScaling, XpcsError> {
    let key = |name: &str| format!("optimization.nlsq.anti_degeneracy.{name}");
    let defaults = PerAngleScaling::default();
    Ok(PerAngleScaling {
        mode: (s.per_angle_mode)
            .choice(
                &key("per_angle_mode"),
                PerAngleMode::parse,
                "\"auto\", \"individual\", \"constant\", \"fourier\" or \"averaged\"",
            )?
            .unwrap_or(defaults.mode),
        constant_scaling_threshold: (s.constant_scaling_threshold)
            .count(&key("constant_scaling_threshold"), 1)?
            .unwrap_or(defaults.constant_scaling_threshold),
        fourier_order: (s.fourier_order.count(&key("fourier_order"), 1)?)
            .unwrap_or(defaults.fourier_order),
        fourier_auto_threshold: (s.fourier_auto_threshold)
            .count(&key("fourier_auto_threshold"), 0)?
            .unwrap_or(defaults.fourier_auto_threshold),
    })
}

fn read_streaming(s: StreamingSection) -> Result<StreamingConfig, XpcsError> {
    let key = |name: &str| format!("optimization.streaming.{name}");
    let defaults = StreamingConfig::default();
    Ok(StreamingConfig {
        enable_checkpoints: (s.enable_checkpoints.get(&key("enable_checkpoints"))?)
            .unwrap_or(defaults.enable_checkpoints),
        checkpoint_dir: (s.checkpoint_dir.get(&key("checkpoint_dir"))?)
            .map_or(defaults.checkpoint_dir, PathBuf::from),
        checkpoint_frequency: (s
            .checkpoint_frequency
            .count(&key("checkpoint_frequency"), 1)?)
        .unwrap_or(defaults.checkpoint_frequency),
        resume_from_checkpoint: (s.resume_from_checkpoint)
            .get(&key("resume_from_checkpoint"))?
            .unwrap_or(defaults.resume_from_checkpoint),
        keep_last_checkpoints: (s.keep_last_checkpoints)
            .count(&key("keep_last_checkpoints"), 1)?
            .unwrap_or(defaults.keep_last_checkpoints),
    })
}

fn read_performance(s: PerformanceSection) -> Result<PerformanceConfig, XpcsError> {
    Ok(PerformanceConfig {
        strategy_override: s.strategy_override.choice(
            "performance.strategy_override",
            StrategyOverride::parse,
            "\"standard\", \"large\", \"chunked\", \"streaming\" or null",
        )?,
        memory_limit_gb: s.memory_limit_gb.positive("performance.memory_limit_gb")?,
    })
}

fn read_phi_filtering(s: PhiFilteringSection) -> Result<PhiFiltering, XpcsError> {
    let enabled = s.enabled.get("phi_filtering.enabled")?.unwrap_or(false);
    let target_ranges = (s.target_ranges)
        .entries(
            "phi_filtering.target_ranges",
            "a list of {min_angle, max_angle} entries",
        )?
        .into_iter()
        .map(|(path, entry)| {
            let key = |name: &str| format!("{path}.{name}");
            Ok(AngleRange {
                min_angle: entry.min_angle.get(&key("min_angle"))?.unwrap_or(-180.0),
                max_angle: entry.max_angle.get(&key("max_angle"))?.unwrap_or(180.0),
                description: entry
                    .description
                    .get(&key("description"))?
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<_, XpcsError>>()?;
    Ok(PhiFiltering {
        enabled,
        target_ranges,
    })
}

fn read_output(s: OutputSection) -> Result<OutputConfig, XpcsError> {
    Ok(OutputConfig {
        directory: s.directory.get("output.directory")?.map(PathBuf::from),
        base_directory: (s.base_directory.get("output.base_directory")?).map(PathBuf::from),
    })
}

/// Whether the cache is used: `v2_features.cache_strategy` is not `none`.
fn read_v2_features(s: V2FeaturesSection) -> Result<bool, XpcsError> {
    let use_cache = s.cache_strategy.choice(
        "v2_features.cache_strategy",
        |text| match text {
            "none" => Some(false),
            "simple" | "intelligent" => Some(true),
            _ => None,
        },
        "\"intelligent\", \"simple\" or \"none\"",
    )?;
    Ok(use_cache.unwrap_or(true))
}

//! The YAML configuration: the package's own templates, unknown keys, wrong types,
//! defaults, and the template of ours.

use std::path::{Path, PathBuf};

use homodyne_xpcs::config::{
    PerAngleMode, ScalingPlan, StrategyOverride, XpcsConfig, config_template,
};
use homodyne_xpcs::loader::{SourceFormat, load_experimental_data};
use homodyne_xpcs::{AnalysisMode, ParameterLayout, ScalingMode, XpcsError};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn template(name: &str) -> PathBuf {
    data_dir().join(format!("package_template_{name}.yaml"))
}

#[test]
fn the_packages_static_template_reads_with_its_values() {
    let path = template("static");
    let config = XpcsConfig::from_file(&path).unwrap();
    assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.analysis_mode, AnalysisMode::Static);
    assert_eq!(config.analyzer.dt, Some(0.001));
    assert_eq!(config.analyzer.start_frame, 1);
    assert_eq!(config.analyzer.end_frame, 2000);
    assert_eq!(config.analyzer.wavevector_q, Some(0.0054));
    assert_eq!(config.stator_rotor_gap(), 2e6);
    // Relative data paths are relative to the configuration file's folder.
    let data = &config.experimental_data;
    assert_eq!(
        data.data_folder_path.as_deref(),
        Some(data_dir().join("data/sample").as_path())
    );
    assert_eq!(data.data_file_name.as_deref(), Some("experiment.hdf"));
    assert_eq!(
        data.cache_file_path.as_deref(),
        Some(data_dir().join("data/sample").as_path())
    );
    assert_eq!(
        data.cache_filename_template,
        "cached_c2_static_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz"
    );
    assert!(data.cache_compression);
    let initial = config.initial_parameters.as_ref().unwrap();
    assert_eq!(initial.parameter_names, ["D0", "alpha", "D_offset"]);
    assert_eq!(initial.values, None);
    assert_eq!(initial.per_angle_contrast, None);
    let names: Vec<&str> = config.bounds.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["contrast", "offset", "D0", "alpha", "D_offset"]);
    assert_eq!(config.parameter_bounds("D0"), Some((100.0, 100000.0)));
    assert_eq!(
        config.parameter_bounds("D_offset"),
        Some((-100000.0, 100000.0))
    );
    assert_eq!(config.per_angle_scaling.mode, PerAngleMode::Auto);
    assert_eq!(config.per_angle_scaling.constant_scaling_threshold, 3);
    let streaming = &config.streaming;
    assert!(streaming.enable_checkpoints);
    assert_eq!(streaming.checkpoint_dir, Path::new("./checkpoints"));
    assert_eq!(streaming.checkpoint_frequency, 10);
    assert!(streaming.resume_from_checkpoint);
    assert_eq!(streaming.keep_last_checkpoints, 3);
    assert_eq!(config.performance.strategy_override, None);
    assert_eq!(config.performance.memory_limit_gb, None);
    assert!(config.phi_filtering.enabled);
    assert_eq!(config.phi_filtering.target_ranges.len(), 2);
    assert_eq!(config.phi_filtering.target_ranges[1].min_angle, 170.0);
    assert_eq!(config.phi_filtering.target_ranges[1].max_angle, -170.0);
    assert_eq!(
        config.output.directory.as_deref(),
        Some(Path::new("./results"))
    );
    assert_eq!(
        config.output.base_directory.as_deref(),
        Some(Path::new("./homodyne_results/"))
    );
    assert!(config.use_cache);
    // What the package knows and a fit here does not use is listed, not reported unknown.
    for key in [
        "metadata",
        "logging",
        "plotting",
        "optimization.mcmc",
        "optimization.cmc",
        "optimization.nlsq.loss",
        "optimization.nlsq.anti_degeneracy.enable",
        "optimization.streaming.batch_size",
        "experimental_data.file_path",
        "experimental_data.phi_angles_path",
        "initial_parameters.units",
        "parameter_space.bounds[2].prior_mu",
        "parameter_space.priors",
        "performance.memory_optimization",
        "phi_filtering.quality_control",
        "output.formats",
    ] {
        assert!(
            config.accepted_unused.iter().any(|k| k == key),
            "{key} not in {:?}",
            config.accepted_unused
        );
    }
    let options = config.load_options().unwrap();
    assert_eq!(
        (options.dt, options.start_frame, options.end_frame),
        (0.001, 1, 2000)
    );
    let location = config.data_location().unwrap();
    assert_eq!(
        location.cache_path(&options).unwrap(),
        data_dir().join("data/sample/cached_c2_static_q0.0054_frames_1_2000.npz")
    );
}

#[test]
fn the_packages_laminar_and_master_templates_read_with_no_unknown_key() {
    for name in ["laminar_flow", "master_template"] {
        let config = XpcsConfig::from_file(template(name)).unwrap();
        assert!(
            config.unknown_keys.is_empty(),
            "{name}: {:?}",
            config.unknown_keys
        );
        assert!(config.warnings.is_empty(), "{name}: {:?}", config.warnings);
        assert_eq!(config.analysis_mode, AnalysisMode::LaminarFlow, "{name}");
        let initial = config.initial_parameters.as_ref().unwrap();
        assert_eq!(
            initial.parameter_names,
            AnalysisMode::LaminarFlow.physical_names(),
            "{name}"
        );
        assert_eq!(config.bounds.len(), 9, "{name}");
        assert_eq!(config.parameter_bounds("gamma_dot_t0"), Some((1e-6, 0.5)));
        assert_eq!(config.parameter_bounds("phi0"), Some((-10.0, 10.0)));
        assert_eq!(config.parameter_bounds("contrast_4"), Some((0.0, 1.0)));
        let layout = ParameterLayout::new(AnalysisMode::LaminarFlow, ScalingMode::Individual, 3);
        assert_eq!(
            config.layout_bounds(&layout),
            layout.default_bounds(),
            "{name}"
        );
        assert_eq!(
            config.per_angle_scaling.plan(3),
            ScalingPlan::ChooseByEvidence(vec![ScalingMode::Constant, ScalingMode::Individual])
        );
        assert_eq!(
            config.per_angle_scaling.plan(2),
            ScalingPlan::Fit(ScalingMode::Individual)
        );
        assert_eq!(config.phi_filtering.target_ranges[1].min_angle, 85.0);
    }
}

#[test]
fn unknown_keys_are_reported_with_their_paths() {
    let text = r#"
analysis_mode: laminar_flow
analyzer_parameters:
  dt: 0.1
  scatering:
    wavevector_q: 0.005
  geometry:
    stator_rotor_gapp: 1.0e6
optimisation:
  method: nlsq
optimization:
  streaming:
    checkpoint_frequncy: 5
parameter_space:
  bounds:
    - name: D0
      min: 10.0
      maximum: 1.0e4
experimental_data:
  data_folder_path: ./data
  colour: blue
"#;
    let config = XpcsConfig::from_yaml_str(text).unwrap();
    let mut unknown = config.unknown_keys.clone();
    unknown.sort();
    assert_eq!(
        unknown,
        [
            "analyzer_parameters.geometry.stator_rotor_gapp",
            "analyzer_parameters.scatering",
            "experimental_data.colour",
            "optimisation",
            "optimization.streaming.checkpoint_frequncy",
            "parameter_space.bounds[0].maximum",
        ]
    );
    let said = config.warnings.join("\n");
    for hint in [
        "`analyzer_parameters.scatering` (did you mean `analyzer_parameters.scattering`?)",
        "`optimisation` (did you mean `optimization`?)",
        "(did you mean `optimization.streaming.checkpoint_frequency`?)",
        "(did you mean `analyzer_parameters.geometry.stator_rotor_gap`?)",
        "unknown key `experimental_data.colour`; ignored",
    ] {
        assert!(said.contains(hint), "{hint} not in\n{said}");
    }
    // The misspelled keys fall back to their defaults; a q is not invented.
    assert_eq!(config.analyzer.wavevector_q, None);
    assert_eq!(config.streaming.checkpoint_frequency, 10);
    assert_eq!(config.parameter_bounds("D0"), Some((10.0, 1e5)));
    // Relative paths are kept as written for text.
    assert_eq!(
        config.experimental_data.data_folder_path.as_deref(),
        Some(Path::new("data"))
    );
}

fn type_error_key(text: &str) -> (String, String) {
    match XpcsConfig::from_yaml_str(text) {
        Err(XpcsError::ConfigType { key, expected, .. }) => (key, expected),
        Err(other) => panic!("expected a type error for\n{text}\ngot {other}"),
        Ok(_) => panic!("expected a type error for\n{text}"),
    }
}

#[test]
fn values_of_the_wrong_type_are_errors_naming_the_key() {
    for (text, key) in [
        (
            "analyzer_parameters:\n  dt: fast\n",
            "analyzer_parameters.dt",
        ),
        (
            "analyzer_parameters:\n  start_frame: 1.5\n",
            "analyzer_parameters.start_frame",
        ),
        (
            "analyzer_parameters:\n  end_frame: \"all\"\n",
            "analyzer_parameters.end_frame",
        ),
        (
            "analyzer_parameters:\n  scattering:\n    wavevector_q: [1, 2]\n",
            "analyzer_parameters.scattering.wavevector_q",
        ),
        ("analyzer_parameters: [1, 2]\n", "analyzer_parameters"),
        ("analysis_mode: 3\n", "analysis_mode"),
        (
            "experimental_data:\n  data_file_name: 12\n",
            "experimental_data.data_file_name",
        ),
        (
            "experimental_data:\n  cache_compression: maybe\n",
            "experimental_data.cache_compression",
        ),
        (
            "optimization:\n  streaming:\n    enable_checkpoints: 1\n",
            "optimization.streaming.enable_checkpoints",
        ),
        (
            "optimization:\n  streaming:\n    checkpoint_dir: {a: 1}\n",
            "optimization.streaming.checkpoint_dir",
        ),
        ("parameter_space:\n  bounds: 5\n", "parameter_space.bounds"),
        (
            "parameter_space:\n  bounds:\n    - name: D0\n      min: low\n",
            "parameter_space.bounds[0].min",
        ),
        (
            "initial_parameters:\n  parameter_names: [D0, alpha]\n  values: [1.0, x]\n",
            "initial_parameters.values[1]",
        ),
        (
            "initial_parameters:\n  parameter_names: D0\n",
            "initial_parameters.parameter_names",
        ),
        (
            "performance:\n  memory_limit_gb: lots\n",
            "performance.memory_limit_gb",
        ),
        (
            "phi_filtering:\n  enabled: \"yes please\"\n",
            "phi_filtering.enabled",
        ),
        (
            "phi_filtering:\n  target_ranges:\n    - min_angle: north\n",
            "phi_filtering.target_ranges[0].min_angle",
        ),
    ] {
        let (found, _) = type_error_key(text);
        assert_eq!(found, key, "{text}");
    }
    let err = XpcsConfig::from_yaml_str("analyzer_parameters:\n  dt: fast\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key `analyzer_parameters.dt`: expected a number, found the string \"fast\""
    );
}

#[test]
fn unusable_values_are_errors_naming_the_key() {
    for (text, key) in [
        ("analysis_mode: turbulent\n", "analysis_mode"),
        (
            "analyzer_parameters:\n  dt: -0.1\n",
            "analyzer_parameters.dt",
        ),
        (
            "analyzer_parameters:\n  geometry:\n    stator_rotor_gap: 0\n",
            "analyzer_parameters.geometry.stator_rotor_gap",
        ),
        (
            "performance:\n  strategy_override: fast\n",
            "performance.strategy_override",
        ),
        (
            "optimization:\n  nlsq:\n    anti_degeneracy:\n      per_angle_mode: shared\n",
            "optimization.nlsq.anti_degeneracy.per_angle_mode",
        ),
        (
            "optimization:\n  streaming:\n    checkpoint_frequency: 0\n",
            "optimization.streaming.checkpoint_frequency",
        ),
        (
            "initial_parameters:\n  parameter_names: [D0, alpha]\n  values: [1.0]\n",
            "initial_parameters.values",
        ),
        (
            "initial_parameters:\n  parameter_names: [D0, D1]\n",
            "initial_parameters.parameter_names[1]",
        ),
        (
            "parameter_space:\n  bounds:\n    - name: D0\n      min: 10\n      max: 1\n",
            "parameter_space.bounds[0]",
        ),
        (
            "parameter_space:\n  bounds:\n    - min: 10\n",
            "parameter_space.bounds[0].name",
        ),
        (
            "v2_features:\n  cache_strategy: sometimes\n",
            "v2_features.cache_strategy",
        ),
        ("q_tolerance_fraction: -1\n", "q_tolerance_fraction"),
    ] {
        match XpcsConfig::from_yaml_str(text) {
            Err(XpcsError::ConfigValue { key: found, .. }) => assert_eq!(found, key, "{text}"),
            Err(other) => panic!("expected a value error for\n{text}\ngot {other}"),
            Ok(_) => panic!("expected a value error for\n{text}"),
        }
    }
}

#[test]
fn text_that_is_not_a_configuration_is_a_syntax_error() {
    for text in [
        "",
        "- a\n- b\n",
        "analyzer_parameters: {dt: 0.1\n",
        "a: 1\na: 2\n",
    ] {
        let err = XpcsConfig::from_yaml_str(text).unwrap_err();
        assert!(
            matches!(err, XpcsError::ConfigSyntax { .. }),
            "{text:?}: {err}"
        );
    }
    let err = XpcsConfig::from_file("/nonexistent/config.yaml").unwrap_err();
    assert!(matches!(err, XpcsError::Io { .. }), "{err}");
}

#[test]
fn defaults_apply_to_what_is_not_configured() {
    let config = XpcsConfig::from_yaml_str("analysis_mode: LAMINAR_FLOW\n").unwrap();
    assert_eq!(config.analysis_mode, AnalysisMode::LaminarFlow);
    assert!(config.unknown_keys.is_empty());
    // The gap's default is taken with a warning naming it (laminar flow needs it).
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(
        config.warnings[0].contains("stator_rotor_gap")
            && config.warnings[0].contains("2e6 Angstrom"),
        "{:?}",
        config.warnings
    );
    assert_eq!(config.analyzer.dt, None);
    assert_eq!(config.analyzer.start_frame, 1);
    assert_eq!(config.analyzer.end_frame, -1);
    assert_eq!(config.analyzer.wavevector_q, None);
    assert_eq!(config.stator_rotor_gap(), 2e6);
    assert_eq!(
        config.experimental_data.cache_filename_template,
        "cached_c2_frames_${start_frame}_${end_frame}.npz"
    );
    assert!(config.experimental_data.cache_compression);
    assert!(config.initial_parameters.is_none());
    assert!(config.bounds.is_empty());
    assert_eq!(config.parameter_bounds("contrast"), Some((0.0, 1.0)));
    assert_eq!(config.parameter_bounds("offset"), Some((0.5, 1.5)));
    assert_eq!(config.parameter_bounds("D0"), Some((1e2, 1e5)));
    assert_eq!(config.parameter_bounds("alpha"), Some((-2.0, 2.0)));
    assert_eq!(config.parameter_bounds("D_offset"), Some((-1e5, 1e5)));
    assert_eq!(config.parameter_bounds("gamma_dot_0"), Some((1e-6, 0.5)));
    assert_eq!(config.parameter_bounds("beta"), Some((-2.0, 2.0)));
    assert_eq!(
        config.parameter_bounds("gamma_dot_t_offset"),
        Some((-0.1, 0.1))
    );
    assert_eq!(config.parameter_bounds("phi_0"), Some((-10.0, 10.0)));
    assert_eq!(config.parameter_bounds("temperature"), None);
    assert_eq!(config.per_angle_scaling.mode, PerAngleMode::Auto);
    assert_eq!(config.streaming.checkpoint_frequency, 10);
    assert_eq!(config.streaming.keep_last_checkpoints, 3);
    assert!(config.use_cache);
    assert_eq!(config.q_tolerance_fraction, 0.1);
    // dt and the data paths are needed to load.
    let err = config.load_options().unwrap_err();
    assert!(err.to_string().contains("analyzer_parameters.dt"), "{err}");
    let err = config.data_location().unwrap_err();
    assert!(err.to_string().contains("data_folder_path"), "{err}");

    // A missing analysis_mode is static, with a word; the fallbacks of dt and the gap.
    let config = XpcsConfig::from_yaml_str(
        "experimental_data:\n  dt: 0.5\n  sample_detector_distance: 5.0e6\n",
    )
    .unwrap();
    assert_eq!(config.analysis_mode, AnalysisMode::Static);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert_eq!(config.dt(), Some(0.5));
    assert_eq!(config.stator_rotor_gap(), 5e6);
    assert_eq!(
        XpcsConfig::from_yaml_str("analysis_mode: static_isotropic\n")
            .unwrap()
            .analysis_mode,
        AnalysisMode::Static
    );
}

#[test]
fn the_packages_spellings_are_understood() {
    let text = r#"
analysis_mode: laminar_flow
analyzer_parameters:
  geometry:
    stator_rotor_gap: 2.0e6
initial_parameters:
  parameter_names: [D0, alpha, D_offset, gamma_dot_0, beta, gamma_dot_offset, phi_0]
  values: [1.0e4, "-1.5", 0, 0.001, 0.0, 0.0, 2]
  per_angle_scaling:
    contrast: [0.1, 0.2]
    offset: [1.0, 0.99]
parameter_space:
  bounds:
    - {name: phi_0, min: "-20", max: 20}
    - {name: D0, max: "1e6"}
performance:
  strategy_override: streaming
  memory_limit_gb: 12
optimization:
  nlsq:
    anti_degeneracy:
      per_angle_mode: individual
      constant_scaling_threshold: 5
  streaming:
    enable_checkpoints: no
v2_features:
  cache_strategy: none
q_tolerance_fraction: 0.2
"#;
    let config = XpcsConfig::from_yaml_str(text).unwrap();
    assert!(
        config.unknown_keys.is_empty() && config.warnings.is_empty(),
        "{:?}",
        config.warnings
    );
    let initial = config.initial_parameters.as_ref().unwrap();
    assert_eq!(
        initial.parameter_names,
        AnalysisMode::LaminarFlow.physical_names()
    );
    assert_eq!(initial.value_of("gamma_dot_t0"), Some(0.001));
    assert_eq!(initial.value_of("alpha"), Some(-1.5));
    assert_eq!(initial.value_of("phi_0"), Some(2.0));
    assert_eq!(initial.per_angle_contrast.as_deref(), Some(&[0.1, 0.2][..]));
    assert_eq!(initial.per_angle_offset.as_deref(), Some(&[1.0, 0.99][..]));
    assert_eq!(config.parameter_bounds("phi0"), Some((-20.0, 20.0)));
    assert_eq!(config.parameter_bounds("D0"), Some((1e2, 1e6)));
    assert_eq!(
        config.performance.strategy_override,
        Some(StrategyOverride::Streaming)
    );
    assert_eq!(config.performance.memory_limit_gb, Some(12.0));
    assert_eq!(config.per_angle_scaling.mode, PerAngleMode::Individual);
    assert_eq!(config.per_angle_scaling.constant_scaling_threshold, 5);
    assert!(!config.streaming.enable_checkpoints);
    assert!(!config.use_cache);
    assert!(!config.data_location().is_ok_and(|l| l.use_cache));
    assert_eq!(config.q_tolerance_fraction, 0.2);

    // Per-angle lists of different lengths are dropped with a warning, as the package does;
    // a laminar parameter named in static mode is a warning.
    let config = XpcsConfig::from_yaml_str(
        "analysis_mode: static\ninitial_parameters:\n  parameter_names: [D0, phi0]\n  \
         values: [1.0, 2.0]\n  per_angle_scaling:\n    contrast: [0.1]\n    offset: [1.0, 1.0]\n",
    )
    .unwrap();
    let initial = config.initial_parameters.as_ref().unwrap();
    assert_eq!(initial.per_angle_contrast, None);
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
}

#[test]
fn the_two_component_template_reads_back_with_no_warning() {
    let text = config_template(AnalysisMode::TwoComponent);
    assert!(text.contains("xpcsjax"), "{text}");
    let config = XpcsConfig::from_yaml_str_in(&text, "/experiments/run1").unwrap();
    assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.analysis_mode, AnalysisMode::TwoComponent);
    assert_eq!(config.multistart, None);
    let initial = config.initial_parameters.as_ref().unwrap();
    assert_eq!(
        initial.parameter_names,
        AnalysisMode::TwoComponent.physical_names()
    );
    let layout = ParameterLayout::new(AnalysisMode::TwoComponent, ScalingMode::Individual, 2);
    assert_eq!(config.layout_bounds(&layout), layout.default_bounds());
}

#[test]
fn two_component_configurations_read_xpcsjax_s_names_and_multi_start() {
    let text = "analysis_mode: heterodyne\n\
                analyzer_parameters: {dt: 0.1}\n\
                initial_parameters:\n  \
                parameter_names: [D0_ref, beta, phi0]\n  \
                values: [50.0, 0.7, 4.0]\n  \
                fixed_parameters: {phi_0: 2.0}\n\
                parameter_space:\n  \
                bounds:\n    - {name: beta, min: 0.1, max: 1.5}\n\
                optimization:\n  nlsq:\n    \
                anti_degeneracy: {per_angle_mode: averaged}\n    \
                multi_start: {enable: true, n_starts: 12, seed: 5, max_nfev_per_start: 30, \
                use_screening: true}\n";
    let config = XpcsConfig::from_yaml_str(text).unwrap();
    assert_eq!(config.analysis_mode, AnalysisMode::TwoComponent);
    let initial = config.initial_parameters.as_ref().unwrap();
    assert_eq!(initial.parameter_names, ["D0_ref", "v_beta", "phi0_het"]);
    assert_eq!(initial.value_of("v_beta"), Some(0.7));
    assert_eq!(initial.fixed_parameters, [("phi0_het".to_owned(), 2.0)]);
    assert_eq!(config.parameter_bounds("v_beta"), Some((0.1, 1.5)));
    assert_eq!(
        config.per_angle_scaling.plan(4),
        ScalingPlan::Fit(ScalingMode::Constant)
    );
    let multistart = config.multistart.as_ref().unwrap();
    assert_eq!(
        (
            multistart.starts(),
            multistart.seed_value(),
            multistart.budget_value()
        ),
        (12, 5, 30)
    );
    assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
    assert_eq!(
        config.accepted_unused,
        ["optimization.nlsq.multi_start.use_screening"]
    );
    // Off unless enabled; the laminar `beta` stays laminar flow's.
    let off = XpcsConfig::from_yaml_str(
        "analysis_mode: laminar_flow\n\
         initial_parameters: {parameter_names: [beta], values: [0.3]}\n\
         optimization: {nlsq: {multi_start: {n_starts: 12}}}\n",
    )
    .unwrap();
    assert_eq!(off.multistart, None);
    let initial = off.initial_parameters.as_ref().unwrap();
    assert_eq!(initial.parameter_names, ["beta"]);
    let bad = XpcsConfig::from_yaml_str(
        "analysis_mode: two_component\noptimization: {nlsq: {multi_start: {enable: true, n_starts: 0}}}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("optimization.nlsq.multi_start.n_starts"),
        "{bad}"
    );
}

#[test]
fn xpcsjax_s_file_path_names_the_folder_and_the_file() {
    let config = XpcsConfig::from_yaml_str_in(
        "experimental_data: {file_path: ./data/run7.hdf}\n",
        "/experiments",
    )
    .unwrap();
    let data = &config.experimental_data;
    assert_eq!(data.data_file_name.as_deref(), Some("run7.hdf"));
    assert_eq!(
        data.data_folder_path.as_deref(),
        Some(Path::new("/experiments/./data"))
    );
    let bare =
        XpcsConfig::from_yaml_str_in("experimental_data: {file_path: run7.hdf}\n", "/e").unwrap();
    assert_eq!(
        bare.experimental_data.data_folder_path.as_deref(),
        Some(Path::new("/e/."))
    );
    // With data_file_name too (the package's templates give both), the pair is read and
    // file_path is known, not used.
    let both = XpcsConfig::from_yaml_str_in(
        "experimental_data: {file_path: a.hdf, data_folder_path: d, data_file_name: b.hdf}\n",
        "/e",
    )
    .unwrap();
    let data = &both.experimental_data;
    assert_eq!(data.data_file_name.as_deref(), Some("b.hdf"));
    assert_eq!(data.data_folder_path.as_deref(), Some(Path::new("/e/d")));
    assert_eq!(both.accepted_unused, ["experimental_data.file_path"]);
}

#[test]
fn the_template_reads_back_with_no_warning() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let text = config_template(mode);
        let config = XpcsConfig::from_yaml_str_in(&text, "/experiments/run1").unwrap();
        assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
        assert!(
            config.accepted_unused.is_empty(),
            "{:?}",
            config.accepted_unused
        );
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        assert_eq!(config.analysis_mode, mode);
        assert_eq!(config.analyzer.dt, Some(0.001));
        assert_eq!(config.analyzer.end_frame, -1);
        assert_eq!(config.stator_rotor_gap(), 2e6);
        assert_eq!(
            config.experimental_data.data_folder_path.as_deref(),
            Some(Path::new("/experiments/run1/data"))
        );
        let initial = config.initial_parameters.as_ref().unwrap();
        assert_eq!(initial.parameter_names, mode.physical_names());
        assert_eq!(initial.values, None);
        for layout in [
            ParameterLayout::new(mode, ScalingMode::Individual, 4),
            ParameterLayout::new(mode, ScalingMode::Constant, 4),
        ] {
            assert_eq!(config.layout_bounds(&layout), layout.default_bounds());
        }
        assert_eq!(config.bounds.len(), 2 + mode.n_physical());
        assert_eq!(config.streaming, Default::default());
        assert_eq!(config.per_angle_scaling, Default::default());
        assert!(!config.phi_filtering.enabled);
        assert_eq!(config.phi_filtering.target_ranges.len(), 2);
        assert!(config.load_options().is_ok());
        assert!(config.data_location().is_ok());
        assert!(text.contains(&format!("analysis_mode: \"{}\"", mode.name())));
        assert!(text.contains("min: 1.0e-06") == (mode == AnalysisMode::LaminarFlow));
    }
}

#[test]
fn a_configuration_file_loads_its_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::copy(
        data_dir().join("aps_old_fixture.h5"),
        dir.path().join("data/aps_old_fixture.h5"),
    )
    .unwrap();
    let config_path = dir.path().join("homodyne.yaml");
    std::fs::write(
        &config_path,
        "analysis_mode: static\n\
         analyzer_parameters:\n  dt: 0.1\n  start_frame: 2\n  end_frame: 11\n  \
         scattering:\n    wavevector_q: 0.00538\n\
         experimental_data:\n  data_folder_path: ./data\n  data_file_name: aps_old_fixture.h5\n",
    )
    .unwrap();
    let config = XpcsConfig::from_file(&config_path).unwrap();
    let options = config.load_options().unwrap();
    let location = config.data_location().unwrap();
    let loaded = load_experimental_data(&location, &options).unwrap();
    assert_eq!(loaded.format, SourceFormat::ApsOld);
    assert_eq!(loaded.data.phi.len(), 6);
    assert_eq!(loaded.data.n_t, 10);
    assert_eq!(
        loaded.cache_written.as_deref(),
        Some(dir.path().join("data/cached_c2_frames_2_11.npz").as_path())
    );
}

#[test]
fn lenient_forms_and_list_items_are_read_and_named_in_errors() {
    let angles = |value: &str| {
        XpcsConfig::from_yaml_str(&format!("experimental_data:\n  phi_angles: {value}\n"))
            .map(|c| c.experimental_data.phi_angles)
    };
    assert_eq!(angles("\"45\"").unwrap(), Some(vec![45.0]));
    assert_eq!(angles("30").unwrap(), Some(vec![30.0]));
    assert_eq!(angles("[\"1e1\", 20]").unwrap(), Some(vec![10.0, 20.0]));
    assert_eq!(angles("null").unwrap(), None);
    for (value, key) in [
        ("true", "experimental_data.phi_angles"),
        ("north", "experimental_data.phi_angles"),
        ("[1, null]", "experimental_data.phi_angles[1]"),
        ("[1, [2]]", "experimental_data.phi_angles[1]"),
    ] {
        match angles(value) {
            Err(XpcsError::ConfigType { key: found, .. }) => assert_eq!(found, key, "{value}"),
            other => panic!("{value}: expected a type error, got {other:?}"),
        }
    }
    for (value, key) in [
        ("[]", "experimental_data.phi_angles"),
        ("[0, \"nan\"]", "experimental_data.phi_angles[1]"),
    ] {
        match angles(value) {
            Err(XpcsError::ConfigValue { key: found, .. }) => assert_eq!(found, key, "{value}"),
            other => panic!("{value}: expected a value error, got {other:?}"),
        }
    }

    for (text, key, expected) in [
        (
            "initial_parameters:\n  fixed_parameters: {D0: x}\n",
            "initial_parameters.fixed_parameters.D0",
            "a number",
        ),
        (
            "initial_parameters:\n  fixed_parameters: [D0]\n",
            "initial_parameters.fixed_parameters",
            "a mapping of parameter names to values",
        ),
        (
            "initial_parameters:\n  parameter_names: [D0, 5]\n",
            "initial_parameters.parameter_names[1]",
            "a parameter name",
        ),
        (
            "parameter_space:\n  bounds: [5]\n",
            "parameter_space.bounds[0]",
            "a mapping",
        ),
        (
            "parameter_space:\n  bounds:\n    - {name: beta, fixed: [1]}\n",
            "parameter_space.bounds[0].fixed",
            "a number, true (its initial value) or false",
        ),
        (
            "phi_filtering:\n  target_ranges: {min_angle: 1}\n",
            "phi_filtering.target_ranges",
            "a list of {min_angle, max_angle} entries",
        ),
    ] {
        assert_eq!(
            type_error_key(text),
            (key.to_owned(), expected.to_owned()),
            "{text}"
        );
    }

    // A null entry is an entry of defaults; a key inside an entry is reported by its index.
    let config = XpcsConfig::from_yaml_str(
        "phi_filtering:\n  target_ranges:\n    - null\n    - {min_angle: 5, max_angel: 9}\n",
    )
    .unwrap();
    let ranges = &config.phi_filtering.target_ranges;
    assert_eq!((ranges[0].min_angle, ranges[0].max_angle), (-180.0, 180.0));
    assert_eq!((ranges[1].min_angle, ranges[1].max_angle), (5.0, 180.0));
    assert_eq!(
        config.unknown_keys,
        ["phi_filtering.target_ranges[1].max_angel"]
    );
    assert!(
        config.warnings[0].contains("(did you mean `phi_filtering.target_ranges[1].max_angle`?)"),
        "{:?}",
        config.warnings
    );
}

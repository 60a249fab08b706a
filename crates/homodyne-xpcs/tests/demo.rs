//! The demo's written files: the APS-U file and its YAML load, through the configuration
//! and `load_experimental_data`, to the very matrices the in-memory demo fits.

use homodyne_xpcs::XpcsConfig;
use homodyne_xpcs::demo::{DEMO_FILE_STEM, DEMO_TRUTH, DemoDataset};
use homodyne_xpcs::loader::{SourceFormat, load_experimental_data};
use homodyne_xpcs::{ModelForm, ScalingMode, TimeGrid};

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn the_written_file_loads_to_the_in_memory_demo_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo_data");
    // 7 angles: angles such as -38.57.. change in their last bit when normalised, so the
    // in-memory data must normalise them as the command line does.
    let demo = DemoDataset::generate(7, 12, ModelForm::Published).unwrap();
    let files = demo.write(&out).unwrap();
    assert_eq!(files.data, out.join(format!("{DEMO_FILE_STEM}.h5")));
    assert_eq!(files.config, out.join(format!("{DEMO_FILE_STEM}.yaml")));

    let config = XpcsConfig::from_file(&files.config).unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let location = config.data_location().unwrap();
    assert_eq!(location.data_path(), files.data);
    let loaded = load_experimental_data(&location, &config.load_options().unwrap()).unwrap();
    assert_eq!(loaded.format, SourceFormat::ApsU);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(
        loaded.cache_written.is_none(),
        "the YAML turns the cache off"
    );
    // What the file holds: the recorded matrices, every bit.
    assert_eq!(loaded.n_frames_in_file, Some(13));
    assert_eq!(bits(&loaded.c2_before_correction), bits(&demo.recorded.c2));
    assert_eq!(bits(&loaded.data.phi), bits(&demo.recorded.phi));

    // What the command line fits: the in-memory demo's data and grid, every bit.
    let prepared = loaded.cli_prepared().unwrap();
    let fit = demo.clone().into_fit_data().unwrap();
    assert_eq!(prepared.data.n_t, 12);
    assert_eq!(bits(&prepared.data.c2), bits(&fit.c2));
    assert_eq!(bits(&prepared.data.phi), bits(&fit.phi));
    assert_eq!(prepared.data.q.to_bits(), fit.q.to_bits());
    assert_eq!(bits(&prepared.t), bits(&demo.fit_times()));
    let grid = TimeGrid::from_times(config.dt().unwrap(), prepared.t.clone()).unwrap();
    let model = DemoDataset::fit_model(&fit, ScalingMode::Individual, demo.form).unwrap();
    assert_eq!(bits(grid.times()), bits(model.grid().times()));
    assert_eq!(config.stator_rotor_gap(), 2e6);
    assert_eq!(config.analysis_mode.name(), "laminar_flow");
    assert!(
        std::fs::read_to_string(&files.config)
            .unwrap()
            .contains("per_angle_mode: \"auto\""),
        "the scaling chosen by the data"
    );
}

#[test]
fn the_yaml_states_the_truth_and_starts_from_the_defaults() {
    let demo = DemoDataset::generate(3, 4, ModelForm::Published).unwrap();
    let yaml = demo.config_yaml();
    for (name, value) in ["D0", "alpha", "D_offset", "gamma_dot_t0", "beta"]
        .iter()
        .zip(DEMO_TRUTH)
    {
        let line = yaml
            .lines()
            .find(|l| l.starts_with('#') && l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no truth line for {name}:\n{yaml}"));
        let stated: f64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
        assert_eq!(stated, value, "{line}");
    }
    for contrast in ["0.2800", "0.3000", "0.3200"] {
        assert!(yaml.contains(contrast), "{yaml}");
    }
    let config = XpcsConfig::from_yaml_str(&yaml).unwrap();
    let start = config.initial_parameters.unwrap();
    assert_eq!(start.value_of("D0"), Some(1e4));
    assert_eq!(start.value_of("alpha"), Some(-1.5));
    // The package's form says how to fit it.
    let compat = DemoDataset::generate(1, 4, ModelForm::PythonCompat).unwrap();
    assert!(compat.config_yaml().contains("--python-compat"));
}

//! `homodyne xpcs` and `homodyne config` end to end.

use std::path::Path;
use std::process::Output;

mod common;

use common::{
    NLSQ_FILES, homodyne, laminar_flow_parameters, read_json, run_config, run_demo, scratch,
};

/// Runs `homodyne config --mode mode --output config`.
fn write_template(mode: &str, config: &Path) -> Output {
    homodyne(&[
        "config",
        "--mode",
        mode,
        "--output",
        config.to_str().unwrap(),
    ])
}

/// Writes `homodyne config`'s laminar-flow template to `config`, which must succeed.
fn write_laminar_flow_template(config: &Path) {
    let out = write_template("laminar_flow", config);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_demo_prints_fitted_and_true_values_side_by_side() {
    let out = run_demo(3, 80, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("fitted") && stdout.contains("true"),
        "{stdout}"
    );
    for &name in laminar_flow_parameters() {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"));
        // name, fitted, +-, true, off-by in standard errors ("1.23s")
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 5, "{line}");
        let off_by: f64 = fields[4].trim_end_matches('s').parse().unwrap();
        assert!(
            off_by.abs() < 4.0,
            "{name} is {off_by} standard errors off: {line}"
        );
    }
    assert!(stdout.contains("Converged"), "{stdout}");
}

/// A `.npz` cache in the package's format holding laminar-flow matrices with known truth
/// (the fixture's angles, q and frames; noise 0.002, symmetric as measured matrices are).
fn write_synthetic_cache(path: &std::path::Path) {
    use homodyne_xpcs::loader::{LoadOptions, load_hdf5, write_npz_cache};
    use homodyne_xpcs::{
        AnalysisMode, CorrelationData, HomodyneModel, ModelForm, ScalingMode, TimeGrid,
    };
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../homodyne-xpcs/tests/data/aps_u_fixture.h5"
    );
    let options = LoadOptions::new(0.1, 1, -1, 0.0054);
    let mut loaded = load_hdf5(fixture, &options).unwrap();
    let grid = TimeGrid::from_times(0.1, loaded.t.clone()).unwrap();
    let model = HomodyneModel::new(
        AnalysisMode::LaminarFlow,
        ScalingMode::Individual,
        ModelForm::Published,
        grid,
        &loaded.data.phi,
        loaded.data.q,
        2e6,
    )
    .unwrap();
    let n_phi = loaded.data.phi.len();
    let truth = model
        .layout()
        .assemble(
            &vec![0.3; n_phi],
            &vec![1.0; n_phi],
            &[2e5 / 4.0, 0.2, 100.0, 0.02, 0.1, 1e-3, 3.0],
        )
        .unwrap();
    let synthetic = CorrelationData::synthetic(&model, &truth, 0.002, 9).unwrap();
    loaded.c2_before_correction = synthetic.c2.clone();
    loaded.data.c2 = synthetic.c2;
    write_npz_cache(path, &loaded, &options, false).unwrap();
}

/// Writes the synthetic cache into `dir/data` and returns the configuration `template`
/// pointed at it: its file name, and its frame time 0.1 s.
fn on_synthetic_cache(dir: &Path, template: &str) -> String {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    write_synthetic_cache(&dir.join("data/experiment.npz"));
    template
        .replace("  dt: 0.001", "  dt: 0.1")
        .replace("experiment.hdf", "experiment.npz")
}

/// Fits the laminar-flow configuration `config` into `results`; the report names its
/// data. Returns the report.
fn fit_laminar_flow(config: &Path, results: &Path) -> String {
    let out = run_config(config, &[], results);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("laminar_flow from"),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    stdout
}

#[test]
fn a_template_round_trips_through_a_fit_of_a_data_file() {
    let dir = scratch("xpcs", "template");
    let config = dir.join("run.yaml");
    write_laminar_flow_template(&config);
    // Writing over it needs --force.
    let again = write_template("static", &config);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("--force"));
    // The data: the h5py-written APS-U fixture's layout (angles, q, 11 frames) with
    // matrices replaced by a laminar-flow model plus symmetric noise, saved as the
    // package's .npz cache, which the configuration names as its data file.
    let yaml = on_synthetic_cache(&dir, &std::fs::read_to_string(&config).unwrap());
    std::fs::write(&config, yaml).unwrap();
    let results = dir.join("results");
    let stdout = fit_laminar_flow(&config, &results);
    assert!(stdout.contains("phi0"), "{stdout}");
    // The package's result files, and a heatmap per angle.
    let nlsq = results.join("nlsq");
    for file in NLSQ_FILES {
        assert!(nlsq.join(file).is_file(), "{file} missing: {stdout}");
    }
    let parameters: serde_json::Value = read_json(nlsq.join("parameters.json"));
    assert_eq!(parameters["analysis_mode"], "laminar_flow");
    assert!(parameters["parameters"]["phi0"]["value"].is_number());
    let heatmaps = std::fs::read_dir(&nlsq)
        .unwrap()
        .filter(|e| {
            let name = e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .into_owned();
            name.starts_with("c2_heatmaps_phi_") && name.ends_with("deg.png")
        })
        .count();
    assert!(heatmaps >= 1, "no heatmap in {}", nlsq.display());

    // STREAMING with the configuration's checkpoints; a second run resumes from them and
    // reaches the same values.
    let yaml = std::fs::read_to_string(&config)
        .unwrap()
        .replace(
            "  strategy_override: null",
            "  strategy_override: streaming",
        )
        .replace(
            "    checkpoint_frequency: 10",
            "    checkpoint_frequency: 1",
        );
    assert!(
        yaml.contains("strategy_override: streaming") && yaml.contains("checkpoint_frequency: 1\n")
    );
    std::fs::write(&config, yaml).unwrap();
    let run = || run_config(&config, &[], &results);
    let first = run();
    let first_out = text(&first.stdout);
    assert!(
        first_out.contains("strategy Streaming"),
        "{first_out}\n{}",
        text(&first.stderr)
    );
    assert!(std::fs::read_dir(dir.join("checkpoints")).unwrap().count() > 0);
    let second = run();
    let second_out = text(&second.stdout);
    assert!(second_out.contains("resumed from"), "{second_out}");
    let table = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("D0") || l.starts_with("phi0"))
            .map(String::from)
            .collect()
    };
    assert_eq!(table(&first_out).len(), 2);
    assert_eq!(table(&first_out), table(&second_out));
}

#[test]
fn configuration_mistakes_are_named() {
    let dir = scratch("xpcs", "mistakes");
    let config = dir.join("bad.yaml");
    std::fs::write(
        &config,
        "analysis_mode: laminar_flow\nanalyzer_parameters:\n  dt: 0.1\n  scatering: {}\nexperimental_data:\n  data_folder_path: ./nowhere\n  data_file_name: missing.hdf\n",
    )
    .unwrap();
    let out = homodyne(&["xpcs", "--config", config.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("analyzer_parameters.scatering"), "{stderr}");
    assert!(stderr.contains("missing.hdf"), "{stderr}");
    let out = homodyne(&["xpcs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--config"));
}

/// Without the `mpi` feature, `--distributed` is refused with how to get it, for both
/// subcommands, before any work.
#[cfg(not(feature = "mpi"))]
#[test]
fn distributed_without_mpi_says_how_to_build_it() {
    for args in [
        &["xpcs", "--demo", "--distributed"][..],
        &[
            "curve",
            "--formula",
            "a*x",
            "--data",
            "missing.csv",
            "--p0",
            "a=1",
            "--distributed",
        ][..],
    ] {
        let out = homodyne(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--features mpi"), "{args:?}: {stderr}");
    }
    let out = homodyne(&["xpcs", "--demo", "--exchange-timeout", "5"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the timeout needs --distributed"
    );
    for bad in [
        "--exchange-timeout=-1",
        "--exchange-timeout=nan",
        "--exchange-timeout=inf",
    ] {
        let out = homodyne(&["xpcs", "--demo", "--distributed", bad]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(
            stderr.contains("must be a positive number of seconds"),
            "{bad}: {stderr}"
        );
    }
}

#[test]
fn a_parameter_held_by_the_yaml_key_is_reported_fixed() {
    // The template's laminar-flow configuration on the synthetic cache, with
    // `fixed: 0.0` on gamma_dot_t_offset's bounds entry and D_offset held by equal bounds.
    let dir = scratch("xpcs", "fixed");
    let config = dir.join("run.yaml");
    write_laminar_flow_template(&config);
    let template = std::fs::read_to_string(&config).unwrap();
    let held = "    - name: gamma_dot_t_offset\n      min: -0.1\n      max: 0.1\n";
    let offset = "    - name: D_offset\n      min: -100000.0\n      max: 100000.0\n";
    assert!(template.contains(held) && template.contains(offset));
    let yaml = on_synthetic_cache(&dir, &template)
        .replace(held, &format!("{held}      fixed: 0.0\n"))
        .replace(
            offset,
            "    - name: D_offset\n      min: 0.0\n      max: 0.0\n",
        );
    std::fs::write(&config, &yaml).unwrap();
    let results = dir.join("results");
    let stdout = fit_laminar_flow(&config, &results);
    for name in ["gamma_dot_t_offset", "D_offset"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line: {stdout}"));
        assert!(line.contains("fixed"), "{line}");
    }
    let parameters: serde_json::Value = read_json(results.join("nlsq/parameters.json"));
    for name in ["gamma_dot_t_offset", "D_offset"] {
        let entry = &parameters["parameters"][name];
        assert_eq!(entry["value"], 0.0, "{entry}");
        assert_eq!(entry["flag"], "fixed", "{entry}");
        assert!(entry["uncertainty"].is_null(), "{entry}");
    }
    assert!(
        parameters["parameters"]["D0"]["uncertainty"]
            .as_f64()
            .unwrap()
            > 0.0
    );

    // A held value outside its bounds is a configuration error naming the key.
    std::fs::write(
        &config,
        yaml.replace("      fixed: 0.0\n", "      fixed: 5.0\n"),
    )
    .unwrap();
    let out = homodyne(&["xpcs", "--config", config.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("fixed") && stderr.contains("gamma_dot_t_offset"),
        "{stderr}"
    );
}

//! `homodyne xpcs` on bare two-time correlation matrices, as any facility writes them: a
//! 2-D `.npy` matrix and a 3-D HDF5 stack fit end to end to the very parameters the
//! same matrices give in the APS-U layout, through the YAML keys and through the
//! command-line flags; the wavevector and gap that a configuration does not give are
//! named on the console.

mod common;

use std::path::Path;

use common::{fit_config, homodyne, loader_model, read_json, scratch, stderr, stdout};
use homodyne_xpcs::loader::write::write_aps_u;
use homodyne_xpcs::{AnalysisMode, CorrelationData};
use rust_hdf5::H5File;

const DT: f64 = 0.1;

/// Synthetic matrices of `mode` at the angles `phi`, `n` frames from `t = 0`, with
/// per-angle contrasts and offsets around 0.3 and 1, and symmetric noise.
fn synthetic(mode: AnalysisMode, phi: &[f64], n: usize, physical: &[f64]) -> CorrelationData {
    let model = loader_model(mode, phi, n, DT);
    let k = phi.len();
    let contrasts: Vec<f64> = (0..k).map(|i| 0.28 + 0.02 * i as f64).collect();
    let offsets: Vec<f64> = (0..k).map(|i| 0.99 + 0.01 * i as f64).collect();
    let truth = model
        .layout()
        .assemble(&contrasts, &offsets, physical)
        .unwrap();
    CorrelationData::synthetic(&model, &truth, 0.002, 7).unwrap()
}

/// The upper half (diagonal included, zeros below) of each matrix, as the APS-U layout
/// and many beamlines store it.
fn upper_halves(data: &CorrelationData) -> Vec<f64> {
    let n = data.n_t;
    let mut out = data.c2.clone();
    for (index, v) in out.iter_mut().enumerate() {
        let within = index % (n * n);
        if within / n > within % n {
            *v = 0.0;
        }
    }
    out
}

/// Every number under `parameters` of `<dir>/nlsq/parameters.json`, by dotted path.
fn parameters(dir: &Path) -> Vec<(String, f64)> {
    let json = read_json(dir.join("nlsq/parameters.json"));
    let mut out = Vec::new();
    collect("parameters", &json["parameters"], &mut out);
    assert!(out.len() >= 4, "{json}");
    out
}

fn collect(path: &str, value: &serde_json::Value, out: &mut Vec<(String, f64)>) {
    match value {
        serde_json::Value::Number(n) => out.push((path.to_owned(), n.as_f64().unwrap())),
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                collect(&format!("{path}.{key}"), v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect(&format!("{path}[{i}]"), v, out);
            }
        }
        _ => {}
    }
}

/// The two runs' parameters agree to 1e-12 relative, name by name.
fn assert_same_parameters(a: &Path, b: &Path) {
    let (pa, pb) = (parameters(a), parameters(b));
    assert_eq!(
        pa.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        pb.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in pa.iter().zip(&pb) {
        assert!(
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            "{name}: {x} ({}) != {y} ({})",
            a.display(),
            b.display()
        );
    }
}

/// Runs `homodyne xpcs` with `args` and `--quiet --output-dir dir`; the fit converged.
fn fit(args: &[&str], dir: &Path) -> (String, String) {
    let mut all = args.to_vec();
    all.extend(["--quiet", "--output-dir", dir.to_str().unwrap()]);
    let out = homodyne(&all);
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{all:?}\n{o}\n{e}");
    (o, e)
}

#[test]
fn a_2d_npy_matrix_fits_as_its_aps_u_file() {
    let dir = scratch("xpcs_matrix", "npy");
    let data = synthetic(AnalysisMode::Static, &[0.0], 41, &[2e4, 0.3, 100.0]);
    write_aps_u(&dir.join("aps.h5"), &data).unwrap();
    homodyne_data::write_npy_f64(dir.join("c2.npy"), &data.c2, &[data.n_t, data.n_t]).unwrap();
    let common = "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.1\n";
    // The APS-U file, with no q configured: its only q is taken and named.
    let aps_yaml = dir.join("aps.yaml");
    std::fs::write(
        &aps_yaml,
        format!(
            "{common}experimental_data:\n  data_folder_path: .\n  data_file_name: aps.h5\n\
             v2_features:\n  cache_strategy: none\n"
        ),
    )
    .unwrap();
    let (aps_out, aps_err) = fit_config(&aps_yaml, &[], &dir.join("aps"));
    assert!(
        aps_err.contains("warning: analyzer_parameters.scattering.wavevector_q is not set")
            && aps_err.contains("0.0054 1/A"),
        "{aps_err}"
    );
    assert!(aps_out.contains("static from"), "{aps_out}");
    // The .npy matrix through the YAML keys.
    let npy_yaml = dir.join("npy.yaml");
    std::fs::write(
        &npy_yaml,
        format!(
            "{common}  scattering:\n    wavevector_q: 0.0054\nexperimental_data:\n  \
             data_folder_path: .\n  data_file_name: c2.npy\n  phi_angles: [0.0]\n"
        ),
    )
    .unwrap();
    let (npy_out, npy_err) = fit_config(&npy_yaml, &[], &dir.join("npy"));
    assert!(npy_out.contains("c2.npy"), "{npy_out}");
    // q and the angle are given: nothing about them to say.
    assert!(
        !npy_err.contains("wavevector_q") && !npy_err.contains("phi_angles"),
        "{npy_err}"
    );
    assert_same_parameters(&dir.join("aps"), &dir.join("npy"));
    // The same matrix with no configuration at all, by the flags.
    let npy = dir.join("c2.npy");
    let (_, flags_err) = fit(
        &[
            "xpcs",
            "--data",
            npy.to_str().unwrap(),
            "--dt",
            "0.1",
            "--q",
            "0.0054",
            "--phi",
            "0",
        ],
        &dir.join("flags"),
    );
    assert!(flags_err.contains("no --config"), "{flags_err}");
    assert_same_parameters(&dir.join("aps"), &dir.join("flags"));

    // Without q or angles a bare matrix is refused before any fit (exit status 2).
    for (args, named) in [
        (vec!["--dt", "0.1", "--phi", "0"], "wavevector_q"),
        (vec!["--dt", "0.1", "--q", "0.0054"], "phi_angles"),
        (
            vec!["--q", "0.0054", "--phi", "0"],
            "analyzer_parameters.dt",
        ),
        (
            vec!["--dt", "0.1", "--q", "0.0054", "--phi", "0,90"],
            "2 angle(s)",
        ),
        (vec!["--dt=-1", "--q", "0.0054", "--phi", "0"], "--dt -1"),
    ] {
        let mut all = vec!["xpcs", "--data", npy.to_str().unwrap(), "--quiet"];
        all.extend(args);
        let out = homodyne(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{all:?}: {}", stderr(&out));
    }
}

#[test]
fn a_3d_hdf5_stack_fits_as_its_aps_u_file_with_frames_and_angles_selected() {
    let dir = scratch("xpcs_matrix", "hdf5");
    let phi = [-30.0, 0.0, 60.0];
    let data = synthetic(
        AnalysisMode::LaminarFlow,
        &phi,
        41,
        &[1.5e4, 0.3, 50.0, 2e-4, 0.3, 1e-5, 4.0],
    );
    write_aps_u(&dir.join("aps.h5"), &data).unwrap();
    // The stack as a beamline might write it: the upper halves, in one 3-D dataset.
    let stack = dir.join("stack.h5");
    let file = H5File::create(&stack).unwrap();
    file.root_group()
        .create_group("exchange")
        .unwrap()
        .new_dataset::<f64>()
        .shape([3, data.n_t, data.n_t])
        .create("c2")
        .unwrap()
        .write_raw(&upper_halves(&data))
        .unwrap();
    file.close().unwrap();
    // Frames 2 to 38 of 41, and the two angles in [-40, 10] degrees; no gap configured.
    let yaml = dir.join("run.yaml");
    std::fs::write(
        &yaml,
        "analysis_mode: laminar_flow\nanalyzer_parameters:\n  dt: 0.1\n  start_frame: 2\n  \
         end_frame: 38\n  scattering:\n    wavevector_q: 0.0054\nexperimental_data:\n  \
         data_folder_path: .\n  data_file_name: aps.h5\noptimization:\n  nlsq:\n    \
         anti_degeneracy:\n      per_angle_mode: individual\nphi_filtering:\n  enabled: true\n  \
         target_ranges:\n    - min_angle: -40.0\n      max_angle: 10.0\nv2_features:\n  \
         cache_strategy: none\n",
    )
    .unwrap();
    let (aps_out, aps_err) = fit_config(&yaml, &[], &dir.join("aps"));
    assert!(aps_out.contains("2 angles x 36 frames"), "{aps_out}");
    assert!(
        aps_err.contains("stator_rotor_gap") && aps_err.contains("2e6 Angstrom"),
        "{aps_err}"
    );
    // The stack by the flags over the same configuration (flags override the YAML).
    let data_flag = format!("{}:/exchange/c2", stack.display());
    let (h5_out, _) = fit_config(
        &yaml,
        &[
            "--data", &data_flag, "--phi", "-30,0,60", "--q", "0.0054", "--dt", "0.1",
        ],
        &dir.join("stack"),
    );
    assert!(
        h5_out.contains("stack.h5") && h5_out.contains("2 angles x 36 frames"),
        "{h5_out}"
    );
    assert_same_parameters(&dir.join("aps"), &dir.join("stack"));
    // Three angles given for a stack of three; a dataset that is not there is named.
    let out = homodyne(&[
        "xpcs",
        "--config",
        yaml.to_str().unwrap(),
        "--data",
        &format!("{}:/exchange/c3", stack.display()),
        "--phi",
        "-30,0,60",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/exchange/c3") && stderr(&out).contains("/exchange/c2"),
        "{}",
        stderr(&out)
    );
}

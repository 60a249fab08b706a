//! The compatibility form against the Python `homodyne` package (2.23.3): every point of
//! the reference grids in `tests/data/reference_compat.json`, computed by the package's
//! own `compute_g2_scaled` (see `tests/data/make_reference.py`), to 1e-12 relative; the
//! physical parameters named as the reference names them, in the order it hands them to
//! the package.

use homodyne_core::Model;
use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};
use serde_json::Value;

fn floats(value: &Value) -> Vec<f64> {
    match value {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().expect("a float")],
        other => panic!("not a number or an array: {other}"),
    }
}

#[test]
fn the_compatibility_form_reproduces_the_python_package() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference_compat.json"
    );
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(reference["homodyne_version"], "2.23.3");
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 8, "{} cases", cases.len());
    let mut worst = (0.0f64, String::new());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mode: AnalysisMode = case["mode"].as_str().unwrap().parse().unwrap();
        let names: Vec<&str> = (case["physical_param_names"].as_array().unwrap().iter())
            .map(|name| name.as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            mode.physical_names(),
            "{name}: the reference's names"
        );
        let dt = case["dt"].as_f64().unwrap();
        let grid = TimeGrid::from_times(dt, floats(&case["t"])).unwrap();
        let phi = floats(&case["phi"]);
        let model = HomodyneModel::new(
            mode,
            ScalingMode::Individual,
            ModelForm::PythonCompat,
            grid,
            &phi,
            case["q"].as_f64().unwrap(),
            case["L"].as_f64().unwrap(),
        )
        .unwrap();
        let p = floats(&case["params_individual_layout"]);
        let expected = floats(&case["c2"]);
        assert_eq!(expected.len(), model.n_points(), "{name}");
        let x: Vec<f64> = (0..model.n_points()).map(|i| i as f64).collect();
        let mut c2 = vec![0.0; x.len()];
        model.eval(&x, &p, &mut c2);
        for (r, (&got, &want)) in c2.iter().zip(&expected).enumerate() {
            let relative = (got - want).abs() / want.abs();
            assert!(
                relative <= 1e-12,
                "{name}: point {r} {:?}: {got} vs the package's {want} ({relative:e})",
                model.decode(r as f64)
            );
            if relative > worst.0 {
                worst = (relative, name.to_string());
            }
        }
    }
    println!("largest relative difference: {:e} ({})", worst.0, worst.1);
}

//! Fourier per-angle scaling end to end: synthetic data whose contrast varies smoothly
//! with the angle (8 angles, `contrast = 0.3 + 0.02 cos(phi)`), made with one contrast and
//! offset per angle, fitted with a Fourier series of order 2 from the package's default
//! start; the coefficients and the physics land within 3 standard errors of the truth,
//! and the output files give the series' per-angle values with uncertainties through the
//! basis (`B C B^T`) and the coefficients by name.

use std::time::Instant;

use homodyne_core::{Model, NoObserver};
use homodyne_xpcs::loader::{npy, read_npz};
use homodyne_xpcs::output::{FITTED_DATA_NPZ, NLSQ_DIR, PARAMETERS_FILE};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, NlsqOutputs, ScalingMode, XpcsFitOptions, fit,
    write_nlsq_outputs,
};
use serde_json::Value;

mod common;

use common::{
    NOISE, assert_within_standard_errors, physical_truth, plain_outputs, published_model,
};

/// Eight angles over the full turn, unevenly spaced.
const PHI: [f64; 8] = [-170.0, -125.0, -80.0, -35.0, 5.0, 50.0, 95.0, 140.0];

fn true_contrast(phi: f64) -> f64 {
    0.3 + 0.02 * phi.to_radians().cos()
}

fn true_offset(phi: f64) -> f64 {
    1.0 + 0.004 * phi.to_radians().sin()
}

/// Static data from the individual model at the per-angle truth, and the Fourier model.
fn case(n_t: usize, seed: u64) -> (HomodyneModel, CorrelationData) {
    case_of(AnalysisMode::Static, n_t, seed)
}

fn case_of(mode: AnalysisMode, n_t: usize, seed: u64) -> (HomodyneModel, CorrelationData) {
    let individual = published_model(mode, ScalingMode::Individual, &PHI, n_t);
    let contrasts: Vec<f64> = PHI.iter().map(|&p| true_contrast(p)).collect();
    let offsets: Vec<f64> = PHI.iter().map(|&p| true_offset(p)).collect();
    let truth = individual
        .layout()
        .assemble(&contrasts, &offsets, physical_truth(mode))
        .unwrap();
    let data = CorrelationData::synthetic(&individual, &truth, NOISE, seed).unwrap();
    let fourier = individual
        .with_scaling(ScalingMode::Fourier { order: 2 })
        .unwrap();
    (fourier, data)
}

#[test]
fn a_fourier_fit_recovers_a_smoothly_varying_contrast() {
    recover(AnalysisMode::Static, 120, 21);
}

#[test]
fn a_laminar_fourier_fit_recovers_contrast_and_shear() {
    recover(AnalysisMode::LaminarFlow, 80, 23);
}

fn recover(mode: AnalysisMode, n_t: usize, seed: u64) {
    let (model, data) = case_of(mode, n_t, seed);
    let layout = *model.layout();
    let started = Instant::now();
    let fitted = fit(&model, &data, &XpcsFitOptions::default(), &NoObserver).unwrap();
    let result = &fitted.result;
    println!(
        "{} fourier (order 2), 8 x {n_t}: {:.2} s, {} iterations, {:?}, reduced chi2 {:.4e}",
        mode.name(),
        started.elapsed().as_secs_f64(),
        result.iterations,
        result.convergence_status,
        result.reduced_chi_squared
    );
    // contrast_c0, _c1, _s1, _c2, _s2, offset_c0, .., then the physics.
    let mut truth = vec![0.3, 0.02, 0.0, 0.0, 0.0, 1.0, 0.0, 0.004, 0.0, 0.0];
    truth.extend_from_slice(physical_truth(mode));
    let names = layout.names();
    assert_within_standard_errors(mode.name(), result, &names, &truth, 0..truth.len(), 3.0);
    assert!(
        (result.reduced_chi_squared / (NOISE * NOISE) - 1.0).abs() < 0.05,
        "the residuals are the noise: reduced chi2 {}",
        result.reduced_chi_squared
    );
    // The series at each angle is the per-angle truth, to a few standard errors.
    let (contrasts, offsets) = layout.per_angle_scaling(&result.parameters, &PHI);
    for (k, &phi) in PHI.iter().enumerate() {
        assert!(
            (contrasts[k] - true_contrast(phi)).abs() < 2e-3,
            "{contrasts:?}"
        );
        assert!((offsets[k] - true_offset(phi)).abs() < 1e-3, "{offsets:?}");
    }
}

/// `parameters.json` gives the series' value at each angle, with the uncertainty of that
/// value (`sqrt(B_k C B_k^T)` over the coefficients' covariance, computed here from the
/// result), the mode and order, and the coefficients by name; the solver's per-angle
/// scaling in `fitted_data.npz` is the series' too.
#[test]
fn outputs_give_the_series_per_angle_and_its_coefficients() {
    let (model, data) = case(40, 22);
    let layout = *model.layout();
    let fitted = fit(&model, &data, &XpcsFitOptions::default(), &NoObserver).unwrap();
    let result = &fitted.result;
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(
        dir.path(),
        &NlsqOutputs {
            execution_time: 1.0,
            coarse_stages: &fitted.stages,
            ..plain_outputs(&model, &data, result)
        },
    )
    .unwrap();
    let nlsq = dir.path().join(NLSQ_DIR);
    let text = std::fs::read_to_string(nlsq.join(PARAMETERS_FILE)).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let per_angle = &json["per_angle"];
    assert_eq!(per_angle["scaling_mode"], "fourier");
    assert_eq!(per_angle["fourier_order"], 2);
    let list = |key: &str| -> Vec<f64> {
        per_angle[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {per_angle}"))
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (contrasts, offsets) = layout.per_angle_scaling(&result.parameters, &PHI);
    assert_eq!(list("contrast"), contrasts);
    assert_eq!(list("offset"), offsets);
    let groups = layout.n_scaling_groups();
    let map = layout.scaling_map(&PHI);
    let c = &result.covariance.matrix;
    for (kind, first) in [("contrast", 0), ("offset", groups)] {
        let got = list(&format!("{kind}_uncertainty"));
        for k in 0..PHI.len() {
            let mut variance = 0.0;
            for a in 0..groups {
                for b in 0..groups {
                    variance +=
                        map[k * groups + a] * map[k * groups + b] * c[[first + a, first + b]];
                }
            }
            let want = variance.sqrt();
            assert!(
                (got[k] - want).abs() <= 1e-12 * want,
                "{kind} angle {k}: {} vs {want}",
                got[k]
            );
            assert!(want > 0.0 && want.is_finite());
        }
    }
    let coefficients = per_angle["coefficients"].as_object().unwrap();
    // Every coefficient, in the layout's order in the file.
    assert_eq!(coefficients.len(), 2 * groups);
    let mut at = text.find("\"coefficients\"").unwrap();
    for name in &layout.names()[..2 * groups] {
        assert!(coefficients.contains_key(name), "{name}");
        at += text[at..]
            .find(&format!("\"{name}\":"))
            .unwrap_or_else(|| panic!("{name} out of order"));
    }
    assert_eq!(
        coefficients["contrast_c1"]["value"].as_f64().unwrap(),
        result.parameters[1]
    );
    assert_eq!(
        coefficients["offset_s2"]["uncertainty"].as_f64().unwrap(),
        result.uncertainties[2 * groups - 1]
    );
    // The package's summary: the mean of the per-angle values.
    let mean = contrasts.iter().sum::<f64>() / PHI.len() as f64;
    let summary = json["parameters"]["contrast"]["value"].as_f64().unwrap();
    assert!((summary - mean).abs() < 1e-15, "{summary} vs {mean}");

    // fitted_data.npz: the solver's scaling is the series', and the raw theory is the
    // model with every contrast and offset 1.
    let arrays = read_npz(nlsq.join(FITTED_DATA_NPZ)).unwrap();
    let array = |key: &str| -> Vec<f64> {
        let (_, a) = arrays.iter().find(|(name, _)| name == key).unwrap();
        match &a.values {
            npy::Values::Numbers(v) => v.clone(),
            npy::Values::Strings(_) => panic!("{key} holds strings"),
        }
    };
    let solver = array("per_angle_scaling_solver");
    for k in 0..PHI.len() {
        assert_eq!(
            [solver[2 * k], solver[2 * k + 1]],
            [contrasts[k], offsets[k]]
        );
    }
    let raw = array("c2_theoretical_raw");
    let individual = model.with_scaling(ScalingMode::Individual).unwrap();
    let ones = vec![1.0; PHI.len()];
    let unit = individual
        .layout()
        .assemble(&ones, &ones, layout.physical(&result.parameters))
        .unwrap();
    let x: Vec<f64> = (0..individual.n_points()).map(|i| i as f64).collect();
    let mut want = vec![0.0; x.len()];
    individual.eval(&x, &unit, &mut want);
    for (r, (a, b)) in raw.iter().zip(&want).enumerate() {
        assert!((a - b).abs() < 1e-14, "raw point {r}: {a} vs {b}");
    }
}

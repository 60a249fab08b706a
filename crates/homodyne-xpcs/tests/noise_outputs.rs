//! A fit weighted by each angle's noise estimated from the data (`sigma: auto`): the
//! output files carry the per-angle estimates, say they were estimated, and their
//! chi-squared is the fit's weighted one.

use homodyne::NoObserver;
use homodyne::{OptimizationStrategy, StreamingOptions};
use homodyne_xpcs::noise::{NoiseEstimate, estimate_noise};
use homodyne_xpcs::output::{ANALYSIS_RESULTS_FILE, PARAMETERS_FILE, Sigma};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, NlsqOutputs, PointSelection, ScalingMode,
    XpcsFitOptions, fit, write_nlsq_outputs,
};
use serde_json::Value;

const PHI: [f64; 2] = [0.0, 60.0];
const NOISE: [f64; 2] = [0.004, 0.012];
const TRUTH: [f64; 3] = [15_000.0, -0.6, 50.0];

mod common;

use common::{plain_outputs, published_model};

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The static model of the two angles `PHI` and `n_t` frames, and its truth.
fn two_angles(n_t: usize) -> (HomodyneModel, Vec<f64>) {
    let model = published_model(AnalysisMode::Static, ScalingMode::Individual, &PHI, n_t);
    let truth = model
        .layout()
        .assemble(&[0.3, 0.28], &[1.0, 1.01], &TRUTH)
        .unwrap();
    (model, truth)
}

/// Static data of two angles with different noise (0.004 and 0.012), its model and the
/// noise estimated from it.
fn two_noise_levels() -> (HomodyneModel, CorrelationData, NoiseEstimate) {
    let (model, truth) = two_angles(40);
    let quiet = CorrelationData::synthetic(&model, &truth, NOISE[0], 3).unwrap();
    let loud = CorrelationData::synthetic(&model, &truth, NOISE[1], 4).unwrap();
    let mut c2 = quiet.matrix(0).to_vec();
    c2.extend_from_slice(loud.matrix(1));
    let data = CorrelationData::new(quiet.q, quiet.dt, PHI.to_vec(), 40, c2).unwrap();
    let estimate = estimate_noise(&data).unwrap();
    (model, data, estimate)
}

/// A fit weighted by `estimate` with absolute sigma, from 10% above the truth.
fn weighted(data: &CorrelationData, estimate: &NoiseEstimate) -> XpcsFitOptions {
    XpcsFitOptions {
        physical_start: Some(TRUTH.iter().map(|v| v * 1.1).collect()),
        sigma: Some(estimate.point_sigma(data, PointSelection::default())),
        absolute_sigma: true,
        ..XpcsFitOptions::default()
    }
}

#[test]
fn the_files_carry_the_estimated_sigma_and_the_weighted_chi_squared() {
    let (model, data, estimate) = two_noise_levels();
    let options = weighted(&data, &estimate);
    let result = fit(&model, &data, &options, &NoObserver).unwrap().result;
    let dir = tempfile::tempdir().unwrap();
    write_nlsq_outputs(
        dir.path(),
        &NlsqOutputs {
            sigma: Some(Sigma::Estimated(&estimate)),
            ..plain_outputs(&model, &data, &result)
        },
    )
    .unwrap();
    let nlsq = dir.path().join("nlsq");
    let analysis = read_json(&nlsq.join(ANALYSIS_RESULTS_FILE));
    let quality = &analysis["fit_quality"];
    let written: Vec<f64> = quality["sigma"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(written, estimate.sigma);
    let definition = quality["chi_squared_definition"].as_str().unwrap();
    assert!(
        definition.contains("estimated from the data"),
        "{definition}"
    );
    let chi_squared = quality["chi_squared"].as_f64().unwrap();
    assert!(
        (chi_squared / result.chi_squared - 1.0).abs() < 1e-9,
        "file {chi_squared}, fit {}",
        result.chi_squared
    );
    let reduced = quality["reduced_chi_squared"].as_f64().unwrap();
    assert!(
        (reduced - 1.0).abs() < 0.1,
        "reduced chi-squared {reduced}, sigma {:?}",
        estimate.sigma
    );
    let parameters = read_json(&nlsq.join(PARAMETERS_FILE));
    assert_eq!(parameters["sigma"], quality["sigma"]);
}

#[test]
fn an_estimate_for_other_angles_is_refused() {
    let (model, truth) = two_angles(20);
    let data = CorrelationData::synthetic(&model, &truth, 0.01, 5).unwrap();
    let mut estimate = estimate_noise(&data).unwrap();
    estimate.sigma.pop();
    let options = XpcsFitOptions::default();
    let result = fit(&model, &data, &options, &NoObserver).unwrap().result;
    let dir = tempfile::tempdir().unwrap();
    let error = write_nlsq_outputs(
        dir.path(),
        &NlsqOutputs {
            sigma: Some(Sigma::Estimated(&estimate)),
            ..plain_outputs(&model, &data, &result)
        },
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("1 estimated sigmas for 2 angles"),
        "{error}"
    );
}

/// Streamed, a weighted fit reads each point's sigma with its batch (a fit in memory
/// streamed through `Fit::streaming`) and reaches the fit held in memory: the same
/// optimum, chi-squared and uncertainties.
#[test]
fn a_streamed_weighted_fit_reaches_the_fit_in_memory() {
    let (model, data, estimate) = two_noise_levels();
    let in_memory = weighted(&data, &estimate);
    let streamed = XpcsFitOptions {
        streaming: Some(StreamingOptions {
            batch_size: Some(500),
            ..StreamingOptions::default()
        }),
        ..in_memory.clone()
    };
    let a = fit(&model, &data, &in_memory, &NoObserver).unwrap().result;
    let b = fit(&model, &data, &streamed, &NoObserver).unwrap().result;
    assert_eq!(a.strategy, OptimizationStrategy::Large);
    assert_eq!(b.strategy, OptimizationStrategy::Streaming);
    assert!(
        (b.chi_squared / a.chi_squared - 1.0).abs() < 1e-9,
        "chi-squared streamed {}, in memory {}",
        b.chi_squared,
        a.chi_squared
    );
    for (k, ((pa, pb), (ua, ub))) in a
        .parameters
        .iter()
        .zip(&b.parameters)
        .zip(a.uncertainties.iter().zip(&b.uncertainties))
        .enumerate()
    {
        assert!(
            (pa - pb).abs() <= 1e-6 * ua,
            "parameter {k}: {pa} vs {pb} (+- {ua})"
        );
        assert!(
            (ua / ub - 1.0).abs() < 1e-4,
            "uncertainty {k}: {ua} vs {ub}"
        );
    }
}

//! What the fits on synthetic data share: the true parameters, the model and its truth,
//! and the output files of a plain fit.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod central;
pub mod heterodyne;
pub mod json;

use homodyne_core::OptimizationResult;
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, ModelForm, NlsqOutputs, PointSelection,
    ScalingMode, TimeGrid,
};

/// The standard deviation of the Gaussian noise on the synthetic data.
pub const NOISE: f64 = 0.005;
/// The static truth: `D0`, `alpha`, `D_offset`.
pub const STATIC_TRUTH: [f64; 3] = [15_000.0, -0.6, 50.0];
/// The laminar-flow truth: the static three, then `gamma_dot_t0`, `beta`,
/// `gamma_dot_t_offset`, `phi0`.
pub const LAMINAR_TRUTH: [f64; 7] = [15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0];

/// The physical truth of a homodyne `mode`: [`STATIC_TRUTH`] or [`LAMINAR_TRUTH`] (the
/// two-component demo's truth for the two-component mode).
pub fn physical_truth(mode: AnalysisMode) -> &'static [f64] {
    match mode {
        AnalysisMode::Static => &STATIC_TRUTH,
        AnalysisMode::LaminarFlow => &LAMINAR_TRUTH,
        AnalysisMode::TwoComponent => &homodyne_xpcs::heterodyne_demo::TRUTH,
    }
}

/// The published model of `mode` and `scaling` at the angles `phi` (degrees), `n_t`
/// frames of 0.1 s, the wave vector 0.0054 1/Å and a gap of 2e6 Å.
pub fn published_model(
    mode: AnalysisMode,
    scaling: ScalingMode,
    phi: &[f64],
    n_t: usize,
) -> HomodyneModel {
    HomodyneModel::new(
        mode,
        scaling,
        ModelForm::Published,
        TimeGrid::new(0.1, n_t).unwrap(),
        phi,
        0.0054,
        2e6,
    )
    .unwrap()
}

/// The model of `mode` with a contrast and an offset per angle at `n_phi` angles
/// `phi_k = -60 + 150 k / n_phi` degrees, `n_t` frames of 0.1 s, and its truth: the
/// contrasts `0.25 + 0.01 k`, the offsets `1 + 0.002 k` and `physical`.
pub fn model_and_truth(
    mode: AnalysisMode,
    physical: &[f64],
    n_phi: usize,
    n_t: usize,
) -> (HomodyneModel, Vec<f64>) {
    let phi: Vec<f64> = (0..n_phi)
        .map(|k| -60.0 + 150.0 * k as f64 / n_phi as f64)
        .collect();
    let model = published_model(mode, ScalingMode::Individual, &phi, n_t);
    let layout = *model.layout();
    let contrasts: Vec<f64> = (0..n_phi).map(|k| 0.25 + 0.01 * k as f64).collect();
    let offsets: Vec<f64> = (0..n_phi).map(|k| 1.0 + 0.002 * k as f64).collect();
    let truth = layout.assemble(&contrasts, &offsets, physical).unwrap();
    (model, truth)
}

/// What a fit of `model` to `data` writes when it took 0.5 s, fitted the upper triangle,
/// and had no sigma, no coarse stages and no scaling choice.
pub fn plain_outputs<'a>(
    model: &'a HomodyneModel,
    data: &'a CorrelationData,
    result: &'a OptimizationResult,
) -> NlsqOutputs<'a> {
    NlsqOutputs {
        model,
        data,
        result,
        execution_time: 0.5,
        sigma: None,
        points: PointSelection::UpperTriangle,
        coarse_stages: &[],
        scaling_choice: None,
        multistart: None,
        hdf5: true,
    }
}

/// Asserts that each parameter `k` of `parameters` has a finite, positive standard error
/// `s_k` and lies within `limit` of them of the truth: `|z_k| <= limit` with
/// `z_k = (p_k - truth_k) / s_k`. Prints each one's fit, truth and `z_k`; `what` names the
/// case in the messages.
pub fn assert_within_standard_errors(
    what: &str,
    result: &OptimizationResult,
    names: &[String],
    truth: &[f64],
    parameters: impl IntoIterator<Item = usize>,
    limit: f64,
) {
    for k in parameters {
        let (got, want, error) = (result.parameters[k], truth[k], result.uncertainties[k]);
        assert!(
            error.is_finite() && error > 0.0,
            "{what}: {}: {error}",
            names[k]
        );
        let z = (got - want) / error;
        println!(
            "  {:<20} {got:>14.6e} truth {want:>12.4e} +- {error:.2e} ({z:+.2} sigma)",
            names[k]
        );
        assert!(
            z.abs() <= limit,
            "{what}: {} = {got} is {z:.1} standard errors from the truth {want}",
            names[k]
        );
    }
}

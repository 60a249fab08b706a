//! Synthetic data with known truth (Gaussian noise of standard deviation 0.005), fitted
//! from the Python package's default starting values (`beta`, `gamma_dot_t_offset` and
//! `phi0` at 0): every physical parameter must land within 3 reported standard errors of
//! the truth. The sizes include the 100k-1M window that the Python package gets wrong.

use std::time::Instant;

use homodyne_core::NoObserver;
use homodyne_xpcs::{
    AnalysisMode, CoarseToFine, CorrelationData, HomodyneModel, XpcsFitOptions, fit,
};

mod common;

use common::{NOISE, assert_within_standard_errors, model_and_truth, physical_truth};

fn recover(mode: AnalysisMode, n_phi: usize, n_t: usize, seed: u64) {
    recover_data(mode, n_phi, n_t, seed, false);
}

/// With `corrected`, each matrix's diagonal is replaced by its neighbours' mean, as the
/// loader does to measured data.
fn recover_data(mode: AnalysisMode, n_phi: usize, n_t: usize, seed: u64, corrected: bool) {
    let (model, truth, data) = synthetic(mode, n_phi, n_t, seed, corrected);
    let layout = *model.layout();
    let started = Instant::now();
    let fitted = fit(&model, &data, &XpcsFitOptions::default(), &NoObserver).unwrap();
    let result = &fitted.result;
    let names = layout.names();
    let stages: Vec<String> = fitted
        .stages
        .iter()
        .map(|stage| match &stage.result {
            Ok(r) => format!("every {}th row: {} iterations", stage.stride, r.iterations),
            Err(e) => format!("every {}th row: failed ({e})", stage.stride),
        })
        .collect();
    println!(
        "{} {n_phi} x {n_t} ({} points): {:.2} s, [{}] then {} iterations, {:?}, reduced chi2 {:.4}",
        mode.name(),
        data.n_points(),
        started.elapsed().as_secs_f64(),
        stages.join(", "),
        result.iterations,
        result.convergence_status,
        result.reduced_chi_squared,
    );
    assert_within_standard_errors(
        &format!("{} {n_phi} x {n_t}", mode.name()),
        result,
        &names,
        &truth,
        layout.physical_start()..layout.n_params(),
        3.0,
    );
    assert!(
        (result.reduced_chi_squared / (NOISE * NOISE) - 1.0).abs() < 0.05,
        "the residuals are the noise: reduced chi2 {} against {}",
        result.reduced_chi_squared,
        NOISE * NOISE
    );
}

/// The model, the truth and noisy data for `n_phi` angles of `n_t` frames.
fn synthetic(
    mode: AnalysisMode,
    n_phi: usize,
    n_t: usize,
    seed: u64,
    corrected: bool,
) -> (HomodyneModel, Vec<f64>, CorrelationData) {
    let (model, truth) = model_and_truth(mode, physical_truth(mode), n_phi, n_t);
    let mut data = CorrelationData::synthetic(&model, &truth, NOISE, seed).unwrap();
    if corrected {
        let size = n_t * n_t;
        for matrix in data.c2.chunks_exact_mut(size) {
            homodyne_xpcs::loader::correct_diagonal(matrix, n_t).unwrap();
        }
    }
    (model, truth, data)
}

/// One test per row: `name: mode, angles, frames, seed` recovered by [`recover`].
macro_rules! recovery_tests {
    ($($name:ident: $mode:ident, $n_phi:literal, $n_t:literal, $seed:literal;)+) => {
        $(
            #[test]
            fn $name() {
                recover(AnalysisMode::$mode, $n_phi, $n_t, $seed);
            }
        )+
    };
}

recovery_tests! {
    static_3_angles_200_frames: Static, 3, 200, 11;
    laminar_3_angles_200_frames: LaminarFlow, 3, 200, 12;
    laminar_3_angles_500_frames: LaminarFlow, 3, 500, 13;
    laminar_10_angles_300_frames: LaminarFlow, 10, 300, 14;
}

/// The loader's diagonal correction on the data: the fit leaves the diagonal out and is
/// not biased by it.
#[test]
fn laminar_3_angles_200_frames_diagonal_corrected() {
    recover_data(AnalysisMode::LaminarFlow, 3, 200, 15, true);
}

/// The coarse stages move the start, not the optimum: with and without them the fit ends
/// at the same parameters, far inside their standard errors, with the same covariance.
#[test]
fn coarse_stages_reach_the_direct_fits_optimum() {
    let (model, _, data) = synthetic(AnalysisMode::LaminarFlow, 3, 200, 13, false);
    let staged = fit(&model, &data, &XpcsFitOptions::default(), &NoObserver).unwrap();
    let direct = XpcsFitOptions {
        coarse_to_fine: CoarseToFine::Off,
        ..XpcsFitOptions::default()
    };
    let direct = fit(&model, &data, &direct, &NoObserver).unwrap();
    assert!(direct.stages.is_empty());
    // Rows 0, 16, ..., 192, then 0, 4, ..., 196 of each upper triangle (row i holds
    // 199 - i points), each stage from where the one before ended.
    let strides: Vec<usize> = staged.stages.iter().map(|s| s.stride).collect();
    assert_eq!(strides, [16, 4]);
    let mut from = &staged.start;
    for stage in &staged.stages {
        let rows = (0..200).step_by(stage.stride);
        assert_eq!(stage.n_points, 3 * rows.map(|i| 199 - i).sum::<usize>());
        assert!(stage.used, "{:?}", stage.result);
        assert_eq!(&stage.start, from);
        from = &stage.result.as_ref().unwrap().parameters;
    }
    let (a, b) = (&staged.result, &direct.result);
    println!(
        "staged: {:?} + {} iterations, direct: {}",
        staged
            .stages
            .iter()
            .map(|s| s.result.as_ref().unwrap().iterations)
            .collect::<Vec<_>>(),
        a.iterations,
        b.iterations
    );
    for k in 0..a.parameters.len() {
        let z = (a.parameters[k] - b.parameters[k]) / b.uncertainties[k];
        assert!(
            z.abs() < 1e-2,
            "parameter {k}: {} against {} ({z:.1e} sigma)",
            a.parameters[k],
            b.parameters[k]
        );
        let relative = (a.uncertainties[k] / b.uncertainties[k] - 1.0).abs();
        assert!(
            relative < 1e-3,
            "uncertainty {k}: {} against {}",
            a.uncertainties[k],
            b.uncertainties[k]
        );
    }
}

/// Noise-free data (`CorrelationData::synthetic` with no noise): the coarse stages end on
/// the truth, so the fit of all the points starts with residuals that are rounding noise.
/// It is converged (its zero-residual test compares with the cost at the first start,
/// `Fit::reference_cost`), at the truth.
#[test]
fn noise_free_data_converge_after_stages_that_found_the_truth() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let (model, truth) = model_and_truth(mode, physical_truth(mode), 3, 200);
        let data = CorrelationData::synthetic(&model, &truth, 0.0, 1).unwrap();
        // Streamed, as a large fit would be (in memory the fit stops on the gradient test).
        let options = XpcsFitOptions {
            streaming: Some(homodyne::StreamingOptions::default()),
            ..XpcsFitOptions::default()
        };
        let fitted = fit(&model, &data, &options, &NoObserver).unwrap();
        // The first stage ends on the truth (a later one starts there and cannot lower the
        // cost further).
        assert!(
            fitted.stages[0].used,
            "{mode:?}: {:?}",
            fitted.stages[0].result
        );
        let result = &fitted.result;
        assert!(result.converged(), "{mode:?}: {result}");
        for (p, t) in result.parameters.iter().zip(&truth) {
            assert!((p - t).abs() <= 1e-6 * t.abs(), "{mode:?}: {p} against {t}");
        }
    }
}

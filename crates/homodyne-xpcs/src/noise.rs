//! The measurement noise of each angle's matrix, estimated from the data (`sigma: auto`).
//!
//! A fit weighted by the true noise `sigma` of each value has a reduced chi-squared near 1
//! when the model describes the data, and its covariance is then absolute: the standard
//! errors follow from `sigma` and need no rescaling by the residuals. A beamline rarely
//! gives `sigma`; [`estimate_noise`] takes it from the matrices themselves.
//!
//! # Method
//!
//! For angle `phi` and every lag `L >= 1` (never the diagonal, which the loader replaces
//! by the mean of its neighbours), three neighbouring elements along the same lag give a
//! second difference:
//!
//! ```text
//! d(i, L) = c2(i, i + L) - 2 c2(i + 1, i + 1 + L) + c2(i + 2, i + 2 + L),   i + 2 + L < n_t
//! ```
//!
//! Writing `c2 = m + e`, with the model `m` and independent noise `e` of variance
//! `sigma^2`, `d` is the model's second difference plus `e - 2 e' + e''`. Along a lag the
//! model changes only with the age `(t_i + t_{i+L}) / 2`, slowly against the noise, so the
//! first term is small and `var(d) ~ (1 + 4 + 1) sigma^2 = 6 sigma^2`. (A first difference,
//! `var = 2 sigma^2`, keeps the model's slope along the age: on a static sample of 40
//! frames decaying as `D0 t^-0.6` it read a noise of 0.004 as 0.0050; the second difference
//! cancels the slope and read 0.0044.) The scale of `d` is read robustly, by the median
//! absolute deviation about the median, so that a few outliers and the places where the
//! model does change fast with the age (the first frames of a non-stationary sample) do
//! not inflate it:
//!
//! ```text
//! sigma_phi = 1.4826 median_{i,L} |d(i, L) - median d| / sqrt(6)
//! ```
//!
//! (`1.4826 = 1 / Phi^{-1}(3/4)` makes the MAD the standard deviation of a normal
//! distribution). The `(n_t - 2)(n_t - 3) / 2` differences of an angle use every element
//! of its upper triangle off the diagonal.
//!
//! # Assumptions
//!
//! - the noise is independent between the elements of the upper triangle (the lower half
//!   mirrors it) and of one variance within an angle's matrix;
//! - the correlation is smooth along the age at a fixed lag: a step in `c2` from one frame
//!   to the next that is large against the noise over much of the matrix (a beam dump, a
//!   sample jump) makes the estimate too large.
//!
//! Measured two-time matrices have a noise that grows towards long lags (fewer frame
//! pairs average there in some reductions) and correlated noise between neighbouring
//! elements; the estimate is then a typical value, and a reduced chi-squared away from 1
//! says so.

use crate::data::{CorrelationData, PointSelection};
use crate::error::XpcsError;

/// The fewest neighbouring differences an angle needs for an estimate (an angle of 13
/// frames gives 55).
pub const MIN_NOISE_DIFFERENCES: usize = 50;

/// `1 / Phi^{-1}(3/4)`: the median absolute deviation of a normal distribution times this
/// is its standard deviation.
pub const MAD_TO_STANDARD_DEVIATION: f64 = 1.482_602_218_505_602;

/// Each angle's noise, estimated by [`estimate_noise`].
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseEstimate {
    /// The angles (degrees), in the data's order.
    pub phi: Vec<f64>,
    /// The standard deviation of one c2 value at each angle.
    pub sigma: Vec<f64>,
    /// The neighbouring differences each angle's estimate used.
    pub n_differences: Vec<usize>,
}

impl NoiseEstimate {
    /// The sigma of every point of `selection`, in the order of
    /// [`CorrelationData::select_points`]: the `sigma` of a fit of those points.
    pub fn point_sigma(&self, data: &CorrelationData, selection: PointSelection) -> Vec<f64> {
        let n = data.n_t;
        let size = n * n;
        (0..data.n_points())
            .filter(|&index| {
                let within = index % size;
                selection.includes(within / n, within % n)
            })
            .map(|index| self.sigma[index / size])
            .collect()
    }

    /// One line for the console: `noise estimated from the data: phi -30.0: 0.0051, ...`.
    pub fn describe(&self) -> String {
        let angles: Vec<String> = self
            .phi
            .iter()
            .zip(&self.sigma)
            .map(|(phi, sigma)| format!("phi {phi:.1}: {sigma:.4}"))
            .collect();
        format!("noise estimated from the data: {}", angles.join(", "))
    }
}

/// Each angle's noise `sigma_phi` from the second differences of neighbouring elements
/// along the same lag, read by their median absolute deviation (see the module documentation).
///
/// # Errors
///
/// [`XpcsError::InvalidSetting`] naming the angle when it has fewer than
/// [`MIN_NOISE_DIFFERENCES`] differences (fewer than 13 frames), or when its estimate is
/// zero (noise-free data, or values repeated along the lags) or not finite; and when the
/// matrices do not hold `n_phi n_t^2` values.
pub fn estimate_noise(data: &CorrelationData) -> Result<NoiseEstimate, XpcsError> {
    let n = data.n_t;
    if data.c2.len() != data.phi.len() * n * n {
        return Err(XpcsError::setting(
            "sigma: auto",
            format!(
                "{} angles of {n} x {n} frames need {} values, the data hold {}",
                data.phi.len(),
                data.phi.len() * n * n,
                data.c2.len()
            ),
        ));
    }
    let mut estimate = NoiseEstimate {
        phi: data.phi.clone(),
        sigma: Vec::with_capacity(data.phi.len()),
        n_differences: Vec::with_capacity(data.phi.len()),
    };
    for (k, &phi) in data.phi.iter().enumerate() {
        let what = || format!("sigma: auto (the noise of angle {k}, phi = {phi} deg)");
        let matrix = data.matrix(k);
        let mut differences = Vec::with_capacity(n.saturating_sub(2) * n.saturating_sub(3) / 2);
        for lag in 1..n {
            for i in 0..n.saturating_sub(lag + 2) {
                let at = |a: usize| matrix[a * n + a + lag];
                differences.push(at(i) - 2.0 * at(i + 1) + at(i + 2));
            }
        }
        if differences.len() < MIN_NOISE_DIFFERENCES {
            return Err(XpcsError::setting(
                what(),
                format!(
                    "{n} frames give {} neighbouring differences along the lags, fewer than \
                     the {MIN_NOISE_DIFFERENCES} an estimate needs (at least 13 frames); \
                     leave sigma unset for an unweighted fit",
                    differences.len()
                ),
            ));
        }
        let count = differences.len();
        let centre = median(&mut differences);
        let mut deviations: Vec<f64> = differences.iter().map(|d| (d - centre).abs()).collect();
        let sigma = MAD_TO_STANDARD_DEVIATION * median(&mut deviations) / 6f64.sqrt();
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(XpcsError::setting(
                what(),
                format!(
                    "the estimate from {count} neighbouring differences is {sigma}: the \
                     values do not scatter (noise-free or repeated data) or are not finite; \
                     leave sigma unset for an unweighted fit"
                ),
            ));
        }
        estimate.sigma.push(sigma);
        estimate.n_differences.push(count);
    }
    Ok(estimate)
}

/// The median (the mean of the two middle values for an even count); NaN when empty or
/// when a value is NaN. Reorders `values`.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 || values.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let mid = n / 2;
    let (below, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + upper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{XpcsFitOptions, fit};
    use crate::demo::{DEMO_GAP, DEMO_Q, DEMO_TRUTH};
    use crate::model::{HomodyneModel, ModelForm};
    use crate::parameters::{AnalysisMode, ScalingMode};
    use crate::rates::TimeGrid;
    use homodyne::NoObserver;

    const PHI: [f64; 2] = [-30.0, 45.0];
    const NOISE: [f64; 2] = [0.005, 0.02];
    const N_T: usize = 100;

    /// A laminar-flow model of two angles and the truth it generates from.
    fn model_and_truth() -> (HomodyneModel, Vec<f64>) {
        let model = HomodyneModel::new(
            AnalysisMode::LaminarFlow,
            ScalingMode::Individual,
            ModelForm::Published,
            TimeGrid::new(0.1, N_T).unwrap(),
            &PHI,
            DEMO_Q,
            DEMO_GAP,
        )
        .unwrap();
        let truth = model
            .layout()
            .assemble(&[0.28, 0.32], &[1.01, 0.99], &DEMO_TRUTH)
            .unwrap();
        (model, truth)
    }

    /// Angle 0 with noise 0.005, angle 1 with noise 0.02.
    fn two_noise_levels(model: &HomodyneModel, truth: &[f64]) -> CorrelationData {
        let quiet = CorrelationData::synthetic(model, truth, NOISE[0], 11).unwrap();
        let loud = CorrelationData::synthetic(model, truth, NOISE[1], 12).unwrap();
        let mut c2 = quiet.matrix(0).to_vec();
        c2.extend_from_slice(loud.matrix(1));
        CorrelationData::new(quiet.q, quiet.dt, PHI.to_vec(), N_T, c2).unwrap()
    }

    #[test]
    fn each_angles_noise_is_recovered_within_5_percent() {
        let (model, truth) = model_and_truth();
        let data = two_noise_levels(&model, &truth);
        let estimate = estimate_noise(&data).unwrap();
        assert_eq!(estimate.phi, PHI);
        assert_eq!(estimate.n_differences, vec![98 * 97 / 2; 2]);
        for (k, (&sigma, &noise)) in estimate.sigma.iter().zip(&NOISE).enumerate() {
            assert!(
                (sigma / noise - 1.0).abs() < 0.05,
                "angle {k}: estimated {sigma}, true {noise}"
            );
        }
        assert!(
            estimate
                .describe()
                .starts_with("noise estimated from the data: phi -30.0: 0.00"),
            "{}",
            estimate.describe()
        );
    }

    #[test]
    fn a_fit_weighted_by_the_estimate_has_reduced_chi_squared_near_1() {
        let (model, truth) = model_and_truth();
        let data = two_noise_levels(&model, &truth);
        let estimate = estimate_noise(&data).unwrap();
        let selection = PointSelection::default();
        let sigma = estimate.point_sigma(&data, selection);
        let (x, _) = data.select_points(selection);
        assert_eq!(sigma.len(), x.len());
        // The point order is select_points' order: angle 0 first, then angle 1.
        assert_eq!(sigma[0], estimate.sigma[0]);
        assert_eq!(sigma[sigma.len() - 1], estimate.sigma[1]);
        let options = XpcsFitOptions {
            physical_start: Some(DEMO_TRUTH.iter().map(|v| v * 1.05).collect()),
            sigma: Some(sigma),
            absolute_sigma: true,
            ..XpcsFitOptions::default()
        };
        let result = fit(&model, &data, &options, &NoObserver).unwrap().result;
        let reduced = result.reduced_chi_squared;
        assert!(
            (reduced - 1.0).abs() < 0.04,
            "reduced chi-squared {reduced}"
        );
    }

    #[test]
    fn too_few_frames_and_noise_free_data_are_refused_naming_the_angle() {
        let few = CorrelationData::new(0.0054, 0.1, vec![10.0], 11, vec![1.0; 121]).unwrap();
        let message = estimate_noise(&few).unwrap_err().to_string();
        assert!(message.contains("phi = 10 deg"), "{message}");
        assert!(message.contains("36 neighbouring differences"), "{message}");

        let mut c2 = vec![1.0; 2 * 400];
        // Angle 0 scatters, angle 1 does not.
        for (i, v) in c2[..400].iter_mut().enumerate() {
            *v += 0.001 * ((i * i * 7919) % 101) as f64;
        }
        let flat = CorrelationData::new(0.0054, 0.1, vec![0.0, 90.0], 20, c2).unwrap();
        let message = estimate_noise(&flat).unwrap_err().to_string();
        assert!(message.contains("angle 1, phi = 90 deg"), "{message}");
        assert!(message.contains("do not scatter"), "{message}");
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
        assert!(median(&mut [1.0, f64::NAN]).is_nan());
    }
}

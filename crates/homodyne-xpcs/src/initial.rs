//! Starting values of the contrasts and offsets, estimated from the data.
//!
//! `c2 = offset + contrast * g` is linear in the scaling parameters, with
//! `g = c2(contrast = 1, offset = 0)` a function of the physical parameters alone. At the
//! starting physical parameters the best scaling of each group of angles is therefore a
//! straight-line least-squares fit of the data on `g`:
//!
//! ```text
//! contrast = cov(g, c2) / var(g),   offset = mean(c2) - contrast * mean(g),
//! ```
//!
//! clipped to the bounds. Where `g` barely varies over a group (a start so far off that the
//! model is flat), the fit is ill-posed; the offset is then the mean of the data at the
//! longest quarter of the lags (where the correlation has decayed the most) and the
//! contrast the mean at the shortest lags (`|i - j| <= 1`) less that offset.
//!
//! A group is one angle with individual scaling and every angle with constant scaling.
//! For a Fourier series each angle is estimated on its own and the per-angle values are
//! projected on the series ([`crate::ParameterLayout::scaling_from_per_angle`]), the
//! coefficients then clipped to their default bounds.
//!
//! [`quantile_scaling`] is the Python package's estimate for its `constant` per-angle
//! mode, read off quantiles of the data alone, without a model.

use crate::correlation_model::FitModel;
use crate::data::{CorrelationData, PointSelection};
use crate::error::XpcsError;
use crate::parameters::{CONTRAST_BOUNDS, OFFSET_BOUNDS, ScalingMode};

/// Smallest contrast a start may have: a contrast of exactly 0 makes every physical
/// derivative vanish, and the solver could not leave it.
pub const MIN_START_CONTRAST: f64 = 1e-3;

/// The scaling parameters of `model`'s layout (contrast parameters, offset parameters:
/// [`crate::ParameterLayout::n_scaling_groups`] of each) for `data` at the physical
/// parameters `physical`.
pub fn estimate_scaling<M: FitModel>(
    model: &M,
    data: &CorrelationData,
    physical: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), XpcsError> {
    let layout = *model.layout();
    if data.n_points() != model.n_points() || data.phi.len() != layout.n_phi {
        return Err(XpcsError::setting(
            "data",
            format!(
                "the model covers {} angles x {} frames, the data {} x {}",
                layout.n_phi,
                model.grid().len(),
                data.phi.len(),
                data.n_t
            ),
        ));
    }
    // g = c2 at contrast 1 and offset 0, angle by angle (through the individual layout,
    // whose scaling parameters are the per-angle values).
    let individual = match layout.scaling {
        ScalingMode::Individual => None,
        _ => Some(model.with_scaling(ScalingMode::Individual)?),
    };
    let unit_model = individual.as_ref().unwrap_or(model);
    let unit = unit_model.layout().assemble(
        &vec![1.0; layout.n_phi],
        &vec![0.0; layout.n_phi],
        physical,
    )?;
    let g = unit_model.values(&unit);
    let groups: Vec<Vec<usize>> = match layout.scaling {
        ScalingMode::Constant => vec![(0..layout.n_phi).collect()],
        ScalingMode::Individual | ScalingMode::Fourier { .. } => {
            (0..layout.n_phi).map(|k| vec![k]).collect()
        }
    };
    let (contrasts, offsets): (Vec<f64>, Vec<f64>) = groups
        .iter()
        .map(|angles| {
            let (contrast, offset) = fit_group(angles, &g, data);
            (
                contrast.clamp(MIN_START_CONTRAST, CONTRAST_BOUNDS.1),
                offset.clamp(OFFSET_BOUNDS.0, OFFSET_BOUNDS.1),
            )
        })
        .unzip();
    if !matches!(layout.scaling, ScalingMode::Fourier { .. }) {
        return Ok((contrasts, offsets));
    }
    let (mut a, mut b) = layout.scaling_from_per_angle(&contrasts, &offsets, model.phi());
    let ranges = layout.default_scaling_bounds();
    for (v, (lo, hi)) in a.iter_mut().chain(b.iter_mut()).zip(ranges) {
        *v = v.clamp(lo, hi);
    }
    Ok((a, b))
}

/// The straight-line fit `c2 = offset + contrast g` over the angles `angles` (unclipped),
/// or the lag-based reading of the data where `g` is flat.
fn fit_group(angles: &[usize], g: &[f64], data: &CorrelationData) -> (f64, f64) {
    let n_t = data.n_t;
    let size = n_t * n_t;
    let (mut n, mut mean_g, mut mean_y) = (0.0, 0.0, 0.0);
    for &k in angles {
        for idx in k * size..(k + 1) * size {
            n += 1.0;
            mean_g += (g[idx] - mean_g) / n;
            mean_y += (data.c2[idx] - mean_y) / n;
        }
    }
    let (mut cov, mut var) = (0.0, 0.0);
    for &k in angles {
        for idx in k * size..(k + 1) * size {
            cov += (g[idx] - mean_g) * (data.c2[idx] - mean_y);
            var += (g[idx] - mean_g) * (g[idx] - mean_g);
        }
    }
    if var > 1e-12 * n {
        let contrast = cov / var;
        return (contrast, mean_y - contrast * mean_g);
    }
    // Model flat at the start: read the scaling off the data's lags.
    let (mut long, mut long_n, mut short, mut short_n) = (0.0, 0.0, 0.0, 0.0);
    for &k in angles {
        let matrix = data.matrix(k);
        for i in 0..n_t {
            for j in 0..n_t {
                let lag = i.abs_diff(j);
                if lag <= 1 {
                    short += matrix[i * n_t + j];
                    short_n += 1.0;
                }
                if 4 * lag >= 3 * (n_t - 1) {
                    long += matrix[i * n_t + j];
                    long_n += 1.0;
                }
            }
        }
    }
    let offset = long / long_n;
    (short / short_n - offset, offset)
}

/// Fewest points of an angle for [`quantile_scaling`] to estimate its scaling; below,
/// the angle gets the middle of the bounds (the package's rule).
pub const QUANTILE_MIN_POINTS: usize = 100;
/// Fewest points a lag region needs in [`quantile_scaling`]; below, the quantile is taken
/// over the whole angle.
pub const QUANTILE_MIN_REGION: usize = 10;

/// Each angle's contrast and offset read off quantiles of the data, the Python package's
/// estimate for its `constant` per-angle mode (`compute_quantile_per_angle_scaling` in
/// `optimization/nlsq/parameter_utils.py`), where they are then held fixed and only the
/// physical parameters fitted.
///
/// `c2 = offset + contrast g1^2` with `g1^2 -> 0` at long lags and `g1^2 ~ 1` at short
/// ones, so over the elements `points` of each angle's matrix, with lags `|t1 - t2|`:
///
/// - the offset is the 10th percentile of `c2` over the elements whose lag is at least
///   the 80th percentile of the lags (the "floor"), clipped to `offset_bounds`;
/// - the contrast is the 90th percentile of `c2` over the elements whose lag is at most
///   the 20th percentile of the lags (the "ceiling"), less that offset, clipped to
///   `contrast_bounds`.
///
/// Percentiles interpolate linearly between order statistics (NumPy's default) and skip
/// non-finite values. A region of fewer than [`QUANTILE_MIN_REGION`] elements takes its
/// percentile over the whole angle; an angle of fewer than [`QUANTILE_MIN_POINTS`]
/// elements, or whose values are all non-finite, gets the middle of the bounds. The
/// package takes the elements it fits (both halves of each matrix, the corrected diagonal
/// included: [`PointSelection::All`]); with symmetric matrices the upper triangle gives
/// nearly the same quantiles.
///
/// Returns `(contrasts, offsets)`, one per angle of `data`.
pub fn quantile_scaling(
    data: &CorrelationData,
    points: PointSelection,
    contrast_bounds: (f64, f64),
    offset_bounds: (f64, f64),
) -> (Vec<f64>, Vec<f64>) {
    let contrast_mid = (contrast_bounds.0 + contrast_bounds.1) / 2.0;
    let offset_mid = (offset_bounds.0 + offset_bounds.1) / 2.0;
    let n_t = data.n_t;
    (0..data.phi.len())
        .map(|k| {
            let matrix = data.matrix(k);
            let mut lags = Vec::new();
            let mut values = Vec::new();
            for i in 0..n_t {
                for j in (0..n_t).filter(|&j| points.includes(i, j)) {
                    lags.push(i.abs_diff(j) as f64);
                    values.push(matrix[i * n_t + j]);
                }
            }
            if values.len() < QUANTILE_MIN_POINTS {
                return (contrast_mid, offset_mid);
            }
            let high = percentile(&lags, 0.80).unwrap_or(f64::INFINITY);
            let low = percentile(&lags, 0.20).unwrap_or(f64::NEG_INFINITY);
            let region = |keep: &dyn Fn(f64) -> bool| -> Vec<f64> {
                let selected: Vec<f64> = (lags.iter().zip(&values))
                    .filter(|&(&lag, _)| keep(lag))
                    .map(|(_, &v)| v)
                    .collect();
                if selected.len() >= QUANTILE_MIN_REGION {
                    selected
                } else {
                    values.clone()
                }
            };
            let offset = percentile(&region(&|lag| lag >= high), 0.10)
                .unwrap_or(offset_mid)
                .clamp(offset_bounds.0, offset_bounds.1);
            let ceiling =
                percentile(&region(&|lag| lag <= low), 0.90).unwrap_or(contrast_mid + offset_mid);
            let contrast = (ceiling - offset).clamp(contrast_bounds.0, contrast_bounds.1);
            (contrast, offset)
        })
        .unzip()
}

/// The `q`-quantile (`0 <= q <= 1`) of the finite `values`, interpolated linearly between
/// order statistics as NumPy's `nanpercentile(values, 100 q)`; `None` when none is
/// finite.
fn percentile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    Some(sorted[below] + (h - below as f64) * (sorted[above] - sorted[below]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};

    fn model(scaling: ScalingMode) -> HomodyneModel {
        HomodyneModel::new(
            AnalysisMode::Static,
            scaling,
            ModelForm::Published,
            TimeGrid::new(0.1, 40).unwrap(),
            &[0.0, 60.0],
            0.0054,
            2e6,
        )
        .unwrap()
    }

    #[test]
    fn the_scaling_of_noise_free_data_is_recovered_exactly() {
        let m = model(ScalingMode::Individual);
        let truth = [0.25, 0.4, 1.02, 0.98, 5000.0, -0.2, 10.0];
        let data = CorrelationData::synthetic(&m, &truth, 0.0, 1).unwrap();
        let (contrasts, offsets) = estimate_scaling(&m, &data, &truth[4..]).unwrap();
        for (got, want) in contrasts.iter().chain(&offsets).zip(&truth[..4]) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
    }

    /// Per-angle estimates projected on a series recover the coefficients of data made
    /// with them.
    #[test]
    fn a_fourier_series_is_estimated_through_its_angles() {
        let phi = [-150.0, -80.0, -20.0, 35.0, 100.0];
        let m = HomodyneModel::new(
            AnalysisMode::Static,
            ScalingMode::Fourier { order: 1 },
            ModelForm::Published,
            TimeGrid::new(0.1, 30).unwrap(),
            &phi,
            0.0054,
            2e6,
        )
        .unwrap();
        let (a, b) = ([0.3, 0.02, -0.01], [1.0, 0.0, 0.004]);
        let physical = [5000.0, -0.2, 10.0];
        let truth = m.layout().assemble(&a, &b, &physical).unwrap();
        let data = CorrelationData::synthetic(&m, &truth, 0.0, 1).unwrap();
        let (got_a, got_b) = estimate_scaling(&m, &data, &physical).unwrap();
        for (got, want) in got_a.iter().chain(&got_b).zip(a.iter().chain(&b)) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
        // Harmonics beyond their bounds are clipped into them.
        let wild = m
            .layout()
            .assemble(&[0.3, 0.3, 0.0], &b, &physical)
            .unwrap();
        let data = CorrelationData::synthetic(&m, &wild, 0.0, 1).unwrap();
        let (got_a, _) = estimate_scaling(&m, &data, &physical).unwrap();
        assert_eq!(got_a[1], 0.2, "{got_a:?}");
    }

    /// Data whose only correlation is on the diagonal: the floor is the offset, the
    /// ceiling of the shortest lags (0 to 2 frames of 20) offset plus contrast.
    fn diagonal_data(n_t: usize, contrast: f64, offset: f64) -> CorrelationData {
        let mut c2 = vec![offset; 2 * n_t * n_t];
        for k in 0..2 {
            for i in 0..n_t {
                c2[(k * n_t + i) * n_t + i] = offset + contrast * (1.0 + k as f64);
            }
        }
        CorrelationData::new(0.0054, 0.1, vec![0.0, 90.0], n_t, c2).unwrap()
    }

    #[test]
    fn the_quantile_estimate_reads_floor_and_ceiling_as_the_package_does() {
        let data = diagonal_data(20, 0.3, 1.02);
        let (contrasts, offsets) =
            quantile_scaling(&data, PointSelection::All, CONTRAST_BOUNDS, OFFSET_BOUNDS);
        assert!((contrasts[0] - 0.3).abs() < 1e-15, "{contrasts:?}");
        assert!((contrasts[1] - 0.6).abs() < 1e-15, "{contrasts:?}");
        assert_eq!(offsets, [1.02, 1.02]);
        // Clipped to the bounds given (the configured ones, in the package).
        let (contrasts, offsets) =
            quantile_scaling(&data, PointSelection::All, (0.0, 0.5), (0.5, 1.0));
        assert_eq!(offsets, [1.0, 1.0]);
        assert_eq!(contrasts, [0.32000000000000006, 0.5]);
        // Without the diagonal nothing is correlated: no contrast.
        let (contrasts, _) = quantile_scaling(
            &data,
            PointSelection::UpperTriangle,
            CONTRAST_BOUNDS,
            OFFSET_BOUNDS,
        );
        assert_eq!(contrasts, [0.0, 0.0]);
        // Under 100 points an angle gets the middle of the bounds.
        let small = diagonal_data(9, 0.3, 1.02);
        assert_eq!(
            quantile_scaling(&small, PointSelection::All, CONTRAST_BOUNDS, OFFSET_BOUNDS),
            (vec![0.5, 0.5], vec![1.0, 1.0])
        );
    }

    #[test]
    fn percentiles_interpolate_as_numpy() {
        // np.percentile([4, 1, 3, 2], 10) = 1.3, np.percentile([1, 2, 3, 4, 10], 90) = 7.6
        assert!((percentile(&[4.0, 1.0, 3.0, 2.0], 0.1).unwrap() - 1.3).abs() < 1e-15);
        assert!((percentile(&[1.0, 2.0, 3.0, 4.0, 10.0], 0.9).unwrap() - 7.6).abs() < 1e-14);
        assert_eq!(percentile(&[f64::NAN, 1.0, 2.0], 0.5), Some(1.5));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[f64::NAN], 0.5), None);
    }

    #[test]
    fn a_flat_start_falls_back_to_the_lags() {
        let m = model(ScalingMode::Constant);
        let truth = [0.3, 1.0, 1e5, 0.0, 0.0];
        let data = CorrelationData::synthetic(&m, &truth, 0.0, 1).unwrap();
        // D0 = 1e-9 (below the bounds): no decay at all over the window.
        let (contrasts, offsets) = estimate_scaling(&m, &data, &[1e-9, 0.0, 0.0]).unwrap();
        assert!((offsets[0] - 1.0).abs() < 0.01, "{offsets:?}");
        // The shortest lags have decayed a little already: a start, not the truth.
        assert!(contrasts[0] > 0.2 && contrasts[0] <= 0.3, "{contrasts:?}");
    }

    #[test]
    fn mismatched_data_are_refused() {
        let m = model(ScalingMode::Individual);
        let data = CorrelationData::new(0.0054, 0.1, vec![0.0], 2, vec![1.0; 4]).unwrap();
        assert!(estimate_scaling(&m, &data, &[1e3, 0.0, 0.0]).is_err());
        let err = CorrelationData::new(0.0054, 0.1, vec![0.0], 2, vec![1.0, f64::NAN, 1.0, 1.0])
            .unwrap_err();
        assert!(err.to_string().contains("t2 index 1"), "{err}");
    }
}

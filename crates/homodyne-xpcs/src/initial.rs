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

use crate::data::CorrelationData;
use crate::error::XpcsError;
use crate::model::HomodyneModel;
use crate::parameters::{CONTRAST_BOUNDS, OFFSET_BOUNDS};

/// Smallest contrast a start may have: a contrast of exactly 0 makes every physical
/// derivative vanish, and the solver could not leave it.
pub const MIN_START_CONTRAST: f64 = 1e-3;

/// Contrasts and offsets (one per scaling group) for `data` at the physical parameters
/// `physical`.
pub fn estimate_scaling(
    model: &HomodyneModel,
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
    let groups = layout.n_scaling_groups();
    let unit = layout.assemble(&vec![1.0; groups], &vec![0.0; groups], physical)?;
    let g = model.values(&unit);
    let n_t = data.n_t;
    let size = n_t * n_t;
    let (mut contrasts, mut offsets) = (Vec::with_capacity(groups), Vec::with_capacity(groups));
    for group in 0..groups {
        let angles: Vec<usize> = (0..layout.n_phi)
            .filter(|&k| layout.contrast_index(k) == group)
            .collect();
        let (mut n, mut mean_g, mut mean_y) = (0.0, 0.0, 0.0);
        for &k in &angles {
            for idx in k * size..(k + 1) * size {
                n += 1.0;
                mean_g += (g[idx] - mean_g) / n;
                mean_y += (data.c2[idx] - mean_y) / n;
            }
        }
        let (mut cov, mut var) = (0.0, 0.0);
        for &k in &angles {
            for idx in k * size..(k + 1) * size {
                cov += (g[idx] - mean_g) * (data.c2[idx] - mean_y);
                var += (g[idx] - mean_g) * (g[idx] - mean_g);
            }
        }
        let (contrast, offset) = if var > 1e-12 * n {
            let contrast = cov / var;
            (contrast, mean_y - contrast * mean_g)
        } else {
            // Model flat at the start: read the scaling off the data's lags.
            let (mut long, mut long_n, mut short, mut short_n) = (0.0, 0.0, 0.0, 0.0);
            for &k in &angles {
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
        };
        contrasts.push(contrast.clamp(MIN_START_CONTRAST, CONTRAST_BOUNDS.1));
        offsets.push(offset.clamp(OFFSET_BOUNDS.0, OFFSET_BOUNDS.1));
    }
    Ok((contrasts, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AnalysisMode, ModelForm, ScalingMode, TimeGrid};

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

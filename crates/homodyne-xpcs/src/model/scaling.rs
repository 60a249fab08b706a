//! How the scaling parameters enter [`HomodyneModel`]'s rows: each angle's contrast and
//! offset `B_k a`, `B_k b` ([`crate::scaling`]), and where the scaling columns sit in a
//! Jacobian row (every column, or the active ones of a chunk).

use crate::parameters::ScalingMode;

use super::HomodyneModel;
use super::kernel::Columns;

impl HomodyneModel {
    /// Every angle's contrast and offset at `p` (of the layout's length): `B_k a` and
    /// `B_k b` over the nonzero terms of the scaling map, so that an individual or shared
    /// value is taken as it is.
    pub(super) fn per_angle_scaling(&self, p: &[f64]) -> (Vec<f64>, Vec<f64>) {
        super::point_grid::per_angle_scaling(&self.scaling_terms, self.layout.n_scaling_groups(), p)
    }

    /// Fills `cols` with the row positions of angle `angle`'s scaling and physical
    /// columns, in full rows (`active` is `None`) or among the columns `active`; false
    /// when one of them is not active.
    pub(super) fn columns(
        &self,
        angle: usize,
        active: Option<&[usize]>,
        cols: &mut Columns,
    ) -> bool {
        let layout = &self.layout;
        let groups = layout.n_scaling_groups();
        let terms = &self.scaling_terms[angle];
        cols.scaling.clear();
        match active {
            None => {
                cols.scaling
                    .extend(terms.iter().map(|&(j, w)| (j, groups + j, w)));
                cols.physical = layout.physical_start();
                true
            }
            Some(active) => {
                let Some(physical) = active.len().checked_sub(layout.mode.n_physical()) else {
                    return false;
                };
                if !active[physical..]
                    .iter()
                    .copied()
                    .eq(layout.physical_start()..layout.n_params())
                {
                    return false;
                }
                let scaling = &active[..physical];
                for &(j, w) in terms {
                    match (
                        scaling.binary_search(&j),
                        scaling.binary_search(&(groups + j)),
                    ) {
                        (Ok(c), Ok(o)) => cols.scaling.push((c, o, w)),
                        _ => return false,
                    }
                }
                cols.physical = physical;
                true
            }
        }
    }

    /// [`homodyne_core::Model::active_parameters`]: the contrasts and offsets of the
    /// angles among `x`, and the physical parameters, with individual scaling; `false`
    /// (every column active) with constant or Fourier scaling, whose scaling parameters
    /// enter every row.
    pub(super) fn active_scaling_columns(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
        if self.layout.scaling != ScalingMode::Individual || x.is_empty() {
            return false;
        }
        let angle_of = |v: f64| self.decode(v).map(|(k, _, _)| k);
        active.clear();
        // Increasing indices (the usual case, with or without the diagonal) lie in the
        // angles from the first one's to the last one's.
        let increasing = x.windows(2).all(|w| w[1] > w[0]);
        if increasing {
            let (Some(first), Some(last)) = (angle_of(x[0]), angle_of(x[x.len() - 1])) else {
                return false;
            };
            active.extend(first..=last);
        } else {
            for &v in x {
                let Some(k) = angle_of(v) else {
                    return false;
                };
                if let Err(at) = active.binary_search(&k) {
                    active.insert(at, k);
                }
            }
        }
        let angles = active.len();
        for a in 0..angles {
            let k = active[a];
            active[a] = self.layout.contrast_index(k);
            active.push(self.layout.offset_index(k));
        }
        active.extend(self.layout.physical_start()..self.layout.n_params());
        true
    }
}

#[cfg(test)]
mod tests {
    use homodyne_core::Model;

    use crate::model::ModelForm;
    use crate::parameters::{AnalysisMode, ScalingMode};
    use crate::rates::TimeGrid;

    use super::HomodyneModel;

    const PHI: [f64; 6] = [-150.0, -80.0, -20.0, 35.0, 100.0, 160.0];
    const PHYSICAL: [f64; 7] = [800.0, -0.3, 5.0, 0.01, 0.2, 0.001, 3.0];

    fn individual(form: ModelForm) -> HomodyneModel {
        HomodyneModel::new(
            AnalysisMode::LaminarFlow,
            ScalingMode::Individual,
            form,
            TimeGrid::new(0.1, 6).unwrap(),
            &PHI,
            0.0054,
            2e6,
        )
        .unwrap()
    }

    /// The series' model equals the individual model at the series' per-angle values,
    /// in both forms.
    #[test]
    fn a_fourier_model_is_the_individual_model_at_the_series_values() {
        for form in [ModelForm::Published, ModelForm::PythonCompat] {
            let per_angle = individual(form);
            let fourier = per_angle
                .with_scaling(ScalingMode::Fourier { order: 2 })
                .unwrap();
            let layout = *fourier.layout();
            let a = [0.3, 0.02, -0.01, 0.005, 0.004];
            let b = [1.0, 0.002, 0.001, -0.003, 0.0];
            let p = layout.assemble(&a, &b, &PHYSICAL).unwrap();
            let (contrasts, offsets) = layout.per_angle_scaling(&p, &PHI);
            let q = (per_angle.layout())
                .assemble(&contrasts, &offsets, &PHYSICAL)
                .unwrap();
            let (got, want) = (fourier.values(&p), per_angle.values(&q));
            for (r, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-15 * w.abs(),
                    "{form:?} point {r}: {g} vs {w}"
                );
            }
        }
    }

    /// Every row of a Fourier model involves every coefficient: no column is left out,
    /// and rows of every column through the active path are the full rows; a chunk
    /// whose active columns miss a coefficient gets NaN, not wrong numbers.
    #[test]
    fn fourier_rows_involve_every_coefficient() {
        let fourier = individual(ModelForm::Published)
            .with_scaling(ScalingMode::Fourier { order: 1 })
            .unwrap();
        let layout = *fourier.layout();
        let n = layout.n_params();
        let p = layout
            .assemble(&[0.3, 0.01, 0.02], &[1.0, 0.0, 0.001], &PHYSICAL)
            .unwrap();
        let x: Vec<f64> = (30..50).map(|i| i as f64).collect();
        let mut active = Vec::new();
        assert!(!fourier.active_parameters(&x, &mut active));
        let all: Vec<usize> = (0..n).collect();
        let mut values = vec![0.0; x.len()];
        let mut full = vec![0.0; x.len() * n];
        fourier.eval_with_jacobian(&x, &p, &mut values, &mut full);
        let mut narrow_values = vec![0.0; x.len()];
        let mut narrow = vec![0.0; x.len() * n];
        fourier.eval_with_active_jacobian(&x, &p, &all, &mut narrow_values, &mut narrow);
        assert_eq!((values.clone(), full.clone()), (narrow_values, narrow));
        // Every offset coefficient's column is the basis at the point's angle.
        let map = layout.scaling_map(&PHI);
        for (r, &xr) in x.iter().enumerate() {
            let (k, _, _) = fourier.decode(xr).unwrap();
            for j in 0..3 {
                assert_eq!(full[r * n + 3 + j], map[k * 3 + j]);
            }
        }
        let without_s1: Vec<usize> = (0..n).filter(|&c| c != 2).collect();
        let mut bad_values = vec![0.0; x.len()];
        let mut bad = vec![0.0; x.len() * without_s1.len()];
        fourier.eval_with_active_jacobian(&x, &p, &without_s1, &mut bad_values, &mut bad);
        assert!(bad_values.iter().chain(&bad).all(|v| v.is_nan()));
    }

    #[test]
    fn a_series_with_more_coefficients_than_angles_is_refused() {
        let three = HomodyneModel::new(
            AnalysisMode::Static,
            ScalingMode::Individual,
            ModelForm::Published,
            TimeGrid::new(0.1, 6).unwrap(),
            &PHI[..3],
            0.0054,
            2e6,
        )
        .unwrap();
        assert!(
            three
                .with_scaling(ScalingMode::Fourier { order: 1 })
                .is_ok()
        );
        let err = three
            .with_scaling(ScalingMode::Fourier { order: 2 })
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("needs as many distinct angles, got 3"),
            "{err}"
        );
    }
}

//! The model on every point of its grid at once ([`HomodyneModel::values`]), and with it
//! the raw theory ([`HomodyneModel::values_and_raw`]): row by row without index arrays,
//! the angles shared among the machine's threads in contiguous runs.

use homodyne_core::vector_math::vectorized;

use super::HomodyneModel;
use super::kernel::with_scratch;

impl HomodyneModel {
    /// The model at `parameters` on every point, in the order of [`HomodyneModel::point`]
    /// (the layout of [`crate::CorrelationData::c2`]), the same bits as
    /// [`Model::eval`](homodyne_core::Model::eval) on those points (NaN for a parameter
    /// vector of the wrong length). Evaluated row by row without index arrays, the angles
    /// shared among the machine's threads in contiguous runs; each value depends on its
    /// point alone, so the result does not depend on the number of threads.
    pub fn values(&self, parameters: &[f64]) -> Vec<f64> {
        self.evaluate_grid(parameters, false).0
    }

    /// [`HomodyneModel::values`] at `parameters`, and the raw theory on the same points:
    /// the model at the same physical parameters with every angle's contrast and offset
    /// 1 (`1 + g1^2`: `c2_theoretical_raw` of the output files), computed from the same
    /// factors, so at about the cost of one evaluation. The raw values are the bits of
    /// `values` at parameters whose per-angle scaling is exactly `(1, 1)`.
    pub fn values_and_raw(&self, parameters: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (values, raw) = self.evaluate_grid(parameters, true);
        (values, raw.unwrap_or_default())
    }

    /// The values at `parameters`, and with `with_raw` the raw theory (see
    /// [`HomodyneModel::values_and_raw`]).
    fn evaluate_grid(&self, parameters: &[f64], with_raw: bool) -> (Vec<f64>, Option<Vec<f64>>) {
        let n = self.grid.len();
        let size = n * n;
        let mut values = vec![0.0; self.n_points()];
        let mut raw = with_raw.then(|| vec![0.0; self.n_points()]);
        if parameters.len() != self.layout.n_params() {
            values.fill(f64::NAN);
            raw.iter_mut().for_each(|raw| raw.fill(f64::NAN));
            return (values, raw);
        }
        if size == 0 {
            return (values, raw);
        }
        let tables = self.tables(self.layout.physical(parameters));
        let scaling = self.per_angle_scaling(parameters);
        let n_angles = self.phi.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .clamp(1, n_angles.max(1));
        let per_thread = n_angles.div_ceil(threads).max(1);
        // The matrices of the angles from `first_angle` on, and their raw theory.
        let evaluate = |first_angle: usize, run: &mut [f64], raw_run: Option<&mut [f64]>| {
            with_scratch(|scratch| {
                vectorized(
                    #[inline(always)]
                    || {
                        let mut raw_rows = raw_run.map(|r| r.chunks_mut(n));
                        for (a, matrix) in run.chunks_mut(size).enumerate() {
                            let points = self.angle_points(&tables, &scaling, first_angle + a);
                            for (i, row) in matrix.chunks_mut(n).enumerate() {
                                match raw_rows.as_mut().and_then(Iterator::next) {
                                    Some(raw) => points.evaluate_row_with_raw(i, row, raw, scratch),
                                    None => points.evaluate_row(i, 0, row, None, scratch),
                                }
                            }
                        }
                    },
                )
            })
        };
        let evaluate = &evaluate;
        let chunk = per_thread * size;
        std::thread::scope(|scope| {
            let mut raw_runs = raw.as_mut().map(|raw| raw.chunks_mut(chunk));
            let mut runs = values.chunks_mut(chunk).enumerate().map(|(r, run)| {
                let raw_run = raw_runs.as_mut().and_then(Iterator::next);
                (r, run, raw_run)
            });
            // The first run on this thread, the others on their own.
            let first = runs.next();
            for (r, run, raw_run) in runs {
                scope.spawn(move || evaluate(r * per_thread, run, raw_run));
            }
            if let Some((_, run, raw_run)) = first {
                evaluate(0, run, raw_run);
            }
        });
        (values, raw)
    }
}

#[cfg(test)]
mod tests {
    use crate::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};

    /// The raw theory is the model with every contrast and offset 1, to the bit, in both
    /// forms and both modes, and the values are those of `values`.
    #[test]
    fn the_raw_theory_is_the_model_at_unit_scaling() {
        for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
            for form in [ModelForm::Published, ModelForm::PythonCompat] {
                let phi = [-20.0, 10.0, 45.0];
                let grid = TimeGrid::new(0.1, 37).unwrap();
                let model = HomodyneModel::new(
                    mode,
                    ScalingMode::Individual,
                    form,
                    grid,
                    &phi,
                    0.0054,
                    2e6,
                )
                .unwrap();
                let layout = *model.layout();
                let physical: &[f64] = match mode {
                    AnalysisMode::Static => &[15_000.0, -0.6, 50.0],
                    AnalysisMode::LaminarFlow => &[15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0],
                    AnalysisMode::TwoComponent => unreachable!("homodyne modes only"),
                };
                let p = layout
                    .assemble(&[0.3, 0.25, 0.2], &[1.0, 1.01, 0.99], physical)
                    .unwrap();
                let unit = layout.assemble(&[1.0; 3], &[1.0; 3], physical).unwrap();
                let (values, raw) = model.values_and_raw(&p);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&values), bits(&model.values(&p)), "{mode:?} {form:?}");
                assert_eq!(bits(&raw), bits(&model.values(&unit)), "{mode:?} {form:?}");
            }
        }
    }
}

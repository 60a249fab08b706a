//! The model on every point of the output arrays, the angles shared among the machine's
//! threads.

use homodyne_core::Model;

use crate::model::HomodyneModel;

/// The model at `parameters` on every point, as [`HomodyneModel::values`] computes it
/// (in the order of [`HomodyneModel::point`]) and to the same bits: each angle's
/// `n_t x n_t` matrix is evaluated by one call of the model on that angle's flat indices,
/// the same call `values` makes, and the angles are shared among the machine's threads in
/// contiguous runs. So the result does not depend on the number of threads; 23 angles of
/// 1001 x 1001 frames take half the time on two cores.
pub fn model_values(model: &HomodyneModel, parameters: &[f64]) -> Vec<f64> {
    let size = model.grid().len() * model.grid().len();
    let mut values = vec![0.0; model.n_points()];
    if size == 0 {
        return values;
    }
    let n_angles = values.len() / size;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, n_angles.max(1));
    let per_thread = n_angles.div_ceil(threads).max(1);
    let evaluate = |first_angle: usize, run: &mut [f64]| {
        let mut x = vec![0.0; size];
        for (k, out) in run.chunks_mut(size).enumerate() {
            let start = (first_angle + k) * size;
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = (start + i) as f64;
            }
            model.eval(&x[..out.len()], parameters, out);
        }
    };
    let evaluate = &evaluate;
    std::thread::scope(|scope| {
        let mut runs = values.chunks_mut(per_thread * size).enumerate();
        // The first run on this thread, the others on their own.
        let first = runs.next();
        for (r, run) in runs {
            scope.spawn(move || evaluate(r * per_thread, run));
        }
        if let Some((_, run)) = first {
            evaluate(0, run);
        }
    });
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AnalysisMode, ModelForm, ScalingMode, TimeGrid};

    #[test]
    fn the_same_bits_as_the_model_angle_by_angle() {
        // Laminar flow at 5 angles (more than the threads of most machines) and 17 frames.
        let phi = [-40.0, -10.0, 0.0, 25.0, 80.0];
        let model = HomodyneModel::new(
            AnalysisMode::LaminarFlow,
            ScalingMode::Individual,
            ModelForm::Published,
            TimeGrid::new(0.1, 17).unwrap(),
            &phi,
            0.0054,
            2e6,
        )
        .unwrap();
        let layout = model.layout();
        let contrasts: Vec<f64> = (0..phi.len()).map(|k| 0.25 + 0.01 * k as f64).collect();
        let offsets = vec![1.0; phi.len()];
        let physical = [15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0];
        let parameters = layout.assemble(&contrasts, &offsets, &physical).unwrap();
        let expected = model.values(&parameters);
        let got = model_values(&model, &parameters);
        assert_eq!(got.len(), 5 * 17 * 17);
        assert!(got.iter().all(|v| v.is_finite()));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&expected));
    }
}

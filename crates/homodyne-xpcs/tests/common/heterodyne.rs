//! The `moderate` heterodyne case of the noise-free fits: xpcsjax's fit grid (20 frames
//! of 0.1 s, `t_k = dt (k + 1)`) at 2 angles, its physical truth, the factors of a start
//! 5-20% off it, and the fit's support.

use homodyne_xpcs::ScalingMode;
use homodyne_xpcs::heterodyne::{HeterodyneModel, fit_time_grid};

/// The `moderate` case's physical parameters (every term O(1), phases of a few radians).
pub const MODERATE: [f64; 14] = [
    50.0, 0.4, 5.0, 300.0, 1.3, -20.0, 400.0, 0.7, -3.0, 0.45, 0.8, 1.0, 0.3, 4.0,
];

/// The factors that take [`MODERATE`] to the start of a fit, 5-20% off it.
pub const OFF: [f64; 14] = [
    1.1, 0.9, 1.2, 0.9, 1.05, 1.1, 1.05, 0.9, 1.1, 0.9, 1.1, 1.0, 0.9, 1.2,
];

/// The model of the noise-free fits: individual scaling, angles 0 and 60 degrees, 20
/// frames of xpcsjax's fit grid, `q = 0.0237` 1/Angstrom.
pub fn moderate_model() -> HeterodyneModel {
    HeterodyneModel::new(
        ScalingMode::Individual,
        fit_time_grid(0.1, 20).unwrap(),
        &[0.0, 60.0],
        0.0237,
    )
    .unwrap()
}

/// xpcsjax's fit support on the first two angles of `model`: every frame pair `(i, j)`
/// but the diagonal and frame 0.
pub fn fit_support(model: &HeterodyneModel) -> Vec<f64> {
    let n = model.grid().len();
    (0..2)
        .flat_map(|k| {
            (1..n).flat_map(move |i| (1..n).filter(move |&j| j != i).map(move |j| (k, i, j)))
        })
        .map(|(k, i, j)| model.point(k, i, j) as f64)
        .collect()
}

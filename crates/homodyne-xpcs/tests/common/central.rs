//! For the derivative checks: a model's values and Jacobian, each column's scale, and
//! the central differences of a column at several steps, with their Richardson
//! extrapolations.

use homodyne_core::Model;

/// For column `c` of `model` at `p` on the points `x`: the central differences
/// `(c2(p + h e_c) - c2(p - h e_c)) / 2h`, `h = step max(|p_c|, 0.01)`, at every step of
/// `steps`, then the Richardson extrapolations `(100 D(h / 10) - D(h)) / 99` of each pair
/// of neighbouring steps (which cancel the `h^2` error term when the steps are a decade
/// apart). Each comes with its rounding floor per point, `4 (eps max|c2| + absolute) / h`
/// (`absolute` for values known to an absolute precision only, near zero), and
/// `100 / 99 1.1` times the finer step's for an extrapolation.
pub fn central_differences(
    model: &impl Model,
    x: &[f64],
    p: &[f64],
    c: usize,
    steps: &[f64],
    absolute: f64,
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut columns: Vec<(Vec<f64>, Vec<f64>)> = steps
        .iter()
        .map(|&step| {
            let h = step * p[c].abs().max(1e-2);
            let (mut plus, mut minus) = (p.to_vec(), p.to_vec());
            plus[c] += h;
            minus[c] -= h;
            let (mut up, mut down) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            model.eval(x, &plus, &mut up);
            model.eval(x, &minus, &mut down);
            up.iter()
                .zip(&down)
                .map(|(u, d)| {
                    (
                        (u - d) / (2.0 * h),
                        4.0 * (f64::EPSILON * u.abs().max(d.abs()) + absolute) / h,
                    )
                })
                .unzip()
        })
        .collect();
    for k in 1..steps.len() {
        let (coarse, fine) = (&columns[k - 1], &columns[k]);
        let extrapolated = coarse
            .0
            .iter()
            .zip(&fine.0)
            .map(|(c, f)| (100.0 * f - c) / 99.0)
            .collect();
        let floor = fine.1.iter().map(|f| f * 100.0 / 99.0 * 1.1).collect();
        columns.push((extrapolated, floor));
    }
    columns
}

/// `model`'s values and Jacobian (row-major, `n_params` entries a point) at `p` on the
/// points `x`.
pub fn values_and_jacobian(model: &impl Model, x: &[f64], p: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut values = vec![0.0; x.len()];
    let mut jacobian = vec![0.0; x.len() * model.n_params()];
    model.eval_with_jacobian(x, p, &mut values, &mut jacobian);
    (values, jacobian)
}

/// The largest magnitude of each column of a row-major Jacobian of `n` columns: the scale
/// below which an entry is a derivative that cancels to rounding.
pub fn column_scales(jacobian: &[f64], n: usize) -> Vec<f64> {
    (0..n)
        .map(|c| {
            jacobian
                .iter()
                .skip(c)
                .step_by(n)
                .map(|v| v.abs())
                .fold(0.0, f64::max)
        })
        .collect()
}

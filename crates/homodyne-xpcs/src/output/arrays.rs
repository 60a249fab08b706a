//! The arrays of `fitted_data.npz` and `fitted_data.h5`, computed one at a time in the
//! package's key order and handed to both files (the table in the module documentation of
//! `output`), and the chi-squared of the fitted elements. The one array that takes long
//! to compute, the raw theory, is had while the data are being written (computed here, or
//! handed over by a caller that computed it with the fitted values); the model at the
//! fitted parameters is asked for last, so that a caller can compute it meanwhile.
//!
//! Each matrix is computed while the one before it is written: peak memory besides the
//! data, the fitted values and a raw theory handed over is two matrices of `n N^2` values
//! (the raw theory computed here or the residuals in one, the scaled theory, then the
//! normalised residuals, in the other), 368 MB for 23 angles of 1001 x 1001 frames; the
//! files are written from them without a copy.

use std::borrow::Cow;

use crate::error::XpcsError;

use super::fitted_data::FittedDataFiles;
use super::inputs::NlsqOutputs;

/// `residuals_normalized = residuals / (NORMALIZED_RESIDUAL_FRACTION * c2_exp)`.
pub const NORMALIZED_RESIDUAL_FRACTION: f64 = 0.05;

/// Computes every array, hands each to both files in the package's key order, and returns
/// the sum of squared residuals of the solver's model over the fitted elements, each
/// angle's divided by its sigma^2 when a sigma is given. `raw` gives the raw theory
/// (`c2_theoretical_raw`), called on a thread of its own while the data are written;
/// `solver` gives the model at the fitted parameters on every point (`c2_solver_scaled`,
/// `HomodyneModel::values`), `n N^2` values, called once when the other arrays are
/// written.
pub(crate) fn write_arrays<'f>(
    outputs: &NlsqOutputs,
    raw: impl FnOnce() -> Result<Cow<'f, [f64]>, XpcsError> + Send,
    solver: impl FnOnce() -> Result<&'f [f64], XpcsError>,
    files: &mut FittedDataFiles,
) -> Result<f64, XpcsError> {
    let model = outputs.model;
    let layout = model.layout();
    let parameters = &outputs.result.parameters;
    let exp = &outputs.data.c2;
    let n_phi = model.phi().len();
    let n_t = model.grid().len();
    let size = n_t * n_t;
    let cube = [n_phi, n_t, n_t];
    let mut put = |key: &str, shape: &[usize], values: &[f64]| files.put(key, shape, values);

    put("phi_angles", &[n_phi], model.phi())?;
    // The raw theory is had while the data are written.
    let (data_written, raw) = std::thread::scope(|scope| {
        let raw = scope.spawn(raw);
        (put("c2_exp", &cube, exp), raw.join())
    });
    data_written?;
    let raw = raw.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;

    // Each matrix is computed while the one before it is written, in two buffers in turn.
    // Post-hoc per-angle least squares of the data on [raw, 1], applied into a second
    // buffer while the raw theory is written.
    let mut scaling = Vec::with_capacity(2 * n_phi);
    let mut scaled = Vec::with_capacity(raw.len());
    alongside(
        || put("c2_theoretical_raw", &cube, &raw),
        || {
            for k in 0..n_phi {
                let range = k * size..(k + 1) * size;
                let (a, b) = least_squares_scaling(&raw[range.clone()], &exp[range.clone()]);
                scaled.extend(raw[range].iter().map(|&value| a * value + b));
                scaling.extend([a, b]);
            }
        },
    )?;
    // The residuals go into the raw theory's buffer when it is this function's, while the
    // scaled theory is written.
    let mut residual_buffer = match raw {
        Cow::Owned(buffer) => buffer,
        Cow::Borrowed(raw) => vec![0.0; raw.len()],
    };
    let residuals = &mut residual_buffer;
    alongside(
        || put("c2_theoretical_scaled", &cube, &scaled),
        || {
            for ((value, &y), &f) in residuals.iter_mut().zip(exp).zip(&scaled) {
                *value = y - f;
            }
        },
    )?;
    put("per_angle_scaling", &[n_phi, 2], &scaling)?;
    let (solver_contrasts, solver_offsets) = layout.per_angle_scaling(parameters, model.phi());
    let solver_scaling: Vec<f64> = solver_contrasts
        .iter()
        .zip(&solver_offsets)
        .flat_map(|(&c, &o)| [c, o])
        .collect();
    put("per_angle_scaling_solver", &[n_phi, 2], &solver_scaling)?;
    // The normalised residuals go into the scaled theory's buffer while the residuals are
    // written.
    let normalized = &mut scaled;
    alongside(
        || put("residuals", &cube, residuals),
        || {
            for ((value, &y), &r) in normalized.iter_mut().zip(exp).zip(residuals.iter()) {
                *value = if y != 0.0 {
                    r / (NORMALIZED_RESIDUAL_FRACTION * y)
                } else {
                    0.0
                };
            }
        },
    )?;
    put("residuals_normalized", &cube, normalized)?;
    drop((residual_buffer, scaled));

    let times = model.grid().times();
    put("t1", &[n_t], times)?;
    put("t2", &[n_t], times)?;
    put("q", &[1], &[model.q()])?;

    let solver = solver()?;
    put("c2_solver_scaled", &cube, solver)?;
    // Over the fitted elements, summed angle by angle, row by row: partial sums keep the
    // rounding small. Each angle's squares are divided by its sigma^2 when one is given.
    let selection = outputs.points;
    let weight = |row: usize| {
        outputs
            .sigma
            .map_or(1.0, |sigma| sigma.of_angle(row / n_t.max(1)).powi(-2))
    };
    let chi_squared = exp
        .chunks(n_t.max(1))
        .zip(solver.chunks(n_t.max(1)))
        .enumerate()
        .map(|(row, (y, f))| {
            let i = row % n_t.max(1);
            y.iter()
                .zip(f)
                .enumerate()
                .filter(|&(j, _)| selection.includes(i, j))
                .map(|(_, (y, f))| (y - f) * (y - f))
                .sum::<f64>()
                * weight(row)
        })
        .sum();
    Ok(chi_squared)
}

/// Runs `write` on this thread and `compute` on a scoped one at the same time; the result
/// of `write` once both are done (a panic of `compute` is resumed here).
fn alongside(
    write: impl FnOnce() -> Result<(), XpcsError>,
    compute: impl FnOnce() + Send,
) -> Result<(), XpcsError> {
    std::thread::scope(|scope| {
        let computing = scope.spawn(compute);
        let written = write();
        computing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written
    })
}

/// `(a, b)` minimising `sum (a raw + b - y)^2`, as NumPy's `lstsq` of `y` on `[raw, 1]`:
/// when `raw` is constant to rounding (a rank-one matrix) the minimum-norm solution.
fn least_squares_scaling(raw: &[f64], y: &[f64]) -> (f64, f64) {
    let n = raw.len() as f64;
    if raw.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let [sum_raw, sum_y] = lane_sums(raw, y, |r, v| [r, v]);
    let (mean_raw, mean_y) = (sum_raw / n, sum_y / n);
    let [sxy, sxx, norm2] = lane_sums(raw, y, |r, v| {
        let dr = r - mean_raw;
        [dr * (v - mean_y), dr * dr, r * r]
    });
    // NumPy drops singular values below eps * max(rows, cols) * sigma_max; the smallest
    // singular value of [raw, 1] is about the spread of raw about its mean.
    let rank_one = sxx.sqrt() <= f64::EPSILON * n.max(2.0) * (norm2 + n).sqrt();
    if rank_one {
        let d = mean_raw * mean_raw + 1.0;
        (mean_y * mean_raw / d, mean_y / d)
    } else {
        let a = sxy / sxx;
        (a, mean_y - a * mean_raw)
    }
}

/// Independent running sums per [`LANES`] consecutive elements.
const LANES: usize = 8;

/// The sums over `i` of the `K` terms `terms(a[i], b[i])`, each kept in [`LANES`]
/// interleaved partial sums added at the end: the additions of one lane do not wait for
/// the others' (a single running sum over a 1001 x 1001 matrix is bound by the latency of
/// each addition), and the rounding error grows with `n / LANES` rather than `n`.
fn lane_sums<const K: usize>(
    a: &[f64],
    b: &[f64],
    terms: impl Fn(f64, f64) -> [f64; K],
) -> [f64; K] {
    let mut lanes = [[0.0; LANES]; K];
    let (a_blocks, b_blocks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (a_rest, b_rest) = (a_blocks.remainder(), b_blocks.remainder());
    for (a_block, b_block) in a_blocks.zip(b_blocks) {
        for lane in 0..LANES {
            let t = terms(a_block[lane], b_block[lane]);
            for k in 0..K {
                lanes[k][lane] += t[k];
            }
        }
    }
    for (lane, (&x, &y)) in a_rest.iter().zip(b_rest).enumerate() {
        let t = terms(x, y);
        for k in 0..K {
            lanes[k][lane] += t[k];
        }
    }
    lanes.map(|partial| partial.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_matches_the_closed_form_and_the_rank_one_case() {
        let raw: Vec<f64> = (0..50).map(|i| 1.0 + (-(i as f64) / 10.0).exp()).collect();
        let y: Vec<f64> = raw.iter().map(|r| 0.3 * r + 0.7).collect();
        let (a, b) = least_squares_scaling(&raw, &y);
        assert!(
            (a - 0.3).abs() < 1e-12 && (b - 0.7).abs() < 1e-12,
            "{a} {b}"
        );
        // Constant raw: NumPy's minimum-norm solution mean_y * (c, 1) / (c^2 + 1).
        let (a, b) = least_squares_scaling(&[2.0; 10], &[1.0, 3.0].repeat(5));
        assert!(
            (a - 0.8).abs() < 1e-15 && (b - 0.4).abs() < 1e-15,
            "{a} {b}"
        );
        let (a, b) = least_squares_scaling(&[], &[]);
        assert!(a.is_nan() && b.is_nan());
    }
}

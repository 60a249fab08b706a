//! Per-angle scaling: the modes ([`ScalingMode`]: per angle, shared, Fourier series) and
//! the linear map from a layout's scaling parameters to each angle's contrast and offset.
//!
//! Every [`ScalingMode`] gives angle `k` (at `phi_k` degrees) the contrast and offset
//!
//! ```text
//! contrast_k = sum_j B_kj a_j,    offset_k = sum_j B_kj b_j,    j = 0 .. G-1
//! ```
//!
//! with `a` the `G` contrast parameters and `b` the `G` offset parameters of the layout
//! (`G` = [`crate::ParameterLayout::n_scaling_groups`]) and one `n_phi x G` matrix `B`
//! for both:
//!
//! | mode | `G` | row `B_k` |
//! | --- | --- | --- |
//! | [`ScalingMode::Individual`] | `n_phi` | the unit vector `e_k` |
//! | [`ScalingMode::Constant`] | 1 | `[1]` |
//! | [`ScalingMode::Fourier`] of order `K` | `1 + 2K` | `[1, cos(phi_k), sin(phi_k), .., cos(K phi_k), sin(K phi_k)]` |
//!
//! with `phi_k` in radians for the Fourier series, as the Python package
//! (`optimization/nlsq/fourier_reparam.py`) takes it: `contrast(phi) = c0 + sum_k (c_k
//! cos(k phi) + s_k sin(k phi))`, the same for the offset. Because the map is linear,
//! `d c2 / d a_j = B_kj g` and `d c2 / d b_j = B_kj` at a point of angle `k` (`g` the
//! correlation factor that the contrast multiplies), and the per-angle covariance of
//! the contrasts is `B C_a B^T` for a covariance `C_a` of `a` (the package's
//! `with_fourier_covariance_transform`).
//!
//! The other way, `project` finds the layout's scaling parameters closest to given
//! per-angle values in least squares: the values themselves (individual), their mean
//! (constant), the least-squares Fourier coefficients (the package's `per_angle_to_fourier`).

/// How `c2 = offset + contrast * g1^2` is scaled across angles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalingMode {
    /// A contrast and an offset per angle (`2 n_phi` scaling parameters).
    Individual,
    /// One contrast and one offset shared by all angles.
    Constant,
    /// Contrast and offset as truncated Fourier series in the angle `phi` (radians):
    /// `c0 + sum_{k=1..order} (c_k cos(k phi) + s_k sin(k phi))`, `1 + 2 order`
    /// coefficients each. Needs `order >= 1` and at least `1 + 2 order` distinct angles.
    Fourier {
        /// The number of harmonics `K`.
        order: usize,
    },
}

impl ScalingMode {
    /// The name used in configuration files (`individual`, `constant`, `fourier`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Constant => "constant",
            Self::Fourier { .. } => "fourier",
        }
    }

    /// The name with its order for a Fourier series: `individual`, `constant`,
    /// `fourier (order 2)`.
    pub fn describe(self) -> String {
        match self {
            Self::Fourier { order } => format!("fourier (order {order})"),
            other => other.name().to_owned(),
        }
    }
}

/// Below this many degrees apart (modulo 360), two angles count as the same direction
/// when counting the distinct angles a Fourier series needs.
pub const SAME_ANGLE_DEGREES: f64 = 1e-9;

/// The Fourier basis at one angle: `[1, cos(phi), sin(phi), .., cos(K phi), sin(K phi)]`,
/// `phi = phi_degrees pi / 180`, `K = order` (`1 + 2K` values).
pub fn fourier_row(phi_degrees: f64, order: usize) -> Vec<f64> {
    let phi = phi_degrees.to_radians();
    let mut row = Vec::with_capacity(1 + 2 * order);
    row.push(1.0);
    for k in 1..=order {
        let (sin, cos) = (k as f64 * phi).sin_cos();
        row.extend([cos, sin]);
    }
    row
}

/// Number of scaling parameters per kind (contrast or offset) of `scaling` over `n_phi`
/// angles: `n_phi`, 1 or `1 + 2K`.
pub fn n_groups(scaling: ScalingMode, n_phi: usize) -> usize {
    match scaling {
        ScalingMode::Individual => n_phi,
        ScalingMode::Constant => 1,
        ScalingMode::Fourier { order } => 1 + 2 * order,
    }
}

/// The matrix `B` of the module documentation for the angles `phi_degrees`, row-major
/// (`n_phi` rows of [`n_groups`] values).
pub fn scaling_map(scaling: ScalingMode, phi_degrees: &[f64]) -> Vec<f64> {
    let n_phi = phi_degrees.len();
    match scaling {
        ScalingMode::Individual => {
            let mut map = vec![0.0; n_phi * n_phi];
            for k in 0..n_phi {
                map[k * n_phi + k] = 1.0;
            }
            map
        }
        ScalingMode::Constant => vec![1.0; n_phi],
        ScalingMode::Fourier { order } => phi_degrees
            .iter()
            .flat_map(|&phi| fourier_row(phi, order))
            .collect(),
    }
}

/// The nonzero entries of each row of `B`, as `(group j, weight B_kj)`: what the model
/// needs per angle, without the zeros of the individual layout.
pub(crate) fn terms(scaling: ScalingMode, phi_degrees: &[f64]) -> Vec<Vec<(usize, f64)>> {
    match scaling {
        ScalingMode::Individual => (0..phi_degrees.len()).map(|k| vec![(k, 1.0)]).collect(),
        ScalingMode::Constant => vec![vec![(0, 1.0)]; phi_degrees.len()],
        ScalingMode::Fourier { order } => phi_degrees
            .iter()
            .map(|&phi| fourier_row(phi, order).into_iter().enumerate().collect())
            .collect(),
    }
}

/// `B a`: the per-angle values of the scaling parameters `a` (one kind, contrast or
/// offset). `a` must have [`n_groups`] values.
pub(crate) fn apply(scaling: ScalingMode, phi_degrees: &[f64], a: &[f64]) -> Vec<f64> {
    match scaling {
        ScalingMode::Individual => a.to_vec(),
        ScalingMode::Constant => vec![a[0]; phi_degrees.len()],
        ScalingMode::Fourier { order } => phi_degrees
            .iter()
            .map(|&phi| {
                fourier_row(phi, order)
                    .iter()
                    .zip(a)
                    .map(|(b, a)| b * a)
                    .sum()
            })
            .collect(),
    }
}

/// The scaling parameters `a` minimising `|B a - values|^2` (one kind): `values` for the
/// individual layout, their mean for the constant one, and for a Fourier series the
/// least-squares coefficients (Householder QR of `B`; a column whose pivot falls below
/// `max(n_phi, 1 + 2K) eps` times the largest, which happens only with fewer distinct
/// angles than coefficients, gets coefficient 0). `values` must have one value per angle.
pub(crate) fn project(scaling: ScalingMode, phi_degrees: &[f64], values: &[f64]) -> Vec<f64> {
    match scaling {
        ScalingMode::Individual => values.to_vec(),
        ScalingMode::Constant => vec![values.iter().sum::<f64>() / values.len() as f64],
        ScalingMode::Fourier { .. } => {
            let cols = n_groups(scaling, phi_degrees.len());
            least_squares(
                &scaling_map(scaling, phi_degrees),
                phi_degrees.len(),
                cols,
                values,
            )
        }
    }
}

/// Number of distinct directions among `phi_degrees`, modulo 360 degrees (within
/// [`SAME_ANGLE_DEGREES`]): a Fourier series of order `K` is determined by its values at
/// `1 + 2K` distinct directions, and by no fewer.
pub fn distinct_directions(phi_degrees: &[f64]) -> usize {
    let mut reduced: Vec<f64> = phi_degrees.iter().map(|p| p.rem_euclid(360.0)).collect();
    reduced.sort_by(f64::total_cmp);
    let mut count = 0;
    let mut last: Option<f64> = None;
    for &p in &reduced {
        if last.is_none_or(|l| p - l > SAME_ANGLE_DEGREES) {
            count += 1;
            last = Some(p);
        }
    }
    // 359.9999999999 and 0 are the same direction.
    if count > 1
        && let (Some(first), Some(last)) = (reduced.first(), reduced.last())
        && first + 360.0 - last <= SAME_ANGLE_DEGREES
    {
        count -= 1;
    }
    count
}

/// The least-squares solution of `A x = v`, `A` row-major `rows x cols` with
/// `rows >= cols`, by Householder QR. A column whose pivot `|R_jj|` is at most
/// `max(rows, cols) eps max |R_ii|` is taken as dependent and its unknown set to 0.
fn least_squares(a: &[f64], rows: usize, cols: usize, v: &[f64]) -> Vec<f64> {
    let mut r = a.to_vec();
    let mut rhs = v.to_vec();
    let steps = cols.min(rows);
    for j in 0..steps {
        let norm = (j..rows)
            .map(|i| r[i * cols + j].powi(2))
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if r[j * cols + j] > 0.0 { -norm } else { norm };
        // The reflector u = x - alpha e_1, applied as I - 2 u u^T / (u^T u).
        let mut u: Vec<f64> = (j..rows).map(|i| r[i * cols + j]).collect();
        u[0] -= alpha;
        let uu: f64 = u.iter().map(|x| x * x).sum();
        if uu == 0.0 {
            continue;
        }
        for c in j..cols {
            let dot: f64 = (j..rows).map(|i| u[i - j] * r[i * cols + c]).sum();
            let f = 2.0 * dot / uu;
            for i in j..rows {
                r[i * cols + c] -= f * u[i - j];
            }
        }
        let dot: f64 = (j..rows).map(|i| u[i - j] * rhs[i]).sum();
        let f = 2.0 * dot / uu;
        for i in j..rows {
            rhs[i] -= f * u[i - j];
        }
    }
    let largest = (0..steps)
        .map(|i| r[i * cols + i].abs())
        .fold(0.0, f64::max);
    let tolerance = rows.max(cols) as f64 * f64::EPSILON * largest;
    let mut x = vec![0.0; cols];
    for j in (0..steps).rev() {
        let pivot = r[j * cols + j];
        if pivot.abs() <= tolerance {
            continue;
        }
        let tail: f64 = (j + 1..cols).map(|c| r[j * cols + c] * x[c]).sum();
        x[j] = (rhs[j] - tail) / pivot;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    const EIGHT: [f64; 8] = [-170.0, -120.0, -75.0, -30.0, 10.0, 55.0, 100.0, 145.0];

    #[test]
    fn the_fourier_row_is_one_then_cosine_and_sine_pairs_in_radians() {
        let row = fourier_row(90.0, 2);
        assert_eq!(row.len(), 5);
        assert_eq!(row[0], 1.0);
        assert!(row[1].abs() < 1e-15 && (row[2] - 1.0).abs() < 1e-15);
        assert!((row[3] + 1.0).abs() < 1e-15 && row[4].abs() < 1e-15);
    }

    #[test]
    fn projection_recovers_a_series_exactly_and_averages_constants() {
        let fourier = ScalingMode::Fourier { order: 2 };
        let coefficients = [0.3, 0.02, -0.01, 0.005, 0.003];
        let values = apply(fourier, &EIGHT, &coefficients);
        let back = project(fourier, &EIGHT, &values);
        for (b, c) in back.iter().zip(coefficients) {
            assert!((b - c).abs() < 1e-14, "{back:?}");
        }
        // Values no series of order 1 holds: the projection is the least-squares one, so
        // its residual is orthogonal to every basis column.
        let order1 = ScalingMode::Fourier { order: 1 };
        let fit = project(order1, &EIGHT, &values);
        let residual: Vec<f64> = apply(order1, &EIGHT, &fit)
            .iter()
            .zip(&values)
            .map(|(f, v)| f - v)
            .collect();
        let map = scaling_map(order1, &EIGHT);
        for j in 0..3 {
            let dot: f64 = (0..8).map(|k| map[k * 3 + j] * residual[k]).sum();
            assert!(dot.abs() < 1e-15, "column {j}: {dot}");
        }
        assert_eq!(
            project(ScalingMode::Constant, &EIGHT[..4], &[1.0, 2.0, 3.0, 6.0]),
            [3.0]
        );
        assert_eq!(
            project(ScalingMode::Individual, &EIGHT[..2], &[0.2, 0.4]),
            [0.2, 0.4]
        );
    }

    #[test]
    fn a_dependent_column_gets_zero_not_a_blow_up() {
        // Three copies of two directions: order 1 has 3 unknowns, only 2 directions.
        let phi = [0.0, 180.0, 360.0, 540.0];
        let x = project(
            ScalingMode::Fourier { order: 1 },
            &phi,
            &[1.0, 0.5, 1.0, 0.5],
        );
        assert!(x.iter().all(|v| v.is_finite()), "{x:?}");
        let values = apply(ScalingMode::Fourier { order: 1 }, &phi, &x);
        for (v, want) in values.iter().zip([1.0, 0.5, 1.0, 0.5]) {
            assert!((v - want).abs() < 1e-12, "{values:?}");
        }
    }

    #[test]
    fn directions_are_counted_modulo_a_full_turn() {
        assert_eq!(distinct_directions(&EIGHT), 8);
        assert_eq!(distinct_directions(&[0.0, 360.0, -360.0, 90.0]), 2);
        assert_eq!(distinct_directions(&[359.999_999_999_999, 0.0]), 1);
        assert_eq!(distinct_directions(&[]), 0);
    }
}

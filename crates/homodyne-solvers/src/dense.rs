//! Small dense linear algebra on `P x P`-sized matrices (row-major `Vec<f64>`).

use faer::Mat;

/// The thin SVD `A = U diag(s) V^T` of a small row-major `rows x cols` matrix
/// (`rows >= cols`), singular values in non-increasing order.
#[derive(Debug, Clone)]
pub struct SmallSvd {
    /// `rows x cols`, row-major.
    pub u: Vec<f64>,
    /// `cols` singular values, largest first.
    pub s: Vec<f64>,
    /// `cols x cols`, row-major; column `k` is the `k`-th right singular vector.
    pub v: Vec<f64>,
    /// Rows of `A`.
    pub rows: usize,
    /// Columns of `A`.
    pub cols: usize,
}

/// Computes the thin SVD with faer. `None` when the iteration did not converge (which faer
/// reports only for matrices holding NaN or infinities).
pub fn svd(a: &[f64], rows: usize, cols: usize) -> Option<SmallSvd> {
    let mat = Mat::<f64>::from_fn(rows, cols, |i, j| a[i * cols + j]);
    let svd = mat.thin_svd().ok()?;
    let (u_f, s_f, v_f) = (svd.U(), svd.S().column_vector(), svd.V());
    let mut order: Vec<usize> = (0..cols).collect();
    order.sort_by(|&i, &j| s_f[j].total_cmp(&s_f[i]));
    let mut u = vec![0.0; rows * cols];
    let mut v = vec![0.0; cols * cols];
    let mut s = vec![0.0; cols];
    for (new, &old) in order.iter().enumerate() {
        s[new] = s_f[old];
        for i in 0..rows {
            u[i * cols + new] = u_f[(i, old)];
        }
        for i in 0..cols {
            v[i * cols + new] = v_f[(i, old)];
        }
    }
    Some(SmallSvd {
        u,
        s,
        v,
        rows,
        cols,
    })
}

/// Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    // Scaled to avoid overflow and underflow, as LAPACK's dnrm2.
    let scale = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|x| (x / scale).powi(2)).sum::<f64>().sqrt()
}

/// Dot product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svd_reconstructs_the_matrix_in_order() {
        let a = [3.0, 1.0, 0.5, 0.0, 2.0, 0.1, 1.0, 0.0, 4.0, 0.2, 0.3, 0.7];
        let d = svd(&a, 4, 3).unwrap();
        assert!(d.s[0] >= d.s[1] && d.s[1] >= d.s[2]);
        for i in 0..4 {
            for j in 0..3 {
                let rec: f64 = (0..3)
                    .map(|k| d.u[i * 3 + k] * d.s[k] * d.v[j * 3 + k])
                    .sum();
                assert!((rec - a[i * 3 + j]).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn norm_handles_extremes() {
        assert!((norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15);
        assert_eq!(norm(&[0.0, 0.0]), 0.0);
        assert!((norm(&[3e-200, 4e-200]) - 5e-200).abs() < 1e-214);
    }
}

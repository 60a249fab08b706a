//! Finite differences where an exact Jacobian is not finite.
//!
//! An exact derivative can be non-finite where the model itself is finite: the chain rule
//! at the edge of a function's domain computes `0 * inf` (for example `u^v` at `u = 0`
//! through a term whose own derivative vanishes). The model is then differentiable there,
//! or at least has one-sided difference quotients, and a fit should not fail on it. Each
//! such entry `J_ik` (model value finite, entry NaN or infinite) is replaced by the central
//! difference
//!
//! ```text
//! J_ik = (f(x_i; p + h e_k) - f(x_i; p - h e_k)) / (2 h),   h = eps^(1/3) max(|p_k|, 1e-6)
//! ```
//!
//! or a one-sided difference where one side is not finite; an entry no quotient makes
//! finite is left as it was, for the objective to report. The quotients cost two model
//! evaluations of one point per entry. The objective calls it only for a chunk where it
//! found a non-finite value (or with a robust loss, where it checks every row anyway), so
//! a finite Jacobian costs nothing more; inside, one vectorised test
//! ([`non_finite_flag`]) passes over a chunk whose Jacobian is finite.

use homodyne_core::Model;

use crate::kernels::non_finite_flag;

/// Patches the non-finite entries of the row-major `values.len() x P` Jacobian `jacobian`
/// of `model` at the points `x` (`x_dim` values each) and parameters `p` whose model value
/// is finite; returns how many entries were replaced.
pub fn patch_non_finite_jacobian<M: Model + ?Sized>(
    model: &M,
    x: &[f64],
    p: &[f64],
    values: &[f64],
    jacobian: &mut [f64],
) -> usize {
    if values.is_empty() || non_finite_flag(jacobian) == 0.0 {
        return 0;
    }
    let n = p.len();
    let d = x.len() / values.len();
    let mut shifted = p.to_vec();
    let mut value_at = |x_i: &[f64], k: usize, at: f64| {
        shifted[k] = at;
        let mut v = [0.0];
        model.eval(x_i, &shifted, &mut v);
        shifted[k] = p[k];
        v[0]
    };
    let mut patched = 0;
    for (i, row) in jacobian.chunks_exact_mut(n).enumerate() {
        if !values[i].is_finite() || row.iter().all(|v| v.is_finite()) {
            continue;
        }
        let x_i = &x[i * d..(i + 1) * d];
        for k in 0..n {
            if row[k].is_finite() {
                continue;
            }
            let h = f64::EPSILON.cbrt() * p[k].abs().max(1e-6);
            let (up, down) = (p[k] + h, p[k] - h);
            let (f_up, f_down) = (value_at(x_i, k, up), value_at(x_i, k, down));
            let quotient = match (f_up.is_finite(), f_down.is_finite()) {
                (true, true) => (f_up - f_down) / (up - down),
                (true, false) => (f_up - values[i]) / (up - p[k]),
                (false, true) => (values[i] - f_down) / (p[k] - down),
                (false, false) => f64::NAN,
            };
            if quotient.is_finite() {
                row[k] = quotient;
                patched += 1;
            }
        }
    }
    patched
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_core::JacobianKind;

    /// `a * (b x)^c` with the chain rule's NaN at `x = 0` for the exponent.
    struct Power;
    impl Model for Power {
        fn n_params(&self) -> usize {
            3
        }
        fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
            for (v, &x) in values.iter_mut().zip(x) {
                *v = p[0] * (p[1] * x).powf(p[2]);
            }
        }
        fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
            for ((v, row), &x) in values.iter_mut().zip(jac.chunks_exact_mut(3)).zip(x) {
                let u = p[1] * x;
                let f = u.powf(p[2]);
                *v = p[0] * f;
                row.copy_from_slice(&[f, p[0] * p[2] * u.powf(p[2] - 1.0) * x, p[0] * f * u.ln()]);
            }
        }
        fn jacobian_kind(&self) -> JacobianKind {
            JacobianKind::Exact
        }
    }

    #[test]
    fn only_non_finite_entries_of_finite_rows_are_replaced() {
        let (x, p) = ([0.0, 2.0], [1.5, 0.7, 0.8]);
        let mut values = [0.0; 2];
        let mut jac = [0.0; 6];
        Power.eval_with_jacobian(&x, &p, &mut values, &mut jac);
        assert!(jac[1].is_nan() && jac[2].is_nan(), "{jac:?}");
        let exact_row = jac[3..].to_vec();
        assert_eq!(
            patch_non_finite_jacobian(&Power, &x, &p, &values, &mut jac),
            2
        );
        // At x = 0 the model is 0 for every b and c > 0: both derivatives are 0.
        assert_eq!(&jac[..3], &[0.0, 0.0, 0.0]);
        assert_eq!(&jac[3..], &exact_row[..]);
        assert_eq!(
            patch_non_finite_jacobian(&Power, &x, &p, &values, &mut jac),
            0
        );
    }

    #[test]
    fn a_row_whose_value_is_not_finite_is_left_alone() {
        let mut jac = [f64::NAN, 1.0, 2.0];
        let n = patch_non_finite_jacobian(&Power, &[1.0], &[1.0, 1.0, 1.0], &[f64::NAN], &mut jac);
        assert_eq!(n, 0);
        assert!(jac[0].is_nan());
    }
}

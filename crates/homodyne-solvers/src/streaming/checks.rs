//! The checks of a streamed fit: a batch's values ([`invalid_data`]) and a replayed pass's
//! parameters ([`same_bits`]).

use homodyne_core::Batch;
use homodyne_core::vector_math::vectorized;

use crate::kernels::non_finite_flag;

/// The first unusable value of a batch (NaN, an infinity, a sigma that is not positive),
/// described with its point's index counted from `first_point`; `None` when all are usable. A
/// branch-free pass first (vectorised); the values are searched one by one only when it
/// finds something.
pub fn invalid_data(batch: &Batch, first_point: usize, x_dim: usize) -> Option<String> {
    let all_finite = vectorized(
        #[inline(always)]
        || non_finite_flag(&batch.x) == 0.0 && non_finite_flag(&batch.y) == 0.0,
    );
    let sigma_ok = batch.sigma.is_empty()
        || (non_finite_flag(&batch.sigma) == 0.0
            && batch.sigma.iter().fold(f64::INFINITY, |m, &v| m.min(v)) > 0.0);
    if all_finite && sigma_ok {
        return None;
    }
    if let Some(i) = batch.x.iter().position(|v| !v.is_finite()) {
        return Some(format!(
            "x of point {} is {}",
            first_point + i / x_dim.max(1),
            batch.x[i]
        ));
    }
    if let Some(i) = batch.y.iter().position(|v| !v.is_finite()) {
        return Some(format!("y of point {} is {}", first_point + i, batch.y[i]));
    }
    if let Some(i) = batch
        .sigma
        .iter()
        .position(|v| !(v.is_finite() && *v > 0.0))
    {
        return Some(format!(
            "sigma of point {} is {}",
            first_point + i,
            batch.sigma[i]
        ));
    }
    None
}

/// Whether `a` and `b` hold the same numbers, bit for bit (NaNs and signed zeros
/// included).
pub(crate) fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

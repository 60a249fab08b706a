//! Small vector kernels shared by the chunk accumulations.
//!
//! Each keeps several independent partial sums, so that the compiler can vectorise it and the
//! additions do not wait on one another; the order of the additions is fixed, so results
//! are the same bits on every run.

/// `sum_i a_i b_i`, with eight accumulators (two AVX2 registers, four SSE2 registers).
#[inline(always)]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `sum_i v_i * 0`: exactly `0.0` when every value is finite, NaN when any is NaN or
/// infinite. A branch-free finiteness check over a whole chunk.
#[inline(always)]
pub fn non_finite_flag(values: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = values.chunks_exact(4);
    let mut tail = 0.0;
    for v in chunks.remainder() {
        tail += v * 0.0;
    }
    for v in chunks {
        for k in 0..4 {
            acc[k] += v[k] * 0.0;
        }
    }
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| 3.0 - i as f64).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert_eq!(dot(&a, &b), plain);
    }

    #[test]
    fn flag_is_zero_only_when_all_values_are_finite() {
        let mut v = vec![1.0, -2.0, 1e300, 0.0, 5.0, 6.0, 7.0];
        assert_eq!(non_finite_flag(&v), 0.0);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for at in [0, 3, 6] {
                let keep = v[at];
                v[at] = bad;
                assert!(non_finite_flag(&v).is_nan(), "{bad} at {at}");
                v[at] = keep;
            }
        }
        assert_eq!(non_finite_flag(&[]), 0.0);
    }
}

//! The Latin hypercube of a multistart's starts (see [`crate::multistart`]).

use homodyne_core::random::SplitMix64;

/// `n` points of a Latin hypercube in the box `[lower_k, upper_k]` (one entry per
/// dimension, finite, `lower_k <= upper_k`), from SplitMix64 seeded by `seed`.
///
/// Each dimension is cut into `n` strata of equal width, and each stratum holds exactly
/// one point. For each dimension in turn a permutation `pi` of `0..n` is drawn
/// (Fisher-Yates, `j` uniform in `0..=i` for `i = n-1, ..., 1`, as the high 64 bits of
/// `bits * (i + 1)`), then each point's offset `u_i` in `[0, 1)`
/// ([`SplitMix64::next_f64`]), and point `i` gets
/// `lower + (pi(i) + u_i) / n * (upper - lower)`, clamped to `upper`.
///
/// ```
/// use homodyne::multistart::latin::latin_hypercube;
///
/// let points = latin_hypercube(4, &[0.0, -1.0], &[1.0, 1.0], 7);
/// assert_eq!(points.len(), 4);
/// // One point in each quarter of each range.
/// let mut strata: Vec<usize> = points.iter().map(|p| (p[0] * 4.0) as usize).collect();
/// strata.sort();
/// assert_eq!(strata, [0, 1, 2, 3]);
/// assert_eq!(points, latin_hypercube(4, &[0.0, -1.0], &[1.0, 1.0], 7));
/// ```
pub fn latin_hypercube(n: usize, lower: &[f64], upper: &[f64], seed: u64) -> Vec<Vec<f64>> {
    let dims = lower.len().min(upper.len());
    let mut bits = SplitMix64::new(seed);
    let mut points = vec![vec![0.0; dims]; n];
    for k in 0..dims {
        let mut strata: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            // Uniform in 0..=i by the high bits of a 128-bit product (Lemire's method
            // without the rejection: a bias below (i + 1) / 2^64).
            let j = ((u128::from(bits.next_u64()) * (i as u128 + 1)) >> 64) as usize;
            strata.swap(i, j);
        }
        let width = upper[k] - lower[k];
        for (point, &stratum) in points.iter_mut().zip(&strata) {
            let u = bits.next_f64();
            let value = lower[k] + (stratum as f64 + u) / n as f64 * width;
            point[k] = value.min(upper[k]);
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stratum_of_each_dimension_holds_one_point() {
        let (lower, upper) = ([-2.0, 0.0, 10.0], [2.0, 1e-3, 11.0]);
        let n = 37;
        let points = latin_hypercube(n, &lower, &upper, 12345);
        for k in 0..3 {
            let mut strata: Vec<usize> = points
                .iter()
                .map(|p| {
                    assert!((lower[k]..=upper[k]).contains(&p[k]));
                    ((p[k] - lower[k]) / (upper[k] - lower[k]) * n as f64) as usize
                })
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {k}");
        }
    }

    #[test]
    fn the_seed_decides_the_points() {
        let a = latin_hypercube(8, &[0.0; 2], &[1.0; 2], 1);
        assert_eq!(a, latin_hypercube(8, &[0.0; 2], &[1.0; 2], 1));
        assert_ne!(a, latin_hypercube(8, &[0.0; 2], &[1.0; 2], 2));
    }

    #[test]
    fn no_points_or_no_dimensions_give_empty_points() {
        assert!(latin_hypercube(0, &[0.0], &[1.0], 3).is_empty());
        assert_eq!(latin_hypercube(2, &[], &[], 3), vec![Vec::<f64>::new(); 2]);
    }
}

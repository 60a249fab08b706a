//! Dual numbers for a parameter count known only at run time: the dispatch of
//! [`DynAutoDiff`](crate::DynAutoDiff) and [`AutoDiffResiduals`](crate::AutoDiffResiduals),
//! described in the [module documentation](crate::autodiff).

use std::ops::Range;

use num_dual::DualSVec64;

/// The largest parameter count differentiated in one evaluation; more parameters are
/// differentiated in blocks of this many, one evaluation of the model per block.
///
/// ```
/// use homodyne_core::autodiff::MAX_DUAL_DIRECTIONS;
///
/// // 70 parameters: three evaluations of the model a point (blocks of 32, 32 and 6).
/// assert_eq!(70usize.div_ceil(MAX_DUAL_DIRECTIONS), 3);
/// ```
pub const MAX_DUAL_DIRECTIONS: usize = 32;

/// One evaluation of a problem over dual numbers of `K` directions.
pub(crate) trait SeededPass {
    /// Evaluates at `p` with all its `K` parameters seeded, parameter `k` in direction `k`
    /// (as AutoDiff seeds them, [`all_seeds`]).
    fn run_all<const K: usize>(&mut self, p: &[f64; K]);

    /// Evaluates with `seeds[k]` standing for parameter `k` (`seeds.len() > K` parameters):
    /// the parameters of `block` carry the unit derivative in direction `k - block.start`,
    /// the others a zero one. The derivatives of the result in directions
    /// `0..block.len()` are those with respect to the parameters of `block`.
    fn run_block<const K: usize>(&mut self, seeds: &[DualSVec64<K>], block: Range<usize>);
}

/// The seeds of AutoDiff: parameter `k` with the unit derivative in direction `k`.
#[inline(always)]
pub(crate) fn all_seeds<const K: usize>(p: &[f64; K]) -> [DualSVec64<K>; K] {
    std::array::from_fn(|k| seeded::<K>(p[k], k))
}

/// Runs `pass` at `p`: once with `DualSVec64<n>` for `n = p.len()` up to
/// [`MAX_DUAL_DIRECTIONS`], once per block of that many parameters above it, in increasing
/// order (the first block starts at 0). Nothing for no parameters.
pub(crate) fn run_seeded<S: SeededPass>(p: &[f64], pass: &mut S) {
    /// `pass.run_all::<K>` for the `K` that is `p.len()`.
    macro_rules! counts {
        ($($k:literal)*) => {
            match p.len() {
                0 => {}
                $($k => pass.run_all::<$k>(p.try_into().expect("p.len() is the count")),)*
                _ => blocks::<MAX_DUAL_DIRECTIONS, S>(p, pass),
            }
        };
    }
    counts!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

/// `value` with the unit derivative in direction `direction`.
#[inline(always)]
fn seeded<const K: usize>(value: f64, direction: usize) -> DualSVec64<K> {
    DualSVec64::<K>::from_re(value).derivative(direction)
}

/// `value` with a zero derivative in every direction (a parameter outside the block).
#[inline(always)]
fn unseeded<const K: usize>(value: f64) -> DualSVec64<K> {
    let mut d = seeded::<K>(value, 0);
    if let Some(eps) = d.eps.0.as_mut() {
        eps.fill(0.0);
    }
    d
}

/// The blocks of `K` parameters of `p` (more than `K` of them), in increasing order.
fn blocks<const K: usize, S: SeededPass>(p: &[f64], pass: &mut S) {
    let n = p.len();
    let mut seeds: Vec<DualSVec64<K>> = p.iter().map(|&pk| unseeded::<K>(pk)).collect();
    for start in (0..n).step_by(K) {
        let block = start..(start + K).min(n);
        for k in block.clone() {
            seeds[k] = seeded::<K>(p[k], k - start);
        }
        pass.run_block::<K>(&seeds, block.clone());
        for k in block {
            seeds[k] = unseeded::<K>(p[k]);
        }
    }
}

/// Writes the value of a dual result (where `value` is given) and its derivatives in the
/// first `row.len()` directions (a constant result has none: zeros).
#[inline(always)]
pub(crate) fn store<const K: usize>(y: &DualSVec64<K>, value: Option<&mut f64>, row: &mut [f64]) {
    if let Some(v) = value {
        *v = y.re;
    }
    match &y.eps.0 {
        Some(gradient) => row.copy_from_slice(&gradient.as_slice()[..row.len()]),
        None => row.fill(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the evaluations it is run with: directions, block, seeds' derivatives.
    struct Record(Vec<(usize, Range<usize>, Vec<Vec<f64>>)>);

    /// The derivative parts of seeds.
    fn gradients<const K: usize>(seeds: &[DualSVec64<K>]) -> Vec<Vec<f64>> {
        seeds
            .iter()
            .map(|s| s.eps.0.expect("seeded").as_slice().to_vec())
            .collect()
    }

    impl SeededPass for Record {
        fn run_all<const K: usize>(&mut self, p: &[f64; K]) {
            let seeds = all_seeds(p);
            assert!(seeds.iter().zip(p).all(|(s, &pk)| s.re == pk));
            self.0.push((K, 0..K, gradients(&seeds)));
        }
        fn run_block<const K: usize>(&mut self, seeds: &[DualSVec64<K>], block: Range<usize>) {
            self.0.push((K, block, gradients(seeds)));
        }
    }

    #[test]
    fn every_count_runs_in_its_own_size_or_in_blocks_of_the_largest() {
        for n in 0..=70 {
            let p: Vec<f64> = (0..n).map(|k| k as f64 + 0.5).collect();
            let mut record = Record(Vec::new());
            run_seeded(&p, &mut record);
            let k = n.min(MAX_DUAL_DIRECTIONS);
            assert_eq!(record.0.len(), n.div_ceil(k.max(1)), "n = {n}");
            let mut next = 0;
            for (directions, block, gradients) in &record.0 {
                assert_eq!((*directions, block.start), (k, next), "n = {n}");
                assert_eq!(gradients.len(), n);
                for (j, g) in gradients.iter().enumerate() {
                    let want: Vec<f64> = (0..k)
                        .map(|d| f64::from(u8::from(block.contains(&j) && d == j - block.start)))
                        .collect();
                    assert_eq!(g, &want, "n = {n}, parameter {j}");
                }
                next = block.end;
            }
            assert_eq!(next, n);
        }
    }
}

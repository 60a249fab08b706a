//! The colours of the heatmaps: the viridis and diverging maps, the colour of a value on
//! a map over a range, the colour bar, and the percentiles that set the ranges.

/// Colour of a cell with no finite value.
pub(super) const MISSING: [u8; 3] = [150, 150, 150];
/// Viridis at 0, 0.1, .., 1.
pub(super) const VIRIDIS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 190, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];
/// A blue-white-red diverging map (ColorBrewer RdBu, reversed) at 0, 1/8, .., 1.
pub(super) const DIVERGING: [[u8; 3]; 9] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [247, 247, 247],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
];

/// The `p`-th percentile (0 to 100, nearest rank) of the finite values; `None` when there
/// is none.
pub(super) fn percentile(values: &[f64], p: f64) -> Option<f64> {
    percentiles(values, (p, p)).map(|(value, _)| value)
}

/// The `lo`-th and `hi`-th percentiles (`lo <= hi`, 0 to 100, nearest rank: the value of
/// rank `round(p / 100 (n - 1))` among the `n` finite values in increasing order); `None`
/// when there is none.
pub(super) fn percentiles(values: &[f64], (lo, hi): (f64, f64)) -> Option<(f64, f64)> {
    // The values as integers in the order of f64::total_cmp (which compares these same
    // keys), so that the selection compares integers.
    let key = |v: f64| {
        let bits = v.to_bits() as i64;
        bits ^ ((((bits >> 63) as u64) >> 1) as i64)
    };
    let value = |k: i64| f64::from_bits((k ^ ((((k >> 63) as u64) >> 1) as i64)) as u64);
    let mut finite: Vec<i64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|&v| key(v))
        .collect();
    let last = finite.len().checked_sub(1)?;
    let rank = |p: f64| (((p / 100.0).clamp(0.0, 1.0) * last as f64).round() as usize).min(last);
    let (rank_lo, rank_hi) = (rank(lo), rank(hi.max(lo)));
    let (below, high, _) = finite.select_nth_unstable(rank_hi);
    let high = *high;
    // The values before rank_hi are those at or below it, in some order.
    let low = if rank_lo < rank_hi {
        *below.select_nth_unstable(rank_lo).1
    } else {
        high
    };
    Some((value(low), value(high)))
}

/// The colour of `v` on `map` over `range`; grey when `v` is not finite.
pub(super) fn colour(map: &[[u8; 3]], (lo, hi): (f64, f64), v: f64) -> [u8; 3] {
    if !v.is_finite() || map.is_empty() {
        return MISSING;
    }
    let u = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let u = if u.is_nan() { 0.5 } else { u };
    let scaled = u * (map.len() - 1) as f64;
    // Truncation is the floor, and adding a half before it rounds, of these non-negative
    // values (without a call to libm's floor and round per pixel).
    let below = (scaled as usize).min(map.len() - 1);
    let above = (below + 1).min(map.len() - 1);
    let w = scaled - below as f64;
    let mix = |a: u8, b: u8| (f64::from(a) * (1.0 - w) + f64::from(b) * w + 0.5) as u8;
    let (a, b) = (map[below], map[above]);
    [mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2])]
}

/// A colour map over a range, tabulated at [`TABLE_SIZE`] evenly spaced points, as
/// matplotlib tabulates its maps (`N = 256`): a value takes the colour of the table entry
/// `floor(u N)` (the last for `u = 1`), `u` its place in the range clamped to `0..=1`.
/// Its colours differ from [`colour`]'s by at most half a step of the table.
pub(super) struct ColourTable {
    colours: Vec<[u8; 3]>,
    range: (f64, f64),
}

/// Entries of a [`ColourTable`].
pub(super) const TABLE_SIZE: usize = 256;

impl ColourTable {
    /// `map` over `range`: entry `k` is [`colour`] at `k / (N - 1)` of the range.
    pub(super) fn new(map: &[[u8; 3]], range: (f64, f64)) -> Self {
        let last = (TABLE_SIZE - 1) as f64;
        let colours = (0..TABLE_SIZE)
            .map(|k| colour(map, (0.0, 1.0), k as f64 / last))
            .collect();
        Self { colours, range }
    }

    /// The colour of `v`; grey when `v` is not finite (as [`colour`]).
    pub(super) fn colour(&self, v: f64) -> [u8; 3] {
        if !v.is_finite() {
            return MISSING;
        }
        let (lo, hi) = self.range;
        let u = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        let u = if u.is_nan() { 0.5 } else { u };
        // Non-negative: truncation is the floor.
        let k = ((u * TABLE_SIZE as f64) as usize).min(TABLE_SIZE - 1);
        self.colours.get(k).copied().unwrap_or(MISSING)
    }
}

/// A vertical colour bar image, `lo` at the bottom.
pub(super) fn bar_image(map: &[[u8; 3]], width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for py in 0..h {
        let u = if h > 1 {
            (h - 1 - py) as f64 / (h - 1) as f64
        } else {
            0.5
        };
        let c = colour(map, (0.0, 1.0), u);
        for _ in 0..w {
            rgb.extend_from_slice(&c);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_percentiles() {
        assert_eq!(colour(&VIRIDIS, (0.0, 1.0), -5.0), VIRIDIS[0]);
        assert_eq!(colour(&VIRIDIS, (0.0, 1.0), 5.0), VIRIDIS[10]);
        assert_eq!(colour(&DIVERGING, (-1.0, 1.0), 0.0), DIVERGING[4]);
        assert_eq!(colour(&VIRIDIS, (0.0, 1.0), f64::NAN), MISSING);
        // The table: the map's ends at the range's ends and beyond, grey for NaN, and
        // within half a table step of the exact colour between.
        let table = ColourTable::new(&DIVERGING, (-2.0, 2.0));
        assert_eq!(table.colour(-2.0), DIVERGING[0]);
        assert_eq!(table.colour(-7.0), DIVERGING[0]);
        assert_eq!(table.colour(2.0), DIVERGING[8]);
        assert_eq!(table.colour(f64::NAN), MISSING);
        assert_eq!(table.colour(f64::INFINITY), MISSING);
        for k in 0..=400 {
            let v = -2.0 + 4.0 * f64::from(k) / 400.0;
            let (a, b) = (table.colour(v), colour(&DIVERGING, (-2.0, 2.0), v));
            for c in 0..3 {
                // Neighbouring map entries differ by at most 128 per channel over 1/8 of
                // the range, 32 table entries: 4 a step.
                assert!(a[c].abs_diff(b[c]) <= 4, "{v}: {a:?} {b:?}");
            }
        }
        let values: Vec<f64> = (0..=100).map(f64::from).chain([f64::NAN]).collect();
        assert_eq!(percentile(&values, 1.0), Some(1.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&[f64::NAN], 50.0), None);
        assert_eq!(
            percentile(&[-0.0, 0.0, -3.5, 2.0, -1e300], 0.0),
            Some(-1e300)
        );
        assert_eq!(
            percentile(&[-0.0, 0.0, -3.5, 2.0, -1e300], 25.0),
            Some(-3.5)
        );
        assert_eq!(
            percentile(&[-0.0, 0.0, -3.5, 2.0, -1e300], 100.0),
            Some(2.0)
        );
        // Both percentiles at once: those of percentile, one by one.
        let shuffled: Vec<f64> = (0..1000).map(|k| f64::from((k * 379) % 1000)).collect();
        for pair in [(1.0, 99.0), (0.0, 100.0), (50.0, 50.0), (99.0, 99.5)] {
            assert_eq!(
                percentiles(&shuffled, pair),
                Some((
                    percentile(&shuffled, pair.0).unwrap(),
                    percentile(&shuffled, pair.1).unwrap()
                )),
                "{pair:?}"
            );
        }
        assert_eq!(percentiles(&values, (1.0, 99.0)), Some((1.0, 99.0)));
        assert_eq!(percentiles(&[f64::NAN], (1.0, 99.0)), None);
    }
}

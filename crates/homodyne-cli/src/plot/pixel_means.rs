//! A two-time matrix brought to the pixels of the panel that shows it: each pixel the
//! mean of the frames it covers, so that a 1001 x 1001 matrix drawn on a panel of about
//! 440 x 430 pixels is summed once into those pixels, and nothing finer than a pixel is
//! computed or drawn.
//!
//! Along each axis, a panel of `p` pixels shows `n` frames, frame `i` centred at
//! `(i + 1/2) / n` of the axis and pixel `c` covering `[c / p, (c + 1) / p)` of it:
//!
//! - **More frames than pixels** (`n >= p`): pixel `c` averages the frames whose centres
//!   fall in it, `i` with `floor((2 i + 1) p / (2 n)) = c`: every frame counts once, in one
//!   pixel, and every pixel gets `floor(n / p)` or `ceil(n / p)` frames (an area average,
//!   the frames' boundaries rounded to the nearest pixel edge). A pixel of the matrix is the
//!   mean over its block of `t1` frames times `t2` frames, so the diagonal `t1 = t2`
//!   stays where it is, one pixel wide, its height the mean of the block it crosses.
//! - **Fewer frames than pixels** (`n < p`): pixel `c` shows the frame under its centre,
//!   `floor((2 c + 1) n / (2 p))` (nearest): each frame a block of whole pixels.
//!
//! Non-finite values are left out of the means; a pixel with none finite is NaN (drawn
//! grey).

use std::ops::Range;

/// The frames each of `pixels` pixels along an axis of `n_t` frames shows, in pixel
/// order (module documentation): consecutive, non-overlapping ranges that cover every
/// frame when `n_t >= pixels`, single frames otherwise. Empty when either is zero.
pub(super) fn pixel_frames(n_t: usize, pixels: usize) -> Vec<Range<usize>> {
    if n_t == 0 || pixels == 0 {
        return Vec::new();
    }
    if n_t < pixels {
        return (0..pixels)
            .map(|c| {
                let i = ((2 * c + 1) * n_t / (2 * pixels)).min(n_t - 1);
                i..i + 1
            })
            .collect();
    }
    // The first frame whose centre is at or right of the pixel's left edge:
    // the least i with (2 i + 1) p >= 2 c n.
    let first = |c: usize| (2 * c * n_t).saturating_sub(pixels).div_ceil(2 * pixels);
    (0..pixels).map(|c| first(c)..first(c + 1)).collect()
}

/// The matrix a panel shows: one given, or the difference of two.
#[derive(Clone, Copy)]
enum Matrix<'m> {
    Values(&'m [f64]),
    Difference(&'m [f64], &'m [f64]),
}

impl<'m> Matrix<'m> {
    /// Row `i` of the `n_t x n_t` matrix: borrowed, or computed into `scratch` (`n_t`
    /// values).
    fn row<'s>(self, n_t: usize, i: usize, scratch: &'s mut [f64]) -> &'s [f64]
    where
        'm: 's,
    {
        let row = i * n_t..(i + 1) * n_t;
        match self {
            Self::Values(values) => &values[row],
            Self::Difference(a, b) => {
                for ((out, x), y) in scratch.iter_mut().zip(&a[row.clone()]).zip(&b[row]) {
                    *out = x - y;
                }
                scratch
            }
        }
    }
}

/// A panel's values at its pixels: `width x height`, row-major from the top row (the
/// latest `t2`) down, `t1` to the right.
pub(super) struct PixelMeans {
    /// Pixels across (`t1`).
    pub(super) width: usize,
    /// Pixels up (`t2`).
    pub(super) height: usize,
    /// The mean of each pixel's finite values; NaN where it has none.
    pub(super) values: Vec<f64>,
}

impl PixelMeans {
    /// The means over the frames of each of `width x height` pixels ([`pixel_frames`]
    /// along each axis) of the `n_t x n_t` matrix `matrix`. With at least as many frames
    /// as pixels each element is read once, in memory order: the rows (`t1` frames) of a
    /// pixel column are added element by element into one row of sums and counts (a loop
    /// the compiler vectorises), which is then summed over each pixel's `t2` frames.
    fn new(n_t: usize, (width, height): (usize, usize), matrix: Matrix) -> Self {
        let columns = pixel_frames(n_t, width);
        let rows = pixel_frames(n_t, height);
        let (width, height) = (columns.len(), rows.len());
        let mut sums = vec![0.0; width * height];
        let mut counts = vec![0u32; width * height];
        // The t2 frame each image row shows (from the top: the latest t2 first).
        let shown: Vec<usize> = rows.iter().rev().map(|frames| frames.start).collect();
        let mut scratch = vec![0.0; n_t];
        // The sums and counts of the finite values of each t2 frame over a column's rows.
        let (mut row_sums, mut row_counts) = (vec![0.0; n_t], vec![0u32; n_t]);
        for (x, frames) in columns.iter().enumerate() {
            row_sums.fill(0.0);
            row_counts.fill(0);
            for i in frames.clone() {
                let values = matrix.row(n_t, i, &mut scratch);
                for ((sum, count), &v) in row_sums.iter_mut().zip(&mut row_counts).zip(values) {
                    let finite = v.is_finite();
                    *sum += if finite { v } else { 0.0 };
                    *count += u32::from(finite);
                }
            }
            for (y, &j) in shown.iter().enumerate() {
                let pixel = y * width + x;
                if n_t >= height {
                    // Every t2 frame is in one pixel of the column: image row y shows the
                    // frames of `rows`' entry `height - 1 - y`.
                    let t2 = rows[height - 1 - y].clone();
                    sums[pixel] = row_sums[t2.clone()].iter().sum();
                    counts[pixel] = row_counts[t2].iter().sum();
                } else {
                    // Each pixel of the column shows one frame.
                    sums[pixel] = row_sums[j];
                    counts[pixel] = row_counts[j];
                }
            }
        }
        let values = sums
            .iter()
            .zip(&counts)
            .map(|(&s, &c)| if c > 0 { s / f64::from(c) } else { f64::NAN })
            .collect();
        Self {
            width,
            height,
            values,
        }
    }

    /// The means of the matrix `values` (`n_t x n_t`, row-major, `t1` along the rows) at
    /// `size` pixels.
    pub(super) fn of(n_t: usize, size: (usize, usize), values: &[f64]) -> Self {
        Self::new(n_t, size, Matrix::Values(values))
    }

    /// The means of `a - b`, two matrices as for [`PixelMeans::of`].
    pub(super) fn of_difference(n_t: usize, size: (usize, usize), a: &[f64], b: &[f64]) -> Self {
        Self::new(n_t, size, Matrix::Difference(a, b))
    }

    /// The value of pixel `(x, y)`, `y` from the top.
    #[cfg(test)]
    pub(super) fn at(&self, x: usize, y: usize) -> f64 {
        self.values[y * self.width + x]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_counts_once_and_pixels_get_the_nearest_count() {
        for (n_t, pixels) in [(1001, 440), (1001, 1001), (1000, 3), (7, 7), (5, 2)] {
            let ranges = pixel_frames(n_t, pixels);
            assert_eq!(ranges.len(), pixels);
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[pixels - 1].end, n_t);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start, "{n_t} on {pixels}");
            }
            for r in &ranges {
                let len = r.len();
                assert!(
                    len == n_t / pixels || len == n_t.div_ceil(pixels),
                    "{n_t} on {pixels}: {r:?}"
                );
            }
        }
        // The frames whose centres fall in the pixel: 5 frames on 2 pixels, centres at
        // 0.1, 0.3, 0.5, 0.7, 0.9; the one at 0.5 goes right.
        assert_eq!(pixel_frames(5, 2), [0..2, 2..5]);
        assert!(pixel_frames(0, 4).is_empty() && pixel_frames(4, 0).is_empty());
    }

    #[test]
    fn fewer_frames_than_pixels_show_the_frame_under_each_pixel() {
        // 3 frames on 7 pixels: centres at 1/14, 3/14, .., 13/14 of the axis.
        let frames: Vec<usize> = pixel_frames(3, 7).iter().map(|r| r.start).collect();
        assert_eq!(frames, [0, 0, 1, 1, 1, 2, 2]);
        assert!(pixel_frames(3, 7).iter().all(|r| r.len() == 1));
    }

    #[test]
    fn means_skip_non_finite_values_and_put_late_t2_on_top() {
        // 4 x 4 frames on 2 x 2 pixels: element (i, j) = 10 i + j, one NaN and one
        // infinity left out.
        let n = 4;
        let value = |k: usize| match k {
            1 => f64::NAN,
            4 => f64::INFINITY,
            _ => (10 * (k / n) + k % n) as f64,
        };
        let matrix: Vec<f64> = (0..n * n).map(value).collect();
        let means = PixelMeans::of(n, (2, 2), &matrix);
        assert_eq!((means.width, means.height), (2, 2));
        // Bottom left: t1 in 0..2, t2 in 0..2: 0, NaN (k = 1), infinity (k = 4), 11.
        assert_eq!(means.at(0, 1), 5.5);
        // Top left: t1 in 0..2, t2 in 2..4: 2, 3, 12, 13.
        assert_eq!(means.at(0, 0), 7.5);
        // Bottom right: t1 in 2..4, t2 in 0..2: 20, 21, 30, 31.
        assert_eq!(means.at(1, 1), 25.5);
        let none = PixelMeans::of(2, (1, 1), &[f64::NAN; 4]);
        assert!(none.at(0, 0).is_nan());
        // The difference of two matrices: that of their means here.
        let twice: Vec<f64> = matrix.iter().map(|v| 2.0 * v).collect();
        let difference = PixelMeans::of_difference(n, (2, 2), &twice, &matrix);
        assert_eq!(difference.at(0, 0), 7.5);
        assert_eq!(difference.at(1, 1), 25.5);
    }

    #[test]
    fn the_diagonal_stays_on_the_diagonal() {
        // A matrix that is 1 on t1 = t2 and 0 elsewhere, 1001 frames on 440 x 440
        // pixels: in each column one pixel is lit, on the image's anti-diagonal (t2 up).
        let n = 1001;
        let matrix: Vec<f64> = (0..n * n)
            .map(|k| f64::from(u8::from(k / n == k % n)))
            .collect();
        let means = PixelMeans::of(n, (440, 440), &matrix);
        for x in 0..440 {
            let column: Vec<f64> = (0..440).map(|y| means.at(x, y)).collect();
            let brightest = (0..440)
                .max_by(|&a, &b| column[a].total_cmp(&column[b]))
                .unwrap();
            assert_eq!(brightest, 439 - x, "column {x}");
            let lit = column.iter().filter(|v| **v > 0.0).count();
            assert_eq!(lit, 1, "column {x}");
        }
    }
}

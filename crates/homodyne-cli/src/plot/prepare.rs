//! Everything computed from the data before drawing: axis ranges from every point, the
//! thinned points and residuals that are drawn, and the curve cut into drawable runs.

use super::axes::padded;
use super::clip::{RANGE_LIMIT, clipped_runs};
use super::plot_data::{MAX_DRAWN_POINTS, PlotData};

/// Everything computed from the data before drawing: ranges, thinned points, curve pieces.
pub(super) struct Prepared {
    pub(super) x_range: (f64, f64),
    pub(super) y_range: (f64, f64),
    pub(super) residual_range: (f64, f64),
    /// Drawn data points: (x, y, sigma where usable).
    pub(super) points: Vec<(f64, f64, Option<f64>)>,
    /// Drawn residuals (x, residual).
    pub(super) residuals: Vec<(f64, f64)>,
    /// The curve, split where it is not finite.
    pub(super) curve: Vec<Vec<(f64, f64)>>,
    pub(super) normalized: bool,
}

impl Prepared {
    /// `None` when no point has a finite x and y.
    pub(super) fn new(data: &PlotData) -> Option<Self> {
        let n = data.x.len();
        let usable_sigma = |i: usize| {
            data.sigma
                .map(|s| s[i])
                .filter(|s| s.is_finite() && *s > 0.0)
        };
        let residual = |i: usize| {
            let r = data.y[i] - data.fitted[i];
            let r = match data.sigma {
                Some(_) => r / usable_sigma(i)?,
                None => r,
            };
            in_range(r).then_some(r)
        };
        let valid = |i: usize| in_range(data.x[i]) && in_range(data.y[i]);

        // Ranges from every point.
        let mut xs = Extent::default();
        let mut ys = Extent::default();
        let mut rmax = 0.0f64;
        for i in (0..n).filter(|&i| valid(i)) {
            xs.add(data.x[i]);
            ys.add(data.y[i]);
            if let Some(s) = usable_sigma(i) {
                ys.add(data.y[i] - s);
                ys.add(data.y[i] + s);
            }
            ys.add(data.fitted[i]);
            if let Some(r) = residual(i) {
                rmax = rmax.max(r.abs());
            }
        }
        let (x_lo, x_hi) = xs.get()?;
        if let Some((cx, _)) = data.curve {
            cx.iter().for_each(|&v| xs.add(v));
        }
        let x_range = padded(xs.get().unwrap_or((x_lo, x_hi)));
        let y_range = padded(ys.get()?);
        let residual_range = if rmax > 1e-200 {
            (-1.1 * rmax, 1.1 * rmax)
        } else {
            (-1.0, 1.0)
        };

        // Thinned points for drawing.
        let drawn: Vec<usize> = strided(n, MAX_DRAWN_POINTS).filter(|&i| valid(i)).collect();
        let points = drawn
            .iter()
            .map(|&i| (data.x[i], data.y[i], usable_sigma(i)))
            .collect();
        let residuals = drawn
            .iter()
            .filter_map(|&i| Some((data.x[i], residual(i)?)))
            .collect();

        let curve_points: Vec<(f64, f64)> = match data.curve {
            Some((cx, cy)) => strided(cx.len(), MAX_DRAWN_POINTS)
                .map(|i| (cx[i], cy[i]))
                .collect(),
            None => {
                let mut pairs: Vec<(f64, f64)> = (0..n)
                    .filter(|&i| in_range(data.x[i]))
                    .map(|i| (data.x[i], data.fitted[i]))
                    .collect();
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
                strided(pairs.len(), MAX_DRAWN_POINTS)
                    .map(|i| pairs[i])
                    .collect()
            }
        };
        let curve = clipped_runs(&curve_points, x_range, y_range);

        Some(Self {
            x_range,
            y_range,
            residual_range,
            points,
            residuals,
            curve,
            normalized: data.sigma.is_some(),
        })
    }
}

/// Finite and small enough for range arithmetic to stay finite.
fn in_range(v: f64) -> bool {
    v.is_finite() && v.abs() <= RANGE_LIMIT
}

/// Running minimum and maximum of the values that are [`in_range`].
#[derive(Default)]
struct Extent(Option<(f64, f64)>);

impl Extent {
    fn add(&mut self, v: f64) {
        if in_range(v) {
            self.0 = Some(match self.0 {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        }
    }
    fn get(&self) -> Option<(f64, f64)> {
        self.0
    }
}

/// Every k-th index of `0..n`, k = ceil(n / max), so at most `max` indices.
pub(super) fn strided(n: usize, max: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step)
}

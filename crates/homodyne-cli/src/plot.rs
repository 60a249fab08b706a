//! The `--plot` figure: a PNG with the data (and error bars where sigma is given), the
//! fitted curve, and a residual panel beneath.
//!
//! Rendering needs no system library: plotters' bitmap backend draws into memory, text is
//! rasterised by ab_glyph from DejaVu Sans embedded in the binary
//! (`assets/DejaVuSans.ttf`, licence in `assets/DejaVuSans-LICENSE.txt`), and the pixels
//! are encoded by the pure-Rust `png` crate.
//!
//! Large data sets are thinned for drawing only: at most [`MAX_DRAWN_POINTS`] data points
//! (and as many curve points) are drawn, taking every k-th point from the first on, with
//! k = ceil(n / [`MAX_DRAWN_POINTS`]). The choice is deterministic, so the same input gives
//! the same image; axis ranges are still computed from every point. A million points plot in
//! about a tenth of a second this way; drawing each of them would be far slower and show no
//! more.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Width in pixels of the image the CLI writes when none is asked for.
pub const DEFAULT_WIDTH: u32 = 900;
/// Height in pixels of the image the CLI writes when none is asked for.
pub const DEFAULT_HEIGHT: u32 = 700;
/// Most data points (and curve points) drawn; larger inputs are evenly strided down to it.
pub const MAX_DRAWN_POINTS: usize = 20_000;
/// Smallest accepted image width in pixels: below it axes and labels do not fit.
pub const MIN_WIDTH: u32 = 320;
/// Smallest accepted image height in pixels.
pub const MIN_HEIGHT: u32 = 240;
/// Largest accepted width or height in pixels (an RGB buffer of 10,000 x 10,000 is 300 MB).
pub const MAX_SIDE: u32 = 10_000;

/// DejaVu Sans, embedded so that text renders without fontconfig or freetype.
static FONT_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family name under which the font is registered; plotters' own defaults use it too.
const FONT_FAMILY: &str = "sans-serif";
/// Values of larger magnitude are treated like non-finite ones (so that range arithmetic
/// stays finite): such data points are not drawn, and curves are clipped at the panel edge.
const RANGE_LIMIT: f64 = 1e300;

const DATA_COLOR: RGBColor = RGBColor(31, 119, 180);
const FIT_COLOR: RGBColor = RGBColor(214, 39, 40);

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct PlotData<'a> {
    /// Predictor of each data point (the first predictor when there are several).
    pub x: &'a [f64],
    /// Observations, one per data point.
    pub y: &'a [f64],
    /// Standard deviation of each observation; drawn as error bars when given.
    pub sigma: Option<&'a [f64]>,
    /// Model at each data point (for the residuals).
    pub fitted: &'a [f64],
    /// A smooth curve (x grid, model values); `None` draws `fitted` at the data points,
    /// sorted by x, as a line.
    pub curve: Option<(&'a [f64], &'a [f64])>,
    /// Label of the horizontal axis.
    pub x_label: &'a str,
    /// Label of the vertical axis of the upper panel.
    pub y_label: &'a str,
    /// Title above the figure, e.g. the formula.
    pub title: &'a str,
}

/// Why a plot could not be written. Each message is one line and names the file.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The slices in [`PlotData`] disagree in length.
    #[error("cannot plot {}: {what}", path.display())]
    LengthMismatch {
        /// The PNG that was to be written.
        path: PathBuf,
        /// Which lengths disagree.
        what: String,
    },
    /// No data point has both a finite x and a finite y (this includes empty data).
    #[error("cannot plot {}: no data point has a finite x and y", path.display())]
    NoFiniteData {
        /// The PNG that was to be written.
        path: PathBuf,
    },
    /// The requested image size is outside what is accepted.
    #[error(
        "cannot plot {}: image size {width}x{height} is outside {MIN_WIDTH}x{MIN_HEIGHT} to {MAX_SIDE}x{MAX_SIDE} pixels",
        path.display()
    )]
    Size {
        /// The PNG that was to be written.
        path: PathBuf,
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// The embedded font could not be loaded (a build defect, not a data problem).
    #[error("cannot plot {}: the embedded font could not be loaded", path.display())]
    Font {
        /// The PNG that was to be written.
        path: PathBuf,
    },
    /// Drawing or PNG encoding failed.
    #[error("cannot plot {}: {message}", path.display())]
    Render {
        /// The PNG that was to be written.
        path: PathBuf,
        /// What went wrong, in one line.
        message: String,
    },
    /// The PNG could not be written to disk.
    #[error("cannot write plot {}: {source}", path.display())]
    Io {
        /// The PNG that was to be written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// Writes a PNG of `width x height` pixels (the CLI uses [`DEFAULT_WIDTH`] x
/// [`DEFAULT_HEIGHT`]): the upper panel shows the data (with error bars where `sigma` is
/// given) and the curve, the lower panel (about 30% of the height) the residuals
/// `y - fitted`, or `(y - fitted) / sigma` labelled "normalized residual" when `sigma` is
/// given, with a zero line.
///
/// Odd data never panics: points with a non-finite x or y (or one beyond 1e300 in
/// magnitude) are skipped, as are residuals that are not finite (also where sigma is zero,
/// negative or NaN); a curve breaks where its values are not finite and is clipped at the
/// panel's edges; all-equal x or y get a range around the common value. Data with no
/// finite point, slices of different lengths and sizes outside [`MIN_WIDTH`] x
/// [`MIN_HEIGHT`] to [`MAX_SIDE`] x [`MAX_SIDE`] return an error. More than
/// [`MAX_DRAWN_POINTS`] points are strided down for drawing (see the module documentation).
pub fn write_png(path: &Path, data: &PlotData, width: u32, height: u32) -> Result<(), PlotError> {
    let owned = || path.to_path_buf();
    if !(MIN_WIDTH..=MAX_SIDE).contains(&width) || !(MIN_HEIGHT..=MAX_SIDE).contains(&height) {
        return Err(PlotError::Size {
            path: owned(),
            width,
            height,
        });
    }
    check_lengths(data).map_err(|what| PlotError::LengthMismatch {
        path: owned(),
        what,
    })?;
    let prepared = Prepared::new(data).ok_or_else(|| PlotError::NoFiniteData { path: owned() })?;
    if !font_registered() {
        return Err(PlotError::Font { path: owned() });
    }

    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    render(&mut rgb, width, height, data, &prepared).map_err(|e| PlotError::Render {
        path: owned(),
        message: format!("drawing failed: {e}"),
    })?;
    let png = encode_png(&rgb, width, height).map_err(|e| PlotError::Render {
        path: owned(),
        message: format!("PNG encoding failed: {e}"),
    })?;
    std::fs::write(path, png).map_err(|source| PlotError::Io {
        path: owned(),
        source,
    })
}

/// Registers the embedded font with plotters once per process; false if it is unusable.
fn font_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT_TTF).is_ok())
}

fn check_lengths(data: &PlotData) -> Result<(), String> {
    let n = data.x.len();
    if data.y.len() != n {
        return Err(format!("{n} x values but {} y values", data.y.len()));
    }
    if data.fitted.len() != n {
        return Err(format!(
            "{n} data points but {} fitted values",
            data.fitted.len()
        ));
    }
    if let Some(sigma) = data.sigma
        && sigma.len() != n
    {
        return Err(format!("{n} data points but {} sigma values", sigma.len()));
    }
    if let Some((cx, cy)) = data.curve
        && cx.len() != cy.len()
    {
        return Err(format!(
            "the curve has {} x values but {} model values",
            cx.len(),
            cy.len()
        ));
    }
    Ok(())
}

/// Everything computed from the data before drawing: ranges, thinned points, curve pieces.
struct Prepared {
    x_range: (f64, f64),
    y_range: (f64, f64),
    residual_range: (f64, f64),
    /// Drawn data points: (x, y, sigma where usable).
    points: Vec<(f64, f64, Option<f64>)>,
    /// Drawn residuals (x, residual).
    residuals: Vec<(f64, f64)>,
    /// The curve, split where it is not finite.
    curve: Vec<Vec<(f64, f64)>>,
    normalized: bool,
}

impl Prepared {
    /// `None` when no point has a finite x and y.
    fn new(data: &PlotData) -> Option<Self> {
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

/// An axis range with 5% margins; a (nearly) single value gets +-5% of itself, or +-1 at 0.
fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let span = hi - lo;
    let magnitude = lo.abs().max(hi.abs());
    if span > magnitude * 1e-12 && span > 1e-200 {
        let pad = 0.05 * span;
        (lo - pad, hi + pad)
    } else {
        let mid = 0.5 * lo + 0.5 * hi;
        let half = if mid.abs() > 1e-200 {
            0.05 * mid.abs()
        } else {
            1.0
        };
        (mid - half, mid + half)
    }
}

/// Every k-th index of `0..n`, k = ceil(n / max), so at most `max` indices.
fn strided(n: usize, max: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step)
}

/// The parts of a polyline inside the box `x` by `y`: split where a point is not finite and
/// cut (Liang-Barsky) where it leaves the box. Plotters maps coordinates far outside its
/// range to overflowing pixel positions, so nothing outside the box may reach it.
fn clipped_runs(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let clamp = |(a, b): (f64, f64)| {
        (
            a.clamp(-RANGE_LIMIT, RANGE_LIMIT),
            b.clamp(-RANGE_LIMIT, RANGE_LIMIT),
        )
    };
    let mut runs = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut continues = false;
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let finite = a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite();
        let clipped = if finite {
            clip_segment(clamp(a), clamp(b), x, y)
        } else {
            None
        };
        match clipped {
            Some(Clipped {
                start,
                end,
                start_cut,
                end_cut,
            }) => {
                if (!continues || start_cut) && !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
                if current.is_empty() {
                    current.push(start);
                }
                current.push(end);
                continues = !end_cut;
            }
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
                continues = false;
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The part of a segment inside the clipping box.
struct Clipped {
    start: (f64, f64),
    end: (f64, f64),
    /// Whether the start was moved onto the box's edge (the segment began outside).
    start_cut: bool,
    /// Whether the end was moved onto the box's edge (the segment ended outside).
    end_cut: bool,
}

/// The part of the segment `a`-`b` inside the box `x` by `y`, if any.
fn clip_segment(a: (f64, f64), b: (f64, f64), x: (f64, f64), y: (f64, f64)) -> Option<Clipped> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some(Clipped {
        start: if t0 > 0.0 { at(t0) } else { a },
        end: if t1 < 1.0 { at(t1) } else { b },
        start_cut: t0 > 0.0,
        end_cut: t1 < 1.0,
    })
}

/// A tick label for `v` on an axis spanning `lo..hi`: fixed notation with as many decimals as
/// the tick spacing needs, scientific for magnitudes of 1e5 and above or below 1e-3.
fn tick_label(v: f64, lo: f64, hi: f64) -> String {
    let step = (hi - lo) / 20.0;
    if step.is_nan() || step <= 0.0 || v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let magnitude = lo.abs().max(hi.abs());
    let text = if !(1e-3..1e5).contains(&magnitude) {
        let digits = (magnitude / step).log10().ceil().clamp(0.0, 15.0) as usize;
        let text = format!("{v:.digits$e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
            None => text,
        }
    } else {
        let decimals = (-step.log10()).ceil().clamp(0.0, 15.0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    };
    if text == "-0" { "0".to_string() } else { text }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Sizes scaled to the image, so that small and large images keep their proportions.
struct Sizes {
    title: f64,
    desc: f64,
    label: f64,
    y_label_area: u32,
    x_label_area: u32,
    marker: u32,
    /// Approximate size in pixels of the legend box, to find a corner where it hides least.
    legend: (u32, u32),
    /// Least spacing in pixels between x tick labels, between y tick labels.
    tick_spacing: (u32, u32),
}

impl Sizes {
    fn new(width: u32, height: u32, drawn: usize) -> Self {
        let scale = (f64::from(width.min(height)) / 700.0).clamp(0.6, 3.0);
        let px = |v: f64| (v * scale).round() as u32;
        let marker = match drawn {
            0..=300 => 3,
            301..=3000 => 2,
            _ => 1,
        };
        Self {
            title: 24.0 * scale,
            desc: 18.0 * scale,
            label: 15.0 * scale,
            y_label_area: px(85.0),
            x_label_area: px(55.0),
            marker: (f64::from(marker) * scale).round().max(1.0) as u32,
            legend: (px(110.0), px(65.0)),
            tick_spacing: (px(75.0), px(35.0)),
        }
    }
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

type DrawResult = Result<(), Box<dyn StdError>>;

fn render(buf: &mut [u8], width: u32, height: u32, data: &PlotData, p: &Prepared) -> DrawResult {
    let sizes = Sizes::new(width, height, p.points.len());
    let root = BitMapBackend::with_buffer(buf, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let body = draw_title(&root, data.title, &sizes)?;
    let (_, body_height) = body.dim_in_pixel();
    let split = (f64::from(body_height) * 0.70).round() as i32;
    let (upper, lower) = body.split_vertically(split);
    draw_upper(&upper, data, p, &sizes)?;
    draw_residuals(&lower, data, p, &sizes)?;
    root.present()?;
    Ok(())
}

/// The drawing area of the whole image or of one panel.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws the title, shrunk (and if need be cut) to fit the width; returns the area below.
fn draw_title<'a>(
    root: &Area<'a>,
    title: &str,
    sizes: &Sizes,
) -> Result<Area<'a>, Box<dyn StdError>> {
    let title = title.trim();
    if title.is_empty() {
        return Ok(root.margin(8, 0, 0, 0));
    }
    let available = root.dim_in_pixel().0.saturating_sub(20);
    let fits = |text: &str, size: f64| -> Result<bool, Box<dyn StdError>> {
        Ok(root.estimate_text_size(text, &font(size))?.0 <= available)
    };
    let mut size = sizes.title;
    while size > 11.0 && !fits(title, size)? {
        size -= 1.0;
    }
    let mut text = title.to_string();
    while !fits(&text, size)? && text.chars().count() > 1 {
        let keep = text.chars().count().saturating_sub(2);
        text = text.chars().take(keep).collect::<String>() + "\u{2026}";
    }
    Ok(root.titled(&text, font(size))?)
}

/// Upper panel: error bars, data points, curve, legend. No x tick labels: the residual
/// panel beneath carries them.
fn draw_upper(area: &Area, data: &PlotData, p: &Prepared, sizes: &Sizes) -> DrawResult {
    let (x_lo, x_hi) = p.x_range;
    let (y_lo, y_hi) = p.y_range;
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(25)
        .margin_top(5)
        .x_label_area_size(sizes.marker.max(4) * 2)
        .y_label_area_size(sizes.y_label_area)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
    let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
    let no_label = |_: &f64| String::new();
    let y_tick = |v: &f64| tick_label(*v, y_lo, y_hi);
    chart
        .configure_mesh()
        .x_labels(label_count(plot_w, sizes.tick_spacing.0, 10))
        .y_labels(label_count(plot_h, sizes.tick_spacing.1, 10))
        .x_label_formatter(&no_label)
        .y_label_formatter(&y_tick)
        .y_desc(data.y_label)
        .label_style(font(sizes.label))
        .axis_desc_style(font(sizes.desc))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;

    let bar_style = DATA_COLOR.mix(0.55).stroke_width(1);
    let cap = if p.points.len() <= 300 {
        sizes.marker * 2 + 2
    } else {
        0
    };
    chart.draw_series(p.points.iter().filter_map(|&(x, y, s)| {
        let s = s?;
        // Clamped: an end far outside the range would overflow plotters' pixel mapping.
        let (low, high) = ((y - s).max(y_lo), (y + s).min(y_hi));
        Some(ErrorBar::new_vertical(x, low, y, high, bar_style, cap))
    }))?;
    let marker = sizes.marker;
    let point_style = DATA_COLOR.filled();
    chart
        .draw_series(
            p.points
                .iter()
                .map(|&(x, y, _)| Circle::new((x, y), marker, point_style)),
        )?
        .label("data")
        .legend(move |(x, y)| Circle::new((x + 10, y), marker.max(3), point_style));

    let fit_style = FIT_COLOR.stroke_width(2);
    let curve = chart.draw_series(
        p.curve
            .iter()
            .map(|run| PathElement::new(run.clone(), fit_style)),
    )?;
    if !p.curve.is_empty() {
        curve
            .label("fit")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], fit_style));
    }

    let fraction = |legend: u32, plot: u32| f64::from(legend + 15) / f64::from(plot.max(1));
    let legend_size = (
        fraction(sizes.legend.0, plot_w),
        fraction(sizes.legend.1, plot_h),
    );
    chart
        .configure_series_labels()
        .position(legend_corner(p, legend_size))
        .label_font(font(sizes.label))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// How many tick labels fit along `pixels` with at least `spacing` pixels each (2 to `max`).
fn label_count(pixels: u32, spacing: u32, max: usize) -> usize {
    (pixels / spacing.max(1)).clamp(2, max as u32) as usize
}

/// The corner of the upper panel where a legend box of `size` (fractions of the panel's
/// width and height) covers the fewest data and curve points; upper right on ties.
fn legend_corner(p: &Prepared, size: (f64, f64)) -> SeriesLabelPosition {
    let (x_lo, x_hi) = p.x_range;
    let (y_lo, y_hi) = p.y_range;
    let unit = |(x, y): (f64, f64)| ((x - x_lo) / (x_hi - x_lo), (y - y_lo) / (y_hi - y_lo));
    let points = p.points.iter().map(|&(x, y, _)| (x, y));
    let curve = p.curve.iter().flatten().copied();
    let (w, h) = size;
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let mut counts = [0usize; 4];
    for (u, v) in points.chain(curve).map(unit) {
        for (count, &(_, right, upper)) in counts.iter_mut().zip(&corners) {
            let in_x = if right { u > 1.0 - w } else { u < w };
            let in_y = if upper { v > 1.0 - h } else { v < h };
            *count += usize::from(in_x && in_y);
        }
    }
    let best = (0..4).min_by_key(|&k| (counts[k], k)).unwrap_or(0);
    corners
        .into_iter()
        .nth(best)
        .map_or(SeriesLabelPosition::UpperRight, |c| c.0)
}

/// Lower panel: residuals against x, with a zero line.
fn draw_residuals(area: &Area, data: &PlotData, p: &Prepared, sizes: &Sizes) -> DrawResult {
    let (x_lo, x_hi) = p.x_range;
    let (r_lo, r_hi) = p.residual_range;
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(25)
        .margin_top(8)
        .margin_bottom(8)
        .x_label_area_size(sizes.x_label_area)
        .y_label_area_size(sizes.y_label_area)
        .build_cartesian_2d(x_lo..x_hi, r_lo..r_hi)?;
    let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
    let x_tick = |v: &f64| tick_label(*v, x_lo, x_hi);
    let r_tick = |v: &f64| tick_label(*v, r_lo, r_hi);
    let r_desc = if p.normalized {
        "normalized residual"
    } else {
        "residual"
    };
    chart
        .configure_mesh()
        .x_label_formatter(&x_tick)
        .y_label_formatter(&r_tick)
        .x_labels(label_count(plot_w, sizes.tick_spacing.0, 10))
        .y_labels(label_count(plot_h, sizes.tick_spacing.1 * 2 / 3, 5))
        .x_desc(data.x_label)
        .y_desc(r_desc)
        .label_style(font(sizes.label))
        .axis_desc_style(font(sizes.desc))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x_lo, 0.0), (x_hi, 0.0)],
        BLACK.mix(0.7).stroke_width(1),
    )))?;
    let marker = sizes.marker;
    chart.draw_series(
        p.residuals
            .iter()
            .map(|&(x, r)| Circle::new((x, r), marker, DATA_COLOR.filled())),
    )?;
    Ok(())
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// A small exponential decay, y = a exp(-x / tau) + c with a = 5, tau = 2, c = 0.5, with
    /// deterministic Gaussian noise of standard deviation sigma (0.12 to 0.3, growing with x).
    /// `fitted` is the generating model at the data points, `curve` the model on a fine grid.
    struct Example {
        x: Vec<f64>,
        y: Vec<f64>,
        sigma: Vec<f64>,
        fitted: Vec<f64>,
        grid: Vec<f64>,
        grid_model: Vec<f64>,
    }

    fn model(x: f64) -> f64 {
        5.0 * (-x / 2.0).exp() + 0.5
    }

    fn example() -> Example {
        // xorshift64* + Box-Muller: reproducible noise without a dependency.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut uniform = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let n = 40;
        let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / (n - 1) as f64).collect();
        let sigma: Vec<f64> = x.iter().map(|&x| 0.12 + 0.018 * x).collect();
        let y = x
            .iter()
            .zip(&sigma)
            .map(|(&x, &s)| {
                let (u1, u2) = (uniform(), uniform());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                model(x) + s * z
            })
            .collect();
        let fitted = x.iter().map(|&x| model(x)).collect();
        let grid: Vec<f64> = (0..=400).map(|i| i as f64 / 40.0).collect();
        let grid_model = grid.iter().map(|&x| model(x)).collect();
        Example {
            x,
            y,
            sigma,
            fitted,
            grid,
            grid_model,
        }
    }

    fn plot_data<'a>(e: &'a Example, with_sigma: bool, with_curve: bool) -> PlotData<'a> {
        PlotData {
            x: &e.x,
            y: &e.y,
            sigma: with_sigma.then_some(e.sigma.as_slice()),
            fitted: &e.fitted,
            curve: with_curve.then_some((e.grid.as_slice(), e.grid_model.as_slice())),
            x_label: "t [s]",
            y_label: "y",
            title: "y = a\u{b7}exp(\u{2212}t/\u{3c4}) + c",
        }
    }

    /// Decodes a PNG, checking its signature; returns (width, height, RGB pixels).
    fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(bytes[..8], PNG_SIGNATURE, "{} is not a PNG", path.display());
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    /// Counts pixels close to `color` in rows `rows` of an RGB image `width` pixels wide.
    fn count_color(
        pixels: &[u8],
        width: u32,
        rows: std::ops::Range<u32>,
        color: RGBColor,
    ) -> usize {
        let row_bytes = width as usize * 3;
        pixels[rows.start as usize * row_bytes..rows.end as usize * row_bytes]
            .chunks_exact(3)
            .filter(|p| {
                p.iter()
                    .zip([color.0, color.1, color.2])
                    .all(|(&a, b)| a.abs_diff(b) <= 10)
            })
            .count()
    }

    fn write(
        dir: &Path,
        name: &str,
        data: &PlotData,
        w: u32,
        h: u32,
    ) -> Result<PathBuf, PlotError> {
        let path = dir.join(name);
        write_png(&path, data, w, h).map(|()| path)
    }

    #[test]
    fn plot_with_sigma_is_a_png_of_the_requested_size_with_data_curve_and_residuals() {
        let dir = tempfile::tempdir().unwrap();
        let e = example();
        let path = write(dir.path(), "fit.png", &plot_data(&e, true, true), 900, 700).unwrap();
        let (w, h, pixels) = decode(&path);
        assert_eq!((w, h), (900, 700));
        // Curve and points in the upper panel, points in the lower one.
        let upper = 0..h * 6 / 10;
        let lower = h * 3 / 4..h;
        assert!(count_color(&pixels, w, upper.clone(), FIT_COLOR) > 200);
        assert!(count_color(&pixels, w, upper, DATA_COLOR) > 200);
        assert!(count_color(&pixels, w, lower.clone(), DATA_COLOR) > 100);
        assert_eq!(count_color(&pixels, w, lower, FIT_COLOR), 0);
    }

    #[test]
    fn plot_without_sigma_or_curve_is_a_png_of_the_requested_size() {
        let dir = tempfile::tempdir().unwrap();
        let e = example();
        let path = write(
            dir.path(),
            "fit.png",
            &plot_data(&e, false, false),
            640,
            480,
        )
        .unwrap();
        let (w, h, pixels) = decode(&path);
        assert_eq!((w, h), (640, 480));
        assert!(count_color(&pixels, w, 0..h / 2, FIT_COLOR) > 100);
    }

    #[test]
    fn empty_or_all_nan_data_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let nan = [f64::NAN; 5];
        let finite = [1.0, 2.0, 3.0, 4.0, 5.0];
        let empty: [f64; 0] = [];
        let cases: [(&[f64], &[f64]); 4] = [
            (&empty, &empty),
            (&nan, &nan),
            (&finite, &nan),
            (&nan, &finite),
        ];
        for (x, y) in cases {
            let data = PlotData {
                x,
                y,
                sigma: Some(y),
                fitted: y,
                curve: None,
                x_label: "x",
                y_label: "y",
                title: "",
            };
            let err = write(dir.path(), "bad.png", &data, 900, 700).unwrap_err();
            assert!(matches!(err, PlotError::NoFiniteData { .. }), "{err}");
            assert!(err.to_string().contains("bad.png"), "{err}");
            assert!(!dir.path().join("bad.png").exists());
        }
    }

    #[test]
    fn odd_but_plottable_data_gives_a_valid_png() {
        let dir = tempfile::tempdir().unwrap();
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        // (x, y, sigma, fitted)
        type Case = (Vec<f64>, Vec<f64>, Option<Vec<f64>>, Vec<f64>);
        let cases: Vec<Case> = vec![
            // One point.
            (vec![1.0], vec![2.0], None, vec![2.0]),
            // All-equal x, all-equal y, zero residuals.
            (vec![3.0; 4], vec![7.0; 4], Some(vec![0.1; 4]), vec![7.0; 4]),
            // All zero, zero sigma (normalized residuals undefined).
            (vec![0.0; 3], vec![0.0; 3], Some(vec![0.0; 3]), vec![0.0; 3]),
            // NaN and infinite entries mixed in, NaN fitted values, negative sigma.
            (
                vec![0.0, 1.0, nan, 3.0, inf, 5.0],
                vec![1.0, nan, 2.0, 3.0, 4.0, -inf],
                Some(vec![0.1, 0.1, 0.1, -1.0, nan, 0.1]),
                vec![nan, 1.0, 2.0, nan, 4.0, 5.0],
            ),
            // Huge and tiny magnitudes, a tiny span at a large offset.
            (
                vec![-1e300, 1e300, 1e-300],
                vec![1e-310, 2e-310, 5e-324],
                None,
                vec![f64::MAX, -f64::MAX, 0.0],
            ),
            (
                vec![1e15, 1e15 + 0.5, 1e15 + 1.0],
                vec![1e9, 1e9 + 1e-6, 1e9 + 2e-6],
                Some(vec![1e-7; 3]),
                vec![1e9; 3],
            ),
        ];
        for (k, (x, y, sigma, fitted)) in cases.iter().enumerate() {
            let data = PlotData {
                x,
                y,
                sigma: sigma.as_deref(),
                fitted,
                curve: None,
                x_label: "x",
                y_label: "y",
                title: "odd",
            };
            let path = write(dir.path(), &format!("odd{k}.png"), &data, 400, 300)
                .unwrap_or_else(|e| panic!("case {k}: {e}"));
            assert_eq!(decode(&path).0, 400, "case {k}");
        }
    }

    #[test]
    fn curve_with_gaps_and_a_long_title_still_plots() {
        let dir = tempfile::tempdir().unwrap();
        let e = example();
        let mut model = e.grid_model.clone();
        model[100] = f64::NAN;
        model[200] = f64::INFINITY;
        let title = "y = ".to_string() + &"a\u{b7}exp(\u{2212}t/\u{3c4}) + ".repeat(30) + "c";
        let data = PlotData {
            curve: Some((&e.grid, &model)),
            title: &title,
            ..plot_data(&e, true, true)
        };
        let path = write(dir.path(), "gaps.png", &data, 900, 700).unwrap();
        assert_eq!(decode(&path).0, 900);
    }

    #[test]
    fn mismatched_lengths_and_bad_sizes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = example();
        let short = &e.y[1..];
        let bad = [
            PlotData {
                y: short,
                ..plot_data(&e, true, true)
            },
            PlotData {
                fitted: short,
                ..plot_data(&e, true, true)
            },
            PlotData {
                sigma: Some(short),
                ..plot_data(&e, true, true)
            },
            PlotData {
                curve: Some((&e.grid, short)),
                ..plot_data(&e, true, true)
            },
        ];
        for data in &bad {
            let err = write(dir.path(), "len.png", data, 900, 700).unwrap_err();
            assert!(matches!(err, PlotError::LengthMismatch { .. }), "{err}");
            assert!(err.to_string().contains("len.png"), "{err}");
        }
        let good = plot_data(&e, true, true);
        for (w, h) in [(0, 700), (900, 0), (100, 100), (MAX_SIDE + 1, 700)] {
            let err = write(dir.path(), "size.png", &good, w, h).unwrap_err();
            assert!(matches!(err, PlotError::Size { .. }), "{err}");
        }
    }

    #[test]
    fn unwritable_path_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = example();
        let path = dir.path().join("no such dir").join("fit.png");
        let err = write_png(&path, &plot_data(&e, false, true), 900, 700).unwrap_err();
        assert!(matches!(err, PlotError::Io { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("no such dir") && !message.contains('\n'),
            "{message}"
        );
    }

    #[test]
    fn a_million_points_are_strided_and_plot_quickly() {
        let n = 1_000_000;
        let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / n as f64).collect();
        let fitted: Vec<f64> = x.iter().map(|&x| model(x)).collect();
        let y: Vec<f64> = fitted
            .iter()
            .enumerate()
            .map(|(i, f)| f + 0.1 * ((i as f64) * 0.7).sin())
            .collect();
        let sigma = vec![0.1; n];
        let data = PlotData {
            x: &x,
            y: &y,
            sigma: Some(&sigma),
            fitted: &fitted,
            curve: None,
            x_label: "x",
            y_label: "y",
            title: "a million points",
        };
        let prepared = Prepared::new(&data).unwrap();
        assert!(prepared.points.len() <= MAX_DRAWN_POINTS);
        assert!(prepared.points.len() > MAX_DRAWN_POINTS / 2);
        assert!(prepared.curve.iter().map(Vec::len).sum::<usize>() <= MAX_DRAWN_POINTS);
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let path = write(dir.path(), "big.png", &data, 900, 700).unwrap();
        eprintln!("a million points plotted in {:?}", start.elapsed());
        assert_eq!(decode(&path).1, 700);
    }

    #[test]
    fn striding_is_deterministic_and_bounded() {
        assert_eq!(strided(0, 10).count(), 0);
        assert_eq!(strided(5, 10).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(
            strided(25, 10).collect::<Vec<_>>(),
            [0, 3, 6, 9, 12, 15, 18, 21, 24]
        );
        for n in [1, 19_999, 20_000, 20_001, 1_000_000, 1_234_567] {
            let k = strided(n, MAX_DRAWN_POINTS).count();
            assert!(
                k <= MAX_DRAWN_POINTS && k >= n.min(MAX_DRAWN_POINTS) / 2,
                "{n}: {k}"
            );
        }
    }

    #[test]
    fn ranges_and_tick_labels_are_sensible() {
        assert_eq!(padded((0.0, 10.0)), (-0.5, 10.5));
        assert_eq!(padded((2.0, 2.0)), (1.9, 2.1));
        assert_eq!(padded((0.0, 0.0)), (-1.0, 1.0));
        assert_eq!(tick_label(2.0, 0.0, 10.0), "2");
        assert_eq!(tick_label(0.25, 0.0, 1.0), "0.25");
        assert_eq!(tick_label(-1e-17, -1.0, 1.0), "0");
        assert_eq!(tick_label(2e6, 0.0, 1e7), "2e6");
        assert_eq!(tick_label(1.5e-5, 0.0, 1e-4), "1.5e-5");
    }
}

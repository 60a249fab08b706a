//! Drawing of the figure with plotters: the title, the upper panel (data, error bars,
//! curve, legend) and the residual panel beneath, with sizes scaled to the image.

use std::error::Error as StdError;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{label_count, tick_label};
use super::plot_data::PlotData;
use super::prepare::Prepared;
use super::raster::FONT_FAMILY;

pub(super) const DATA_COLOR: RGBColor = RGBColor(31, 119, 180);
pub(super) const FIT_COLOR: RGBColor = RGBColor(214, 39, 40);

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

pub(super) fn render(
    buf: &mut [u8],
    width: u32,
    height: u32,
    data: &PlotData,
    p: &Prepared,
) -> DrawResult {
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

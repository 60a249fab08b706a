//! The two-time heatmaps of an XPCS fit: one PNG per angle, named as the Python `homodyne`
//! package names them (`c2_heatmaps_phi_{phi:.1f}deg.png`), with three panels side by side:
//! the data, the fit and the residual `data - fit`, each over `(t1, t2)` with `t1` along
//! the horizontal axis and `t2` up (the package's `imshow(c2.T, origin="lower")`).
//!
//! - Data and fit share one colour scale (viridis), from the 1st to the 99th percentile of
//!   the drawn pixels of both panels (the package's default `percentile_min`/`max`);
//!   values outside it saturate.
//! - The residual uses a symmetric diverging scale (blue, white at 0, red) of
//!   `+-` the 99th percentile of `|data - fit|`.
//! - Each panel has a colour bar with ticks, and its caption states the colour range.
//!   Cells with no finite value are grey.
//! - Each panel is drawn at its own pixels (the `pixel_means` module): the matrix is
//!   averaged down to the panel's plotting area, each pixel the mean of the frames it
//!   covers (non-finite values left out), or, with fewer frames than pixels, each pixel
//!   the frame under it. The colour scales are the percentiles of those pixels. The pixels
//!   are drawn as one image per panel, straight into the bitmap, so 1001 frames (a
//!   million cells a panel) are read once and draw in a few milliseconds.
//! - The PNG is encoded with the `png` crate's `Fast` setting (fdeflate, adaptive row
//!   filter). On a heatmap of 1001 frames of noisy data it takes 4 ms for 1.13 MB;
//!   `Fastest` 3.3 ms for 1.19 MB, `Balanced` 24-32 ms for 0.78 MB, `High` 80-130 ms for
//!   0.75 MB, no compression 4-5 ms for 3.3 MB: smaller files cost more time than they
//!   save in writing.
//!
//! The axes assume evenly spaced frames: each cell is centred on its frame's time, from
//! half a step before the first frame to half a step after the last.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::BitMapElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{padded, tick_label};
use super::colour_scale::{ColourTable, DIVERGING, VIRIDIS, bar_image, percentile, percentiles};
use super::per_angle::PerAngle;
use super::pixel_means::PixelMeans;
use super::raster::{FONT_FAMILY, encode_png};

/// Width in pixels of every heatmap PNG.
pub const HEATMAP_WIDTH: u32 = 1950;
/// Height in pixels of every heatmap PNG.
pub const HEATMAP_HEIGHT: u32 = 560;
/// Percentiles of the shared data/fit colour scale.
pub const COLOUR_PERCENTILES: (f64, f64) = (1.0, 99.0);
/// The PNG encoding of the heatmaps (module documentation).
const HEATMAP_COMPRESSION: png::Compression = png::Compression::Fast;

/// The file name of the heatmap of angle `phi` (degrees): `c2_heatmaps_phi_-30.0deg.png`,
/// Python's `f"c2_heatmaps_phi_{phi:.1f}deg.png"`.
pub fn heatmap_file_name(phi: f64) -> String {
    format!("c2_heatmaps_phi_{phi:.1}deg.png")
}

/// Writes one PNG of [`HEATMAP_WIDTH`] x [`HEATMAP_HEIGHT`] pixels per angle into `dir`
/// (created when missing), named by [`heatmap_file_name`], and returns their paths in the
/// order of `phi`. `data` and `fit` hold the `phi.len()` matrices of `n_t x n_t` values one
/// after another, each row-major with `t1` along the rows (`[k][i][j]` is angle `k`,
/// `t1 = times[i]`, `t2 = times[j]`); `times` are the frame times in seconds. Two angles
/// that print alike to one decimal share a file name, and the later one replaces the
/// earlier.
///
/// # Errors
///
/// A one-line message naming the file or folder: lengths that disagree, no angle, a
/// non-finite angle or time, a folder that cannot be created, a PNG that cannot be drawn
/// or written. Files written before the failure stay.
pub fn write_heatmaps(
    dir: &Path,
    phi: &[f64],
    n_t: usize,
    times: &[f64],
    data: &[f64],
    fit: &[f64],
) -> Result<Vec<PathBuf>, String> {
    let t_range = cell_edges(times);
    HEATMAPS.write(dir, phi, (n_t, times), (data, fit), |angle, data, fit| {
        render_angle(angle, n_t, t_range, (data, fit))
    })
}

/// The heatmaps: any number of frames from one, at finite times.
const HEATMAPS: PerAngle = PerAngle {
    figures: "heatmaps",
    refuse_frames: |n_t| (n_t == 0).then(|| "no frame".to_owned()),
    refuse_times: |times| {
        let bad = times.iter().find(|v| !v.is_finite())?;
        Some(format!("the time {bad} is not finite"))
    },
    file_name: heatmap_file_name,
};

/// The axis range of the frames: from half a frame step before the first time to half a
/// step after the last, so that each cell is centred on its frame's time; a range around
/// the time for a single frame.
fn cell_edges(times: &[f64]) -> (f64, f64) {
    let (first, last) = match times {
        [] => return padded((0.0, 0.0)),
        [t] => return padded((*t, *t)),
        [first, .., last] => (first.min(*last), first.max(*last)),
    };
    let half_step = (last - first) / (times.len() - 1) as f64 / 2.0;
    if half_step > 0.0 && half_step.is_finite() {
        (first - half_step, last + half_step)
    } else {
        padded((first, last))
    }
}

/// One panel: its pixels, colour map and range, and caption.
struct Panel<'a> {
    caption: String,
    pixels: &'a PixelMeans,
    map: &'static [[u8; 3]],
    range: (f64, f64),
}

/// The RGB image of the panel's pixels, row by row from the top, coloured through a
/// [`ColourTable`] of its map and range.
fn pixel_image(panel: &Panel) -> Vec<u8> {
    let table = ColourTable::new(panel.map, panel.range);
    let mut rgb = Vec::with_capacity(panel.pixels.values.len() * 3);
    for &v in &panel.pixels.values {
        rgb.extend_from_slice(&table.colour(v));
    }
    rgb
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

type DrawResult<T> = Result<T, Box<dyn StdError>>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Pixels below the plotting area of a heatmap for the t1 tick labels and axis title.
const X_LABEL_AREA: u32 = 48;
/// Pixels left of the plotting area for the t2 tick labels and axis title.
const Y_LABEL_AREA: u32 = 78;
/// Pixels at the right of a panel for its colour bar and tick labels.
const BAR_AREA: u32 = 115;
/// Margin around each plotting area.
const MARGIN: u32 = 8;
/// Height of the strip with the figure's title: fixed, so that the panels' pixels are
/// known before the title's text is.
const TITLE_HEIGHT: u32 = 36;
/// Height of the strip with a panel's caption: fixed, as the title's.
const CAPTION_HEIGHT: u32 = 27;

/// The parts of one panel: the strip for its caption, the heatmap with its axes, and the
/// colour bar.
struct PanelAreas<'a> {
    caption: Area<'a>,
    main: Area<'a>,
    bar: Area<'a>,
}

impl<'a> PanelAreas<'a> {
    fn new(area: &Area<'a>) -> Self {
        let (caption, rest) = area.split_vertically(CAPTION_HEIGHT);
        let (width, _) = rest.dim_in_pixel();
        let (main, bar) = rest.split_horizontally(width.saturating_sub(BAR_AREA));
        Self { caption, main, bar }
    }

    /// The heatmap's axes over `t_range` on both sides, nothing drawn yet.
    fn chart(
        &self,
        (t_lo, t_hi): (f64, f64),
    ) -> DrawResult<ChartContext<'a, BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>>
    {
        Ok(ChartBuilder::on(&self.main)
            .margin(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(t_lo..t_hi, t_lo..t_hi)?)
    }
}

/// Draws `text` centred at the top of `area` in `style`, and returns the area below the
/// first `height` pixels.
fn strip_titled<'a>(
    area: &Area<'a>,
    text: &str,
    style: TextStyle,
    height: u32,
) -> DrawResult<Area<'a>> {
    let (strip, rest) = area.split_vertically(height);
    let (width, _) = strip.dim_in_pixel();
    let style = style.pos(Pos::new(HPos::Center, VPos::Top));
    strip.draw_text(text, &style, ((width / 2) as i32, 5))?;
    Ok(rest)
}

/// The PNG of one angle.
fn render_angle(
    phi: f64,
    n_t: usize,
    t_range: (f64, f64),
    (data, fit): (&[f64], &[f64]),
) -> DrawResult<Vec<u8>> {
    let mut rgb = vec![0u8; HEATMAP_WIDTH as usize * HEATMAP_HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (HEATMAP_WIDTH, HEATMAP_HEIGHT))
            .into_drawing_area();
        root.fill(&WHITE)?;
        let (title_strip, body) = root.split_vertically(TITLE_HEIGHT);
        let areas: Vec<PanelAreas> = body
            .split_evenly((1, 3))
            .iter()
            .map(PanelAreas::new)
            .collect();
        // The panels' plotting areas, in pixels: the matrices are averaged to them.
        let mut sizes = Vec::with_capacity(areas.len());
        for area in &areas {
            let (w, h) = area.chart(t_range)?.plotting_area().dim_in_pixel();
            sizes.push((w as usize, h as usize));
        }
        let [data_size, fit_size, residual_size] = sizes[..] else {
            return Err("the heatmap has no three panels".into());
        };
        let data_pixels = PixelMeans::of(n_t, data_size, data);
        let fit_pixels = PixelMeans::of(n_t, fit_size, fit);
        let residual_pixels = PixelMeans::of_difference(n_t, residual_size, data, fit);

        let shared: Vec<f64> = data_pixels
            .values
            .iter()
            .chain(&fit_pixels.values)
            .copied()
            .collect();
        let shared_range = match percentiles(&shared, COLOUR_PERCENTILES) {
            Some((lo, hi)) => padded_if_flat(lo, hi),
            None => (0.0, 1.0),
        };
        let magnitudes: Vec<f64> = residual_pixels.values.iter().map(|v| v.abs()).collect();
        let r = percentile(&magnitudes, COLOUR_PERCENTILES.1).unwrap_or(0.0);
        let residual_range = if r > 0.0 && r.is_finite() {
            (-r, r)
        } else {
            padded((0.0, 0.0))
        };
        let range_text = |(lo, hi): (f64, f64)| {
            format!("{} to {}", tick_label(lo, lo, hi), tick_label(hi, lo, hi))
        };
        let panels = [
            Panel {
                caption: format!("data (colour {})", range_text(shared_range)),
                pixels: &data_pixels,
                map: &VIRIDIS,
                range: shared_range,
            },
            Panel {
                caption: format!("fit (colour {})", range_text(shared_range)),
                pixels: &fit_pixels,
                map: &VIRIDIS,
                range: shared_range,
            },
            Panel {
                caption: format!(
                    "residual = data - fit (colour {})",
                    range_text(residual_range)
                ),
                pixels: &residual_pixels,
                map: &DIVERGING,
                range: residual_range,
            },
        ];

        let (w, h) = data_size;
        let title = format!(
            "c2(t1, t2) at \u{3c6} = {phi:.1}\u{b0}   ({n_t} x {n_t} frames{})",
            if n_t > w || n_t > h {
                format!(", drawn as {w} x {h} pixel means")
            } else {
                String::new()
            }
        );
        strip_titled(&title_strip, &title, font(22.0), TITLE_HEIGHT)?;
        for (areas, panel) in areas.iter().zip(&panels) {
            draw_panel(areas, panel, t_range)?;
        }
        root.present()?;
    }
    Ok(encode_png(
        &rgb,
        HEATMAP_WIDTH,
        HEATMAP_HEIGHT,
        HEATMAP_COMPRESSION,
    )?)
}

/// A range around `lo..hi`, widened when the two are equal.
fn padded_if_flat(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo { (lo, hi) } else { padded((lo, hi)) }
}

/// One panel: caption, heatmap with axes in seconds, colour bar with ticks.
fn draw_panel(areas: &PanelAreas, panel: &Panel, t_range: (f64, f64)) -> DrawResult<()> {
    strip_titled(&areas.caption, &panel.caption, font(15.0), CAPTION_HEIGHT)?;
    let (t_lo, t_hi) = t_range;
    let mut chart = areas.chart(t_range)?;
    let t_tick = |v: &f64| tick_label(*v, t_lo, t_hi);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&t_tick)
        .y_label_formatter(&t_tick)
        .x_desc("t1 (s)")
        .y_desc("t2 (s)")
        .label_style(font(13.0))
        .axis_desc_style(font(14.0))
        .draw()?;
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let pixels = panel.pixels;
    if (w as usize, h as usize) != (pixels.width, pixels.height) {
        return Err(format!(
            "the heatmap's {} x {} pixels do not fill its {w} x {h} plotting area",
            pixels.width, pixels.height
        )
        .into());
    }
    if w > 0 && h > 0 {
        let image = BitMapElement::with_owned_buffer((t_lo, t_hi), (w, h), pixel_image(panel))
            .ok_or("the heatmap image has the wrong size")?;
        chart.plotting_area().draw(&image)?;
    }

    let (lo, hi) = panel.range;
    let mut bar_chart = ChartBuilder::on(&areas.bar)
        .margin_top(MARGIN)
        .margin_bottom(MARGIN + X_LABEL_AREA)
        .margin_left(12)
        .margin_right(4)
        .right_y_label_area_size(BAR_AREA.saturating_sub(12 + 4 + 22))
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    let value_tick = |v: &f64| tick_label(*v, lo, hi);
    bar_chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&value_tick)
        .label_style(font(12.0))
        .draw()?;
    let (w, h) = bar_chart.plotting_area().dim_in_pixel();
    if w > 0 && h > 0 {
        let image = BitMapElement::with_owned_buffer((0.0, hi), (w, h), bar_image(panel.map, w, h))
            .ok_or("the colour bar image has the wrong size")?;
        bar_chart.plotting_area().draw(&image)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decaying two-time matrix per angle, and a fit that misses it slightly.
    fn synthetic(phi: &[f64], n_t: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let times: Vec<f64> = (0..n_t).map(|k| 0.1 * k as f64).collect();
        let mut data = Vec::with_capacity(phi.len() * n_t * n_t);
        let mut fit = Vec::with_capacity(data.capacity());
        for (k, _) in phi.iter().enumerate() {
            for i in 0..n_t {
                for j in 0..n_t {
                    let g = (-(times[i] - times[j]).abs() / (0.5 + k as f64)).exp();
                    let wiggle = 0.002 * ((i * 7 + j * 3) as f64).sin();
                    data.push(1.0 + 0.3 * g * g + wiggle);
                    fit.push(1.0 + 0.29 * g * g);
                }
            }
        }
        (times, data, fit)
    }

    fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
        let bytes = std::fs::read(path).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        buffer.truncate(info.buffer_size());
        (info.width, info.height, buffer)
    }

    #[test]
    fn heatmap_files_are_named_as_the_package_and_decode() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nlsq");
        let phi = [-30.0, 0.0, 45.25];
        let n_t = 24;
        let (times, data, fit) = synthetic(&phi, n_t);
        let written = write_heatmaps(&out, &phi, n_t, &times, &data, &fit).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "c2_heatmaps_phi_-30.0deg.png",
                "c2_heatmaps_phi_0.0deg.png",
                "c2_heatmaps_phi_45.2deg.png"
            ]
        );
        for path in &written {
            assert_eq!(path.parent(), Some(out.as_path()));
            let (w, h, pixels) = decode(path);
            assert_eq!(
                (w, h),
                (HEATMAP_WIDTH, HEATMAP_HEIGHT),
                "{}",
                path.display()
            );
            // Viridis ends and the diverging map's blue and red are all drawn.
            let has = |c: [u8; 3]| pixels.chunks(3).any(|p| p == c);
            assert!(has(VIRIDIS[0]) && has(VIRIDIS[10]), "{}", path.display());
            assert!(has(DIVERGING[0]) && has(DIVERGING[8]), "{}", path.display());
        }
    }

    #[test]
    fn large_matrices_are_averaged_to_the_panel_pixels() {
        let dir = tempfile::tempdir().unwrap();
        let n_t = 1000;
        let (times, data, fit) = synthetic(&[10.0], n_t);
        let written = write_heatmaps(dir.path(), &[10.0], n_t, &times, &data, &fit).unwrap();
        assert_eq!(written.len(), 1);
        assert_eq!(decode(&written[0]).0, HEATMAP_WIDTH);
        // Each panel's plotting area, as render_angle lays it out: a few hundred pixels a
        // side, so a pixel is the mean of 2 or 3 frames along each axis.
        let mut rgb = vec![0u8; HEATMAP_WIDTH as usize * HEATMAP_HEIGHT as usize * 3];
        let root = BitMapBackend::with_buffer(&mut rgb, (HEATMAP_WIDTH, HEATMAP_HEIGHT))
            .into_drawing_area();
        let (_, body) = root.split_vertically(TITLE_HEIGHT);
        for area in body.split_evenly((1, 3)) {
            let chart = PanelAreas::new(&area).chart(cell_edges(&times)).unwrap();
            let (w, h) = chart.plotting_area().dim_in_pixel();
            assert!(
                (300..500).contains(&w) && (300..500).contains(&h),
                "{w} x {h}"
            );
            let pixels = PixelMeans::of(n_t, (w as usize, h as usize), &data[..n_t * n_t]);
            assert_eq!(pixels.values.len(), (w * h) as usize);
            assert!(pixels.values.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn cells_are_centred_on_their_times() {
        assert_eq!(cell_edges(&[0.0, 0.1, 0.2, 0.3, 0.4]), (-0.05, 0.45));
        assert_eq!(cell_edges(&[2.0, 1.0]), (0.5, 2.5));
        let (lo, hi) = cell_edges(&[3.0]);
        assert!(lo < 3.0 && hi > 3.0);
        let (lo, hi) = cell_edges(&[3.0, 3.0]);
        assert!(lo < 3.0 && hi > 3.0);
    }

    #[test]
    fn bad_input_and_unwritable_folders_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (times, data, fit) = synthetic(&[0.0], 5);
        // A regular file where the folder should be.
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = write_heatmaps(&file.join("nlsq"), &[0.0], 5, &times, &data, &fit).unwrap_err();
        assert!(err.contains("a-file"), "{err}");
        // The PNG's name is taken by a folder.
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join(heatmap_file_name(0.0))).unwrap();
        let err = write_heatmaps(&out, &[0.0], 5, &times, &data, &fit).unwrap_err();
        assert!(err.contains("c2_heatmaps_phi_0.0deg.png"), "{err}");
        // Lengths, angles and times.
        let out = dir.path().join("ok");
        assert!(write_heatmaps(&out, &[0.0], 5, &times, &data[1..], &fit).is_err());
        assert!(write_heatmaps(&out, &[0.0, 1.0], 5, &times, &data, &fit).is_err());
        assert!(write_heatmaps(&out, &[], 5, &times, &data, &fit).is_err());
        assert!(write_heatmaps(&out, &[f64::NAN], 5, &times, &data, &fit).is_err());
        assert!(write_heatmaps(&out, &[0.0], 5, &times[1..], &data, &fit).is_err());
        assert!(write_heatmaps(&out, &[0.0], 0, &[], &[], &[]).is_err());
        assert!(write_heatmaps(&out, &[0.0], usize::MAX, &times, &data, &fit).is_err());
        // Non-finite values and a single frame still draw.
        let odd = [f64::NAN, f64::INFINITY, 1.0, 2.0];
        assert!(write_heatmaps(&out, &[0.0], 2, &[0.0, 0.1], &odd, &odd).is_ok());
        assert!(write_heatmaps(&out, &[0.0], 1, &[0.0], &[1.0], &[1.0]).is_ok());
        assert!(write_heatmaps(&out, &[0.0], 1, &[0.0], &[f64::NAN], &[f64::NAN]).is_ok());
    }
}

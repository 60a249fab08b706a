//! The two-time heatmaps of an XPCS fit: one PNG per angle, named as the Python `homodyne`
//! package names them (`c2_heatmaps_phi_{phi:.1f}deg.png`), with three panels side by side:
//! the data, the fit and the residual `data - fit`, each over `(t1, t2)` with `t1` along
//! the horizontal axis and `t2` up (the package's `imshow(c2.T, origin="lower")`).
//!
//! - Data and fit share one colour scale (viridis), from the 1st to the 99th percentile of
//!   the drawn cells of both panels (the package's default `percentile_min`/`max`);
//!   values outside it saturate.
//! - The residual uses a symmetric diverging scale (blue, white at 0, red) of
//!   `+-` the 99th percentile of `|data - fit|`.
//! - Each panel has a colour bar with ticks, and its caption states the colour range.
//!   Cells with no finite value are grey.
//! - A matrix larger than [`MAX_CELLS`] frames a side is averaged down in blocks of
//!   `ceil(n_t / MAX_CELLS)` frames a side (non-finite values left out of the mean); the
//!   cells are then drawn as one pixel image per panel, straight into the bitmap, not
//!   one rectangle a cell, so 1000 frames (a million cells a panel) draw in a fraction of
//!   a second.
//!
//! The axes assume evenly spaced frames: each cell is centred on its frame's time, from
//! half a step before the first frame to half a step after the last.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::BitMapElement;
use plotters::prelude::*;

use super::axes::{padded, tick_label};
use super::per_angle::PerAngle;
use super::raster::{FONT_FAMILY, encode_png};

/// Width in pixels of every heatmap PNG.
pub const HEATMAP_WIDTH: u32 = 1950;
/// Height in pixels of every heatmap PNG.
pub const HEATMAP_HEIGHT: u32 = 560;
/// Most cells drawn along a side of a panel; larger matrices are block-averaged down to it.
pub const MAX_CELLS: usize = 450;
/// Percentiles of the shared data/fit colour scale.
pub const COLOUR_PERCENTILES: (f64, f64) = (1.0, 99.0);

/// Colour of a cell with no finite value.
const MISSING: [u8; 3] = [150, 150, 150];
/// Viridis at 0, 0.1, .., 1.
const VIRIDIS: [[u8; 3]; 11] = [
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
const DIVERGING: [[u8; 3]; 9] = [
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

/// A matrix averaged down to `m x m` cells, row-major (row = t1 block).
struct Cells {
    m: usize,
    values: Vec<f64>,
}

/// Block means of `value(i, j)` over `n_t x n_t` frames, at most [`MAX_CELLS`] a side;
/// non-finite values are left out, and a cell with none finite is NaN.
fn block_mean(n_t: usize, value: impl Fn(usize) -> f64) -> Cells {
    let factor = n_t.div_ceil(MAX_CELLS).max(1);
    let m = n_t.div_ceil(factor);
    let mut sums = vec![0.0; m * m];
    let mut counts = vec![0u32; m * m];
    for i in 0..n_t {
        let row = (i / factor) * m;
        for j in 0..n_t {
            let v = value(i * n_t + j);
            if v.is_finite() {
                let cell = row + j / factor;
                sums[cell] += v;
                counts[cell] += 1;
            }
        }
    }
    let values = sums
        .iter()
        .zip(&counts)
        .map(|(&s, &c)| if c > 0 { s / f64::from(c) } else { f64::NAN })
        .collect();
    Cells { m, values }
}

/// The `p`-th percentile (0 to 100, nearest rank) of the finite values; `None` when there
/// is none.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    let rank = ((p / 100.0).clamp(0.0, 1.0) * (finite.len() - 1) as f64).round() as usize;
    let rank = rank.min(finite.len() - 1);
    let (_, value, _) = finite.select_nth_unstable_by(rank, f64::total_cmp);
    Some(*value)
}

/// The colour of `v` on `map` over `range`; grey when `v` is not finite.
fn colour(map: &[[u8; 3]], (lo, hi): (f64, f64), v: f64) -> [u8; 3] {
    if !v.is_finite() || map.is_empty() {
        return MISSING;
    }
    let u = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let u = if u.is_nan() { 0.5 } else { u };
    let scaled = u * (map.len() - 1) as f64;
    let below = (scaled.floor() as usize).min(map.len() - 1);
    let above = (below + 1).min(map.len() - 1);
    let w = scaled - below as f64;
    let mix = |a: u8, b: u8| (f64::from(a) * (1.0 - w) + f64::from(b) * w).round() as u8;
    let (a, b) = (map[below], map[above]);
    [mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2])]
}

/// One panel: its cells, colour map and range, and caption.
struct Panel<'a> {
    caption: String,
    cells: &'a Cells,
    map: &'static [[u8; 3]],
    range: (f64, f64),
}

/// The RGB image of `cells` at `width x height` pixels: `t1` to the right, `t2` up.
fn cell_image(panel: &Panel, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let m = panel.cells.m;
    let mut rgb = Vec::with_capacity(w * h * 3);
    for py in 0..h {
        let j = ((h - 1 - py) * m / h.max(1)).min(m.saturating_sub(1));
        for px in 0..w {
            let i = (px * m / w.max(1)).min(m.saturating_sub(1));
            let v = panel
                .cells
                .values
                .get(i * m + j)
                .copied()
                .unwrap_or(f64::NAN);
            rgb.extend_from_slice(&colour(panel.map, panel.range, v));
        }
    }
    rgb
}

/// A vertical colour bar image, `lo` at the bottom.
fn bar_image(map: &[[u8; 3]], width: u32, height: u32) -> Vec<u8> {
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

/// The PNG of one angle.
fn render_angle(
    phi: f64,
    n_t: usize,
    t_range: (f64, f64),
    (data, fit): (&[f64], &[f64]),
) -> DrawResult<Vec<u8>> {
    let data_cells = block_mean(n_t, |i| data[i]);
    let fit_cells = block_mean(n_t, |i| fit[i]);
    let residual_cells = block_mean(n_t, |i| data[i] - fit[i]);

    let shared: Vec<f64> = data_cells
        .values
        .iter()
        .chain(&fit_cells.values)
        .copied()
        .collect();
    let (p_lo, p_hi) = COLOUR_PERCENTILES;
    let shared_range = match (percentile(&shared, p_lo), percentile(&shared, p_hi)) {
        (Some(lo), Some(hi)) => padded_if_flat(lo, hi),
        _ => (0.0, 1.0),
    };
    let magnitudes: Vec<f64> = residual_cells.values.iter().map(|v| v.abs()).collect();
    let r = percentile(&magnitudes, p_hi).unwrap_or(0.0);
    let residual_range = if r > 0.0 && r.is_finite() {
        (-r, r)
    } else {
        padded((0.0, 0.0))
    };
    let range_text =
        |(lo, hi): (f64, f64)| format!("{} to {}", tick_label(lo, lo, hi), tick_label(hi, lo, hi));
    let panels = [
        Panel {
            caption: format!("data (colour {})", range_text(shared_range)),
            cells: &data_cells,
            map: &VIRIDIS,
            range: shared_range,
        },
        Panel {
            caption: format!("fit (colour {})", range_text(shared_range)),
            cells: &fit_cells,
            map: &VIRIDIS,
            range: shared_range,
        },
        Panel {
            caption: format!(
                "residual = data - fit (colour {})",
                range_text(residual_range)
            ),
            cells: &residual_cells,
            map: &DIVERGING,
            range: residual_range,
        },
    ];

    let mut rgb = vec![0u8; HEATMAP_WIDTH as usize * HEATMAP_HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (HEATMAP_WIDTH, HEATMAP_HEIGHT))
            .into_drawing_area();
        root.fill(&WHITE)?;
        let title = format!(
            "c2(t1, t2) at \u{3c6} = {phi:.1}\u{b0}   ({n_t} x {n_t} frames{})",
            if data_cells.m < n_t {
                format!(", drawn as {0} x {0} block means", data_cells.m)
            } else {
                String::new()
            }
        );
        let body = root.titled(&title, font(22.0))?;
        for (area, panel) in body.split_evenly((1, 3)).iter().zip(&panels) {
            draw_panel(area, panel, t_range)?;
        }
        root.present()?;
    }
    Ok(encode_png(
        &rgb,
        HEATMAP_WIDTH,
        HEATMAP_HEIGHT,
        png::Compression::Fast,
    )?)
}

/// A range around `lo..hi`, widened when the two are equal.
fn padded_if_flat(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo { (lo, hi) } else { padded((lo, hi)) }
}

/// One panel: caption, heatmap with axes in seconds, colour bar with ticks.
fn draw_panel(area: &Area, panel: &Panel, (t_lo, t_hi): (f64, f64)) -> DrawResult<()> {
    let area = area.titled(&panel.caption, font(15.0))?;
    let (width, _) = area.dim_in_pixel();
    let (main, bar) = area.split_horizontally(width.saturating_sub(BAR_AREA));

    let mut chart = ChartBuilder::on(&main)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(t_lo..t_hi, t_lo..t_hi)?;
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
    if w > 0 && h > 0 {
        let image = BitMapElement::with_owned_buffer((t_lo, t_hi), (w, h), cell_image(panel, w, h))
            .ok_or("the heatmap image has the wrong size")?;
        chart.plotting_area().draw(&image)?;
    }

    let (lo, hi) = panel.range;
    let mut bar_chart = ChartBuilder::on(&bar)
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
    fn large_matrices_are_averaged_down_and_fast() {
        let dir = tempfile::tempdir().unwrap();
        let n_t = 1000;
        let (times, data, fit) = synthetic(&[10.0], n_t);
        let started = std::time::Instant::now();
        let written = write_heatmaps(dir.path(), &[10.0], n_t, &times, &data, &fit).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        println!("1000 x 1000 frames, 3 panels: {seconds:.2} s");
        assert_eq!(written.len(), 1);
        assert_eq!(decode(&written[0]).0, HEATMAP_WIDTH);
        let cells = block_mean(n_t, |i| data[i]);
        assert_eq!(cells.m, 334); // blocks of 3 frames: 333 full, 1 of one frame
        assert!(cells.m <= MAX_CELLS);
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
    fn block_means_skip_non_finite_values() {
        // 4 x 4 frames in blocks of 1 (no averaging) and a 900-frame ramp in blocks of 2.
        let values = [1.0, f64::NAN, 3.0, 4.0].repeat(4);
        let cells = block_mean(4, |i| values[i]);
        assert_eq!(cells.m, 4);
        assert!(cells.values[1].is_nan());
        let n = 900;
        let cells = block_mean(n, |i| {
            if i % n == 1 {
                f64::INFINITY
            } else {
                (i / n) as f64
            }
        });
        assert_eq!(cells.m, 450);
        assert_eq!(cells.values[0], 0.5); // rows 0 and 1; the infinite value left out
        assert_eq!(cells.values[450 + 7], 2.5);
    }

    #[test]
    fn colours_and_percentiles() {
        assert_eq!(colour(&VIRIDIS, (0.0, 1.0), -5.0), VIRIDIS[0]);
        assert_eq!(colour(&VIRIDIS, (0.0, 1.0), 5.0), VIRIDIS[10]);
        assert_eq!(colour(&DIVERGING, (-1.0, 1.0), 0.0), DIVERGING[4]);
        assert_eq!(colour(&VIRIDIS, (0.0, 1.0), f64::NAN), MISSING);
        let values: Vec<f64> = (0..=100).map(f64::from).chain([f64::NAN]).collect();
        assert_eq!(percentile(&values, 1.0), Some(1.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&[f64::NAN], 50.0), None);
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

//! One-time cuts of an XPCS fit: for each angle one PNG (`c2_cuts_phi_{phi:.1f}deg.png`,
//! beside the heatmaps) of `c2(t1, t1 + tau)` against the delay `tau = t2 - t1` at a few
//! ages `t1`, the way correlation functions are read: data as points, the fit as lines
//! of the same colour, the delay on a logarithmic axis.
//!
//! - **Ages** ([`cut_ages`]): [`CUT_AGES`] frames spread over the run, at the fractions
//!   `0, 1/4, 1/2, 3/4` of it (frame `round(f (n_t - 1))`), so that a drift of the
//!   dynamics with age (aging, a shear rate that changes) shows as cuts that differ. An
//!   age needs at least one later frame; ages that round to the same frame are drawn once.
//! - **Delays** ([`cut_delays`]): every lag `d = 1 .. n_t - 1 - i` (in frames) of age `i`
//!   for the fit's line; for the data points at most [`MAX_DRAWN_DELAYS`] lags evenly
//!   spaced in `log d` (all of them when there are fewer), so the long delays, crowded on
//!   a logarithmic axis, do not hide the short ones.
//! - Only `t1 < t2` is drawn (the measured half); non-finite values are left out, and a
//!   fit line breaks where the fit is not finite.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{padded, tick_label};
use super::per_angle::PerAngle;
use super::raster::{FONT_FAMILY, encode_png};

/// Width in pixels of every cuts PNG.
pub const CUTS_WIDTH: u32 = 1000;
/// Height in pixels of every cuts PNG.
pub const CUTS_HEIGHT: u32 = 700;
/// Ages drawn per angle (fewer when the run has fewer frames).
pub const CUT_AGES: usize = 4;
/// Most data points drawn per age.
pub const MAX_DRAWN_DELAYS: usize = 80;

/// The colours of the ages, in order (matplotlib's tab10).
const AGE_COLOURS: [RGBColor; CUT_AGES] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// The file name of the cuts of angle `phi` (degrees): `c2_cuts_phi_-30.0deg.png`, named
/// as the heatmaps are.
pub fn cuts_file_name(phi: f64) -> String {
    format!("c2_cuts_phi_{phi:.1}deg.png")
}

/// The frames (0-based) of the ages of a run of `n_t` frames: `round(k (n_t - 1) /
/// count)` for `k = 0 .. count`, those with a later frame, without repeats, in order.
pub fn cut_ages(n_t: usize, count: usize) -> Vec<usize> {
    let mut ages: Vec<usize> = (0..count)
        .map(|k| (k as f64 * n_t.saturating_sub(1) as f64 / count as f64).round() as usize)
        .filter(|&i| i + 1 < n_t)
        .collect();
    ages.dedup();
    ages
}

/// The lags (in frames, `t2 = t1 + lag`) drawn as data points at age `age` of a run of
/// `n_t` frames: every lag `1 ..= n_t - 1 - age` when there are at most `most`, else at
/// most `most` of them evenly spaced in `log lag`, always the first and the last,
/// increasing. Empty when the age has no later frame.
pub fn cut_delays(n_t: usize, age: usize, most: usize) -> Vec<usize> {
    let longest = n_t.saturating_sub(age + 1);
    if longest <= most {
        return (1..=longest).collect();
    }
    if most < 2 {
        return vec![1].into_iter().take(most).collect();
    }
    let ln_longest = (longest as f64).ln();
    let mut lags: Vec<usize> = (0..most)
        .map(|k| {
            let lag = (ln_longest * k as f64 / (most - 1) as f64).exp().round() as usize;
            lag.clamp(1, longest)
        })
        .collect();
    lags.dedup();
    lags
}

/// Writes one PNG of [`CUTS_WIDTH`] x [`CUTS_HEIGHT`] pixels per angle into `dir`
/// (created when missing), named by [`cuts_file_name`], and returns their paths in the
/// order of `phi`. `data` and `fit` hold the matrices as for
/// [`super::heatmap::write_heatmaps`] (`[k][i][j]` is angle `k`, `t1 = times[i]`,
/// `t2 = times[j]`), `times` the frame times in seconds, increasing.
///
/// # Errors
///
/// A one-line message naming the file or folder: lengths that disagree, no angle, fewer
/// than two frames, a non-finite angle, times that are not finite and increasing, a
/// folder that cannot be created, a PNG that cannot be drawn or written. Files written
/// before the failure stay.
pub fn write_cuts(
    dir: &Path,
    phi: &[f64],
    n_t: usize,
    times: &[f64],
    data: &[f64],
    fit: &[f64],
) -> Result<Vec<PathBuf>, String> {
    CUTS.write(dir, phi, (n_t, times), (data, fit), |angle, data, fit| {
        render_angle(angle, n_t, &Cuts::new(times, data, fit))
    })
}

/// The one-time cuts: at least two frames (a delay), at finite, increasing times.
const CUTS: PerAngle = PerAngle {
    figures: "one-time cuts",
    refuse_frames: |n_t| (n_t < 2).then(|| format!("{n_t} frame(s) have no delay to plot")),
    refuse_times: |times| {
        let increasing =
            times.iter().all(|t| t.is_finite()) && times.windows(2).all(|w| w[1] > w[0]);
        (!increasing).then(|| "the frame times are not finite and increasing".to_owned())
    },
    file_name: cuts_file_name,
};

/// The cut of one age: its time, data points and fit line runs, as (delay, c2).
struct Cut {
    t1: f64,
    points: Vec<(f64, f64)>,
    /// The fit over every lag, split where it is not finite.
    runs: Vec<Vec<(f64, f64)>>,
}

/// The cuts of one angle and the ranges of their axes.
struct Cuts {
    cuts: Vec<Cut>,
    delay_range: (f64, f64),
    c2_range: (f64, f64),
}

impl Cuts {
    /// The cuts of the `n_t x n_t` matrices `data` and `fit` (one angle).
    fn new(times: &[f64], data: &[f64], fit: &[f64]) -> Self {
        let n_t = times.len();
        let cuts: Vec<Cut> = cut_ages(n_t, CUT_AGES)
            .into_iter()
            .map(|i| {
                let delay = |lag: usize| times[i + lag] - times[i];
                let points = cut_delays(n_t, i, MAX_DRAWN_DELAYS)
                    .into_iter()
                    .map(|lag| (delay(lag), data[i * n_t + i + lag]))
                    .filter(|(_, c2)| c2.is_finite())
                    .collect();
                let (mut runs, mut run) = (Vec::new(), Vec::new());
                for lag in 1..n_t - i {
                    let value = fit[i * n_t + i + lag];
                    if value.is_finite() {
                        run.push((delay(lag), value));
                    } else if !run.is_empty() {
                        runs.push(std::mem::take(&mut run));
                    }
                }
                if !run.is_empty() {
                    runs.push(run);
                }
                Cut {
                    t1: times[i],
                    points,
                    runs,
                }
            })
            .collect();
        let shortest = times[1..]
            .iter()
            .zip(times)
            .map(|(b, a)| b - a)
            .fold(f64::INFINITY, f64::min);
        let longest = times[n_t - 1] - times[0];
        let values = cuts
            .iter()
            .flat_map(|c| c.points.iter().chain(c.runs.iter().flatten()))
            .map(|&(_, c2)| c2);
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let c2_range = if lo <= hi {
            padded((lo, hi))
        } else {
            padded((1.0, 1.0))
        };
        Self {
            cuts,
            delay_range: log_range(shortest, longest),
            c2_range,
        }
    }
}

/// The delay axis from below `shortest` to above `longest` (both positive): from
/// `shortest / 1.2`, or lower, the power of ten at or below `shortest` (so that a
/// labelled decade is in range), to `1.2 longest`. A `shortest` a rounding error below a
/// power of ten (`0.09999999999999998`, a difference of frame times) counts as that power.
fn log_range(shortest: f64, longest: f64) -> (f64, f64) {
    let low = shortest / 1.2;
    let decade = 10f64.powf((shortest.log10() + 1e-9).floor());
    (low.min(decade), longest * 1.2)
}

/// The label of a tick of the logarithmic delay axis: the value at mantissas 1, 2 and
/// 5 (`0.1`, `0.2`, `0.5`, `1`, `2`, ..., `1e-5`), nothing at the other grid lines.
fn log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let exponent = v.log10().floor();
    let mantissa = v / 10f64.powf(exponent);
    let Some(m) = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| (mantissa - m).abs() < 1e-6 * m)
    else {
        return String::new();
    };
    let (m, exponent) = if m == 10.0 {
        (1.0, exponent + 1.0)
    } else {
        (m, exponent)
    };
    if (-3.0..5.0).contains(&exponent) {
        let decimals = (-exponent).max(0.0) as usize;
        format!("{:.decimals$}", m * 10f64.powf(exponent))
    } else {
        format!("{m}e{exponent}")
    }
}

/// `v` seconds with 4 significant digits, trailing zeros dropped: `0.1`, `7.6`, `22.5`.
fn seconds(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    if (-3.0..5.0).contains(&magnitude) {
        let decimals = (3.0 - magnitude).max(0.0) as usize;
        let text = format!("{v:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            text
        }
    } else {
        format!("{v:.3e}")
    }
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

type DrawResult<T> = Result<T, Box<dyn StdError>>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// The PNG of one angle.
fn render_angle(phi: f64, n_t: usize, cuts: &Cuts) -> DrawResult<Vec<u8>> {
    let mut rgb = vec![0u8; CUTS_WIDTH as usize * CUTS_HEIGHT as usize * 3];
    {
        let root =
            BitMapBackend::with_buffer(&mut rgb, (CUTS_WIDTH, CUTS_HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let title = format!(
            "c2 against delay at \u{3c6} = {phi:.1}\u{b0}: points data, lines fit   ({n_t} frames)"
        );
        let body = root.titled(&title, font(22.0))?;
        draw_chart(&body, cuts)?;
        root.present()?;
    }
    // Fast: 3 PNGs of 300-frame cuts encode in 0.05 s instead of 0.35 s with High, for
    // files about 30% larger (76 kB against 57 kB).
    Ok(encode_png(
        &rgb,
        CUTS_WIDTH,
        CUTS_HEIGHT,
        png::Compression::Fast,
    )?)
}

/// The chart: log delay axis, linear c2 axis, one colour per age, a legend of the ages.
fn draw_chart(area: &Area, cuts: &Cuts) -> DrawResult<()> {
    let (d_lo, d_hi) = cuts.delay_range;
    let (c_lo, c_hi) = cuts.c2_range;
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(30)
        .x_label_area_size(55)
        .y_label_area_size(85)
        .build_cartesian_2d((d_lo..d_hi).log_scale(), c_lo..c_hi)?;
    let c_tick = |v: &f64| tick_label(*v, c_lo, c_hi);
    let d_tick = |v: &f64| log_tick(*v);
    chart
        .configure_mesh()
        .x_labels(30)
        .y_labels(10)
        .x_label_formatter(&d_tick)
        .y_label_formatter(&c_tick)
        .x_desc("delay t2 - t1 (s)")
        .y_desc("c2(t1, t2)")
        .label_style(font(15.0))
        .axis_desc_style(font(18.0))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()?;
    for (cut, &colour) in cuts.cuts.iter().zip(AGE_COLOURS.iter().cycle()) {
        let line = colour.stroke_width(2);
        chart.draw_series(
            cut.runs
                .iter()
                .map(|run| PathElement::new(run.clone(), line)),
        )?;
        let marker = colour.mix(0.8).filled();
        chart
            .draw_series(
                cut.points
                    .iter()
                    .map(|&point| Circle::new(point, 3, marker)),
            )?
            .label(format!("t1 = {} s", seconds(cut.t1)))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (22, 0)], line)
                    + Circle::new((11, 0), 3, marker)
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(15.0))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_spread_over_the_run_with_a_later_frame() {
        assert_eq!(cut_ages(300, 4), [0, 75, 150, 224]);
        assert_eq!(cut_ages(1001, 4), [0, 250, 500, 750]);
        // Few frames: repeats drawn once, the last frame never an age.
        assert_eq!(cut_ages(3, 4), [0, 1]);
        assert_eq!(cut_ages(2, 4), [0]);
        assert!(cut_ages(1, 4).is_empty());
        assert!(cut_ages(0, 4).is_empty());
    }

    #[test]
    fn delays_are_every_lag_or_log_spaced() {
        assert_eq!(cut_delays(10, 0, 80), (1..=9).collect::<Vec<_>>());
        assert_eq!(cut_delays(10, 7, 80), [1, 2]);
        assert!(cut_delays(10, 9, 80).is_empty());
        let lags = cut_delays(300, 0, 80);
        assert!(lags.len() <= 80 && lags.len() > 40, "{lags:?}");
        assert_eq!((lags[0], *lags.last().unwrap()), (1, 299));
        assert!(lags.windows(2).all(|w| w[1] > w[0]), "{lags:?}");
        // Evenly spaced in log: as many lags below sqrt(299) as above it, within rounding
        // and the repeats removed at short lags.
        let below = lags.iter().filter(|&&d| (d as f64) < 299f64.sqrt()).count();
        assert!((12..=40).contains(&below), "{below} of {}", lags.len());
        assert_eq!(cut_delays(300, 0, 1), [1]);
        assert!(cut_delays(300, 0, 0).is_empty());
    }

    #[test]
    fn delay_axis_labels_and_range() {
        assert_eq!(log_tick(0.1), "0.1");
        assert_eq!(log_tick(0.2), "0.2");
        assert_eq!(log_tick(0.3), "");
        assert_eq!(log_tick(5.0), "5");
        assert_eq!(log_tick(10.0), "10");
        assert_eq!(log_tick(0.09999999999999999), "0.1");
        assert_eq!(log_tick(2e-5), "2e-5");
        assert_eq!(log_tick(0.0), "");
        let (lo, hi) = log_range(0.1, 29.9);
        assert!(
            lo < 0.1 && lo > 0.08 && (hi - 35.88).abs() < 1e-9,
            "{lo} {hi}"
        );
        // A first delay of 0.3 s: the axis reaches down to 0.1, a labelled decade.
        assert_eq!(log_range(0.3, 0.9).0, 0.1);
        // A step of frame times just below 0.1: not a decade lower.
        let step = 0.7 - 0.6;
        assert!(step < 0.1);
        assert_eq!(log_range(step, 1.0).0, step / 1.2);
        assert_eq!(seconds(0.1), "0.1");
        assert_eq!(seconds(22.5), "22.5");
        assert_eq!(seconds(7.600000000000001), "7.6");
        assert_eq!(seconds(150.0), "150");
    }

    /// Matrices of `n_t` frames per angle decaying with the delay, data and a fit.
    fn synthetic(phi: &[f64], n_t: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let times: Vec<f64> = (1..=n_t).map(|k| 0.1 * k as f64).collect();
        let mut data = Vec::new();
        let mut fit = Vec::new();
        for k in 0..phi.len() {
            for i in 0..n_t {
                for j in 0..n_t {
                    let g = (-(times[i] - times[j]).abs() / (0.5 + k as f64)).exp();
                    data.push(1.0 + 0.3 * g * g + 0.003 * ((i * 7 + j * 3) as f64).sin());
                    fit.push(1.0 + 0.3 * g * g);
                }
            }
        }
        (times, data, fit)
    }

    #[test]
    fn one_png_per_angle_with_a_colour_per_age() {
        let dir = tempfile::tempdir().unwrap();
        let phi = [-60.0, 45.25];
        let n_t = 120;
        let (times, data, fit) = synthetic(&phi, n_t);
        let written = write_cuts(dir.path(), &phi, n_t, &times, &data, &fit).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["c2_cuts_phi_-60.0deg.png", "c2_cuts_phi_45.2deg.png"]
        );
        for path in &written {
            let bytes = std::fs::read(path).unwrap();
            let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
                .read_info()
                .unwrap();
            let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut pixels).unwrap();
            assert_eq!((info.width, info.height), (CUTS_WIDTH, CUTS_HEIGHT));
            // Every age's line colour is drawn.
            for colour in AGE_COLOURS {
                let rgb = [colour.0, colour.1, colour.2];
                assert!(
                    pixels[..info.buffer_size()].chunks(3).any(|p| p == rgb),
                    "{colour:?} missing in {}",
                    path.display()
                );
            }
        }
        // The cuts of angle 0: 4 ages, points and lines at the data's values.
        let cuts = Cuts::new(&times, &data[..n_t * n_t], &fit[..n_t * n_t]);
        assert_eq!(cuts.cuts.len(), 4);
        let first = &cuts.cuts[0];
        assert_eq!(first.t1, times[0]);
        assert_eq!(first.points[0], (times[1] - times[0], data[1]));
        assert_eq!(first.runs.len(), 1);
        assert_eq!(first.runs[0].len(), n_t - 1);
    }

    #[test]
    fn odd_values_are_left_out_and_bad_input_named() {
        let dir = tempfile::tempdir().unwrap();
        let (times, mut data, mut fit) = synthetic(&[0.0], 6);
        data[1] = f64::NAN;
        fit[3] = f64::INFINITY;
        let cuts = Cuts::new(&times, &data, &fit);
        assert_eq!(cuts.cuts[0].points.len(), 4); // lag 1 left out
        assert_eq!(cuts.cuts[0].runs.len(), 2); // broken at lag 3
        assert!(write_cuts(dir.path(), &[0.0], 6, &times, &data, &fit).is_ok());
        let out = dir.path().join("x");
        let err = write_cuts(&out, &[0.0], 6, &times, &data[1..], &fit).unwrap_err();
        assert!(err.contains("x") && err.contains("need 36 values"), "{err}");
        assert!(write_cuts(&out, &[], 6, &times, &data, &fit).is_err());
        assert!(write_cuts(&out, &[f64::NAN], 6, &times, &data, &fit).is_err());
        assert!(write_cuts(&out, &[0.0], 1, &[0.1], &[1.0], &[1.0]).is_err());
        let mut backwards = times.clone();
        backwards.swap(0, 1);
        assert!(write_cuts(&out, &[0.0], 6, &backwards, &data, &fit).is_err());
        // The PNG's name is taken by a folder.
        std::fs::create_dir_all(out.join(cuts_file_name(0.0))).unwrap();
        let err = write_cuts(&out, &[0.0], 6, &times, &data, &fit).unwrap_err();
        assert!(err.contains("c2_cuts_phi_0.0deg.png"), "{err}");
    }
}

//! Tests of the `--plot` figure: PNGs decoded and checked for size and colours, errors
//! for bad input, striding of large data, and axis ranges and tick labels.

use std::path::{Path, PathBuf};

use homodyne::random::GaussianNoise;
use plotters::prelude::RGBColor;

use super::axes::{padded, tick_label};
use super::draw::{DATA_COLOR, FIT_COLOR};
use super::prepare::{Prepared, strided};
use super::{MAX_DRAWN_POINTS, MAX_SIDE, PlotData, PlotError, write_png};

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
    let mut noise = GaussianNoise::new(0x9E37_79B9_7F4A_7C15);
    let n = 40;
    let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / (n - 1) as f64).collect();
    let sigma: Vec<f64> = x.iter().map(|&x| 0.12 + 0.018 * x).collect();
    let y = x
        .iter()
        .zip(&sigma)
        .map(|(&x, &s)| model(x) + s * noise.next_normal())
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
fn count_color(pixels: &[u8], width: u32, rows: std::ops::Range<u32>, color: RGBColor) -> usize {
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

fn write(dir: &Path, name: &str, data: &PlotData, w: u32, h: u32) -> Result<PathBuf, PlotError> {
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

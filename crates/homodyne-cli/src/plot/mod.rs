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

mod axes;
mod clip;
mod colour_scale;
pub mod cuts;
mod draw;
pub mod heatmap;
mod per_angle;
mod pixel_means;
mod plot_data;
mod prepare;
mod raster;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use draw::render;
pub use plot_data::{MAX_DRAWN_POINTS, PlotData};
use prepare::Prepared;
use raster::{encode_png, font_registered};

/// Width in pixels of the image the CLI writes when none is asked for.
pub const DEFAULT_WIDTH: u32 = 900;
/// Height in pixels of the image the CLI writes when none is asked for.
pub const DEFAULT_HEIGHT: u32 = 700;
/// Smallest accepted image width in pixels: below it axes and labels do not fit.
pub const MIN_WIDTH: u32 = 320;
/// Smallest accepted image height in pixels.
pub const MIN_HEIGHT: u32 = 240;
/// Largest accepted width or height in pixels (an RGB buffer of 10,000 x 10,000 is 300 MB).
pub const MAX_SIDE: u32 = 10_000;

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
    let png =
        encode_png(&rgb, width, height, png::Compression::High).map_err(|e| PlotError::Render {
            path: owned(),
            message: format!("PNG encoding failed: {e}"),
        })?;
    std::fs::write(path, png).map_err(|source| PlotError::Io {
        path: owned(),
        source,
    })
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

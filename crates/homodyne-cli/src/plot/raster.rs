//! What lets the figure render without any system library: DejaVu Sans embedded in the
//! binary and registered with plotters (text is rasterised by ab_glyph), and the encoding of
//! the RGB buffer as a PNG by the pure-Rust `png` crate.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// DejaVu Sans, embedded so that text renders without fontconfig or freetype.
static FONT_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// The family name under which the font is registered; plotters' own defaults use it too.
pub(super) const FONT_FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters once per process; false if it is unusable.
pub(super) fn font_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT_TTF).is_ok())
}

/// The RGB buffer as PNG bytes, with `compression` (`High` for line plots, which
/// compress well; `Fast` for heatmaps of noisy data, where `High` costs ten times the
/// time for a few percent).
pub(super) fn encode_png(
    rgb: &[u8],
    width: u32,
    height: u32,
    compression: png::Compression,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(compression);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

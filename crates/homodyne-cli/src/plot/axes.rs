//! Axis ranges and tick labels: the margins around the data's extent, the text of each
//! tick, and how many ticks fit along an axis.

/// An axis range with 5% margins; a (nearly) single value gets +-5% of itself, or +-1 at 0.
pub(super) fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
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

/// A tick label for `v` on an axis spanning `lo..hi`: fixed notation with as many decimals as
/// the tick spacing needs, scientific for magnitudes of 1e5 and above or below 1e-3.
pub(super) fn tick_label(v: f64, lo: f64, hi: f64) -> String {
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

/// How many tick labels fit along `pixels` with at least `spacing` pixels each (2 to `max`).
pub(super) fn label_count(pixels: u32, spacing: u32, max: usize) -> usize {
    (pixels / spacing.max(1)).clamp(2, max as u32) as usize
}

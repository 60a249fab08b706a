//! How the report writes tools, times, sizes and counts.

use serde_json::Value;

use crate::units::format_seconds;

/// A readable name for a tool.
pub(super) fn label(tool: &str) -> String {
    match tool {
        "homodyne_trf" => "homodyne trf",
        "homodyne_lm" => "homodyne lm",
        "homodyne_xpcs" => "homodyne xpcs",
        "python_homodyne" => "Python homodyne",
        "scipy_trf" => "scipy least_squares trf",
        "scipy_curve_fit" => "scipy curve_fit",
        "nlsq_curve_fit" => "nlsq curve_fit",
        "nlsq_curve_fit_large" => "nlsq curve_fit_large",
        "homodyne_rs_callable" => "homodyne_rs curve_fit, numpy callable",
        "homodyne_rs_formula" => "homodyne_rs curve_fit, formula string",
        "scipy_curve_fit_callable" => "scipy curve_fit, same callable",
        other => other,
    }
    .to_owned()
}

pub(super) fn fmt_s(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "n/a".to_owned(), format_seconds)
}

pub(super) fn fmt_mb(mb: Option<f64>) -> String {
    mb.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0} MB"))
}

pub(super) fn fmt_ratio(ratio: Option<f64>) -> String {
    ratio.map_or_else(String::new, |r| format!("**{r:.1}x**"))
}

pub(super) fn fmt_count(value: &Value) -> String {
    value
        .as_u64()
        .map_or_else(|| "n/a".to_owned(), |v| v.to_string())
}

/// `1234567` as `1,234,567`.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

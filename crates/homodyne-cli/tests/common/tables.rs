//! Synthetic data tables of the curve tests: the file written, the decay fitted and the
//! deterministic noise laid over it.

use std::path::{Path, PathBuf};

/// Writes `text` to the file `name` in `dir`; returns its path.
pub fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes the text table `path`: the `header` line(s), then one line per row.
pub fn write_table(path: &Path, header: &str, rows: impl IntoIterator<Item = String>) {
    let mut text = format!("{header}\n");
    for row in rows {
        text.push_str(&row);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The decay the curve tests fit, `2.5 exp(-1.3 x) + 0.5`.
pub fn decay(x: f64) -> f64 {
    2.5 * (-1.3 * x).exp() + 0.5
}

/// A deterministic scatter in `[-0.5, 0.5)` for data point `i`: `(7919 i mod 101) / 101
/// - 0.5`.
pub fn scatter(i: usize) -> f64 {
    ((i * 7919) % 101) as f64 / 101.0 - 0.5
}

/// A deterministic noise in `(-1e-3, 1e-3)` for data point `i`: `1e-3` times the
/// fractional part of `43758.5453 sin(12.9898 i)`.
pub fn sine_noise(i: usize) -> f64 {
    1e-3 * ((i as f64 * 12.9898).sin() * 43758.5453).fract()
}

//! The package's rules for choosing the q to fit: the closest finite q, the optional
//! distance limit, and what an unconfigured q means; and the matrices a layout chose
//! ([`Selection`]).

use std::path::Path;

use super::loaded::SourceFormat;
use super::options::{LoadOptions, WAVEVECTOR_KEY};
use crate::error::XpcsError;

/// The q of `available` (the q of each matrix of the file `path`) closest to the
/// requested one, as the package selects it, then checked against
/// [`LoadOptions::max_q_deviation`] and, without a configured q, against the file holding
/// several ([`unconfigured_q`]). `all_non_finite` says which list held no finite q.
pub(super) fn select_q(
    path: &Path,
    options: &LoadOptions,
    available: &[f64],
    all_non_finite: &str,
    warnings: &mut Vec<String>,
) -> Result<f64, XpcsError> {
    let closest =
        closest_finite(available, options.wavevector_q).ok_or_else(|| XpcsError::Wavevector {
            path: path.to_path_buf(),
            requested: options.wavevector_q,
            message: format!("every {all_non_finite} is NaN or infinite"),
        })?;
    let selected_q = available[closest];
    unconfigured_q(path, options, available, selected_q, warnings)?;
    check_deviation(path, options, selected_q, available)?;
    Ok(selected_q)
}

/// Index of the finite entry of `q` closest to `target` (the first of equals), as
/// NumPy's `argmin(|q - target|)` over the finite entries.
fn closest_finite(q: &[f64], target: f64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &v) in q.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let d = (v - target).abs();
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

/// Refuses a `selected` q farther from the requested one than
/// [`LoadOptions::max_q_deviation`].
fn check_deviation(
    path: &Path,
    options: &LoadOptions,
    selected: f64,
    available: &[f64],
) -> Result<(), XpcsError> {
    if let Some(max) = options.max_q_deviation {
        let deviation = (selected - options.wavevector_q).abs();
        if deviation > max {
            return Err(XpcsError::Wavevector {
                path: path.to_path_buf(),
                requested: options.wavevector_q,
                message: format!(
                    "the closest q in the file is {selected} ({deviation:.3e} away, more \
                     than the allowed {max:.3e}); the file holds q = {}",
                    summarize(available)
                ),
            });
        }
    }
    Ok(())
}

/// Without a configured q ([`LoadOptions::wavevector_q_configured`]): an error when the
/// file holds several q values (which one to fit is the user's choice, not the package
/// default's nearest), else a warning naming the q `used`.
fn unconfigured_q(
    path: &Path,
    options: &LoadOptions,
    available: &[f64],
    used: f64,
    warnings: &mut Vec<String>,
) -> Result<(), XpcsError> {
    if options.wavevector_q_configured {
        return Ok(());
    }
    let mut distinct: Vec<f64> = available
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() > 1 {
        return Err(XpcsError::config_value(
            WAVEVECTOR_KEY,
            format!(
                "is not set, and {} holds {} q values {}: give the one to fit, in 1/A \
                 (homodyne xpcs: --q)",
                path.display(),
                distinct.len(),
                summarize(available)
            ),
        ));
    }
    warnings.push(format!(
        "{} is not set: the only q of {}, {used} 1/A, was used",
        WAVEVECTOR_KEY,
        path.display()
    ));
    Ok(())
}

/// The distinct values of `q`, sorted, for messages.
pub(super) fn summarize(q: &[f64]) -> String {
    let mut distinct: Vec<f64> = q.iter().copied().filter(|v| v.is_finite()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let shown: Vec<String> = distinct.iter().take(12).map(|v| format!("{v}")).collect();
    let more = if distinct.len() > 12 {
        format!(", ... ({} distinct)", distinct.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

/// The matrices chosen from one layout, before they are read.
pub(super) struct Selection {
    /// The layout they were chosen from.
    pub(super) format: SourceFormat,
    /// The group holding the matrices.
    pub(super) group: &'static str,
    /// The matrices, in the order the package returns them.
    pub(super) entries: Vec<Selected>,
    /// The q closest to the requested one.
    pub(super) selected_q: f64,
    /// What the choice was worth a word about.
    pub(super) warnings: Vec<String>,
}

/// One selected matrix: which member, and its q and phi.
pub(super) struct Selected {
    /// Its position in the group's member order.
    pub(super) position: usize,
    /// Its member name in the group.
    pub(super) key: String,
    /// Its wavevector (1/Angstrom).
    pub(super) q: f64,
    /// Its angle (degrees).
    pub(super) phi: f64,
}

//! How the output files read the fit's parameters: the flag of a parameter held fixed or
//! undetermined, its uncertainty (none for those), and how many the fit varied.

use homodyne_core::{OptimizationResult, ParameterFlag};

/// The flag of parameter `index`, when the result has flags.
fn flag(result: &OptimizationResult, index: usize) -> Option<ParameterFlag> {
    if result.parameter_flags.len() == result.parameters.len() {
        result.parameter_flags.get(index).copied()
    } else {
        None
    }
}

/// `"fixed"` or `"undetermined"` for a parameter so flagged, else `None`.
pub(crate) fn marker(result: &OptimizationResult, index: usize) -> Option<&'static str> {
    match flag(result, index)? {
        ParameterFlag::Fixed => Some("fixed"),
        ParameterFlag::Undetermined => Some("undetermined"),
        _ => None,
    }
}

/// Number of parameters the fit varied (those not held fixed).
pub(crate) fn n_varied(result: &OptimizationResult) -> usize {
    result.parameters.len() - result.fixed().len()
}

/// The uncertainty of parameter `index`, NaN (written `null`) when the result has none for
/// it, and for a parameter held fixed or undetermined by the data.
pub(crate) fn uncertainty(result: &OptimizationResult, index: usize) -> f64 {
    if marker(result, index).is_some() {
        f64::NAN
    } else if result.uncertainties.len() == result.parameters.len() {
        result.uncertainties.get(index).copied().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// The flag of the mean of per-angle values: `undetermined` when any is, `fixed` when all
/// are.
pub(crate) fn summary_marker(markers: &[Option<&'static str>]) -> Option<&'static str> {
    if markers.contains(&Some("undetermined")) {
        Some("undetermined")
    } else if !markers.is_empty() && markers.iter().all(|m| *m == Some("fixed")) {
        Some("fixed")
    } else {
        None
    }
}

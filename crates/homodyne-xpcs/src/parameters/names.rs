//! Parameters by name, as a configuration names them: the canonical names, the package's
//! aliases, the per-angle spellings (`contrast_3`) and each name's default bounds.

use super::{AnalysisMode, CONTRAST_BOUNDS, OFFSET_BOUNDS};

/// The scaling parameters, named before the physical ones.
const SCALING_NAMES: [&str; 2] = ["contrast", "offset"];

/// Every parameter's canonical name: `contrast`, `offset`, the physical parameters of
/// laminar flow (whose first three are the static ones), then those of the two-component
/// model (no name is in both).
pub(crate) fn parameter_names() -> impl Iterator<Item = &'static str> {
    SCALING_NAMES
        .into_iter()
        .chain(AnalysisMode::LaminarFlow.physical_names().iter().copied())
        .chain(AnalysisMode::TwoComponent.physical_names().iter().copied())
}

/// The canonical names joined for a message: `contrast, offset, D0, ..., phi0`.
pub(crate) fn listed_names() -> String {
    parameter_names().collect::<Vec<_>>().join(", ")
}

/// The canonical name of a parameter or of one of the package's aliases (`gamma_dot_0`
/// for `gamma_dot_t0`, `gamma_dot_offset` for `gamma_dot_t_offset`, `phi_0` for `phi0`).
pub(crate) fn canonical_name(name: &str) -> Option<&'static str> {
    let name = match name {
        "gamma_dot_0" => "gamma_dot_t0",
        "gamma_dot_offset" => "gamma_dot_t_offset",
        "phi_0" => "phi0",
        other => other,
    };
    parameter_names().find(|n| *n == name)
}

/// [`canonical_name`] in `mode`: the two-component model takes xpcsjax's aliases `beta`
/// for `v_beta` and `phi0` (`phi_0`) for `phi0_het`, names that are laminar flow's
/// otherwise.
pub(crate) fn canonical_name_in(name: &str, mode: AnalysisMode) -> Option<&'static str> {
    match (mode, name) {
        (AnalysisMode::TwoComponent, "beta") => Some("v_beta"),
        (AnalysisMode::TwoComponent, "phi0" | "phi_0") => Some("phi0_het"),
        _ => canonical_name(name),
    }
}

/// Whether the parameter `name` (canonical) is one that `mode` fits: the scaling
/// parameters always, the physical ones of the mode.
pub(crate) fn in_mode(name: &str, mode: AnalysisMode) -> bool {
    SCALING_NAMES.contains(&name) || mode.physical_names().contains(&name)
}

/// `contrast` for `contrast_3` (also `contrast[3]`), `offset` likewise: one angle's
/// scaling parameter.
pub(crate) fn scaling_base(name: &str) -> Option<&'static str> {
    SCALING_NAMES.into_iter().find(|base| {
        name.strip_prefix(base).is_some_and(|rest| {
            let index = rest
                .strip_prefix('_')
                .or_else(|| rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')));
            index.is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// The package's default bounds `(min, max)` of the parameter `name` (canonical).
pub(crate) fn default_bounds(name: &str) -> Option<(f64, f64)> {
    match name {
        "contrast" => Some(CONTRAST_BOUNDS),
        "offset" => Some(OFFSET_BOUNDS),
        other => [AnalysisMode::LaminarFlow, AnalysisMode::TwoComponent]
            .into_iter()
            .find_map(|mode| {
                let i = mode.physical_names().iter().position(|n| *n == other)?;
                Some(mode.physical_bounds()[i])
            }),
    }
}

//! What an XPCS fit does not determine, said in the model's terms: the generic
//! identifiability diagnostics ([`homodyne::diagnostics`]: AIC, BIC, correlations and
//! warnings naming the parameters) with advice for the pairs this model is known to
//! confuse, and the named significance check of the package's quality report.
//!
//! The rates are power laws with an offset, `D(t) = D0 t^alpha + D_offset` and
//! `gamma_dot(t) = gamma_dot_t0 t^beta + gamma_dot_t_offset`. With the exponent near 0 the
//! two terms have the same shape and the data determine only their sum; over a short range
//! of times a change of the exponent is nearly a change of the amplitude. [`XpcsAdvice`]
//! says, for those pairs, which parameter to hold fixed and with which configuration key;
//! for a contrast and its offset (a correlation that barely decays over the frames fitted),
//! that more frames or a held offset tell them apart.
//!
//! [`significance`] lists the parameters whose `|value| / uncertainty` is below the
//! package's threshold ([`MIN_PARAMETER_SIGNIFICANCE`]), by name, so that the
//! report can say which they are.

use homodyne::diagnostics::{Diagnostics, PairAdvice};
use homodyne_core::{OptimizationResult, ParameterFlag};

use crate::error::XpcsError;
use crate::parameters::ParameterLayout;

/// A rate of the model: `amplitude t^exponent + offset`.
struct PowerLaw {
    /// What it is, for the advice.
    rate: &'static str,
    amplitude: &'static str,
    exponent: &'static str,
    offset: &'static str,
}

/// The two rates of the model.
const POWER_LAWS: [PowerLaw; 2] = [
    PowerLaw {
        rate: "the diffusion rate D(t) = D0 t^alpha + D_offset",
        amplitude: "D0",
        exponent: "alpha",
        offset: "D_offset",
    },
    PowerLaw {
        rate: "the shear rate gamma_dot(t) = gamma_dot_t0 t^beta + gamma_dot_t_offset",
        amplitude: "gamma_dot_t0",
        exponent: "beta",
        offset: "gamma_dot_t_offset",
    },
];

/// Advice for the pairs of an XPCS model that the data commonly fail to separate: a
/// power-law amplitude with its offset or its exponent, an exponent with the offset, and a
/// contrast with its offset. Other pairs get the generic advice.
#[derive(Debug, Clone, Copy, Default)]
pub struct XpcsAdvice;

impl PairAdvice for XpcsAdvice {
    fn advise(&self, first: &str, second: &str) -> Option<String> {
        let is = |a: &str, b: &str| (first == a && second == b) || (first == b && second == a);
        for law in &POWER_LAWS {
            let PowerLaw {
                rate,
                amplitude,
                exponent,
                offset,
            } = law;
            if is(amplitude, offset) {
                return Some(format!(
                    "in {rate}, the two terms have nearly the same shape over the times fitted \
                     (as they do when {exponent} is near 0), so the data determine mostly \
                     {amplitude} + {offset}: hold the offset fixed (`fixed: 0` on {offset}'s \
                     entry of parameter_space.bounds), or the exponent (`fixed: <value>` on \
                     {exponent}'s entry), and fit again"
                ));
            }
            if is(amplitude, exponent) {
                return Some(format!(
                    "in {rate}, over the times fitted a change of the exponent {exponent} is \
                     nearly a change of the amplitude {amplitude}: hold the exponent fixed \
                     (`fixed: <value>` on {exponent}'s entry of parameter_space.bounds), or the \
                     offset (`fixed: 0` on {offset}'s entry), or fit a wider range of delays"
                ));
            }
            if is(exponent, offset) {
                return Some(format!(
                    "in {rate}, the exponent {exponent} and the offset {offset} bend the rate \
                     alike over the times fitted: hold the offset fixed (`fixed: 0` on \
                     {offset}'s entry of parameter_space.bounds), or the exponent \
                     (`fixed: <value>` on {exponent}'s entry)"
                ));
            }
        }
        let contrast_and_offset = |a: &str, b: &str| {
            a.strip_prefix("contrast")
                .zip(b.strip_prefix("offset"))
                .is_some_and(|(x, y)| x == y)
        };
        if contrast_and_offset(first, second) || contrast_and_offset(second, first) {
            return Some(format!(
                "the correlation decays little over the frames fitted, so {first} and {second} \
                 (the baseline) are told apart only by the decay: fit more frames (longer \
                 delays), or hold the offset fixed (`fixed: 1.0` on the offset's entry of \
                 parameter_space.bounds)"
            ));
        }
        None
    }
}

/// The diagnostics of an XPCS fit with the layout's names and [`XpcsAdvice`]; with
/// `statistics` `(chi_squared, n_points)` the criteria use those (the chi-squared a report
/// writes, weighted by its sigma) instead of the result's.
///
/// # Errors
///
/// [`XpcsError::ParameterCount`] when the result's parameters do not fit the layout;
/// [`XpcsError::InvalidSetting`] when its uncertainties, flags or covariance do not have
/// one entry per parameter.
pub fn diagnose(
    layout: &ParameterLayout,
    result: &OptimizationResult,
    statistics: Option<(f64, usize)>,
) -> Result<Diagnostics, XpcsError> {
    layout.check(&result.parameters)?;
    let names = layout.names();
    let diagnosis = Diagnostics::of(result, &names).advice(&XpcsAdvice);
    let diagnosis = match statistics {
        Some((chi_squared, n_points)) => diagnosis.statistics(chi_squared, n_points),
        None => diagnosis,
    };
    diagnosis
        .compute()
        .map_err(|e| XpcsError::setting("fit result", e.to_string()))
}

/// The package's `parameter_significance` check: `|value| / uncertainty` below this is
/// insignificant.
pub const MIN_PARAMETER_SIGNIFICANCE: f64 = 2.0;

/// A parameter below the significance threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Insignificant {
    /// Its name.
    pub name: String,
    /// `|value| / uncertainty`.
    pub significance: f64,
}

/// The parameters (in layout order) whose `|value| / uncertainty` is below
/// [`MIN_PARAMETER_SIGNIFICANCE`], over those with a finite positive uncertainty that are
/// neither held fixed nor undetermined: the package's `parameter_significance` check,
/// with the names.
pub fn significance(layout: &ParameterLayout, result: &OptimizationResult) -> Vec<Insignificant> {
    let names = layout.names();
    let flags = &result.parameter_flags;
    (result.parameters.iter().zip(&result.uncertainties))
        .enumerate()
        .filter(|&(k, (_, u))| {
            u.is_finite()
                && *u > 0.0
                && !matches!(
                    flags.get(k),
                    Some(ParameterFlag::Fixed | ParameterFlag::Undetermined)
                )
        })
        .map(|(k, (p, u))| Insignificant {
            name: names.get(k).cloned().unwrap_or_else(|| format!("p[{k}]")),
            significance: p.abs() / u,
        })
        .filter(|s| s.significance < MIN_PARAMETER_SIGNIFICANCE)
        .collect()
}

/// The warning of the significance check, naming the parameters:
/// `"2 parameter(s) below significance threshold (|param/uncertainty| < 2.0): D_offset
/// (0.41), beta (1.3). These parameters may be poorly constrained."`; `None` when there
/// are none.
pub fn significance_warning(insignificant: &[Insignificant]) -> Option<String> {
    if insignificant.is_empty() {
        return None;
    }
    let listed: Vec<String> = (insignificant.iter())
        .map(|s| format!("{} ({:.2})", s.name, s.significance))
        .collect();
    Some(format!(
        "{} parameter(s) below significance threshold (|param/uncertainty| < \
         {MIN_PARAMETER_SIGNIFICANCE:.1}): {}. These parameters may be poorly constrained: \
         hold those known from elsewhere fixed, or fit more (or less noisy) data.",
        insignificant.len(),
        listed.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_law_pairs_get_the_models_advice_in_either_order() {
        let advice = |a: &str, b: &str| XpcsAdvice.advise(a, b).unwrap_or_default();
        let offset = advice("D0", "D_offset");
        assert!(offset.contains("hold the offset fixed (`fixed: 0` on D_offset's entry"));
        assert!(offset.contains("or the exponent"));
        assert_eq!(offset, advice("D_offset", "D0"));
        let shear = advice("gamma_dot_t0", "gamma_dot_t_offset");
        assert!(
            shear.contains("`fixed: 0` on gamma_dot_t_offset's entry"),
            "{shear}"
        );
        assert!(shear.contains("beta is near 0"), "{shear}");
        let exponent = advice("D0", "alpha");
        assert!(exponent.contains("hold the exponent fixed (`fixed: <value>` on alpha's entry"));
        assert!(advice("gamma_dot_t0", "beta").contains("on beta's entry"));
        assert!(advice("alpha", "D_offset").contains("hold the offset fixed"));
        let scaling = advice("contrast_2", "offset_2");
        assert!(scaling.contains("hold the offset fixed"), "{scaling}");
        assert!(advice("contrast", "offset").contains("more frames"));
        assert_eq!(XpcsAdvice.advise("contrast_1", "offset_2"), None);
        assert_eq!(XpcsAdvice.advise("D0", "beta"), None);
        assert_eq!(XpcsAdvice.advise("phi0", "contrast_0"), None);
    }

    #[test]
    fn the_significance_warning_names_every_parameter() {
        let list = [
            Insignificant {
                name: "D_offset".into(),
                significance: 0.41,
            },
            Insignificant {
                name: "beta".into(),
                significance: 1.3,
            },
        ];
        let text = significance_warning(&list).unwrap();
        assert!(
            text.starts_with("2 parameter(s) below significance threshold"),
            "{text}"
        );
        assert!(text.contains("D_offset (0.41), beta (1.30)"), "{text}");
        assert_eq!(significance_warning(&[]), None);
    }
}

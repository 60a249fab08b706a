//! The numbers the JSON files report ([`Statistics`]): chi-squared and its reduced value,
//! the degrees of freedom, the graded `quality_flag`, what chi-squared means, and the
//! identifiability diagnostics computed with them.

use homodyne::diagnostics::{Diagnostics, Warning};
use homodyne_core::ConvergenceStatus;

use crate::diagnostics::{diagnose, significance};
use crate::error::XpcsError;

use super::inputs::{NlsqOutputs, Sigma};
use super::parameter_flags::n_varied;

/// `quality_flag` is `good` below this reduced chi-squared.
pub const QUALITY_GOOD_BELOW: f64 = 1.5;
/// `quality_flag` is `marginal` below this reduced chi-squared (and `poor` from it on).
pub const QUALITY_MARGINAL_BELOW: f64 = 3.0;

/// The numbers the JSON files report.
pub(crate) struct Statistics {
    /// The fitted elements' squared residuals, weighted by `1 / sigma^2` when given.
    pub(crate) chi_squared: f64,
    /// `chi_squared / degrees_of_freedom`; NaN when there are no degrees of freedom.
    pub(crate) reduced_chi_squared: f64,
    /// The elements fitted less the parameters varied.
    pub(crate) degrees_of_freedom: i64,
    /// `good`, `marginal` or `poor` (`graded_quality_flag`).
    pub(crate) quality_flag: &'static str,
    /// What `chi_squared` is, in words (`chi_squared_definition`).
    pub(crate) definition: &'static str,
    /// The identifiability diagnostics, with this chi-squared and the elements fitted.
    pub(crate) diagnostics: Diagnostics,
}

impl Statistics {
    /// `chi_squared`: the fitted elements' squared residuals, each divided by its
    /// angle's sigma^2 when a sigma is given (`arrays::write_arrays`).
    pub(crate) fn new(outputs: &NlsqOutputs, chi_squared: f64) -> Result<Self, XpcsError> {
        let definition = match outputs.sigma {
            Some(Sigma::Given(_)) => "sum((c2_exp - c2_solver_scaled)^2) / sigma^2",
            Some(Sigma::Estimated(_)) => {
                "sum over angles of sum((c2_exp - c2_solver_scaled)^2) / sigma_phi^2, \
                 sigma_phi each angle's noise estimated from the data (sigma: auto: \
                 1.4826 MAD of second differences along each lag / sqrt(6))"
            }
            None => "sum((c2_exp - c2_solver_scaled)^2), unweighted (no sigma given)",
        };
        let n_t = outputs.data.n_t;
        let fitted_per_angle = (0..n_t)
            .map(|i| (0..n_t).filter(|&j| outputs.points.includes(i, j)).count())
            .sum::<usize>();
        let n_fitted = outputs.data.phi.len() * fitted_per_angle;
        let degrees_of_freedom = n_fitted as i64 - n_varied(outputs.result) as i64;
        let reduced_chi_squared = if degrees_of_freedom > 0 {
            chi_squared / degrees_of_freedom as f64
        } else {
            f64::NAN
        };
        let layout = outputs.model.layout();
        let diagnostics = diagnose(layout, outputs.result, Some((chi_squared, n_fitted)))?;
        let identifiable = significance(layout, outputs.result).is_empty()
            && diagnostics.warnings.iter().all(|w| {
                !matches!(
                    w,
                    Warning::AtBound { .. }
                        | Warning::Undetermined { .. }
                        | Warning::Degenerate { .. }
                )
            });
        let converged = outputs.result.convergence_status == ConvergenceStatus::Converged;
        Ok(Self {
            chi_squared,
            reduced_chi_squared,
            degrees_of_freedom,
            quality_flag: graded_quality_flag(
                quality_flag(reduced_chi_squared),
                converged,
                identifiable,
            ),
            definition,
            diagnostics,
        })
    }
}

/// The `quality_flag` written: the reduced chi-squared's `grade` ([`quality_flag`]), `poor`
/// when the fit did not converge, and at most `marginal` when it is not `identifiable`
/// (a varied parameter on a bound, below the significance threshold or undetermined, or a
/// pair correlated beyond |r| > 0.99).
fn graded_quality_flag(grade: &'static str, converged: bool, identifiable: bool) -> &'static str {
    match (converged, identifiable, grade) {
        (false, _, _) => "poor",
        (true, false, "good") => "marginal",
        (true, _, grade) => grade,
    }
}

/// `good` below 1.5, `marginal` below 3, otherwise (NaN included) `poor`, as the package.
fn quality_flag(reduced_chi_squared: f64) -> &'static str {
    if reduced_chi_squared < QUALITY_GOOD_BELOW {
        "good"
    } else if reduced_chi_squared < QUALITY_MARGINAL_BELOW {
        "marginal"
    } else {
        "poor"
    }
}

/// The package's word for the convergence status.
pub(crate) fn status_name(status: ConvergenceStatus) -> &'static str {
    match status {
        ConvergenceStatus::Converged => "converged",
        ConvergenceStatus::MaxEvaluationsReached => "max_iter",
        ConvergenceStatus::Stalled => "stalled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_flag_thresholds() {
        assert_eq!(quality_flag(1.49), "good");
        assert_eq!(quality_flag(1.5), "marginal");
        assert_eq!(quality_flag(2.99), "marginal");
        assert_eq!(quality_flag(3.0), "poor");
        assert_eq!(quality_flag(f64::NAN), "poor");
        assert_eq!(graded_quality_flag("good", true, true), "good");
        assert_eq!(graded_quality_flag("good", true, false), "marginal");
        assert_eq!(graded_quality_flag("marginal", true, false), "marginal");
        assert_eq!(graded_quality_flag("poor", true, false), "poor");
        assert_eq!(graded_quality_flag("good", false, true), "poor");
    }
}

//! The package's quality report in `convergence_metrics.json`: `quality_validation_passed`,
//! `quality_warnings` and `quality_checks`, with its default thresholds, and the
//! covariance condition number the `condition_number` check reads.

use homodyne_core::{ConvergenceStatus, ParameterFlag};

use crate::diagnostics::{significance, significance_warning};

use super::inputs::NlsqOutputs;
use super::parameter_flags::{marker, n_varied};
use super::statistics::{Statistics, status_name};

/// The `reduced_chi_squared` check fails above this value.
pub const REDUCED_CHI_SQUARED_THRESHOLD: f64 = 10.0;
/// The `chi2_quality` check passes up to this reduced chi-squared (the package grades a
/// fit good up to 2 and acceptable up to 5; both pass).
pub const CHI2_ACCEPTABLE_THRESHOLD: f64 = 5.0;
/// The `condition_number` check fails above this covariance condition number.
pub const MAX_CONDITION_NUMBER: f64 = 1e12;

/// The package's `quality_validation_passed`, `quality_warnings` and `quality_checks`.
pub(crate) struct QualityReport {
    /// `quality_validation_passed`: no check that fails the validation failed.
    pub(crate) passed: bool,
    /// `quality_warnings`: one message per failed check (several for correlated pairs).
    pub(crate) warnings: Vec<String>,
    /// `quality_checks`: each check that ran, in order, and whether it passed.
    pub(crate) checks: Vec<(&'static str, bool)>,
}

impl QualityReport {
    /// Records check `name`; when it did not pass, its `warning`, and the validation fails.
    fn require(&mut self, name: &'static str, passed: bool, warning: impl FnOnce() -> String) {
        self.checks.push((name, passed));
        if !passed {
            self.warnings.push(warning());
            self.passed = false;
        }
    }
}

/// The checks of `outputs` with the numbers of `stats`, in the package's order.
pub(crate) fn quality_report(outputs: &NlsqOutputs, stats: &Statistics) -> QualityReport {
    let result = outputs.result;
    let mut report = QualityReport {
        passed: true,
        warnings: Vec::new(),
        checks: Vec::new(),
    };

    // Reduced chi-squared against its threshold (NaN fails, as NaN <= x is false).
    let reduced = stats.reduced_chi_squared;
    report.require(
        "reduced_chi_squared",
        reduced <= REDUCED_CHI_SQUARED_THRESHOLD,
        || {
            let shown = if reduced.is_nan() {
                "undefined: no degrees of freedom".to_owned()
            } else {
                format!("{reduced:.4e}")
            };
            let note = if outputs.sigma.is_none() {
                " No sigma was given, so chi-squared is unweighted and not physically \
                 meaningful; assess the fit by its residuals."
            } else {
                " Consider reviewing fit quality."
            };
            format!(
                "Reduced chi-squared ({shown}) exceeds threshold \
                 ({REDUCED_CHI_SQUARED_THRESHOLD}).{note}"
            )
        },
    );
    report
        .checks
        .push(("chi2_quality", reduced <= CHI2_ACCEPTABLE_THRESHOLD));

    // Parameter significance |p| / u over the parameters with a finite positive uncertainty
    // (a warning only: the package does not fail the validation on it), by name.
    let layout = outputs.model.layout();
    let measured = (result.uncertainties.iter().enumerate())
        .any(|(k, u)| u.is_finite() && *u > 0.0 && marker(result, k).is_none());
    if measured {
        let insignificant = significance(layout, result);
        report
            .checks
            .push(("parameter_significance", insignificant.is_empty()));
        report.warnings.extend(significance_warning(&insignificant));
    }

    // Pairs the data do not tell apart (a warning only, as significance).
    let degenerate = stats.diagnostics.warnings_of("degenerate");
    report
        .checks
        .push(("parameter_correlations", degenerate.is_empty()));
    for warning in degenerate {
        report
            .warnings
            .push(format!("{warning}. What to try: {}.", warning.advice()));
    }

    // Covariance condition number.
    let covariance = &result.covariance;
    let n_params = covariance.matrix.nrows();
    let finite_matrix = covariance.matrix.iter().all(|v| v.is_finite());
    let varied = n_varied(result);
    if n_params > 0 && varied > 0 && finite_matrix {
        let cond = covariance_condition_number(outputs);
        if covariance.rank < varied {
            report.require("condition_number", false, || {
                format!(
                    "Covariance matrix is rank-deficient (rank {} of {varied} fitted \
                     parameters): some parameter combinations are not determined by the data.",
                    covariance.rank
                )
            });
        } else if cond.is_finite() {
            report.require("condition_number", cond <= MAX_CONDITION_NUMBER, || {
                format!(
                    "Covariance matrix condition number ({cond:.2e}) exceeds threshold \
                     ({MAX_CONDITION_NUMBER:.2e}). Parameters may be highly correlated or \
                     poorly determined."
                )
            });
        }
    }

    // Physical parameters on a bound.
    let names = layout.names();
    if result.parameter_flags.len() == result.parameters.len() {
        let at_bounds: Vec<String> = (result.parameter_flags.iter().enumerate())
            .skip(layout.physical_start())
            .filter_map(|(i, flag)| {
                let status = match flag {
                    ParameterFlag::AtLowerBound => "at_lower_bound",
                    ParameterFlag::AtUpperBound => "at_upper_bound",
                    ParameterFlag::Free
                    | ParameterFlag::AtStart
                    | ParameterFlag::Fixed
                    | ParameterFlag::Undetermined => return None,
                };
                let name = names.get(i).map_or("?", String::as_str);
                Some(format!("{name} ({status})"))
            })
            .collect();
        report.require("physical_bounds", at_bounds.is_empty(), || {
            format!(
                "Physical parameters at bounds: {}. Consider expanding bounds or reviewing \
                 initial parameters.",
                at_bounds.join(", ")
            )
        });
    }

    // Parameters the data do not determine.
    let undetermined: Vec<&str> = (result.undetermined().into_iter())
        .map(|i| names.get(i).map_or("?", String::as_str))
        .collect();
    report.require("parameters_determined", undetermined.is_empty(), || {
        format!(
            "The data do not determine {}: their uncertainties are infinite. Hold them \
             fixed (parameter_space.bounds: fixed) or give data that constrain them.",
            undetermined.join(", ")
        )
    });

    // Convergence.
    let converged = result.convergence_status == ConvergenceStatus::Converged;
    report.require("convergence_status", converged, || {
        format!(
            "Optimization did not converge successfully (status: {}).",
            status_name(result.convergence_status)
        )
    });
    report
}

/// `cond(C) = cond(J)^2` for a full-rank Jacobian; NaN when unknown.
pub(crate) fn covariance_condition_number(outputs: &NlsqOutputs) -> f64 {
    let covariance = &outputs.result.covariance;
    let n = n_varied(outputs.result);
    if n == 0 || covariance.rank < n || !covariance.matrix.iter().all(|v| v.is_finite()) {
        return f64::NAN;
    }
    let c = covariance.condition_number;
    if c.is_finite() { c * c } else { f64::NAN }
}

//! Identifiability diagnostics of a fit: information criteria, the correlation matrix, and
//! warnings that name the parameters the data do not pin down, each with what to try.
//!
//! ```
//! use homodyne::diagnostics::Diagnostics;
//! # use homodyne::prelude::*;
//! # let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
//! # let y: Vec<f64> = x.iter().map(|x| 2.0 * (-0.7 * x).exp() + 0.3).collect();
//! # let model = ClosureModel::new(3, |x: f64, p: &[f64]| p[0] * (-p[1] * x).exp() + p[2]);
//! # let fit = Fit::curve(&model, &x, &y).p0(&[1.0, 1.0, 0.0]).run()?;
//! let names = ["a", "b", "c"].map(String::from);
//! let diagnostics = Diagnostics::of(&fit, &names).compute()?;
//! for warning in &diagnostics.warnings {
//!     println!("warning: {warning}\n  what to try: {}", warning.advice());
//! }
//! # Ok::<(), homodyne::OptimizationError>(())
//! ```
//!
//! # Information criteria
//!
//! As lmfit (`Minimizer._calculate_statistics`), with `chisqr` the sum of squared
//! (weighted) residuals, `n` the number of data points and `k` the parameters varied (those
//! held fixed are not counted; undetermined ones are):
//!
//! ```text
//! aic = n ln(chisqr / n) + 2 k
//! bic = n ln(chisqr / n) + ln(n) k
//! ```
//!
//! `chisqr` is first raised to at least `1e-250 n`, as lmfit does, so that a perfect fit
//! has finite criteria. Only differences between fits of the same data mean something: the
//! lower value is the better trade of fit against parameters (BIC penalises parameters more
//! once `n > 7`).
//!
//! # Correlations
//!
//! `r_ij = C_ij / sqrt(C_ii C_jj)` from the result's covariance `C`; NaN in the rows and
//! columns of parameters held fixed or undetermined (they have no variance to correlate),
//! and everywhere when the covariance is not finite (no degrees of freedom).
//!
//! # Warnings
//!
//! [`Warning`] lists what the diagnostics look for: a pair correlated beyond
//! [`DEGENERATE_CORRELATION`] in magnitude, a standard error larger than the value, a
//! varied parameter on a bound, a stalled or unfinished fit, a parameter the data do not
//! determine. Each warning names its parameters ([`Display`](std::fmt::Display)) and says what to try
//! ([`Warning::advice`]). The advice is generic; a domain can give better advice for a
//! named pair through [`PairAdvice`] (the XPCS crate does, for a power-law amplitude and
//! its offset or exponent).

use std::fmt;

use homodyne_core::{
    ConvergenceStatus, InvalidInput, OptimizationError, OptimizationResult, ParameterFlag,
};
use ndarray::Array2;
use serde_json::{Map, Value, json};

mod thresholds;
mod warning;

pub use thresholds::{BOUND_TOLERANCE, DEGENERATE_CORRELATION};
pub use warning::{PairAdvice, Side, Warning, correlation_text};

/// The parameters' correlation matrix, with their names.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// The parameter names, in the result's order.
    pub names: Vec<String>,
    /// `r_ij = C_ij / sqrt(C_ii C_jj)`, 1 on the diagonal of a parameter that has a
    /// variance; NaN in the rows and columns of parameters held fixed or undetermined, and
    /// everywhere when the covariance is not finite.
    pub matrix: Array2<f64>,
}

impl Correlation {
    /// The correlation of the parameters named `a` and `b` (`None` when either name is
    /// unknown; NaN when undefined).
    pub fn get(&self, a: &str, b: &str) -> Option<f64> {
        let i = self.names.iter().position(|n| n == a)?;
        let j = self.names.iter().position(|n| n == b)?;
        Some(self.matrix[(i, j)])
    }

    /// Every pair `(i, j, r)` with `i < j` and `|r| > threshold`, largest magnitude first
    /// (as lmfit's report lists them).
    pub fn pairs_above(&self, threshold: f64) -> Vec<(usize, usize, f64)> {
        let n = self.names.len();
        let mut pairs: Vec<(usize, usize, f64)> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| (i, j, self.matrix[(i, j)]))
            .filter(|(_, _, r)| r.abs() > threshold)
            .collect();
        pairs.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()));
        pairs
    }
}

/// What the diagnostics found for one fit (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics {
    /// The sum of squared (weighted) residuals the criteria use.
    pub chi_squared: f64,
    /// Data points, `n`.
    pub n_points: usize,
    /// Parameters varied, `k` (held ones are not counted).
    pub n_varying: usize,
    /// Akaike's information criterion, `n ln(chisqr / n) + 2 k`.
    pub aic: f64,
    /// The Bayesian information criterion, `n ln(chisqr / n) + ln(n) k`.
    pub bic: f64,
    /// The correlation matrix.
    pub correlation: Correlation,
    /// What a reader must know, in this order: a stalled or unfinished fit, undetermined
    /// parameters, parameters on a bound, degenerate pairs (largest correlation first),
    /// imprecise parameters.
    pub warnings: Vec<Warning>,
}

/// `(aic, bic)` as lmfit computes them from `chi_squared`, `n_points` and `n_varying`
/// (see the module documentation); NaN when `chi_squared` is not finite or there are no
/// points.
pub fn information_criteria(chi_squared: f64, n_points: usize, n_varying: usize) -> (f64, f64) {
    if n_points == 0 || !chi_squared.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let n = n_points as f64;
    let chisqr = chi_squared.max(1e-250 * n);
    let neg2_log_likelihood = n * (chisqr / n).ln();
    (
        neg2_log_likelihood + 2.0 * n_varying as f64,
        neg2_log_likelihood + n.ln() * n_varying as f64,
    )
}

/// The settings of one diagnosis, from [`Diagnostics::of`]; [`Self::compute`] runs it.
#[derive(Clone, Copy)]
pub struct Diagnosis<'a> {
    result: &'a OptimizationResult,
    names: &'a [String],
    bounds: Option<(&'a [f64], &'a [f64])>,
    statistics: Option<(f64, usize)>,
    advice: Option<&'a dyn PairAdvice>,
}

impl fmt::Debug for Diagnosis<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Diagnosis")
            .field("names", &self.names)
            .field("bounds", &self.bounds)
            .field("statistics", &self.statistics)
            .field("advice", &self.advice.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Diagnosis<'a> {
    /// The bounds the fit had (`-inf` / `+inf` for none): a varied parameter within
    /// [`BOUND_TOLERANCE`] of one is warned about. Without them only the result's own
    /// flags ([`ParameterFlag::AtLowerBound`], [`ParameterFlag::AtUpperBound`]) are used.
    pub fn bounds(self, lower: &'a [f64], upper: &'a [f64]) -> Self {
        Self {
            bounds: Some((lower, upper)),
            ..self
        }
    }

    /// The chi-squared and the number of points the criteria use, in place of the
    /// result's (for a report whose chi-squared is weighted differently, or counts other
    /// points).
    pub fn statistics(self, chi_squared: f64, n_points: usize) -> Self {
        Self {
            statistics: Some((chi_squared, n_points)),
            ..self
        }
    }

    /// The domain's advice for strongly correlated pairs.
    pub fn advice(self, advice: &'a dyn PairAdvice) -> Self {
        Self {
            advice: Some(advice),
            ..self
        }
    }

    /// The diagnostics.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::WrongParameterCount`] when the names, the bounds, the uncertainties,
    /// the flags or the covariance do not have one entry per parameter of the result.
    pub fn compute(self) -> Result<Diagnostics, OptimizationError> {
        let result = self.result;
        let n = result.parameters.len();
        let count = |what: &'static str, got: usize| -> Result<(), OptimizationError> {
            if got == n {
                Ok(())
            } else {
                Err(InvalidInput::WrongParameterCount {
                    what,
                    expected: n,
                    got,
                }
                .into())
            }
        };
        count("the parameter names", self.names.len())?;
        count("the uncertainties", result.uncertainties.len())?;
        count("the parameter flags", result.parameter_flags.len())?;
        count("the covariance's rows", result.covariance.matrix.nrows())?;
        count("the covariance's columns", result.covariance.matrix.ncols())?;
        if let Some((lower, upper)) = self.bounds {
            count("the lower bounds", lower.len())?;
            count("the upper bounds", upper.len())?;
        }

        let n_varying = n - result.fixed().len();
        let (chi_squared, n_points) = self
            .statistics
            .unwrap_or((result.chi_squared, result.n_points));
        let (aic, bic) = information_criteria(chi_squared, n_points, n_varying);
        let correlation = Correlation {
            names: self.names.to_vec(),
            matrix: correlation_matrix(result),
        };
        let warnings = self.warnings(&correlation);
        Ok(Diagnostics {
            chi_squared,
            n_points,
            n_varying,
            aic,
            bic,
            correlation,
            warnings,
        })
    }

    fn warnings(&self, correlation: &Correlation) -> Vec<Warning> {
        let result = self.result;
        let names = self.names;
        let n = result.parameters.len();
        let flag = |k: usize| result.parameter_flags[k];
        let varied =
            |k: usize| !matches!(flag(k), ParameterFlag::Fixed | ParameterFlag::Undetermined);
        let mut warnings = Vec::new();
        match result.convergence_status {
            ConvergenceStatus::Converged => {}
            ConvergenceStatus::Stalled => warnings.push(Warning::Stalled),
            ConvergenceStatus::MaxEvaluationsReached => warnings.push(Warning::OutOfBudget),
        }
        for k in (0..n).filter(|&k| flag(k) == ParameterFlag::Undetermined) {
            warnings.push(Warning::Undetermined {
                parameter: names[k].clone(),
            });
        }
        for k in (0..n).filter(|&k| varied(k)) {
            if let Some((side, bound)) = self.on_bound(k) {
                warnings.push(Warning::AtBound {
                    parameter: names[k].clone(),
                    value: result.parameters[k],
                    side,
                    bound,
                });
            }
        }
        for (i, j, r) in correlation.pairs_above(DEGENERATE_CORRELATION) {
            warnings.push(Warning::Degenerate {
                first: names[i].clone(),
                second: names[j].clone(),
                correlation: r,
                advice: self.advice.and_then(|a| a.advise(&names[i], &names[j])),
            });
        }
        for k in (0..n).filter(|&k| varied(k)) {
            let (value, error) = (result.parameters[k], result.uncertainties[k]);
            if error.is_finite() && error > value.abs() {
                warnings.push(Warning::Imprecise {
                    parameter: names[k].clone(),
                    value,
                    standard_error: error,
                });
            }
        }
        warnings
    }

    /// The bound parameter `k` ended on: the result's flag, or within [`BOUND_TOLERANCE`]
    /// of a given bound.
    fn on_bound(&self, k: usize) -> Option<(Side, f64)> {
        let value = self.result.parameters[k];
        let given = self.bounds.map(|(lower, upper)| (lower[k], upper[k]));
        let near = |bound: f64| {
            bound.is_finite()
                && (value - bound).abs()
                    <= BOUND_TOLERANCE * bound.abs().max(value.abs()).max(1e-300)
        };
        match (self.result.parameter_flags[k], given) {
            (ParameterFlag::AtLowerBound, g) => Some((Side::Lower, g.map_or(value, |g| g.0))),
            (ParameterFlag::AtUpperBound, g) => Some((Side::Upper, g.map_or(value, |g| g.1))),
            (_, Some((lower, _))) if near(lower) => Some((Side::Lower, lower)),
            (_, Some((_, upper))) if near(upper) => Some((Side::Upper, upper)),
            _ => None,
        }
    }
}

impl Diagnostics {
    /// The diagnosis of `result`, whose parameters are called `names`; add the bounds, other
    /// statistics or domain advice, then [`Diagnosis::compute`].
    pub fn of<'a>(result: &'a OptimizationResult, names: &'a [String]) -> Diagnosis<'a> {
        Diagnosis {
            result,
            names,
            bounds: None,
            statistics: None,
            advice: None,
        }
    }

    /// The warnings of `kind` ([`Warning::kind`]).
    pub fn warnings_of(&self, kind: &str) -> Vec<&Warning> {
        self.warnings.iter().filter(|w| w.kind() == kind).collect()
    }

    /// True when a degenerate pair was found.
    pub fn has_degeneracy(&self) -> bool {
        !self.warnings_of("degenerate").is_empty()
    }

    /// The JSON object `{aic, bic, n_points, n_varying, correlation: {names, matrix},
    /// warnings: [{kind, parameters, message, advice}]}`, with `null` for a number that is
    /// not finite (NaN correlations of fixed or undetermined parameters included).
    pub fn to_json(&self) -> Value {
        let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        let matrix: Vec<Value> = self
            .correlation
            .matrix
            .rows()
            .into_iter()
            .map(|row| Value::Array(row.iter().map(|&v| finite(v)).collect()))
            .collect();
        let warnings: Vec<Value> = self
            .warnings
            .iter()
            .map(|w| {
                let mut object = Map::new();
                object.insert("kind".into(), json!(w.kind()));
                object.insert("parameters".into(), json!(w.parameters()));
                object.insert("message".into(), json!(w.to_string()));
                object.insert("advice".into(), json!(w.advice()));
                Value::Object(object)
            })
            .collect();
        let mut correlation = Map::new();
        correlation.insert("names".into(), json!(self.correlation.names));
        correlation.insert("matrix".into(), Value::Array(matrix));
        let mut object = Map::new();
        object.insert("aic".into(), finite(self.aic));
        object.insert("bic".into(), finite(self.bic));
        object.insert("n_points".into(), json!(self.n_points));
        object.insert("n_varying".into(), json!(self.n_varying));
        object.insert("correlation".into(), Value::Object(correlation));
        object.insert("warnings".into(), Value::Array(warnings));
        Value::Object(object)
    }
}

/// `C_ij / sqrt(C_ii C_jj)` of the result's covariance, exactly symmetric, NaN for held
/// and undetermined parameters and for any entry that is not finite.
fn correlation_matrix(result: &OptimizationResult) -> Array2<f64> {
    let c = &result.covariance.matrix;
    let n = c.nrows();
    let has_variance = |k: usize| {
        !matches!(
            result.parameter_flags[k],
            ParameterFlag::Fixed | ParameterFlag::Undetermined
        ) && c[(k, k)].is_finite()
            && c[(k, k)] > 0.0
    };
    Array2::from_shape_fn((n, n), |(i, j)| {
        if !(has_variance(i) && has_variance(j)) {
            return f64::NAN;
        }
        if i == j {
            return 1.0;
        }
        // The mean of C_ij and C_ji: a covariance that is symmetric only to rounding
        // still gives a symmetric matrix.
        let r = 0.5 * (c[(i, j)] + c[(j, i)]) / (c[(i, i)] * c[(j, j)]).sqrt();
        // Rounding may carry |r| a hair past 1.
        if r.is_finite() {
            r.clamp(-1.0, 1.0)
        } else {
            f64::NAN
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_of_a_perfect_fit_are_finite() {
        let (aic, bic) = information_criteria(0.0, 10, 2);
        assert!(aic.is_finite() && bic.is_finite());
        assert!((aic - (10.0 * 1e-250f64.ln() + 4.0)).abs() < 1e-9);
        let (aic, _) = information_criteria(f64::NAN, 10, 2);
        assert!(aic.is_nan());
    }
}

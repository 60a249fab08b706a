//! The warnings of the diagnostics: what each says (naming its parameters), what to try,
//! and the advice a domain may give for a pair ([`PairAdvice`]).

use std::fmt;

use homodyne_core::ConvergenceStatus;

use super::thresholds::DEGENERATE_CORRELATION;

/// Which bound a parameter ended on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The lower bound.
    Lower,
    /// The upper bound.
    Upper,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Lower => "lower",
            Self::Upper => "upper",
        })
    }
}

/// Advice for a strongly correlated pair from a domain that knows what the parameters
/// mean; `None` leaves the generic advice.
///
/// Implemented for closures `Fn(&str, &str) -> Option<String>`. The names come in the
/// order of the parameter vector.
pub trait PairAdvice {
    /// What to try when `first` and `second` are correlated beyond
    /// [`DEGENERATE_CORRELATION`].
    fn advise(&self, first: &str, second: &str) -> Option<String>;
}

impl<F: Fn(&str, &str) -> Option<String>> PairAdvice for F {
    fn advise(&self, first: &str, second: &str) -> Option<String> {
        self(first, second)
    }
}

/// Something about a fit that a reader must know, with the parameters it concerns.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Warning {
    /// Two parameters correlated beyond [`DEGENERATE_CORRELATION`] in magnitude.
    Degenerate {
        /// The first of the pair, in parameter order.
        first: String,
        /// The second.
        second: String,
        /// Their correlation.
        correlation: f64,
        /// The domain's advice for this pair ([`PairAdvice`]), when it has some.
        advice: Option<String>,
    },
    /// A varied parameter whose standard error exceeds its magnitude: the data do not even
    /// fix its sign.
    Imprecise {
        /// The parameter.
        parameter: String,
        /// Its fitted value.
        value: f64,
        /// Its standard error.
        standard_error: f64,
    },
    /// A varied parameter on (or within [`BOUND_TOLERANCE`](super::thresholds::BOUND_TOLERANCE) of) a
    /// bound: the optimum may lie beyond it, and its standard error treats the bound as
    /// absent.
    AtBound {
        /// The parameter.
        parameter: String,
        /// Its fitted value.
        value: f64,
        /// Which bound.
        side: Side,
        /// The bound's value.
        bound: f64,
    },
    /// The fit stopped on `ftol` or `xtol` where the gradient is not small
    /// ([`ConvergenceStatus::Stalled`]): the parameters are not a minimum.
    Stalled,
    /// The evaluation budget ran out ([`ConvergenceStatus::MaxEvaluationsReached`]): the
    /// parameters are the best found, not an optimum.
    OutOfBudget,
    /// The data do not determine the parameter ([`ParameterFlag::Undetermined`](homodyne_core::ParameterFlag::Undetermined)).
    Undetermined {
        /// The parameter.
        parameter: String,
    },
}

impl Warning {
    /// A short machine-readable name: `degenerate`, `imprecise`, `at_bound`, `stalled`,
    /// `out_of_budget`, `undetermined`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Degenerate { .. } => "degenerate",
            Self::Imprecise { .. } => "imprecise",
            Self::AtBound { .. } => "at_bound",
            Self::Stalled => "stalled",
            Self::OutOfBudget => "out_of_budget",
            Self::Undetermined { .. } => "undetermined",
        }
    }

    /// The parameters the warning concerns (none for a stalled or unfinished fit).
    pub fn parameters(&self) -> Vec<&str> {
        match self {
            Self::Degenerate { first, second, .. } => vec![first, second],
            Self::Imprecise { parameter, .. }
            | Self::AtBound { parameter, .. }
            | Self::Undetermined { parameter } => vec![parameter],
            Self::Stalled | Self::OutOfBudget => Vec::new(),
        }
    }

    /// What to try: the domain's advice for a degenerate pair when it gave some, else the
    /// generic advice.
    pub fn advice(&self) -> String {
        match self {
            Self::Degenerate {
                advice: Some(advice),
                ..
            } => advice.clone(),
            Self::Degenerate { first, second, .. } => format!(
                "hold one of {first} and {second} fixed at a value known from elsewhere, \
                 write the model so that they separate (e.g. a reference point inside the \
                 data), or add data that tell them apart (a wider range of the variables)"
            ),
            Self::Imprecise { parameter, .. } => format!(
                "hold {parameter} fixed if its value is known (0 if the term may be absent), \
                 bound it more tightly, or fit more or less noisy data; if it is strongly \
                 correlated with another parameter, follow that warning first"
            ),
            Self::AtBound {
                parameter, side, ..
            } => format!(
                "widen {parameter}'s {side} bound if it is not a physical limit, or hold \
                 {parameter} fixed at it if it is; check the start and the model"
            ),
            Self::Stalled => ConvergenceStatus::Stalled
                .advice()
                .unwrap_or_default()
                .to_string(),
            Self::OutOfBudget => ConvergenceStatus::MaxEvaluationsReached
                .advice()
                .unwrap_or_default()
                .to_string(),
            Self::Undetermined { parameter } => format!(
                "hold {parameter} fixed, or fit data on which its term has an effect (its \
                 term is absent or underflows on these data, or it only moves with other \
                 parameters)"
            ),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Degenerate {
                first,
                second,
                correlation,
                ..
            } => write!(
                f,
                "{first} and {second} are correlated at {} (|r| > {DEGENERATE_CORRELATION}): \
                 the data determine a combination of them, not each one",
                correlation_text(*correlation)
            ),
            Self::Imprecise {
                parameter,
                value,
                standard_error,
            } => write!(
                f,
                "the standard error of {parameter} ({}) exceeds its magnitude ({}): the data \
                 do not fix even its sign",
                number(*standard_error),
                number(value.abs())
            ),
            Self::AtBound {
                parameter,
                value,
                side,
                bound,
            } => write!(
                f,
                "{parameter} = {} ended on its {side} bound ({}): the optimum may lie beyond \
                 it, and its standard error ignores the bound",
                number(*value),
                number(*bound)
            ),
            Self::Stalled => f.write_str(
                "the fit stalled: the steps stopped where the gradient is not small, so the \
                 parameters are not a minimum",
            ),
            Self::OutOfBudget => f.write_str(
                "the evaluation budget ran out: the parameters are the best found, not an \
                 optimum",
            ),
            Self::Undetermined { parameter } => write!(
                f,
                "the data do not determine {parameter}: its uncertainty is infinite"
            ),
        }
    }
}

/// A value in four significant digits: plain for magnitudes in `[1e-3, 1e5)`, else
/// scientific.
fn number(v: f64) -> String {
    let magnitude = v.abs();
    if v == 0.0 {
        "0.000".to_string()
    } else if (1e-3..1e5).contains(&magnitude) {
        let decimals = (3 - magnitude.log10().floor() as i64).clamp(0, 6) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// A correlation with enough decimals to tell it from 1: four, or one past the first
/// digit that differs from 9 (`-0.9999955`); closer to 1 than `5e-8`, the distance from
/// it (`-(1 - 3.2e-11)`).
pub fn correlation_text(r: f64) -> String {
    let gap = 1.0 - r.abs();
    if gap > 0.0 && gap < 5e-8 {
        let sign = if r < 0.0 { '-' } else { '+' };
        return format!("{sign}(1 - {gap:.1e})");
    }
    let decimals = if gap > 0.0 && gap.is_finite() {
        ((-gap.log10()).ceil() as i64 + 1).clamp(4, 8) as usize
    } else {
        4
    };
    format!("{r:+.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(0.0), "0.000");
        assert_eq!(number(1234.5678), "1235");
        assert_eq!(number(-0.012345), "-0.01235");
        assert_eq!(number(1e5), "1.000e5");
        assert_eq!(number(6.3e6), "6.300e6");
    }

    #[test]
    fn correlations_are_told_from_one() {
        assert_eq!(correlation_text(0.5), "+0.5000");
        assert_eq!(correlation_text(-0.99999546), "-0.9999955");
        assert_eq!(correlation_text(0.993), "+0.9930");
        assert_eq!(correlation_text(1.0), "+1.0000");
        assert_eq!(correlation_text(-(1.0 - 3.2e-11)), "-(1 - 3.2e-11)");
        assert_eq!(correlation_text(0.9999999), "+0.99999990");
    }
}

//! Why the program stops: [`Failure`] and its exit status, and the short messages of the
//! library's errors ([`describe`]).

use homodyne::{DetectionPoint, ErrorKind, InvalidInput, OptimizationError};

/// Why the program stops, and with which exit status.
#[derive(Debug)]
pub struct Failure {
    /// 1: the fit failed; 2: bad usage or bad input.
    pub status: u8,
    /// What to tell the user (one line, or a formula with a caret, or a short first line
    /// with indented details).
    pub message: String,
}

impl Failure {
    /// Bad usage or input: exit status 2.
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            status: 2,
            message: message.into(),
        }
    }

    /// The fit itself failed: exit status 1.
    pub fn fit(message: impl Into<String>) -> Self {
        Self {
            status: 1,
            message: message.into(),
        }
    }
}

/// Where the data points of a fit sit in their file, for messages: `rows(i)` names the
/// 0-based point `i` of the fitted arrays as the user can find it (`run7.csv:12`, or
/// `scan.h5: row 11 (counting from 0)`).
pub type Locate<'a> = &'a dyn Fn(usize) -> String;

/// A [`Locate`] for data without a file (points named by their 1-based index).
pub fn by_index(point: usize) -> String {
    format!("data point {}", point + 1)
}

/// Turns a library error into the program's failure: invalid input is exit status 2 and
/// names parameters by their names and data points by their place in the file
/// (`locate`); any other error is exit status 1 and reads
///
/// ```text
/// the fit failed: <what failed> at <file:line> (data point k[, parameter b2])
///   after 3 attempts; recovery tried: halve_step, tighten_bounds
///   an earlier attempt failed otherwise: <error>
/// ```
///
/// each distinct recovery and each distinct earlier error once, without the context the
/// library attaches for logs. A fit stopped on request is exit status 1 and reads `the fit
/// was interrupted on request`.
pub fn describe(error: &OptimizationError, names: &[String], locate: Locate<'_>) -> Failure {
    match error.kind() {
        ErrorKind::InvalidInput => return Failure::input(describe_input(error, names, locate)),
        ErrorKind::Interrupted => return Failure::fit(without_context(&error.to_string())),
        _ => {}
    }
    let context = error.context();
    let mut message = format!("the fit failed: {}", headline(error));
    if let Some(point) = context.get("point").and_then(|p| p.parse::<usize>().ok()) {
        let place = point.checked_sub(1).map(locate).unwrap_or_default();
        let several =
            matches!(error, OptimizationError::Numerical { sample, .. } if sample.count > 1);
        let first = if several { ", the first" } else { "" };
        message.push_str(&format!("{first} at {place}"));
        if !place.starts_with("data point") {
            message.push_str(&format!(" (data point {point})"));
        }
        if let Some(parameter) = context.get("parameter") {
            message.push_str(&format!(", parameter {parameter}"));
        }
    }
    if let Some(attempts) = context.get("attempts") {
        message.push_str(&format!("\n  after {attempts} attempts"));
        match context.get("recovery_tried").filter(|t| !t.is_empty()) {
            Some(tried) => message.push_str(&format!("; recovery tried: {tried}")),
            None => message.push_str("; no recovery could change the outcome"),
        }
    }
    if let Some(earlier) = context.get("earlier_errors") {
        let mut seen: Vec<String> = Vec::new();
        for e in earlier.split(" | ").map(without_context) {
            if !seen.contains(&e) {
                seen.push(e);
            }
        }
        for e in seen {
            message.push_str(&format!("\n  an earlier attempt failed otherwise: {e}"));
        }
    }
    Failure::fit(message)
}

/// What failed, without the context kept for logs.
fn headline(error: &OptimizationError) -> String {
    match error {
        OptimizationError::Numerical {
            detection_point,
            sample,
            ..
        } => {
            let overflow = sample.values.first().is_some_and(|v| v.value.is_finite());
            let what = match detection_point {
                // A finite value reported as invalid is one whose square overflows.
                DetectionPoint::Residuals if overflow => {
                    "a residual is too large to square (the sum of squares overflows)".to_string()
                }
                DetectionPoint::Residuals => "the residuals are not finite".to_string(),
                DetectionPoint::Jacobian => "the derivatives (Jacobian) are not finite".to_string(),
                DetectionPoint::Loss => {
                    "the cost (sum of squared residuals) is not finite".to_string()
                }
                other => format!("non-finite values in the {other}"),
            };
            match sample.values.first() {
                None => what,
                Some(first) if sample.count > 1 => {
                    format!("{what}: {:?} ({} values in all)", first.value, sample.count)
                }
                Some(first) => format!("{what}: {:?}", first.value),
            }
        }
        OptimizationError::Convergence { message, .. }
        | OptimizationError::ModelPanicked { message, .. }
        | OptimizationError::Communication { message, .. } => {
            let kind = match error.kind() {
                ErrorKind::ModelPanicked => "the model panicked: ",
                ErrorKind::Communication => "communication failure: ",
                _ => "",
            };
            format!("{kind}{message}")
        }
        other => without_context(&other.to_string()),
    }
}

/// `message` without the ` [key=value, ...]` the library appends for logs.
pub(crate) fn without_context(message: &str) -> String {
    let message = message.trim();
    match message.rfind(" [") {
        Some(at) if message.ends_with(']') && message[at..].contains('=') => {
            message[..at].to_string()
        }
        _ => message.to_string(),
    }
}

/// The message of an invalid-input error, naming parameters and data rows.
fn describe_input(error: &OptimizationError, names: &[String], locate: Locate<'_>) -> String {
    let name = |index: usize| {
        names
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("parameter {}", index + 1))
    };
    let Some(problem) = error.invalid_input() else {
        return error.to_string();
    };
    match problem {
        InvalidInput::P0OutsideBounds {
            index,
            value,
            lower,
            upper,
        } => format!(
            "the start value {}={value} lies outside its bounds [{lower}, {upper}]: change \
             --p0, --fix or --bounds",
            name(*index)
        ),
        InvalidInput::InvertedBounds {
            index,
            lower,
            upper,
        } => format!(
            "the bounds of {} are empty: lower {lower} is above upper {upper} (equal bounds \
             hold the parameter fixed)",
            name(*index)
        ),
        InvalidInput::NonPositiveSigma { index, value } => format!(
            "sigma is {value} at {}: uncertainties must be positive",
            locate(*index)
        ),
        InvalidInput::TooFewPoints { n_points, n_params } => format!(
            "{n_points} data point(s) cannot determine {n_params} parameters: give more \
             data, or hold parameters with --fix"
        ),
        other => without_context(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne::{Context, InvalidSample};

    fn numerical(point: usize) -> OptimizationError {
        let mut sample = InvalidSample::default();
        sample.push(point - 1, f64::INFINITY);
        OptimizationError::Numerical {
            detection_point: DetectionPoint::Residuals,
            sample,
            context: Context::new()
                .with("point", point)
                .with("attempts", 3)
                .with("recovery_tried", "halve_step, tighten_bounds")
                .with(
                    "earlier_errors",
                    "numerical error in the loss: 1 invalid value(s) [iteration=0] | \
                     numerical error in the loss: 1 invalid value(s) [iteration=1]",
                ),
        }
    }

    #[test]
    fn an_error_after_retries_is_short_and_names_the_row() {
        let locate = |i: usize| format!("run7.csv:{}", i + 2);
        let failure = describe(&numerical(5), &[], &locate);
        assert_eq!(failure.status, 1);
        let lines: Vec<&str> = failure.message.lines().collect();
        assert_eq!(
            lines[0],
            "the fit failed: the residuals are not finite: inf at run7.csv:6 (data point 5)"
        );
        assert_eq!(
            lines[1],
            "  after 3 attempts; recovery tried: halve_step, tighten_bounds"
        );
        assert_eq!(
            lines[2],
            "  an earlier attempt failed otherwise: numerical error in the loss: 1 invalid value(s)"
        );
        assert_eq!(lines.len(), 3, "{}", failure.message);
    }

    #[test]
    fn invalid_input_is_status_2() {
        let error = OptimizationError::from(InvalidInput::TooFewPoints {
            n_points: 2,
            n_params: 3,
        });
        let failure = describe(&error, &[], &by_index);
        assert_eq!(failure.status, 2);
        assert!(failure.message.contains("--fix"), "{}", failure.message);
    }

    #[test]
    fn an_interrupted_fit_says_so_without_context() {
        let error = OptimizationError::interrupted()
            .with_context("iteration", 4)
            .with_context("nfev", 6);
        let failure = describe(&error, &[], &by_index);
        assert_eq!(failure.status, 1);
        assert_eq!(failure.message, "the fit was interrupted on request");
    }

    #[test]
    fn context_is_stripped() {
        assert_eq!(without_context("a b [x=1, y=2]"), "a b");
        assert_eq!(without_context("values [1]"), "values [1]");
    }
}

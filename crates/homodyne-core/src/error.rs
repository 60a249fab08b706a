//! The error type every homodyne layer reports to the user.
//!
//! One enum, [`OptimizationError`], with the four kinds of the Python package's hierarchy
//! (convergence, numerical, checkpoint, invalid input), plus a panicking model, a
//! failed exchange between the processes of a distributed fit and a fit stopped on
//! request. Each variant carries a
//! [`Context`]: an ordered map of `key = value` pairs naming what was being done (which
//! parameter, which point, which detection point) so that a log line is enough to find the
//! cause.

use std::collections::BTreeMap;
use std::fmt;

/// Ordered `key -> value` context attached to every error (for example
/// `{"iteration": "12", "nfev": "40"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context(pub BTreeMap<String, String>);

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key = value` and returns the context (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl fmt::Display) -> Self {
        self.0.insert(key.into(), value.to_string());
        self
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" [")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        f.write_str("]")
    }
}

/// Where a non-finite value was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DetectionPoint {
    /// The model's values (residuals) at a point where the solver needed them finite.
    Residuals,
    /// The Jacobian of the model.
    Jacobian,
    /// The gradient `J^T r`.
    Gradient,
    /// The parameter vector after an update (NaN or infinity).
    Parameters,
    /// The parameter vector after an update lies outside the bounds.
    ParameterBounds,
    /// The cost (loss) value.
    Loss,
}

impl fmt::Display for DetectionPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Residuals => "residuals",
            Self::Jacobian => "jacobian",
            Self::Gradient => "gradient",
            Self::Parameters => "parameter",
            Self::ParameterBounds => "parameter_bounds",
            Self::Loss => "loss",
        })
    }
}

/// One invalid (NaN or infinite) value and where it sits: `index` is the point index for
/// residuals, `point * n_params + param` for a Jacobian, the parameter index otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvalidValue {
    /// Position of the value (see the type's documentation).
    pub index: usize,
    /// The value itself (NaN, +inf or -inf), or for a residual whose square overflows,
    /// that residual.
    pub value: f64,
}

/// A bounded sample of the invalid values found during one evaluation: the total count and
/// the first few positions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvalidSample {
    /// How many invalid values were found in all.
    pub count: usize,
    /// The first [`InvalidSample::CAPACITY`] of them, in index order.
    pub values: Vec<InvalidValue>,
}

impl InvalidSample {
    /// How many values the sample keeps.
    pub const CAPACITY: usize = 8;

    /// Records one invalid value.
    pub fn push(&mut self, index: usize, value: f64) {
        self.count += 1;
        if self.values.len() < Self::CAPACITY {
            self.values.push(InvalidValue { index, value });
        }
    }

    /// Merges a sample taken over a later range of indices.
    pub fn merge(&mut self, other: &InvalidSample) {
        self.count += other.count;
        for v in &other.values {
            if self.values.len() < Self::CAPACITY {
                self.values.push(*v);
            }
        }
    }

    /// Adds `offset` to every recorded index (a sample taken over a batch, placed in the
    /// whole data set).
    pub fn offset(&mut self, offset: usize) {
        for v in &mut self.values {
            v.index += offset;
        }
    }

    /// True when nothing invalid was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

impl fmt::Display for InvalidSample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} invalid value(s)", self.count)?;
        if !self.values.is_empty() {
            f.write_str(", first at")?;
            for v in &self.values {
                write!(f, " [{}]={:?}", v.index, v.value)?;
            }
        }
        Ok(())
    }
}

/// What was wrong with the input of a fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// `xdata` does not hold `x_dim` values for each of the `ydata` points.
    #[error(
        "xdata has {x_len} values but ydata has {y_len} points and the model reads {x_dim} x value(s) per point"
    )]
    LengthMismatch {
        /// Number of values in `xdata`.
        x_len: usize,
        /// Number of points in `ydata`.
        y_len: usize,
        /// x values per point the model reads.
        x_dim: usize,
    },
    /// No data points at all.
    #[error("the data are empty")]
    EmptyData,
    /// Fewer points than parameters: the problem is underdetermined.
    #[error("{n_points} data point(s) cannot determine {n_params} parameters")]
    TooFewPoints {
        /// Number of data points.
        n_points: usize,
        /// Number of parameters.
        n_params: usize,
    },
    /// A NaN or infinite value in an input array.
    #[error("{array}[{index}] is {value}, not a finite number")]
    NonFinite {
        /// Which input (`"xdata"`, `"ydata"`, `"p0"`, `"sigma"`, `"x_scale"`).
        array: &'static str,
        /// Its position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Too many batches of a streamed data source could not be used.
    #[error(
        "{failed} of {total} batches failed, more than a success rate of {min_success_rate} allows: {details}"
    )]
    TooManyFailedBatches {
        /// Batches excluded.
        failed: usize,
        /// Batches in all.
        total: usize,
        /// The smallest share of good batches allowed.
        min_success_rate: f64,
        /// Which batches failed and why (the first ten).
        details: String,
    },
    /// Points that could not be read, or hold a NaN, an infinity or a sigma that is not
    /// positive, where a fit cannot leave them out (a distributed fit).
    #[error("unusable data: {details}")]
    UnusableData {
        /// Which points, and why.
        details: String,
    },
    /// The starting point lies outside the bounds.
    #[error("p0[{index}] = {value} lies outside its bounds [{lower}, {upper}]")]
    P0OutsideBounds {
        /// Parameter index.
        index: usize,
        /// Starting value.
        value: f64,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// A lower bound is above its upper bound, NaN, or both are the same infinity.
    #[error("bound {index} is empty: lower {lower} is above upper {upper} (or not a number)")]
    InvertedBounds {
        /// Parameter index.
        index: usize,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// A per-point uncertainty that is zero or negative.
    #[error("sigma[{index}] = {value}: uncertainties must be positive")]
    NonPositiveSigma {
        /// Point index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Every parameter is held fixed: nothing is left to fit.
    #[error("every parameter is held fixed: nothing to fit (free at least one)")]
    NothingToFit,
    /// A per-parameter vector (p0, bounds, x_scale) with the wrong number of entries.
    #[error("{what} has {got} entries but the model has {expected} parameters")]
    WrongParameterCount {
        /// Which vector.
        what: &'static str,
        /// Number of model parameters.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// `sigma` does not have one entry per point.
    #[error("sigma has {got} entries but there are {expected} data points")]
    WrongSigmaLength {
        /// Number of data points.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A solver option out of its valid range.
    #[error("option {option} = {value} is invalid: {reason}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// Its value, formatted.
        value: String,
        /// What the valid range is.
        reason: &'static str,
    },
    /// An unknown method name.
    #[error("unknown method {0:?}: expected \"trf\" or \"lm\"")]
    UnknownMethod(String),
}

/// Coarse kind of an [`OptimizationError`], for matching without destructuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The solver could not reach a solution.
    Convergence,
    /// NaN or infinity where a finite number was needed.
    Numerical,
    /// A checkpoint could not be written, read or trusted.
    Checkpoint,
    /// The caller's input is unusable.
    InvalidInput,
    /// The user's model panicked.
    ModelPanicked,
    /// The processes of a distributed fit could not exchange their sums.
    Communication,
    /// The fit was stopped on request ([`crate::FitObserver::stop_requested`]).
    Interrupted,
}

/// The error of a homodyne fit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptimizationError {
    /// The solver stopped without a usable solution.
    #[error("convergence failure: {message}{context}")]
    Convergence {
        /// What happened.
        message: String,
        /// Where.
        context: Context,
    },
    /// A non-finite value at a point where the solver cannot step around it.
    #[error("numerical error in the {detection_point}: {sample}{context}")]
    Numerical {
        /// Which quantity held the invalid values.
        detection_point: DetectionPoint,
        /// A sample of them.
        sample: InvalidSample,
        /// Where.
        context: Context,
    },
    /// A checkpoint file problem.
    #[error("checkpoint error: {message}{context}")]
    Checkpoint {
        /// What happened.
        message: String,
        /// Which file, which dataset.
        context: Context,
        /// The underlying I/O or format error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The user's model panicked; the panic was caught at the library's boundary.
    #[error("the model panicked: {message}{context}")]
    ModelPanicked {
        /// The panic's message.
        message: String,
        /// Where.
        context: Context,
    },
    /// The processes of a distributed fit could not exchange a pass's sums (a process
    /// failed or sent something else).
    #[error("communication failure: {message}{context}")]
    Communication {
        /// What happened.
        message: String,
        /// Where: the rank, the pass.
        context: Context,
    },
    /// The fit was stopped on request: its observer's
    /// [`stop_requested`](crate::FitObserver::stop_requested) answered true. No result is
    /// made from an unfinished pass, and the error is never retried.
    #[error("the fit was interrupted on request{context}")]
    Interrupted {
        /// Where: the outer iteration and the cost evaluations so far (`iteration`,
        /// `nfev`), where known.
        context: Context,
    },
    /// The input cannot be fitted as given.
    #[error("invalid input: {problem}{context}")]
    InvalidInput {
        /// What is wrong.
        problem: InvalidInput,
        /// Where.
        context: Context,
    },
}

/// The `context` field of the [`OptimizationError`] `$error`, whatever its variant: `&` or
/// `&mut` as `$error` is.
macro_rules! context_field {
    ($error:expr) => {
        match $error {
            OptimizationError::Convergence { context, .. }
            | OptimizationError::Numerical { context, .. }
            | OptimizationError::Checkpoint { context, .. }
            | OptimizationError::ModelPanicked { context, .. }
            | OptimizationError::Communication { context, .. }
            | OptimizationError::Interrupted { context }
            | OptimizationError::InvalidInput { context, .. } => context,
        }
    };
}

impl OptimizationError {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Convergence { .. } => ErrorKind::Convergence,
            Self::Numerical { .. } => ErrorKind::Numerical,
            Self::Checkpoint { .. } => ErrorKind::Checkpoint,
            Self::InvalidInput { .. } => ErrorKind::InvalidInput,
            Self::ModelPanicked { .. } => ErrorKind::ModelPanicked,
            Self::Communication { .. } => ErrorKind::Communication,
            Self::Interrupted { .. } => ErrorKind::Interrupted,
        }
    }

    /// The context attached to this error.
    pub fn context(&self) -> &Context {
        context_field!(self)
    }

    /// The error of a fit stopped on request, with an empty context (the solver adds the
    /// iteration and the evaluations so far).
    pub fn interrupted() -> Self {
        Self::Interrupted {
            context: Context::new(),
        }
    }

    /// True when the fit was stopped on request ([`OptimizationError::Interrupted`]).
    pub fn is_interrupted(&self) -> bool {
        matches!(self, Self::Interrupted { .. })
    }

    /// The invalid-input detail, when this is an invalid-input error.
    pub fn invalid_input(&self) -> Option<&InvalidInput> {
        match self {
            Self::InvalidInput { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// Adds `key = value` to the context of this error.
    pub fn with_context(mut self, key: impl Into<String>, value: impl fmt::Display) -> Self {
        context_field!(&mut self)
            .0
            .insert(key.into(), value.to_string());
        self
    }
}

impl InvalidInput {
    /// [`InvalidInput::WrongParameterCount`] of `what` when its `got` entries are not the
    /// model's `expected` parameters.
    pub fn check_parameter_count(
        what: &'static str,
        expected: usize,
        got: usize,
    ) -> Result<(), Self> {
        if got == expected {
            Ok(())
        } else {
            Err(Self::WrongParameterCount {
                what,
                expected,
                got,
            })
        }
    }
}

impl From<InvalidInput> for OptimizationError {
    fn from(problem: InvalidInput) -> Self {
        Self::InvalidInput {
            problem,
            context: Context::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_problem_and_context() {
        let err = OptimizationError::from(InvalidInput::P0OutsideBounds {
            index: 2,
            value: 5.0,
            lower: 0.0,
            upper: 1.0,
        })
        .with_context("method", "trf");
        let text = err.to_string();
        assert!(text.contains("p0[2] = 5"), "{text}");
        assert!(text.contains("method=trf"), "{text}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn an_interruption_names_where_it_stopped() {
        let err = OptimizationError::interrupted()
            .with_context("iteration", 3)
            .with_context("nfev", 5);
        assert_eq!(
            err.to_string(),
            "the fit was interrupted on request [iteration=3, nfev=5]"
        );
        assert_eq!(err.kind(), ErrorKind::Interrupted);
        assert!(err.is_interrupted());
        assert_eq!(err.context().get("nfev"), Some("5"));
        assert_eq!(
            OptimizationError::interrupted().to_string(),
            "the fit was interrupted on request"
        );
    }

    #[test]
    fn invalid_sample_is_bounded() {
        let mut s = InvalidSample::default();
        for i in 0..20 {
            s.push(i, f64::NAN);
        }
        assert_eq!(s.count, 20);
        assert_eq!(s.values.len(), InvalidSample::CAPACITY);
        assert!(s.to_string().starts_with("20 invalid"));
    }
}

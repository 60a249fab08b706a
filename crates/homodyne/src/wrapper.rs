//! [`NlsqWrapper`]: the entry point of a homodyne fit.

pub(crate) mod attempt;
pub(crate) mod attempts;

/// Runs fits with TRF or LM, choosing how to hold the data from its size: the flags of the
/// Python package's `NLSQWrapper`. A fit is described with [`Fit`](crate::Fit) and run by the wrapper
/// given to [`Fit::wrapper`](crate::Fit::wrapper) (the default wrapper when none is).
///
/// The options:
///
/// | option | default | effect |
/// |---|---|---|
/// | `enable_large_dataset` | true | the strategy is chosen from the data size and the memory available (LARGE from 1M points, CHUNKED from 10M); false keeps STANDARD. [`Fit::strategy`](crate::Fit::strategy) forces one |
/// | `enable_recovery` | true | a failed attempt is retried with the next strategy of [`crate::recovery`]; each applied strategy is recorded in `recovery_actions` |
/// | `enable_numerical_validation` | true | gradient, parameters and loss are checked every iteration ([`homodyne_solvers::validation`]); non-finite inputs and Jacobians are refused either way |
/// | `max_retries` | 2 | retries after the first attempt |
/// | `fast_mode` | false | validation off; nothing else changes |
///
/// When every attempt fails, the error is the last attempt's, with every attempt and its
/// cause in its context (`attempts`, `recovery_tried`). A fit stopped on request
/// ([`FitObserver::stop_requested`](homodyne_core::FitObserver::stop_requested)) is never
/// retried: its [`OptimizationError::Interrupted`](homodyne_core::OptimizationError::Interrupted) is returned as the attempt ended with it. When the evaluation budget runs out
/// on every attempt, the best result is returned with status `MaxEvaluationsReached` and
/// the retries in `recovery_actions`. A panic inside the user's model is caught and
/// returned as [`OptimizationError::ModelPanicked`](homodyne_core::OptimizationError::ModelPanicked).
///
/// # Example
/// ```
/// use homodyne::prelude::*;
///
/// let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
/// let y: Vec<f64> = x.iter().map(|x| 3.0 * (-1.3 * x).exp() + 0.5).collect();
/// let model = ClosureModel::new(3, |x: f64, p: &[f64]| p[0] * (-p[1] * x).exp() + p[2]);
/// let wrapper = NlsqWrapper::builder().enable_recovery(false).build();
/// let result = Fit::curve(&model, &x, &y)
///     .p0(&[1.0, 1.0, 0.0])
///     .wrapper(wrapper)
///     .run()?;
/// assert!((result.parameters[1] - 1.3).abs() < 1e-8);
/// assert_eq!(result.strategy, OptimizationStrategy::Standard);
/// # Ok::<(), OptimizationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlsqWrapper {
    enable_large_dataset: bool,
    enable_recovery: bool,
    enable_numerical_validation: bool,
    max_retries: usize,
    fast_mode: bool,
}

impl Default for NlsqWrapper {
    fn default() -> Self {
        Self {
            enable_large_dataset: true,
            enable_recovery: true,
            enable_numerical_validation: true,
            max_retries: 2,
            fast_mode: false,
        }
    }
}

/// Builder of an [`NlsqWrapper`].
#[derive(Debug, Clone, Default)]
pub struct NlsqWrapperBuilder {
    wrapper: NlsqWrapper,
}

impl NlsqWrapperBuilder {
    /// Allow the strategies for large data (default true).
    pub fn enable_large_dataset(mut self, on: bool) -> Self {
        self.wrapper.enable_large_dataset = on;
        self
    }
    /// Retry recoverable failures (default true; see the type's table).
    pub fn enable_recovery(mut self, on: bool) -> Self {
        self.wrapper.enable_recovery = on;
        self
    }
    /// Validate gradient, parameters and loss (default true; see the type's table).
    pub fn enable_numerical_validation(mut self, on: bool) -> Self {
        self.wrapper.enable_numerical_validation = on;
        self
    }
    /// Retries per recoverable failure (default 2).
    pub fn max_retries(mut self, n: usize) -> Self {
        self.wrapper.max_retries = n;
        self
    }
    /// Cheaper validation (default false).
    pub fn fast_mode(mut self, on: bool) -> Self {
        self.wrapper.fast_mode = on;
        self
    }
    /// The wrapper.
    pub fn build(self) -> NlsqWrapper {
        self.wrapper
    }
}

impl NlsqWrapper {
    /// A wrapper with the default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder starting from the defaults.
    pub fn builder() -> NlsqWrapperBuilder {
        NlsqWrapperBuilder::default()
    }

    /// Whether large-data strategies are allowed.
    pub fn enable_large_dataset(&self) -> bool {
        self.enable_large_dataset
    }
    /// Whether recovery is requested.
    pub fn enable_recovery(&self) -> bool {
        self.enable_recovery
    }
    /// Whether numerical validation is requested.
    pub fn enable_numerical_validation(&self) -> bool {
        self.enable_numerical_validation
    }
    /// Retries per recoverable failure.
    pub fn max_retries(&self) -> usize {
        self.max_retries
    }
    /// Whether fast mode is requested.
    pub fn fast_mode(&self) -> bool {
        self.fast_mode
    }
}

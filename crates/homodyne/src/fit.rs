//! [`Fit`]: the one way into a homodyne fit.
//!
//! A fit is a problem, then settings, then [`Fit::run`]:
//!
//! 1. **the problem**: the model and its data ([`Fit::curve`] for points in memory,
//!    [`Fit::source`] for any [`DataSource`], [`Fit::residuals`] for a function returning
//!    its residuals), the start [`Fit::p0`], [`Fit::bounds`], the one-sigma uncertainties
//!    [`Fit::sigma`] (data, like `y`) and the parameters held at a value ([`Fit::fix`]);
//! 2. **the settings**, each with a default: [`Fit::method`], the solver's
//!    [`SolverOptions`] ([`Fit::options`]), the coarse stages before a large fit
//!    ([`Fit::coarse_to_fine`]), fits from many starts ([`Fit::multistart`]), the strategy ([`Fit::strategy`],
//!    [`Fit::memory_limit_gb`]), STREAMING's batches and checkpoints ([`Fit::streaming`],
//!    [`Fit::checkpoints`]), the processes of a distributed fit ([`Fit::communicator`]),
//!    an [`FitObserver`] and the [`NlsqWrapper`] whose recovery and validation flags run
//!    it ([`Fit::wrapper`]);
//! 3. [`Fit::run`], which may be called again (a builder is cheap to clone and to change).
//!
//! ```
//! use homodyne::prelude::*;
//!
//! let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
//! let y: Vec<f64> = x.iter().map(|x| 3.0 * (-1.3 * x).exp() + 0.5).collect();
//! let model = ClosureModel::new(3, |x: f64, p: &[f64]| p[0] * (-p[1] * x).exp() + p[2]);
//! let result = Fit::curve(&model, &x, &y)
//!     .p0(&[1.0, 1.0, 0.0])
//!     .bounds(Bounds::new(vec![0.0; 3], vec![10.0; 3])?)
//!     .method(Method::Lm)
//!     .run()?;
//! assert!((result.parameters[1] - 1.3).abs() < 1e-8);
//! # Ok::<(), homodyne::OptimizationError>(())
//! ```
//!
//! # Which strategy runs
//!
//! | data | communicator | STREAMING asked for | runs |
//! |---|---|---|---|
//! | points in memory | none | no | STANDARD, LARGE or CHUNKED, by size ([`NlsqWrapper`]) |
//! | points in memory | none | yes | STREAMING over the points (checkpoints, resume) |
//! | a [`DataSource`] | none | either | STREAMING, batch by batch |
//! | either | given | no | each process holds its share in memory ([`crate::distributed`]) |
//! | either | given | yes | each process streams its share |
//!
//! STREAMING is asked for by [`Fit::strategy`]`(Streaming)`, [`Fit::streaming`] or
//! [`Fit::checkpoints`]. Every path reaches the same optimum (see the crate documentation).

use std::borrow::Cow;
use std::sync::Arc;

use homodyne_core::{
    Bounds, DataSource, FitObserver, Method, Model, NoObserver, OptimizationError,
    OptimizationResult, OptimizationStrategy, ResidualModel, ResidualProblem, SliceSource,
};
use homodyne_solvers::SolverOptions;
use homodyne_solvers::distributed::Communicator;
use homodyne_solvers::streaming::PassRecord;

use crate::coarse::CoarseToFine;
use crate::multistart::Multistart;
use crate::streaming::{CheckpointOptions, StreamingOptions};
use crate::wrapper::NlsqWrapper;

/// A fit being described: the problem, then the settings, then [`Fit::run`]. See the
/// [module documentation](self).
#[derive(Clone)]
pub struct Fit<'a> {
    pub(crate) model: ModelRef<'a>,
    pub(crate) data: Data<'a>,
    pub(crate) sigma: Option<Cow<'a, [f64]>>,
    pub(crate) p0: Vec<f64>,
    pub(crate) bounds: Option<Bounds>,
    pub(crate) fixed: Vec<Option<f64>>,
    pub(crate) absolute_sigma: bool,
    pub(crate) method: Method,
    pub(crate) options: SolverOptions,
    pub(crate) strategy: Option<OptimizationStrategy>,
    pub(crate) memory_limit_gb: Option<f64>,
    pub(crate) streaming: StreamingOptions,
    /// Whether the user asked for STREAMING through its options or checkpoints.
    pub(crate) streaming_asked: bool,
    pub(crate) communicator: Option<&'a dyn Communicator>,
    pub(crate) observer: &'a dyn FitObserver,
    pub(crate) wrapper: NlsqWrapper,
    pub(crate) coarse_to_fine: CoarseToFine,
    /// The first pass of a STREAMING fit, computed by the check of the coarse stage that
    /// ended at `p0` ([`crate::coarse`]): offered to the fit's objective, which takes it
    /// when its solver asks for that pass at `p0`, bit for bit.
    pub(crate) first_pass: Option<PassRecord>,
    /// The cost of these points at an earlier start ([`Fit::reference_cost`], or the
    /// user's start when coarse stages computed it): the fit's zero-residual test
    /// ([`crate::outcome`]) compares its final cost with this as well as with the cost
    /// where it started (a stage's optimum).
    pub(crate) reference_cost: Option<f64>,
    /// Fits from many starts, then from the best ([`Fit::multistart`]).
    pub(crate) multistart: Option<Multistart>,
}

/// The model of a fit: the user's, or an adapter the builder made (a residual problem's).
#[derive(Clone)]
pub(crate) enum ModelRef<'a> {
    Borrowed(&'a dyn Model),
    Owned(Arc<dyn Model + 'a>),
}

impl<'a> ModelRef<'a> {
    pub(crate) fn get(&self) -> &(dyn Model + 'a) {
        match self {
            ModelRef::Borrowed(m) => *m,
            ModelRef::Owned(m) => m.as_ref(),
        }
    }
}

/// The data of a fit.
#[derive(Clone)]
pub(crate) enum Data<'a> {
    /// Points in memory: `x` (`N * x_dim` values) and `y` (`N`).
    Points {
        x: Cow<'a, [f64]>,
        y: Cow<'a, [f64]>,
    },
    /// Points read from a source (batch by batch, or a share per process).
    Source(&'a dyn DataSource),
}

/// Bounds in any of the forms a caller holds them: `Bounds`, `&Bounds`, or an `Option` of
/// either (`None`: unbounded).
pub trait IntoBounds {
    /// The bounds, if any.
    fn into_bounds(self) -> Option<Bounds>;
}

impl IntoBounds for Bounds {
    fn into_bounds(self) -> Option<Bounds> {
        Some(self)
    }
}

impl IntoBounds for &Bounds {
    fn into_bounds(self) -> Option<Bounds> {
        Some(self.clone())
    }
}

impl IntoBounds for Option<Bounds> {
    fn into_bounds(self) -> Option<Bounds> {
        self
    }
}

impl IntoBounds for Option<&Bounds> {
    fn into_bounds(self) -> Option<Bounds> {
        self.cloned()
    }
}

impl<'a> Fit<'a> {
    fn with(model: ModelRef<'a>, data: Data<'a>) -> Self {
        Self {
            model,
            data,
            sigma: None,
            p0: Vec::new(),
            bounds: None,
            fixed: Vec::new(),
            absolute_sigma: false,
            method: Method::Trf,
            options: SolverOptions::default(),
            strategy: None,
            memory_limit_gb: None,
            streaming: StreamingOptions::default(),
            streaming_asked: false,
            communicator: None,
            observer: &NoObserver,
            wrapper: NlsqWrapper::default(),
            coarse_to_fine: CoarseToFine::Auto,
            first_pass: None,
            reference_cost: None,
            multistart: None,
        }
    }

    /// Fits `model` to points held in memory: `xdata` holds `N * model.x_dim()` predictor
    /// values, point after point, and `ydata` the `N` observations.
    pub fn curve(model: &'a dyn Model, xdata: &'a [f64], ydata: &'a [f64]) -> Self {
        Self::with(
            ModelRef::Borrowed(model),
            Data::Points {
                x: Cow::Borrowed(xdata),
                y: Cow::Borrowed(ydata),
            },
        )
    }

    /// Fits `model` to the points of `source`, read batch by batch (STREAMING) or, with a
    /// [`Fit::communicator`], a share per process. A source brings its own sigma
    /// ([`DataSource::has_sigma`]).
    pub fn source(model: &'a dyn Model, source: &'a dyn DataSource) -> Self {
        Self::with(ModelRef::Borrowed(model), Data::Source(source))
    }

    /// Minimises the sum of squares of the residuals `problem` returns (scipy's
    /// `least_squares(fun, x0)`): no `x`, no `y`. Wrap a function written once for any
    /// [`Scalar`](homodyne_core::Scalar) ([`GenericResiduals`](homodyne_core::GenericResiduals))
    /// in [`AutoDiffResiduals`](homodyne_core::AutoDiffResiduals) for exact derivatives
    /// whatever the number of parameters, or a plain closure in
    /// [`FiniteDiffResiduals`](homodyne_core::FiniteDiffResiduals) for finite differences.
    ///
    /// The residuals are evaluated once per parameter vector, whatever their number (see
    /// [`ResidualModel`]); the result's `n_points` is their number, and `chi_squared` twice
    /// the cost. Such a fit runs no coarse stages unless asked ([`Fit::coarse_to_fine`]): a
    /// subset of the residuals costs their whole evaluation.
    ///
    /// ```
    /// use homodyne::prelude::*;
    ///
    /// /// Rosenbrock's function as residuals: 10 (p2 - p1^2) and 1 - p1.
    /// struct Rosenbrock;
    /// impl GenericResiduals for Rosenbrock {
    ///     fn n_params(&self) -> usize { 2 }
    ///     fn n_residuals(&self) -> usize { 2 }
    ///     fn residuals<T: Scalar>(&self, p: &[T], r: &mut [T]) {
    ///         r[0] = (p[1] - p[0] * p[0]) * 10.0;
    ///         r[1] = T::cst(1.0) - p[0];
    ///     }
    /// }
    ///
    /// let problem = AutoDiffResiduals::new(Rosenbrock);
    /// let fit = Fit::residuals(&problem).p0(&[-1.2, 1.0]).run()?;
    /// assert!((fit.parameters[0] - 1.0).abs() < 1e-10);
    /// assert!(fit.final_cost < 1e-20);
    /// # Ok::<(), OptimizationError>(())
    /// ```
    pub fn residuals(problem: &'a dyn ResidualProblem) -> Self {
        let adapter = ResidualModel::new(problem);
        let (x, y) = adapter.points();
        Self {
            // A subset of the residuals costs their whole evaluation: no coarse stages.
            coarse_to_fine: CoarseToFine::Off,
            ..Self::with(
                ModelRef::Owned(Arc::new(adapter)),
                Data::Points {
                    x: Cow::Owned(x),
                    y: Cow::Owned(y),
                },
            )
        }
    }

    /// The start (required: one value per parameter, within the bounds).
    pub fn p0(mut self, p0: &[f64]) -> Self {
        self.p0 = p0.to_vec();
        self
    }

    /// Box constraints: a [`Bounds`], a reference to one, or an `Option` of either
    /// (default: unbounded). Equal lower and upper bounds hold a parameter at that value.
    pub fn bounds(mut self, bounds: impl IntoBounds) -> Self {
        self.bounds = bounds.into_bounds();
        self
    }

    /// The one-sigma uncertainty of each observation (points in memory only; a source
    /// brings its own): residuals are divided by it.
    pub fn sigma(mut self, sigma: &'a [f64]) -> Self {
        self.sigma = Some(Cow::Borrowed(sigma));
        self
    }

    /// Treat sigma as absolute: the covariance is not rescaled by the reduced chi-squared
    /// (scipy's `curve_fit(absolute_sigma=True)`). Default false.
    pub fn absolute_sigma(mut self, on: bool) -> Self {
        self.absolute_sigma = on;
        self
    }

    /// Holds parameter `index` at `value` (lmfit's `vary=False`): it is left out of the
    /// solve and reported with its value, the flag
    /// [`ParameterFlag::Fixed`](homodyne_core::ParameterFlag::Fixed), an uncertainty of 0
    /// and zeros in its covariance row and column.
    pub fn fix(mut self, index: usize, value: f64) -> Self {
        if self.fixed.len() <= index {
            self.fixed.resize(index + 1, None);
        }
        self.fixed[index] = Some(value);
        self
    }

    /// Holds every parameter with `Some(value)` (one entry per parameter, or none); see
    /// [`Fit::fix`].
    pub fn fixed(mut self, fixed: &[Option<f64>]) -> Self {
        self.fixed = fixed.to_vec();
        self
    }

    /// [`Method::Trf`] (the default) or [`Method::Lm`].
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Tolerances, evaluation budget, parameter scaling and robust loss (default
    /// [`SolverOptions::default`]: NIST-grade tolerances near machine precision).
    pub fn options(mut self, options: SolverOptions) -> Self {
        self.options = options;
        self
    }

    /// Forces a strategy instead of choosing one from the data size and the memory
    /// available. `Streaming` streams points held in memory too (with checkpoints, if
    /// given).
    pub fn strategy(mut self, strategy: OptimizationStrategy) -> Self {
        self.strategy = Some(strategy);
        self
    }

    /// The memory budget, in GiB, that the strategy and the batch size are chosen for
    /// (default: the memory available to this process, capped by a cgroup limit).
    pub fn memory_limit_gb(mut self, gb: f64) -> Self {
        self.memory_limit_gb = Some(gb);
        self
    }

    /// Streams the data with these batch settings (asks for STREAMING).
    pub fn streaming(mut self, options: StreamingOptions) -> Self {
        self.streaming = options;
        self.streaming_asked = true;
        self
    }

    /// Saves the state of a streaming fit as checkpoints, and resumes from them when
    /// `resume` is set (asks for STREAMING).
    pub fn checkpoints(mut self, checkpoints: CheckpointOptions) -> Self {
        self.streaming.checkpoint = Some(checkpoints);
        self.streaming_asked = true;
        self
    }

    /// Shares the data among the processes of `communicator` (MPI through
    /// `homodyne-mpi`, threads through `homodyne_testkit::ThreadGroup` in the workspace's
    /// tests); every process runs the same fit and ends with the same result.
    pub fn communicator(mut self, communicator: &'a dyn Communicator) -> Self {
        self.communicator = Some(communicator);
        self
    }

    /// Reports iterations, trial points and pass progress to `observer`, which may also
    /// stop the fit ([`FitObserver::stop_requested`]): [`Fit::run`] then returns
    /// [`OptimizationError::Interrupted`] (never retried) within a chunk of a pass in
    /// memory, or a batch when streamed (after any checkpoint due for it, so that the fit
    /// resumes from it). A distributed fit stops per process ([`crate::distributed`]).
    pub fn observer(mut self, observer: &'a dyn FitObserver) -> Self {
        self.observer = observer;
        self
    }

    /// The wrapper whose flags run the fit: recovery, retries, numerical validation,
    /// large-data strategies (default [`NlsqWrapper::default`]).
    pub fn wrapper(mut self, wrapper: NlsqWrapper) -> Self {
        self.wrapper = wrapper;
        self
    }

    /// Coarse stages before the fit of all the points ([`crate::coarse`]): by default
    /// ([`CoarseToFine::Auto`]) one stage, on every 16th block of points or sparser, from
    /// [`COARSE_FROM_POINTS`](crate::coarse::COARSE_FROM_POINTS) points, none below;
    /// [`CoarseToFine::Off`] for none, [`CoarseToFine::Strides`] for given strides (in
    /// blocks of [`STAGE_BLOCK_POINTS`](crate::coarse::STAGE_BLOCK_POINTS) points) at any
    /// size. Every strategy runs the same stages; the result lists them
    /// ([`OptimizationResult::stages`]).
    pub fn coarse_to_fine(mut self, coarse_to_fine: CoarseToFine) -> Self {
        self.coarse_to_fine = coarse_to_fine;
        self
    }

    /// The cost `0.5 sum r_i^2` (weighted as this fit weights) of these points at a start
    /// earlier than `p0`: for a fit that goes on from where another fit of the same
    /// points ended (a coarse stage run by the caller, a fit in another parametrisation).
    ///
    /// A fit whose steps stop (`ftol`, `xtol`) where the gradient is not small is
    /// [`ConvergenceStatus::Stalled`](homodyne_core::ConvergenceStatus::Stalled), unless
    /// its residuals are zero to rounding, which a final cost below `1e-16` of the cost
    /// at the start tells. From the exact optimum of noise-free data, `p0` has such
    /// residuals already: with the cost at the earlier start given here, the test
    /// compares with the larger of the two, and the fit is converged. The fit's own
    /// coarse stages ([`Fit::coarse_to_fine`]) pass it on without being told.
    pub fn reference_cost(mut self, cost: f64) -> Self {
        self.reference_cost = Some(cost);
        self
    }

    /// Fits from the start and `multistart`'s Latin-hypercube starts within the bounds,
    /// each with a small budget and in parallel, then from the best of them with these
    /// settings ([`crate::multistart`]): [`Fit::run`] returns that fit, its `notes` saying
    /// how many starts reached its basin; [`Multistart::run`] returns the report of every
    /// start as well. Points in memory by one process only; every free parameter needs
    /// finite bounds.
    ///
    /// ```
    /// use homodyne::prelude::*;
    ///
    /// // sin(w x): from w = 1 a plain fit stops in a local minimum; the truth is w = 3.
    /// let x: Vec<f64> = (0..200).map(|i| i as f64 * 0.05).collect();
    /// let y: Vec<f64> = x.iter().map(|x| (3.0 * x).sin()).collect();
    /// let model = ClosureModel::new(1, |x: f64, p: &[f64]| (p[0] * x).sin());
    /// let fit = Fit::curve(&model, &x, &y)
    ///     .p0(&[1.0])
    ///     .bounds(Bounds::new(vec![0.1], vec![5.0])?);
    /// let multistart = Multistart::new(16).seed(7).budget(50);
    /// let result = fit.clone().multistart(multistart.clone()).run()?;
    /// assert!((result.parameters[0] - 3.0).abs() < 1e-10);
    /// let report = multistart.run(&fit)?.report;
    /// assert_eq!(report.n_candidates(), 17);
    /// assert!(report.in_best_basin >= 1);
    /// # Ok::<(), OptimizationError>(())
    /// ```
    pub fn multistart(mut self, multistart: Multistart) -> Self {
        self.multistart = Some(multistart);
        self
    }

    /// The model being fitted.
    pub fn model(&self) -> &(dyn Model + 'a) {
        self.model.get()
    }

    /// Runs the fit: see the [module documentation](self) for which strategy runs.
    ///
    /// Returns the fitted parameters with covariance and diagnostics, or a typed error
    /// naming the problem, checked before any expensive work.
    pub fn run(&self) -> Result<OptimizationResult, OptimizationError> {
        if let Some(multistart) = &self.multistart {
            return multistart.run(self).map(|fit| fit.result);
        }
        self.wrapper.run(self)
    }

    /// Whether STREAMING was asked for.
    pub(crate) fn wants_streaming(&self) -> bool {
        self.streaming_asked || self.strategy == Some(OptimizationStrategy::Streaming)
    }

    /// The points in memory as a source (for STREAMING and distributed fits of them).
    pub(crate) fn slice_source(&self) -> Option<SliceSource<'_>> {
        match &self.data {
            Data::Points { x, y } => {
                SliceSource::new(x, y, self.sigma.as_deref(), self.model().x_dim())
            }
            Data::Source(_) => None,
        }
    }
}

impl std::fmt::Debug for Fit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = match &self.data {
            Data::Points { y, .. } => format!(
                "{} points in memory{}",
                y.len(),
                if self.sigma.is_some() {
                    " with sigma"
                } else {
                    ""
                }
            ),
            Data::Source(s) => s.describe(),
        };
        f.debug_struct("Fit")
            .field("n_params", &self.model().n_params())
            .field("data", &data)
            .field("p0", &self.p0)
            .field("bounds", &self.bounds)
            .field("fixed", &self.fixed)
            .field("method", &self.method)
            .field("options", &self.options)
            .field("strategy", &self.strategy)
            .field("streaming", &self.wants_streaming())
            .field("distributed", &self.communicator.is_some())
            .field("wrapper", &self.wrapper)
            .field("coarse_to_fine", &self.coarse_to_fine)
            .field("multistart", &self.multistart)
            .finish()
    }
}

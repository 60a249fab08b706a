//! How [`NlsqWrapper`] runs a [`Fit`]: the data checked once, held parameters taken out,
//! the strategy chosen from the data, and each failed attempt retried with the next
//! recovery strategy ([`crate::recovery`]).

use std::borrow::Cow;
use std::time::Instant;

use homodyne_core::{
    AttemptSummary, Bounds, Context, InvalidInput, Method, Model, OptimizationError,
    OptimizationResult, OptimizationStrategy, RecoveryAction,
};
use homodyne_solvers::{Accumulation, InMemoryObjective, SolverOptions, lm, trf};
use homodyne_strategy::DatasetSizeStrategy;

use super::NlsqWrapper;
use super::attempt::Attempt;
use crate::counted::Counted;
use crate::fit::{Data, Fit};
use crate::held::Held;
use crate::outcome::{finite_difference_note, locate, result_from_outcome};
use crate::recovery::RecoveryStrategyApplicator;
use crate::validate::{validate_data, validate_start};

impl NlsqWrapper {
    /// The reference API's call: fits `model` to `(xdata, ydata)` from `p0` within
    /// `bounds` (`None`: unbounded) with `method` and `options`. A convenience over
    /// [`Fit`], which has everything else (sigma, held parameters, sources, STREAMING,
    /// checkpoints, distributed fits, observers):
    ///
    /// ```
    /// use homodyne::prelude::*;
    ///
    /// let x = [0.0, 1.0, 2.0, 3.0];
    /// let y = [1.0, 3.1, 4.9, 7.0];
    /// let line = ClosureModel::new(2, |x: f64, p: &[f64]| p[0] + p[1] * x);
    /// let options = SolverOptions::default();
    /// let fit = NlsqWrapper::new().fit(&line, &x, &y, &[0.0, 1.0], None, Method::Lm, &options)?;
    /// assert!((fit.parameters[1] - 1.98).abs() < 1e-12);
    /// # Ok::<(), OptimizationError>(())
    /// ```
    #[allow(clippy::too_many_arguments)] // the reference API's shape
    pub fn fit(
        &self,
        model: &dyn Model,
        xdata: &[f64],
        ydata: &[f64],
        p0: &[f64],
        bounds: Option<&Bounds>,
        method: Method,
        options: &SolverOptions,
    ) -> Result<OptimizationResult, OptimizationError> {
        Fit::curve(model, xdata, ydata)
            .p0(p0)
            .bounds(bounds)
            .method(method)
            .options(options.clone())
            .wrapper(self.clone())
            .run()
    }

    /// Runs `fit` (see the table in [`crate::fit`]): its model and data are checked once,
    /// held parameters are taken out, then the data decide the strategy.
    pub(crate) fn run(&self, fit: &Fit<'_>) -> Result<OptimizationResult, OptimizationError> {
        validate_data(fit)?;
        self.run_checked(fit)
    }

    /// [`NlsqWrapper::run`] on a fit whose data are checked: every path checks the rest
    /// ([`validate_start`]) without reading the points again. Held parameters are taken
    /// out first, then the coarse stages run ([`crate::coarse`]), then the fit.
    pub(crate) fn run_checked(
        &self,
        fit: &Fit<'_>,
    ) -> Result<OptimizationResult, OptimizationError> {
        let reduced = Held::fit_reduced(
            fit,
            |whole| validate_start(whole).map(drop),
            |reduced| self.run_checked(reduced),
        )?;
        if let Some(result) = reduced {
            return Ok(result);
        }
        // Coarse stages first (the same on every path below), then this fit without them.
        if let Some(result) = self.run_staged(fit)? {
            return Ok(result);
        }
        match (&fit.data, fit.communicator) {
            (Data::Points { x, y }, None) if !fit.wants_streaming() => self.fit_points(fit, x, y),
            (Data::Points { .. }, _) => {
                // Streamed or shared points in memory (checked whole by `run`): read as a
                // source, which carries their sigma.
                validate_start(fit)?;
                let source = fit.slice_source().ok_or_else(|| {
                    OptimizationError::from(InvalidInput::InvalidOption {
                        option: "xdata",
                        value: "points in memory".into(),
                        reason: "the points could not be read as a data source",
                    })
                })?;
                let streamed = Fit {
                    data: Data::Source(&source),
                    sigma: None,
                    ..fit.clone()
                };
                self.run_checked(&streamed)
            }
            (Data::Source(source), None) => self.fit_streaming(fit, *source),
            (Data::Source(source), Some(communicator)) if fit.wants_streaming() => {
                self.fit_streaming_distributed(fit, *source, communicator)
            }
            (Data::Source(source), Some(communicator)) => {
                self.fit_distributed(fit, *source, communicator)
            }
        }
    }

    /// Fits the points `(xdata, ydata)` held in memory: STANDARD, LARGE or CHUNKED, with
    /// the recovery strategies.
    fn fit_points(
        &self,
        fit: &Fit<'_>,
        xdata: &[f64],
        ydata: &[f64],
    ) -> Result<OptimizationResult, OptimizationError> {
        let started = Instant::now();
        let bounds = validate_start(fit)?;
        let model = fit.model();
        let (strategy, strategy_notes) =
            self.choose_strategy(fit, model.x_dim(), ydata.len(), fit.sigma.is_some());
        let attempt = self.first_attempt(fit, strategy, bounds);
        let y_range = || range_of(ydata);
        self.run_with_recovery(started, attempt, strategy_notes, &y_range, |attempt| {
            self.run_attempt(fit, xdata, ydata, attempt)
        })
    }

    /// The first attempt of `fit` with `strategy` within `bounds`: the fit's start and
    /// options, validated as this wrapper's flags say.
    pub(crate) fn first_attempt(
        &self,
        fit: &Fit<'_>,
        strategy: OptimizationStrategy,
        bounds: Bounds,
    ) -> Attempt {
        let mut options = fit.options.clone();
        options.validate &= self.enable_numerical_validation && !self.fast_mode;
        Attempt {
            strategy,
            p0: fit.p0.clone(),
            bounds,
            options,
            sigma_scale: 1.0,
        }
    }

    /// Runs `run_attempt` on `attempt`, then on each recovery strategy's changed attempt
    /// while attempts fail and retries remain (see the type's documentation); `y_range` is
    /// the smallest and largest observation, for the rescaling strategy.
    ///
    /// The result's `nfev`, `njev` and `iterations` are totals over every attempt, with
    /// each attempt's own figures in `attempts` (a failed attempt counts the evaluations
    /// its error reports in the context keys `nfev` and `njev`). A strategy that cannot
    /// change the outcome is not tried ([`RecoveryStrategyApplicator::plan`]).
    pub(crate) fn run_with_recovery(
        &self,
        started: Instant,
        mut attempt: Attempt,
        strategy_notes: Vec<String>,
        y_range: &dyn Fn() -> (f64, f64),
        mut run_attempt: impl FnMut(&Attempt) -> Result<OptimizationResult, OptimizationError>,
    ) -> Result<OptimizationResult, OptimizationError> {
        let applicator = RecoveryStrategyApplicator::new(if self.enable_recovery {
            self.max_retries
        } else {
            0
        });
        let mut actions: Vec<RecoveryAction> = Vec::new();
        let mut attempts: Vec<AttemptSummary> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        let finish = |mut result: OptimizationResult,
                      actions: Vec<RecoveryAction>,
                      attempts: Vec<AttemptSummary>| {
            result.nfev = attempts.iter().map(|a| a.nfev).sum();
            result.njev = attempts.iter().map(|a| a.njev).sum();
            result.iterations = attempts.iter().map(|a| a.iterations).sum();
            result.attempts = attempts;
            result.recovery_actions = actions;
            result.strategy_notes = strategy_notes.clone();
            result.wall_time = started.elapsed();
            result
        };
        let mut retry = 0;
        loop {
            // Each attempt ends in a result to return, or an error to recover from (an
            // unconverged result is a convergence error, kept in case retries run out).
            let number = retry + 1;
            let (error, unconverged) = match run_attempt(&attempt) {
                Ok(result) => {
                    attempts.push(AttemptSummary::of(number, &result));
                    if result.converged() || !self.enable_recovery {
                        return Ok(finish(result, actions, attempts));
                    }
                    let error = OptimizationError::Convergence {
                        message: format!(
                            "{}: {} after {} evaluations",
                            result.convergence_status, result.termination_reason, result.nfev
                        ),
                        context: Context::new()
                            .with("status", result.convergence_status)
                            .with("optimality", format!("{:.3e}", result.optimality)),
                    };
                    (error, Some(result))
                }
                // Stopped on request: no retry, and the error as it is.
                Err(error) if error.is_interrupted() => return Err(error),
                Err(error) => {
                    let count = |key: &str| {
                        (error.context().get(key))
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0)
                    };
                    attempts.push(AttemptSummary {
                        attempt: number,
                        iterations: count("iteration"),
                        nfev: count("nfev"),
                        njev: count("njev"),
                        outcome: error.to_string(),
                    });
                    (error, None)
                }
            };
            let plan = RecoveryStrategyApplicator::plan(&error);
            let Some(strategy) = plan
                .get(retry)
                .copied()
                .filter(|_| retry < applicator.max_retries())
            else {
                if let Some(result) = unconverged {
                    // Retries exhausted or pointless: the best parameters found are the
                    // result; its status says it did not converge.
                    return Ok(finish(result, actions, attempts));
                }
                if attempts.len() == 1 {
                    return Err(error);
                }
                // Every attempt failed: the last error, with the distinct earlier causes
                // and each recovery tried, once.
                let last = error.to_string();
                errors.retain(|e| *e != last);
                errors.dedup();
                let mut tried: Vec<&str> = Vec::new();
                for a in &actions {
                    if !tried.contains(&a.action.as_str()) {
                        tried.push(&a.action);
                    }
                }
                let mut error = error
                    .with_context("attempts", attempts.len())
                    .with_context("recovery_tried", tried.join(", "));
                if !errors.is_empty() {
                    error = error.with_context("earlier_errors", errors.join(" | "));
                }
                return Err(error);
            };
            let message = error.to_string();
            if !errors.contains(&message) {
                errors.push(message.clone());
            }
            actions.push(RecoveryAction {
                attempt: number,
                trigger: message,
                action: strategy.name().to_string(),
            });
            attempt.apply(strategy, &applicator, retry, y_range);
            retry += 1;
        }
    }

    /// The strategy of `fit` over `n_points` points (`weighted`: with sigma): the one it
    /// forces, if any, STANDARD when large datasets are disabled, else by size and
    /// available memory
    /// ([`DatasetSizeStrategy::select_strategy`]). All in-memory strategies fold the
    /// Jacobian chunk by chunk and never hold it whole; STANDARD folds by exact QR, LARGE
    /// and CHUNKED sum the normal equations (falling back to QR for ill-conditioned passes).
    /// Data passed in memory cannot be streamed: where STREAMING would be chosen, the fit
    /// runs (and reports) CHUNKED.
    pub(crate) fn choose_strategy(
        &self,
        fit: &Fit<'_>,
        x_dim: usize,
        n_points: usize,
        weighted: bool,
    ) -> (OptimizationStrategy, Vec<String>) {
        if fit.strategy.is_none() && !self.enable_large_dataset {
            return (OptimizationStrategy::Standard, Vec::new());
        }
        let selector = DatasetSizeStrategy {
            weighted,
            ..DatasetSizeStrategy::new(x_dim)
        };
        let selection = selector.select_strategy(
            n_points,
            fit.p0.len(),
            fit.strategy,
            true,
            fit.memory_limit_gb,
        );
        let mut notes = selection.reasons;
        notes.extend(
            selection
                .warnings
                .into_iter()
                .map(|w| format!("warning: {w}")),
        );
        let strategy = match selection.strategy {
            OptimizationStrategy::Streaming => {
                notes.push(
                    "STREAMING was selected, but the data are already in memory: running \
                     CHUNKED, which holds nothing more than the data"
                        .to_string(),
                );
                OptimizationStrategy::Chunked
            }
            other => other,
        };
        (strategy, notes)
    }

    /// One attempt: the solver on the attempt's settings, with a panic in the user's model
    /// caught at this boundary.
    fn run_attempt(
        &self,
        fit: &Fit<'_>,
        xdata: &[f64],
        ydata: &[f64],
        attempt: &Attempt,
    ) -> Result<OptimizationResult, OptimizationError> {
        let model = fit.model();
        let sigma = scaled_sigma(fit.sigma.as_deref(), attempt.sigma_scale, ydata.len());
        let accumulation = match attempt.strategy {
            OptimizationStrategy::Standard => Accumulation::Qr,
            _ => Accumulation::NormalEquations,
        };
        let options = &attempt.options;
        let objective = InMemoryObjective::new(
            model,
            xdata,
            ydata,
            sigma.as_deref(),
            options.loss,
            options.f_scale,
        )
        .with_accumulation(accumulation)
        .with_observer(fit.observer);
        let counted = Counted::new(&objective);
        let method = fit.method;
        let solve = || match method {
            Method::Trf => trf(
                &counted,
                &attempt.p0,
                &attempt.bounds,
                options,
                fit.observer,
            ),
            Method::Lm => lm(
                &counted,
                &attempt.p0,
                &attempt.bounds,
                options,
                fit.observer,
            ),
        };
        let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(solve)) {
            Ok(outcome) => outcome,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_string());
                Err(OptimizationError::ModelPanicked {
                    message,
                    context: Context::new(),
                })
            }
        }
        .map_err(|e| {
            let e = locate(counted.annotate(e), &model.param_names());
            e.with_context("method", method)
                .with_context("strategy", attempt.strategy)
        })?;

        let mut result = result_from_outcome(outcome, fit, attempt, ydata.len());
        result.notes.extend(finite_difference_note(
            objective.finite_difference_entries(),
        ));
        Ok(result)
    }
}

/// The sigma of an attempt over `n_points` points: the user's `sigma` as it is, unless a
/// recovery step rescaled the data by `scale` (no copy of `n` values otherwise: the memory
/// estimate counts sigma once).
pub(crate) fn scaled_sigma(
    sigma: Option<&[f64]>,
    scale: f64,
    n_points: usize,
) -> Option<Cow<'_, [f64]>> {
    match (sigma, scale) {
        (Some(s), 1.0) => Some(Cow::Borrowed(s)),
        (Some(s), scale) => Some(Cow::Owned(s.iter().map(|v| v * scale).collect())),
        (None, 1.0) => None,
        (None, scale) => Some(Cow::Owned(vec![scale; n_points])),
    }
}

/// The smallest and largest of `values` (infinities when empty).
pub(crate) fn range_of(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
            (a.min(y), b.max(y))
        })
}

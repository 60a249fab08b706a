//! How a [`Multistart`] runs a [`Fit`]: the candidates drawn, fitted in parallel with a
//! small budget, the best finished with the fit's own settings (see [`crate::multistart`]).

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Instant;

use homodyne_core::{
    Bounds, Context, FitObserver, InvalidInput, IterationReport, Method, Model, OptimizationError,
    OptimizationResult, OptimizationStrategy, TrialReport,
};
use homodyne_solvers::SolverOptions;

use super::latin::latin_hypercube;
use super::parallel::map_indexed;
use super::{Multistart, MultistartFit, MultistartReport, StartRecord};
use crate::coarse::CoarseToFine;
use crate::fit::{Data, Fit};
use crate::staged::reclassify_from_start;
use crate::validate::{validate_data, validate_start};
use crate::wrapper::NlsqWrapper;

impl Multistart {
    /// Runs `fit` from the given start and this multistart's Latin-hypercube starts, then
    /// finishes the best (see the [module documentation](crate::multistart)); the result
    /// and the report of every candidate. [`Fit::run`] with
    /// [`Fit::multistart`] returns the result of this.
    ///
    /// Refused before any fit, with a typed error: a fit that is not of points in memory
    /// by this process ([`InvalidInput::InvalidOption`], `option` `"multistart"`), a free
    /// parameter with an infinite bound (`option` `"bounds"`), a budget of 0 or basin
    /// tolerances that are negative or not finite (`option` `"multistart budget"`,
    /// `"multistart cost_rtol"`, `"multistart basin_tol"`), and every error the fit itself
    /// would refuse. A stop on request in any candidate ends the multistart with
    /// [`OptimizationError::Interrupted`] (the lowest such candidate's, its context naming
    /// it). When every candidate fails, the given start's error is returned.
    pub fn run(&self, fit: &Fit<'_>) -> Result<MultistartFit, OptimizationError> {
        let started = Instant::now();
        self.check_settings()?;
        let (x, y) = points_in_memory(fit)?;
        validate_data(fit)?;
        let bounds = validate_start(fit)?;
        let held = held_values(fit, &bounds);
        let free: Vec<usize> = (0..fit.p0.len()).filter(|&k| held[k].is_none()).collect();
        check_finite_bounds(fit, &bounds, &free, &self.log_spaced)?;
        let candidates = self.candidates(fit, &bounds, &held, &free);

        let budget = self.budget.min(fit.options.max_nfev_for(fit.p0.len()));
        // Collected by index: the same candidates in the same order on any thread count.
        let recipe = Recipe::of(fit, x, y, budget);
        let mut fitted: Vec<(Result<OptimizationResult, OptimizationError>, Option<f64>)> =
            map_indexed(candidates.len(), |i| {
                let observer = CandidateObserver::new(recipe.observer);
                let result = recipe.candidate(&candidates[i], &observer).run();
                (result, observer.first_cost.get().copied())
            });

        let interrupted = fitted
            .iter()
            .position(|(r, _)| matches!(r, Err(e) if e.is_interrupted()));
        if let Some(index) = interrupted
            && let Err(e) = fitted.swap_remove(index).0
        {
            return Err(e.with_context("multistart candidate", index));
        }
        let best = best_candidate(&fitted);
        let mut records: Vec<StartRecord> = Vec::with_capacity(fitted.len());
        let mut first_costs = Vec::with_capacity(fitted.len());
        let mut given_error = None;
        for (index, ((result, first_cost), start)) in fitted.into_iter().zip(candidates).enumerate()
        {
            first_costs.push(first_cost);
            let result = match result {
                Ok(r) => Ok(r),
                Err(e) => {
                    let reason = e.to_string();
                    if index == 0 {
                        given_error = Some(e);
                    }
                    Err(reason)
                }
            };
            records.push(StartRecord {
                index,
                start,
                result,
                in_best_basin: false,
            });
        }
        let Some(best) = best else {
            let e = given_error.unwrap_or_else(|| {
                OptimizationError::from(InvalidInput::InvalidOption {
                    option: "multistart",
                    value: format!("{} candidates", records.len()),
                    reason: "no candidate ended with a finite cost",
                })
            });
            return Err(e.with_context("multistart", "every candidate failed"));
        };

        // The best candidate's optimum, finished with the fit's own settings. Its cost at
        // the candidate's start tells the zero-residual test the scale of the problem.
        let best_start_cost = first_costs[best];
        let from = match &records[best].result {
            Ok(r) => r.parameters.clone(),
            Err(_) => records[best].start.clone(),
        };
        let reference_cost = match (fit.reference_cost, best_start_cost) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let mut result = Fit {
            p0: from,
            reference_cost,
            multistart: None,
            ..fit.clone()
        }
        .run()
        .map_err(|e| e.with_context("multistart", format!("finishing candidate {best}")))?;

        let scale = result.final_cost.max(first_costs[0].unwrap_or(f64::NAN));
        let in_best_basin = self.mark_best_basin(&mut records, &result, scale, &bounds, &free);

        // The finishing fit started at a candidate's optimum.
        reclassify_from_start(&mut result, &fit.p0, &bounds);
        result.notes.push(format!(
            "multistart: {} candidates (the given start and {} Latin-hypercube starts, seed {}, \
             at most {budget} evaluations each); candidate {best} finished; {in_best_basin} \
             reached its basin",
            records.len(),
            records.len() - 1,
            self.seed,
        ));
        result.wall_time = started.elapsed();
        Ok(MultistartFit {
            result,
            report: MultistartReport {
                seed: self.seed,
                budget,
                basin_tolerances: (self.cost_rtol, self.basin_tol),
                candidates: records,
                best,
                in_best_basin,
            },
        })
    }

    /// Marks the candidates whose fits ended in the basin of `best` (the finished fit):
    /// cost within `cost_rtol * scale` of its cost, every free parameter within
    /// `basin_tol` of its range of its value (see the module documentation); returns
    /// their number.
    fn mark_best_basin(
        &self,
        records: &mut [StartRecord],
        best: &OptimizationResult,
        scale: f64,
        bounds: &Bounds,
        free: &[usize],
    ) -> usize {
        let mut marked = 0;
        for record in records {
            let Ok(r) = &record.result else { continue };
            let cost_close = r.final_cost - best.final_cost <= self.cost_rtol * scale;
            let near = free.iter().all(|&k| {
                let range = bounds.upper()[k] - bounds.lower()[k];
                (r.parameters[k] - best.parameters[k]).abs() <= self.basin_tol * range
            });
            record.in_best_basin = cost_close && near;
            marked += usize::from(record.in_best_basin);
        }
        marked
    }

    /// Refuses settings that no candidate could run with: a budget of no evaluations,
    /// basin tolerances that are negative or not finite.
    fn check_settings(&self) -> Result<(), OptimizationError> {
        let (option, value, reason) = if self.budget == 0 {
            (
                "multistart budget",
                "0".to_string(),
                "each start needs evaluations",
            )
        } else if !(self.cost_rtol.is_finite() && self.cost_rtol >= 0.0) {
            (
                "multistart cost_rtol",
                self.cost_rtol.to_string(),
                "a tolerance is finite and not negative",
            )
        } else if !(self.basin_tol.is_finite() && self.basin_tol >= 0.0) {
            (
                "multistart basin_tol",
                self.basin_tol.to_string(),
                "a tolerance is finite and not negative",
            )
        } else {
            return Ok(());
        };
        Err(InvalidInput::InvalidOption {
            option,
            value,
            reason,
        }
        .into())
    }

    /// The candidates: the given start, then the Latin hypercube's points over the free
    /// parameters, the held ones at their values.
    fn candidates(
        &self,
        fit: &Fit<'_>,
        bounds: &Bounds,
        held: &[Option<f64>],
        free: &[usize],
    ) -> Vec<Vec<f64>> {
        // Log-spaced parameters are drawn in their logarithm (bounds checked positive).
        let log = |k: usize| self.log_spaced.binary_search(&k).is_ok();
        let space = |k: usize, v: f64| if log(k) { v.ln() } else { v };
        let lower: Vec<f64> = free.iter().map(|&k| space(k, bounds.lower()[k])).collect();
        let upper: Vec<f64> = free.iter().map(|&k| space(k, bounds.upper()[k])).collect();
        let base: Vec<f64> = fit
            .p0
            .iter()
            .zip(held)
            .map(|(&p, h)| h.unwrap_or(p))
            .collect();
        let mut candidates = vec![fit.p0.clone()];
        for point in latin_hypercube(self.starts, &lower, &upper, self.seed) {
            let mut start = base.clone();
            for (&k, value) in free.iter().zip(point) {
                start[k] = if log(k) {
                    value.exp().clamp(bounds.lower()[k], bounds.upper()[k])
                } else {
                    value
                };
            }
            candidates.push(start);
        }
        candidates
    }
}

/// The candidate with the lowest finite final cost, the lowest index among equals; `None`
/// when none ended with one.
fn best_candidate(
    fitted: &[(Result<OptimizationResult, OptimizationError>, Option<f64>)],
) -> Option<usize> {
    fitted
        .iter()
        .enumerate()
        .filter_map(|(i, (r, _))| match r {
            Ok(r) if r.final_cost.is_finite() => Some((r.final_cost, i)),
            _ => None,
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, i)| i)
}

/// What a candidate's fit is made of: the fit's settings, in parts that threads may
/// share (a [`Fit`] may own a model that is not `Send`), with at most `budget` cost
/// evaluations and no recovery retries.
struct Recipe<'a> {
    model: &'a dyn Model,
    x: &'a [f64],
    y: &'a [f64],
    sigma: Option<&'a [f64]>,
    absolute_sigma: bool,
    bounds: Option<Bounds>,
    fixed: Vec<Option<f64>>,
    method: Method,
    options: SolverOptions,
    strategy: Option<OptimizationStrategy>,
    memory_limit_gb: Option<f64>,
    observer: &'a dyn FitObserver,
    wrapper: NlsqWrapper,
    coarse_to_fine: CoarseToFine,
}

impl<'a> Recipe<'a> {
    /// The parts of `fit`, whose points in memory are `x` and `y`.
    fn of(fit: &'a Fit<'a>, x: &'a [f64], y: &'a [f64], budget: usize) -> Self {
        Self {
            model: fit.model(),
            x,
            y,
            sigma: fit.sigma.as_deref(),
            absolute_sigma: fit.absolute_sigma,
            bounds: fit.bounds.clone(),
            fixed: fit.fixed.clone(),
            method: fit.method,
            options: SolverOptions {
                max_nfev: Some(budget),
                ..fit.options.clone()
            },
            strategy: fit.strategy,
            memory_limit_gb: fit.memory_limit_gb,
            observer: fit.observer,
            wrapper: NlsqWrapper::builder()
                .enable_large_dataset(fit.wrapper.enable_large_dataset())
                .enable_numerical_validation(fit.wrapper.enable_numerical_validation())
                .fast_mode(fit.wrapper.fast_mode())
                .enable_recovery(false)
                .build(),
            coarse_to_fine: fit.coarse_to_fine.clone(),
        }
    }

    /// The fit of the candidate from `start`, reporting to `observer`.
    fn candidate<'b>(&'b self, start: &[f64], observer: &'b dyn FitObserver) -> Fit<'b>
    where
        'a: 'b,
    {
        Fit {
            sigma: self.sigma.map(Cow::Borrowed),
            p0: start.to_vec(),
            bounds: self.bounds.clone(),
            fixed: self.fixed.clone(),
            absolute_sigma: self.absolute_sigma,
            method: self.method,
            options: self.options.clone(),
            strategy: self.strategy,
            memory_limit_gb: self.memory_limit_gb,
            observer,
            wrapper: self.wrapper.clone(),
            coarse_to_fine: self.coarse_to_fine.clone(),
            ..Fit::curve(self.model, self.x, self.y)
        }
    }
}

/// The points in memory of `fit`, `(x, y)`; a source, a STREAMING fit and a distributed
/// fit are refused.
fn points_in_memory<'a>(fit: &'a Fit<'_>) -> Result<(&'a [f64], &'a [f64]), OptimizationError> {
    let refused = |what: &str| {
        Err(InvalidInput::InvalidOption {
            option: "multistart",
            value: what.to_string(),
            reason: "a multistart runs on points in memory fitted by one process only",
        }
        .into())
    };
    match (&fit.data, fit.communicator) {
        (Data::Source(_), _) => refused("a data source"),
        (_, Some(_)) => refused("a distributed fit"),
        _ if fit.wants_streaming() => refused("a STREAMING fit"),
        (Data::Points { x, y }, None) => Ok((x, y)),
    }
}

/// Each parameter's held value (given by [`Fit::fix`] or by equal bounds), `None` if free.
fn held_values(fit: &Fit<'_>, bounds: &Bounds) -> Vec<Option<f64>> {
    (0..fit.p0.len())
        .map(|k| {
            fit.fixed
                .get(k)
                .copied()
                .flatten()
                .or_else(|| bounds.fixed_value(k))
        })
        .collect()
}

/// Every free parameter must have finite bounds to be sampled in, and a log-spaced one
/// ([`Multistart::log_spaced`]) a positive lower bound.
fn check_finite_bounds(
    fit: &Fit<'_>,
    bounds: &Bounds,
    free: &[usize],
    log_spaced: &[usize],
) -> Result<(), OptimizationError> {
    let names = fit.model().param_names();
    for &k in free {
        let (lower, upper) = (bounds.lower()[k], bounds.upper()[k]);
        let log_spaced = log_spaced.binary_search(&k).is_ok();
        if log_spaced && !(lower > 0.0 && upper.is_finite()) {
            let name = names.get(k).cloned().unwrap_or_else(|| format!("p{k}"));
            return Err(OptimizationError::InvalidInput {
                problem: InvalidInput::InvalidOption {
                    option: "bounds",
                    value: format!("{name} (parameter {k}) in [{lower}, {upper}]"),
                    reason: "a multistart draws a log-spaced parameter uniformly in its \
                             logarithm: it needs a positive lower bound and a finite upper one",
                },
                context: Context::new().with("parameter", &name).with("index", k),
            });
        }
        if !(lower.is_finite() && upper.is_finite()) {
            let name = names.get(k).cloned().unwrap_or_else(|| format!("p{k}"));
            return Err(OptimizationError::InvalidInput {
                problem: InvalidInput::InvalidOption {
                    option: "bounds",
                    value: format!("{name} (parameter {k}) in [{lower}, {upper}]"),
                    reason: "a multistart samples its starts within the bounds: every free \
                             parameter needs finite lower and upper bounds",
                },
                context: Context::new().with("parameter", &name).with("index", k),
            });
        }
    }
    Ok(())
}

/// The observer of a candidate's fit: it hears the cost at the candidate's start (its fit's
/// first report) and hands on the fit's stop requests; the candidates' iterations, trials
/// and passes are not the fit's and are not reported.
struct CandidateObserver<'a> {
    inner: &'a dyn FitObserver,
    first_cost: OnceLock<f64>,
}

impl<'a> CandidateObserver<'a> {
    fn new(inner: &'a dyn FitObserver) -> Self {
        Self {
            inner,
            first_cost: OnceLock::new(),
        }
    }
}

impl FitObserver for CandidateObserver<'_> {
    fn on_iteration(&self, report: &IterationReport<'_>) {
        let _ = self.first_cost.set(report.cost);
    }

    fn on_trial(&self, _trial: &TrialReport<'_>) {}

    fn stop_requested(&self) -> bool {
        self.inner.stop_requested()
    }
}

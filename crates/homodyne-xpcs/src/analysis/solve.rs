//! One solve of an XPCS fit: the settings of a stage or of the full fit ([`Solve`]), the
//! [`Fit`] they make of a model and its points, and the fit about a reference time
//! ([`Solve::referenced`]).

use homodyne::StreamingOptions;
use homodyne::distributed::Communicator;
use homodyne::multistart::MultistartReport;
use homodyne::prelude::*;
use homodyne_core::{FitObserver, IterationReport};

use super::options::{STAGE_MAX_NFEV, XpcsFitOptions, held_values};
use crate::correlation_model::FitModel;
use crate::reference_time::ReferencedModel;

/// How the solves of one coarse stage, or of the full fit, run: everything but the model,
/// its points, the start and the bounds, which [`Solve::fit`] and [`Solve::referenced`]
/// are given.
#[derive(Clone)]
pub(super) struct Solve<'a> {
    /// Recovery and validation flags (a stage runs without retries).
    pub(super) wrapper: NlsqWrapper,
    /// `trf` or `lm`.
    pub(super) method: Method,
    /// Tolerances, evaluation budget, scaling and loss.
    pub(super) options: SolverOptions,
    /// The one-sigma uncertainty of each point fitted.
    pub(super) sigma: Option<&'a [f64]>,
    /// Whether `sigma` is absolute.
    pub(super) absolute_sigma: bool,
    /// The values parameters are held at (the layout's order, or empty).
    pub(super) fixed: &'a [Option<f64>],
    /// A strategy forced on the wrapper.
    pub(super) strategy: Option<OptimizationStrategy>,
    /// The memory budget the strategy and batch size are chosen for, GiB.
    pub(super) memory_limit_gb: Option<f64>,
    /// Stream the points batch by batch, with these settings.
    pub(super) streaming: Option<&'a StreamingOptions>,
    /// Told of each iteration.
    pub(super) observer: &'a dyn FitObserver,
    /// The processes sharing the points, if any.
    pub(super) communicator: Option<&'a dyn Communicator>,
    /// Fit the diffusion power law about a reference time first
    /// ([`XpcsFitOptions::refer_power_laws`]).
    pub(super) refer: bool,
    /// After the fit about a reference time, finish in the package's parametrisation
    /// (else the referenced optimum is mapped back and clipped into the bounds).
    pub(super) finish: bool,
    /// The cost of the points at the fit's first start, when the coarse stages moved it
    /// ([`Fit::reference_cost`]).
    pub(super) reference_cost: Option<f64>,
    /// Fit from many starts ([`XpcsFitOptions::multistart`]; the full fit only).
    pub(super) multistart: Option<homodyne::Multistart>,
}

impl<'a> Solve<'a> {
    /// The full fit of `options`: told to `observer`, shared among the processes of
    /// `communicator` if any.
    pub(super) fn full(
        options: &'a XpcsFitOptions,
        observer: &'a dyn FitObserver,
        communicator: Option<&'a dyn Communicator>,
    ) -> Self {
        Self {
            wrapper: NlsqWrapper::new(),
            method: options.method,
            options: options.solver.clone(),
            sigma: options.sigma.as_deref(),
            absolute_sigma: options.absolute_sigma,
            fixed: &options.fixed,
            strategy: options.strategy,
            memory_limit_gb: options.memory_limit_gb,
            streaming: options.streaming.as_ref(),
            observer,
            communicator,
            refer: options.refer_power_laws,
            finish: true,
            reference_cost: None,
            multistart: options.multistart.clone(),
        }
    }

    /// A coarse stage of this fit over points whose uncertainties are `sigma`: a cheap
    /// guide, its budget its own ([`STAGE_MAX_NFEV`], no recovery retries), in memory
    /// (LARGE), ending on the referenced optimum without a finish. It reports nothing;
    /// `stop` (the fit's observer in [`StopRequests`]) may stop it.
    pub(super) fn stage<'s>(
        &self,
        sigma: Option<&'s [f64]>,
        stop: &'s StopRequests<'s>,
    ) -> Solve<'s>
    where
        'a: 's,
    {
        Solve {
            wrapper: NlsqWrapper::builder().enable_recovery(false).build(),
            options: SolverOptions {
                max_nfev: Some(STAGE_MAX_NFEV),
                ..self.options.clone()
            },
            sigma,
            strategy: Some(OptimizationStrategy::Large),
            streaming: None,
            observer: stop,
            finish: false,
            multistart: None,
            ..self.clone()
        }
    }

    /// The fit of `model` to the points `x` (its point indices) and `y` with these
    /// settings; the caller adds the start and the bounds.
    pub(super) fn fit<'f>(&'f self, model: &'f dyn Model, x: &'f [f64], y: &'f [f64]) -> Fit<'f> {
        let mut fit = Fit::curve(model, x, y)
            .method(self.method)
            .options(self.options.clone())
            .absolute_sigma(self.absolute_sigma)
            .fixed(self.fixed)
            .observer(self.observer)
            .wrapper(self.wrapper.clone())
            // The XPCS fit runs its own stages, on rows ([`crate::analysis::fit`]).
            .coarse_to_fine(CoarseToFine::Off);
        if let Some(sigma) = self.sigma {
            fit = fit.sigma(sigma);
        }
        if let Some(strategy) = self.strategy {
            fit = fit.strategy(strategy);
        }
        if let Some(gb) = self.memory_limit_gb {
            fit = fit.memory_limit_gb(gb);
        }
        if let Some(streaming) = self.streaming {
            fit = fit.streaming(streaming.clone());
        }
        if let Some(communicator) = self.communicator {
            fit = fit.communicator(communicator);
        }
        if let Some(cost) = self.reference_cost {
            fit = fit.reference_cost(cost);
        }
        fit
    }

    /// The fit of `model` to `x`, `y` from `start` within `bounds`, in the
    /// parametrisation about a reference time ([`ReferencedModel`]), then finished in the
    /// package's parametrisation from that optimum, so that the result, its covariance
    /// and its flags are the package's, and the package's bounds hold (the referenced
    /// fit's box is wider: a referenced optimum outside the package's bounds is clipped
    /// into them before the finish). The finish from a referenced optimum inside the
    /// bounds stops within an iteration or two; the totals (`iterations`, `nfev`, `njev`,
    /// `attempts`) count both fits. Without a free power law, without `refer`, or
    /// streamed (whose checkpoints belong to one fit), the fit runs once, in the
    /// package's parametrisation, from many starts with [`Solve::multistart`] (whose report
    /// comes with the result).
    pub(super) fn referenced<M: FitModel>(
        &self,
        model: &M,
        x: &[f64],
        y: &[f64],
        start: &[f64],
        bounds: &Bounds,
    ) -> Result<(OptimizationResult, Option<MultistartReport>), OptimizationError> {
        let (lower, upper) = (bounds.lower(), bounds.upper());
        let held = held_values(model.layout(), self.fixed, lower, upper);
        // A streamed fit checkpoints its passes; two fits in a row would resume each other's.
        let referenced = match model.homodyne() {
            Some(homodyne)
                if self.refer && self.streaming.is_none() && self.multistart.is_none() =>
            {
                Some(ReferencedModel::new(homodyne, &held))
            }
            _ => None,
        };
        let Some(referenced) = referenced.filter(|r| !r.power_laws().is_empty()) else {
            let fit = self.fit(model, x, y).p0(start).bounds(bounds);
            return match &self.multistart {
                Some(multistart) => multistart.run(&fit).map(|m| (m.result, Some(m.report))),
                None => fit.run().map(|r| (r, None)),
            };
        };
        let (ref_lower, ref_upper) = referenced.bounds(lower, upper);
        let first = self
            .fit(&referenced, x, y)
            .p0(&referenced.to_referenced(start))
            .bounds(Bounds::new(ref_lower, ref_upper)?)
            .run();
        // The referenced optimum in the package's parametrisation, within its bounds.
        let to_package = |p: &[f64]| -> Vec<f64> {
            let mut p = referenced.to_package(p);
            for ((v, lo), hi) in p.iter_mut().zip(lower).zip(upper) {
                *v = v.clamp(*lo, *hi);
            }
            p
        };
        if !self.finish {
            let mut result = first?;
            result.parameters = to_package(&result.parameters);
            return Ok((result, None));
        }
        let (finish_from, earlier) = match first {
            Ok(r) => (to_package(&r.parameters), Some(r)),
            // Stopped on request: no finish.
            Err(e) if e.is_interrupted() => return Err(e),
            Err(_) => (start.to_vec(), None),
        };
        let mut result = self
            .fit(model, x, y)
            .p0(&finish_from)
            .bounds(bounds)
            .run()?;
        if let Some(earlier) = earlier {
            result.iterations += earlier.iterations;
            result.nfev += earlier.nfev;
            result.njev += earlier.njev;
            let mut attempts = earlier.attempts;
            attempts.append(&mut result.attempts);
            for (k, attempt) in attempts.iter_mut().enumerate() {
                attempt.attempt = k + 1;
            }
            result.attempts = attempts;
        }
        Ok((result, None))
    }
}

/// The stop requests of a fit's observer, without its reports: what a coarse stage is
/// observed by (a stage's iterations and passes are not the fit's, and would make a
/// progress bar jump), so that a fit stopped on request stops in its stage.
#[derive(Clone, Copy)]
pub(super) struct StopRequests<'a>(pub(super) &'a dyn FitObserver);

impl FitObserver for StopRequests<'_> {
    fn on_iteration(&self, _report: &IterationReport<'_>) {}

    fn stop_requested(&self) -> bool {
        self.0.stop_requested()
    }
}

/// `sum ((y - f(x; p)) / sigma)^2` over the points, in chunks (a model evaluation of every
/// point at once would hold a second copy of the data) shared among the machine's threads;
/// NaN where the model is not finite.
pub(super) fn weighted_cost(
    model: &impl FitModel,
    x: &[f64],
    y: &[f64],
    sigma: Option<&[f64]>,
    p: &[f64],
) -> f64 {
    const CHUNK: usize = 1 << 16;
    let n_chunks = x.len().div_ceil(CHUNK);
    // One partial sum per chunk, added in chunk order: the same bits on any number of
    // threads. The chunks are split among the machine's threads in contiguous runs.
    let mut partial = vec![0.0; n_chunks];
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, n_chunks.max(1));
    let per_thread = n_chunks.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (run, sums) in partial.chunks_mut(per_thread).enumerate() {
            scope.spawn(move || {
                let mut values = vec![0.0; CHUNK];
                for (k, sum) in sums.iter_mut().enumerate() {
                    let start = (run * per_thread + k) * CHUNK;
                    let end = (start + CHUNK).min(x.len());
                    let values = &mut values[..end - start];
                    model.eval(&x[start..end], p, values);
                    *sum = values
                        .iter()
                        .zip(&y[start..end])
                        .enumerate()
                        .map(|(i, (v, yv))| {
                            let r = (yv - v) / sigma.map_or(1.0, |s| s[start + i]);
                            r * r
                        })
                        .sum();
                }
            });
        }
    });
    partial.iter().sum()
}

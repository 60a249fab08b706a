//! Multistart from Python: the `multistart`, `multistart_seed` and `multistart_budget`
//! arguments of `curve_fit` and `least_squares` (and the same configuration keys of
//! `NLSQWrapper.fit`), run by [`homodyne::Multistart`], and its report as the result's
//! `multistart` dict; the same keywords of `homodyne_rs.xpcs.fit`, laid over the
//! configuration's `optimization.nlsq.multi_start` ([`over`]).
//!
//! A multistart fits from the given start and `N` points of a Latin hypercube within the
//! bounds, each with at most `multistart_budget` cost evaluations, side by side; the
//! candidate of lowest final cost (then lowest index) is finished with the fit's own
//! settings, and that fit is the result ([`homodyne::multistart`]).
//!
//! The Python layer checks the three arguments (`_fit_arguments.multistart_settings`:
//! `N` a whole number, 0 or `None` for none; the seed a whole number from 0 to
//! `2^64 - 1`; the budget a whole number of at least one) and passes them here as one
//! tuple. What only the fit can check (a free parameter with an infinite bound, a
//! STREAMING fit) the library refuses before any fit, as `NLSQInputError` with the
//! parameter named in the message and in `error_context`.

use homodyne::{Fit, Multistart, MultistartReport};
use homodyne_cli::args::MultistartArgs;
use homodyne_core::{OptimizationError, OptimizationResult};
use pyo3::prelude::*;

use crate::convert::{json_to_py, status_name};

/// A multistart as the Python layer passes it: `(starts, seed, budget)`, checked there.
pub(crate) type Settings = (usize, u64, usize);

/// The library's multistart of `settings`; `None` (no multistart) for none or 0 starts.
pub(crate) fn multistart(settings: Option<Settings>) -> Option<Multistart> {
    settings
        .filter(|&(starts, _, _)| starts > 0)
        .map(|(starts, seed, budget)| Multistart::new(starts).seed(seed).budget(budget))
}

/// The multistart keywords of `homodyne_rs.xpcs.fit` as the Python layer passes them,
/// checked there: `(multistart, multistart_seed, multistart_budget)`, each `None` when not
/// given.
pub(crate) type Overrides = (Option<usize>, Option<u64>, Option<usize>);

/// A keyword of [`Overrides`] that has no multistart to apply to: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unapplied {
    /// `multistart_seed` or `multistart_budget`.
    pub argument: &'static str,
    /// The message of the `NLSQInputError`.
    pub message: String,
}

/// `base` (the configuration's `optimization.nlsq.multi_start`, or the demo's
/// multistart) with the keywords laid over it as `homodyne xpcs` lays `--multistart N
/// --multistart-seed S --multistart-budget K` over it ([`MultistartArgs::over`]): `N`
/// makes a new multistart of `N` starts seeded by `base`'s seed, else `default_seed`
/// (the command line's: 42 for a configuration, 0 for the demo); `S` and `K` replace the
/// seed and budget. `N = 0` drops any multistart (no keyword of the command line does).
///
/// # Errors
///
/// `multistart_seed` or `multistart_budget` given with no multistart to apply to, named.
pub(crate) fn over(
    base: Option<Multistart>,
    (starts, seed, budget): Overrides,
    default_seed: u64,
) -> Result<Option<Multistart>, Unapplied> {
    let base = if starts == Some(0) { None } else { base };
    let starts = starts.filter(|&n| n > 0);
    if starts.is_none() && base.is_none() {
        let argument = match (seed, budget) {
            (None, None) => return Ok(None),
            (Some(_), _) => "multistart_seed",
            (None, Some(_)) => "multistart_budget",
        };
        return Err(Unapplied {
            argument,
            message: format!(
                "{argument} needs a multistart to apply to: give multistart=N (N >= 1), \
                 or a configuration with optimization.nlsq.multi_start.enable: true"
            ),
        });
    }
    let args = MultistartArgs {
        starts: starts.map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
        seed,
        budget: budget.map(|k| u64::try_from(k).unwrap_or(u64::MAX)),
    };
    // With a multistart to apply to, `over` cannot refuse; its error is kept all the same.
    args.over(base, default_seed).map_err(|message| Unapplied {
        argument: "multistart",
        message,
    })
}

/// Runs `fit`, from the given start and `multistart`'s starts when there is one; the
/// result, and the multistart's report (`None` without one).
pub(crate) fn run(
    fit: &Fit<'_>,
    multistart: Option<&Multistart>,
) -> Result<(OptimizationResult, Option<MultistartReport>), OptimizationError> {
    match multistart {
        Some(multistart) => multistart
            .run(fit)
            .map(|fitted| (fitted.result, Some(fitted.report))),
        None => fit.run().map(|result| (result, None)),
    }
}

/// The report as the dict of [`MultistartReport::to_json`]'s keys (`n_candidates`,
/// `seed`, `budget`, `cost_rtol`, `basin_tol`, `best`, `in_best_basin`, `candidates`:
/// each `index`, `start`, `convergence_status` (`converged`, `max_evaluations`,
/// `stalled` or `failed`), `final_cost`, `iterations`, `nfev`, `in_best_basin`, and
/// `error` for a failed candidate), or `None` when no multistart ran.
pub(crate) fn report_dict<'py>(
    py: Python<'py>,
    report: Option<&MultistartReport>,
) -> PyResult<Bound<'py, PyAny>> {
    match report {
        // Through JSON text: every float is written shortest-exact and read back to the
        // same bits.
        Some(report) => json_to_py(py, &report.to_json(|s| status_name(s).to_string())),
        None => Ok(py.None().into_bound(py)),
    }
}

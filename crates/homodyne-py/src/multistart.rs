//! Multistart from Python: the `multistart`, `multistart_seed` and `multistart_budget`
//! arguments of `curve_fit` and `least_squares`, run by [`homodyne::Multistart`], and its
//! report as the result's `multistart` dict.
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

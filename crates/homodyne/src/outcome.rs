//! A fit's result from a solver's outcome: covariance, uncertainties, the convergence
//! status judged at the solution (stationary or stalled), undetermined parameters, and
//! errors placed in the data.

use homodyne_core::{
    Bounds, ConvergenceStatus, DetectionPoint, DeviceInfo, OptimizationError, OptimizationResult,
    ParameterFlag, STATIONARY_COSINE, TerminationReason,
};
use homodyne_solvers::feasible::coleman_li_scaling;
use homodyne_solvers::outcome::SolverOutcome;
use homodyne_solvers::trust_region::{gradient_cosine, gradient_test_norm};
use homodyne_solvers::{Linearization, Loss, covariance};

use crate::fit::Fit;
use crate::wrapper::attempt::Attempt;

/// The result of a solver's `outcome` for `fit` on `n_points` points, run as `attempt`
/// (its start, bounds, options and strategy): covariance, uncertainties, chi-squared,
/// first-order optimality and flags, with the residuals' rescaling by the attempt's
/// `sigma_scale` (a recovery step) mapped back.
///
/// The status is `Converged` only at a stationary point: a stop on `ftol` or `xtol` whose
/// largest column cosine exceeds [`STATIONARY_COSINE`] (or `sqrt(ftol)` for a looser
/// `ftol`: near a minimum the Gauss-Newton step reduces the cost by about `cos^2` of it,
/// so a stop on `ftol` admits cosines up to `sqrt(ftol)`) is `Stalled`, unless the cost fell
/// below [`ROUNDING_FLOOR`] times the start's (zero residuals to rounding). A parameter the data
/// do not determine (see [`homodyne_solvers::covariance()`]) is flagged
/// [`ParameterFlag::Undetermined`] with an infinite uncertainty.
pub(crate) fn result_from_outcome(
    outcome: SolverOutcome,
    fit: &Fit<'_>,
    attempt: &Attempt,
    n_points: usize,
) -> OptimizationResult {
    let (p0, bounds, sigma_scale) = (&attempt.p0, &attempt.bounds, attempt.sigma_scale);
    let (absolute_sigma, ftol) = (fit.absolute_sigma, attempt.options.ftol);
    let n_params = p0.len();
    let lin = &outcome.linearization;
    // Map a rescaled problem back: residuals were divided by `sigma_scale`.
    let s2 = sigma_scale * sigma_scale;
    let (mut covariance, undetermined) =
        covariance(&lin.factor, n_points, lin.cost.cost, absolute_sigma);
    if absolute_sigma {
        // (J'^T J')^-1 = scale^2 (J^T J)^-1; without absolute_sigma the reduced
        // chi-squared's 1/scale^2 cancels it.
        covariance.matrix /= s2;
    }
    let uncertainties = (0..n_params)
        .map(|k| covariance.matrix[(k, k)].sqrt())
        .collect();
    let chi_squared = lin.cost.chi_squared * s2;
    let dof = n_points.saturating_sub(n_params);
    let parameter_flags = (0..n_params)
        .map(|k| {
            if undetermined[k] {
                ParameterFlag::Undetermined
            } else {
                ParameterFlag::classify(outcome.x[k], p0[k], bounds.lower()[k], bounds.upper()[k])
            }
        })
        .collect();
    let final_cost = lin.cost.cost * s2;
    let stationarity = Stationarity::at(&outcome.x, lin, bounds, attempt.options.loss);
    // The cost at an earlier start (`Fit::reference_cost`, in the attempt's scale): from
    // a stage's exact optimum of noise-free data, the fit starts with residuals that are
    // rounding noise already.
    let start_cost = fit
        .reference_cost
        .map_or(outcome.initial_cost, |c| outcome.initial_cost.max(c / s2));
    let convergence_status = match outcome.termination {
        TerminationReason::MaxEvaluations => ConvergenceStatus::MaxEvaluationsReached,
        TerminationReason::Ftol | TerminationReason::Xtol | TerminationReason::FtolAndXtol
            if stationarity.cosine > STATIONARY_COSINE.max(ftol.sqrt())
                && lin.cost.cost > ROUNDING_FLOOR * start_cost =>
        {
            ConvergenceStatus::Stalled
        }
        _ => ConvergenceStatus::Converged,
    };
    OptimizationResult {
        parameters: outcome.x,
        covariance,
        uncertainties,
        chi_squared,
        reduced_chi_squared: if dof > 0 {
            chi_squared / dof as f64
        } else {
            f64::NAN
        },
        convergence_status,
        termination_reason: outcome.termination,
        iterations: outcome.iterations,
        nfev: outcome.nfev,
        njev: outcome.njev,
        attempts: Vec::new(),
        // The gradient of the rescaled cost is 1/scale^2 times the original's.
        optimality: stationarity.optimality * s2,
        gradient_cosine: stationarity.cosine,
        absolute_sigma,
        notes: Vec::new(),
        final_cost,
        method: fit.method,
        jacobian_kind: fit.model().jacobian_kind(),
        device_info: DeviceInfo::cpu(homodyne_solvers::worker_threads()),
        recovery_actions: Vec::new(),
        strategy: attempt.strategy,
        strategy_notes: Vec::new(),
        streaming_diagnostics: None,
        wall_time: Default::default(),
        n_points,
        parameter_flags,
        stages: Vec::new(),
    }
}

/// The share of the start's cost below which the residuals count as zero for the
/// stationarity test: there the residual vector is rounding noise, whose cosine with the
/// Jacobian's columns measures nothing (a fit of noise-free data ends with the cost 1e-20
/// to 1e-30 of the start's and cosines of order 1).
const ROUNDING_FLOOR: f64 = 1e-16;

/// First-order measures at a solution.
struct Stationarity {
    /// `||v * g||_inf`, scipy's `optimality`.
    optimality: f64,
    /// The largest column cosine (NaN for zero residuals).
    cosine: f64,
}

impl Stationarity {
    /// The measures at `x` from its linearisation: the gradient `g = J^T r` of the cost,
    /// scaled by the Coleman-Li vector `v` (distance to the bound the anti-gradient points
    /// at; 1 without one), and the cosine of [`gradient_cosine`] with the same distances,
    /// the residuals measured as the solvers measure them under `loss` ([`gradient_test_norm`]).
    fn at(x: &[f64], lin: &Linearization, bounds: &Bounds, loss: Loss) -> Self {
        let g = lin.factor.gradient();
        let (v, dv) = coleman_li_scaling(x, &g, bounds.lower(), bounds.upper());
        let optimality = g
            .iter()
            .zip(&v)
            .map(|(g, v)| (g * v).abs())
            .fold(0.0, f64::max);
        let distances: Vec<f64> = (v.iter().zip(&dv))
            .map(|(&v, &dv)| if dv != 0.0 { v } else { f64::INFINITY })
            .collect();
        let cosine = gradient_cosine(
            &g,
            &lin.factor.column_norms(),
            gradient_test_norm(loss, lin.cost.cost, lin.scaled_residual_sq),
            Some(&distances),
        )
        .unwrap_or(f64::NAN);
        Self { optimality, cosine }
    }
}

/// The note of a fit that took `entries` Jacobian entries by finite differences, if any.
pub(crate) fn finite_difference_note(entries: usize) -> Option<String> {
    (entries > 0).then(|| {
        format!(
            "{entries} Jacobian entries were taken by finite differences: the exact \
             derivative was not finite where the model value was (as at a zero base of a \
             power)"
        )
    })
}

/// `error` with the first invalid value of a non-finite residual or Jacobian placed in the
/// data: context `point`, the 1-based index of the data point, and for the Jacobian
/// `parameter`, the parameter's name from `names`.
pub(crate) fn locate(error: OptimizationError, names: &[String]) -> OptimizationError {
    let (point, parameter) = match &error {
        OptimizationError::Numerical {
            detection_point,
            sample,
            ..
        } => match (detection_point, sample.values.first()) {
            (DetectionPoint::Residuals, Some(first)) => (first.index, None),
            (DetectionPoint::Jacobian, Some(first)) if !names.is_empty() => (
                first.index / names.len(),
                Some(names[first.index % names.len()].clone()),
            ),
            _ => return error,
        },
        _ => return error,
    };
    let error = error.with_context("point", point + 1);
    match parameter {
        Some(name) => error.with_context("parameter", name),
        None => error,
    }
}

//! Levenberg-Marquardt least squares in the MINPACK tradition (`lmder`), with bounds.
//!
//! Each outer iteration factors the Jacobian with column pivoting (here: the small factor
//! `R`, whose pivoted QR gives the same result as pivoting `J` itself, see
//! [`crate::factor`]), then tries steps `p = -(J^T J + lambda D^2)^{-1} J^T f` from
//! [`lmpar`] with `||D p|| ~ Delta`, adjusting `Delta` and `lambda` by the ratio of actual
//! to predicted reduction exactly as MINPACK does. `D` holds the parameter scales
//! (`x_scale`, or the running maximum of the Jacobian's column norms).
//!
//! # Bounds: a projected active-set step
//! With bounds, a parameter sitting on a bound whose anti-gradient points out of the box is
//! held fixed for the iteration (its column is dropped from the subproblem); the step of the
//! free parameters is then projected onto the box, `x+ = clip(x + p)`. The predicted
//! reduction is computed for the projected step itself,
//! `pred = -(g^T s + 1/2 ||J s||^2)` with `s = x+ - x`, so the trust-region logic stays
//! honest. Iterates are always feasible and may sit exactly on a bound.

use homodyne_core::{Bounds, FitObserver, IterationReport, OptimizationError, TerminationReason};

use crate::dense::{dot, norm};
use crate::lmpar::{lmpar, pivoted_qr};
use crate::objective::Objective;
use crate::options::{SolverOptions, XScale};
use crate::outcome::SolverOutcome;
use crate::trf::{check_linearization, evaluate_trial};
use crate::trust_region::gradient_cosine;
use crate::validation::NumericalValidator;

/// Minimises the objective's cost from `p0` within `bounds` by Levenberg-Marquardt
/// iterations, reporting each iteration to `observer`. `p0` must lie within the bounds (the
/// facade checks).
pub fn lm<O: Objective + ?Sized>(
    objective: &O,
    p0: &[f64],
    bounds: &Bounds,
    options: &SolverOptions,
    observer: &dyn FitObserver,
) -> Result<SolverOutcome, OptimizationError> {
    let n = p0.len();
    let (lb, ub) = (bounds.lower(), bounds.upper());
    let bounded = !bounds.is_unbounded();
    let max_nfev = options.max_nfev_for(n);
    let eps = f64::EPSILON;

    let mut x = p0.to_vec();
    let mut lin = objective.linearize(&x)?;
    let (mut nfev, mut njev) = (1usize, 1usize);
    check_linearization(&lin, &x, 0)?;
    let mut cost = lin.cost.cost;
    let initial_cost = cost;
    let validator = NumericalValidator::new(options.validate);
    validator.check_loss(cost, 0)?;
    observer.on_iteration(&IterationReport {
        iteration: 0,
        nfev,
        cost,
    });

    let mut diag: Vec<f64> = match &options.x_scale {
        XScale::Vector(s) => s.iter().map(|v| 1.0 / v).collect(),
        XScale::Jac => vec![0.0; n],
    };
    let mut par = 0.0;
    let mut delta = 0.0;
    let mut xnorm;
    let mut iterations = 0;
    let mut termination = None;
    let mut first = true;
    let mut speculate = true;

    'outer: loop {
        let g = lin.factor.gradient();
        validator.check_gradient(&g, iterations)?;
        let column_norms = lin.factor.column_norms();
        if matches!(options.x_scale, XScale::Jac) {
            for (d, &c) in diag.iter_mut().zip(&column_norms) {
                let c = if first && c == 0.0 { 1.0 } else { c };
                *d = d.max(c);
            }
        }
        xnorm = norm(&(0..n).map(|j| diag[j] * x[j]).collect::<Vec<_>>());
        if first {
            delta = 100.0 * xnorm;
            if delta == 0.0 {
                delta = 100.0;
            }
            delta *= options.initial_step_scale;
        }

        // Parameters held at a bound this iteration.
        let free: Vec<usize> = (0..n)
            .filter(|&j| {
                !(bounded && ((x[j] <= lb[j] && g[j] > 0.0) || (x[j] >= ub[j] && g[j] < 0.0)))
            })
            .collect();
        let g_free: Vec<f64> = (0..n)
            .map(|j| if free.contains(&j) { g[j] } else { 0.0 })
            .collect();

        if cost == 0.0 {
            termination = Some(TerminationReason::ZeroResidual);
            break;
        }
        let cosine = gradient_cosine(&g_free, &column_norms, lin.scaled_residual_sq.sqrt(), None);
        if free.is_empty() || cosine.is_some_and(|c| c <= options.gtol.max(eps)) {
            termination = Some(TerminationReason::Gtol);
            break;
        }
        if nfev >= max_nfev {
            break;
        }

        // The reduced subproblem over the free columns.
        let k = free.len();
        let mut a = vec![0.0; n * k];
        for (c, &j) in free.iter().enumerate() {
            for i in 0..=j {
                a[c * n + i] = lin.factor.r(i, j);
            }
        }
        let mut b = lin.factor.qtf().to_vec();
        let (r_pivoted, ipvt, qtb) = pivoted_qr(&mut a, n, k, &mut b);
        let diag_free: Vec<f64> = free.iter().map(|&j| diag[j]).collect();

        if first && options.initial_step_scale < 1.0 {
            // A reduced first step (recovery's halve_step): at most that fraction of the
            // Gauss-Newton step, which lmpar would otherwise take whenever it fits.
            let mut r = r_pivoted.clone();
            let (gauss_newton, _) = lmpar(k, &mut r, &ipvt, &diag_free, &qtb, f64::INFINITY, 0.0);
            let length = norm(
                &(0..k)
                    .map(|c| diag_free[c] * gauss_newton[c])
                    .collect::<Vec<_>>(),
            );
            if length.is_finite() && length > 0.0 {
                delta = delta.min(options.initial_step_scale * length);
            }
        }
        let mut accepted = false;
        let mut accepted_lin = None;
        loop {
            let mut r = r_pivoted.clone();
            let (solution, new_par) = lmpar(k, &mut r, &ipvt, &diag_free, &qtb, delta, par);
            par = new_par;
            let mut x_new = x.clone();
            let mut clipped = false;
            for (c, &j) in free.iter().enumerate() {
                x_new[j] = x[j] - solution[c];
                if bounded && (x_new[j] < lb[j] || x_new[j] > ub[j]) {
                    x_new[j] = x_new[j].clamp(lb[j], ub[j]);
                    clipped = true;
                }
            }
            let step: Vec<f64> = (0..n).map(|j| x_new[j] - x[j]).collect();
            let pnorm = norm(&(0..n).map(|j| diag[j] * step[j]).collect::<Vec<_>>());
            if first {
                delta = delta.min(pnorm);
            }
            let (evaluation, trial_lin) = evaluate_trial(objective, &x_new, speculate, &mut njev)?;
            nfev += 1;

            // Reductions relative to the current cost, as MINPACK's (with fnorm^2 = 2 cost).
            let actred = if evaluation.is_finite() && evaluation.cost < 100.0 * cost {
                1.0 - evaluation.cost / cost
            } else {
                -1.0
            };
            // Predicted reduction and directional derivative, relative to the cost. For the
            // damped step itself MINPACK's sums of squares are used,
            //   pred = (||J p||^2 + 2 lambda ||D p||^2) / (2 C),   dirder = -(||J p||^2 + lambda ||D p||^2) / (2 C),
            // which cannot turn negative by rounding (the general form below can, near the
            // optimum, and would then accept uphill steps). A step cut by the bounds is not
            // the damped step: its prediction is the general `-(g.s + ||J s||^2 / 2) / C`.
            let js = lin.factor.mul(&step);
            let js_sq = dot(&js, &js);
            let (prered, dirder) = if clipped {
                let g_dot_s = dot(&g, &step);
                ((-g_dot_s - 0.5 * js_sq) / cost, g_dot_s / (2.0 * cost))
            } else {
                let damping = par * pnorm * pnorm;
                (
                    (js_sq + 2.0 * damping) / (2.0 * cost),
                    -(js_sq + damping) / (2.0 * cost),
                )
            };
            let ratio = if prered > 0.0 { actred / prered } else { 0.0 };

            if ratio <= 0.25 {
                let mut temp = if actred >= 0.0 {
                    0.5
                } else {
                    0.5 * dirder / (dirder + 0.5 * actred)
                };
                let tolerable = evaluation.is_finite() && evaluation.cost < 100.0 * cost;
                if !tolerable || temp.is_nan() || temp < 0.1 {
                    temp = 0.1;
                }
                delta = temp * delta.min(pnorm / 0.1);
                par /= temp;
            } else if par == 0.0 || ratio >= 0.75 {
                delta = pnorm / 0.5;
                par *= 0.5;
            }

            speculate = ratio >= 1e-4;
            if ratio >= 1e-4 {
                x = x_new;
                validator.check_parameters(&x, lb, ub, iterations + 1)?;
                cost = evaluation.cost;
                validator.check_loss(cost, iterations + 1)?;
                accepted_lin = trial_lin;
                xnorm = norm(&(0..n).map(|j| diag[j] * x[j]).collect::<Vec<_>>());
                accepted = true;
            }

            let ftol_ok = actred.abs() <= options.ftol.max(eps)
                && prered <= options.ftol.max(eps)
                && 0.5 * ratio <= 1.0;
            let xtol_ok = delta <= options.xtol.max(eps) * xnorm;
            termination = match (ftol_ok, xtol_ok) {
                (true, true) => Some(TerminationReason::FtolAndXtol),
                (true, false) => Some(TerminationReason::Ftol),
                (false, true) => Some(TerminationReason::Xtol),
                (false, false) => None,
            };
            if cost == 0.0 {
                termination = Some(TerminationReason::ZeroResidual);
            }
            if accepted || termination.is_some() || nfev >= max_nfev {
                break;
            }
        }
        first = false;
        if accepted {
            iterations += 1;
            lin = match accepted_lin {
                Some(lin) => lin,
                None => {
                    njev += 1;
                    objective.linearize(&x)?
                }
            };
            check_linearization(&lin, &x, iterations)?;
            observer.on_iteration(&IterationReport {
                iteration: iterations,
                nfev,
                cost,
            });
        }
        if termination.is_some() || nfev >= max_nfev {
            break 'outer;
        }
    }

    Ok(SolverOutcome {
        x,
        linearization: lin,
        nfev,
        njev,
        iterations,
        termination: termination.unwrap_or(TerminationReason::MaxEvaluations),
        initial_cost,
    })
}

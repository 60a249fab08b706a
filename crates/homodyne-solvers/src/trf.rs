//! Trust-region reflective (TRF) least squares with bounds.
//!
//! The method of Branch, Coleman and Li (1999) as scipy's `least_squares(method='trf',
//! tr_solver='exact')` implements it, run on the triangular factor `R` of the Jacobian
//! instead of the Jacobian itself (see [`crate::factor`]).
//!
//! With the Coleman-Li vector `v` ([`coleman_li_scaling`]) and the parameter scale, the
//! variables are changed to `x = D x_h`, `D = diag(v^(1/2) * scale)`, where the Newton step
//! for the first-order conditions `v * g = 0` satisfies
//!
//! ```text
//! (J_h^T J_h + C) p_h = -g_h,   J_h = J D,   g_h = D g,   C = diag(g * dv * scale)
//! ```
//!
//! The trust-region subproblem `min 1/2 ||J_h p_h + f||^2 + 1/2 p_h^T C p_h`,
//! `||p_h|| <= Delta` is the least-squares problem of the augmented matrix
//! `[J_h; C^(1/2)]`, solved exactly from its SVD ([`solve_lsq_trust_region`]); since
//! `J_h = Q R D`, that SVD is the SVD of the `2P x P` matrix `[R D; C^(1/2)]`. When the
//! step leaves the box, the best of three is taken: the step cut at the bound (stepped back
//! by `theta`), its reflection off the bound, and the constrained Cauchy step. Iterates stay
//! strictly feasible. Without bounds this is a standard trust-region Gauss-Newton method.

use homodyne_core::{
    Bounds, Context, DetectionPoint, FitObserver, IterationReport, OptimizationError,
    TerminationReason,
};

use crate::dense::{dot, norm, svd};
use crate::factor::RFactor;
use crate::feasible::{
    coleman_li_scaling, in_bounds, intersect_trust_region, make_strictly_feasible,
    step_size_to_bound,
};
use crate::objective::{CostEvaluation, Linearization, Objective};
use crate::options::{SolverOptions, XScale};
use crate::outcome::SolverOutcome;
use crate::trust_region::{
    check_termination, gradient_cosine, minimize_quadratic_1d, quadratic_1d,
    solve_lsq_trust_region, update_radius,
};
use crate::validation::NumericalValidator;

/// Checks that a linearisation holds only finite numbers.
pub(crate) fn check_linearization(
    lin: &Linearization,
    x: &[f64],
    iteration: usize,
) -> Result<(), OptimizationError> {
    let context = || {
        Context::new()
            .with("iteration", iteration)
            .with("parameters", format!("{x:?}"))
    };
    if !lin.cost.invalid_residuals.is_empty() {
        return Err(OptimizationError::Numerical {
            detection_point: DetectionPoint::Residuals,
            sample: lin.cost.invalid_residuals.clone(),
            context: context(),
        });
    }
    if !lin.invalid_jacobian.is_empty() {
        return Err(OptimizationError::Numerical {
            detection_point: DetectionPoint::Jacobian,
            sample: lin.invalid_jacobian.clone(),
            context: context(),
        });
    }
    if !lin.cost.cost.is_finite() {
        let mut sample = homodyne_core::InvalidSample::default();
        sample.push(0, lin.cost.cost);
        return Err(OptimizationError::Numerical {
            detection_point: DetectionPoint::Loss,
            sample,
            context: context(),
        });
    }
    Ok(())
}

/// The parameter scale and its inverse, from the options or the Jacobian's column norms.
pub(crate) fn initial_scale(options: &SolverOptions, factor: &RFactor) -> (Vec<f64>, Vec<f64>) {
    match &options.x_scale {
        XScale::Jac => {
            let inv: Vec<f64> = factor
                .column_norms()
                .into_iter()
                .map(|c| if c == 0.0 { 1.0 } else { c })
                .collect();
            (inv.iter().map(|c| 1.0 / c).collect(), inv)
        }
        XScale::Vector(s) => (s.clone(), s.iter().map(|v| 1.0 / v).collect()),
    }
}

/// `J_h s = R (d * s)`.
fn jh_times(factor: &RFactor, d: &[f64], s: &[f64]) -> Vec<f64> {
    let ds: Vec<f64> = d.iter().zip(s).map(|(a, b)| a * b).collect();
    factor.mul(&ds)
}

/// `1/2 (||J_h s||^2 + s^T diag s) + g^T s`.
fn evaluate_quadratic(js: &[f64], g: &[f64], s: &[f64], diag: Option<&[f64]>) -> f64 {
    let mut q = dot(js, js);
    if let Some(d) = diag {
        q += s.iter().zip(d).map(|(x, y)| x * x * y).sum::<f64>();
    }
    0.5 * q + dot(g, s)
}

/// The quantities of one iteration that step selection needs.
struct StepContext<'a> {
    x: &'a [f64],
    factor: &'a RFactor,
    d: &'a [f64],
    diag_h: &'a [f64],
    g_h: &'a [f64],
    lb: &'a [f64],
    ub: &'a [f64],
    delta: f64,
    theta: f64,
}

/// Chooses among the cut trust-region step, its reflection and the Cauchy step.
/// Returns `(step, step_h, predicted_reduction)`.
fn select_step(
    ctx: &StepContext<'_>,
    mut p: Vec<f64>,
    mut p_h: Vec<f64>,
) -> (Vec<f64>, Vec<f64>, f64) {
    let StepContext {
        x,
        factor,
        d,
        diag_h,
        g_h,
        lb,
        ub,
        delta,
        theta,
    } = *ctx;
    let jh = |s: &[f64]| jh_times(factor, d, s);
    let x_p: Vec<f64> = x.iter().zip(&p).map(|(a, b)| a + b).collect();
    if in_bounds(&x_p, lb, ub) {
        let value = evaluate_quadratic(&jh(&p_h), g_h, &p_h, Some(diag_h));
        return (p, p_h, -value);
    }

    let (p_stride, hits) = step_size_to_bound(x, &p, lb, ub);
    let mut r_h = p_h.clone();
    for (r, &h) in r_h.iter_mut().zip(&hits) {
        if h != 0 {
            *r = -*r;
        }
    }
    let r: Vec<f64> = d.iter().zip(&r_h).map(|(a, b)| a * b).collect();
    for v in p.iter_mut().chain(p_h.iter_mut()) {
        *v *= p_stride;
    }
    let x_on_bound: Vec<f64> = x.iter().zip(&p).map(|(a, b)| a + b).collect();

    // The reflected direction leaves either the box or the trust region first.
    let to_tr = intersect_trust_region(&p_h, &r_h, delta).map_or(0.0, |(_, t)| t);
    let (to_bound, _) = step_size_to_bound(&x_on_bound, &r, lb, ub);
    let r_stride = to_bound.min(to_tr);
    let (r_lo, r_hi) = if r_stride > 0.0 {
        let lo = (1.0 - theta) * p_stride / r_stride;
        let hi = if r_stride == to_bound {
            theta * to_bound
        } else {
            to_tr
        };
        (lo, hi)
    } else {
        (0.0, -1.0)
    };
    let mut reflected = None;
    if r_lo <= r_hi {
        let jp = jh(&p_h);
        let (a, b, c) = quadratic_1d(&jh(&r_h), g_h, &r_h, Some(diag_h), Some((&p_h, &jp)));
        let (t, value) = minimize_quadratic_1d(a, b, r_lo, r_hi, c);
        let step_h: Vec<f64> = r_h.iter().zip(&p_h).map(|(rv, pv)| rv * t + pv).collect();
        let step: Vec<f64> = step_h.iter().zip(d).map(|(a, b)| a * b).collect();
        reflected = Some((step, step_h, value));
    }

    // Step back from the bound to stay strictly interior.
    for v in p.iter_mut().chain(p_h.iter_mut()) {
        *v *= theta;
    }
    let p_value = evaluate_quadratic(&jh(&p_h), g_h, &p_h, Some(diag_h));

    let mut ag_h: Vec<f64> = g_h.iter().map(|v| -v).collect();
    let ag: Vec<f64> = d.iter().zip(&ag_h).map(|(a, b)| a * b).collect();
    let to_tr = delta / norm(&ag_h);
    let (to_bound, _) = step_size_to_bound(x, &ag, lb, ub);
    let ag_stride = if to_bound < to_tr {
        theta * to_bound
    } else {
        to_tr
    };
    let (a, b, _) = quadratic_1d(&jh(&ag_h), g_h, &ag_h, Some(diag_h), None);
    let (t, ag_value) = minimize_quadratic_1d(a, b, 0.0, ag_stride, 0.0);
    for v in &mut ag_h {
        *v *= t;
    }
    let ag: Vec<f64> = ag.iter().map(|v| v * t).collect();

    let r_value = reflected.as_ref().map_or(f64::INFINITY, |r| r.2);
    if p_value < r_value && p_value < ag_value {
        return (p, p_h, -p_value);
    }
    match reflected {
        Some((step, step_h, value)) if value < p_value && value < ag_value => {
            (step, step_h, -value)
        }
        _ => (ag, ag_h, -ag_value),
    }
}

/// Evaluates a trial point: the whole linearisation when `speculate` (the last trial was
/// accepted, so this one probably will be and its Jacobian pass is then already done: one
/// pass per accepted iteration instead of two), else the cost alone.
pub(crate) fn evaluate_trial<O: Objective + ?Sized>(
    objective: &O,
    x: &[f64],
    speculate: bool,
    njev: &mut usize,
) -> Result<(CostEvaluation, Option<Linearization>), OptimizationError> {
    if speculate {
        *njev += 1;
        let lin = objective.linearize(x)?;
        Ok((lin.cost.clone(), Some(lin)))
    } else {
        Ok((objective.cost(x)?, None))
    }
}

/// Minimises the objective's cost from `p0` within `bounds` by trust-region reflective
/// iterations, reporting each iteration to `observer`. `p0` must lie within the bounds (the
/// facade checks).
pub fn trf<O: Objective + ?Sized>(
    objective: &O,
    p0: &[f64],
    bounds: &Bounds,
    options: &SolverOptions,
    observer: &dyn FitObserver,
) -> Result<SolverOutcome, OptimizationError> {
    let n = p0.len();
    let m = objective.n_residuals();
    let (lb, ub) = (bounds.lower(), bounds.upper());
    let bounded = !bounds.is_unbounded();
    let max_nfev = options.max_nfev_for(n);

    let mut x = if bounded {
        make_strictly_feasible(p0, lb, ub, 1e-10)
    } else {
        p0.to_vec()
    };
    let mut lin = objective.linearize(&x)?;
    let (mut nfev, mut njev) = (1usize, 1usize);
    check_linearization(&lin, &x, 0)?;
    let mut cost = lin.cost.cost;
    let initial_cost = cost;
    observer.on_iteration(&IterationReport {
        iteration: 0,
        nfev,
        cost,
    });
    let validator = NumericalValidator::new(options.validate);
    validator.check_loss(cost, 0)?;
    let mut g = lin.factor.gradient();
    validator.check_gradient(&g, 0)?;
    let jac_scale = matches!(options.x_scale, XScale::Jac);
    let (mut scale, mut scale_inv) = initial_scale(options, &lin.factor);

    let unit_scaling = || (vec![1.0; n], vec![0.0; n]);
    let scaling = |x: &[f64], g: &[f64]| {
        if bounded {
            coleman_li_scaling(x, g, lb, ub)
        } else {
            unit_scaling()
        }
    };
    let (mut v, dv) = scaling(&x, &g);
    for i in 0..n {
        if dv[i] != 0.0 {
            v[i] *= scale_inv[i];
        }
    }
    let mut delta = norm(
        &(0..n)
            .map(|i| x[i] * scale_inv[i] / v[i].sqrt())
            .collect::<Vec<_>>(),
    );
    // A start at the origin gives no length scale: take the first Gauss-Newton step's
    // length instead (below), rather than scipy's radius of 1, from which a parameter
    // whose optimum is 1e4 scaled units away needs a dozen doublings of the radius.
    let from_origin = delta == 0.0 || !delta.is_finite();
    if from_origin {
        delta = 1.0;
    }
    delta *= options.initial_step_scale;
    // Settled at the first iteration from the Gauss-Newton step (see below).
    let mut first_radius_pending = from_origin || options.initial_step_scale < 1.0;

    let mut alpha = 0.0;
    let mut speculate = true;
    let mut termination = None;
    let mut iterations = 0;
    loop {
        let (mut v, dv) = scaling(&x, &g);
        let g_norm = (0..n).map(|i| (g[i] * v[i]).abs()).fold(0.0, f64::max);
        if cost == 0.0 {
            termination = Some(TerminationReason::ZeroResidual);
        } else {
            let distances: Vec<f64> = (0..n)
                .map(|i| if dv[i] != 0.0 { v[i] } else { f64::INFINITY })
                .collect();
            let cosine = gradient_cosine(
                &g,
                &lin.factor.column_norms(),
                lin.scaled_residual_sq.sqrt(),
                bounded.then_some(&distances[..]),
            );
            if cosine.is_some_and(|c| c <= options.gtol) {
                termination = Some(TerminationReason::Gtol);
            }
        }
        if termination.is_some() || nfev >= max_nfev {
            break;
        }

        for i in 0..n {
            if dv[i] != 0.0 {
                v[i] *= scale_inv[i];
            }
        }
        let d: Vec<f64> = (0..n).map(|i| v[i].sqrt() * scale[i]).collect();
        let diag_h: Vec<f64> = (0..n).map(|i| g[i] * dv[i] * scale[i]).collect();
        let g_h: Vec<f64> = (0..n).map(|i| d[i] * g[i]).collect();

        // The augmented matrix [R D; diag(diag_h)^(1/2)] and its SVD.
        let rows = if bounded { 2 * n } else { n };
        let mut aug = vec![0.0; rows * n];
        for i in 0..n {
            for j in i..n {
                aug[i * n + j] = lin.factor.r(i, j) * d[j];
            }
            if bounded {
                aug[(n + i) * n + i] = diag_h[i].sqrt();
            }
        }
        let decomposition = svd(&aug, rows, n).ok_or_else(|| OptimizationError::Numerical {
            detection_point: DetectionPoint::Jacobian,
            sample: homodyne_core::InvalidSample::default(),
            context: Context::new().with("iteration", iterations).with(
                "stage",
                "SVD of the scaled Jacobian factor did not converge",
            ),
        })?;
        let qtf = lin.factor.qtf();
        let uf: Vec<f64> = (0..n)
            .map(|k| (0..n).map(|i| decomposition.u[i * n + k] * qtf[i]).sum())
            .collect();
        if first_radius_pending {
            // From the origin, the radius is the Gauss-Newton step's length; with a reduced
            // initial step (recovery's halve_step), at most that fraction of it, so the
            // first step really is shorter even when the Gauss-Newton step fits the region.
            first_radius_pending = false;
            let s = &decomposition.s;
            if s.last().is_some_and(|&s_min| s_min > f64::EPSILON * s[0]) {
                let coef: Vec<f64> = (0..n).map(|k| uf[k] / s[k]).collect();
                let gauss_newton = norm(&coef);
                if gauss_newton.is_finite() && gauss_newton > 0.0 {
                    let scaled = gauss_newton * options.initial_step_scale;
                    delta = if from_origin {
                        scaled
                    } else {
                        delta.min(scaled)
                    };
                }
            }
        }
        // The largest decrease the quadratic model allows, 1/2 ||U^T f||^2 (the full
        // Gauss-Newton step of the augmented system). When even that is below ftol of the
        // cost, no step can pass the ftol test by more than rounding: stop here instead of
        // shrinking the region through a series of rejected steps at the rounding floor.
        let best_predicted = 0.5 * dot(&uf, &uf);
        if best_predicted <= options.ftol * cost {
            termination = Some(TerminationReason::Ftol);
            break;
        }
        let theta = (1.0 - g_norm).max(0.995);
        let n_rows = m + if bounded { n } else { 0 };

        let mut actual_reduction = -1.0;
        let mut trial = None;
        while actual_reduction <= 0.0 && nfev < max_nfev {
            let (p_h, new_alpha) = solve_lsq_trust_region(
                n_rows,
                &uf,
                &decomposition.s,
                &decomposition.v,
                delta,
                Some(alpha),
            );
            alpha = new_alpha;
            let p: Vec<f64> = d.iter().zip(&p_h).map(|(a, b)| a * b).collect();
            let (step, step_h, predicted) = if bounded {
                let ctx = StepContext {
                    x: &x,
                    factor: &lin.factor,
                    d: &d,
                    diag_h: &diag_h,
                    g_h: &g_h,
                    lb,
                    ub,
                    delta,
                    theta,
                };
                select_step(&ctx, p, p_h)
            } else {
                let value = evaluate_quadratic(&jh_times(&lin.factor, &d, &p_h), &g_h, &p_h, None);
                (p, p_h, -value)
            };
            let moved: Vec<f64> = x.iter().zip(&step).map(|(a, b)| a + b).collect();
            let x_new = if bounded {
                make_strictly_feasible(&moved, lb, ub, 0.0)
            } else {
                moved
            };
            let (evaluation, trial_lin) = evaluate_trial(objective, &x_new, speculate, &mut njev)?;
            nfev += 1;
            let step_h_norm = norm(&step_h);
            if !evaluation.is_finite() {
                // Step into a region where the model is not finite: shrink and retry.
                delta = 0.25 * step_h_norm;
                speculate = false;
                continue;
            }
            actual_reduction = cost - evaluation.cost;
            let (delta_new, ratio) = update_radius(
                delta,
                actual_reduction,
                predicted,
                step_h_norm,
                step_h_norm > 0.95 * delta,
            );
            let step_norm = norm(&step);
            termination = check_termination(
                actual_reduction,
                cost,
                step_norm,
                norm(&x),
                ratio,
                options.ftol,
                options.xtol,
            );
            speculate = actual_reduction > 0.0;
            trial = Some((x_new, evaluation, trial_lin));
            if termination.is_some() {
                break;
            }
            if delta_new > 0.0 {
                alpha *= delta / delta_new;
            }
            delta = delta_new;
        }

        if let Some((x_new, evaluation, trial_lin)) = trial.filter(|_| actual_reduction > 0.0) {
            x = x_new;
            validator.check_parameters(&x, lb, ub, iterations + 1)?;
            cost = evaluation.cost;
            validator.check_loss(cost, iterations + 1)?;
            lin = match trial_lin {
                Some(lin) => lin,
                None => {
                    njev += 1;
                    objective.linearize(&x)?
                }
            };
            check_linearization(&lin, &x, iterations + 1)?;
            g = lin.factor.gradient();
            validator.check_gradient(&g, iterations + 1)?;
            if jac_scale {
                for (inv, c) in scale_inv.iter_mut().zip(lin.factor.column_norms()) {
                    *inv = inv.max(c);
                }
                scale = scale_inv.iter().map(|c| 1.0 / c).collect();
            }
        }
        iterations += 1;
        observer.on_iteration(&IterationReport {
            iteration: iterations,
            nfev,
            cost,
        });
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

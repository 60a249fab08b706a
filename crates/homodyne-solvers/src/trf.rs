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

use std::ops::ControlFlow;

use homodyne_core::{
    Bounds, Context, DetectionPoint, FitObserver, InvalidSample, OptimizationError,
    TerminationReason,
};

use crate::dense::{dot, norm, svd};
use crate::driver::{Bookkeeping, Iterate, Trial, TrustRegionMethod, Verdict, drive};
use crate::factor::RFactor;
use crate::feasible::{
    coleman_li_scaling, in_bounds, intersect_trust_region, make_strictly_feasible,
    step_size_to_bound,
};
use crate::objective::{CostEvaluation, Objective};
use crate::options::{SolverOptions, XScale};
use crate::outcome::SolverOutcome;
use crate::trust_region::{
    check_termination, gradient_cosine, minimize_quadratic_1d, quadratic_1d,
    solve_lsq_trust_region, stationarity_norm, update_radius,
};

/// The parameter scale and its inverse, from the options or the Jacobian's column norms.
fn initial_scale(options: &SolverOptions, factor: &RFactor) -> (Vec<f64>, Vec<f64>) {
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

/// Minimises the objective's cost from `p0` within `bounds` by trust-region reflective
/// iterations, reporting each iteration and trial to `observer`. `p0` must lie within the
/// bounds (the facade checks). Runs [`Trf`] on the [driver](crate::driver).
pub fn trf<O: Objective + ?Sized>(
    objective: &O,
    p0: &[f64],
    bounds: &Bounds,
    options: &SolverOptions,
    observer: &dyn FitObserver,
) -> Result<SolverOutcome, OptimizationError> {
    drive::<Trf, O>(objective, p0, bounds, options, observer)
}

/// The state of a TRF run between iterations: the parameter scale, the trust radius and
/// the last regularisation `alpha` of the subproblem (its warm start).
#[derive(Debug, Clone)]
pub struct Trf {
    bounded: bool,
    scale: Vec<f64>,
    scale_inv: Vec<f64>,
    delta: f64,
    alpha: f64,
    /// The start was at the origin: no length scale, the first radius is the Gauss-Newton
    /// step's length.
    from_origin: bool,
    /// The first radius is still to be settled from the Gauss-Newton step.
    first_radius_pending: bool,
}

/// One outer iteration's subproblem: the scaled variables and the SVD of the augmented
/// matrix `[R D; diag(diag_h)^(1/2)]`.
#[derive(Debug, Clone)]
pub struct TrfSubproblem {
    d: Vec<f64>,
    diag_h: Vec<f64>,
    g_h: Vec<f64>,
    /// `U^T f` of the augmented system.
    uf: Vec<f64>,
    s: Vec<f64>,
    v: Vec<f64>,
    theta: f64,
    n_rows: usize,
}

/// A TRF step: in the original and the scaled variables, with its predicted reduction.
#[derive(Debug, Clone)]
pub struct TrfStep {
    step: Vec<f64>,
    step_h: Vec<f64>,
    predicted: f64,
}

impl Trf {
    /// The Coleman-Li vector `v` and its derivative `dv` at the iterate (ones and zeros
    /// without bounds).
    fn scaling(&self, at: &Iterate<'_>) -> (Vec<f64>, Vec<f64>) {
        if self.bounded {
            coleman_li_scaling(at.x, at.gradient, at.bounds.lower(), at.bounds.upper())
        } else {
            let n = at.x.len();
            (vec![1.0; n], vec![0.0; n])
        }
    }
}

impl TrustRegionMethod for Trf {
    const BOOKKEEPING: Bookkeeping = Bookkeeping::EveryIteration;
    type Subproblem = TrfSubproblem;
    type Step = TrfStep;

    /// Strictly inside the bounds.
    fn start(p0: &[f64], bounds: &Bounds) -> Vec<f64> {
        if bounds.is_unbounded() {
            p0.to_vec()
        } else {
            make_strictly_feasible(p0, bounds.lower(), bounds.upper(), 1e-10)
        }
    }

    fn init(at: &Iterate<'_>) -> Self {
        let options = at.options;
        let (scale, scale_inv) = initial_scale(options, &at.linearization.factor);
        let mut trf = Trf {
            bounded: !at.bounds.is_unbounded(),
            scale,
            scale_inv,
            delta: 0.0,
            alpha: 0.0,
            from_origin: false,
            first_radius_pending: false,
        };
        let n = at.x.len();
        let (mut v, dv) = trf.scaling(at);
        for i in 0..n {
            if dv[i] != 0.0 {
                v[i] *= trf.scale_inv[i];
            }
        }
        let mut delta = norm(
            &(0..n)
                .map(|i| at.x[i] * trf.scale_inv[i] / v[i].sqrt())
                .collect::<Vec<_>>(),
        );
        // A start at the origin gives no length scale: take the first Gauss-Newton step's
        // length instead (in `prepare`), rather than scipy's radius of 1, from which a
        // parameter whose optimum is 1e4 scaled units away needs a dozen doublings.
        trf.from_origin = delta == 0.0 || !delta.is_finite();
        if trf.from_origin {
            delta = 1.0;
        }
        trf.delta = delta * options.initial_step_scale;
        trf.first_radius_pending = trf.from_origin || options.initial_step_scale < 1.0;
        trf
    }

    /// `cost == 0`, or the bound-weighted gradient cosine at most `gtol`.
    fn stationarity(&mut self, at: &Iterate<'_>) -> Option<TerminationReason> {
        if at.cost == 0.0 {
            return Some(TerminationReason::ZeroResidual);
        }
        let (v, dv) = self.scaling(at);
        let distances: Vec<f64> = (0..v.len())
            .map(|i| if dv[i] != 0.0 { v[i] } else { f64::INFINITY })
            .collect();
        let lin = at.linearization;
        let cosine = gradient_cosine(
            at.gradient,
            &lin.factor.column_norms(),
            stationarity_norm(at),
            self.bounded.then_some(&distances[..]),
        );
        cosine
            .is_some_and(|c| c <= at.options.gtol)
            .then_some(TerminationReason::Gtol)
    }

    /// The SVD of the augmented matrix; ends the fit (`Ftol`) when even the full
    /// Gauss-Newton step of the model cannot pass the `ftol` test.
    fn prepare(
        &mut self,
        at: &Iterate<'_>,
    ) -> Result<ControlFlow<TerminationReason, TrfSubproblem>, OptimizationError> {
        let n = at.x.len();
        let (g, factor) = (at.gradient, &at.linearization.factor);
        let (mut v, dv) = self.scaling(at);
        let g_norm = (0..n).map(|i| (g[i] * v[i]).abs()).fold(0.0, f64::max);
        for i in 0..n {
            if dv[i] != 0.0 {
                v[i] *= self.scale_inv[i];
            }
        }
        let d: Vec<f64> = (0..n).map(|i| v[i].sqrt() * self.scale[i]).collect();
        let diag_h: Vec<f64> = (0..n).map(|i| g[i] * dv[i] * self.scale[i]).collect();
        let g_h: Vec<f64> = (0..n).map(|i| d[i] * g[i]).collect();

        // The augmented matrix [R D; diag(diag_h)^(1/2)] and its SVD.
        let rows = if self.bounded { 2 * n } else { n };
        let mut aug = vec![0.0; rows * n];
        for i in 0..n {
            for j in i..n {
                aug[i * n + j] = factor.r(i, j) * d[j];
            }
            if self.bounded {
                aug[(n + i) * n + i] = diag_h[i].sqrt();
            }
        }
        let decomposition = svd(&aug, rows, n).ok_or_else(|| OptimizationError::Numerical {
            detection_point: DetectionPoint::Jacobian,
            sample: InvalidSample::default(),
            context: Context::new().with("iteration", at.iteration).with(
                "stage",
                "SVD of the scaled Jacobian factor did not converge",
            ),
        })?;
        let qtf = factor.qtf();
        let uf: Vec<f64> = (0..n)
            .map(|k| (0..n).map(|i| decomposition.u[i * n + k] * qtf[i]).sum())
            .collect();
        if self.first_radius_pending {
            // From the origin, the radius is the Gauss-Newton step's length; with a reduced
            // initial step (recovery's halve_step), at most that fraction of it, so the
            // first step really is shorter even when the Gauss-Newton step fits the region.
            self.first_radius_pending = false;
            let s = &decomposition.s;
            if s.last().is_some_and(|&s_min| s_min > f64::EPSILON * s[0]) {
                let coef: Vec<f64> = (0..n).map(|k| uf[k] / s[k]).collect();
                let gauss_newton = norm(&coef);
                if gauss_newton.is_finite() && gauss_newton > 0.0 {
                    let scaled = gauss_newton * at.options.initial_step_scale;
                    self.delta = if self.from_origin {
                        scaled
                    } else {
                        self.delta.min(scaled)
                    };
                }
            }
        }
        // The largest decrease the quadratic model allows, 1/2 ||U^T f||^2 (the full
        // Gauss-Newton step of the augmented system). When even that is below ftol of the
        // cost, no step can pass the ftol test by more than rounding: stop here instead of
        // shrinking the region through a series of rejected steps at the rounding floor.
        if 0.5 * dot(&uf, &uf) <= at.options.ftol * at.cost {
            return Ok(ControlFlow::Break(TerminationReason::Ftol));
        }
        Ok(ControlFlow::Continue(TrfSubproblem {
            d,
            diag_h,
            g_h,
            uf,
            s: decomposition.s,
            v: decomposition.v,
            theta: (1.0 - g_norm).max(0.995),
            n_rows: at.n_residuals + if self.bounded { n } else { 0 },
        }))
    }

    /// The trust-region step for the current radius (warm-started from the last `alpha`),
    /// with bounds the best of the cut, reflected and Cauchy steps, kept strictly inside.
    fn propose(&mut self, at: &Iterate<'_>, sub: &TrfSubproblem) -> Trial<TrfStep> {
        let (p_h, alpha) = solve_lsq_trust_region(
            sub.n_rows,
            &sub.uf,
            &sub.s,
            &sub.v,
            self.delta,
            Some(self.alpha),
        );
        self.alpha = alpha;
        let factor = &at.linearization.factor;
        let p: Vec<f64> = sub.d.iter().zip(&p_h).map(|(a, b)| a * b).collect();
        let (lb, ub) = (at.bounds.lower(), at.bounds.upper());
        let (step, step_h, predicted) = if self.bounded {
            let ctx = StepContext {
                x: at.x,
                factor,
                d: &sub.d,
                diag_h: &sub.diag_h,
                g_h: &sub.g_h,
                lb,
                ub,
                delta: self.delta,
                theta: sub.theta,
            };
            select_step(&ctx, p, p_h)
        } else {
            let value = evaluate_quadratic(&jh_times(factor, &sub.d, &p_h), &sub.g_h, &p_h, None);
            (p, p_h, -value)
        };
        let moved: Vec<f64> = at.x.iter().zip(&step).map(|(a, b)| a + b).collect();
        let point = if self.bounded {
            make_strictly_feasible(&moved, lb, ub, 0.0)
        } else {
            moved
        };
        Trial {
            point,
            step: TrfStep {
                step,
                step_h,
                predicted,
            },
        }
    }

    /// Accepts any decrease; a non-finite trial shrinks the radius to a quarter of the
    /// step. Otherwise the radius follows the ratio of actual to predicted reduction and
    /// the `ftol` / `xtol` tests may end the fit.
    fn judge(
        &mut self,
        at: &Iterate<'_>,
        trial: &Trial<TrfStep>,
        evaluation: &CostEvaluation,
    ) -> Verdict {
        let TrfStep {
            step,
            step_h,
            predicted,
        } = &trial.step;
        let step_h_norm = norm(step_h);
        if !evaluation.is_finite() {
            // A step into a region where the model is not finite: shrink and retry.
            self.delta = 0.25 * step_h_norm;
            return Verdict {
                accepted: false,
                termination: None,
            };
        }
        let actual_reduction = at.cost - evaluation.cost;
        let (delta_new, ratio) = update_radius(
            self.delta,
            actual_reduction,
            *predicted,
            step_h_norm,
            step_h_norm > 0.95 * self.delta,
        );
        let termination = check_termination(
            actual_reduction,
            at.cost,
            norm(step),
            norm(at.x),
            ratio,
            at.options.ftol,
            at.options.xtol,
        );
        if termination.is_none() {
            if delta_new > 0.0 {
                self.alpha *= self.delta / delta_new;
            }
            self.delta = delta_new;
        }
        Verdict {
            accepted: actual_reduction > 0.0,
            termination,
        }
    }

    /// With `x_scale = jac`, the scale follows the running maximum of the column norms.
    fn accepted(&mut self, at: &Iterate<'_>) {
        if matches!(at.options.x_scale, XScale::Jac) {
            let norms = at.linearization.factor.column_norms();
            for (inv, c) in self.scale_inv.iter_mut().zip(norms) {
                *inv = inv.max(c);
            }
            self.scale = self.scale_inv.iter().map(|c| 1.0 / c).collect();
        }
    }
}

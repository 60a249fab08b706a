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

use std::ops::ControlFlow;

use homodyne_core::{Bounds, FitObserver, OptimizationError, TerminationReason};

use crate::dense::{dot, norm};
use crate::driver::{Bookkeeping, Iterate, Trial, TrustRegionMethod, Verdict, drive};
use crate::lmpar::{lmpar, pivoted_qr};
use crate::objective::{CostEvaluation, Objective};
use crate::options::{SolverOptions, XScale};
use crate::outcome::SolverOutcome;
use crate::trust_region::{gradient_cosine, stationarity_norm, tolerance_reason};

/// Minimises the objective's cost from `p0` within `bounds` by Levenberg-Marquardt
/// iterations, reporting each iteration and trial to `observer`. `p0` must lie within the
/// bounds (the facade checks). Runs [`Lm`] on the [driver](crate::driver).
pub fn lm<O: Objective + ?Sized>(
    objective: &O,
    p0: &[f64],
    bounds: &Bounds,
    options: &SolverOptions,
    observer: &dyn FitObserver,
) -> Result<SolverOutcome, OptimizationError> {
    drive::<Lm, O>(objective, p0, bounds, options, observer)
}

/// The state of an LM run between iterations: MINPACK's `diag` (the parameter scales),
/// the damping `par`, the step bound `delta` and `||diag * x||`.
#[derive(Debug, Clone)]
pub struct Lm {
    bounded: bool,
    diag: Vec<f64>,
    par: f64,
    delta: f64,
    xnorm: f64,
    /// The parameters free this iteration (not held at a bound), from the stationarity
    /// test.
    free: Vec<usize>,
}

/// One outer iteration's subproblem: the pivoted QR of the free columns of `R`.
#[derive(Debug, Clone)]
pub struct LmSubproblem {
    free: Vec<usize>,
    r_pivoted: Vec<f64>,
    ipvt: Vec<usize>,
    qtb: Vec<f64>,
    diag_free: Vec<f64>,
}

/// An LM step: the move (after projection onto the box), its scaled length `||D p||`, and
/// whether the projection cut it.
#[derive(Debug, Clone)]
pub struct LmStep {
    step: Vec<f64>,
    pnorm: f64,
    clipped: bool,
}

impl Lm {
    fn scaled_norm(&self, v: &[f64]) -> f64 {
        norm(
            &v.iter()
                .zip(&self.diag)
                .map(|(a, d)| d * a)
                .collect::<Vec<_>>(),
        )
    }
}

impl TrustRegionMethod for Lm {
    const BOOKKEEPING: Bookkeeping = Bookkeeping::AcceptedOnly;
    type Subproblem = LmSubproblem;
    type Step = LmStep;

    /// `p0` itself (iterates may sit on a bound).
    fn start(p0: &[f64], _bounds: &Bounds) -> Vec<f64> {
        p0.to_vec()
    }

    fn init(at: &Iterate<'_>) -> Self {
        let diag = match &at.options.x_scale {
            XScale::Vector(s) => s.iter().map(|v| 1.0 / v).collect(),
            XScale::Jac => vec![0.0; at.x.len()],
        };
        Lm {
            bounded: !at.bounds.is_unbounded(),
            diag,
            par: 0.0,
            delta: 0.0,
            xnorm: 0.0,
            free: Vec::new(),
        }
    }

    /// Updates the scales (and, in the first iteration, sets the step bound `100 ||D x||`),
    /// holds the parameters at a bound whose anti-gradient points out of the box, and
    /// tests `cost == 0` and the free parameters' gradient cosine against `gtol`.
    fn stationarity(&mut self, at: &Iterate<'_>) -> Option<TerminationReason> {
        let n = at.x.len();
        let (x, g) = (at.x, at.gradient);
        let first = at.outer == 0;
        let column_norms = at.linearization.factor.column_norms();
        if matches!(at.options.x_scale, XScale::Jac) {
            for (d, &c) in self.diag.iter_mut().zip(&column_norms) {
                let c = if first && c == 0.0 { 1.0 } else { c };
                *d = d.max(c);
            }
        }
        self.xnorm = self.scaled_norm(x);
        if first {
            self.delta = 100.0 * self.xnorm;
            if self.delta == 0.0 {
                self.delta = 100.0;
            }
            self.delta *= at.options.initial_step_scale;
        }

        let (lb, ub) = (at.bounds.lower(), at.bounds.upper());
        let bounded = self.bounded;
        self.free = (0..n)
            .filter(|&j| {
                !(bounded && ((x[j] <= lb[j] && g[j] > 0.0) || (x[j] >= ub[j] && g[j] < 0.0)))
            })
            .collect();
        if at.cost == 0.0 {
            return Some(TerminationReason::ZeroResidual);
        }
        let g_free: Vec<f64> = (0..n)
            .map(|j| if self.free.contains(&j) { g[j] } else { 0.0 })
            .collect();
        let cosine = gradient_cosine(&g_free, &column_norms, stationarity_norm(at), None);
        let gtol = at.options.gtol.max(f64::EPSILON);
        (self.free.is_empty() || cosine.is_some_and(|c| c <= gtol))
            .then_some(TerminationReason::Gtol)
    }

    /// The pivoted QR of the free columns; with a reduced first step (recovery's
    /// halve_step), the step bound is at most that fraction of the Gauss-Newton step,
    /// which `lmpar` would otherwise take whenever it fits.
    fn prepare(
        &mut self,
        at: &Iterate<'_>,
    ) -> Result<ControlFlow<TerminationReason, LmSubproblem>, OptimizationError> {
        let n = at.x.len();
        let factor = &at.linearization.factor;
        let free = std::mem::take(&mut self.free);
        let k = free.len();
        let mut a = vec![0.0; n * k];
        for (c, &j) in free.iter().enumerate() {
            for i in 0..=j {
                a[c * n + i] = factor.r(i, j);
            }
        }
        let mut b = factor.qtf().to_vec();
        let (r_pivoted, ipvt, qtb) = pivoted_qr(&mut a, n, k, &mut b);
        let diag_free: Vec<f64> = free.iter().map(|&j| self.diag[j]).collect();

        let scale = at.options.initial_step_scale;
        if at.outer == 0 && scale < 1.0 {
            let mut r = r_pivoted.clone();
            let (gauss_newton, _) = lmpar(k, &mut r, &ipvt, &diag_free, &qtb, f64::INFINITY, 0.0);
            let length = norm(
                &(0..k)
                    .map(|c| diag_free[c] * gauss_newton[c])
                    .collect::<Vec<_>>(),
            );
            if length.is_finite() && length > 0.0 {
                self.delta = self.delta.min(scale * length);
            }
        }
        Ok(ControlFlow::Continue(LmSubproblem {
            free,
            r_pivoted,
            ipvt,
            qtb,
            diag_free,
        }))
    }

    /// The damped step of `lmpar` for the free parameters, projected onto the box (in the
    /// first iteration the step bound shrinks to the first step's length, as MINPACK's).
    fn propose(&mut self, at: &Iterate<'_>, sub: &LmSubproblem) -> Trial<LmStep> {
        let x = at.x;
        let (lb, ub) = (at.bounds.lower(), at.bounds.upper());
        let mut r = sub.r_pivoted.clone();
        let k = sub.free.len();
        let (solution, par) = lmpar(
            k,
            &mut r,
            &sub.ipvt,
            &sub.diag_free,
            &sub.qtb,
            self.delta,
            self.par,
        );
        self.par = par;
        let mut point = x.to_vec();
        let mut clipped = false;
        for (c, &j) in sub.free.iter().enumerate() {
            point[j] = x[j] - solution[c];
            if self.bounded && (point[j] < lb[j] || point[j] > ub[j]) {
                point[j] = point[j].clamp(lb[j], ub[j]);
                clipped = true;
            }
        }
        let step: Vec<f64> = point.iter().zip(x).map(|(a, b)| a - b).collect();
        let pnorm = self.scaled_norm(&step);
        if at.outer == 0 {
            self.delta = self.delta.min(pnorm);
        }
        Trial {
            point,
            step: LmStep {
                step,
                pnorm,
                clipped,
            },
        }
    }

    /// MINPACK's ratio test: the step bound and damping follow the ratio of actual to
    /// predicted reduction, a step is accepted when the ratio is at least `1e-4`, and the
    /// `ftol` / `xtol` tests run after every trial.
    fn judge(
        &mut self,
        at: &Iterate<'_>,
        trial: &Trial<LmStep>,
        evaluation: &CostEvaluation,
    ) -> Verdict {
        let LmStep {
            step,
            pnorm,
            clipped,
        } = &trial.step;
        let (cost, pnorm) = (at.cost, *pnorm);
        let eps = f64::EPSILON;
        // Reductions relative to the current cost, as MINPACK's (with fnorm^2 = 2 cost).
        let tolerable = evaluation.is_finite() && evaluation.cost < 100.0 * cost;
        let actred = if tolerable {
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
        let js = at.linearization.factor.mul(step);
        let js_sq = dot(&js, &js);
        let (prered, dirder) = if *clipped {
            let g_dot_s = dot(at.gradient, step);
            ((-g_dot_s - 0.5 * js_sq) / cost, g_dot_s / (2.0 * cost))
        } else {
            let damping = self.par * pnorm * pnorm;
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
            // MINPACK's factor lies in [0.1, 0.5] for the damped step, whose directional
            // derivative is negative. A step cut by the bounds can have a positive one,
            // and the factor then exceeds 1/2 (even 1): the bound would not shrink, and
            // the same cut step would be tried until the budget ran out. Shrink hard.
            if !tolerable || temp.is_nan() || !(0.1..=0.5).contains(&temp) {
                temp = 0.1;
            }
            self.delta = temp * self.delta.min(pnorm / 0.1);
            self.par /= temp;
        } else if self.par == 0.0 || ratio >= 0.75 {
            self.delta = pnorm / 0.5;
            self.par *= 0.5;
        }

        let accepted = ratio >= 1e-4;
        let new_cost = if accepted {
            self.xnorm = self.scaled_norm(&trial.point);
            evaluation.cost
        } else {
            cost
        };
        let ftol_ok = actred.abs() <= at.options.ftol.max(eps)
            && prered <= at.options.ftol.max(eps)
            && 0.5 * ratio <= 1.0;
        let xtol_ok = self.delta <= at.options.xtol.max(eps) * self.xnorm;
        let termination = if new_cost == 0.0 {
            Some(TerminationReason::ZeroResidual)
        } else {
            tolerance_reason(ftol_ok, xtol_ok)
        };
        Verdict {
            accepted,
            termination,
        }
    }
}

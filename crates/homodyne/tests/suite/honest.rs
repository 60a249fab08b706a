//! honest tests
//!
//! A result says what it is: `Converged` only at a stationary point, `Stalled` where the
//! steps stopped elsewhere, `Undetermined` (infinite uncertainty) for a parameter the data
//! do not see, totals over retries, and held (fixed) parameters that give exactly the fit
//! of the model with their values substituted.

use homodyne::prelude::*;
use homodyne::{ConvergenceStatus, ParameterFlag};

use crate::common::Staircase;
use crate::common::decay::{Decay, DecayWithUnused, decay_data, decay_fit};

use super::fitting::{cyclic_sigma, fit_by};
use super::mgh::{OSBORNE2_M, OSBORNE2_P0, Osborne2, problem_data};

/// MGH 3, Powell badly scaled: n = 2, m = 2, F* = 0 at (1.098e-5, 9.106).
struct PowellBadlyScaled;
impl GenericModel for PowellBadlyScaled {
    fn n_params(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        if x[0] < 1.5 {
            p[0] * p[1] * 1e4 - 1.0
        } else {
            (-p[0]).exp() + (-p[1]).exp() - 1.0001
        }
    }
}

/// A fit that reports converged must be at a stationary point, and none may show a
/// parameter as determined to +-0 unless it is held fixed.
fn assert_honest(name: &str, fit: &OptimizationResult) {
    eprintln!("{name}: {fit}");
    for (k, (&u, flag)) in fit
        .uncertainties
        .iter()
        .zip(&fit.parameter_flags)
        .enumerate()
    {
        if *flag != ParameterFlag::Fixed {
            assert!(u != 0.0, "{name}: p[{k}] shown as +-0 ({flag})");
        }
        if *flag == ParameterFlag::Undetermined {
            assert_eq!(u, f64::INFINITY, "{name}: undetermined p[{k}]");
        }
    }
    if fit.converged() {
        assert!(
            fit.gradient_cosine <= homodyne::STATIONARY_COSINE || fit.gradient_cosine.is_nan(),
            "{name}: converged with cosine {}",
            fit.gradient_cosine
        );
    }
    let clean = fit.converged() && fit.undetermined().is_empty();
    let stalled = fit.convergence_status == ConvergenceStatus::Stalled;
    assert!(
        clean || stalled || !fit.undetermined().is_empty() || !fit.converged(),
        "{name}"
    );
}

#[test]
fn powell_badly_scaled_from_100_times_its_start_is_not_a_clean_convergence() {
    let model = AutoDiff::<_, 2>::new(PowellBadlyScaled).unwrap();
    let (x, y) = problem_data(2);
    for method in [Method::Trf, Method::Lm] {
        let powell = Fit::curve(&model, &x, &y).p0(&[0.0, 100.0]).method(method);
        let fit = powell.run().unwrap();
        // With the default retries: either a stationary point (F* = 0, or the local
        // minimum F = 1.04 near (-0.00995, -0.00995) that TRF reaches from the perturbed
        // start) said as such, or a status that says it did not converge.
        assert_honest(&format!("Powell badly scaled x100 {method}"), &fit);
        assert!(fit.optimality.is_finite());
        // The first attempt stops after at most one iteration with a gradient of 1e6: a
        // stall, said as such, and retried from perturbed parameters.
        assert_eq!(
            fit.attempts[0].outcome, "stalled",
            "{method}: {:?}",
            fit.attempts
        );
        assert_eq!(fit.recovery_actions[0].action, "perturb_parameters");
        let single = powell
            .wrapper(NlsqWrapper::builder().enable_recovery(false).build())
            .run()
            .unwrap();
        assert_eq!(
            single.convergence_status,
            ConvergenceStatus::Stalled,
            "{method}: {single}"
        );
        assert!(single.optimality > 1e5, "{method}: {}", single.optimality);
        assert!(
            single.gradient_cosine > 0.9,
            "{method}: {}",
            single.gradient_cosine
        );
        assert_eq!(
            fit.nfev,
            fit.attempts.iter().map(|a| a.nfev).sum::<usize>(),
            "{method}"
        );
    }
}

#[test]
fn osborne2_from_10_times_its_start_is_not_a_clean_convergence_with_zero_errors() {
    let model = AutoDiff::<_, 11>::new(Osborne2).unwrap();
    let (x, y) = problem_data(OSBORNE2_M);
    let p0 = OSBORNE2_P0.map(|v| 10.0 * v);
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&model, &x, &y, &p0, method);
        assert_honest(&format!("Osborne 2 x10 {method}"), &fit);
    }
}

#[test]
fn a_parameter_the_model_does_not_use_is_undetermined_never_plus_minus_zero() {
    let model = AutoDiff::<_, 4>::new(DecayWithUnused).unwrap();
    let (x, y) = decay_data();
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&model, &x, &y, &[1.0, 1.0, 0.0, 3.0], method);
        assert_eq!(fit.undetermined(), [3], "{method}: {fit}");
        assert_eq!(fit.uncertainties[3], f64::INFINITY);
        assert!(fit.covariance.matrix[(0, 3)].is_nan());
        for k in 0..3 {
            assert!(fit.uncertainties[k].is_finite() && fit.uncertainties[k] > 0.0);
        }
        assert!(fit.converged(), "{method}: {fit}");
        assert!(fit.to_string().contains("(undetermined)"));
    }
}

/// y = a exp(-b x) + c with c substituted.
struct DecayWithOffset(f64);
impl GenericModel for DecayWithOffset {
    fn n_params(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + self.0
    }
}

/// The decay, and the decay with `c = 0.4` substituted: a fit of the first with `c` held
/// at 0.4 must be the fit of the second.
struct HeldOrSubstituted {
    full: AutoDiff<Decay, 3>,
    substituted: AutoDiff<DecayWithOffset, 2>,
}

impl HeldOrSubstituted {
    fn new() -> Self {
        Self {
            full: Decay::autodiff(),
            substituted: AutoDiff::new(DecayWithOffset(0.4)).unwrap(),
        }
    }

    /// The fits with a test's `settings` of the decay from `(1, 1, c0)` with `c` held at
    /// 0.4, and of the substituted decay from `(1, 1)`: the held fit and its reference.
    fn fits<'a>(
        &'a self,
        settings: impl Fn(&'a dyn Model) -> Fit<'a>,
        c0: f64,
    ) -> (OptimizationResult, OptimizationResult) {
        let held = settings(&self.full)
            .p0(&[1.0, 1.0, c0])
            .fix(2, 0.4)
            .run()
            .unwrap();
        let reference = settings(&self.substituted).p0(&[1.0, 1.0]).run().unwrap();
        (held, reference)
    }
}

fn assert_close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-10 * b.abs().max(1e-300),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn fixing_a_parameter_equals_the_model_with_its_value_substituted() {
    let (x, y) = decay_data();
    let sigma = cyclic_sigma(y.len(), 0.01, 5);
    let models = HeldOrSubstituted::new();
    for method in [Method::Trf, Method::Lm] {
        for strategy in [OptimizationStrategy::Standard, OptimizationStrategy::Large] {
            let weighted = |model| {
                Fit::curve(model, &x, &y)
                    .sigma(&sigma)
                    .method(method)
                    .strategy(strategy)
            };
            let (held, reference) = models.fits(weighted, 7.0);
            let what = format!("{method} {strategy}");
            assert_eq!(held.parameters[2], 0.4, "{what}");
            assert_eq!(held.parameter_flags[2], ParameterFlag::Fixed, "{what}");
            assert_eq!(held.uncertainties[2], 0.0, "{what}");
            for k in 0..2 {
                assert_close(held.parameters[k], reference.parameters[k], &what);
                assert_close(held.uncertainties[k], reference.uncertainties[k], &what);
                assert_eq!(held.covariance.matrix[(k, 2)], 0.0);
            }
            assert_close(held.chi_squared, reference.chi_squared, &what);
            assert!(held.converged(), "{what}: {held}");
            assert!(held.to_string().contains("(fixed)"));

            // Equal bounds hold it too.
            let bounds = Bounds::new(vec![0.0, 0.0, 0.4], vec![10.0, 10.0, 0.4]).unwrap();
            let bounded = weighted(&models.full)
                .p0(&[1.0, 1.0, 0.4])
                .bounds(bounds)
                .run()
                .unwrap();
            let free_bounds = Bounds::new(vec![0.0, 0.0], vec![10.0, 10.0]).unwrap();
            let bounded_reference = weighted(&models.substituted)
                .p0(&[1.0, 1.0])
                .bounds(free_bounds)
                .run()
                .unwrap();
            assert_eq!(bounded.parameter_flags[2], ParameterFlag::Fixed, "{what}");
            for k in 0..2 {
                assert_close(
                    bounded.parameters[k],
                    bounded_reference.parameters[k],
                    &what,
                );
                // The bounded path takes other steps: the same optimum to the tolerances.
                let gap = (bounded.parameters[k] - reference.parameters[k]).abs();
                assert!(gap <= 1e-8 * reference.parameters[k].abs(), "{what}: {gap}");
            }
        }
    }
}

#[test]
fn held_values_are_checked_and_something_must_stay_free() {
    let data = decay_data();
    let model = Decay::autodiff();
    let fit = decay_fit(&model, &data);
    let all = fit.clone().fix(0, 1.0).fix(1, 1.0).fix(2, 1.0);
    let e = all.run().unwrap_err();
    assert!(e.to_string().contains("nothing to fit"), "{e}");
    let nan = fit.clone().fix(1, f64::NAN);
    assert_eq!(nan.run().unwrap_err().kind(), ErrorKind::InvalidInput);
    let bounds = Bounds::new(vec![0.0; 3], vec![5.0; 3]).unwrap();
    let outside = fit.clone().fix(2, 9.0).bounds(bounds);
    let e = outside.run().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // More held values than parameters are refused; fewer leave the rest free.
    let long = fit.clone().fixed(&[None, None, None, Some(1.0)]);
    assert_eq!(long.run().unwrap_err().kind(), ErrorKind::InvalidInput);
    let short = fit.fixed(&[Some(1.0)]).run().unwrap();
    assert_eq!(short.parameters[0], 1.0);
    assert_eq!(short.parameter_flags[0], ParameterFlag::Fixed);
    assert_eq!(short.parameter_flags[1..], [ParameterFlag::Free; 2]);
}

#[test]
fn a_retried_fit_reports_the_evaluations_of_every_attempt() {
    let (x, y) = decay_data();
    let model = Decay::autodiff();
    // A budget too small to converge: every attempt runs out, and retries follow.
    let fit = Fit::curve(&model, &x, &y)
        .p0(&[1.0, 5.0, 0.0])
        .options(SolverOptions {
            max_nfev: Some(3),
            ..SolverOptions::default()
        })
        .run()
        .unwrap();
    assert_eq!(
        fit.convergence_status,
        ConvergenceStatus::MaxEvaluationsReached
    );
    assert_eq!(fit.attempts.len(), 3, "{:?}", fit.attempts);
    assert_eq!(fit.recovery_actions.len(), 2);
    let total: usize = fit.attempts.iter().map(|a| a.nfev).sum();
    assert_eq!(fit.nfev, total);
    assert!(fit.nfev > fit.attempts[2].nfev);
    assert_eq!(
        fit.iterations,
        fit.attempts.iter().map(|a| a.iterations).sum::<usize>()
    );
}

#[test]
fn a_converged_fit_is_stationary_and_reports_its_optimality() {
    let data = decay_data();
    let fit = decay_fit(&Decay::autodiff(), &data).run().unwrap();
    assert!(fit.converged());
    assert!(fit.gradient_cosine < 1e-8, "{}", fit.gradient_cosine);
    assert!(fit.optimality < 1e-8, "{}", fit.optimality);
    assert_eq!(fit.attempts.len(), 1);
    assert!(!fit.absolute_sigma);
}

#[test]
fn a_stop_on_the_step_tolerances_away_from_a_stationary_point_is_stalled() {
    let (model, x, y) = Staircase::problem();
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&model, &x, &y, &[0.2], method);
        assert_eq!(
            fit.convergence_status,
            ConvergenceStatus::Stalled,
            "{method}: {fit}"
        );
        assert!(fit.gradient_cosine > homodyne::STATIONARY_COSINE);
        assert!(!fit.converged());
        assert!(fit.convergence_status.advice().unwrap().contains("start"));
        // A stall is retried from perturbed parameters only: more evaluations or looser
        // tolerances would stop at the same place.
        for action in &fit.recovery_actions {
            assert_eq!(action.action, "perturb_parameters", "{method}");
        }
        assert_eq!(fit.attempts.len(), fit.recovery_actions.len() + 1);
        assert!(fit.to_string().contains("stalled"));
    }
}

#[test]
fn a_streaming_fit_holds_parameters_and_reports_its_attempt() {
    use homodyne::{SliceSource, StreamingOptions};
    let (x, y) = decay_data();
    let models = HeldOrSubstituted::new();
    let source = SliceSource::new(&x, &y, None, 1).unwrap();
    let options = StreamingOptions {
        batch_size: Some(16),
        ..StreamingOptions::default()
    };
    let streamed = |model| Fit::source(model, &source).streaming(options.clone());
    let (held, reference) = models.fits(streamed, 0.0);
    assert_eq!(held.parameter_flags[2], ParameterFlag::Fixed);
    assert_eq!(held.parameters[2], 0.4);
    for k in 0..2 {
        assert_close(held.parameters[k], reference.parameters[k], "streaming");
    }
    assert_eq!(held.attempts.len(), 1);
    assert_eq!(held.attempts[0].nfev, held.nfev);
}

//! Fault injection: models built to fail, and the recovery the wrapper applies.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use homodyne::prelude::*;
use homodyne::{DetectionPoint, JacobianKind, ParameterFlag};

use super::fitting::{cyclic_sigma, fit_by};

fn data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..120).map(|i| i as f64 * 0.05).collect();
    let y = x
        .iter()
        .enumerate()
        .map(|(i, x)| {
            2.5 * (-1.3 * x).exp() + 0.5 + 0.002 * ((i * 7919 % 101) as f64 / 101.0 - 0.5)
        })
        .collect();
    (x, y)
}

const P0: [f64; 3] = [1.0, 0.5, 0.0];

/// `model` fitted to `(x, y)` from [`P0`]: each test adds its settings.
fn from_p0<'a>(model: &'a dyn Model, x: &'a [f64], y: &'a [f64]) -> Fit<'a> {
    Fit::curve(model, x, y).p0(&P0)
}

/// [`SolverOptions::default`] with an evaluation budget of `n`.
fn max_nfev(n: usize) -> SolverOptions {
    SolverOptions {
        max_nfev: Some(n),
        ..SolverOptions::default()
    }
}

/// `a exp(-b x) + c` with exact derivatives and a fault switched in by `fault`.
struct Faulty<F: Fn(&[f64], usize) -> Fault + Sync> {
    fault: F,
    linearizations: AtomicUsize,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    NanJacobian,
    HugeJacobian,
    InfValues,
    NanValues,
}

impl<F: Fn(&[f64], usize) -> Fault + Sync> Faulty<F> {
    fn new(fault: F) -> Self {
        Self {
            fault,
            linearizations: AtomicUsize::new(0),
        }
    }
}

impl<F: Fn(&[f64], usize) -> Fault + Sync> Model for Faulty<F> {
    fn n_params(&self) -> usize {
        3
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        let fault = (self.fault)(p, usize::MAX);
        for (v, &xi) in values.iter_mut().zip(x) {
            *v = match fault {
                Fault::InfValues => f64::INFINITY,
                Fault::NanValues => f64::NAN,
                _ => p[0] * (-p[1] * xi).exp() + p[2],
            };
        }
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        let call = self.linearizations.fetch_add(1, Ordering::SeqCst);
        let fault = (self.fault)(p, call);
        for ((v, row), &xi) in values.iter_mut().zip(jac.chunks_exact_mut(3)).zip(x) {
            let e = (-p[1] * xi).exp();
            *v = match fault {
                Fault::InfValues => f64::INFINITY,
                Fault::NanValues => f64::NAN,
                _ => p[0] * e + p[2],
            };
            let j = [e, -p[0] * xi * e, 1.0];
            row.copy_from_slice(&match fault {
                Fault::NanJacobian => [f64::NAN; 3],
                Fault::HugeJacobian => j.map(|v| v * 1e200),
                _ => j,
            });
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

fn actions(fit: &OptimizationResult) -> Vec<&str> {
    fit.recovery_actions
        .iter()
        .map(|a| a.action.as_str())
        .collect()
}

fn assert_truth(fit: &OptimizationResult) {
    assert!(fit.converged(), "{:?}", fit.termination_reason);
    for (p, t) in fit.parameters.iter().zip([2.5, 1.3, 0.5]) {
        assert!((p - t).abs() < 1e-2, "{:?}", fit.parameters);
    }
}

#[test]
fn a_nan_jacobian_where_the_values_are_finite_is_taken_by_finite_differences() {
    // The exact Jacobian is NaN at the start, the model's values are finite: its entries
    // are taken by central differences, the first attempt converges, and the result says
    // so in a note. No recovery strategy is spent on it.
    let (x, y) = data();
    for method in [Method::Trf, Method::Lm] {
        let model = Faulty::new(|_, call| {
            if call == 0 {
                Fault::NanJacobian
            } else {
                Fault::None
            }
        });
        let fit = from_p0(&model, &x, &y).method(method).run().unwrap();
        assert!(actions(&fit).is_empty(), "{method}: {:?}", actions(&fit));
        assert_eq!(fit.attempts.len(), 1);
        assert!(
            fit.notes.iter().any(|n| n.contains("finite differences")),
            "{method}: {:?}",
            fit.notes
        );
        assert_truth(&fit);
    }
}

#[test]
fn a_nan_jacobian_after_the_start_is_recovered_by_halving_the_step() {
    // The first linearisation away from the start has a NaN Jacobian that finite
    // differences cannot mend (the model is NaN around that point too): a numerical
    // error at iteration 1, which halve_step recovers.
    let (x, y) = data();
    for method in [Method::Trf, Method::Lm] {
        let faults = AtomicUsize::new(0);
        let model = Faulty::new(|p: &[f64], call| {
            let away = p != P0;
            if call != usize::MAX && away && faults.load(Ordering::SeqCst) == 0 {
                faults.fetch_add(1, Ordering::SeqCst);
                Fault::NanJacobian
            } else if call == usize::MAX && away && faults.load(Ordering::SeqCst) == 1 {
                Fault::NanValues
            } else {
                if call != usize::MAX && faults.load(Ordering::SeqCst) == 1 {
                    faults.fetch_add(1, Ordering::SeqCst);
                }
                Fault::None
            }
        });
        let fit = from_p0(&model, &x, &y).method(method).run().unwrap();
        assert_eq!(actions(&fit), ["halve_step"], "{method}");
        assert_eq!(fit.recovery_actions[0].attempt, 1);
        assert!(
            fit.recovery_actions[0].trigger.contains("jacobian"),
            "{}",
            fit.recovery_actions[0].trigger
        );
        assert_eq!(fit.attempts.len(), 2);
        assert_eq!(fit.nfev, fit.attempts[0].nfev + fit.attempts[1].nfev);
        assert!(fit.attempts[0].nfev > 0, "{:?}", fit.attempts);
        assert_truth(&fit);
    }
}

#[test]
fn infinite_loss_beyond_a_parameter_value_is_stepped_around() {
    // Trial steps into the region b > 2 give an infinite loss: the trust region shrinks
    // and the fit converges in its first attempt, so no recovery is recorded.
    let (x, y) = data();
    for method in [Method::Trf, Method::Lm] {
        let model = Faulty::new(|p, _| {
            if p[1] > 2.0 {
                Fault::InfValues
            } else {
                Fault::None
            }
        });
        let fit = fit_by(&model, &x, &y, &[1.0, 1.9, 0.0], method);
        assert_eq!(actions(&fit), Vec::<&str>::new(), "{method}");
        assert_truth(&fit);
    }
}

/// Euclidean distance from the start.
fn distance(p: &[f64]) -> f64 {
    p.iter()
        .zip(P0)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn overflow_unless_the_step_is_halved() {
    // The Jacobian overflows (the gradient turns non-finite) at the first point tried after
    // the start when that point lies more than `reach` from the start, `reach` being 3/4 of
    // the first attempt's first step: that attempt fails, the halved step stays within reach.
    let (x, y) = data();
    for method in [Method::Trf, Method::Lm] {
        let reach: Mutex<Option<f64>> = Mutex::new(None);
        let start_call = AtomicUsize::new(0);
        let model = Faulty::new(|p: &[f64], call| {
            if call == usize::MAX {
                return Fault::None;
            }
            if p == P0 {
                start_call.store(call, Ordering::SeqCst);
                return Fault::None;
            }
            if call != start_call.load(Ordering::SeqCst) + 1 {
                return Fault::None;
            }
            let mut reach = reach.lock().unwrap();
            let limit = *reach.get_or_insert(0.75 * distance(p));
            if distance(p) > limit {
                Fault::HugeJacobian
            } else {
                Fault::None
            }
        });
        let fit = from_p0(&model, &x, &y).method(method).run().unwrap();
        assert_eq!(actions(&fit), ["halve_step"], "{method}");
        assert!(
            fit.recovery_actions[0].trigger.contains("gradient"),
            "{}",
            fit.recovery_actions[0].trigger
        );
        assert_truth(&fit);
    }
}

#[test]
fn a_fit_that_needs_a_larger_budget_gets_it() {
    use homodyne::{RecoveryStrategy, RecoveryStrategyApplicator};
    let (x, y) = data();
    let model = Faulty::new(|_, _| Fault::None);
    let needed = |p0: &[f64]| Fit::curve(&model, &x, &y).p0(p0).run().unwrap().nfev;
    // Starts from which the fit, and the fit from its perturbed start, need about the same
    // number of evaluations: a budget one short of both fails twice, 1.5x of it is enough.
    let candidates = [
        [1.0, 0.5, 0.2],
        [4.0, 3.0, 1.0],
        [0.5, 0.2, 0.1],
        [3.0, 0.3, -0.5],
        [6.0, 2.0, 2.0],
    ];
    let (start, budget) = candidates
        .iter()
        .find_map(|start| {
            let perturbed = RecoveryStrategyApplicator::new(2).start_for(
                RecoveryStrategy::PerturbParameters,
                start,
                0,
                &Bounds::unbounded(3),
            );
            let (a, b) = (needed(start), needed(&perturbed));
            let budget = a.min(b) - 1;
            (budget + budget / 2 >= a.max(b)).then_some((*start, budget))
        })
        .expect("one candidate start needs a larger budget");
    let fit = Fit::curve(&model, &x, &y)
        .p0(&start)
        .options(max_nfev(budget))
        .run()
        .unwrap();
    assert_eq!(actions(&fit), ["perturb_parameters", "increase_iterations"]);
    assert!(
        fit.recovery_actions
            .iter()
            .all(|a| a.trigger.contains("max_nfev")),
        "{:?}",
        fit.recovery_actions
    );
    assert_truth(&fit);
}

#[test]
fn a_model_that_is_nan_at_the_start_fails_at_once_naming_the_point() {
    // No recovery strategy changes the start, where the model is evaluated first: the
    // error comes after one attempt, with the 1-based point where it failed.
    let (x, y) = data();
    let bounds = Bounds::new(vec![-10.0; 3], vec![10.0; 3]).unwrap();
    for method in [Method::Trf, Method::Lm] {
        let model = Faulty::new(|_, _| Fault::NanValues);
        let err = from_p0(&model, &x, &y)
            .bounds(&bounds)
            .method(method)
            .run()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Numerical);
        assert_eq!(err.context().get("attempts"), None, "{err}");
        assert_eq!(err.context().get("point"), Some("1"), "{err}");
        assert!(matches!(
            &err,
            OptimizationError::Numerical {
                detection_point: DetectionPoint::Residuals,
                ..
            }
        ));
        assert!(err.to_string().len() < 400, "{err}");
        assert_eq!(model.linearizations.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn a_panicking_model_is_an_error_that_names_the_panic() {
    let (x, y) = data();
    let model = ClosureModel::new(3, |x: f64, p: &[f64]| {
        if p[1] < 0.0 {
            panic!("rate must be positive, got {}", p[1]);
        }
        p[0] * (-p[1] * x).exp() + p[2]
    });
    let err = Fit::curve(&model, &x, &y)
        .p0(&[1.0, -0.5, 0.0])
        .run()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ModelPanicked);
    assert!(err.to_string().contains("rate must be positive"), "{err}");
}

#[test]
fn recovery_is_deterministic() {
    let (x, y) = data();
    let run = || {
        let model = Faulty::new(|_, _| Fault::None);
        from_p0(&model, &x, &y).options(max_nfev(6)).run().unwrap()
    };
    let (a, b) = (run(), run());
    assert!(!a.recovery_actions.is_empty());
    assert_eq!(a.parameters, b.parameters);
    assert_eq!(a.recovery_actions, b.recovery_actions);
    assert_eq!(a.chi_squared.to_bits(), b.chi_squared.to_bits());
}

#[test]
fn validation_can_be_switched_off_and_fast_mode_skips_it() {
    // A Jacobian of 1e200 trips the gradient check; without validation the fit proceeds.
    let (x, y) = data();
    let huge = Faulty::new(|_, _| Fault::HugeJacobian);
    let strict = NlsqWrapper::builder().enable_recovery(false).build();
    let err = from_p0(&huge, &x, &y).wrapper(strict).run().unwrap_err();
    assert!(
        matches!(
            err,
            OptimizationError::Numerical {
                detection_point: DetectionPoint::Gradient,
                ..
            }
        ),
        "{err}"
    );
    for wrapper in [
        NlsqWrapper::builder()
            .enable_recovery(false)
            .enable_numerical_validation(false)
            .build(),
        NlsqWrapper::builder()
            .enable_recovery(false)
            .fast_mode(true)
            .build(),
    ] {
        assert!(from_p0(&huge, &x, &y).wrapper(wrapper).run().is_ok());
    }
}

#[test]
fn parameters_stuck_at_the_start_or_a_bound_are_flagged() {
    let (x, y) = data();
    // d never enters the model: the data do not determine it.
    let model = ClosureModel::new(4, |x: f64, p: &[f64]| {
        p[0] * (-p[1] * x).exp() + p[2] + 0.0 * p[3]
    });
    let bounds = Bounds::new(vec![0.0, 0.0, 0.6, -1.0], vec![10.0, 5.0, 3.0, 1.0]).unwrap();
    let fit = Fit::curve(&model, &x, &y)
        .p0(&[1.0, 0.5, 1.0, 0.25])
        .bounds(bounds)
        .method(Method::Lm)
        .run()
        .unwrap();
    assert_eq!(
        fit.parameter_flags,
        [
            ParameterFlag::Free,
            ParameterFlag::Free,
            ParameterFlag::AtLowerBound,
            ParameterFlag::Undetermined
        ]
    );
}

#[test]
fn rescaled_data_report_the_original_problem() {
    // The Jacobian is NaN at the first point away from the start in the first three
    // attempts, and the model NaN around it, so finite differences cannot mend it:
    // halve_step, tighten_bounds and rescale_data are applied in turn, and the last
    // attempt (on residuals divided by the range of y) must report the same numbers as a
    // clean fit.
    let (x, y) = data();
    let sigma = cyclic_sigma(y.len(), 0.002, 3);
    let bounds = Bounds::new(vec![0.0, 0.0, -5.0], vec![10.0, 5.0, 5.0]).unwrap();
    for absolute_sigma in [true, false] {
        // Odd: a fault was just injected and the next linearisation clears it.
        let faults = AtomicUsize::new(0);
        let model = Faulty::new(|p: &[f64], call| {
            let away = p != P0;
            let state = faults.load(Ordering::SeqCst);
            if call != usize::MAX && away && state.is_multiple_of(2) && state < 6 {
                faults.fetch_add(1, Ordering::SeqCst);
                Fault::NanJacobian
            } else if call == usize::MAX && away && state % 2 == 1 {
                Fault::NanValues
            } else {
                if call != usize::MAX && state % 2 == 1 {
                    faults.fetch_add(1, Ordering::SeqCst);
                }
                Fault::None
            }
        });
        let weighted = |model| {
            from_p0(model, &x, &y)
                .sigma(&sigma)
                .absolute_sigma(absolute_sigma)
                .bounds(&bounds)
        };
        let fit = weighted(&model as &dyn Model)
            .wrapper(NlsqWrapper::builder().max_retries(3).build())
            .run()
            .unwrap();
        assert_eq!(
            actions(&fit),
            ["halve_step", "tighten_bounds", "rescale_data"]
        );
        let clean = weighted(&Faulty::new(|_, _| Fault::None)).run().unwrap();
        for (a, b) in fit.parameters.iter().zip(&clean.parameters) {
            assert!((a - b).abs() <= 1e-8 * b.abs(), "{a} vs {b}");
        }
        assert!((fit.chi_squared / clean.chi_squared - 1.0).abs() < 1e-8);
        assert!((fit.final_cost / clean.final_cost - 1.0).abs() < 1e-8);
        for (a, b) in fit.uncertainties.iter().zip(&clean.uncertainties) {
            assert!(
                (a / b - 1.0).abs() < 1e-6,
                "absolute_sigma={absolute_sigma}: {a} vs {b}"
            );
        }
    }
}

//! Termination is reported honestly; scaling, rank deficiency and determinism.

use homodyne::ConvergenceStatus;
use homodyne::prelude::*;

use super::fitting::fit_by;

fn decay_data(n: usize) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / n as f64).collect();
    // Deterministic "noise" so the optimum has a non-zero residual.
    let y = x
        .iter()
        .enumerate()
        .map(|(i, x)| 2.5 * (-1.3 * x).exp() + 0.5 + 0.01 * ((i * 7919) % 101) as f64 / 101.0)
        .collect();
    (x, y)
}

fn decay() -> impl Model {
    ClosureModel::new(3, |x: f64, p: &[f64]| p[0] * (-p[1] * x).exp() + p[2])
}

/// `model` fitted to `(x, y)` from `(1, 1, 0)` with `method`: each test adds its settings.
fn fit_from_1_1_0<'a>(model: &'a dyn Model, x: &'a [f64], y: &'a [f64], method: Method) -> Fit<'a> {
    Fit::curve(model, x, y).p0(&[1.0, 1.0, 0.0]).method(method)
}

/// [`SolverOptions::default`] changed by `change`.
fn options(change: impl FnOnce(&mut SolverOptions)) -> SolverOptions {
    let mut options = SolverOptions::default();
    change(&mut options);
    options
}

#[test]
fn exhausted_budget_is_not_called_convergence() {
    let (x, y) = decay_data(200);
    for method in [Method::Trf, Method::Lm] {
        // Without recovery (which would retry with a larger budget).
        let fit = Fit::curve(&decay(), &x, &y)
            .p0(&[1.0, 0.1, 0.0])
            .method(method)
            .options(options(|o| o.max_nfev = Some(3)))
            .wrapper(NlsqWrapper::builder().enable_recovery(false).build())
            .run()
            .unwrap();
        assert_eq!(
            fit.termination_reason,
            TerminationReason::MaxEvaluations,
            "{method}"
        );
        assert_eq!(
            fit.convergence_status,
            ConvergenceStatus::MaxEvaluationsReached
        );
        assert!(!fit.converged());
        assert!(fit.nfev <= 3, "{method}: nfev {}", fit.nfev);
    }
}

#[test]
fn loose_tolerances_stop_early_and_say_which() {
    let (x, y) = decay_data(200);
    for method in [Method::Trf, Method::Lm] {
        let model = decay();
        let fit = fit_from_1_1_0(&model, &x, &y, method);
        let tight = fit.run().unwrap();
        let loose = fit
            .clone()
            .options(options(|o| o.ftol = 1e-3))
            .run()
            .unwrap();
        assert!(loose.converged());
        assert!(
            matches!(
                loose.termination_reason,
                TerminationReason::Ftol | TerminationReason::FtolAndXtol
            ),
            "{method}: {:?}",
            loose.termination_reason
        );
        assert!(
            loose.nfev < tight.nfev,
            "{method}: {} vs {}",
            loose.nfev,
            tight.nfev
        );
        let fit = fit.options(options(|o| o.gtol = 1e-2)).run().unwrap();
        assert_eq!(fit.termination_reason, TerminationReason::Gtol, "{method}");
    }
}

#[test]
fn a_parameter_starting_at_zero_does_not_crawl() {
    // c = 1e4 from c0 = 0: scaling by |p0| + const would take thousands of tiny steps.
    let x: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
    let y: Vec<f64> = x.iter().map(|x| 1e4 + 3.0 * x).collect();
    let model = ClosureModel::new(2, |x: f64, p: &[f64]| p[0] + p[1] * x);
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&model, &x, &y, &[0.0, 0.0], method);
        assert!(
            (fit.parameters[0] - 1e4).abs() < 1e-6,
            "{method}: {:?}",
            fit.parameters
        );
        assert!(fit.nfev <= 15, "{method}: {} evaluations", fit.nfev);
    }
}

#[test]
fn explicit_x_scale_vector_reaches_the_same_optimum() {
    let (x, y) = decay_data(300);
    let model = decay();
    let reference = fit_from_1_1_0(&model, &x, &y, Method::Trf).run().unwrap();
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_from_1_1_0(&model, &x, &y, method)
            .options(options(|o| o.x_scale = XScale::Vector(vec![1.0, 0.5, 0.1])))
            .run()
            .unwrap();
        for (a, b) in fit.parameters.iter().zip(&reference.parameters) {
            assert!(
                (a - b).abs() < 1e-8 * b.abs().max(1.0),
                "{method}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn rank_deficiency_is_reported_not_hidden() {
    // y = (a + b) x: only a + b is identifiable.
    let x: Vec<f64> = (1..=20).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|x| 3.0 * x + 0.01 * (x * 3.7).sin()).collect();
    // Exact derivatives: finite differences would make the two columns differ by their
    // rounding errors (about 1e-11 relative), which is numerically full rank.
    struct SumTimesX;
    impl GenericModel for SumTimesX {
        fn n_params(&self) -> usize {
            2
        }
        fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
            (p[0] + p[1]) * x[0]
        }
    }
    let model = AutoDiff::<_, 2>::new(SumTimesX).unwrap();
    for method in [Method::Trf, Method::Lm] {
        let fit = fit_by(&model, &x, &y, &[1.0, 1.0], method);
        assert_eq!(
            fit.covariance.rank, 1,
            "{method}: condition {:e}",
            fit.covariance.condition_number
        );
        assert!(!fit.covariance.is_full_rank());
        assert!((fit.parameters[0] + fit.parameters[1] - 3.0).abs() < 1e-3);
        // Only a + b is determined: neither parameter alone, and the result says so with
        // infinite uncertainties, never the pseudo-inverse's finite numbers.
        assert_eq!(fit.undetermined(), [0, 1], "{method}");
        assert_eq!(fit.uncertainties, [f64::INFINITY; 2], "{method}");
        assert!(fit.covariance.matrix[(0, 1)].is_nan());
    }
}

#[test]
fn same_bits_with_one_or_two_threads() {
    // 50,000 points span several leaves of the reduction tree.
    let (x, y) = decay_data(50_000);
    let model = decay();
    let run = |threads: usize, method: Method| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| fit_from_1_1_0(&model, &x, &y, method).run().unwrap())
    };
    for method in [Method::Trf, Method::Lm] {
        let (one, two) = (run(1, method), run(2, method));
        assert_eq!(one.parameters, two.parameters, "{method}");
        assert_eq!(one.chi_squared.to_bits(), two.chi_squared.to_bits());
        assert_eq!(one.covariance.matrix, two.covariance.matrix);
        assert_eq!(one.nfev, two.nfev);
    }
}

#[test]
fn several_predictors_per_point() {
    // NIST Nelson's form: log(y) = b1 - b2 x1 exp(-b3 x2), two predictors per point.
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..8 {
        for j in 0..6 {
            let (x1, x2) = (1.0 + i as f64, 10.0 + 5.0 * j as f64);
            x.extend([x1, x2]);
            y.push(2.5 - 0.05 * x1 * (-0.03 * x2).exp());
        }
    }
    let closure = ClosureModel::multi(2, 3, |x: &[f64], b: &[f64]| {
        b[0] - b[1] * x[0] * (-b[2] * x[1]).exp()
    });
    struct Nelson;
    impl GenericModel for Nelson {
        fn n_params(&self) -> usize {
            3
        }
        fn x_dim(&self) -> usize {
            2
        }
        fn eval<T: Scalar>(&self, x: &[f64], b: &[T]) -> T {
            b[0] - b[1] * x[0] * (b[2] * -x[1]).exp()
        }
    }
    let exact = AutoDiff::<_, 3>::new(Nelson).unwrap();
    let p0 = [2.0, 0.1, 0.01];
    for method in [Method::Trf, Method::Lm] {
        for model in [&closure as &dyn Model, &exact] {
            let fit = fit_by(model, &x, &y, &p0, method);
            for (p, t) in fit.parameters.iter().zip([2.5, 0.05, 0.03]) {
                assert!((p - t).abs() < 1e-8 * t, "{method}: {p} vs {t}");
            }
        }
    }
    // Two predictors per point: x must hold 2 N values.
    let err = Fit::curve(&exact, &x[1..], &y).p0(&p0).run().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn observers_see_every_iteration_with_a_falling_cost() {
    use homodyne::{FitObserver, IterationReport};
    use std::sync::Mutex;
    /// What a report says (a report borrows the solver's parameters: not kept).
    struct Seen {
        iteration: usize,
        cost: f64,
    }
    struct Recorder(Mutex<Vec<Seen>>);
    impl FitObserver for Recorder {
        fn on_iteration(&self, report: &IterationReport) {
            self.0.lock().unwrap().push(Seen {
                iteration: report.iteration,
                cost: report.cost,
            });
        }
    }
    let (x, y) = decay_data(500);
    let model = decay();
    for method in [Method::Trf, Method::Lm] {
        let recorder = Recorder(Mutex::new(Vec::new()));
        let fit = fit_from_1_1_0(&model, &x, &y, method)
            .observer(&recorder)
            .run()
            .unwrap();
        let seen = recorder.0.into_inner().unwrap();
        assert_eq!(seen.len(), fit.iterations + 1, "{method}");
        assert_eq!(seen[0].iteration, 0);
        assert!(
            seen.windows(2)
                .all(|w| w[1].cost <= w[0].cost && w[1].iteration == w[0].iteration + 1)
        );
        assert_eq!(seen.last().unwrap().cost, fit.final_cost);
    }
}

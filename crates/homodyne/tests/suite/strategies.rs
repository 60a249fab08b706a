//! Every strategy reaches the same optimum: STANDARD folds the Jacobian by exact QR, LARGE
//! and CHUNKED sum the normal equations (with an exact fallback when ill-conditioned).

use homodyne::prelude::*;
use homodyne_testkit::example::{Decay, ExampleData, decay};

use super::nist::load;
use homodyne_testkit::nist::{Nist, PROBLEMS, Problem};

const FORCED: [OptimizationStrategy; 3] = [
    OptimizationStrategy::Standard,
    OptimizationStrategy::Large,
    OptimizationStrategy::Chunked,
];

/// `a exp(-b x) + c` fitted to `data` from `(1, 1, 0)` with TRF: each test adds its
/// settings.
fn decay_fit(data: &ExampleData) -> Fit<'_> {
    Fit::curve(&Decay, &data.x, &data.y).p0(&[1.0, 1.0, 0.0])
}

/// NIST `problem` from start `start` with exact derivatives (dual numbers) and `strategy`
/// forced.
fn nist_forced(
    problem: &Problem,
    model: Nist,
    start: usize,
    method: Method,
    strategy: OptimizationStrategy,
) -> Result<OptimizationResult, OptimizationError> {
    let model = DynAutoDiff::new(model);
    problem
        .fit(&model, start)
        .method(method)
        .strategy(strategy)
        .run()
}

/// Parameters agree to 1e-8 relative, or to 1e-6 of their uncertainty where the data
/// determine them less well than that (MGH09's b2 has a relative uncertainty near 100%: a
/// cost-based stopping rule pins it to about 1e-7 relative, whatever the accumulation).
/// Uncertainties agree to 1e-6 relative. Returns the largest relative differences of the
/// parameters and of the uncertainties.
fn assert_same(a: &OptimizationResult, b: &OptimizationResult, what: &str) -> (f64, f64) {
    let (mut worst_p, mut worst_u): (f64, f64) = (0.0, 0.0);
    for (k, (p, q)) in a.parameters.iter().zip(&b.parameters).enumerate() {
        let tolerance = 1e-8 * q.abs() + 1e-6 * b.uncertainties[k];
        assert!((p - q).abs() <= tolerance, "{what}: p[{k}] {p} vs {q}");
        worst_p = worst_p.max((p - q).abs() / q.abs());
    }
    for (k, (u, v)) in a.uncertainties.iter().zip(&b.uncertainties).enumerate() {
        assert!(
            (u - v).abs() <= 1e-6 * v.abs(),
            "{what}: sigma[{k}] {u} vs {v}"
        );
        worst_u = worst_u.max((u - v).abs() / v.abs());
    }
    (worst_p, worst_u)
}

#[test]
fn forced_strategies_agree_on_a_large_well_posed_fit() {
    let data = decay(100_000, 0.01, 11);
    for method in [Method::Trf, Method::Lm] {
        let fits: Vec<OptimizationResult> = FORCED
            .iter()
            .map(|&s| decay_fit(&data).method(method).strategy(s).run().unwrap())
            .collect();
        for (fit, s) in fits.iter().zip(FORCED) {
            assert_eq!(fit.strategy, s);
        }
        assert_same(&fits[1], &fits[0], &format!("{method} LARGE"));
        assert_same(&fits[2], &fits[0], &format!("{method} CHUNKED"));
    }
}

#[test]
fn forced_strategies_agree_on_the_nist_problems() {
    // All 12 problems of the acceptance set, both starts, both methods, exact derivatives.
    // The ill-conditioned ones (MGH09, Thurber, Lanczos2, Hahn1, ...) exercise the
    // fallback from the normal equations to the exact fold.
    let mut worst = Vec::new();
    for (name, n) in PROBLEMS {
        let problem = load(name);
        for start in 0..2 {
            for method in [Method::Trf, Method::Lm] {
                let fits: Vec<OptimizationResult> = FORCED
                    .iter()
                    .map(|&s| nist_forced(&problem, Nist(name, n), start, method, s).unwrap())
                    .collect();
                for (fit, s) in fits.iter().zip(FORCED) {
                    assert_eq!(fit.strategy, s);
                }
                let what = format!("{name} start {} {method}", start + 1);
                for (fit, s) in fits[1..].iter().zip(["LARGE", "CHUNKED"]) {
                    let (p, u) = assert_same(fit, &fits[0], &format!("{what} {s}"));
                    worst.push((p, u, what.clone()));
                }
            }
        }
    }
    let p = worst.iter().max_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
    let u = worst.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let within = worst.iter().filter(|w| w.0 <= 1e-8).count();
    println!(
        "NIST, LARGE and CHUNKED against STANDARD: {within} of {} fits agree to 1e-8 relative; \
         largest parameter difference {:.1e} relative ({}), largest uncertainty difference \
         {:.1e} relative ({})",
        worst.len(),
        p.0,
        p.2,
        u.1,
        u.2
    );
}

#[test]
fn small_fits_choose_standard_and_large_fits_large() {
    let data = decay(1000, 0.01, 3);
    let fit = decay_fit(&data).run().unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Standard);
    let off = NlsqWrapper::builder().enable_large_dataset(false).build();
    let big = decay(1_000_000, 0.01, 3);
    let fit = decay_fit(&big).wrapper(off).run().unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Standard);
    let fit = decay_fit(&big).run().unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Large);
}

#[test]
fn large_strategy_gives_the_same_bits_with_one_or_two_threads() {
    let data = decay(60_000, 0.01, 5);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                decay_fit(&data)
                    .strategy(OptimizationStrategy::Large)
                    .run()
                    .unwrap()
            })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.parameters, two.parameters);
    assert_eq!(one.covariance.matrix, two.covariance.matrix);
}

/// Records what a fit reports: iterations, and the progress of every pass.
#[derive(Default)]
struct Recorder {
    iterations: std::sync::Mutex<Vec<usize>>,
    passes: std::sync::Mutex<Vec<homodyne::PassProgress>>,
}

impl homodyne::FitObserver for Recorder {
    fn on_iteration(&self, report: &homodyne::IterationReport) {
        self.iterations.lock().unwrap().push(report.iteration);
    }
    fn on_pass_progress(&self, progress: &homodyne::PassProgress) {
        self.passes.lock().unwrap().push(*progress);
    }
}

#[test]
fn the_observer_sees_every_pass_complete() {
    let n = 100_000;
    let data = decay(n, 0.01, 17);
    let recorder = Recorder::default();
    let fit = decay_fit(&data)
        .strategy(OptimizationStrategy::Chunked)
        .observer(&recorder)
        .run()
        .unwrap();
    let passes = recorder.passes.into_inner().unwrap();
    assert!(
        passes
            .iter()
            .all(|p| p.points_total == n && p.points_done <= n)
    );
    // Every pass over the data ends with all its points done; one linearisation per
    // Jacobian evaluation (the trial point's cost comes with it).
    let completed: Vec<_> = passes.iter().filter(|p| p.points_done == n).collect();
    let linearizations = completed
        .iter()
        .filter(|p| p.kind == homodyne::PassKind::Linearization)
        .count();
    assert_eq!(linearizations, fit.njev);
    // 100,000 points make 13 pieces of 8192: progress arrives in pieces, not only at the end.
    assert!(
        passes.len() >= 13 * completed.len(),
        "{} reports",
        passes.len()
    );
    let iterations = recorder.iterations.into_inner().unwrap();
    assert_eq!(iterations.first(), Some(&0));
    assert_eq!(iterations.last(), Some(&fit.iterations));
}

#[test]
fn a_small_memory_limit_moves_to_a_leaner_strategy_and_says_why() {
    let data = decay(2_000_000, 0.01, 19);
    let lean = decay_fit(&data).memory_limit_gb(0.01);
    let fit = lean.run().unwrap();
    // LARGE by size; 2e6 points need 32 MB: leaner until STREAMING, which for data in
    // memory runs CHUNKED.
    assert_eq!(fit.strategy, OptimizationStrategy::Chunked);
    let notes = fit.strategy_notes.join("\n");
    assert!(notes.starts_with("LARGE needs an estimated"), "{notes}");
    assert!(notes.contains("running CHUNKED"), "{notes}");

    // A forced strategy that does not fit runs anyway, with a warning.
    let fit = lean.strategy(OptimizationStrategy::Standard).run().unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Standard);
    assert_eq!(fit.strategy_notes.len(), 1, "{:?}", fit.strategy_notes);
    assert!(fit.strategy_notes[0].starts_with("warning: strategy STANDARD was requested"));

    // Size alone decides: no notes.
    let fit = decay_fit(&data).run().unwrap();
    assert_eq!(fit.strategy, OptimizationStrategy::Large);
    assert!(fit.strategy_notes.is_empty(), "{:?}", fit.strategy_notes);
}

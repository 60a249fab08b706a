//! Multistart ([`homodyne::multistart`]): a frequency fit whose given start lies in a wrong
//! basin reaches the truth; the same bits on 1 and 2 threads; the seed decides the starts;
//! the report's counts; held parameters stay held; infinite bounds and the fits that are
//! not in memory are refused with typed errors.

use homodyne::prelude::*;
use homodyne::{InvalidInput, MultistartFit, OptimizationStrategy, ParameterFlag, SliceSource};

mod common;
use common::{assert_same_optimum, bits, on_threads};

/// `y = a sin(w x) + c`, observed on `[0, 10)`: in `w` the cost has a local minimum near
/// every frequency whose sine keeps some overlap with the truth's.
struct Sine;

impl GenericModel for Sine {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * x[0]).sin() + p[2]
    }
}

fn sine() -> AutoDiff<Sine, 3> {
    AutoDiff::new(Sine).unwrap()
}

const TRUTH: [f64; 3] = [2.0, 3.0, 0.5];
/// A start in a wrong basin: frequency 1 where the truth's is 3.
const WRONG_START: [f64; 3] = [1.0, 1.0, 0.0];

fn data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..200).map(|i| i as f64 * 0.05).collect();
    let y = x
        .iter()
        .map(|x| TRUTH[0] * (TRUTH[1] * x).sin() + TRUTH[2])
        .collect();
    (x, y)
}

fn bounds() -> Bounds {
    Bounds::new(vec![0.0, 0.1, -2.0], vec![5.0, 5.0, 2.0]).unwrap()
}

/// The fit of `x`, `y` from [`WRONG_START`] within [`bounds`].
fn wrong_start_fit<'a>(model: &'a AutoDiff<Sine, 3>, x: &'a [f64], y: &'a [f64]) -> Fit<'a> {
    Fit::curve(model, x, y).p0(&WRONG_START).bounds(bounds())
}

/// Every figure of two multistarts, bit for bit (not the wall times).
fn assert_same_bits(a: &MultistartFit, b: &MultistartFit, what: &str) {
    assert_eq!(
        bits(&a.result.parameters),
        bits(&b.result.parameters),
        "{what}"
    );
    assert_eq!(
        a.result.final_cost.to_bits(),
        b.result.final_cost.to_bits(),
        "{what}"
    );
    assert_eq!(
        (a.result.iterations, a.result.nfev, a.result.njev),
        (b.result.iterations, b.result.nfev, b.result.njev),
        "{what}"
    );
    assert_eq!(
        bits(a.result.covariance.matrix.as_slice().unwrap()),
        bits(b.result.covariance.matrix.as_slice().unwrap()),
        "{what}"
    );
    let (r, s) = (&a.report, &b.report);
    assert_eq!(
        (r.best, r.in_best_basin, r.n_candidates()),
        (s.best, s.in_best_basin, s.n_candidates()),
        "{what}"
    );
    for (c, d) in r.candidates.iter().zip(&s.candidates) {
        assert_same_optimum(
            (&c.start, &c.result),
            (&d.start, &d.result),
            &format!("{what}: candidate {}", c.index),
        );
        assert_eq!(c.in_best_basin, d.in_best_basin, "{what}");
    }
}

#[test]
fn a_start_in_a_wrong_basin_reaches_the_truth_with_multistart() {
    let (x, y) = data();
    let model = sine();
    let fit = wrong_start_fit(&model, &x, &y);

    // From the given start alone: a local minimum, far from the truth and much costlier.
    let plain = fit.run().unwrap();
    assert!(
        (plain.parameters[1] - TRUTH[1]).abs() > 0.5,
        "the plain fit found w = {}",
        plain.parameters[1]
    );
    assert!(plain.final_cost > 10.0, "plain cost {}", plain.final_cost);

    let multistart = Multistart::new(16).seed(7).budget(60);
    let MultistartFit { result, report } = multistart.run(&fit).unwrap();
    for (got, want) in result.parameters.iter().zip(TRUTH) {
        assert!((got - want).abs() < 1e-10, "{got} vs {want}");
    }
    assert!(result.final_cost < 1e-20, "cost {}", result.final_cost);
    assert_eq!(
        result.convergence_status,
        homodyne::ConvergenceStatus::Converged
    );

    // The report: 1 + 16 candidates, the given start first, the best in the truth's
    // basin, the given start not.
    assert_eq!(report.n_candidates(), 17);
    assert_eq!((report.seed, report.budget), (7, 60));
    assert_eq!(report.candidates[0].start, WRONG_START);
    assert!(
        report
            .candidates
            .iter()
            .enumerate()
            .all(|(i, c)| c.index == i)
    );
    assert_ne!(report.best, 0);
    assert!(report.candidates[report.best].in_best_basin);
    assert!(!report.candidates[0].in_best_basin);
    let flagged = report.candidates.iter().filter(|c| c.in_best_basin).count();
    assert_eq!(report.in_best_basin, flagged);
    assert!((1..17).contains(&flagged), "{flagged} in the best basin");
    // A candidate is in the basin exactly when its fit ended at the truth.
    for c in &report.candidates {
        let r = c.result.as_ref().unwrap();
        let at_truth = (r.parameters[1] - TRUTH[1]).abs() < 1e-3;
        assert_eq!(
            c.in_best_basin, at_truth,
            "candidate {}: {:?}",
            c.index, r.parameters
        );
    }
    // The best has the lowest cost of all (ties to the lowest index).
    let best_cost = report.candidates[report.best]
        .result
        .as_ref()
        .unwrap()
        .final_cost;
    for c in &report.candidates {
        let cost = c.result.as_ref().unwrap().final_cost;
        assert!(cost > best_cost || (cost == best_cost && c.index >= report.best));
    }

    // Fit::multistart runs the same, its note giving the count.
    let through_fit = fit.clone().multistart(multistart).run().unwrap();
    assert_eq!(bits(&through_fit.parameters), bits(&result.parameters));
    let note = through_fit
        .notes
        .iter()
        .find(|n| n.starts_with("multistart:"))
        .expect("a multistart note");
    assert!(
        note.contains(&format!("{flagged} reached its basin")),
        "{note}"
    );

    // The JSON record carries the same counts.
    let json = report.to_json(|s| format!("{s:?}"));
    assert_eq!(json["n_candidates"], 17);
    assert_eq!(json["in_best_basin"], flagged);
    assert_eq!(json["best"], report.best);
    assert_eq!(json["candidates"].as_array().unwrap().len(), 17);
}

#[test]
fn the_same_bits_on_one_and_two_threads() {
    let (x, y) = data();
    let model = sine();
    let run = |threads: usize| {
        on_threads(threads, || {
            Multistart::new(12)
                .seed(3)
                .budget(40)
                .run(&wrong_start_fit(&model, &x, &y))
                .unwrap()
        })
    };
    let (one, two) = (run(1), run(2));
    assert_same_bits(&one, &two, "1 and 2 threads");
    assert_same_bits(&one, &run(2), "run again");
}

#[test]
fn the_seed_decides_the_starts() {
    let (x, y) = data();
    let model = sine();
    let fit = wrong_start_fit(&model, &x, &y);
    let starts = |seed: u64| -> Vec<Vec<f64>> {
        let report = Multistart::new(6).seed(seed).run(&fit).unwrap().report;
        report.candidates.into_iter().map(|c| c.start).collect()
    };
    let (a, b) = (starts(11), starts(12));
    assert_eq!(a, starts(11));
    assert_ne!(a, b);
    // The given start is candidate 0 whatever the seed; the others lie within the bounds,
    // one in each sixth of each parameter's range.
    assert_eq!(
        (a[0].as_slice(), b[0].as_slice()),
        (&WRONG_START[..], &WRONG_START[..])
    );
    let bounds = bounds();
    for k in 0..3 {
        let (lo, hi) = (bounds.lower()[k], bounds.upper()[k]);
        let mut strata: Vec<usize> = a[1..]
            .iter()
            .map(|p| ((p[k] - lo) / (hi - lo) * 6.0) as usize)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, [0, 1, 2, 3, 4, 5], "parameter {k}");
    }
}

#[test]
fn held_parameters_stay_held_in_every_start() {
    let (x, y) = data();
    let model = sine();
    // Held by Fit::fix (at the truth's offset) and, in a second fit, by equal bounds.
    let by_fix = wrong_start_fit(&model, &x, &y).fix(2, TRUTH[2]);
    let equal = Bounds::new(vec![0.0, 0.1, TRUTH[2]], vec![5.0, 5.0, TRUTH[2]]).unwrap();
    let by_bounds = Fit::curve(&model, &x, &y)
        .p0(&[1.0, 1.0, TRUTH[2]])
        .bounds(equal);
    for (what, fit) in [("fix", by_fix), ("equal bounds", by_bounds)] {
        let MultistartFit { result, report } = Multistart::new(8).seed(5).run(&fit).unwrap();
        for c in &report.candidates[1..] {
            assert_eq!(c.start[2], TRUTH[2], "{what}: candidate {}", c.index);
            assert_eq!(c.result.as_ref().unwrap().parameters[2], TRUTH[2], "{what}");
        }
        assert_eq!(result.parameters[2], TRUTH[2], "{what}");
        assert_eq!(result.parameter_flags[2], ParameterFlag::Fixed, "{what}");
        assert!((result.parameters[1] - TRUTH[1]).abs() < 1e-10, "{what}");
    }
}

#[test]
fn an_infinite_bound_of_a_free_parameter_is_refused_naming_it() {
    let (x, y) = data();
    let model = sine();
    let open = Bounds::new(vec![0.0, 0.1, f64::NEG_INFINITY], vec![5.0, 5.0, 2.0]).unwrap();
    let fit = Fit::curve(&model, &x, &y).p0(&WRONG_START).bounds(&open);
    for refused in [
        Multistart::new(4).run(&fit).map(drop),
        fit.clone().multistart(Multistart::new(4)).run().map(drop),
        // No bounds at all: every parameter is unbounded; the first is named.
        Multistart::new(4)
            .run(&Fit::curve(&model, &x, &y).p0(&WRONG_START))
            .map(drop),
    ] {
        let e = refused.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        match &e {
            OptimizationError::InvalidInput {
                problem: InvalidInput::InvalidOption { option, value, .. },
                ..
            } => {
                assert_eq!(*option, "bounds");
                assert!(value.contains("b3") || value.contains("b1"), "{value}");
            }
            other => panic!("not an invalid option: {other}"),
        }
    }
    // Held, the unbounded parameter is not sampled: the multistart runs.
    let held = fit.clone().fix(2, TRUTH[2]);
    let result = Multistart::new(4).seed(1).run(&held).unwrap().result;
    assert_eq!(result.parameters[2], TRUTH[2]);
}

#[test]
fn streaming_and_sources_are_refused() {
    let (x, y) = data();
    let model = sine();
    let fit = wrong_start_fit(&model, &x, &y);
    let source = SliceSource::new(&x, &y, None, 1).unwrap();
    let from_source = Fit::source(&model, &source)
        .p0(&WRONG_START)
        .bounds(bounds());
    for (what, fit) in [
        ("STREAMING", fit.strategy(OptimizationStrategy::Streaming)),
        ("source", from_source),
    ] {
        let e = Multistart::new(4).run(&fit).unwrap_err();
        match &e {
            OptimizationError::InvalidInput {
                problem: InvalidInput::InvalidOption { option, .. },
                ..
            } => assert_eq!(*option, "multistart", "{what}"),
            other => panic!("{what}: not an invalid option: {other}"),
        }
    }
}

#[test]
fn no_extra_starts_finish_the_given_one() {
    let (x, y) = data();
    let model = sine();
    let fit = wrong_start_fit(&model, &x, &y);
    let MultistartFit { result, report } = Multistart::new(0).run(&fit).unwrap();
    assert_eq!((report.n_candidates(), report.best), (1, 0));
    assert_eq!(report.in_best_basin, 1);
    let plain = fit.run().unwrap();
    assert!((result.final_cost - plain.final_cost).abs() <= 1e-9 * plain.final_cost);
}

#[test]
fn settings_no_start_could_run_with_are_refused() {
    let (x, y) = data();
    let model = sine();
    let fit = wrong_start_fit(&model, &x, &y);
    for (multistart, name) in [
        (Multistart::new(4).budget(0), "multistart budget"),
        (Multistart::new(4).basin(-1.0, 1e-3), "multistart cost_rtol"),
        (
            Multistart::new(4).basin(1e-6, f64::NAN),
            "multistart basin_tol",
        ),
    ] {
        match multistart.run(&fit).unwrap_err() {
            OptimizationError::InvalidInput {
                problem: InvalidInput::InvalidOption { option, .. },
                ..
            } => assert_eq!(option, name),
            other => panic!("{name}: not an invalid option: {other}"),
        }
    }
}

/// An observer that asks every fit to stop at once.
struct StopNow;

impl homodyne::FitObserver for StopNow {
    fn on_iteration(&self, _report: &homodyne::IterationReport<'_>) {}
    fn stop_requested(&self) -> bool {
        true
    }
}

#[test]
fn a_stop_on_request_ends_the_multistart() {
    let (x, y) = data();
    let model = sine();
    let fit = wrong_start_fit(&model, &x, &y).observer(&StopNow);
    let e = Multistart::new(4).run(&fit).unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    assert!(e.to_string().contains("multistart candidate"), "{e}");
}

//! What an observer sees of a TRF or LM run: every trial point and every iteration, with
//! their parameters, consistent with the counts of the outcome.

use std::sync::Mutex;

use homodyne_core::{Bounds, ClosureModel, FitObserver, IterationReport, Model, TrialReport};
use homodyne_solvers::{InMemoryObjective, Loss, SolverOptions, SolverOutcome, lm, trf};

/// One reported event, copied out of the borrowed report.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Trial {
        iteration: usize,
        nfev: usize,
        parameters: Vec<f64>,
        cost: f64,
        accepted: bool,
    },
    Iteration {
        iteration: usize,
        nfev: usize,
        parameters: Vec<f64>,
        cost: f64,
    },
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl FitObserver for Recorder {
    fn on_iteration(&self, r: &IterationReport<'_>) {
        self.0.lock().unwrap().push(Event::Iteration {
            iteration: r.iteration,
            nfev: r.nfev,
            parameters: r.parameters.to_vec(),
            cost: r.cost,
        });
    }
    fn on_trial(&self, t: &TrialReport<'_>) {
        self.0.lock().unwrap().push(Event::Trial {
            iteration: t.iteration,
            nfev: t.nfev,
            parameters: t.parameters.to_vec(),
            cost: t.cost,
            accepted: t.accepted,
        });
    }
}

/// Checks the event stream of one run against its outcome; returns the number of trials
/// whose cost was not finite.
fn check(
    label: &str,
    events: &[Event],
    outcome: &SolverOutcome,
    counts_every_iteration: bool,
) -> usize {
    let trials = events
        .iter()
        .filter(|e| matches!(e, Event::Trial { .. }))
        .count();
    assert_eq!(
        trials,
        outcome.nfev - 1,
        "{label}: one trial per evaluation after the first"
    );

    let mut last_iteration: Option<(usize, f64)> = None;
    let mut pending_accept: Option<(&Vec<f64>, f64, usize)> = None;
    let mut trials_since_report = 0;
    let mut expected_nfev = 1;
    let mut non_finite = 0;
    for (k, event) in events.iter().enumerate() {
        match event {
            Event::Trial {
                iteration,
                nfev,
                parameters,
                cost,
                accepted,
            } => {
                expected_nfev += 1;
                assert_eq!(
                    *nfev, expected_nfev,
                    "{label} event {k}: nfev counts every trial"
                );
                let (reported, _) = last_iteration.expect("a report precedes every trial");
                assert_eq!(*iteration, reported + 1, "{label} event {k}");
                assert!(
                    pending_accept.is_none(),
                    "{label} event {k}: trial after an acceptance"
                );
                if !cost.is_finite() {
                    assert!(
                        !accepted,
                        "{label} event {k}: a non-finite trial was accepted"
                    );
                    non_finite += 1;
                }
                if *accepted {
                    pending_accept = Some((parameters, *cost, *iteration));
                }
                trials_since_report += 1;
            }
            Event::Iteration {
                iteration,
                nfev,
                parameters,
                cost,
            } => {
                assert_eq!(*nfev, expected_nfev, "{label} event {k}");
                match last_iteration {
                    None => assert_eq!(*iteration, 0, "{label}: the start is iteration 0"),
                    Some((previous, previous_cost)) => {
                        assert_eq!(*iteration, previous + 1, "{label} event {k}");
                        assert!(
                            trials_since_report > 0,
                            "{label} event {k}: an iteration without trials"
                        );
                        match pending_accept.take() {
                            Some((accepted, accepted_cost, trial_iteration)) => {
                                assert_eq!(
                                    accepted, parameters,
                                    "{label} event {k}: moved to the accepted trial"
                                );
                                assert_eq!(accepted_cost, *cost, "{label} event {k}");
                                assert_eq!(trial_iteration, *iteration, "{label} event {k}");
                                assert!(*cost < previous_cost, "{label} event {k}: the cost fell");
                            }
                            None => {
                                assert!(
                                    counts_every_iteration,
                                    "{label} event {k}: LM reports only moves"
                                );
                                assert_eq!(
                                    *cost, previous_cost,
                                    "{label} event {k}: no move, same cost"
                                );
                                assert_eq!(
                                    k,
                                    events.len() - 1,
                                    "{label}: a report without a move is the last"
                                );
                            }
                        }
                    }
                }
                last_iteration = Some((*iteration, *cost));
                trials_since_report = 0;
            }
        }
    }
    // TRF reports its last outer iteration, moved or not; LM's last rejected trials
    // follow its last report.
    let last_report = events
        .iter()
        .rposition(|e| matches!(e, Event::Iteration { .. }))
        .unwrap();
    let trailing = &events[last_report + 1..];
    assert!(
        trailing.is_empty() || !counts_every_iteration,
        "{label}: TRF reports its last iteration"
    );
    assert!(
        pending_accept.is_none(),
        "{label}: an accepted trial was not reported"
    );
    let Event::Iteration {
        iteration,
        parameters,
        cost,
        ..
    } = &events[last_report]
    else {
        unreachable!()
    };
    assert_eq!(*iteration, outcome.iterations, "{label}");
    assert_eq!(parameters, &outcome.x, "{label}");
    assert_eq!(*cost, outcome.linearization.cost.cost, "{label}");
    non_finite
}

/// Runs TRF and LM on `model` and checks both; returns the non-finite trials seen.
fn run_both<M: Model>(
    label: &str,
    model: &M,
    x: &[f64],
    y: &[f64],
    p0: &[f64],
    bounds: &Bounds,
    options: &SolverOptions,
) -> usize {
    let objective = InMemoryObjective::new(model, x, y, None, options.loss, options.f_scale);
    let mut non_finite = 0;
    for (name, every) in [("trf", true), ("lm", false)] {
        let recorder = Recorder::default();
        let outcome = if every {
            trf(&objective, p0, bounds, options, &recorder)
        } else {
            lm(&objective, p0, bounds, options, &recorder)
        }
        .unwrap_or_else(|e| panic!("{label} {name}: {e}"));
        assert!(
            outcome.iterations >= 2,
            "{label} {name}: too short a run to test: {:?} {} {}",
            outcome.termination,
            outcome.nfev,
            outcome.iterations
        );
        let events = recorder.0.into_inner().unwrap();
        non_finite += check(&format!("{label} {name}"), &events, &outcome, every);
    }
    non_finite
}

fn decay_data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..60).map(|i| i as f64 * 0.1).collect();
    let y = x
        .iter()
        .map(|t| 3.0 * (-1.7 * t).exp() + 0.5 + 0.02 * (7.0 * t).sin())
        .collect();
    (x, y)
}

#[test]
fn observers_see_every_trial_and_the_iterate_of_every_iteration() {
    let (x, y) = decay_data();
    let model = ClosureModel::new(3, |t: f64, p: &[f64]| p[0] * (-p[1] * t).exp() + p[2]);
    let p0 = [1.0, 0.2, 0.0];
    let free = Bounds::unbounded(3);
    run_both(
        "free",
        &model,
        &x,
        &y,
        &p0,
        &free,
        &SolverOptions::default(),
    );
    // The offset's upper bound is active at the optimum.
    let boxed = Bounds::new(vec![0.0, 0.0, -1.0], vec![10.0, 10.0, 0.45]).unwrap();
    run_both(
        "box",
        &model,
        &x,
        &y,
        &p0,
        &boxed,
        &SolverOptions::default(),
    );
    let robust = SolverOptions {
        loss: Loss::SoftL1,
        max_nfev: Some(8),
        ..SolverOptions::default()
    };
    run_both("robust, short budget", &model, &x, &y, &p0, &free, &robust);
}

#[test]
fn a_trial_where_the_model_is_not_finite_is_reported_rejected_with_an_infinite_cost() {
    let (x, y) = decay_data();
    // NaN for a negative rate: the first steps from a tiny rate overshoot into it.
    let model = ClosureModel::new(3, |t: f64, p: &[f64]| {
        p[0] * (-p[1].sqrt() * t).exp() + p[2]
    });
    let non_finite = run_both(
        "nan",
        &model,
        &x,
        &y,
        &[10.0, 0.001, 0.0],
        &Bounds::unbounded(3),
        &SolverOptions::default(),
    );
    assert!(
        non_finite > 0,
        "no non-finite trial: the test lost its point"
    );
}

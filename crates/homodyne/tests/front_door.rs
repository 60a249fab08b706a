//! The front door: what `Fit` promises beyond the strategies' own tests.

use std::sync::Mutex;

use homodyne::prelude::*;
use homodyne::{FitObserver, InvalidInput, IterationReport, SliceSource, TrialReport};
use homodyne_testkit::example::{Decay, decay};

mod common;
use common::bits;

#[test]
fn a_builder_runs_again_and_its_clones_run_alike() {
    let data = decay(500, 0.01, 3);
    let fit = Fit::curve(&Decay, &data.x, &data.y).p0(&[1.0, 1.0, 0.0]);
    let first = fit.run().unwrap();
    let again = fit.run().unwrap();
    let lm = fit.clone().method(Method::Lm).run().unwrap();
    assert_eq!(bits(&first.parameters), bits(&again.parameters));
    assert_eq!(first.method, Method::Trf);
    assert_eq!(lm.method, Method::Lm);
    assert!((lm.parameters[1] - first.parameters[1]).abs() < 1e-9);
}

#[test]
fn the_reference_call_is_the_builder() {
    let data = decay(500, 0.01, 4);
    let options = SolverOptions {
        loss: Loss::SoftL1,
        ..SolverOptions::default()
    };
    let bounds = Bounds::new(vec![0.0; 3], vec![10.0; 3]).unwrap();
    let p0 = [1.0, 1.0, 0.1];
    for method in [Method::Trf, Method::Lm] {
        let reference = NlsqWrapper::new()
            .fit(
                &Decay,
                &data.x,
                &data.y,
                &p0,
                Some(&bounds),
                method,
                &options,
            )
            .unwrap();
        let built = Fit::curve(&Decay, &data.x, &data.y)
            .p0(&p0)
            .bounds(&bounds)
            .method(method)
            .options(options.clone())
            .run()
            .unwrap();
        assert_eq!(bits(&reference.parameters), bits(&built.parameters));
        assert_eq!(reference.nfev, built.nfev);
    }
}

#[test]
fn a_source_brings_its_own_sigma() {
    let data = decay(100, 0.01, 5);
    let sigma = vec![0.01; 100];
    let source = SliceSource::new(&data.x, &data.y, Some(&sigma), 1).unwrap();
    let error = Fit::source(&Decay, &source)
        .p0(&[1.0, 1.0, 0.0])
        .sigma(&sigma)
        .run()
        .unwrap_err();
    assert!(
        matches!(
            &error,
            OptimizationError::InvalidInput {
                problem: InvalidInput::InvalidOption {
                    option: "sigma",
                    ..
                },
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("brings its own sigma"),
        "{error}"
    );
}

#[test]
fn a_missing_start_is_refused_before_any_work() {
    let data = decay(100, 0.01, 6);
    let error = Fit::curve(&Decay, &data.x, &data.y).run().unwrap_err();
    assert!(
        matches!(
            error,
            OptimizationError::InvalidInput {
                problem: InvalidInput::WrongParameterCount { what: "p0", .. },
                ..
            }
        ),
        "{error}"
    );
}

/// Records the parameters of every trial and every iteration.
#[derive(Default)]
struct Recorder {
    trials: Mutex<Vec<(Vec<f64>, bool)>>,
    iterations: Mutex<Vec<Vec<f64>>>,
}

impl FitObserver for Recorder {
    fn on_iteration(&self, report: &IterationReport) {
        self.iterations
            .lock()
            .unwrap()
            .push(report.parameters.to_vec());
    }
    fn on_trial(&self, trial: &TrialReport) {
        self.trials
            .lock()
            .unwrap()
            .push((trial.parameters.to_vec(), trial.accepted));
    }
}

#[test]
fn an_observer_sees_the_parameters_of_trials_and_iterations() {
    let data = decay(300, 0.01, 7);
    for method in [Method::Trf, Method::Lm] {
        let recorder = Recorder::default();
        let fit = Fit::curve(&Decay, &data.x, &data.y)
            .p0(&[1.0, 1.0, 0.0])
            .method(method)
            .observer(&recorder)
            .run()
            .unwrap();
        let trials = recorder.trials.into_inner().unwrap();
        let iterations = recorder.iterations.into_inner().unwrap();
        assert_eq!(
            trials.len(),
            fit.nfev - 1,
            "{method}: one trial per evaluation after the start"
        );
        assert_eq!(
            iterations.first().unwrap(),
            &vec![1.0, 1.0, 0.0],
            "{method}"
        );
        assert_eq!(
            bits(iterations.last().unwrap()),
            bits(&fit.parameters),
            "{method}: the last iteration is at the result"
        );
        let accepted: Vec<&Vec<f64>> = trials.iter().filter(|t| t.1).map(|t| &t.0).collect();
        for point in &accepted {
            assert!(
                iterations.contains(point),
                "{method}: an accepted trial is an iterate"
            );
        }
    }
}

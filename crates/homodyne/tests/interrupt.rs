//! Stopping a fit on request ([`FitObserver::stop_requested`]): TRF and LM in memory end
//! with `Interrupted` where the observer asked, with recovery enabled and no retry; a stop
//! asked for in the middle of a pass over 2e6 points ends it long before it would have
//! finished; a streamed fit stops after the checkpoint due for its last batch and resumes
//! from it to the bits of a fit never stopped; under two processes the one stopped hands
//! the stop in and the other ends with an error naming it, neither waiting.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use homodyne::distributed::Communicator;
use homodyne::prelude::*;
use homodyne::{
    FitObserver, IterationReport, NoObserver, PassProgress, SliceSource, StreamingOptions,
};
use homodyne_solvers::objective::CHUNK_ROWS;
use homodyne_testkit::ThreadGroup;
use homodyne_testkit::example::{Decay, decay};

mod common;
use common::{
    assert_resumed_to_the_same_bits, in_checkpointed_batches, scratch_dir, test_each_method,
};

const P0: [f64; 3] = [1.0, 1.0, 0.0];

/// Asks the fit to stop once it has reported iteration `after_iteration`, or once
/// `after_pieces` pieces of passes (leaves in memory, batches when streamed) are done;
/// counts what it heard and how often it was asked.
struct StopWhen {
    after_iteration: usize,
    after_pieces: usize,
    stop: AtomicBool,
    starts: AtomicUsize,
    last_iteration: AtomicUsize,
    pieces: AtomicUsize,
}

impl StopWhen {
    fn after_iteration(k: usize) -> Self {
        Self::new(k, usize::MAX)
    }

    fn after_pieces(n: usize) -> Self {
        Self::new(usize::MAX, n)
    }

    fn new(after_iteration: usize, after_pieces: usize) -> Self {
        Self {
            after_iteration,
            after_pieces,
            stop: AtomicBool::new(false),
            starts: AtomicUsize::new(0),
            last_iteration: AtomicUsize::new(0),
            pieces: AtomicUsize::new(0),
        }
    }
}

impl FitObserver for StopWhen {
    fn on_iteration(&self, report: &IterationReport<'_>) {
        if report.iteration == 0 {
            // A retry would start again from iteration 0.
            self.starts.fetch_add(1, Ordering::SeqCst);
        }
        self.last_iteration
            .store(report.iteration, Ordering::SeqCst);
        if report.iteration >= self.after_iteration {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    fn on_pass_progress(&self, _progress: &PassProgress) {
        if self.pieces.fetch_add(1, Ordering::SeqCst) + 1 >= self.after_pieces {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The model of [`decay`], counting its calls (each a chunk of points).
struct CountedDecay(AtomicUsize);

impl Model for CountedDecay {
    fn n_params(&self) -> usize {
        3
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        self.0.fetch_add(1, Ordering::Relaxed);
        Decay.eval(x, p, values);
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        self.0.fetch_add(1, Ordering::Relaxed);
        Decay.eval_with_jacobian(x, p, values, jacobian);
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// A fit stopped after iteration 2, with recovery enabled (3 retries allowed): it ends
/// with `Interrupted` naming iteration 2, after a single attempt.
fn stops_after_iteration_two(method: Method) {
    let data = decay(20_000, 0.01, 3);
    let observer = StopWhen::after_iteration(2);
    let wrapper = NlsqWrapper::builder()
        .enable_recovery(true)
        .max_retries(3)
        .build();
    let error = Fit::curve(&Decay, &data.x, &data.y)
        .p0(&[0.1, 5.0, -1.0])
        .method(method)
        .wrapper(wrapper)
        .observer(&observer)
        .run()
        .unwrap_err();
    assert!(error.is_interrupted(), "{method:?}: {error}");
    assert_eq!(error.kind(), ErrorKind::Interrupted);
    assert!(
        error
            .to_string()
            .starts_with("the fit was interrupted on request"),
        "{error}"
    );
    let context = error.context();
    assert_eq!(context.get("iteration"), Some("2"), "{error}");
    assert!(context.get("nfev").is_some(), "{error}");
    // One attempt, never retried, and nothing reported after the stop.
    assert_eq!(observer.starts.load(Ordering::SeqCst), 1, "{error}");
    assert_eq!(context.get("attempts"), None, "{error}");
    assert_eq!(observer.last_iteration.load(Ordering::SeqCst), 2);
    // The same fit without a stop runs on past iteration 2.
    let unstopped = StopWhen::after_iteration(usize::MAX);
    let fit = Fit::curve(&Decay, &data.x, &data.y)
        .p0(&[0.1, 5.0, -1.0])
        .method(method)
        .observer(&unstopped)
        .run()
        .unwrap();
    assert!(
        fit.iterations > 2,
        "{method:?}: {} iterations",
        fit.iterations
    );
}

test_each_method! {
    a_trf_fit_stops_where_asked_and_is_not_retried, an_lm_fit_stops_where_asked_and_is_not_retried:
        stops_after_iteration_two;
}

#[test]
fn a_stop_in_the_middle_of_a_pass_ends_it_early() {
    let n = 2_000_000;
    let data = decay(n, 0.01, 5);
    let model = CountedDecay(AtomicUsize::new(0));
    // Stop once 4 leaves of the first pass (the linearisation at the start) are done.
    let observer = StopWhen::after_pieces(4);
    let error = Fit::curve(&model, &data.x, &data.y)
        .p0(&P0)
        .observer(&observer)
        .run()
        .unwrap_err();
    assert!(error.is_interrupted(), "{error}");
    assert_eq!(error.context().get("iteration"), Some("0"), "{error}");
    assert_eq!(error.context().get("nfev"), Some("0"), "{error}");
    // A whole pass calls the model once per chunk of 256 points: 7813 calls. The leaves
    // under way when the stop came finish their chunk; every other chunk is skipped.
    let calls = model.0.load(Ordering::Relaxed);
    let full_pass = n.div_ceil(CHUNK_ROWS);
    assert!(
        calls < full_pass / 10,
        "{calls} model calls against {full_pass} for a whole pass"
    );
    assert_eq!(observer.starts.load(Ordering::SeqCst), 0);
}

/// The streamed fit of the resume test: 60,000 points in batches of 1,500 (40 a pass), a
/// checkpoint every 4 batches in `dir`.
fn streamed<'a>(
    source: &'a SliceSource<'a>,
    dir: &std::path::Path,
    resume: bool,
    observer: &'a dyn FitObserver,
) -> Result<OptimizationResult, OptimizationError> {
    in_checkpointed_batches(Fit::source(&Decay, source).p0(&P0), dir, resume)
        .observer(observer)
        .run()
}

#[test]
fn a_streamed_fit_stops_after_its_checkpoint_and_resumes_to_the_same_bits() {
    let data = decay(60_000, 0.01, 61);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let reference = streamed(
        &source,
        &scratch_dir("interrupt-reference"),
        false,
        &NoObserver,
    )
    .unwrap();
    assert!(reference.converged());
    let dir = scratch_dir("interrupt-streamed");
    // Stop after batch 52 (the 12th of the second pass), when a checkpoint is due.
    let observer = StopWhen::after_pieces(52);
    let error = streamed(&source, &dir, false, &observer).unwrap_err();
    assert!(error.is_interrupted(), "{error}");
    assert_eq!(error.context().get("batch"), Some("11"), "{error}");
    assert_eq!(observer.pieces.load(Ordering::SeqCst), 52, "{error}");
    let resumed = streamed(&source, &dir, true, &NoObserver).unwrap();
    assert_resumed_to_the_same_bits(&resumed, "homodyne_state_batch_0052.h5", &reference);
}

#[test]
fn a_process_stopped_on_request_stops_the_others_without_waiting() {
    let data = decay(40_000, 0.01, 9);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    // Process 1 alone is asked to stop: in the middle of its first pass (shares in
    // memory), or between passes, after iteration 1 (shares in memory, and streamed).
    type Case = (&'static str, fn() -> StopWhen, bool);
    let stops: [Case; 3] = [
        ("mid-pass", || StopWhen::after_pieces(2), false),
        ("between passes", || StopWhen::after_iteration(1), false),
        (
            "streamed, between passes",
            || StopWhen::after_iteration(1),
            true,
        ),
    ];
    for (case, stop, streamed) in stops {
        let errors: Vec<OptimizationError> = ThreadGroup::new(2).run_each(|process| {
            let observer = if process.rank() == 1 {
                stop()
            } else {
                StopWhen::after_iteration(usize::MAX)
            };
            let mut fit = Fit::source(&Decay, &source)
                .p0(&P0)
                .communicator(&process)
                .observer(&observer);
            if streamed {
                fit = fit.streaming(StreamingOptions {
                    batch_size: Some(10_000),
                    ..StreamingOptions::default()
                });
            }
            fit.run().unwrap_err()
        });
        assert!(errors[1].is_interrupted(), "{case}: {}", errors[1]);
        assert_eq!(
            errors[0].kind(),
            ErrorKind::Communication,
            "{case}: {}",
            errors[0]
        );
        let text = errors[0].to_string();
        assert!(
            text.contains("process 1 failed") && text.contains("interrupted on request"),
            "{case}: {text}"
        );
    }
}

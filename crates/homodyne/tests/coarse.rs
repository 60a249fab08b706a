//! Coarse-to-fine ([`homodyne::coarse`]): stages on strided subsets of the points before
//! the fit of all of them. Every strategy runs the same stages to the bit; a stage that
//! raises the cost of all the points is dropped; without stages the fit is the one it
//! always was; small fits run none; threads, processes and a resumed STREAMING fit keep
//! the bits.

use std::sync::atomic::{AtomicBool, Ordering};

use homodyne::distributed::Communicator;
use homodyne::prelude::*;
use homodyne::{
    CoarseStage, FitObserver, IterationReport, NoObserver, SliceSource, StreamingOptions,
};
use homodyne_testkit::example::{Decay, ExampleData, decay};
use homodyne_testkit::{ThreadGroup, WatchedSource};

mod common;
use common::{
    assert_close, assert_same_optimum, bits, in_checkpointed_batches, on_threads, scratch_dir,
};

const P0: [f64; 3] = [1.0, 1.0, 0.0];

/// The decay fit of `data` from [`P0`] with stages of strides 16 and 4 (blocks of 1024
/// points).
fn staged(data: &ExampleData) -> Fit<'_> {
    Fit::curve(&Decay, &data.x, &data.y)
        .p0(&P0)
        .coarse_to_fine(CoarseToFine::Strides(vec![16, 4]))
}

/// The stages of `a` and `b` are the same: subsets, starts, optima and costs to the bit,
/// and the same ones kept.
fn assert_same_stages(a: &[CoarseStage], b: &[CoarseStage], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (s, t) in a.iter().zip(b) {
        assert_eq!(
            (s.stride, s.n_points, s.used),
            (t.stride, t.n_points, t.used)
        );
        let (r, q) = assert_same_optimum(
            (&s.start, &s.result),
            (&t.start, &t.result),
            &format!("{what}: stride {}", s.stride),
        );
        assert_eq!((r.nfev, r.njev), (q.nfev, q.njev), "{what}");
    }
}

#[test]
fn every_strategy_runs_the_same_stages() {
    let data = decay(60_000, 0.01, 23);
    let reference = staged(&data)
        .strategy(OptimizationStrategy::Standard)
        .run()
        .unwrap();
    // 59 blocks: blocks 0, 16, 32, 48, then every 4th of them.
    let strides: Vec<_> = reference.stages.iter().map(|s| s.stride).collect();
    assert_eq!(strides, [16, 4]);
    assert_eq!(reference.stages[0].n_points, 4 * 1024);
    assert_eq!(reference.stages[1].n_points, 15 * 1024);
    assert_eq!(bits(&reference.stages[0].start), bits(&P0));
    assert!(reference.stages.iter().all(|s| s.used), "{reference}");
    assert_eq!(
        bits(&reference.stages[1].start),
        bits(&reference.stages[0].result.as_ref().unwrap().parameters)
    );
    assert!(reference.converged());
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let streaming = StreamingOptions {
        batch_size: Some(7_000),
        ..StreamingOptions::default()
    };
    let mut others = vec![];
    for strategy in [OptimizationStrategy::Large, OptimizationStrategy::Chunked] {
        others.push((
            format!("{strategy:?}"),
            staged(&data).strategy(strategy).run().unwrap(),
        ));
    }
    others.push((
        "STREAMING from memory".into(),
        staged(&data).streaming(streaming.clone()).run().unwrap(),
    ));
    others.push((
        "STREAMING from a source".into(),
        Fit::source(&Decay, &source)
            .p0(&P0)
            .coarse_to_fine(CoarseToFine::Strides(vec![16, 4]))
            .streaming(streaming.clone())
            .run()
            .unwrap(),
    ));
    for (rank, result) in ThreadGroup::new(2)
        .run_each(|process| {
            Fit::source(&Decay, &source)
                .p0(&P0)
                .coarse_to_fine(CoarseToFine::Strides(vec![16, 4]))
                .communicator(&process as &dyn Communicator)
                .run()
                .unwrap()
        })
        .into_iter()
        .enumerate()
    {
        others.push((format!("2 processes, rank {rank}"), result));
    }
    for (what, result) in &others {
        assert_same_stages(&result.stages, &reference.stages, what);
        assert!(result.converged(), "{what}: {result}");
        for (p, q) in result.parameters.iter().zip(&reference.parameters) {
            assert!((p - q).abs() <= 1e-8 * q.abs(), "{what}: {p} against {q}");
        }
    }
}

/// Without stages the fit is the fit it always was: `Off` at any size, and a fit too
/// small for `Auto`'s stages; with stages, the fit of all the points is the one started
/// where the stages ended, to the bit.
#[test]
fn without_stages_the_fit_is_unchanged_and_with_them_it_starts_where_they_end() {
    let data = decay(60_000, 0.01, 29);
    let plain = Fit::curve(&Decay, &data.x, &data.y).p0(&P0);
    let auto = plain.clone().run().unwrap();
    let off = plain
        .clone()
        .coarse_to_fine(CoarseToFine::Off)
        .run()
        .unwrap();
    assert!(auto.stages.is_empty() && off.stages.is_empty());
    assert_eq!(bits(&auto.parameters), bits(&off.parameters));
    assert_eq!((auto.nfev, auto.njev), (off.nfev, off.njev));

    let with_stages = staged(&data).run().unwrap();
    let last = with_stages.stages.last().unwrap();
    assert!(last.used);
    let from_there = plain
        .clone()
        .p0(&last.result.as_ref().unwrap().parameters)
        .coarse_to_fine(CoarseToFine::Off)
        .run()
        .unwrap();
    assert_eq!(bits(&with_stages.parameters), bits(&from_there.parameters));
    assert_eq!(with_stages.covariance.matrix, from_there.covariance.matrix);
    assert_eq!(
        (with_stages.nfev, with_stages.njev, with_stages.iterations),
        (from_there.nfev, from_there.njev, from_there.iterations)
    );
    // The flags compare with the user's start.
    assert_eq!(with_stages.parameter_flags, off.parameter_flags);
}

/// The JSON record of a fitted stage ([`homodyne::coarse::stage_json`]): its stride,
/// points, counts and whether it was kept, its status named by the caller, no error.
#[test]
fn a_fitted_stages_json_record_names_its_status_as_the_caller_does() {
    let data = decay(20_000, 0.01, 5);
    let fit = staged(&data).run().unwrap();
    let stage = &fit.stages[0];
    let result = stage.result.as_ref().unwrap();
    let json = homodyne::coarse::stage_json(stage, |status| format!("<{status}>"));
    let status = format!("<{}>", result.convergence_status);
    assert_eq!(json["convergence_status"], status.as_str(), "{json}");
    assert_eq!(json["stride"], 16);
    assert_eq!(json["n_points"], stage.n_points);
    assert_eq!(json["iterations"], result.iterations);
    assert_eq!(json["nfev"], result.nfev);
    assert_eq!(json["used"], stage.used);
    assert_eq!(json["seconds"], stage.seconds);
    assert!(json.get("error").is_none(), "{json}");
}

/// `Auto` runs no stage below [`homodyne::coarse::COARSE_FROM_POINTS`] points and one
/// of stride 16 at that size; the fit ends where the fit without stages ends.
#[test]
fn auto_stages_start_at_the_documented_size() {
    let small = decay(homodyne::coarse::COARSE_FROM_POINTS - 1, 0.01, 31);
    let fit = Fit::curve(&Decay, &small.x, &small.y)
        .p0(&P0)
        .options(SolverOptions {
            max_nfev: Some(2),
            ..SolverOptions::default()
        })
        .run()
        .unwrap();
    assert!(fit.stages.is_empty());
    let data = decay(homodyne::coarse::COARSE_FROM_POINTS, 0.01, 31);
    let auto = Fit::curve(&Decay, &data.x, &data.y).p0(&P0).run().unwrap();
    assert_eq!(auto.stages.len(), 1, "{auto}");
    assert_eq!(auto.stages[0].stride, 16);
    assert!(auto.stages[0].used);
    let off = Fit::curve(&Decay, &data.x, &data.y)
        .p0(&P0)
        .coarse_to_fine(CoarseToFine::Off)
        .run()
        .unwrap();
    assert!(auto.converged() && off.converged());
    for (p, q) in auto.parameters.iter().zip(&off.parameters) {
        assert!((p - q).abs() <= 1e-8 * q.abs(), "{p} against {q}");
    }
}

/// Every 4th block of 1024 points is shifted up by 1: the stage of stride 4 fits the
/// shifted points alone, and its optimum raises the cost of all of them above the cost at
/// the true parameters, where the fit starts. The stage is dropped: the fit starts where
/// it would have without it.
#[test]
fn a_stage_that_raises_the_cost_is_dropped() {
    let mut data = decay(40_000, 0.01, 37);
    for (i, y) in data.y.iter_mut().enumerate() {
        if (i / 1024) % 4 == 0 {
            *y += 1.0;
        }
    }
    let start = [2.5, 1.3, 0.5];
    let fit = Fit::curve(&Decay, &data.x, &data.y)
        .p0(&start)
        .coarse_to_fine(CoarseToFine::Strides(vec![4]));
    let result = fit.run().unwrap();
    let stage = &result.stages[0];
    let optimum = &stage.result.as_ref().unwrap().parameters;
    assert!(
        optimum[2] > 1.2,
        "the stage fits the shifted points: {optimum:?}"
    );
    assert!(!stage.used, "{result}");
    let direct = fit.clone().coarse_to_fine(CoarseToFine::Off).run().unwrap();
    assert_eq!(bits(&result.parameters), bits(&direct.parameters));
    assert_eq!(result.nfev, direct.nfev);
    // In memory the last stage is checked by the fit's first linearisation; streamed, by
    // a cost pass of its own: the same verdict.
    let streaming = StreamingOptions {
        batch_size: Some(5_000),
        ..StreamingOptions::default()
    };
    let streamed = fit.clone().streaming(streaming.clone()).run().unwrap();
    assert!(!streamed.stages[0].used, "{streamed}");
    let direct = fit
        .coarse_to_fine(CoarseToFine::Off)
        .streaming(streaming)
        .run()
        .unwrap();
    assert_eq!(bits(&streamed.parameters), bits(&direct.parameters));
}

#[test]
fn stages_give_the_same_bits_with_one_or_two_threads() {
    let data = decay(50_000, 0.01, 41);
    let run = |threads: usize| on_threads(threads, || staged(&data).run().unwrap());
    let (one, two) = (run(1), run(2));
    assert_same_stages(&one.stages, &two.stages, "1 and 2 threads");
    assert_eq!(bits(&one.parameters), bits(&two.parameters));
    assert_eq!(one.covariance.matrix, two.covariance.matrix);
}

/// Stops a fit once it has reported `after` iterations (a stage reports none).
struct StopAfter {
    after: usize,
    stop: AtomicBool,
}

impl FitObserver for StopAfter {
    fn on_iteration(&self, report: &IterationReport<'_>) {
        if report.iteration >= self.after {
            self.stop.store(true, Ordering::SeqCst);
        }
    }
    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// A STREAMING fit with stages, stopped in its fit of all the points and resumed from its
/// checkpoint: the stages run again to the same bits, and the fit ends on the bits of the
/// fit never stopped.
#[test]
fn a_staged_streaming_fit_resumes_to_the_same_bits() {
    let data = decay(60_000, 0.01, 43);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let streamed = |dir: &std::path::Path, resume: bool, observer: &dyn FitObserver| {
        let fit = Fit::source(&Decay, &source)
            .p0(&P0)
            .coarse_to_fine(CoarseToFine::Strides(vec![16]));
        in_checkpointed_batches(fit, dir, resume)
            .observer(observer)
            .run()
    };
    let reference = streamed(&scratch_dir("coarse-reference"), false, &NoObserver).unwrap();
    assert!(reference.converged());
    assert!(reference.stages[0].used);
    let dir = scratch_dir("coarse-stopped");
    let stop = StopAfter {
        after: 1,
        stop: AtomicBool::new(false),
    };
    let error = streamed(&dir, false, &stop).unwrap_err();
    assert!(error.is_interrupted(), "{error}");
    let resumed = streamed(&dir, true, &NoObserver).unwrap();
    let diagnostics = resumed.streaming_diagnostics.as_ref().unwrap();
    assert!(diagnostics.resumed_from.is_some(), "{diagnostics:?}");
    assert_same_stages(&resumed.stages, &reference.stages, "resumed");
    assert_eq!(bits(&resumed.parameters), bits(&reference.parameters));
    assert_eq!(resumed.nfev, reference.nfev);
}

/// A stop asked for during a stage ends the fit there, naming the stage.
#[test]
fn a_stop_in_a_stage_ends_the_fit_there() {
    let data = decay(40_000, 0.01, 47);
    let stop = StopAfter {
        after: 0,
        stop: AtomicBool::new(true),
    };
    let error = staged(&data).observer(&stop).run().unwrap_err();
    assert!(error.is_interrupted(), "{error}");
    assert_eq!(error.context().get("stage"), Some("stride 16"), "{error}");
}

/// A held parameter is held in the stages too: their starts and optima carry its value,
/// and the fit equals the fit of the model with the value substituted.
#[test]
fn stages_hold_held_parameters() {
    let data = decay(40_000, 0.01, 53);
    let result = staged(&data).fix(2, 0.5).run().unwrap();
    assert_eq!(result.stages.len(), 2);
    for stage in &result.stages {
        assert_eq!(stage.start.len(), 3);
        assert_eq!(stage.start[2], 0.5);
        let fitted = stage.result.as_ref().unwrap();
        assert_eq!(fitted.parameters[2], 0.5);
        assert_eq!(fitted.parameter_flags[2], homodyne::ParameterFlag::Fixed);
    }
    assert_eq!(result.parameters[2], 0.5);
    assert!(result.converged(), "{result}");
}

/// Under two processes, a stop asked of one of them during the stages is heard at the
/// stages' first exchange (the check's cost pass): it ends with `Interrupted`, the other
/// with a communication error naming it, and neither waits for the other.
#[test]
fn a_process_stopped_in_its_stages_stops_the_other() {
    let data = decay(40_000, 0.01, 59);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let stop = StopAfter {
        after: 0,
        stop: AtomicBool::new(true),
    };
    let results = ThreadGroup::new(2).run_each(|process| {
        let observer: &dyn FitObserver = if process.rank() == 1 {
            &stop
        } else {
            &NoObserver
        };
        Fit::source(&Decay, &source)
            .p0(&P0)
            .coarse_to_fine(CoarseToFine::Strides(vec![4]))
            .communicator(&process as &dyn Communicator)
            .observer(observer)
            .run()
    });
    let stopped = results[1].as_ref().unwrap_err();
    assert!(stopped.is_interrupted(), "{stopped}");
    assert_eq!(
        stopped.context().get("stage"),
        Some("stride 4"),
        "{stopped}"
    );
    let other = results[0].as_ref().unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Communication, "{other}");
}

/// A STREAMING fit from a source reads its points once for the last stage's check and
/// its own first pass: the check is the linearisation at the stage's optimum, where the
/// fit starts, with the cost at the stage's start from the same read, and the fit takes
/// it as its first pass (TRF and LM alike). The fit makes the passes of the fit started
/// there without stages, to rounding.
#[test]
fn the_last_checks_linearisation_is_the_streaming_fits_first_pass() {
    let n = 60_000;
    let data = decay(n, 0.01, 61);
    let slice = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let streaming = StreamingOptions {
        batch_size: Some(6_000),
        ..StreamingOptions::default()
    };
    for method in [Method::Trf, Method::Lm] {
        let source = WatchedSource::new(&slice);
        let fit = |p0: &[f64], coarse_to_fine: CoarseToFine| {
            Fit::source(&Decay, &source)
                .p0(p0)
                .method(method)
                .coarse_to_fine(coarse_to_fine)
                .streaming(streaming.clone())
                .run()
                .unwrap()
        };
        let staged = fit(&P0, CoarseToFine::Strides(vec![16]));
        let stage = &staged.stages[0];
        assert!(stage.used, "{method:?}: {staged}");
        let passes = staged.streaming_diagnostics.as_ref().unwrap().passes;
        let read = source.take_counts().points as usize;
        // The subset, one read for the check's cost at the start and its linearisation
        // at the optimum (the fit's first pass), the fit's other passes.
        assert_eq!(read, stage.n_points + n + (passes - 1) * n, "{method:?}");
        let diagnostics = staged.streaming_diagnostics.as_ref().unwrap();
        assert_eq!(
            diagnostics.total_batches_processed as usize,
            (passes - 1) * 10,
            "{method:?}"
        );

        let optimum = &stage.result.as_ref().unwrap().parameters;
        let plain = fit(optimum, CoarseToFine::Off);
        assert_eq!(source.counts().points as usize, passes * n, "{method:?}");
        assert_eq!((plain.nfev, plain.njev), (staged.nfev, staged.njev));
        assert!(staged.converged() && plain.converged(), "{method:?}");
        let what = format!("{method:?}");
        assert_close(&staged.parameters, &plain.parameters, 1e-10, &what);
    }
}

/// Read from a source, the dropped stage of [`a_stage_that_raises_the_cost_is_dropped`]
/// is dropped too (its check's cost at the start and linearisation at the optimum from
/// one read), and the fit is the STREAMING fit without stages, to the bit.
#[test]
fn a_stage_that_raises_the_cost_is_dropped_when_streamed_from_a_source() {
    let mut data = decay(40_000, 0.01, 37);
    for (i, y) in data.y.iter_mut().enumerate() {
        if (i / 1024) % 4 == 0 {
            *y += 1.0;
        }
    }
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let fit = Fit::source(&Decay, &source)
        .p0(&[2.5, 1.3, 0.5])
        .streaming(StreamingOptions {
            batch_size: Some(5_000),
            ..StreamingOptions::default()
        });
    let streamed = fit
        .clone()
        .coarse_to_fine(CoarseToFine::Strides(vec![4]))
        .run()
        .unwrap();
    assert!(!streamed.stages[0].used, "{streamed}");
    let direct = fit.coarse_to_fine(CoarseToFine::Off).run().unwrap();
    assert_eq!(bits(&streamed.parameters), bits(&direct.parameters));
    assert_eq!((streamed.nfev, streamed.njev), (direct.nfev, direct.njev));
}

/// Noise-free data: the stage ends on the exact optimum, so the fit of all the points
/// starts with residuals that are rounding noise and stops on a tiny step. That is a
/// converged fit (zero residuals, judged against the cost at the user's start), in memory,
/// LM, and streamed from a source.
#[test]
fn noise_free_data_converge_after_a_stage_that_found_the_optimum() {
    let data = decay(40_000, 0.0, 1);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let streaming = StreamingOptions {
        batch_size: Some(5_000),
        ..StreamingOptions::default()
    };
    let stages = CoarseToFine::Strides(vec![16]);
    let fits = [
        ("in memory", staged(&data).coarse_to_fine(stages.clone())),
        (
            "lm",
            staged(&data)
                .coarse_to_fine(stages.clone())
                .method(Method::Lm),
        ),
        (
            "streamed",
            Fit::source(&Decay, &source)
                .p0(&P0)
                .coarse_to_fine(stages.clone())
                .streaming(streaming),
        ),
    ];
    for (what, fit) in fits {
        let result = fit.run().unwrap();
        assert!(result.stages[0].used, "{what}: {result}");
        assert!(result.converged(), "{what}: {result}");
        for (p, t) in result.parameters.iter().zip(&data.truth) {
            assert!((p - t).abs() <= 1e-10 * t.abs(), "{what}: {p} against {t}");
        }
    }
}

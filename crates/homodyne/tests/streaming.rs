//! STREAMING fits: the same optimum as CHUNKED, faulty batches, checkpoints, and a resume
//! after SIGKILL that ends on the same bits as a fit never interrupted.
//!
//! The kill test runs the fit in a child process: this test binary again, with
//! `HOMODYNE_STREAMING_CHILD` naming the checkpoint directory.

use std::ops::Range;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use homodyne::prelude::*;
use homodyne::random::SplitMix64;
use homodyne::{
    Batch, CallbackSource, CheckpointOptions, DataSource, SliceSource, StreamingOptions,
};
use homodyne_testkit::example::{Decay, ExampleData, decay};

mod common;
use common::{assert_close, assert_resumed_to_the_same_bits, bits, scratch_dir};

const CHILD_VAR: &str = "HOMODYNE_STREAMING_CHILD";
const P0: [f64; 3] = [1.0, 1.0, 0.0];

fn options(batch_size: usize) -> StreamingOptions {
    StreamingOptions {
        batch_size: Some(batch_size),
        ..StreamingOptions::default()
    }
}

/// The decay fit from [`P0`] with `method`, streamed over `source` in batches of
/// `batch_size` points; a test adds its own settings.
fn streamed(source: &dyn DataSource, method: Method, batch_size: usize) -> Fit<'_> {
    Fit::source(&Decay, source)
        .p0(&P0)
        .method(method)
        .streaming(options(batch_size))
}

/// `data` served through a callback named `name`: each read copies its range, then
/// `fault` may spoil the batch or fail the read, as a detector or a disk would.
fn served(
    data: &ExampleData,
    name: &str,
    fault: impl Fn(Range<usize>, &mut Batch) -> Result<(), String> + Send + Sync + 'static,
) -> CallbackSource {
    let (x, y) = (data.x.clone(), data.y.clone());
    CallbackSource::new(y.len(), 1, false, name, move |range, b: &mut Batch| {
        b.x.copy_from_slice(&x[range.clone()]);
        b.y.copy_from_slice(&y[range.clone()]);
        fault(range, b)
    })
}

/// The in-memory TRF fit of `data` without its batches (of `batch_size` points) listed in
/// `excluded`: what a STREAMING fit that excluded them must find.
fn fit_without(data: &ExampleData, batch_size: usize, excluded: &[usize]) -> OptimizationResult {
    let keep: Vec<usize> = (0..data.y.len())
        .filter(|i| !excluded.contains(&(i / batch_size)))
        .collect();
    let x: Vec<f64> = keep.iter().map(|&i| data.x[i]).collect();
    let y: Vec<f64> = keep.iter().map(|&i| data.y[i]).collect();
    Fit::curve(&Decay, &x, &y).p0(&P0).run().unwrap()
}

#[test]
fn streaming_reaches_the_chunked_optimum() {
    let data = decay(200_000, 0.01, 41);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    for method in [Method::Trf, Method::Lm] {
        let in_memory = Fit::curve(&Decay, &data.x, &data.y).p0(&P0).method(method);
        let chunked = in_memory
            .clone()
            .strategy(OptimizationStrategy::Chunked)
            .run()
            .unwrap();
        let streaming = streamed(&source, method, 7_000).run().unwrap();
        assert_eq!(streaming.strategy, OptimizationStrategy::Streaming);
        assert!(streaming.converged(), "{streaming}");
        assert_close(
            &streaming.parameters,
            &chunked.parameters,
            1e-8,
            &format!("{method}: STREAMING against CHUNKED"),
        );
        assert_close(
            &streaming.uncertainties,
            &chunked.uncertainties,
            1e-6,
            "sigma",
        );
        let d = streaming.streaming_diagnostics.as_ref().unwrap();
        assert_eq!(d.n_batches, 29);
        assert_eq!(d.batch_size, 7_000);
        assert!(d.failed_batch_indices.is_empty());
        assert_eq!(d.passes, streaming.nfev);
        assert_eq!(d.total_batches_processed, 29 * d.passes as u64);
        // The points in memory, streamed by the builder itself: the same fit, to the bit.
        let from_memory = in_memory.streaming(options(7_000)).run().unwrap();
        assert_eq!(from_memory.strategy, OptimizationStrategy::Streaming);
        assert_eq!(bits(&from_memory.parameters), bits(&streaming.parameters));
        assert_eq!(from_memory.nfev, streaming.nfev);
    }
}

/// 100 batches of 500 points of the decay example, with NaN in the batches `bad`.
fn faulty_source(data: &ExampleData, bad: Vec<usize>) -> CallbackSource {
    served(data, "faulty detector", move |range, b| {
        if bad.contains(&(range.start / 500)) {
            b.y[17] = f64::NAN;
        }
        Ok(())
    })
}

#[test]
fn batches_with_nan_are_excluded_and_listed() {
    let data = decay(50_000, 0.01, 43);
    let source = faulty_source(&data, vec![3, 50, 97]);
    let fit = streamed(&source, Method::Trf, 500).run().unwrap();
    assert!(fit.converged());
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert_eq!(d.failed_batch_indices, [3, 50, 97]);
    assert!(
        d.failed_batch_reasons[0].contains("y of point 1517 is NaN"),
        "{:?}",
        d.failed_batch_reasons
    );
    assert_eq!(d.error_type_distribution.get("invalid_data"), Some(&3));
    assert_eq!(fit.n_points, 50_000 - 3 * 500);
    // The same fit on the good batches alone.
    let reference = fit_without(&data, 500, &[3, 50, 97]);
    assert_close(&fit.parameters, &reference.parameters, 1e-8, "good batches");
}

#[test]
fn too_many_bad_batches_stop_the_fit_with_the_list() {
    let data = decay(50_000, 0.01, 47);
    let source = faulty_source(&data, (0..60).map(|k| k * 100 / 60).collect());
    let error = streamed(&source, Method::Trf, 500)
        .streaming(StreamingOptions {
            min_success_rate: 0.5,
            ..options(500)
        })
        .run()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let message = error.to_string();
    assert!(message.contains("of 100 batches failed"), "{message}");
    assert!(
        message.contains("batch 0: y of point 17 is NaN"),
        "{message}"
    );
}

#[test]
fn a_read_that_fails_once_is_retried() {
    let data = decay(20_000, 0.01, 53);
    let failed_once = AtomicBool::new(false);
    let source = served(&data, "flaky disk", move |range, _| {
        if range.start == 5_000 && !failed_once.swap(true, Ordering::SeqCst) {
            return Err("EIO".into());
        }
        Ok(())
    });
    let fit = streamed(&source, Method::Lm, 1_000).run().unwrap();
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert!(d.failed_batch_indices.is_empty());
    assert!(d.average_iterations_per_batch > 1.0);
}

#[test]
fn an_unwritable_checkpoint_directory_is_reported_and_the_fit_goes_on() {
    let data = decay(10_000, 0.01, 59);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let dir = scratch_dir("unwritable");
    let file = dir.join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let checkpointed = |stop_on_checkpoint_error| {
        streamed(&source, Method::Trf, 1_000)
            .streaming(StreamingOptions {
                checkpoint: Some(CheckpointOptions::new(file.join("checkpoints"))),
                stop_on_checkpoint_error,
                ..options(1_000)
            })
            .run()
    };
    // The directory cannot even be created: a checkpoint error in the diagnostics, and
    // the fit goes on without checkpoints.
    let fit = checkpointed(false).unwrap();
    assert!(fit.converged());
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert_eq!(d.checkpoints_written, 0);
    assert_eq!(d.checkpoint_errors.len(), 1, "{d:?}");
    assert!(d.checkpoint_errors[0].contains("not-a-directory"), "{d:?}");
    // Unless told to stop.
    let error = checkpointed(true).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Checkpoint, "{error}");

    // A directory that disappears after the start: errors in the diagnostics, fit done.
    let gone = dir.join("gone");
    let deleting = served(&data, "deleting", {
        let gone = gone.clone();
        move |range, _| {
            if range.start == 3_000 {
                let _ = std::fs::remove_dir_all(&gone);
                let _ = std::fs::write(&gone, b"now a file");
            }
            Ok(())
        }
    });
    let fit = streamed(&deleting, Method::Trf, 1_000)
        .checkpoints(CheckpointOptions {
            frequency: 1,
            ..CheckpointOptions::new(&gone)
        })
        .run()
        .unwrap();
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert!(fit.converged());
    // Batches 0-2 are checkpointed before the directory goes (the reader thread, one batch
    // ahead, may remove it before the third save).
    assert!((1..=3).contains(&d.checkpoints_written), "{d:?}");
    assert!(!d.checkpoint_errors.is_empty());
}

/// The highest batch index among the checkpoint files in `dir` (0 when none).
fn latest_batch(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|name| {
                    name.strip_prefix("homodyne_state_batch_")?
                        .strip_suffix(".h5")?
                        .parse()
                        .ok()
                })
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// The data and fit of the resume tests: 60,000 points in batches of 1,500, a checkpoint
/// every 4 batches in `dir`, resuming when asked.
fn checkpointed_fit(dir: &Path, resume: bool) -> OptimizationResult {
    let data = decay(60_000, 0.01, 61);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    streamed(&source, Method::Trf, 1_500)
        .checkpoints(CheckpointOptions {
            frequency: 4,
            keep_last_n: 2,
            resume,
            ..CheckpointOptions::new(dir)
        })
        .run()
        .unwrap()
}

#[test]
fn killed_runs_resume_to_the_same_bits() {
    if let Ok(dir) = std::env::var(CHILD_VAR) {
        // The child: fit until killed (or done).
        let fit = checkpointed_fit(Path::new(&dir), true);
        println!("child finished: {:?}", fit.parameters);
        return;
    }
    let reference_dir = scratch_dir("resume-reference");
    let started = Instant::now();
    let reference = checkpointed_fit(&reference_dir, false);
    let duration = started.elapsed();
    assert!(reference.converged());
    let exe = std::env::current_exe().unwrap();
    // The reference run's batches: the kill comes after a random number of them (seen
    // through the checkpoint files' names, every 4 batches), plus a random few
    // milliseconds, so that it lands anywhere in a pass and the child has something to
    // resume from whatever the machine's speed.
    let total_batches = reference
        .streaming_diagnostics
        .as_ref()
        .unwrap()
        .total_batches_processed;
    let mut random = SplitMix64::new(0x6b11_7e57);
    let mut next = || random.next_f64();
    let mut resumed_from = 0;
    for trial in 0..10 {
        let after_batches = 4 + (next() * (total_batches as f64 - 8.0)) as u64;
        let extra = Duration::from_micros((next() * 5_000.0) as u64);
        let dir = scratch_dir(&format!("resume-{trial}"));
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "killed_runs_resume_to_the_same_bits",
                "--nocapture",
            ])
            .env(CHILD_VAR, &dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60) + 20 * duration;
        while latest_batch(&dir) < after_batches
            && child.try_wait().unwrap().is_none()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(extra);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let resumed = checkpointed_fit(&dir, true);
        assert_eq!(
            bits(&resumed.parameters),
            bits(&reference.parameters),
            "trial {trial} (killed after batch {after_batches} of {total_batches})"
        );
        if resumed
            .streaming_diagnostics
            .as_ref()
            .unwrap()
            .resumed_from
            .is_some()
        {
            resumed_from += 1;
        }
    }
    // Every kill came after a checkpoint: the resume test is not vacuous.
    assert_eq!(
        resumed_from, 10,
        "only {resumed_from} of 10 runs resumed from a checkpoint"
    );
}

#[test]
fn an_interrupted_pass_resumes_from_its_sums() {
    // In-process: a source that fails for good after 45 reads stops the fit (min success
    // rate 1), after checkpoints inside a pass; the resume with a good source ends on the
    // bits of a fit never interrupted.
    let data = decay(30_000, 0.01, 67);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let reference = streamed(&source, Method::Lm, 1_000).run().unwrap();
    let dir = scratch_dir("interrupted-pass");
    let checkpointing = |source: &dyn DataSource, resume: bool| {
        streamed(source, Method::Lm, 1_000)
            .streaming(StreamingOptions {
                checkpoint: Some(CheckpointOptions {
                    frequency: 7,
                    resume,
                    ..CheckpointOptions::new(&dir)
                }),
                min_success_rate: 1.0,
                max_retries_per_batch: 0,
                ..options(1_000)
            })
            .run()
    };
    let reads = AtomicUsize::new(0);
    let dying = served(&data, "dying disk", move |_, _| {
        if reads.fetch_add(1, Ordering::SeqCst) >= 45 {
            return Err("device gone".into());
        }
        Ok(())
    });
    let error = checkpointing(&dying, false).unwrap_err();
    assert!(error.to_string().contains("device gone"), "{error}");
    let resumed = checkpointing(&source, true).unwrap();
    // 45 reads, a checkpoint every 7 batches: the last at batch 42, inside the second pass.
    assert_resumed_to_the_same_bits(&resumed, "homodyne_state_batch_0042.h5", &reference);
}

#[test]
fn a_batch_that_goes_bad_mid_fit_is_excluded_and_the_solver_restarts() {
    // Batch 7 reads fine twice (the first two passes), then fails for good: the objective
    // changes under the solver, which starts again from its last linearised point without
    // the batch. The result is the fit of the other batches.
    let data = decay(20_000, 0.01, 71);
    let reads = AtomicUsize::new(0);
    let source = served(&data, "aging disk", move |range, _| {
        if range.start == 7_000 && reads.fetch_add(1, Ordering::SeqCst) >= 2 {
            return Err("sector unreadable".into());
        }
        Ok(())
    });
    let fit = streamed(&source, Method::Trf, 1_000).run().unwrap();
    assert!(fit.converged(), "{fit}");
    assert_eq!(fit.recovery_actions.len(), 1, "{:?}", fit.recovery_actions);
    assert_eq!(fit.recovery_actions[0].action, "exclude_batch_and_restart");
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert_eq!(d.failed_batch_indices, [7]);
    assert!(d.failed_batch_reasons[0].contains("sector unreadable"));
    assert_eq!(fit.n_points, 19_000);
    let reference = fit_without(&data, 1_000, &[7]);
    assert_close(&fit.parameters, &reference.parameters, 1e-8, "good batches");
}

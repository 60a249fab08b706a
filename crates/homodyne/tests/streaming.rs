//! STREAMING fits: the same optimum as CHUNKED, faulty batches, checkpoints, and a resume
//! after SIGKILL that ends on the same bits as a fit never interrupted.
//!
//! The kill test runs the fit in a child process: this test binary again, with
//! `HOMODYNE_STREAMING_CHILD` naming the checkpoint directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use homodyne::example::{Decay, decay};
use homodyne::prelude::*;
use homodyne::{Batch, CallbackSource, CheckpointOptions, SliceSource, StreamingOptions};

const CHILD_VAR: &str = "HOMODYNE_STREAMING_CHILD";
const P0: [f64; 3] = [1.0, 1.0, 0.0];

/// A fresh, empty directory under the target folder.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn options(batch_size: usize) -> StreamingOptions {
    StreamingOptions {
        batch_size: Some(batch_size),
        ..StreamingOptions::default()
    }
}

#[test]
fn streaming_reaches_the_chunked_optimum() {
    let data = decay(200_000, 0.01, 41);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    for method in [Method::Trf, Method::Lm] {
        let chunked = NlsqWrapper::new()
            .fit(
                &Decay,
                &data.x,
                &data.y,
                &P0,
                None,
                method,
                &FitConfig {
                    strategy: Some(OptimizationStrategy::Chunked),
                    ..FitConfig::default()
                },
            )
            .unwrap();
        let streaming = NlsqWrapper::new()
            .fit_streaming(
                &Decay,
                &source,
                &P0,
                None,
                method,
                &FitConfig::default(),
                &options(7_000),
            )
            .unwrap();
        assert_eq!(streaming.strategy, OptimizationStrategy::Streaming);
        assert!(streaming.converged(), "{streaming}");
        for (k, (a, b)) in streaming
            .parameters
            .iter()
            .zip(&chunked.parameters)
            .enumerate()
        {
            assert!(
                (a - b).abs() <= 1e-8 * b.abs(),
                "{method} p[{k}]: STREAMING {a}, CHUNKED {b}"
            );
        }
        for (a, b) in streaming.uncertainties.iter().zip(&chunked.uncertainties) {
            assert!((a - b).abs() <= 1e-6 * b, "{a} vs {b}");
        }
        let d = streaming.streaming_diagnostics.as_ref().unwrap();
        assert_eq!(d.n_batches, 29);
        assert_eq!(d.batch_size, 7_000);
        assert!(d.failed_batch_indices.is_empty());
        assert_eq!(d.passes, streaming.nfev);
        assert_eq!(d.total_batches_processed, 29 * d.passes as u64);
    }
}

/// 100 batches of 500 points of the decay example, with NaN in the batches `bad`.
fn faulty_source(data: &homodyne::example::ExampleData, bad: Vec<usize>) -> CallbackSource {
    let (x, y) = (data.x.clone(), data.y.clone());
    CallbackSource::new(
        x.len(),
        1,
        false,
        "faulty detector",
        move |range, b: &mut Batch| {
            let batch = range.start / 500;
            b.x.copy_from_slice(&x[range.clone()]);
            b.y.copy_from_slice(&y[range]);
            if bad.contains(&batch) {
                b.y[17] = f64::NAN;
            }
            Ok(())
        },
    )
}

#[test]
fn batches_with_nan_are_excluded_and_listed() {
    let data = decay(50_000, 0.01, 43);
    let source = faulty_source(&data, vec![3, 50, 97]);
    let fit = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
            &options(500),
        )
        .unwrap();
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
    let keep: Vec<usize> = (0..50_000)
        .filter(|i| ![3, 50, 97].contains(&(i / 500)))
        .collect();
    let x: Vec<f64> = keep.iter().map(|&i| data.x[i]).collect();
    let y: Vec<f64> = keep.iter().map(|&i| data.y[i]).collect();
    let reference = NlsqWrapper::new()
        .fit(
            &Decay,
            &x,
            &y,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
        )
        .unwrap();
    for (a, b) in fit.parameters.iter().zip(&reference.parameters) {
        assert!((a - b).abs() <= 1e-8 * b.abs(), "{a} vs {b}");
    }
}

#[test]
fn too_many_bad_batches_stop_the_fit_with_the_list() {
    let data = decay(50_000, 0.01, 47);
    let source = faulty_source(&data, (0..60).map(|k| k * 100 / 60).collect());
    let error = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
            &StreamingOptions {
                min_success_rate: 0.5,
                ..options(500)
            },
        )
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
    let (x, y) = (data.x.clone(), data.y.clone());
    let failed_once = std::sync::atomic::AtomicBool::new(false);
    let source = CallbackSource::new(
        20_000,
        1,
        false,
        "flaky disk",
        move |range, b: &mut Batch| {
            if range.start == 5_000 && !failed_once.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                return Err("EIO".into());
            }
            b.x.copy_from_slice(&x[range.clone()]);
            b.y.copy_from_slice(&y[range]);
            Ok(())
        },
    );
    let fit = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Lm,
            &FitConfig::default(),
            &options(1_000),
        )
        .unwrap();
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
    let result = NlsqWrapper::new().fit_streaming(
        &Decay,
        &source,
        &P0,
        None,
        Method::Trf,
        &FitConfig::default(),
        &StreamingOptions {
            checkpoint: Some(CheckpointOptions::new(file.join("checkpoints"))),
            ..options(1_000)
        },
    );
    // The directory cannot even be created: a checkpoint error in the diagnostics, and
    // the fit goes on without checkpoints.
    let fit = result.unwrap();
    assert!(fit.converged());
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert_eq!(d.checkpoints_written, 0);
    assert_eq!(d.checkpoint_errors.len(), 1, "{d:?}");
    assert!(d.checkpoint_errors[0].contains("not-a-directory"), "{d:?}");
    // Unless told to stop.
    let error = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
            &StreamingOptions {
                checkpoint: Some(CheckpointOptions::new(file.join("checkpoints"))),
                stop_on_checkpoint_error: true,
                ..options(1_000)
            },
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Checkpoint, "{error}");

    // A directory that disappears after the start: errors in the diagnostics, fit done.
    let gone = dir.join("gone");
    let source_clone = source;
    let fit = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &CallbackSource::new(10_000, 1, false, "deleting", {
                let gone = gone.clone();
                let (x, y) = (data.x.clone(), data.y.clone());
                move |range, b: &mut Batch| {
                    if range.start == 3_000 {
                        let _ = std::fs::remove_dir_all(&gone);
                        let _ = std::fs::write(&gone, b"now a file");
                    }
                    b.x.copy_from_slice(&x[range.clone()]);
                    b.y.copy_from_slice(&y[range]);
                    Ok(())
                }
            }),
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
            &StreamingOptions {
                checkpoint: Some(CheckpointOptions {
                    frequency: 1,
                    ..CheckpointOptions::new(&gone)
                }),
                ..options(1_000)
            },
        )
        .unwrap();
    let _ = source_clone;
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
    NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
            &StreamingOptions {
                checkpoint: Some(CheckpointOptions {
                    frequency: 4,
                    keep_last_n: 2,
                    resume,
                    ..CheckpointOptions::new(dir)
                }),
                ..options(1_500)
            },
        )
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
    let mut state: u64 = 0x6b11_7e57;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
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
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
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
    // In-process: a source that fails for good after 30 reads stops the fit (min success
    // rate 1), after checkpoints inside a pass; the resume with a good source ends on the
    // bits of a fit never interrupted.
    let data = decay(30_000, 0.01, 67);
    let reference = {
        let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
        NlsqWrapper::new()
            .fit_streaming(
                &Decay,
                &source,
                &P0,
                None,
                Method::Lm,
                &FitConfig::default(),
                &options(1_000),
            )
            .unwrap()
    };
    let dir = scratch_dir("interrupted-pass");
    let checkpointing = |resume| StreamingOptions {
        checkpoint: Some(CheckpointOptions {
            frequency: 7,
            resume,
            ..CheckpointOptions::new(&dir)
        }),
        min_success_rate: 1.0,
        max_retries_per_batch: 0,
        ..options(1_000)
    };
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let (x, y) = (data.x.clone(), data.y.clone());
    let dying = CallbackSource::new(
        30_000,
        1,
        false,
        "dying disk",
        move |range, b: &mut Batch| {
            if reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 45 {
                return Err("device gone".into());
            }
            b.x.copy_from_slice(&x[range.clone()]);
            b.y.copy_from_slice(&y[range]);
            Ok(())
        },
    );
    let error = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &dying,
            &P0,
            None,
            Method::Lm,
            &FitConfig::default(),
            &checkpointing(false),
        )
        .unwrap_err();
    assert!(error.to_string().contains("device gone"), "{error}");
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let resumed = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Lm,
            &FitConfig::default(),
            &checkpointing(true),
        )
        .unwrap();
    let d = resumed.streaming_diagnostics.as_ref().unwrap();
    // 45 reads, a checkpoint every 7 batches: the last at batch 42, inside the second pass.
    assert!(
        d.resumed_from
            .as_deref()
            .unwrap()
            .ends_with("homodyne_state_batch_0042.h5"),
        "{d:?}"
    );
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&resumed.parameters), bits(&reference.parameters));
    assert_eq!(resumed.nfev, reference.nfev);
}

#[test]
fn a_batch_that_goes_bad_mid_fit_is_excluded_and_the_solver_restarts() {
    // Batch 7 reads fine twice (the first two passes), then fails for good: the objective
    // changes under the solver, which starts again from its last linearised point without
    // the batch. The result is the fit of the other batches.
    let data = decay(20_000, 0.01, 71);
    let (x, y) = (data.x.clone(), data.y.clone());
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let source = CallbackSource::new(
        20_000,
        1,
        false,
        "aging disk",
        move |range, b: &mut Batch| {
            if range.start == 7_000 && reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 2
            {
                return Err("sector unreadable".into());
            }
            b.x.copy_from_slice(&x[range.clone()]);
            b.y.copy_from_slice(&y[range]);
            Ok(())
        },
    );
    let fit = NlsqWrapper::new()
        .fit_streaming(
            &Decay,
            &source,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
            &options(1_000),
        )
        .unwrap();
    assert!(fit.converged(), "{fit}");
    assert_eq!(fit.recovery_actions.len(), 1, "{:?}", fit.recovery_actions);
    assert_eq!(fit.recovery_actions[0].action, "exclude_batch_and_restart");
    let d = fit.streaming_diagnostics.as_ref().unwrap();
    assert_eq!(d.failed_batch_indices, [7]);
    assert!(d.failed_batch_reasons[0].contains("sector unreadable"));
    assert_eq!(fit.n_points, 19_000);
    let keep: Vec<usize> = (0..20_000).filter(|i| i / 1_000 != 7).collect();
    let xs: Vec<f64> = keep.iter().map(|&i| data.x[i]).collect();
    let ys: Vec<f64> = keep.iter().map(|&i| data.y[i]).collect();
    let reference = NlsqWrapper::new()
        .fit(
            &Decay,
            &xs,
            &ys,
            &P0,
            None,
            Method::Trf,
            &FitConfig::default(),
        )
        .unwrap();
    for (a, b) in fit.parameters.iter().zip(&reference.parameters) {
        assert!((a - b).abs() <= 1e-8 * b.abs(), "{a} vs {b}");
    }
}

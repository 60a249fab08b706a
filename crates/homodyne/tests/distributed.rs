//! Distributed fits with threads as the processes ([`ThreadGroup`]): the single-process
//! bits for 1, 2 and 4 processes, a failing process, and a STREAMING fit checkpointed under
//! 2 processes, stopped, and resumed under 4 to the same bits.

use std::path::Path;

use homodyne::distributed::Communicator;
use homodyne::distributed::LEAF_POINTS;
use homodyne::prelude::*;
use homodyne::{CheckpointOptions, DataSource, SliceSource, StreamingOptions};
use homodyne_testkit::example::{Decay, ExampleData, decay};
use homodyne_testkit::{ThreadGroup, WatchedSource};

mod common;
use common::{assert_close, scratch_dir};

const P0: [f64; 3] = [1.0, 1.0, 0.0];

/// Runs `fit` on `size` threads, each with its rank's communicator; the results by rank.
fn on_threads<T: Send>(size: usize, fit: impl Fn(&dyn Communicator) -> T + Sync) -> Vec<T> {
    ThreadGroup::new(size).run_each(|process| fit(&process))
}

/// The decay fit from [`P0`] of the points in memory, with `strategy`: the single-process
/// fit a distributed one must reproduce.
fn single(data: &ExampleData, strategy: OptimizationStrategy) -> OptimizationResult {
    Fit::curve(&Decay, &data.x, &data.y)
        .p0(&P0)
        .strategy(strategy)
        .run()
        .unwrap()
}

/// The decay fit from [`P0`] of `source`, shared among the processes of `communicator`;
/// a test adds its own settings.
fn shared<'a>(source: &'a dyn DataSource, communicator: &'a dyn Communicator) -> Fit<'a> {
    Fit::source(&Decay, source)
        .p0(&P0)
        .communicator(communicator)
}

/// STREAMING in batches of `batch_size` points, checkpointing every batch in `dir` (if
/// any) and resuming from it when `resume` is set.
fn checkpointed(batch_size: usize, dir: Option<&Path>, resume: bool) -> StreamingOptions {
    StreamingOptions {
        batch_size: Some(batch_size),
        checkpoint: dir.map(|dir| CheckpointOptions {
            frequency: 1,
            resume,
            ..CheckpointOptions::new(dir)
        }),
        ..StreamingOptions::default()
    }
}

/// 1, 2 and 4 processes end on the bits of the in-memory fit of all the points, with the
/// same covariance, for STANDARD (exact QR) and LARGE (normal equations).
#[test]
fn every_process_ends_on_the_single_process_bits() {
    let data = decay(6 * LEAF_POINTS + 1234, 0.01, 7);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    for strategy in [OptimizationStrategy::Standard, OptimizationStrategy::Large] {
        let single = single(&data, strategy);
        for size in [1, 2, 4] {
            let results = on_threads(size, |communicator| {
                shared(&source, communicator)
                    .strategy(strategy)
                    .run()
                    .unwrap()
            });
            for (rank, result) in results.iter().enumerate() {
                assert_eq!(
                    result.parameters, single.parameters,
                    "{strategy:?}, {size} processes, rank {rank}"
                );
                assert_eq!(result.covariance.matrix, single.covariance.matrix);
                assert_eq!(result.strategy, strategy);
                assert_eq!(result.n_points, data.y.len());
                assert!(
                    result.strategy_notes.iter().any(|n| n
                        .contains(&format!("distributed over {size} process(es); rank {rank}"))),
                    "{:?}",
                    result.strategy_notes
                );
            }
        }
        // The points in memory, shared by the builder itself: the same bits.
        let from_memory = on_threads(2, |communicator| {
            Fit::curve(&Decay, &data.x, &data.y)
                .p0(&P0)
                .strategy(strategy)
                .communicator(communicator)
                .run()
                .unwrap()
        });
        for result in &from_memory {
            assert_eq!(result.parameters, single.parameters, "{strategy:?}");
        }
    }
}

/// Process counts that are not powers of two combine the shares in another order: the
/// fit agrees with the one-process fit to 1e-12 relative.
#[test]
fn three_and_five_processes_agree_to_rounding() {
    let data = decay(7 * LEAF_POINTS + 321, 0.01, 17);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let single = single(&data, OptimizationStrategy::Large);
    for size in [3, 5] {
        let results = on_threads(size, |communicator| {
            shared(&source, communicator)
                .strategy(OptimizationStrategy::Large)
                .run()
                .unwrap()
        });
        for result in &results {
            assert_eq!(
                result.parameters, results[0].parameters,
                "every process agrees"
            );
            let what = format!("{size} processes");
            assert_close(&result.parameters, &single.parameters, 1e-12, &what);
        }
    }
}

/// A process whose share holds a NaN ends with the error naming the point; every other
/// process with a communication error naming that process. Nobody waits forever.
#[test]
fn a_process_with_unusable_data_stops_every_process() {
    let mut data = decay(4 * LEAF_POINTS, 0.01, 8);
    let bad = 3 * LEAF_POINTS + 10;
    data.y[bad] = f64::NAN;
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let errors = on_threads(2, |communicator| {
        shared(&source, communicator).run().unwrap_err()
    });
    assert_eq!(errors[1].kind(), ErrorKind::InvalidInput);
    assert!(
        errors[1]
            .to_string()
            .contains(&format!("y of point {bad} is NaN")),
        "{}",
        errors[1]
    );
    assert_eq!(errors[0].kind(), ErrorKind::Communication);
    assert!(
        errors[0].to_string().contains("process 1 failed"),
        "{}",
        errors[0]
    );
}

/// STREAMING under 2 processes writes checkpoints (rank 0), stops when a process loses its
/// data, and resumes under 4 processes to the bits of the uninterrupted fit, which are the
/// bits of the in-memory LARGE fit.
#[test]
fn a_streaming_fit_stopped_under_two_processes_resumes_under_four_to_the_same_bits() {
    let data = decay(8 * LEAF_POINTS + 999, 0.01, 9);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let large = single(&data, OptimizationStrategy::Large);
    let dir = scratch_dir("distributed_resume");
    let options = |resume| checkpointed(2 * LEAF_POINTS, Some(&dir), resume);
    let uninterrupted = on_threads(2, |communicator| {
        shared(&source, communicator)
            .streaming(checkpointed(2 * LEAF_POINTS, None, false))
            .run()
            .unwrap()
    });
    assert_eq!(uninterrupted[0].parameters, large.parameters);
    assert_eq!(uninterrupted[1].parameters, large.parameters);
    let passes = uninterrupted[0]
        .streaming_diagnostics
        .as_ref()
        .unwrap()
        .passes;
    assert!(passes >= 6, "{passes} passes");

    // Each process reads 2 batches a pass (its share is 4 of 9 leaves, or 5): rank 1 loses
    // its data in the 4th pass.
    let stopped = on_threads(2, |communicator| {
        // A source that fails for good once it has served 7 reads: a process killed
        // mid-fit, as far as the fit can tell.
        let limit = if communicator.rank() == 1 {
            7
        } else {
            u64::MAX
        };
        let dying = WatchedSource::new(&source).before_read(move |read, _| match read > limit {
            true => Err("the node is gone".to_owned()),
            false => Ok(()),
        });
        shared(&dying, communicator).streaming(options(false)).run()
    });
    let rank0 = stopped[0].as_ref().unwrap_err();
    assert_eq!(rank0.kind(), ErrorKind::Communication, "{rank0}");
    assert!(rank0.to_string().contains("the node is gone"), "{rank0}");
    assert_eq!(
        stopped[1].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let written = std::fs::read_dir(&dir).unwrap().count();
    assert!(written >= 1, "no checkpoint written");

    let resumed = on_threads(4, |communicator| {
        shared(&source, communicator)
            .streaming(options(true))
            .run()
            .unwrap()
    });
    for (rank, result) in resumed.iter().enumerate() {
        assert_eq!(result.parameters, large.parameters, "rank {rank}");
        let diagnostics = result.streaming_diagnostics.as_ref().unwrap();
        assert!(
            diagnostics.resumed_from.is_some(),
            "rank {rank} did not resume"
        );
        assert_eq!(diagnostics.passes, passes, "rank {rank}");
    }
    assert_eq!(
        resumed[0].covariance.matrix,
        uninterrupted[0].covariance.matrix
    );
}

/// Checkpoints of single-process STREAMING (batch order) and of distributed fits (tree
/// order) are not interchangeable: each is refused by the other with a message saying so.
#[test]
fn checkpoints_of_the_two_folds_are_not_mixed() {
    let data = decay(3 * LEAF_POINTS, 0.01, 10);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let alone = |dir: &Path, resume| {
        Fit::source(&Decay, &source)
            .p0(&P0)
            .streaming(checkpointed(LEAF_POINTS, Some(dir), resume))
            .run()
    };
    let sharing = |dir: &Path, resume| {
        on_threads(1, |communicator| {
            shared(&source, communicator)
                .streaming(checkpointed(LEAF_POINTS, Some(dir), resume))
                .run()
        })
        .remove(0)
    };
    type Run<'a> = &'a dyn Fn(&Path, bool) -> Result<OptimizationResult, OptimizationError>;
    // The error of `resumer` resuming from the checkpoints `writer` wrote in `dir`.
    let refusal = |writer: Run, resumer: Run, dir: &str| {
        let dir = scratch_dir(dir);
        writer(&dir, false).unwrap();
        resumer(&dir, true).unwrap_err().to_string()
    };
    let refused = refusal(&alone, &sharing, "distributed_mixed");
    assert!(refused.contains("single-process STREAMING"), "{refused}");
    let refused = refusal(&sharing, &alone, "distributed_mixed_2");
    assert!(
        refused.contains("written by a distributed fit"),
        "{refused}"
    );
}

/// A checkpoint directory that not every process sees (not on a shared file system) is
/// found out before the first pass: every process ends with an error saying so.
#[test]
fn processes_that_see_different_checkpoints_refuse_to_resume() {
    let data = decay(3 * LEAF_POINTS, 0.01, 11);
    let source = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
    let written = scratch_dir("distributed_unshared_written");
    let empty = scratch_dir("distributed_unshared_empty");
    let fit = |communicator: &dyn Communicator, dir: &Path| {
        shared(&source, communicator)
            .streaming(checkpointed(LEAF_POINTS, Some(dir), true))
            .run()
    };
    on_threads(1, |communicator| fit(communicator, &written).unwrap());
    // Rank 0 sees the checkpoints, rank 1 an empty directory of the same name.
    let errors = on_threads(2, |communicator| {
        let dir = if communicator.rank() == 0 {
            &written
        } else {
            &empty
        };
        fit(communicator, dir).unwrap_err()
    });
    for (rank, error) in errors.iter().enumerate() {
        let text = error.to_string();
        assert!(
            text.contains("sees no checkpoint") || text.contains("sees homodyne_state_batch_"),
            "rank {rank}: {text}"
        );
        assert!(
            text.contains("file system every process sees"),
            "rank {rank}: {text}"
        );
    }
}

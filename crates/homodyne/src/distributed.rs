//! Distributed fits: one fit over the points of a [`DataSource`] shared among the
//! processes of a job (MPI through the `homodyne-mpi` crate, or any [`Communicator`]).
//!
//! Every process runs the same [`Fit`] with its own communicator
//! ([`Fit::communicator`](crate::Fit::communicator)):
//! - by default each process reads its share of the points ([`tree_shares`]) into memory
//!   and the fit runs as LARGE, CHUNKED or STANDARD would;
//! - with STREAMING asked for ([`Fit::strategy`](crate::Fit::strategy),
//!   [`Fit::streaming`](crate::Fit::streaming) or
//!   [`Fit::checkpoints`](crate::Fit::checkpoints)), each process reads its share batch by
//!   batch on every pass, with checkpoints written by rank 0 and resume under any number
//!   of processes.
//!
//! # The same answer as one process
//!
//! Each pass, every process sums its share and the sums are exchanged, `O(P^2)` bytes per
//! process whatever the number of points ([`homodyne_solvers::wire`]). Every process
//! combines all of them in the order of the fixed reduction tree, so that every process
//! takes the same step. With a power-of-two number of processes the combined sums are the
//! bits of a single-process in-memory pass, and the fit ends on the parameters the
//! in-memory fit of the same strategy reaches, bit for bit; with other counts they agree
//! to rounding (about `1e-15` relative per pass). Distributed STREAMING sums its batches
//! in tree order too: its optimum is the in-memory LARGE/CHUNKED optimum, bit for bit,
//! where single-process STREAMING adds batches in batch order.
//!
//! # Choices every process must share
//! Set-up is one exchange: every process checks its inputs and reads (or opens) its share,
//! then the processes take rank 0's strategy and batch size (the memory available may
//! differ between nodes) and the smallest and largest observation over all shares (for
//! the rescaling recovery). A process that fails at set-up or in a pass hands the failure
//! in ([`homodyne_solvers::distributed::all_gather_checked`]): it returns its own error,
//! and every other process an [`OptimizationError::Communication`] naming it.
//!
//! # Stopping on request
//! Interrupting a distributed fit is per process: the observer of one process
//! ([`FitObserver::stop_requested`]) stops that process at the next exchange of a pass,
//! where it hands in [`OptimizationError::Interrupted`] as a failure; it ends with that
//! error, every other process with a communication error naming it, and none waits (see
//! [`homodyne_solvers::distributed::interrupt`]). To stop the whole job at once, ask
//! every process's observer (an MPI job's launcher forwards a Ctrl-C to every process).
//!
//! # Checkpoints
//! Under distributed STREAMING, rank 0 alone writes checkpoints, at
//! the end of the passes where the batch clock crosses a multiple of
//! [`crate::CheckpointOptions::frequency`] (a pass advances it by the number of batches of
//! all the points). A checkpoint holds the completed passes (sums over all the points),
//! never a pass in progress, so a fit killed during a pass loses that pass. With
//! `resume`, every process reads the newest valid checkpoint from the directory (which
//! must be on a file system every process sees); the processes check that they read the
//! same one. A checkpoint written by one number of processes resumes under another; with
//! power-of-two counts the resumed fit ends on the bits of the uninterrupted one.

use std::ops::Range;
use std::time::Instant;

use homodyne_checkpoint::CheckpointManager;
use homodyne_core::AttemptSummary;
use homodyne_core::{
    Batch, Context, DataSource, FitObserver, InvalidInput, Method, OptimizationError,
    OptimizationResult, OptimizationStrategy,
};
use homodyne_solvers::distributed::{
    DistributedObjective, ReportsOnly, StreamedShare, all_gather_checked,
};
use homodyne_solvers::streaming::{StreamState, invalid_data};
use homodyne_solvers::{Accumulation, InMemoryObjective, Objective, lm, trf};

pub use homodyne_solvers::distributed::{Communicator, LEAF_POINTS, SingleProcess, tree_shares};

use crate::fit::Fit;
use crate::outcome::result_from_outcome;
use crate::streaming::{
    FOLD_KEY, FOLD_TREE, HdfCheckpointer, check_compatible, checkpoint_metadata, decode_state,
    folded_in_tree, invalid_option, streaming_diagnostics,
};
use crate::validate::validate_start;
use crate::wrapper::NlsqWrapper;
use crate::wrapper::attempt::Attempt;
use crate::wrapper::attempts::{range_of, scaled_sigma};

/// What the processes agree on before the first pass.
#[derive(Debug, Clone, Copy)]
struct Setup {
    strategy: OptimizationStrategy,
    batch_points: u64,
    y_min: f64,
    y_max: f64,
}

impl Setup {
    fn to_bytes(self) -> Vec<u8> {
        let mut out = vec![strategy_code(self.strategy)];
        out.extend_from_slice(&self.batch_points.to_le_bytes());
        out.extend_from_slice(&self.y_min.to_le_bytes());
        out.extend_from_slice(&self.y_max.to_le_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 25 {
            return None;
        }
        let word = |at: usize| <[u8; 8]>::try_from(&bytes[at..at + 8]).ok();
        Some(Self {
            strategy: strategy_of(bytes[0])?,
            batch_points: u64::from_le_bytes(word(1)?),
            y_min: f64::from_le_bytes(word(9)?),
            y_max: f64::from_le_bytes(word(17)?),
        })
    }
}

fn strategy_code(strategy: OptimizationStrategy) -> u8 {
    match strategy {
        OptimizationStrategy::Standard => 0,
        OptimizationStrategy::Large => 1,
        OptimizationStrategy::Chunked => 2,
        OptimizationStrategy::Streaming => 3,
    }
}

fn strategy_of(code: u8) -> Option<OptimizationStrategy> {
    Some(match code {
        0 => OptimizationStrategy::Standard,
        1 => OptimizationStrategy::Large,
        2 => OptimizationStrategy::Chunked,
        3 => OptimizationStrategy::Streaming,
        _ => return None,
    })
}

/// The set-up exchange: this process's set-up (or why it failed) for everyone's; the
/// strategy and batch size of rank 0 and the observations' range over all shares. A
/// process that failed gets a communication error here; it reports its own error instead.
fn agree(
    communicator: &dyn Communicator,
    local: Result<Setup, String>,
) -> Result<Setup, OptimizationError> {
    let all = all_gather_checked(communicator, local.map(Setup::to_bytes), "setup")?
        .iter()
        .map(|bytes| Setup::from_bytes(bytes))
        .collect::<Option<Vec<Setup>>>()
        .ok_or_else(|| OptimizationError::Communication {
            message: "a set-up message of the wrong form".to_owned(),
            context: Context::new().with("rank", communicator.rank()),
        })?;
    let first = *all
        .first()
        .ok_or_else(|| OptimizationError::Communication {
            message: "no set-up messages".to_owned(),
            context: Context::new().with("rank", communicator.rank()),
        })?;
    let (y_min, y_max) = all.iter().fold((first.y_min, first.y_max), |(a, b), s| {
        (a.min(s.y_min), b.max(s.y_max))
    });
    Ok(Setup {
        y_min,
        y_max,
        ..first
    })
}

/// This process's share of `n_points` points.
fn share_of(n_points: usize, communicator: &dyn Communicator) -> Range<usize> {
    tree_shares(n_points, communicator.size())
        .into_iter()
        .nth(communicator.rank())
        .unwrap_or(n_points..n_points)
}

/// Reads `share` of `source` into `batch` and checks its values.
fn read_share(
    source: &dyn DataSource,
    share: &Range<usize>,
    batch: &mut Batch,
) -> Result<(), OptimizationError> {
    let unusable = |details: String| OptimizationError::InvalidInput {
        problem: InvalidInput::UnusableData { details },
        context: Context::new().with("source", source.describe()),
    };
    source
        .read(share.clone(), batch)
        .map_err(|e| unusable(e.to_string()))?;
    match invalid_data(batch, share.start, source.x_dim()) {
        Some(why) => Err(unusable(why)),
        None => Ok(()),
    }
}

/// The note every distributed result carries: the processes and this one's share.
fn share_note(communicator: &dyn Communicator, share: &Range<usize>, n_points: usize) -> String {
    format!(
        "distributed over {} process(es); rank {} held points {}..{} of {n_points}",
        communicator.size(),
        communicator.rank(),
        share.start,
        share.end
    )
}

impl NlsqWrapper {
    /// Fits `fit`'s model to the points of `source` shared among the processes of
    /// `communicator`: this process reads only its share ([`tree_shares`]) into memory.
    /// Every process calls it with the same fit and ends with the same result (see the
    /// [module documentation](self)).
    ///
    /// As a fit of points in memory: the strategy is chosen from the total number of
    /// points (rank 0's choice, STREAMING running as CHUNKED), the recovery strategies
    /// apply, and the covariance is the whole data's. The observer sees this process's
    /// passes and the common iterations.
    pub(crate) fn fit_distributed(
        &self,
        fit: &Fit<'_>,
        source: &dyn DataSource,
        communicator: &dyn Communicator,
    ) -> Result<OptimizationResult, OptimizationError> {
        let (model, method, observer) = (fit.model(), fit.method, fit.observer);
        let started = Instant::now();
        let n_points = source.n_points();
        let share = share_of(n_points, communicator);
        let mut batch = Batch::default();
        let local = validate_start(fit).and_then(|bounds| {
            read_share(source, &share, &mut batch)?;
            let (strategy, notes) =
                self.choose_strategy(fit, model.x_dim(), n_points, source.has_sigma());
            let (y_min, y_max) = range_of(&batch.y);
            Ok((
                bounds,
                notes,
                Setup {
                    strategy,
                    batch_points: 0,
                    y_min,
                    y_max,
                },
            ))
        });
        let setup = agree(
            communicator,
            local.as_ref().map(|l| l.2).map_err(|e| e.to_string()),
        );
        let (bounds, mut notes, _) =
            local.map_err(|e| e.with_context("rank", communicator.rank()))?;
        let setup = setup?;
        notes.push(share_note(communicator, &share, n_points));
        let attempt = self.first_attempt(fit, setup.strategy, bounds);
        let y_range = || (setup.y_min, setup.y_max);
        let weighted = source.has_sigma();
        self.run_with_recovery(started, attempt, notes, &y_range, |attempt| {
            let sigma = scaled_sigma(
                weighted.then_some(batch.sigma.as_slice()),
                attempt.sigma_scale,
                batch.y.len(),
            );
            let accumulation = match attempt.strategy {
                OptimizationStrategy::Standard => Accumulation::Qr,
                _ => Accumulation::NormalEquations,
            };
            let local = InMemoryObjective::new(
                model,
                &batch.x,
                &batch.y,
                sigma.as_deref(),
                attempt.options.loss,
                attempt.options.f_scale,
            )
            .with_accumulation(accumulation)
            .with_observer(observer);
            let objective =
                DistributedObjective::new(local, communicator, share.start, n_points, accumulation)
                    .with_observer(observer);
            let outcome = solve(&objective, method, attempt, observer)
                .map_err(|e| e.with_context("strategy", attempt.strategy))?;
            Ok(result_from_outcome(outcome, fit, attempt, n_points))
        })
    }

    /// Fits `fit`'s model to the points of `source` with the STREAMING strategy, shared
    /// among the processes of `communicator`: this process reads only its share
    /// ([`tree_shares`]), batch by batch, on every pass. Rank 0 writes the checkpoints of
    /// the fit's streaming options; `resume` continues from the newest one under any
    /// number of processes (see the [module documentation](self)).
    ///
    /// As single-process STREAMING, except: a batch that cannot be read, or holds unusable
    /// values, ends the fit with [`InvalidInput::UnusableData`] on that process (and a
    /// communication error naming it on the others) instead of being left out;
    /// checkpoints are written between passes, not inside one; a failed checkpoint save is
    /// recorded in the diagnostics of rank 0 and the fit goes on
    /// (`stop_on_checkpoint_error` is refused, since rank 0 stopping alone would stop the
    /// job); the batch size is rounded down to whole leaves of the reduction tree
    /// ([`homodyne_solvers::distributed::LEAF_POINTS`] points).
    pub(crate) fn fit_streaming_distributed(
        &self,
        fit: &Fit<'_>,
        source: &dyn DataSource,
        communicator: &dyn Communicator,
    ) -> Result<OptimizationResult, OptimizationError> {
        let (model, p0, method, observer) = (fit.model(), &fit.p0[..], fit.method, fit.observer);
        let options = &fit.streaming;
        let started = Instant::now();
        let n_points = source.n_points();
        let share = share_of(n_points, communicator);
        let rank = communicator.rank();
        let local = validate_start(fit).and_then(|bounds| {
            if options.stop_on_checkpoint_error {
                return Err(invalid_option(
                    "stop_on_checkpoint_error",
                    "true".into(),
                    "a distributed fit records failed checkpoint saves and goes on: rank 0 \
                     stopping alone would stop the job",
                ));
            }
            let batch_points = fit.streaming_batch_size(n_points)?;
            Ok((
                bounds,
                Setup {
                    strategy: OptimizationStrategy::Streaming,
                    batch_points: batch_points as u64,
                    y_min: f64::NAN,
                    y_max: f64::NAN,
                },
            ))
        });
        let setup = agree(
            communicator,
            local.as_ref().map(|l| l.1).map_err(|e| e.to_string()),
        );
        let (bounds, _) = local.map_err(|e| e.with_context("rank", rank))?;
        let setup = setup?;
        let share_sums = StreamedShare::new(
            model,
            source,
            share.clone(),
            fit.options.loss,
            fit.options.f_scale,
            usize::try_from(setup.batch_points).unwrap_or(usize::MAX),
            options.max_retries_per_batch,
        );
        let batch_points = share_sums.batch_points();
        let n_batches = n_points.div_ceil(batch_points);

        // Rank 0 writes; every process reads the newest checkpoint when resuming.
        let mut setup_errors = Vec::new();
        let checkpointer = match &options.checkpoint {
            Some(c) if rank == 0 => {
                match CheckpointManager::new(&c.dir, c.frequency, c.keep_last_n, c.compression) {
                    Ok(manager) => {
                        let mut metadata =
                            checkpoint_metadata(n_points, p0.len(), batch_points, source);
                        metadata.extend([
                            (FOLD_KEY.to_string(), FOLD_TREE.to_string()),
                            ("processes".to_string(), communicator.size().to_string()),
                        ]);
                        Some(HdfCheckpointer::new(manager, metadata))
                    }
                    Err(e) => {
                        setup_errors.push(e.to_string());
                        None
                    }
                }
            }
            _ => None,
        };
        let resumed = match &options.checkpoint {
            Some(c) if c.resume => {
                load_for_resume(&c.dir, n_points, p0.len(), batch_points, communicator)
            }
            _ => Ok(None),
        };
        let resumed = agree_on_checkpoint(communicator, resumed)?;
        let (state, resumed_from) = match resumed {
            Some((state, path)) => (state, Some(path)),
            None => (StreamState::new(p0), None),
        };
        let start = state.run_start.clone();
        let mut objective = DistributedObjective::new(
            share_sums,
            communicator,
            share.start,
            n_points,
            Accumulation::NormalEquations,
        )
        .resume(state)?
        .with_observer(observer);
        if let Some(ck) = &checkpointer {
            objective = objective.with_checkpointer(ck, n_batches as u64);
        }
        let mut attempt = self.first_attempt(fit, OptimizationStrategy::Streaming, bounds);
        attempt.p0 = start;
        let outcome = solve(&objective, method, &attempt, observer).map_err(|e| {
            e.with_context("strategy", OptimizationStrategy::Streaming)
                .with_context("rank", rank)
        })?;

        let record = objective.state();
        // The flags compare with the user's start, not the resumed run's.
        attempt.p0 = p0.to_vec();
        let mut result = result_from_outcome(outcome, fit, &attempt, n_points);
        result.attempts = vec![AttemptSummary::of(1, &result)];
        let saves = (
            objective.checkpoints_written(),
            objective.checkpoint_errors(),
        );
        result.streaming_diagnostics = Some(streaming_diagnostics(
            (batch_points, n_batches),
            &record,
            checkpointer.as_ref(),
            saves,
            setup_errors,
            resumed_from,
        ));
        result.strategy_notes = vec![share_note(communicator, &share, n_points)];
        result.wall_time = started.elapsed();
        Ok(result)
    }
}

/// TRF or LM on `objective` from the attempt's start. The solver hears `observer`'s
/// reports but not its stop requests ([`ReportsOnly`]): the objective hands a stop in at
/// a pass's exchange, so that no process is left waiting in one
/// ([`homodyne_solvers::distributed::interrupt`]).
fn solve(
    objective: &dyn Objective,
    method: Method,
    attempt: &Attempt,
    observer: &dyn FitObserver,
) -> Result<homodyne_solvers::SolverOutcome, OptimizationError> {
    let observer = &ReportsOnly(observer);
    let run = |objective: &dyn Objective| match method {
        Method::Trf => trf(
            objective,
            &attempt.p0,
            &attempt.bounds,
            &attempt.options,
            observer,
        ),
        Method::Lm => lm(
            objective,
            &attempt.p0,
            &attempt.bounds,
            &attempt.options,
            observer,
        ),
    };
    run(objective).map_err(|e| e.with_context("method", method))
}

/// The newest valid checkpoint in `dir` for this problem, decoded, with its path.
fn load_for_resume(
    dir: &std::path::Path,
    n_points: usize,
    n_params: usize,
    batch_points: usize,
    communicator: &dyn Communicator,
) -> Result<Option<(StreamState, String)>, OptimizationError> {
    if !dir.exists() {
        return Ok(None);
    }
    // keep_last_n and compression do not matter for reading.
    let manager = CheckpointManager::new(dir, 1, 1, false)?;
    let Some(checkpoint) = manager.load_latest_checkpoint()? else {
        return Ok(None);
    };
    let path = checkpoint.path.display().to_string();
    let in_path = |e: OptimizationError| e.with_context("path", &path);
    if !folded_in_tree(&checkpoint.metadata) {
        return Err(in_path(OptimizationError::Checkpoint {
            message: "the checkpoint was written by a single-process STREAMING fit, whose \
                      sums are folded in batch order: a distributed fit cannot continue it \
                      (resume it without distributing, or remove the checkpoints to start \
                      afresh)"
                .to_owned(),
            context: Context::new().with("rank", communicator.rank()),
            source: None,
        }));
    }
    check_compatible(&checkpoint.metadata, n_points, n_params, batch_points).map_err(in_path)?;
    let state = decode_state(&checkpoint.optimizer_state, &checkpoint.metadata).map_err(in_path)?;
    Ok(Some((state, path)))
}

/// Checks that every process resumes from the same checkpoint (the same file name and
/// pass count), or that none resumes.
fn agree_on_checkpoint(
    communicator: &dyn Communicator,
    local: Result<Option<(StreamState, String)>, OptimizationError>,
) -> Result<Option<(StreamState, String)>, OptimizationError> {
    let describe = |found: &Option<(StreamState, String)>| match found {
        None => "no checkpoint".to_owned(),
        Some((state, path)) => {
            let name = std::path::Path::new(path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
            format!("{name} ({} passes)", state.passes.len())
        }
    };
    let bytes = local
        .as_ref()
        .map(|found| describe(found).into_bytes())
        .map_err(|e| e.to_string());
    let exchanged = all_gather_checked(communicator, bytes, "resume");
    let local = local.map_err(|e| e.with_context("rank", communicator.rank()))?;
    let all = exchanged?;
    let mine = describe(&local);
    if let Some((other, seen)) = all
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .enumerate()
        .find(|(_, seen)| *seen != mine)
    {
        return Err(OptimizationError::Checkpoint {
            message: format!(
                "process {} sees {mine} in the checkpoint directory, process {other} sees \
                 {seen}: the directory must be on a file system every process sees",
                communicator.rank()
            ),
            context: Context::new().with("rank", communicator.rank()),
            source: None,
        });
    }
    Ok(local)
}

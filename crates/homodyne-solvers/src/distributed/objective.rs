//! [`DistributedObjective`]: one process's objective in a distributed fit, its share's
//! sums exchanged for every other's at each pass, recorded for checkpoints and resume.

use std::sync::Mutex;

use homodyne_core::{Context, FitObserver, InvalidSample, NoObserver, OptimizationError, PassKind};

use super::exchange::{Communicator, all_gather_checked};
use super::share::ShareSums;
use super::tree::combine_shares;
use crate::objective::{Accumulation, CostEvaluation, Linearization, Objective, SumsState};
use crate::streaming::{PassCheckpointer, PassRecord, PassResult, StreamState};

/// One process's objective in a distributed fit: the points of its share (the rank's
/// entry of [`tree_shares`](super::tree_shares) over all `n_points`), with every pass's
/// sums combined across the processes by [`combine_shares`], so that every process sees the
/// sums of the whole data, the same bits as a single process would.
///
/// # Failures
/// A process whose share fails (a panic in the model, a batch that cannot be read, data
/// that are not finite) hands the failure in at the pass's exchange
/// ([`all_gather_checked`]): it returns its own error, and every other process an
/// [`OptimizationError::Communication`] naming it. No process waits for it.
///
/// # Checkpoints and resume
/// Every completed pass is recorded ([`PassRecord`]: where it was asked for and what it
/// returned, the sums of all the points, the same on every process). With a
/// [`PassCheckpointer`] (given to one process only, rank 0) the record is saved after a
/// pass as a [`StreamState`] without a pass in progress. [`DistributedObjective::resume`]
/// replays a record: the solver, started again from the record's `run_start`, asks for the
/// recorded passes at the very same parameters and gets the recorded results, then goes on
/// computing. The record holds sums over all the points, not over shares, so a fit may
/// resume with another number of processes; with power-of-two counts before and after it
/// ends on the very bits of the uninterrupted fit.
pub struct DistributedObjective<'a, S: ShareSums, C: Communicator + ?Sized> {
    share: S,
    communicator: &'a C,
    /// Index of the share's first point among all the points.
    offset: usize,
    n_points: usize,
    accumulation: Accumulation,
    /// Asked whether to stop, before and after this share's part of each pass.
    observer: &'a dyn FitObserver,
    checkpointer: Option<&'a dyn PassCheckpointer>,
    /// What the checkpoint clock advances by per pass (batches over all the points).
    batches_per_pass: u64,
    record: Mutex<Record>,
}

/// The passes of the run so far, and the checkpoint bookkeeping.
struct Record {
    state: StreamState,
    /// Passes asked for so far (replayed or computed).
    cursor: usize,
    checkpoints_written: usize,
    checkpoint_errors: Vec<String>,
}

impl<'a, S: ShareSums, C: Communicator + ?Sized> DistributedObjective<'a, S, C> {
    /// The objective of this process: `share` over the points of its share, which starts
    /// at point `offset` of `n_points` in all; `accumulation` as for
    /// [`crate::objective::InMemoryObjective::with_accumulation`].
    pub fn new(
        share: S,
        communicator: &'a C,
        offset: usize,
        n_points: usize,
        accumulation: Accumulation,
    ) -> Self {
        Self {
            share,
            communicator,
            offset,
            n_points,
            accumulation,
            observer: &NoObserver,
            checkpointer: None,
            batches_per_pass: 1,
            record: Mutex::new(Record {
                state: StreamState::new(&[]),
                cursor: 0,
                checkpoints_written: 0,
                checkpoint_errors: Vec::new(),
            }),
        }
    }

    /// Replays `state` (a record saved by a fit of the same problem, with any number of
    /// processes): the caller runs the solver from `state.run_start`. A fresh fit that
    /// saves checkpoints starts from `StreamState::new(p0)`, so that its record names `p0`.
    /// A state holding a pass in progress (a single-process STREAMING checkpoint) is
    /// refused: its sums are one process's, folded in batch order.
    pub fn resume(self, state: StreamState) -> Result<Self, OptimizationError> {
        if state.partial.is_some() || state.runs != 1 || !state.failed_batches.is_empty() {
            return Err(OptimizationError::Checkpoint {
                message: "the checkpoint holds a pass in progress, a restart or excluded \
                          batches: it was written by a single-process STREAMING fit, which a \
                          distributed fit cannot continue"
                    .to_owned(),
                context: Context::new(),
                source: None,
            });
        }
        self.lock().state = state;
        Ok(self)
    }

    /// Saves the record through `checkpointer` (on one process only), advancing its clock by
    /// `batches_per_pass` per pass: `checkpointer.should_save` is asked for every batch
    /// count a pass crosses.
    pub fn with_checkpointer(
        mut self,
        checkpointer: &'a dyn PassCheckpointer,
        batches_per_pass: u64,
    ) -> Self {
        self.checkpointer = Some(checkpointer);
        self.batches_per_pass = batches_per_pass.max(1);
        self
    }

    /// Asks `observer` whether to stop before and after this process computes its share of
    /// each pass; a stop is handed in at the pass's exchange, so that this process ends
    /// with [`OptimizationError::Interrupted`] and every other one with a communication
    /// error naming it ([`interrupt`](super::interrupt)). Give the solver
    /// [`ReportsOnly`](super::ReportsOnly) of the same observer.
    pub fn with_observer(mut self, observer: &'a dyn FitObserver) -> Self {
        self.observer = observer;
        self
    }

    /// This share's sums of a pass by `compute`, or [`OptimizationError::Interrupted`]
    /// when the observer asks to stop before or during it (its sums may then miss
    /// skipped chunks).
    fn share_sums(
        &self,
        compute: impl FnOnce() -> Result<SumsState, OptimizationError>,
    ) -> Result<SumsState, OptimizationError> {
        if self.observer.stop_requested() {
            return Err(OptimizationError::interrupted());
        }
        let sums = compute()?;
        if self.observer.stop_requested() {
            return Err(OptimizationError::interrupted());
        }
        Ok(sums)
    }

    /// The record now (a copy): `run_start`, the completed passes, the checkpoint clock.
    pub fn state(&self) -> StreamState {
        self.lock().state.clone()
    }

    /// Checkpoints written by this process.
    pub fn checkpoints_written(&self) -> usize {
        self.lock().checkpoints_written
    }

    /// Checkpoint saves that failed on this process, with why. A failed save is recorded
    /// and the fit goes on: stopping one process alone would leave the others waiting.
    pub fn checkpoint_errors(&self) -> Vec<String> {
        self.lock().checkpoint_errors.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every share's sums, combined: this share's `local` (with its invalid-value indices
    /// made global) exchanged for every other's. A local failure is handed in, and
    /// returned here after the exchange.
    fn exchange(
        &self,
        local: Result<SumsState, OptimizationError>,
        pass: &str,
    ) -> Result<SumsState, OptimizationError> {
        let rank = self.communicator.rank();
        let (bytes, own_failure) = match local {
            Ok(mut sums) => {
                for sample in [&mut sums.invalid_residuals, &mut sums.invalid_jacobian] {
                    shift(sample, self.offset);
                }
                (Ok(sums.to_bytes()), None)
            }
            Err(e) => (Err(e.to_string()), Some(e)),
        };
        let exchanged = all_gather_checked(self.communicator, bytes, pass);
        if let Some(e) = own_failure {
            return Err(e.with_context("rank", rank).with_context("pass", pass));
        }
        let shares = exchanged?
            .iter()
            .enumerate()
            .map(|(from, bytes)| {
                SumsState::from_bytes(bytes).map_err(|e| OptimizationError::Communication {
                    message: format!("the sums from process {from}: {e}"),
                    context: Context::new()
                        .with("rank", rank)
                        .with("processes", self.communicator.size())
                        .with("pass", pass),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        combine_shares(shares).ok_or_else(|| OptimizationError::Communication {
            message: "no shares".to_owned(),
            context: Context::new().with("rank", rank).with("pass", pass),
        })
    }

    /// One pass of `kind` at `p`: replayed from the record when resuming, else computed
    /// (`compute`), recorded and, when due, checkpointed.
    fn pass(
        &self,
        kind: PassKind,
        p: &[f64],
        compute: impl FnOnce() -> Result<PassResult, OptimizationError>,
    ) -> Result<PassResult, OptimizationError> {
        {
            let mut record = self.lock();
            let index = record.cursor;
            record.cursor += 1;
            if let Some(recorded) = record.state.passes.get(index) {
                return recorded.replay(index, kind, p, "the data, the model or the settings");
            }
        }
        let result = compute()?;
        let mut record = self.lock();
        record.state.passes.push(PassRecord {
            parameters: p.to_vec(),
            result: result.clone(),
        });
        record.state.passes_done += 1;
        let before = record.state.batches_done;
        record.state.batches_done += self.batches_per_pass;
        if let Some(checkpointer) = self.checkpointer {
            let after = record.state.batches_done;
            if (before + 1..=after).any(|b| checkpointer.should_save(b)) {
                match checkpointer.save(&record.state, result.cost()) {
                    Ok(()) => record.checkpoints_written += 1,
                    Err(e) => record.checkpoint_errors.push(e),
                }
            }
        }
        Ok(result)
    }
}

/// Adds `offset` to the indices of a sample of invalid values.
fn shift(sample: &mut InvalidSample, offset: usize) {
    for value in &mut sample.values {
        value.index += offset;
    }
}

impl<S: ShareSums, C: Communicator + ?Sized> Objective for DistributedObjective<'_, S, C> {
    fn n_params(&self) -> usize {
        self.share.n_params()
    }

    fn n_residuals(&self) -> usize {
        self.n_points
    }

    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
        let result = self.pass(PassKind::Cost, p, || {
            let local = self.share_sums(|| self.share.cost_sums(p));
            let sums = self.exchange(local, "cost")?;
            Ok(PassResult::Cost(sums.into_cost()))
        })?;
        match result {
            PassResult::Cost(cost) => Ok(cost),
            PassResult::Linearization(lin) => Ok(lin.cost),
        }
    }

    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
        let result = self.pass(PassKind::Linearization, p, || {
            let local = self.share_sums(|| self.share.linearization_sums(p, self.accumulation));
            let sums = self.exchange(local, "linearization")?;
            // Too ill-conditioned for the normal equations: every process sees the same
            // sums, so every process redoes the pass exactly, and exchanges again.
            let mut exact_failure = None;
            let linearization = sums.into_linearization(p.len(), || {
                let local = self.share_sums(|| self.share.linearization_sums(p, Accumulation::Qr));
                self.exchange(local, "exact linearization")
                    .unwrap_or_else(|e| {
                        exact_failure = Some(e);
                        SumsState::empty()
                    })
            });
            match exact_failure {
                Some(e) => Err(e),
                None => Ok(PassResult::Linearization(linearization)),
            }
        })?;
        match result {
            PassResult::Linearization(lin) => Ok(lin),
            PassResult::Cost(_) => Err(OptimizationError::Checkpoint {
                message: "a recorded cost pass was replayed as a linearisation".to_owned(),
                context: Context::new(),
                source: None,
            }),
        }
    }
}

//! One pass over the data split into shares (one per process of a distributed fit), with
//! the shares' sums combined to the very bits of a single-process pass.
//!
//! # The mathematics
//!
//! A pass of [`InMemoryObjective`] cuts the points into leaves of
//! `LEAF = CHUNK_ROWS * LEAF_CHUNKS` points and combines the leaves' `P x P` sums over a
//! fixed binary tree: the leaf range `[a, b)` splits at `a + (b - a) / 2`, down to single
//! leaves. Floating-point addition is not associative, so the bits of the result depend on
//! that tree, and on nothing else (not on threads).
//!
//! With `R = 2^k` shares, [`tree_shares`] gives share `r` the points of the `r`-th node at
//! depth `k` of that tree. An objective over those points alone builds, over its own
//! leaves, the same subtree (the split depends only on the length of the range), and
//! [`combine_shares`] combines the `R` results pairwise, level by level, as the top `k`
//! levels of the tree do: the combined sums are the single-process sums, bit for bit. For
//! other share counts the leaves are split as evenly as possible and the shares are
//! combined in order: the same sums in another order, equal to rounding (about `1e-15`
//! relative per addition).
//!
//! The sums exchanged are `O(P^2)` numbers, whatever the number of points.
//!
//! Every process runs the same solver on a [`DistributedObjective`]: its own share of the
//! points and a [`Communicator`] that hands every process every share's sums (as bytes,
//! [`crate::wire`]). The combined sums, hence every step, are the same bits on every
//! process. The transport is the communicator's business (MPI in a cluster, threads in
//! the tests below).
//!
//! A share is held in memory ([`InMemoryObjective`]) or read batch by batch from a data
//! source on every pass ([`StreamedShare`], in tree order, hence the same bits); both are
//! [`ShareSums`]. A process whose share fails hands the failure in at the exchange
//! ([`all_gather_checked`]), so that every process ends with an error and none waits for
//! it. [`DistributedObjective`] records every completed pass, the sums of all the points,
//! so that a checkpoint written by one process resumes under any number of processes.
//! [`ThreadGroup`] runs the processes as threads of one process, for tests. A stop
//! requested of one process is handed in the same way ([`interrupt`]).
//!
//! Underneath, a process computes its share's sums with
//! [`InMemoryObjective::cost_state`] or [`InMemoryObjective::linearization_state`], exchanges [`SumsState`]s, and every process
//! combines them with [`combine_shares`], so that every process takes the same step.

pub mod interrupt;
mod stream;
mod threads;

use std::ops::Range;
use std::sync::Mutex;

use homodyne_core::{
    Context, FitObserver, InvalidSample, Model, NoObserver, OptimizationError, PassKind,
};

use crate::objective::{
    Accumulation, CHUNK_ROWS, CostEvaluation, InMemoryObjective, LEAF_CHUNKS, Linearization,
    Objective,
};
use crate::streaming::{
    PassCheckpointer, PassRecord, PassResult, StreamState, SumsState, same_bits,
};

pub use interrupt::ReportsOnly;
pub use stream::StreamedShare;
pub use threads::{ThreadGroup, ThreadRank};

/// Points per leaf of the reduction tree.
pub const LEAF_POINTS: usize = CHUNK_ROWS * LEAF_CHUNKS;

/// The point ranges of `n_shares` contiguous shares of `n_points` points, each starting on
/// a leaf boundary. With a power-of-two `n_shares` each share is one node of the fixed
/// reduction tree (see the module documentation); otherwise the leaves are dealt as evenly
/// as possible. Shares beyond the number of leaves are empty. `n_shares` 0 is taken as 1.
pub fn tree_shares(n_points: usize, n_shares: usize) -> Vec<Range<usize>> {
    let n_shares = n_shares.max(1);
    let n_leaves = n_points.div_ceil(LEAF_POINTS).max(1);
    let leaves: Vec<Range<usize>> = if n_shares.is_power_of_two() {
        let mut nodes: Vec<Range<usize>> = std::iter::once(0..n_leaves).collect();
        while nodes.len() < n_shares {
            nodes = nodes
                .into_iter()
                .flat_map(|node| {
                    let mid = node.start + node.len() / 2;
                    [node.start..mid, mid..node.end]
                })
                .collect();
        }
        nodes
    } else {
        (0..n_shares)
            .map(|r| (r * n_leaves / n_shares)..((r + 1) * n_leaves / n_shares))
            .collect()
    };
    leaves
        .into_iter()
        .map(|l| (l.start * LEAF_POINTS).min(n_points)..(l.end * LEAF_POINTS).min(n_points))
        .collect()
}

/// The sums of a whole pass from those of its shares, in share order ([`tree_shares`]):
/// pairwise, level by level, for a power-of-two count (the single-process bits), else one
/// after another. Empty shares add nothing. `None` when `shares` is empty.
pub fn combine_shares(shares: Vec<SumsState>) -> Option<SumsState> {
    if shares.len().is_power_of_two() {
        let mut level = shares;
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len() / 2);
            let mut pairs = level.into_iter();
            while let (Some(a), Some(b)) = (pairs.next(), pairs.next()) {
                next.push(a.combine(b));
            }
            level = next;
        }
        level.pop()
    } else {
        shares.into_iter().reduce(SumsState::combine)
    }
}

/// How the processes of a distributed fit exchange a pass's sums.
pub trait Communicator: Sync {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;
    /// The number of processes.
    fn size(&self) -> usize;
    /// Every process's `bytes`, in rank order. A collective call: every process makes it,
    /// the same number of times. An implementation must end with an error, not wait
    /// forever, when a process has failed.
    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String>;
}

/// One process on its own: rank 0 of 1; the exchange returns this process's bytes. A
/// distributed fit on it is the fit of all the points by one process.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
        Ok(vec![bytes])
    }
}

/// The first byte of an exchanged message: what follows is this process's contribution.
const CONTRIBUTION: u8 = 0;
/// The first byte of an exchanged message: what follows is why this process failed
/// (UTF-8).
const FAILURE: u8 = 1;

/// One collective step that every process takes even when it has failed: each process
/// hands in its bytes, or why it cannot go on (`Err`), and gets back every process's bytes
/// in rank order, or, when any process failed, an [`OptimizationError::Communication`]
/// naming the first failed rank and its reason, the same on every process. No process is
/// left waiting for one that failed, and every process ends with the same error.
///
/// `step` names the step in the error's context (`"cost"`, `"setup"`, ...). One byte is
/// added to each message.
pub fn all_gather_checked<C: Communicator + ?Sized>(
    communicator: &C,
    local: Result<Vec<u8>, String>,
    step: &str,
) -> Result<Vec<Vec<u8>>, OptimizationError> {
    let failure = |message: String| OptimizationError::Communication {
        message,
        context: Context::new()
            .with("rank", communicator.rank())
            .with("processes", communicator.size())
            .with("pass", step),
    };
    let message = match local {
        Ok(mut bytes) => {
            bytes.insert(0, CONTRIBUTION);
            bytes
        }
        Err(why) => {
            let mut bytes = vec![FAILURE];
            bytes.extend_from_slice(why.as_bytes());
            bytes
        }
    };
    let all = communicator.all_gather(message).map_err(failure)?;
    if all.len() != communicator.size() {
        return Err(failure(format!(
            "{} messages came back from {} processes",
            all.len(),
            communicator.size()
        )));
    }
    let mut contributions = Vec::with_capacity(all.len());
    for (rank, mut bytes) in all.into_iter().enumerate() {
        match bytes.first() {
            Some(&CONTRIBUTION) => {
                bytes.remove(0);
                contributions.push(bytes);
            }
            Some(&FAILURE) => {
                return Err(failure(format!(
                    "process {rank} failed: {}",
                    String::from_utf8_lossy(&bytes[1..])
                )));
            }
            _ => {
                return Err(failure(format!(
                    "process {rank} sent a message of neither kind ({} bytes)",
                    bytes.len()
                )));
            }
        }
    }
    Ok(contributions)
}

/// A process's share of the points, as a distributed fit sees it: the unfinished sums of
/// a pass over the share, to be combined with the other shares' ([`combine_shares`]).
///
/// [`InMemoryObjective`] is the share held in memory; [`StreamedShare`] reads its share
/// batch by batch from a [`homodyne_core::DataSource`] on every pass.
pub trait ShareSums: Sync {
    /// Number of parameters `P`.
    fn n_params(&self) -> usize;
    /// The sums of a cost pass at `p`. Over no points: empty sums.
    fn cost_sums(&self, p: &[f64]) -> Result<SumsState, OptimizationError>;
    /// The sums of a linearisation pass at `p` with `accumulation`.
    fn linearization_sums(
        &self,
        p: &[f64],
        accumulation: Accumulation,
    ) -> Result<SumsState, OptimizationError>;
}

/// `work`, with a panic inside it (in the user's model) turned into
/// [`OptimizationError::ModelPanicked`]: in a distributed fit a process must hand in a
/// failure, not vanish, or the others would wait for it.
pub(crate) fn catching_panics<T>(
    work: impl FnOnce() -> Result<T, OptimizationError>,
) -> Result<T, OptimizationError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Err(OptimizationError::ModelPanicked {
            message,
            context: Context::new(),
        })
    })
}

impl<M: Model + ?Sized> ShareSums for InMemoryObjective<'_, M> {
    fn n_params(&self) -> usize {
        Objective::n_params(self)
    }

    fn cost_sums(&self, p: &[f64]) -> Result<SumsState, OptimizationError> {
        catching_panics(|| Ok(self.cost_state(p)))
    }

    fn linearization_sums(
        &self,
        p: &[f64],
        accumulation: Accumulation,
    ) -> Result<SumsState, OptimizationError> {
        catching_panics(|| Ok(self.linearization_state(p, accumulation)))
    }
}

/// One process's objective in a distributed fit: the points of its share (the rank's
/// entry of [`tree_shares`] over all `n_points`), with every pass's sums combined across
/// the processes by [`combine_shares`], so that every process sees the sums of the whole
/// data, the same bits as a single process would.
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
    /// [`InMemoryObjective::with_accumulation`].
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
    /// saves checkpoints starts from `StreamState::new(p0)`, so that its record names `p0`. A state holding a
    /// pass in progress (a single-process STREAMING checkpoint) is refused: its sums are
    /// one process's, folded in batch order.
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
    /// error naming it ([`interrupt`]). Give the solver [`ReportsOnly`] of the same
    /// observer.
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
                if recorded.result.kind() != kind || !same_bits(&recorded.parameters, p) {
                    return Err(OptimizationError::Checkpoint {
                        message: format!(
                            "the resumed fit asked for pass {index} ({kind:?}) at other \
                             parameters than the checkpoint recorded: the data, the model or \
                             the settings changed since it was written"
                        ),
                        context: Context::new().with("pass", index),
                        source: None,
                    });
                }
                return Ok(recorded.result.clone());
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
                let loss = match &result {
                    PassResult::Cost(c) => c.cost,
                    PassResult::Linearization(l) => l.cost.cost,
                };
                match checkpointer.save(&record.state, loss) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::Loss;
    use crate::objective::{
        Accumulation, CostEvaluation, InMemoryObjective, Linearization, Objective,
    };
    use crate::options::SolverOptions;
    use crate::{lm, trf};
    use homodyne_core::{Bounds, JacobianKind, Model, NoObserver, OptimizationError};

    /// `y = a exp(-b x) + c` (also the model of the `stream` module's tests).
    pub(super) struct Decay;

    impl Model for Decay {
        fn n_params(&self) -> usize {
            3
        }
        fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
            for (v, &x) in values.iter_mut().zip(x) {
                *v = p[0] * (-p[1] * x).exp() + p[2];
            }
        }
        fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
            for (i, &x) in x.iter().enumerate() {
                let e = (-p[1] * x).exp();
                values[i] = p[0] * e + p[2];
                jac[3 * i..3 * i + 3].copy_from_slice(&[e, -p[0] * x * e, 1.0]);
            }
        }
        fn jacobian_kind(&self) -> JacobianKind {
            JacobianKind::Exact
        }
    }

    fn data(n: usize) -> (Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / n as f64).collect();
        // A deterministic wiggle instead of noise, so that the residuals are not zero.
        let y = x
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                2.5 * (-1.3 * x).exp() + 0.5 + 0.01 * ((i * 7919 % 1000) as f64 / 500.0 - 1.0)
            })
            .collect();
        (x, y)
    }

    /// A pass computed share by share in one process, combined with [`combine_shares`]:
    /// what every process of a distributed fit computes.
    struct Shared<'a> {
        parts: Vec<InMemoryObjective<'a, Decay>>,
        n: usize,
        accumulation: Accumulation,
    }

    impl Objective for Shared<'_> {
        fn n_params(&self) -> usize {
            3
        }
        fn n_residuals(&self) -> usize {
            self.n
        }
        fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
            let states = self.parts.iter().map(|o| o.cost_state(p)).collect();
            Ok(combine_shares(states).expect("shares").into_cost())
        }
        fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
            let sums = |accumulation| {
                let states = self
                    .parts
                    .iter()
                    .map(|o| o.linearization_state(p, accumulation))
                    .collect();
                combine_shares(states).expect("shares")
            };
            Ok(sums(self.accumulation).into_linearization(3, || sums(Accumulation::Qr)))
        }
    }

    /// Whole fits, TRF and LM, from shares: the same iterates and the same optimum, to the
    /// bit, as the single-process fit, for 2 and 4 shares and both accumulations.
    #[test]
    fn fits_from_shares_end_on_the_single_process_bits() {
        let n = 11 * LEAF_POINTS + 321;
        let (x, y) = data(n);
        let options = SolverOptions::default();
        let bounds = Bounds::unbounded(3);
        for accumulation in [Accumulation::Qr, Accumulation::NormalEquations] {
            let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0)
                .with_accumulation(accumulation);
            let p0 = [1.0, 1.0, 0.0];
            let single = trf(&whole, &p0, &bounds, &options, &NoObserver).unwrap();
            let single_lm = lm(&whole, &p0, &bounds, &options, &NoObserver).unwrap();
            for count in [2, 4] {
                let shared = Shared {
                    parts: tree_shares(n, count)
                        .into_iter()
                        .map(|r| {
                            InMemoryObjective::new(
                                &Decay,
                                &x[r.clone()],
                                &y[r],
                                None,
                                Loss::Linear,
                                1.0,
                            )
                        })
                        .collect(),
                    n,
                    accumulation,
                };
                let fit = trf(&shared, &p0, &bounds, &options, &NoObserver).unwrap();
                assert_eq!(fit.x, single.x, "trf, {count} shares, {accumulation:?}");
                assert_eq!((fit.nfev, fit.njev), (single.nfev, single.njev));
                let fit = lm(&shared, &p0, &bounds, &options, &NoObserver).unwrap();
                assert_eq!(fit.x, single_lm.x, "lm, {count} shares, {accumulation:?}");
            }
            assert!((single.x[1] - 1.3).abs() < 1e-2, "{:?}", single.x);
        }
    }

    /// A communicator whose exchange always fails.
    struct Broken;

    impl Communicator for Broken {
        fn rank(&self) -> usize {
            1
        }
        fn size(&self) -> usize {
            2
        }
        fn all_gather(&self, _: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
            Err("rank 0 did not answer within 60 s".to_owned())
        }
    }

    /// 1, 2 and 4 processes, each a thread with only its share of the points, run TRF on
    /// a [`DistributedObjective`]: every one ends on the single-process bits.
    #[test]
    fn processes_with_their_shares_alone_end_on_the_single_process_bits() {
        let n = 9 * LEAF_POINTS + 55;
        let (x, y) = data(n);
        let (options, bounds, p0) = (
            SolverOptions::default(),
            Bounds::unbounded(3),
            [1.0, 1.0, 0.0],
        );
        let accumulation = Accumulation::NormalEquations;
        let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0)
            .with_accumulation(accumulation);
        let single = trf(&whole, &p0, &bounds, &options, &NoObserver).unwrap();
        for size in [1, 2, 4] {
            let threads = ThreadGroup::new(size);
            let shares = tree_shares(n, size);
            let outcomes: Vec<Vec<f64>> = threads.run_each(|communicator| {
                let share = shares[communicator.rank()].clone();
                let local = InMemoryObjective::new(
                    &Decay,
                    &x[share.clone()],
                    &y[share.clone()],
                    None,
                    Loss::Linear,
                    1.0,
                );
                let objective =
                    DistributedObjective::new(local, &communicator, share.start, n, accumulation);
                trf(&objective, &p0, &bounds, &options, &NoObserver)
                    .unwrap()
                    .x
            });
            for (rank, x) in outcomes.iter().enumerate() {
                assert_eq!(x, &single.x, "{size} processes, rank {rank}");
            }
        }
    }

    /// `y = a exp(-b x) + c`, panicking at points beyond `x = 5`.
    struct PanicsBeyondFive;

    impl Model for PanicsBeyondFive {
        fn n_params(&self) -> usize {
            3
        }
        fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
            assert!(
                x.iter().all(|&x| x <= 5.0),
                "the model cannot evaluate x > 5"
            );
            Decay.eval(x, p, values);
        }
        fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
            assert!(
                x.iter().all(|&x| x <= 5.0),
                "the model cannot evaluate x > 5"
            );
            Decay.eval_with_jacobian(x, p, values, jac);
        }
        fn jacobian_kind(&self) -> JacobianKind {
            JacobianKind::Exact
        }
    }

    /// A process whose model panics hands the failure in: it ends with its own error, and
    /// every other process with a communication error naming it; none waits forever.
    #[test]
    fn a_failing_process_ends_every_process_with_an_error_naming_it() {
        let n = 4 * LEAF_POINTS;
        let (x, y) = data(n);
        let threads = ThreadGroup::new(2);
        let shares = tree_shares(n, 2);
        let errors: Vec<OptimizationError> = threads.run_each(|communicator| {
            let share = shares[communicator.rank()].clone();
            let local = InMemoryObjective::new(
                &PanicsBeyondFive,
                &x[share.clone()],
                &y[share.clone()],
                None,
                Loss::Linear,
                1.0,
            );
            let objective = DistributedObjective::new(
                local,
                &communicator,
                share.start,
                n,
                Accumulation::NormalEquations,
            );
            let options = SolverOptions::default();
            trf(
                &objective,
                &[1.0, 1.0, 0.0],
                &Bounds::unbounded(3),
                &options,
                &NoObserver,
            )
            .unwrap_err()
        });
        assert_eq!(errors[1].kind(), homodyne_core::ErrorKind::ModelPanicked);
        assert!(
            errors[1].to_string().contains("cannot evaluate"),
            "{}",
            errors[1]
        );
        assert_eq!(errors[0].kind(), homodyne_core::ErrorKind::Communication);
        let text = errors[0].to_string();
        assert!(
            text.contains("process 1 failed") && text.contains("cannot evaluate"),
            "{text}"
        );
    }

    #[test]
    fn a_failed_exchange_is_a_communication_error_naming_the_rank() {
        let (x, y) = data(1000);
        let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
        let objective =
            DistributedObjective::new(local, &Broken, 0, 2000, Accumulation::NormalEquations);
        let err = objective.cost(&[1.0, 1.0, 0.0]).unwrap_err();
        assert_eq!(err.kind(), homodyne_core::ErrorKind::Communication);
        let text = err.to_string();
        assert!(
            text.contains("did not answer") && text.contains("rank=1"),
            "{text}"
        );
    }

    /// Invalid values found in a share are reported at their index among all the points.
    #[test]
    fn invalid_values_keep_their_global_index() {
        let threads = ThreadGroup::new(1);
        let (x, mut y) = data(100);
        y[17] = f64::NAN;
        let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
        let communicator = threads.rank(0);
        let objective =
            DistributedObjective::new(local, &communicator, 5000, 5100, Accumulation::Qr);
        let cost = objective.cost(&[1.0, 1.0, 0.0]).unwrap();
        assert!(cost.cost.is_infinite());
        assert_eq!(cost.invalid_residuals.values[0].index, 5017);
    }

    #[test]
    fn power_of_two_shares_are_nodes_of_the_tree() {
        // 10 leaves: the tree splits them 5 | 5, then 2 | 3 and 2 | 3.
        let n = 9 * LEAF_POINTS + 100;
        let shares = tree_shares(n, 4);
        let leaves: Vec<(usize, usize)> = shares
            .iter()
            .map(|r| (r.start / LEAF_POINTS, r.end.div_ceil(LEAF_POINTS)))
            .collect();
        assert_eq!(leaves, [(0, 2), (2, 5), (5, 7), (7, 10)]);
        assert_eq!(shares.last().unwrap().end, n);
        // Every point in exactly one share, in order.
        for count in [1, 2, 3, 4, 5, 8, 16] {
            let shares = tree_shares(n, count);
            assert_eq!(shares.len(), count);
            assert_eq!(shares[0].start, 0);
            assert!(shares.windows(2).all(|w| w[0].end == w[1].start));
            assert_eq!(shares[count - 1].end, n);
        }
        // More shares than leaves: the extra ones are empty.
        let few = tree_shares(100, 4);
        assert_eq!(few.iter().map(|r| r.len()).sum::<usize>(), 100);
        assert_eq!(tree_shares(100, 0), vec![0..100]);
    }

    /// For 1, 2, 4 and 8 shares, both accumulations and both kinds of pass, the combined
    /// shares are the single-process sums to the bit; for 3 and 5 shares, to 1e-12.
    #[test]
    fn combined_shares_are_the_single_process_sums() {
        let p = [2.4, 1.2, 0.45];
        for n in [LEAF_POINTS / 3, 5 * LEAF_POINTS, 13 * LEAF_POINTS + 777] {
            let (x, y) = data(n);
            let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
            for accumulation in [Accumulation::Qr, Accumulation::NormalEquations] {
                let reference = whole.linearization_state(&p, accumulation);
                let cost_reference = whole.cost_state(&p);
                for count in [1, 2, 3, 4, 5, 8] {
                    let mut lin = Vec::new();
                    let mut cost = Vec::new();
                    for share in tree_shares(n, count) {
                        let part = InMemoryObjective::new(
                            &Decay,
                            &x[share.clone()],
                            &y[share],
                            None,
                            Loss::Linear,
                            1.0,
                        );
                        lin.push(part.linearization_state(&p, accumulation));
                        cost.push(part.cost_state(&p));
                    }
                    let (lin, cost) = (combine_shares(lin).unwrap(), combine_shares(cost).unwrap());
                    if count.is_power_of_two() {
                        assert_eq!(lin, reference, "n {n}, {count} shares, {accumulation:?}");
                        assert_eq!(cost, cost_reference, "n {n}, {count} shares");
                    } else {
                        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
                        assert!(close(lin.cost, reference.cost), "n {n}, {count} shares");
                        assert!(close(cost.chi_squared, cost_reference.chi_squared));
                        if let (Some(a), Some(b)) = (&lin.normal, &reference.normal) {
                            let ((a_jtj, a_jtf), (b_jtj, b_jtf)) = (a.parts(), b.parts());
                            for (u, v) in a_jtj.iter().chain(a_jtf).zip(b_jtj.iter().chain(b_jtf)) {
                                assert!(close(*u, *v), "n {n}, {count} shares: {u} vs {v}");
                            }
                        }
                    }
                }
            }
        }
    }
}

//! The STREAMING objective: exact passes over data read batch by batch from a
//! [`DataSource`], with batch-level fault tolerance and checkpoints inside a pass.
//!
//! # The mathematics
//!
//! The same as CHUNKED: every pass folds every point into the `P x P` sums (cost,
//! `J^T J`, `J^T f`, or the exact `R`), only the points arrive a batch at a time. Each batch
//! is summed by the in-memory machinery (chunks, leaves, a fixed tree, on all threads) and
//! the batches' sums are added in batch order. Memory is one batch plus the sums, whatever
//! the number of points.
//!
//! # Faults
//!
//! - A batch whose read fails, or whose data hold NaN, an infinity or a non-positive sigma,
//!   is read again, up to `max_retries_per_batch` times. If it still fails it is excluded
//!   from the objective from then on and recorded with the reason.
//!   - Excluded during the first pass of a solver run, it changes nothing already computed.
//!   - Excluded during a later pass, the objective has changed under the solver: the pass
//!     returns an error and [`StreamingObjective::take_restart`] says so; the caller
//!     restarts the solver from [`StreamingObjective::restart_point`] (the last point
//!     linearised), so that every cost the solver compares is over the same batches.
//! - When the share of good batches falls below `min_success_rate`, the pass fails with an
//!   error listing the failed batches and why.
//! - Non-finite residuals at a trial point are not data failures: the cost comes back
//!   infinite and the solver rejects the step.
//!
//! # Checkpoints and resume
//!
//! After every batch a [`PassCheckpointer`] may save a [`StreamState`]: the completed passes
//! of the current solver run (each with its parameters and its result, `O(P^2)` numbers),
//! the sums of the pass in progress and the next batch, the excluded batches and the batch
//! statistics. A resumed objective ([`StreamingObjective::resume`]) replays the solver run
//! from its start: every completed pass is answered from the record (after checking that
//! the solver asks for it at the very same parameters, bit for bit), and the interrupted
//! pass continues from its saved sums at its next batch. The solver is deterministic and
//! the sums are added in a fixed order, so the resumed fit ends on the same bits as one
//! never interrupted, having read only the batches the interruption lost.
//!
//! # Stopping on request
//!
//! The observer given with [`StreamingObjective::with_observer`] is asked after every
//! batch ([`FitObserver::stop_requested`]), once the batch is folded in and any checkpoint
//! due for it is saved; when it asks, the pass ends with
//! [`OptimizationError::Interrupted`]. A batch is never cut short, so every checkpoint
//! holds whole batches, and a fit stopped on request resumes from its checkpoints to the
//! bits of one never stopped.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Mutex;

use homodyne_core::vector_math::vectorized;
use homodyne_core::{
    Batch, Context, DataSource, FitObserver, InvalidSample, Model, NoObserver, OptimizationError,
    PassKind, PassProgress,
};
use homodyne_stats::BatchStatistics;

use crate::kernels::non_finite_flag;

use crate::factor::RFactor;
use crate::loss::Loss;
use crate::normal::NormalAccumulator;
use crate::objective::{
    Accumulation, CostEvaluation, InMemoryObjective, Linearization, Objective, PassSums,
};

/// How a streaming fit reads its data and what it tolerates.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingSettings {
    /// Points per batch (the last batch may be shorter).
    pub batch_size: usize,
    /// Reads of a failing batch after the first, before it is excluded.
    pub max_retries_per_batch: usize,
    /// Smallest share of good batches with which the fit goes on.
    pub min_success_rate: f64,
    /// How each pass sums the Jacobian (the normal equations by default, redone exactly
    /// when too ill-conditioned, as for CHUNKED).
    pub accumulation: Accumulation,
    /// Stop the fit when a checkpoint cannot be saved (default: record the error in the
    /// diagnostics and go on).
    pub stop_on_checkpoint_error: bool,
}

impl Default for StreamingSettings {
    fn default() -> Self {
        Self {
            batch_size: 100_000,
            max_retries_per_batch: 2,
            min_success_rate: 0.5,
            accumulation: Accumulation::NormalEquations,
            stop_on_checkpoint_error: false,
        }
    }
}

/// The sums of a pass, as they are saved in a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct SumsState {
    /// `1/2 sum rho(r_i^2)` so far.
    pub cost: f64,
    /// `sum r_i^2` so far.
    pub chi_squared: f64,
    /// `||f~||^2` so far (linearisation passes).
    pub scaled_sq: f64,
    /// Non-finite residuals met so far.
    pub invalid_residuals: InvalidSample,
    /// Non-finite Jacobian entries met so far.
    pub invalid_jacobian: InvalidSample,
    /// The exact factor so far (QR passes).
    pub factor: Option<RFactor>,
    /// The normal-equation sums so far (normal-equation passes).
    pub normal: Option<NormalAccumulator>,
}

impl SumsState {
    fn from_sums(sums: &PassSums) -> Self {
        Self {
            cost: sums.cost,
            chi_squared: sums.chi_squared,
            scaled_sq: sums.scaled_sq,
            invalid_residuals: sums.invalid_residuals.clone(),
            invalid_jacobian: sums.invalid_jacobian.clone(),
            factor: sums.factor.clone(),
            normal: sums.normal.clone(),
        }
    }

    /// These sums followed by `other`'s (a later range of points): the costs added, the
    /// samples of invalid values merged, the factors or normal equations merged.
    pub fn combine(self, other: SumsState) -> SumsState {
        SumsState::from_sums(&self.into_sums().combine(other.into_sums()))
    }

    /// The cost these sums make (infinite when a residual was not finite).
    pub fn into_cost(self) -> CostEvaluation {
        self.into_sums().into_cost()
    }

    /// The linearisation these sums make; normal-equation sums too ill-conditioned to
    /// factor are replaced by the exact sums `exact()` computes (all of them, for every
    /// share).
    pub fn into_linearization(
        self,
        n_params: usize,
        exact: impl FnOnce() -> SumsState,
    ) -> Linearization {
        self.into_sums()
            .into_linearization(n_params, || exact().into_sums())
    }

    /// Sums over no points: they add nothing when combined.
    pub fn empty() -> Self {
        Self::from_sums(&PassSums::empty())
    }

    pub(crate) fn from_pass(sums: &PassSums) -> Self {
        Self::from_sums(sums)
    }

    fn into_sums(self) -> PassSums {
        PassSums {
            cost: self.cost,
            chi_squared: self.chi_squared,
            scaled_sq: self.scaled_sq,
            invalid_residuals: self.invalid_residuals,
            invalid_jacobian: self.invalid_jacobian,
            factor: self.factor,
            normal: self.normal,
        }
    }
}

/// What a completed pass returned.
#[derive(Debug, Clone, PartialEq)]
pub enum PassResult {
    /// A cost pass.
    Cost(CostEvaluation),
    /// A linearisation pass.
    Linearization(Linearization),
}

impl PassResult {
    /// The kind of pass.
    pub fn kind(&self) -> PassKind {
        match self {
            Self::Cost(_) => PassKind::Cost,
            Self::Linearization(_) => PassKind::Linearization,
        }
    }
}

/// A completed pass of the current solver run.
#[derive(Debug, Clone, PartialEq)]
pub struct PassRecord {
    /// Where the solver asked for it.
    pub parameters: Vec<f64>,
    /// What it returned.
    pub result: PassResult,
}

/// A pass being folded: its number within the solver run, what it computes, how it sums
/// the Jacobian, and where.
#[derive(Debug, Clone, Copy)]
struct Pass<'p> {
    index: usize,
    kind: PassKind,
    accumulation: Accumulation,
    parameters: &'p [f64],
}

/// The pass in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialPass {
    /// Its number within the solver run (0 for the first).
    pub index: usize,
    /// What it computes.
    pub kind: PassKind,
    /// How it sums the Jacobian (a pass redone exactly is [`Accumulation::Qr`]).
    pub accumulation: Accumulation,
    /// Where.
    pub parameters: Vec<f64>,
    /// The first batch not yet folded in.
    pub next_batch: usize,
    /// The sums of the batches before it.
    pub sums: SumsState,
}

/// Everything a streaming fit needs to continue where it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamState {
    /// Where the current solver run started (`p0`, or the point of a restart).
    pub run_start: Vec<f64>,
    /// Solver runs started so far (1 + restarts).
    pub runs: usize,
    /// Excluded batches and why.
    pub failed_batches: BTreeMap<usize, String>,
    /// Batches folded in, over every pass (the checkpoint clock).
    pub batches_done: u64,
    /// Passes completed, over every run.
    pub passes_done: usize,
    /// The completed passes of the current run, in order.
    pub passes: Vec<PassRecord>,
    /// The pass in progress, if the state was taken inside one.
    pub partial: Option<PartialPass>,
    /// Per-batch statistics.
    pub stats: BatchStatistics,
}

impl StreamState {
    /// The state before anything was read, for a run starting at `p0`.
    pub fn new(p0: &[f64]) -> Self {
        Self {
            run_start: p0.to_vec(),
            runs: 1,
            failed_batches: BTreeMap::new(),
            batches_done: 0,
            passes_done: 0,
            passes: Vec::new(),
            partial: None,
            stats: BatchStatistics::default(),
        }
    }
}

/// Saves the state of a streaming fit between batches (implemented with HDF5 checkpoint
/// files by the `homodyne` facade).
pub trait PassCheckpointer: Sync {
    /// Whether to save after `batches_done` batches in all.
    fn should_save(&self, batches_done: u64) -> bool;
    /// Saves `state`; `loss` is the cost of the last completed pass (NaN before the first).
    fn save(&self, state: &StreamState, loss: f64) -> Result<(), String>;
}

/// The streaming objective: `model` fitted to the points of `source`, read batch by batch.
pub struct StreamingObjective<'a, M: Model + ?Sized> {
    model: &'a M,
    source: &'a dyn DataSource,
    loss: Loss,
    f_scale: f64,
    settings: StreamingSettings,
    observer: &'a dyn FitObserver,
    checkpointer: Option<&'a dyn PassCheckpointer>,
    inner: Mutex<Inner>,
}

/// The mutable part, behind a lock (one pass at a time).
struct Inner {
    state: StreamState,
    /// Passes of the current run asked for so far (replayed or computed).
    pass_cursor: usize,
    batch: Batch,
    restart: bool,
    last_linearized: Option<Vec<f64>>,
    checkpoint_errors: Vec<String>,
    checkpoints_written: usize,
}

impl<'a, M: Model + ?Sized> StreamingObjective<'a, M> {
    /// The objective for `model` on `source`, starting fresh at `p0`.
    pub fn new(
        model: &'a M,
        source: &'a dyn DataSource,
        p0: &[f64],
        loss: Loss,
        f_scale: f64,
        settings: StreamingSettings,
    ) -> Self {
        Self::resume(model, source, StreamState::new(p0), loss, f_scale, settings)
    }

    /// The objective continuing from a saved `state`: the caller runs the solver from
    /// `state.run_start`.
    pub fn resume(
        model: &'a M,
        source: &'a dyn DataSource,
        state: StreamState,
        loss: Loss,
        f_scale: f64,
        settings: StreamingSettings,
    ) -> Self {
        Self {
            model,
            source,
            loss,
            f_scale,
            settings,
            observer: &NoObserver,
            checkpointer: None,
            inner: Mutex::new(Inner {
                state,
                pass_cursor: 0,
                batch: Batch::default(),
                restart: false,
                last_linearized: None,
                checkpoint_errors: Vec::new(),
                checkpoints_written: 0,
            }),
        }
    }

    /// Reports pass progress (batch by batch) to `observer`.
    pub fn with_observer(mut self, observer: &'a dyn FitObserver) -> Self {
        self.observer = observer;
        self
    }

    /// Saves checkpoints through `checkpointer`.
    pub fn with_checkpointer(mut self, checkpointer: &'a dyn PassCheckpointer) -> Self {
        self.checkpointer = Some(checkpointer);
        self
    }

    /// Number of batches.
    pub fn n_batches(&self) -> usize {
        self.source
            .n_points()
            .div_ceil(self.settings.batch_size.max(1))
    }

    fn batch_range(&self, b: usize) -> Range<usize> {
        let size = self.settings.batch_size.max(1);
        let lo = b * size;
        lo..(lo + size).min(self.source.n_points())
    }

    /// The state now (a copy).
    pub fn state(&self) -> StreamState {
        self.lock().state.clone()
    }

    /// Checkpoint saves that failed, with why.
    pub fn checkpoint_errors(&self) -> Vec<String> {
        self.lock().checkpoint_errors.clone()
    }

    /// Checkpoints written.
    pub fn checkpoints_written(&self) -> usize {
        self.lock().checkpoints_written
    }

    /// True (once) when a batch was excluded after the first pass of the current solver
    /// run: the objective changed, and the solver must start again from
    /// [`Self::restart_point`].
    pub fn take_restart(&self) -> bool {
        std::mem::take(&mut self.lock().restart)
    }

    /// Where to restart: the last point linearised (the run's start if none), and starts a
    /// new solver run there.
    pub fn restart_point(&self) -> Vec<f64> {
        let mut inner = self.lock();
        let start = inner
            .last_linearized
            .clone()
            .unwrap_or_else(|| inner.state.run_start.clone());
        inner.state.run_start = start.clone();
        inner.state.runs += 1;
        inner.state.passes.clear();
        inner.state.partial = None;
        inner.pass_cursor = 0;
        start
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One pass of `kind` at `p`: replayed from the record when resuming, else computed.
    fn pass(&self, kind: PassKind, p: &[f64]) -> Result<PassResult, OptimizationError> {
        let mut inner = self.lock();
        let index = inner.pass_cursor;
        inner.pass_cursor += 1;
        if let Some(record) = inner.state.passes.get(index) {
            if record.result.kind() != kind || !same_bits(&record.parameters, p) {
                return Err(OptimizationError::Checkpoint {
                    message: format!(
                        "the resumed fit asked for pass {index} ({kind:?}) at other parameters \
                         than the checkpoint recorded: the data or the model changed since it \
                         was written"
                    ),
                    context: Context::new().with("pass", index),
                    source: None,
                });
            }
            return Ok(record.result.clone());
        }
        let resume = inner
            .state
            .partial
            .take()
            .filter(|partial| partial.index == index);
        let (accumulation, start, sums) = match resume {
            Some(partial) => {
                if partial.kind != kind || !same_bits(&partial.parameters, p) {
                    return Err(OptimizationError::Checkpoint {
                        message: format!(
                            "the resumed fit asked for pass {index} at other parameters than \
                             the checkpoint's unfinished pass"
                        ),
                        context: Context::new().with("pass", index),
                        source: None,
                    });
                }
                (
                    partial.accumulation,
                    partial.next_batch,
                    Some(partial.sums.into_sums()),
                )
            }
            None => (self.pass_accumulation(kind), 0, None),
        };
        let pass = Pass {
            index,
            kind,
            accumulation,
            parameters: p,
        };
        let sums = self.fold_batches(&mut inner, &pass, start, sums)?;
        let result = match kind {
            PassKind::Cost => PassResult::Cost(sums.into_cost()),
            PassKind::Linearization => {
                let mut redo = None;
                let lin = sums.into_linearization(p.len(), || {
                    // Too ill-conditioned for the normal equations: the pass again, exactly.
                    let exact = Pass {
                        accumulation: Accumulation::Qr,
                        ..pass
                    };
                    match self.fold_batches(&mut inner, &exact, 0, None) {
                        Ok(sums) => sums,
                        Err(e) => {
                            redo = Some(e);
                            PassSums::empty()
                        }
                    }
                });
                if let Some(e) = redo {
                    return Err(e);
                }
                inner.last_linearized = Some(p.to_vec());
                PassResult::Linearization(lin)
            }
        };
        inner.state.passes.push(PassRecord {
            parameters: p.to_vec(),
            result: result.clone(),
        });
        inner.state.passes_done += 1;
        Ok(result)
    }

    fn pass_accumulation(&self, kind: PassKind) -> Accumulation {
        match kind {
            PassKind::Cost => Accumulation::Qr,
            PassKind::Linearization => self.settings.accumulation,
        }
    }

    /// Folds batches `start..` of `pass` into `sums` (empty when `None`).
    fn fold_batches(
        &self,
        inner: &mut Inner,
        pass: &Pass<'_>,
        start: usize,
        sums: Option<PassSums>,
    ) -> Result<PassSums, OptimizationError> {
        let Pass {
            index,
            kind,
            accumulation,
            parameters: p,
        } = *pass;
        let n_batches = self.n_batches();
        let weighted = self.source.has_sigma();
        let mut acc = sums.unwrap_or_else(PassSums::empty);
        let todo: Vec<usize> = (start..n_batches)
            .filter(|b| !inner.state.failed_batches.contains_key(b))
            .collect();
        // The data are checked for NaN, infinities and non-positive sigma when first read in
        // a solver run (its first pass); later passes read the same values (the
        // `DataSource` contract) and only read errors can make them fail.
        let check = index == 0;
        // The next batch is read while this one is folded in, as one more task of the
        // thread pool (`rayon::join`): reading overlaps the computation, and the sums are
        // the same as with reading in line.
        let mut current = std::mem::take(&mut inner.batch);
        let mut spare = Batch::default();
        let mut read = todo
            .first()
            .map(|&b| self.read_valid(self.batch_range(b), &mut current, check));
        for (k, &b) in todo.iter().enumerate() {
            let range = self.batch_range(b);
            let next = todo.get(k + 1).copied();
            let outcome = read
                .take()
                .expect("every batch is read before it is folded");
            let (batch_sums, next_read) = rayon::join(
                || {
                    outcome.as_ref().ok().map(|_| {
                        let sigma = weighted.then_some(current.sigma.as_slice());
                        let objective = InMemoryObjective::new(
                            self.model,
                            &current.x,
                            &current.y,
                            sigma,
                            self.loss,
                            self.f_scale,
                        )
                        .with_accumulation(accumulation);
                        match kind {
                            PassKind::Cost => objective.cost_sums(p),
                            PassKind::Linearization => {
                                objective.linearization_sums(p, accumulation)
                            }
                        }
                    })
                },
                || next.map(|nb| self.read_valid(self.batch_range(nb), &mut spare, check)),
            );
            match outcome {
                Ok(attempts) => {
                    let mut batch_sums = batch_sums.expect("a good batch is summed");
                    batch_sums.invalid_residuals.offset(range.start);
                    batch_sums.invalid_jacobian.offset(range.start * p.len());
                    let batch_cost = batch_sums.cost;
                    acc = std::mem::replace(&mut acc, PassSums::empty()).combine(batch_sums);
                    inner.state.stats.record_batch(
                        b,
                        true,
                        Some(batch_cost),
                        attempts,
                        Vec::new(),
                        None,
                    );
                }
                Err((attempts, why)) => {
                    inner.state.stats.record_batch(
                        b,
                        false,
                        None,
                        attempts,
                        vec!["excluded".to_string()],
                        Some(why.kind),
                    );
                    inner.state.failed_batches.insert(b, why.message);
                    self.check_success_rate(&inner.state.failed_batches, n_batches)?;
                    if index > 0 {
                        inner.restart = true;
                        return Err(OptimizationError::Convergence {
                            message: format!(
                                "batch {b} (points {}..{}) failed during pass {index}: the \
                                 objective changed and the solver restarts",
                                range.start, range.end
                            ),
                            context: Context::new().with("batch", b),
                        });
                    }
                }
            }
            std::mem::swap(&mut current, &mut spare);
            read = next_read;
            inner.state.batches_done += 1;
            self.observer.on_pass_progress(&PassProgress {
                kind,
                points_done: range.end,
                points_total: self.source.n_points(),
            });
            self.maybe_checkpoint(inner, pass, b, &acc)?;
            if self.observer.stop_requested() {
                inner.batch = current;
                return Err(OptimizationError::interrupted()
                    .with_context("pass", index)
                    .with_context("batch", b));
            }
        }
        inner.batch = current;
        self.check_success_rate(&inner.state.failed_batches, n_batches)?;
        Ok(acc)
    }

    /// Saves a checkpoint after batch `b` of `pass` when the checkpointer says so.
    fn maybe_checkpoint(
        &self,
        inner: &mut Inner,
        pass: &Pass<'_>,
        b: usize,
        acc: &PassSums,
    ) -> Result<(), OptimizationError> {
        let Some(checkpointer) = self.checkpointer else {
            return Ok(());
        };
        if !checkpointer.should_save(inner.state.batches_done) {
            return Ok(());
        }
        let mut snapshot = inner.state.clone();
        snapshot.partial = Some(PartialPass {
            index: pass.index,
            kind: pass.kind,
            accumulation: pass.accumulation,
            parameters: pass.parameters.to_vec(),
            next_batch: b + 1,
            sums: SumsState::from_sums(acc),
        });
        let loss = snapshot
            .passes
            .last()
            .map_or(f64::NAN, |r| match &r.result {
                PassResult::Cost(c) => c.cost,
                PassResult::Linearization(l) => l.cost.cost,
            });
        match checkpointer.save(&snapshot, loss) {
            Ok(()) => inner.checkpoints_written += 1,
            Err(e) if self.settings.stop_on_checkpoint_error => {
                return Err(OptimizationError::Checkpoint {
                    message: e,
                    context: Context::new().with("batch", b),
                    source: None,
                });
            }
            Err(e) => inner.checkpoint_errors.push(e),
        }
        Ok(())
    }

    /// Reads the points of `range` into `batch` and, when `check`, checks the values,
    /// retrying; the number of reads made, or that and why the batch failed.
    fn read_valid(
        &self,
        range: Range<usize>,
        batch: &mut Batch,
        check: bool,
    ) -> Result<usize, (usize, BatchFailure)> {
        let mut last = None;
        for attempt in 1..=self.settings.max_retries_per_batch + 1 {
            let failure = match self.source.read(range.clone(), batch) {
                Err(e) => BatchFailure {
                    kind: "read_error",
                    message: e.to_string(),
                },
                Ok(()) if !check => return Ok(attempt),
                Ok(()) => match invalid_data(batch, range.start, self.source.x_dim()) {
                    None => return Ok(attempt),
                    Some(message) => BatchFailure {
                        kind: "invalid_data",
                        message,
                    },
                },
            };
            last = Some(failure);
        }
        Err((
            self.settings.max_retries_per_batch + 1,
            last.expect("at least one read"),
        ))
    }

    fn check_success_rate(
        &self,
        failed: &BTreeMap<usize, String>,
        n_batches: usize,
    ) -> Result<(), OptimizationError> {
        let good = n_batches - failed.len().min(n_batches);
        let rate = good as f64 / n_batches.max(1) as f64;
        if rate >= self.settings.min_success_rate {
            return Ok(());
        }
        let listed: Vec<String> = failed
            .iter()
            .take(10)
            .map(|(b, why)| format!("batch {b}: {why}"))
            .collect();
        let more = failed.len().saturating_sub(listed.len());
        Err(OptimizationError::InvalidInput {
            problem: homodyne_core::InvalidInput::TooManyFailedBatches {
                failed: failed.len(),
                total: n_batches,
                min_success_rate: self.settings.min_success_rate,
                details: if more > 0 {
                    format!("{}; and {more} more", listed.join("; "))
                } else {
                    listed.join("; ")
                },
            },
            context: Context::new().with("source", self.source.describe()).with(
                "failed_batches",
                format!("{:?}", failed.keys().collect::<Vec<_>>()),
            ),
        })
    }
}

/// Why a batch failed: a short kind (for the statistics) and the message.
struct BatchFailure {
    kind: &'static str,
    message: String,
}

/// The first unusable value of a batch (NaN, an infinity, a sigma that is not positive),
/// described with its point's index counted from `first_point`; `None` when all are usable. A
/// branch-free pass first (vectorised); the values are searched one by one only when it
/// finds something.
pub fn invalid_data(batch: &Batch, first_point: usize, x_dim: usize) -> Option<String> {
    let all_finite = vectorized(
        #[inline(always)]
        || non_finite_flag(&batch.x) == 0.0 && non_finite_flag(&batch.y) == 0.0,
    );
    let sigma_ok = batch.sigma.is_empty()
        || (non_finite_flag(&batch.sigma) == 0.0
            && batch.sigma.iter().fold(f64::INFINITY, |m, &v| m.min(v)) > 0.0);
    if all_finite && sigma_ok {
        return None;
    }
    if let Some(i) = batch.x.iter().position(|v| !v.is_finite()) {
        return Some(format!(
            "x of point {} is {}",
            first_point + i / x_dim.max(1),
            batch.x[i]
        ));
    }
    if let Some(i) = batch.y.iter().position(|v| !v.is_finite()) {
        return Some(format!("y of point {} is {}", first_point + i, batch.y[i]));
    }
    if let Some(i) = batch
        .sigma
        .iter()
        .position(|v| !(v.is_finite() && *v > 0.0))
    {
        return Some(format!(
            "sigma of point {} is {}",
            first_point + i,
            batch.sigma[i]
        ));
    }
    None
}

pub(crate) fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

impl<M: Model + ?Sized> Objective for StreamingObjective<'_, M> {
    fn n_params(&self) -> usize {
        self.model.n_params()
    }

    fn n_residuals(&self) -> usize {
        let inner = self.lock();
        let excluded: usize = inner
            .state
            .failed_batches
            .keys()
            .map(|&b| self.batch_range(b).len())
            .sum();
        self.source.n_points() - excluded
    }

    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
        match self.pass(PassKind::Cost, p)? {
            PassResult::Cost(c) => Ok(c),
            PassResult::Linearization(l) => Ok(l.cost),
        }
    }

    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
        match self.pass(PassKind::Linearization, p)? {
            PassResult::Linearization(l) => Ok(l),
            PassResult::Cost(_) => unreachable!("a linearisation pass records a linearisation"),
        }
    }
}

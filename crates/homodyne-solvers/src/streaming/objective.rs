//! [`StreamingObjective`]: what it holds, how it is set up, and what it reports; its passes
//! over the batches are in the `passes` module.

use std::ops::Range;
use std::sync::Mutex;

use homodyne_core::{Batch, DataSource, FitObserver, Model, NoObserver, PassKind};

use super::settings::StreamingSettings;
use super::state::{PassCheckpointer, PassRecord, StreamState};
use crate::loss::Loss;
use crate::objective::Accumulation;

/// The streaming objective: `model` fitted to the points of `source`, read batch by batch.
pub struct StreamingObjective<'a, M: Model + ?Sized> {
    pub(super) model: &'a M,
    pub(super) source: &'a dyn DataSource,
    pub(super) loss: Loss,
    pub(super) f_scale: f64,
    pub(super) settings: StreamingSettings,
    pub(super) observer: &'a dyn FitObserver,
    pub(super) checkpointer: Option<&'a dyn PassCheckpointer>,
    pub(super) inner: Mutex<Inner>,
    /// Held while a batch is read and while a checkpoint is saved: the next batch is read
    /// while one is summed, and a save never overlaps a read, as when batches were read
    /// in line (a source and the checkpoints may share a disk or a directory).
    pub(super) reading: Mutex<()>,
}

/// The mutable part, behind a lock (one pass at a time).
pub(super) struct Inner {
    /// What a checkpoint saves.
    pub(super) state: StreamState,
    /// Passes of the current run asked for so far (replayed or computed).
    pub(super) pass_cursor: usize,
    /// The buffers of the batch being summed and of the one being read, kept between
    /// passes so that their memory is reused.
    pub(super) batch: Batch,
    pub(super) spare: Batch,
    /// A batch was excluded after the run's first pass ([`StreamingObjective::take_restart`]).
    pub(super) restart: bool,
    /// The last point linearised: where a restarted run starts.
    pub(super) last_linearized: Option<Vec<f64>>,
    /// Checkpoint saves that failed, with why.
    pub(super) checkpoint_errors: Vec<String>,
    /// Checkpoints written.
    pub(super) checkpoints_written: usize,
    /// A first pass computed elsewhere ([`StreamingObjective::with_first_pass`]), until the
    /// solver asks for its first pass.
    pub(super) offered: Option<PassRecord>,
}

/// A pass being folded: its number within the solver run, what it computes, how it sums
/// the Jacobian, and where.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pass<'p> {
    pub(super) index: usize,
    pub(super) kind: PassKind,
    pub(super) accumulation: Accumulation,
    pub(super) parameters: &'p [f64],
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
                spare: Batch::default(),
                restart: false,
                last_linearized: None,
                checkpoint_errors: Vec::new(),
                checkpoints_written: 0,
                offered: None,
            }),
            reading: Mutex::new(()),
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

    /// Offers `first` as the first pass of the solver run: a pass over all the points
    /// computed elsewhere (e.g. by the check of a coarse stage that ended where this run
    /// starts), so that it is not read again.
    ///
    /// It is taken when the solver's first request of a fresh run (nothing recorded, no
    /// pass in progress, no restart, no batch excluded) is for the same kind of pass at
    /// the very same parameters, bit for bit; it is then recorded (and saved in
    /// checkpoints, and replayed on resume) like a pass this objective computed, and
    /// counted in [`StreamState::passes_done`] but not in
    /// [`StreamState::batches_done`] (this objective read no batch for it). Otherwise it
    /// is dropped and the pass is computed. It must be what this objective would compute
    /// up to rounding: the same points, model, loss and weights, every point valid (the
    /// first pass is where the batches' values are checked).
    pub fn with_first_pass(self, first: PassRecord) -> Self {
        self.lock().offered = Some(first);
        self
    }

    /// Number of batches.
    pub fn n_batches(&self) -> usize {
        self.source
            .n_points()
            .div_ceil(self.settings.batch_size.max(1))
    }

    pub(super) fn batch_range(&self, b: usize) -> Range<usize> {
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
        inner.offered = None;
        start
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

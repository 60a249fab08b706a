//! What a streaming fit records of itself, and saves in checkpoints: the completed passes
//! of the current solver run, the pass in progress, the excluded batches and the batch
//! statistics ([`StreamState`]), and the [`PassCheckpointer`] that saves them.

use std::collections::BTreeMap;

use homodyne_core::{Context, OptimizationError, PassKind};
use homodyne_stats::BatchStatistics;

use super::checks::same_bits;
use crate::objective::{Accumulation, CostEvaluation, Linearization, SumsState};

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

    /// The cost the pass found.
    pub fn cost(&self) -> f64 {
        match self {
            Self::Cost(c) => c.cost,
            Self::Linearization(l) => l.cost.cost,
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

impl PassRecord {
    /// The recorded result, for a resumed fit that asks for pass `index` again: it must
    /// ask for the same kind of pass at the very same parameters, bit for bit, or the fit
    /// is not the one the checkpoint recorded, and the error says that `suspects` (what may
    /// have changed, e.g. "the data or the model") changed since.
    pub fn replay(
        &self,
        index: usize,
        kind: PassKind,
        p: &[f64],
        suspects: &str,
    ) -> Result<PassResult, OptimizationError> {
        if self.result.kind() != kind || !same_bits(&self.parameters, p) {
            return Err(OptimizationError::Checkpoint {
                message: format!(
                    "the resumed fit asked for pass {index} ({kind:?}) at other parameters \
                     than the checkpoint recorded: {suspects} changed since it was written"
                ),
                context: Context::new().with("pass", index),
                source: None,
            });
        }
        Ok(self.result.clone())
    }
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

//! What a streaming fit is told: how it reads its data ([`StreamingOptions`]) and where and
//! how often it saves its state ([`CheckpointOptions`]).

use std::path::PathBuf;

use homodyne_core::{Context, InvalidInput, OptimizationError};

/// Where and how often a streaming fit saves its state.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointOptions {
    /// The directory (created when missing).
    pub dir: PathBuf,
    /// Save every this many batches (counted over all passes). Default 10.
    pub frequency: usize,
    /// Keep this many newest checkpoints. Default 3.
    pub keep_last_n: usize,
    /// gzip the datasets. Default true.
    pub compression: bool,
    /// Continue from the newest valid checkpoint in `dir`, if any. Default false.
    pub resume: bool,
}

impl CheckpointOptions {
    /// Checkpoints in `dir` with the defaults.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            frequency: 10,
            keep_last_n: 3,
            compression: true,
            resume: false,
        }
    }
}

/// How a streaming fit reads its data.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingOptions {
    /// Points per batch; `None`: from the memory budget (`build_streaming_config`).
    pub batch_size: Option<usize>,
    /// Reads of a failing batch after the first before it is excluded. Default 2.
    pub max_retries_per_batch: usize,
    /// Smallest share of good batches with which the fit goes on. Default 0.5.
    pub min_success_rate: f64,
    /// Checkpoints, if any.
    pub checkpoint: Option<CheckpointOptions>,
    /// Stop when a checkpoint cannot be written (default false: record it and go on).
    pub stop_on_checkpoint_error: bool,
}

impl Default for StreamingOptions {
    fn default() -> Self {
        Self {
            batch_size: None,
            max_retries_per_batch: 2,
            min_success_rate: 0.5,
            checkpoint: None,
            stop_on_checkpoint_error: false,
        }
    }
}

/// The error of an option that cannot be used: its name, its value and why.
pub(crate) fn invalid_option(
    option: &'static str,
    value: String,
    reason: &'static str,
) -> OptimizationError {
    OptimizationError::InvalidInput {
        problem: InvalidInput::InvalidOption {
            option,
            value,
            reason,
        },
        context: Context::new(),
    }
}

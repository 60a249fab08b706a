//! The STREAMING configuration: batch size, epochs, checkpoints and fault tolerance.

use std::path::PathBuf;

/// The batch size limits live with the memory model that bounds a batch; named here too.
pub use crate::memory::{MAX_BATCH_SIZE, MIN_BATCH_SIZE};
use crate::memory::{data_bytes_per_point, default_workers, overhead_bytes};

/// Batch sizes are rounded to the nearest multiple of this.
pub const BATCH_ROUNDING: usize = 1_000;
/// Share of the memory budget a streaming batch may take.
pub const BATCH_BUDGET_FRACTION: f64 = 0.10;
/// Coordinates a point that [`build_streaming_config`] budgets for (it is not told the
/// model's `x_dim`; 3 covers the one-dimensional models and two-time inputs with an angle).
pub const STREAMING_ASSUMED_X_DIM: usize = 3;

/// Checkpoints of a streaming fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckpointSettings {
    /// Write checkpoints. Default `false`.
    pub enable: bool,
    /// Folder for checkpoint files. Default `./checkpoints`.
    pub dir: PathBuf,
    /// Write one every this many batches. Default 10.
    pub frequency: usize,
    /// Resume from the newest valid checkpoint in `dir` when there is one. Default `false`.
    pub resume: bool,
    /// Keep this many newest checkpoints, deleting older ones. Default 3.
    pub keep_last: usize,
}

impl Default for CheckpointSettings {
    fn default() -> Self {
        Self {
            enable: false,
            dir: PathBuf::from("./checkpoints"),
            frequency: 10,
            resume: false,
            keep_last: 3,
        }
    }
}

/// Fault tolerance of a streaming fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultToleranceSettings {
    /// Retry failed batches and skip those that keep failing. Default `true`.
    pub enable: bool,
    /// Check each batch's residuals and Jacobian for NaN and infinities. Default `true`.
    pub validate_numerics: bool,
    /// Fail the fit when fewer than this share of batches succeed. Default 0.5.
    pub min_success_rate: f64,
    /// Retries of a failed batch before it is skipped. Default 2.
    pub max_retries_per_batch: usize,
}

impl Default for FaultToleranceSettings {
    fn default() -> Self {
        Self {
            enable: true,
            validate_numerics: true,
            min_success_rate: 0.5,
            max_retries_per_batch: 2,
        }
    }
}

/// Everything a STREAMING fit needs to know beyond the model and the data source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamingConfig {
    /// Points a batch (see [`batch_size_for_budget`]).
    pub batch_size: usize,
    /// Most passes over the data. Default 50.
    pub max_epochs: usize,
    /// Checkpoints.
    pub checkpoint: CheckpointSettings,
    /// Fault tolerance.
    pub fault_tolerance: FaultToleranceSettings,
    /// The memory budget the batch size was planned with, in bytes.
    pub budget_bytes: u64,
}

/// Default [`StreamingConfig::max_epochs`].
pub const DEFAULT_MAX_EPOCHS: usize = 50;

/// The batch size for a budget: `(BATCH_BUDGET_FRACTION * budget - fixed_bytes) /
/// bytes_per_point`, rounded to the nearest multiple of [`BATCH_ROUNDING`] (halves round
/// up) and bounded to [`MIN_BATCH_SIZE`, `MAX_BATCH_SIZE`].
///
/// `fixed_bytes` is what the batch's share must also hold whatever the batch size (the
/// per-worker buffers and factors); `bytes_per_point` is at least 1.
pub fn batch_size_for_budget(budget_bytes: u64, fixed_bytes: u64, bytes_per_point: u64) -> usize {
    let share = (budget_bytes as f64 * BATCH_BUDGET_FRACTION - fixed_bytes as f64).max(0.0);
    let points = share / bytes_per_point.max(1) as f64;
    let rounded = (points / BATCH_ROUNDING as f64).round() * BATCH_ROUNDING as f64;
    // `as` saturates; the clamp then bounds it.
    (rounded as usize).clamp(MIN_BATCH_SIZE, MAX_BATCH_SIZE)
}

/// The STREAMING configuration for `n_points` points and `n_parameters` parameters.
///
/// The budget is `memory_limit_gb` (GiB) when given, otherwise the memory available
/// ([`crate::available_memory_bytes`]). The batch size is
/// [`batch_size_for_budget`]`(budget, overhead, 8 * (STREAMING_ASSUMED_X_DIM + 3))`, with the
/// overhead (chunk buffers and `p x p` factors of [`default_workers`] workers) of the
/// memory module's formula; it never exceeds `n_points` rounded up to [`MIN_BATCH_SIZE`].
/// Other fields take their defaults, with `checkpoint` as given.
pub fn build_streaming_config(
    n_points: usize,
    n_parameters: usize,
    checkpoint: CheckpointSettings,
    memory_limit_gb: Option<f64>,
) -> StreamingConfig {
    let budget = crate::memory::budget_bytes(memory_limit_gb);
    build_streaming_config_for_budget(
        n_points,
        n_parameters,
        checkpoint,
        budget,
        default_workers(),
    )
}

/// [`build_streaming_config`] with an explicit budget (bytes) and worker count.
pub fn build_streaming_config_for_budget(
    n_points: usize,
    n_parameters: usize,
    checkpoint: CheckpointSettings,
    budget_bytes: u64,
    workers: usize,
) -> StreamingConfig {
    let fixed = overhead_bytes(MAX_BATCH_SIZE, n_parameters, workers);
    let per_point = data_bytes_per_point(STREAMING_ASSUMED_X_DIM, true);
    let batch = batch_size_for_budget(budget_bytes, fixed, per_point);
    let cap = n_points.div_ceil(BATCH_ROUNDING).max(1) * BATCH_ROUNDING;
    StreamingConfig {
        batch_size: batch.min(cap.max(MIN_BATCH_SIZE)),
        max_epochs: DEFAULT_MAX_EPOCHS,
        checkpoint,
        fault_tolerance: FaultToleranceSettings::default(),
        budget_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_budget_gives_the_minimum() {
        assert_eq!(batch_size_for_budget(0, 0, 48), MIN_BATCH_SIZE);
        assert_eq!(
            batch_size_for_budget(1_000_000, 10_000_000, 48),
            MIN_BATCH_SIZE
        );
        let c =
            build_streaming_config(1_000_000_000, 7, CheckpointSettings::default(), Some(0.001));
        assert_eq!(c.batch_size, MIN_BATCH_SIZE);
    }

    #[test]
    fn huge_budget_gives_the_maximum() {
        assert_eq!(batch_size_for_budget(u64::MAX, 0, 48), MAX_BATCH_SIZE);
        let c = build_streaming_config(1_000_000_000, 7, CheckpointSettings::default(), Some(1e6));
        assert_eq!(c.batch_size, MAX_BATCH_SIZE);
    }

    #[test]
    fn middle_case_rounds_to_the_nearest_thousand() {
        // 10% of 10_000_000 = 1_000_000 bytes over 40 bytes a point = 25_000 points.
        assert_eq!(batch_size_for_budget(10_000_000, 0, 40), 25_000);
        // 12_340 points -> 12_000; 12_500 -> 13_000 (halves round up); 12_660 -> 13_000.
        assert_eq!(batch_size_for_budget(4_936_000, 0, 40), 12_000);
        assert_eq!(batch_size_for_budget(5_000_000, 0, 40), 13_000);
        assert_eq!(batch_size_for_budget(5_064_000, 0, 40), 13_000);
        // The fixed bytes come off the share first: (1_000_000 - 200_000) / 40 = 20_000.
        assert_eq!(batch_size_for_budget(10_000_000, 200_000, 40), 20_000);
    }

    #[test]
    fn config_from_an_explicit_budget() {
        let fixed = overhead_bytes(MAX_BATCH_SIZE, 7, 2);
        let per_point = data_bytes_per_point(STREAMING_ASSUMED_X_DIM, true);
        // A budget whose 10% holds the overhead and 37_400 points -> 37_000.
        let budget = (fixed + 37_400 * per_point) * 10;
        let ck = CheckpointSettings {
            enable: true,
            frequency: 5,
            ..CheckpointSettings::default()
        };
        let c = build_streaming_config_for_budget(500_000_000, 7, ck.clone(), budget, 2);
        assert_eq!(c.batch_size, 37_000);
        assert_eq!(c.max_epochs, DEFAULT_MAX_EPOCHS);
        assert_eq!(c.checkpoint, ck);
        assert_eq!(c.fault_tolerance, FaultToleranceSettings::default());
        assert_eq!(c.budget_bytes, budget);
        // Never a batch much larger than the data.
        let small = build_streaming_config_for_budget(2_500, 7, ck, budget, 2);
        assert_eq!(small.batch_size, 3_000);
    }

    #[test]
    fn defaults() {
        let c = CheckpointSettings::default();
        assert!(!c.enable && !c.resume);
        assert_eq!((c.frequency, c.keep_last), (10, 3));
        let f = FaultToleranceSettings::default();
        assert!(f.enable && f.validate_numerics);
        assert_eq!((f.min_success_rate, f.max_retries_per_batch), (0.5, 2));
    }
}

//! STREAMING fits over a [`DataSource`] ([`Fit::source`](crate::Fit::source), or points in
//! memory with [`Fit::strategy`](crate::Fit::strategy)`(Streaming)`), with batch-level fault
//! tolerance, HDF5 checkpoints and resume.
//!
//! The data are read batch by batch on every pass (`homodyne_solvers::streaming`), so
//! memory is one batch plus `P x P` sums, whatever the number of points, and the optimum
//! is the one CHUNKED reaches in memory. With [`CheckpointOptions`] the fit saves its state
//! every `frequency` batches (`homodyne_state_batch_NNNN.h5`, see `homodyne_checkpoint`);
//! with `resume` it continues from the newest valid checkpoint and ends on the same bits as
//! a fit never interrupted.
//!
//! # What a checkpoint holds
//!
//! `parameters` is where the pass in progress evaluates the model. The optimizer state
//! holds, as plain datasets (`/optimizer_state/<name>`):
//!
//! | field | shape | meaning |
//! |---|---|---|
//! | `run_start` | `P` | where the current solver run started |
//! | `runs`, `batches_done`, `passes_done` | scalar | runs started, batches folded in, passes completed |
//! | `failed_batches` | `F` | excluded batches (their reasons are metadata `failed_batch_<i>`) |
//! | `pass_kind` | `K` | completed passes of the run: 0 cost, 1 linearisation |
//! | `pass_parameters` | `K x P` | where each pass was evaluated |
//! | `pass_cost`, `pass_chi_squared`, `pass_scaled_sq` | `K` | their sums |
//! | `pass_r`, `pass_qtf` | `K x P x P`, `K x P` | their factors (zero for cost passes) |
//! | `pass_invalid_*` | | their samples of non-finite residuals and Jacobian entries |
//! | `partial_*` | | the pass in progress: index, kind, accumulation, next batch, sums so far |
//!
//! Metadata: `strategy`, `n_points`, `n_params`, `batch_size`, `source`, and
//! `batch_statistics` (the batch statistics as JSON).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use homodyne_checkpoint::{CheckpointManager, OptimizerState, StateArray};
use homodyne_core::AttemptSummary;
use homodyne_core::{
    Context, DataSource, InvalidInput, InvalidSample, Method, OptimizationError,
    OptimizationResult, OptimizationStrategy, PassKind, RecoveryAction, StreamingDiagnostics,
};
use homodyne_solvers::factor::RFactor;
use homodyne_solvers::normal::NormalAccumulator;
use homodyne_solvers::objective::{CostEvaluation, Linearization};
use homodyne_solvers::streaming::{
    PartialPass, PassCheckpointer, PassRecord, PassResult, StreamState, StreamingObjective,
    StreamingSettings, SumsState,
};
use homodyne_solvers::{Accumulation, lm, trf};
use homodyne_stats::BatchStatistics;
use homodyne_strategy::{CheckpointSettings, build_streaming_config};

use crate::fit::Fit;
use crate::outcome::result_from_outcome;
use crate::validate::validate_start;
use crate::wrapper::NlsqWrapper;

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

/// Saves [`StreamState`]s as HDF5 checkpoints, timing each save.
pub(crate) struct HdfCheckpointer {
    manager: CheckpointManager,
    metadata: BTreeMap<String, String>,
    /// Total and longest save time, in seconds.
    timing: Mutex<(f64, f64)>,
}

impl PassCheckpointer for HdfCheckpointer {
    fn should_save(&self, batches_done: u64) -> bool {
        batches_done > 0 && self.manager.should_checkpoint(batches_done - 1)
    }

    fn save(&self, state: &StreamState, loss: f64) -> Result<(), String> {
        let started = Instant::now();
        let saved = self.save_untimed(state, loss);
        let seconds = started.elapsed().as_secs_f64();
        let mut timing = self.timing.lock().unwrap_or_else(|e| e.into_inner());
        timing.0 += seconds;
        timing.1 = timing.1.max(seconds);
        saved
    }
}

impl HdfCheckpointer {
    /// Saves through `manager`, adding `metadata` to every checkpoint.
    pub(crate) fn new(manager: CheckpointManager, metadata: BTreeMap<String, String>) -> Self {
        Self {
            manager,
            metadata,
            timing: Mutex::new((0.0, 0.0)),
        }
    }

    /// Total and longest save time so far, in seconds.
    pub(crate) fn timing(&self) -> (f64, f64) {
        *self.timing.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save_untimed(&self, state: &StreamState, loss: f64) -> Result<(), String> {
        let parameters = state
            .partial
            .as_ref()
            .map_or(&state.run_start, |p| &p.parameters);
        let (fields, mut metadata) = encode_state(state).map_err(|e| e.to_string())?;
        metadata.extend(self.metadata.clone());
        self.manager
            .save_checkpoint(state.batches_done, parameters, &fields, loss, &metadata)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl NlsqWrapper {
    /// Fits `fit`'s model to the points of `source` with the STREAMING strategy; see the
    /// module documentation. `fit.strategy` is ignored.
    pub(crate) fn fit_streaming(
        &self,
        fit: &Fit<'_>,
        source: &dyn DataSource,
    ) -> Result<OptimizationResult, OptimizationError> {
        let started = Instant::now();
        let bounds = validate_start(fit)?;
        let (model, p0, method, options) = (fit.model(), &fit.p0[..], fit.method, &fit.streaming);
        let n_points = source.n_points();
        let batch_size = batch_size_of(fit, n_points)?;
        if !(0.0..=1.0).contains(&options.min_success_rate) {
            return Err(invalid_option(
                "min_success_rate",
                options.min_success_rate.to_string(),
                "a share of batches lies in [0, 1]",
            ));
        }
        let settings = StreamingSettings {
            batch_size,
            max_retries_per_batch: options.max_retries_per_batch,
            min_success_rate: options.min_success_rate,
            accumulation: Accumulation::NormalEquations,
            stop_on_checkpoint_error: options.stop_on_checkpoint_error,
        };

        // A directory that cannot be created is a checkpoint error like any failed save:
        // recorded, and the fit goes on without checkpoints (unless told to stop).
        let mut setup_errors = Vec::new();
        let checkpointer = match &options.checkpoint {
            Some(c) => {
                match CheckpointManager::new(&c.dir, c.frequency, c.keep_last_n, c.compression) {
                    Ok(manager) => Some(HdfCheckpointer {
                        manager,
                        metadata: BTreeMap::from([
                            ("strategy".to_string(), "STREAMING".to_string()),
                            ("n_points".to_string(), n_points.to_string()),
                            ("n_params".to_string(), p0.len().to_string()),
                            ("batch_size".to_string(), batch_size.to_string()),
                            ("source".to_string(), source.describe()),
                        ]),
                        timing: Mutex::new((0.0, 0.0)),
                    }),
                    Err(e) if options.stop_on_checkpoint_error || c.resume => {
                        return Err(OptimizationError::from(e));
                    }
                    Err(e) => {
                        setup_errors.push(e.to_string());
                        None
                    }
                }
            }
            None => None,
        };
        let mut resumed_from = None;
        let state = match (&options.checkpoint, &checkpointer) {
            (Some(c), Some(ck)) if c.resume => match ck
                .manager
                .load_latest_checkpoint()
                .map_err(OptimizationError::from)?
            {
                Some(checkpoint) => {
                    if checkpoint
                        .metadata
                        .get(crate::distributed::FOLD_KEY)
                        .map(String::as_str)
                        == Some(crate::distributed::FOLD_TREE)
                    {
                        return Err(OptimizationError::Checkpoint {
                            message: "the checkpoint was written by a distributed fit (its \
                                      passes summed in tree order): resume it with a \
                                      communicator (Fit::communicator)"
                                .to_owned(),
                            context: Context::new().with("path", checkpoint.path.display()),
                            source: None,
                        });
                    }
                    check_compatible(&checkpoint.metadata, n_points, p0.len(), batch_size)
                        .map_err(|e| e.with_context("path", checkpoint.path.display()))?;
                    let state = decode_state(&checkpoint.optimizer_state, &checkpoint.metadata)
                        .map_err(|e| e.with_context("path", checkpoint.path.display()))?;
                    resumed_from = Some(checkpoint.path.display().to_string());
                    state
                }
                None => StreamState::new(p0),
            },
            _ => StreamState::new(p0),
        };

        let attempt = self.first_attempt(fit, OptimizationStrategy::Streaming, bounds);
        let (solver_options, bounds) = (&attempt.options, &attempt.bounds);
        let observer = fit.observer;
        let mut objective = StreamingObjective::resume(
            model,
            source,
            state,
            solver_options.loss,
            solver_options.f_scale,
            settings,
        )
        .with_observer(observer);
        if let Some(ck) = &checkpointer {
            objective = objective.with_checkpointer(ck);
        }
        let mut start = objective.state().run_start;
        let mut actions = Vec::new();
        let outcome = loop {
            let solved = match method {
                Method::Trf => trf(&objective, &start, bounds, solver_options, observer),
                Method::Lm => lm(&objective, &start, bounds, solver_options, observer),
            };
            match solved {
                Ok(outcome) => break outcome,
                // Stopped on request, after the checkpoint due for the last whole batch:
                // never restarted.
                Err(error) if error.is_interrupted() => {
                    return Err(error
                        .with_context("strategy", OptimizationStrategy::Streaming)
                        .with_context("method", method));
                }
                Err(error) if objective.take_restart() => {
                    if actions.len() >= objective.n_batches() {
                        return Err(error);
                    }
                    start = objective.restart_point();
                    actions.push(RecoveryAction {
                        attempt: actions.len() + 1,
                        trigger: error.to_string(),
                        action: "exclude_batch_and_restart".to_string(),
                    });
                }
                Err(error) => {
                    return Err(error
                        .with_context("strategy", OptimizationStrategy::Streaming)
                        .with_context("method", method));
                }
            }
        };

        let state = objective.state();
        let n_used = homodyne_solvers::Objective::n_residuals(&objective);
        let mut result = result_from_outcome(outcome, fit, &attempt, n_used);
        result.attempts = vec![AttemptSummary::of(1, &result)];
        let stats = state.stats.get_statistics();
        let (checkpoint_seconds_total, checkpoint_seconds_max) =
            checkpointer.as_ref().map_or((0.0, 0.0), |c| {
                *c.timing.lock().unwrap_or_else(|e| e.into_inner())
            });
        result.streaming_diagnostics = Some(StreamingDiagnostics {
            batch_size,
            n_batches: objective.n_batches(),
            batch_success_rate: stats.success_rate,
            failed_batch_indices: state.failed_batches.keys().copied().collect(),
            failed_batch_reasons: state.failed_batches.values().cloned().collect(),
            error_type_distribution: stats.error_distribution,
            average_iterations_per_batch: stats.average_iterations.unwrap_or(0.0),
            total_batches_processed: state.batches_done,
            passes: state.passes_done,
            checkpoints_written: objective.checkpoints_written(),
            checkpoint_errors: setup_errors
                .into_iter()
                .chain(objective.checkpoint_errors())
                .collect(),
            checkpoint_seconds_total,
            checkpoint_seconds_max,
            resumed_from,
        });
        result.recovery_actions = actions;
        result.wall_time = started.elapsed();
        Ok(result)
    }
}

/// The points per batch of `fit` over `n_points` points: its streaming options'
/// `batch_size`, else from the memory budget (`build_streaming_config`); 0 is refused.
pub(crate) fn batch_size_of(fit: &Fit<'_>, n_points: usize) -> Result<usize, OptimizationError> {
    let batch_size = fit.streaming.batch_size.unwrap_or_else(|| {
        build_streaming_config(
            n_points,
            fit.p0.len(),
            CheckpointSettings::default(),
            fit.memory_limit_gb,
        )
        .batch_size
    });
    if batch_size == 0 {
        return Err(invalid_option(
            "batch_size",
            "0".into(),
            "a batch holds at least one point",
        ));
    }
    Ok(batch_size)
}

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

/// Refuses a checkpoint written for another problem.
pub(crate) fn check_compatible(
    metadata: &BTreeMap<String, String>,
    n_points: usize,
    n_params: usize,
    batch_size: usize,
) -> Result<(), OptimizationError> {
    for (key, want) in [
        ("n_points", n_points),
        ("n_params", n_params),
        ("batch_size", batch_size),
    ] {
        let found = metadata.get(key).and_then(|v| v.parse::<usize>().ok());
        if found != Some(want) {
            return Err(OptimizationError::Checkpoint {
                message: format!(
                    "the checkpoint was written for {key} = {}, this fit has {want}",
                    metadata.get(key).map_or("(missing)", String::as_str)
                ),
                context: Context::new(),
                source: None,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// StreamState <-> checkpoint fields
// ---------------------------------------------------------------------------------------

type Encoded = (OptimizerState, BTreeMap<String, String>);

fn as_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Samples of non-finite values, flattened: owner (pass number), index, value.
#[derive(Default)]
struct Samples {
    owner: Vec<i64>,
    index: Vec<i64>,
    value: Vec<f64>,
    count: Vec<i64>,
}

impl Samples {
    fn push(&mut self, owner: usize, sample: &InvalidSample) {
        self.count.push(as_i64(sample.count));
        for v in &sample.values {
            self.owner.push(as_i64(owner));
            self.index.push(as_i64(v.index));
            self.value.push(v.value);
        }
    }

    fn insert(self, fields: &mut OptimizerState, prefix: &str) -> Result<(), OptimizationError> {
        fields
            .insert(
                format!("{prefix}_count"),
                StateArray::vector_i64(self.count),
            )
            .map_err(OptimizationError::from)?;
        fields
            .insert(
                format!("{prefix}_owner"),
                StateArray::vector_i64(self.owner),
            )
            .map_err(OptimizationError::from)?;
        fields
            .insert(
                format!("{prefix}_index"),
                StateArray::vector_i64(self.index),
            )
            .map_err(OptimizationError::from)?;
        fields
            .insert(
                format!("{prefix}_value"),
                StateArray::vector_f64(self.value),
            )
            .map_err(OptimizationError::from)?;
        Ok(())
    }
}

fn encode_state(state: &StreamState) -> Result<Encoded, OptimizationError> {
    let mut f = OptimizerState::new();
    let mut put = |name: &str, a: StateArray| {
        f.insert(name, a)
            .map(|_| ())
            .map_err(OptimizationError::from)
    };
    put("run_start", StateArray::vector_f64(state.run_start.clone()))?;
    put("runs", StateArray::scalar_i64(as_i64(state.runs)))?;
    put(
        "batches_done",
        StateArray::scalar_i64(i64::try_from(state.batches_done).unwrap_or(i64::MAX)),
    )?;
    put(
        "passes_done",
        StateArray::scalar_i64(as_i64(state.passes_done)),
    )?;
    put(
        "failed_batches",
        StateArray::vector_i64(state.failed_batches.keys().map(|&b| as_i64(b)).collect()),
    )?;
    let k = state.passes.len();
    let n = state.run_start.len();
    let mut kind = Vec::with_capacity(k);
    let mut params = Vec::with_capacity(k * n);
    let (mut cost, mut chi2, mut scaled) = (Vec::new(), Vec::new(), Vec::new());
    let (mut r, mut qtf) = (Vec::with_capacity(k * n * n), Vec::with_capacity(k * n));
    let (mut residual_samples, mut jacobian_samples) = (Samples::default(), Samples::default());
    for (i, record) in state.passes.iter().enumerate() {
        params.extend_from_slice(&record.parameters);
        match &record.result {
            PassResult::Cost(c) => {
                kind.push(0);
                cost.push(c.cost);
                chi2.push(c.chi_squared);
                scaled.push(0.0);
                r.extend(std::iter::repeat_n(0.0, n * n));
                qtf.extend(std::iter::repeat_n(0.0, n));
                residual_samples.push(i, &c.invalid_residuals);
                jacobian_samples.push(i, &InvalidSample::default());
            }
            PassResult::Linearization(l) => {
                kind.push(1);
                cost.push(l.cost.cost);
                chi2.push(l.cost.chi_squared);
                scaled.push(l.scaled_residual_sq);
                r.extend_from_slice(l.factor.r_matrix());
                qtf.extend_from_slice(l.factor.qtf());
                residual_samples.push(i, &l.cost.invalid_residuals);
                jacobian_samples.push(i, &l.invalid_jacobian);
            }
        }
    }
    put("pass_kind", StateArray::vector_i64(kind))?;
    put(
        "pass_parameters",
        StateArray::f64_with_shape(vec![k, n], params).map_err(OptimizationError::from)?,
    )?;
    put("pass_cost", StateArray::vector_f64(cost))?;
    put("pass_chi_squared", StateArray::vector_f64(chi2))?;
    put("pass_scaled_sq", StateArray::vector_f64(scaled))?;
    put(
        "pass_r",
        StateArray::f64_with_shape(vec![k, n, n], r).map_err(OptimizationError::from)?,
    )?;
    put(
        "pass_qtf",
        StateArray::f64_with_shape(vec![k, n], qtf).map_err(OptimizationError::from)?,
    )?;
    residual_samples.insert(&mut f, "pass_invalid_residual")?;
    jacobian_samples.insert(&mut f, "pass_invalid_jacobian")?;

    let mut put = |name: &str, a: StateArray| {
        f.insert(name, a)
            .map(|_| ())
            .map_err(OptimizationError::from)
    };
    match &state.partial {
        None => put("partial_present", StateArray::scalar_i64(0))?,
        Some(p) => {
            put("partial_present", StateArray::scalar_i64(1))?;
            put("partial_index", StateArray::scalar_i64(as_i64(p.index)))?;
            put(
                "partial_kind",
                StateArray::scalar_i64(match p.kind {
                    PassKind::Cost => 0,
                    PassKind::Linearization => 1,
                }),
            )?;
            put(
                "partial_accumulation",
                StateArray::scalar_i64(match p.accumulation {
                    Accumulation::Qr => 0,
                    Accumulation::NormalEquations => 1,
                }),
            )?;
            put(
                "partial_next_batch",
                StateArray::scalar_i64(as_i64(p.next_batch)),
            )?;
            put(
                "partial_parameters",
                StateArray::vector_f64(p.parameters.clone()),
            )?;
            put("partial_cost", StateArray::scalar_f64(p.sums.cost))?;
            put(
                "partial_chi_squared",
                StateArray::scalar_f64(p.sums.chi_squared),
            )?;
            put(
                "partial_scaled_sq",
                StateArray::scalar_f64(p.sums.scaled_sq),
            )?;
            if let Some(factor) = &p.sums.factor {
                put(
                    "partial_factor_r",
                    StateArray::f64_with_shape(vec![n, n], factor.r_matrix().to_vec())
                        .map_err(OptimizationError::from)?,
                )?;
                put(
                    "partial_factor_qtf",
                    StateArray::vector_f64(factor.qtf().to_vec()),
                )?;
            }
            if let Some(normal) = &p.sums.normal {
                let (jtj, jtf) = normal.parts();
                put(
                    "partial_normal_jtj",
                    StateArray::f64_with_shape(vec![n, n], jtj.to_vec())
                        .map_err(OptimizationError::from)?,
                )?;
                put("partial_normal_jtf", StateArray::vector_f64(jtf.to_vec()))?;
            }
            let mut residuals = Samples::default();
            residuals.push(0, &p.sums.invalid_residuals);
            residuals.insert(&mut f, "partial_invalid_residual")?;
            let mut jacobian = Samples::default();
            jacobian.push(0, &p.sums.invalid_jacobian);
            jacobian.insert(&mut f, "partial_invalid_jacobian")?;
        }
    }
    let mut metadata = BTreeMap::new();
    for (b, why) in &state.failed_batches {
        metadata.insert(format!("failed_batch_{b}"), why.clone());
    }
    metadata.insert(
        "batch_statistics".to_string(),
        serde_json::to_string(&state.stats)
            .map_err(|e| corrupt(&format!("batch statistics: {e}")))?,
    );
    Ok((f, metadata))
}

fn corrupt(what: &str) -> OptimizationError {
    OptimizationError::Checkpoint {
        message: format!("the checkpoint's optimizer state is unusable: {what}"),
        context: Context::new(),
        source: None,
    }
}

/// Reads the fields back; every missing or misshapen field is an error naming it.
struct Fields<'a>(&'a OptimizerState);

impl Fields<'_> {
    fn f64s(&self, name: &str) -> Result<Vec<f64>, OptimizationError> {
        self.0
            .get(name)
            .and_then(StateArray::as_f64)
            .map(<[f64]>::to_vec)
            .ok_or_else(|| corrupt(&format!("no f64 field {name}")))
    }
    fn i64s(&self, name: &str) -> Result<Vec<i64>, OptimizationError> {
        self.0
            .get(name)
            .and_then(StateArray::as_i64)
            .map(<[i64]>::to_vec)
            .ok_or_else(|| corrupt(&format!("no i64 field {name}")))
    }
    fn scalar_f64(&self, name: &str) -> Result<f64, OptimizationError> {
        self.0
            .get(name)
            .and_then(StateArray::as_scalar_f64)
            .ok_or_else(|| corrupt(&format!("no scalar {name}")))
    }
    fn usize(&self, name: &str) -> Result<usize, OptimizationError> {
        self.0
            .get(name)
            .and_then(StateArray::as_scalar_i64)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| corrupt(&format!("no count {name}")))
    }
    /// The samples of `prefix`, one per owner `0..owners`.
    fn samples(
        &self,
        prefix: &str,
        owners: usize,
    ) -> Result<Vec<InvalidSample>, OptimizationError> {
        let count = self.i64s(&format!("{prefix}_count"))?;
        let owner = self.i64s(&format!("{prefix}_owner"))?;
        let index = self.i64s(&format!("{prefix}_index"))?;
        let value = self.f64s(&format!("{prefix}_value"))?;
        if count.len() != owners || owner.len() != index.len() || index.len() != value.len() {
            return Err(corrupt(&format!("{prefix}: inconsistent lengths")));
        }
        let mut out: Vec<InvalidSample> = vec![InvalidSample::default(); owners];
        for ((o, i), v) in owner.iter().zip(&index).zip(&value) {
            let o = usize::try_from(*o)
                .ok()
                .filter(|&o| o < owners)
                .ok_or_else(|| corrupt(prefix))?;
            let i = usize::try_from(*i).map_err(|_| corrupt(prefix))?;
            out[o].push(i, *v);
        }
        for (sample, &c) in out.iter_mut().zip(&count) {
            sample.count = usize::try_from(c).map_err(|_| corrupt(prefix))?;
        }
        Ok(out)
    }
}

pub(crate) fn decode_state(
    fields: &OptimizerState,
    metadata: &BTreeMap<String, String>,
) -> Result<StreamState, OptimizationError> {
    let f = Fields(fields);
    let run_start = f.f64s("run_start")?;
    let n = run_start.len();
    let failed_batches = f
        .i64s("failed_batches")?
        .into_iter()
        .map(|b| {
            let b = usize::try_from(b).map_err(|_| corrupt("failed_batches"))?;
            let why = metadata
                .get(&format!("failed_batch_{b}"))
                .cloned()
                .unwrap_or_default();
            Ok((b, why))
        })
        .collect::<Result<BTreeMap<_, _>, OptimizationError>>()?;
    let kind = f.i64s("pass_kind")?;
    let k = kind.len();
    let params = f.f64s("pass_parameters")?;
    let cost = f.f64s("pass_cost")?;
    let chi2 = f.f64s("pass_chi_squared")?;
    let scaled = f.f64s("pass_scaled_sq")?;
    let r = f.f64s("pass_r")?;
    let qtf = f.f64s("pass_qtf")?;
    if params.len() != k * n
        || cost.len() != k
        || chi2.len() != k
        || scaled.len() != k
        || r.len() != k * n * n
        || qtf.len() != k * n
    {
        return Err(corrupt("the pass records have inconsistent lengths"));
    }
    let residual_samples = f.samples("pass_invalid_residual", k)?;
    let jacobian_samples = f.samples("pass_invalid_jacobian", k)?;
    let mut passes = Vec::with_capacity(k);
    for i in 0..k {
        let evaluation = CostEvaluation {
            cost: cost[i],
            chi_squared: chi2[i],
            invalid_residuals: residual_samples[i].clone(),
        };
        let result = match kind[i] {
            0 => PassResult::Cost(evaluation),
            1 => PassResult::Linearization(Linearization {
                cost: evaluation,
                factor: RFactor::from_parts(
                    n,
                    r[i * n * n..(i + 1) * n * n].to_vec(),
                    qtf[i * n..(i + 1) * n].to_vec(),
                ),
                scaled_residual_sq: scaled[i],
                invalid_jacobian: jacobian_samples[i].clone(),
            }),
            other => return Err(corrupt(&format!("pass kind {other}"))),
        };
        passes.push(PassRecord {
            parameters: params[i * n..(i + 1) * n].to_vec(),
            result,
        });
    }
    let partial = if f.usize("partial_present")? == 1 {
        let factor = match (
            fields.get("partial_factor_r"),
            fields.get("partial_factor_qtf"),
        ) {
            (Some(_), Some(_)) => Some(RFactor::from_parts(
                n,
                f.f64s("partial_factor_r")?,
                f.f64s("partial_factor_qtf")?,
            )),
            _ => None,
        };
        let normal = match (
            fields.get("partial_normal_jtj"),
            fields.get("partial_normal_jtf"),
        ) {
            (Some(_), Some(_)) => Some(
                NormalAccumulator::from_parts(
                    n,
                    f.f64s("partial_normal_jtj")?,
                    f.f64s("partial_normal_jtf")?,
                )
                .ok_or_else(|| corrupt("partial normal equations"))?,
            ),
            _ => None,
        };
        let mut residuals = f.samples("partial_invalid_residual", 1)?;
        let mut jacobian = f.samples("partial_invalid_jacobian", 1)?;
        Some(PartialPass {
            index: f.usize("partial_index")?,
            kind: match f.usize("partial_kind")? {
                0 => PassKind::Cost,
                _ => PassKind::Linearization,
            },
            accumulation: match f.usize("partial_accumulation")? {
                0 => Accumulation::Qr,
                _ => Accumulation::NormalEquations,
            },
            parameters: f.f64s("partial_parameters")?,
            next_batch: f.usize("partial_next_batch")?,
            sums: SumsState {
                cost: f.scalar_f64("partial_cost")?,
                chi_squared: f.scalar_f64("partial_chi_squared")?,
                scaled_sq: f.scalar_f64("partial_scaled_sq")?,
                invalid_residuals: residuals.remove(0),
                invalid_jacobian: jacobian.remove(0),
                factor,
                normal,
            },
        })
    } else {
        None
    };
    let stats: BatchStatistics = match metadata.get("batch_statistics") {
        Some(json) => {
            serde_json::from_str(json).map_err(|e| corrupt(&format!("batch statistics: {e}")))?
        }
        None => BatchStatistics::default(),
    };
    Ok(StreamState {
        run_start,
        runs: f.usize("runs")?,
        failed_batches,
        batches_done: f.usize("batches_done")? as u64,
        passes_done: f.usize("passes_done")?,
        passes,
        partial,
        stats,
    })
}

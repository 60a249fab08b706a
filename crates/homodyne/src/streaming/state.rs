//! A streaming fit's [`StreamState`] as checkpoint fields and metadata, and back (the
//! layout is in the [`streaming`](crate::streaming) module documentation).

use std::collections::BTreeMap;

use homodyne_checkpoint::{OptimizerState, StateArray};
use homodyne_core::{Context, InvalidSample, OptimizationError, PassKind};
use homodyne_solvers::Accumulation;
use homodyne_solvers::factor::RFactor;
use homodyne_solvers::normal::NormalAccumulator;
use homodyne_solvers::objective::{CostEvaluation, Linearization};
use homodyne_solvers::streaming::{PartialPass, PassRecord, PassResult, StreamState, SumsState};
use homodyne_stats::BatchStatistics;

/// The optimizer state's fields and the metadata of a checkpoint.
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
        for (part, array) in [
            ("count", StateArray::vector_i64(self.count)),
            ("owner", StateArray::vector_i64(self.owner)),
            ("index", StateArray::vector_i64(self.index)),
            ("value", StateArray::vector_f64(self.value)),
        ] {
            fields
                .insert(format!("{prefix}_{part}"), array)
                .map_err(OptimizationError::from)?;
        }
        Ok(())
    }
}

/// The fields and metadata that save `state` in a checkpoint.
pub(crate) fn encode_state(state: &StreamState) -> Result<Encoded, OptimizationError> {
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
    /// The field `name` as `read` takes it; an error naming the field and `what` it should
    /// be when it is missing or not that.
    fn field<T>(
        &self,
        name: &str,
        what: &str,
        read: impl FnOnce(&StateArray) -> Option<T>,
    ) -> Result<T, OptimizationError> {
        self.0
            .get(name)
            .and_then(read)
            .ok_or_else(|| corrupt(&format!("no {what} {name}")))
    }
    fn f64s(&self, name: &str) -> Result<Vec<f64>, OptimizationError> {
        self.field(name, "f64 field", |a| a.as_f64().map(<[f64]>::to_vec))
    }
    fn i64s(&self, name: &str) -> Result<Vec<i64>, OptimizationError> {
        self.field(name, "i64 field", |a| a.as_i64().map(<[i64]>::to_vec))
    }
    fn scalar_f64(&self, name: &str) -> Result<f64, OptimizationError> {
        self.field(name, "scalar", StateArray::as_scalar_f64)
    }
    fn usize(&self, name: &str) -> Result<usize, OptimizationError> {
        self.field(name, "count", |a| {
            a.as_scalar_i64().and_then(|v| usize::try_from(v).ok())
        })
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

/// The state that [`encode_state`] saved, from a checkpoint's optimizer state and
/// metadata; every missing or misshapen field is an error naming it.
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

//! What a fit returns.

use std::fmt;
use std::time::Duration;

use ndarray::Array2;

use crate::model::JacobianKind;
use crate::strategy::OptimizationStrategy;

/// The least-squares algorithm.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Method {
    /// Trust-region reflective (Coleman-Li), as scipy's `method='trf'`.
    #[default]
    Trf,
    /// Levenberg-Marquardt in the MINPACK tradition.
    Lm,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Trf => "trf",
            Self::Lm => "lm",
        })
    }
}

impl std::str::FromStr for Method {
    type Err = crate::OptimizationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "trf" => Ok(Self::Trf),
            "lm" => Ok(Self::Lm),
            _ => Err(crate::InvalidInput::UnknownMethod(s.to_string()).into()),
        }
    }
}

/// Why the solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum TerminationReason {
    /// The scaled gradient fell below `gtol`.
    Gtol,
    /// The relative cost reduction fell below `ftol`.
    Ftol,
    /// The step fell below `xtol` relative to the parameters.
    Xtol,
    /// Both `ftol` and `xtol` held on the last step.
    FtolAndXtol,
    /// The residuals are exactly zero: nothing left to reduce.
    ZeroResidual,
    /// The evaluation budget `max_nfev` ran out before any tolerance held.
    MaxEvaluations,
}

impl TerminationReason {
    /// True for every reason except running out of evaluations.
    pub fn is_converged(self) -> bool {
        !matches!(self, Self::MaxEvaluations)
    }
}

impl fmt::Display for TerminationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Gtol => "the gradient condition (gtol) is satisfied",
            Self::Ftol => "the relative cost reduction is below ftol",
            Self::Xtol => "the relative step size is below xtol",
            Self::FtolAndXtol => "both ftol and xtol are satisfied",
            Self::ZeroResidual => "the residuals are exactly zero",
            Self::MaxEvaluations => "the evaluation budget max_nfev is exhausted",
        })
    }
}

/// Whether the fit converged.
///
/// `Converged` means a convergence test passed *at a stationary point*: either the gradient
/// test (`gtol`) held, the residuals are zero (to rounding: the cost fell below `1e-16`
/// of the start's), or `ftol` / `xtol` held with the largest column cosine
/// ([`OptimizationResult::gradient_cosine`]) at most [`STATIONARY_COSINE`], or `sqrt(ftol)`
/// when that is larger (a deliberately loose `ftol` stops where the Gauss-Newton step
/// would still reduce the cost by about `cos^2` of it). A stop on `ftol` or `xtol` with a larger cosine is `Stalled`: the
/// steps became too small to measure, but the residual vector still has a component along
/// some Jacobian column, so the point is not a minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ConvergenceStatus {
    /// A tolerance was met at a stationary point.
    Converged,
    /// The budget ran out first: the parameters are the best found, not an optimum.
    MaxEvaluationsReached,
    /// The steps stopped (`ftol` or `xtol`) where the gradient is not small: the parameters
    /// are not a minimum. Try another start, `x_scale`, or tighter `ftol` / `xtol`.
    Stalled,
}

/// The largest column cosine (see [`OptimizationResult::gradient_cosine`]) at which a stop
/// on `ftol` or `xtol` still counts as converged.
///
/// The cosine `|J_j^T r| / (||J_j|| ||r||)` is 0 at a stationary point and 1 where the
/// residual vector lies along a column. After a stop on the cost or step tolerances at a
/// minimum with nonzero residuals it is at the rounding level: at most `1.2e-7` over the
/// MGH problems of the test suite and `2.2e-7` over the NIST StRD problems from both
/// starts (exact and finite-difference derivatives). Where the residuals are zero to
/// rounding (Lanczos1, Helical valley), the cosine measures rounding noise and the
/// status does not use it. A stall leaves it far above: 1.0 for a model whose values move
/// in steps wider than the solver's. `1e-4` leaves two to three orders of magnitude on
/// each side.
pub const STATIONARY_COSINE: f64 = 1e-4;

impl ConvergenceStatus {
    /// What a user can try when the fit did not converge (`None` when it did).
    pub fn advice(self) -> Option<&'static str> {
        match self {
            Self::Converged => None,
            Self::MaxEvaluationsReached => Some(
                "raise the evaluation budget (max_nfev), start closer to the optimum, or check \
                 that the model and data agree",
            ),
            Self::Stalled => Some(
                "the steps stopped where the gradient is not small: start from other values, \
                 rescale the parameters (x_scale) so that they are of similar size, or tighten \
                 ftol and xtol",
            ),
        }
    }
}

impl fmt::Display for ConvergenceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Converged => "converged",
            Self::MaxEvaluationsReached => "max evaluations reached",
            Self::Stalled => "stalled",
        })
    }
}

/// Where the fit ran.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfo {
    /// `"cpu"` for every fit today.
    pub kind: String,
    /// Worker threads available to the fit.
    pub threads: usize,
}

impl DeviceInfo {
    /// The CPU with `threads` workers.
    pub fn cpu(threads: usize) -> Self {
        Self {
            kind: "cpu".to_string(),
            threads,
        }
    }
}

/// One recovery step taken after a recoverable failure (filled by the fault-tolerance
/// layer; empty when nothing went wrong).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecoveryAction {
    /// Retry number, from 1.
    pub attempt: usize,
    /// The error that triggered it.
    pub trigger: String,
    /// What was changed before retrying.
    pub action: String,
}

/// What one attempt of a fit (the first try or a recovery retry) did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttemptSummary {
    /// Attempt number, from 1.
    pub attempt: usize,
    /// Outer iterations of this attempt.
    pub iterations: usize,
    /// Cost evaluations of this attempt (0 when it failed before reporting them).
    pub nfev: usize,
    /// Jacobian evaluations of this attempt.
    pub njev: usize,
    /// `converged`, `stalled`, `max evaluations reached`, or the error that ended it.
    pub outcome: String,
}

impl AttemptSummary {
    /// The summary of `result` as attempt number `attempt`.
    pub fn of(attempt: usize, result: &OptimizationResult) -> Self {
        Self {
            attempt,
            iterations: result.iterations,
            nfev: result.nfev,
            njev: result.njev,
            outcome: result.convergence_status.to_string(),
        }
    }
}

/// Diagnostics of a STREAMING fit: how the data passed through memory, which batches
/// failed, and the checkpoints.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamingDiagnostics {
    /// Points per batch.
    pub batch_size: usize,
    /// Batches in the data.
    pub n_batches: usize,
    /// Share of batch reads that succeeded, over the whole fit (1.0 when none failed).
    pub batch_success_rate: f64,
    /// Batches excluded from the objective, in order.
    pub failed_batch_indices: Vec<usize>,
    /// Why each of them failed (same order).
    pub failed_batch_reasons: Vec<String>,
    /// Failures by kind (`read_error`, `invalid_data`).
    pub error_type_distribution: std::collections::BTreeMap<String, u64>,
    /// Reads per batch, on average (1.0 when no batch needed a retry).
    pub average_iterations_per_batch: f64,
    /// Batches folded in, over every pass (including passes a resume did not repeat).
    pub total_batches_processed: u64,
    /// Passes over the data completed.
    pub passes: usize,
    /// Checkpoints written by this call.
    pub checkpoints_written: usize,
    /// Checkpoints that could not be written, and why (the fit went on).
    pub checkpoint_errors: Vec<String>,
    /// Time spent writing checkpoints, in all, in seconds.
    pub checkpoint_seconds_total: f64,
    /// The longest checkpoint write, in seconds.
    pub checkpoint_seconds_max: f64,
    /// The checkpoint this fit resumed from, if any.
    pub resumed_from: Option<String>,
}

/// The covariance of the fitted parameters,
/// `C = s^2 (J^T J)^+ = s^2 V diag(1/sigma_i^2) V^T`, from the SVD `J = U Sigma V^T` at the
/// solution, where `s^2` is the reduced chi-squared unless `absolute_sigma` is set (then 1),
/// and singular values below `eps * max(N, P) * sigma_max` are dropped (pseudo-inverse).
///
/// Rows and columns of special parameters:
/// - an [`ParameterFlag::Undetermined`] parameter (zero Jacobian column, or a component
///   along a dropped singular direction) has `+inf` on the diagonal and NaN elsewhere in
///   its row and column, as scipy's `curve_fit` fills `pcov` with `inf`: the data do not
///   determine it;
/// - a [`ParameterFlag::Fixed`] parameter, held at its value and left out of the solve, has
///   zeros in its row and column: it does not vary.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Covariance {
    /// The `P x P` matrix. Infinite everywhere when there are no degrees of freedom to
    /// estimate the scale (`N == P` without `absolute_sigma`).
    pub matrix: Array2<f64>,
    /// Numerical rank of the Jacobian; below `P` the problem is rank-deficient and the
    /// matrix is a pseudo-inverse (its null-space directions are unidentifiable).
    pub rank: usize,
    /// Condition number `sigma_max / sigma_min` of the Jacobian.
    pub condition_number: f64,
}

impl Covariance {
    /// True when the Jacobian had full column rank.
    pub fn is_full_rank(&self) -> bool {
        self.rank == self.matrix.nrows()
    }
}

/// Everything a fit reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OptimizationResult {
    /// The fitted parameters.
    pub parameters: Vec<f64>,
    /// Parameter covariance (see [`Covariance`]).
    pub covariance: Covariance,
    /// One-sigma uncertainties `sqrt(diag(C))`.
    pub uncertainties: Vec<f64>,
    /// Sum of squared weighted residuals `sum ((f(x_i) - y_i) / sigma_i)^2` at the solution
    /// (never of a robust loss).
    pub chi_squared: f64,
    /// `chi_squared / (N - P)`; NaN when `N == P`.
    pub reduced_chi_squared: f64,
    /// Whether a tolerance was met.
    pub convergence_status: ConvergenceStatus,
    /// Why the solver stopped.
    pub termination_reason: TerminationReason,
    /// Outer iterations (Jacobian evaluations after the first), over every attempt.
    pub iterations: usize,
    /// Cost (residual) evaluations, over every attempt.
    pub nfev: usize,
    /// Jacobian evaluations, over every attempt.
    pub njev: usize,
    /// Each attempt's own figures, in order (one entry when no retry was needed).
    pub attempts: Vec<AttemptSummary>,
    /// First-order optimality at the solution, scipy's `optimality`: the infinity norm of
    /// the gradient `J^T r` of the cost, scaled by the Coleman-Li vector `v` when bounded
    /// (`||v * g||_inf`, zero on an active bound).
    pub optimality: f64,
    /// The largest cosine between the residual vector and a Jacobian column at the
    /// solution (MINPACK's gradient test, weighted by how far each parameter can still
    /// move towards its bound): 0 at a stationary point, 1 where the residuals lie along a
    /// column. NaN when the residuals are zero.
    pub gradient_cosine: f64,
    /// Whether `sigma` was taken as absolute: true, the covariance is `(J^T J)^-1`; false
    /// (the default), it is scaled by the reduced chi-squared, so multiplying every sigma
    /// by a constant leaves the uncertainties unchanged.
    pub absolute_sigma: bool,
    /// What the fit did that a reader should know: how many Jacobian entries were taken
    /// by finite differences where the exact derivative was not finite (counted for fits
    /// in memory; STREAMING and distributed fits take them the same way without counting).
    pub notes: Vec<String>,
    /// Final cost `0.5 * sum rho(r_i^2)` (equals `chi_squared / 2` for the linear loss).
    pub final_cost: f64,
    /// The algorithm used.
    pub method: Method,
    /// How the Jacobian was obtained.
    pub jacobian_kind: JacobianKind,
    /// Where it ran.
    pub device_info: DeviceInfo,
    /// Recovery steps taken (empty when none were needed).
    pub recovery_actions: Vec<RecoveryAction>,
    /// How the data were held.
    pub strategy: OptimizationStrategy,
    /// Why that strategy: each step the selector took to a leaner strategy because the
    /// memory estimate exceeded the budget, a warning when a requested strategy does not
    /// fit, and a note when STREAMING was chosen for data already in memory (which run
    /// CHUNKED). Empty when the size alone decided.
    pub strategy_notes: Vec<String>,
    /// STREAMING only.
    pub streaming_diagnostics: Option<StreamingDiagnostics>,
    /// Wall-clock time of the fit.
    #[serde(with = "duration_secs")]
    pub wall_time: Duration,
    /// Number of data points.
    pub n_points: usize,
    /// Where each parameter ended: free, never moved from its start, on a bound, held
    /// fixed, or undetermined by the data.
    pub parameter_flags: Vec<ParameterFlag>,
    /// The coarse stages that ran before the fit of all the points, coarsest first (empty
    /// when none ran): see [`CoarseStage`]. Their iterations and evaluations are not in
    /// this result's totals.
    #[serde(default)]
    pub stages: Vec<CoarseStage>,
}

/// One coarse stage of a fit (coarse-to-fine): a fit of the same model to a strided subset
/// of the points (every `stride`-th block of points, or every `stride`-th row of each
/// correlation matrix of an XPCS fit), from where the previous stage left the start. The
/// stage's optimum becomes the start of the next stage (or of the fit of all the points)
/// only when the cost of **all** the points there is below their cost at the stage's start
/// (`used`), so a stage can never make the fit worse. The fit of all the points is the
/// result; its iterations, evaluations and covariance never include a stage's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoarseStage {
    /// The subset fitted: every `stride`-th block (or row).
    pub stride: usize,
    /// Points fitted.
    pub n_points: usize,
    /// Where the stage started.
    pub start: Vec<f64>,
    /// The stage's fit on its subset (its `final_cost` is the subset's), or why it failed.
    pub result: Result<OptimizationResult, String>,
    /// Whether the next stage (or the fit of all the points) started from this stage's
    /// optimum: only when the cost of all the points is lower there than at `start`.
    pub used: bool,
    /// Wall time of the stage and of its check, seconds.
    pub seconds: f64,
}

/// Where a fitted parameter ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ParameterFlag {
    /// Moved and ended strictly inside its bounds.
    Free,
    /// Ended where it started (relative 1e-12): the data may not constrain it.
    AtStart,
    /// Ended on (within relative 1e-10 of) its lower bound.
    AtLowerBound,
    /// Ended on (within relative 1e-10 of) its upper bound.
    AtUpperBound,
    /// Held at its value and left out of the solve (`FitConfig::fixed`, or equal lower and
    /// upper bounds); its uncertainty is 0 and its covariance row and column are zero.
    Fixed,
    /// The data do not determine it: its Jacobian column is zero (the model does not use
    /// it, or its term underflows), or it moves along a direction the Jacobian cannot see.
    /// Its uncertainty is `+inf`; reports print "undetermined", never a `+/- 0`.
    Undetermined,
}

impl fmt::Display for ParameterFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Free => "free",
            Self::AtStart => "at start",
            Self::AtLowerBound => "at lower bound",
            Self::AtUpperBound => "at upper bound",
            Self::Fixed => "fixed",
            Self::Undetermined => "undetermined",
        })
    }
}

impl ParameterFlag {
    /// Classifies `value`, fitted from `start` within `[lower, upper]`.
    pub fn classify(value: f64, start: f64, lower: f64, upper: f64) -> Self {
        let near = |bound: f64| {
            bound.is_finite()
                && (value - bound).abs() <= 1e-10 * bound.abs().max(value.abs()).max(1e-300)
        };
        if near(lower) {
            Self::AtLowerBound
        } else if near(upper) {
            Self::AtUpperBound
        } else if (value - start).abs() <= 1e-12 * start.abs().max(1e-300) {
            Self::AtStart
        } else {
            Self::Free
        }
    }
}

impl OptimizationResult {
    /// True when a convergence test passed at a stationary point (see
    /// [`ConvergenceStatus`]).
    pub fn converged(&self) -> bool {
        self.convergence_status == ConvergenceStatus::Converged
    }

    /// Indices of the parameters the data do not determine.
    pub fn undetermined(&self) -> Vec<usize> {
        self.flagged(ParameterFlag::Undetermined)
    }

    /// Indices of the parameters held fixed.
    pub fn fixed(&self) -> Vec<usize> {
        self.flagged(ParameterFlag::Fixed)
    }

    fn flagged(&self, flag: ParameterFlag) -> Vec<usize> {
        (self.parameter_flags.iter().enumerate())
            .filter(|(_, f)| **f == flag)
            .map(|(k, _)| k)
            .collect()
    }

    /// How the uncertainties were obtained, for reports.
    pub fn sigma_convention(&self) -> &'static str {
        if self.absolute_sigma {
            "absolute sigma: covariance (J^T J)^-1, not rescaled"
        } else {
            "relative sigma: covariance scaled by the reduced chi-squared"
        }
    }
}

mod duration_secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = <f64 as serde::Deserialize>::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for OptimizationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} fit ({} strategy, {} points): {} after {} iterations, {} evaluations",
            self.method,
            self.strategy,
            self.n_points,
            self.convergence_status,
            self.iterations,
            self.nfev
        )?;
        writeln!(f, "  termination: {}", self.termination_reason)?;
        writeln!(
            f,
            "  optimality {:.3e}, largest column cosine {:.3e}",
            self.optimality, self.gradient_cosine
        )?;
        for (k, (p, u)) in self.parameters.iter().zip(&self.uncertainties).enumerate() {
            match self.parameter_flags.get(k) {
                Some(ParameterFlag::Fixed) => writeln!(f, "  p[{k}] = {p:.10e} (fixed)")?,
                Some(ParameterFlag::Undetermined) => {
                    writeln!(f, "  p[{k}] = {p:.10e} (undetermined)")?
                }
                _ => writeln!(f, "  p[{k}] = {p:.10e} +/- {u:.3e}")?,
            }
        }
        if let Some(advice) = self.convergence_status.advice() {
            writeln!(f, "  {}: {advice}", self.convergence_status)?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        write!(
            f,
            "  chi2 = {:.6e}, reduced chi2 = {:.6e}, wall time {:.3} s",
            self.chi_squared,
            self.reduced_chi_squared,
            self.wall_time.as_secs_f64()
        )
    }
}

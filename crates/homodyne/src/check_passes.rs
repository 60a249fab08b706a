//! The passes over all the points that check a fit's coarse stages ([`crate::coarse`]):
//! costs, and for a STREAMING fit the linearisation at the last stage's optimum, which
//! the fit then takes as its first pass ([`crate::staged`]).
//!
//! Every cost is computed in the order of the fixed reduction tree, the bits of an
//! in-memory cost pass, whoever computes it: points in memory as one in-memory pass, a
//! source's points as this process's share read leaf-aligned and summed in tree order,
//! the shares exchanged (with power-of-two process counts). So every strategy keeps or
//! drops the same stages.
//!
//! Read from a source by one process, the last check's two passes, the cost at the
//! stage's start (when no check before computed it) and the linearisation at its
//! optimum, are computed from one read of the points
//! ([`StreamedShare::cost_and_linearization_sums`]): each batch is read once and summed
//! twice, each pass's sums the bits of the pass alone.

use homodyne_core::{DataSource, FitObserver, Model, OptimizationError};
use homodyne_solvers::distributed::{
    Communicator, DistributedObjective, ShareSums, SingleProcess, StreamedShare, tree_shares,
};
use homodyne_solvers::objective::SumsState;
use homodyne_solvers::{Accumulation, InMemoryObjective, Linearization, Objective};

use crate::coarse::StageObserver;
use crate::fit::{Data, Fit};

/// Points per read of a check's pass over a source (two such batches are held).
const CHECK_BATCH_POINTS: usize = 1 << 18;

/// The passes over all the points that check the stages.
pub(crate) trait CheckPasses {
    /// The cost of all the points at `p`.
    fn cost(&self, p: &[f64]) -> Result<f64, OptimizationError>;

    /// The cost at `start` (when given) and the linearisation at `optimum`, with the
    /// normal equations (as a STREAMING fit linearises).
    fn cost_and_linearization(
        &self,
        start: Option<&[f64]>,
        optimum: &[f64],
    ) -> Result<(Option<f64>, Linearization), OptimizationError>;
}

/// The passes of an objective, one after the other.
struct OneByOne<'o>(&'o dyn Objective);

impl CheckPasses for OneByOne<'_> {
    fn cost(&self, p: &[f64]) -> Result<f64, OptimizationError> {
        Ok(self.0.cost(p)?.cost)
    }

    fn cost_and_linearization(
        &self,
        start: Option<&[f64]>,
        optimum: &[f64],
    ) -> Result<(Option<f64>, Linearization), OptimizationError> {
        let at_start = start.map(|p| self.cost(p)).transpose()?;
        Ok((at_start, self.0.linearize(optimum)?))
    }
}

/// The passes of one process over all the points of a source, read batch by batch: the
/// last check's two passes from one read.
struct ReadOnce<'s, M: Model + ?Sized> {
    share: StreamedShare<'s, M>,
    observer: &'s dyn FitObserver,
}

impl<M: Model + ?Sized> ReadOnce<'_, M> {
    /// `compute`, unless the observer asks to stop before or after it (as a
    /// [`DistributedObjective`] asks around each pass).
    fn unless_stopped<T>(
        &self,
        compute: impl FnOnce() -> Result<T, OptimizationError>,
    ) -> Result<T, OptimizationError> {
        if self.observer.stop_requested() {
            return Err(OptimizationError::interrupted());
        }
        let value = compute()?;
        if self.observer.stop_requested() {
            return Err(OptimizationError::interrupted());
        }
        Ok(value)
    }
}

impl<M: Model + ?Sized> CheckPasses for ReadOnce<'_, M> {
    fn cost(&self, p: &[f64]) -> Result<f64, OptimizationError> {
        let sums = self.unless_stopped(|| self.share.cost_sums(p))?;
        Ok(sums.into_cost().cost)
    }

    fn cost_and_linearization(
        &self,
        start: Option<&[f64]>,
        optimum: &[f64],
    ) -> Result<(Option<f64>, Linearization), OptimizationError> {
        let normal = Accumulation::NormalEquations;
        let (at_start, sums) = match start {
            Some(start) => {
                let (cost, sums) = self.unless_stopped(|| {
                    self.share
                        .cost_and_linearization_sums(start, optimum, normal)
                })?;
                (Some(cost.into_cost().cost), sums)
            }
            None => (
                None,
                self.unless_stopped(|| self.share.linearization_sums(optimum, normal))?,
            ),
        };
        // Too ill-conditioned for the normal equations: the pass again, exactly.
        let mut exact_failure = None;
        let linearization = sums.into_linearization(optimum.len(), || {
            self.unless_stopped(|| self.share.linearization_sums(optimum, Accumulation::Qr))
                .unwrap_or_else(|e| {
                    exact_failure = Some(e);
                    SumsState::empty()
                })
        });
        match exact_failure {
            Some(e) => Err(e),
            None => Ok((at_start, linearization)),
        }
    }
}

/// `run(passes)` with the passes over all the points of `fit` that check its stages (see
/// the [module documentation](self)). They report their progress to `local` (a pass by
/// this process alone) or `exchanged` (shares exchanged among the processes), and obey
/// their stop requests.
pub(crate) fn with_check_passes<R>(
    fit: &Fit<'_>,
    local: &StageObserver<'_>,
    exchanged: &StageObserver<'_>,
    run: impl FnOnce(&dyn CheckPasses) -> R,
) -> R {
    let model = fit.model();
    let (loss, f_scale) = (fit.options.loss, fit.options.f_scale);
    let source: &dyn DataSource = match &fit.data {
        // Points in memory, whoever shares them: every process holds them all.
        Data::Points { x, y } => {
            let objective =
                InMemoryObjective::new(model, x, y, fit.sigma.as_deref(), loss, f_scale)
                    .with_accumulation(Accumulation::NormalEquations)
                    .with_observer(local);
            return run(&OneByOne(&objective));
        }
        Data::Source(source) => *source,
    };
    let communicator: &dyn Communicator = fit.communicator.unwrap_or(&SingleProcess);
    let n_points = source.n_points();
    let share = tree_shares(n_points, communicator.size())
        .into_iter()
        .nth(communicator.rank())
        .unwrap_or(n_points..n_points);
    let batch_points = fit.streaming.batch_size.unwrap_or(CHECK_BATCH_POINTS);
    let share_sums = StreamedShare::new(
        model,
        source,
        share.clone(),
        loss,
        f_scale,
        batch_points,
        fit.streaming.max_retries_per_batch,
    );
    if fit.communicator.is_none() {
        // One process: its share is all the points, and its sums theirs (as exchanged
        // with no other process).
        return run(&ReadOnce {
            share: share_sums,
            observer: exchanged,
        });
    }
    let objective = DistributedObjective::new(
        share_sums,
        communicator,
        share.start,
        n_points,
        Accumulation::NormalEquations,
    )
    .with_observer(exchanged);
    run(&OneByOne(&objective))
}

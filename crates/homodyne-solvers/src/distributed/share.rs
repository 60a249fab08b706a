//! A process's share of the points as a distributed fit sees it: the unfinished sums of a
//! pass over the share ([`ShareSums`]), held in memory or streamed.

use homodyne_core::{Context, Model, OptimizationError};

use crate::objective::SumsState;
use crate::objective::{Accumulation, InMemoryObjective, Objective};

/// A process's share of the points, as a distributed fit sees it: the unfinished sums of
/// a pass over the share, to be combined with the other shares'
/// ([`combine_shares`](super::combine_shares)).
///
/// [`InMemoryObjective`] is the share held in memory;
/// [`StreamedShare`](super::StreamedShare) reads its share batch by batch from a
/// [`homodyne_core::DataSource`] on every pass.
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

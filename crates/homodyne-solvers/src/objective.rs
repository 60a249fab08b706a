//! What the solvers need from the data: the cost at a point, and the linearisation there.
//!
//! The solvers never see the data or the Jacobian; they ask an [`Objective`] for
//! - the cost `C(p)` (one pass over the data: the model's values only), and
//! - the [`Linearization`] at `p`: the cost, `R` and `Q^T f` of the (weighted, robustly
//!   rescaled) Jacobian (one pass with derivatives).
//!
//! How the data are held is the objective's business: [`InMemoryObjective`] holds them in
//! memory (STANDARD, LARGE and CHUNKED); STREAMING reads them from elsewhere and reaches the
//! same numbers, because every strategy computes the same sums.
//!
//! # A pass over the data
//!
//! The points are cut into chunks of [`CHUNK_ROWS`] (the model is called once a chunk, and
//! the chunk's Jacobian stays in cache) and the chunks into leaves of [`LEAF_CHUNKS`], the
//! unit of parallel work. Each leaf folds its chunks into its own `P x P` sums; the leaves'
//! sums are combined over a fixed binary tree ([`rayon::join`]). Both partitions depend on
//! `N` alone, so the result is the same bits on any number of threads. Each leaf runs
//! inside [`vectorized`], so the kernels below use the widest SIMD the CPU has.
//!
//! The fold of a chunk, by [`Accumulation`] and loss:
//! - [`Accumulation::Qr`]: the chunk's weighted columns are folded into `R` by Householder
//!   ([`RFactor::fold`]);
//! - [`Accumulation::NormalEquations`], linear loss, `P <= 7`: `J^T J`, `J^T f` and `f^T f`
//!   are summed straight from the model's row-major Jacobian
//!   ([`NormalAccumulator::add_rows`]): no copy, four rows at a time;
//! - [`Accumulation::NormalEquations`] otherwise: the weighted columns are summed by dot
//!   products, or for `P >= 8` by faer's matrix product ([`NormalAccumulator::add`]).
//!
//! Every fast path checks the chunk's sums for NaN and infinities at once and, if it finds
//! any, redoes the chunk point by point, recording the invalid residuals and Jacobian
//! entries for the validator.
//!
//! An observer given with [`InMemoryObjective::with_observer`] hears of each finished leaf
//! ([`FitObserver::on_pass_progress`]), and may stop a pass
//! ([`FitObserver::stop_requested`], asked before each chunk): once it asks, every chunk
//! not yet begun is skipped, so that the pass ends within a chunk's work on each thread,
//! and [`Objective::cost`] and [`Objective::linearize`] return
//! [`OptimizationError::Interrupted`] instead of the unfinished pass's numbers.
//!
//! [`vectorized`]: homodyne_core::vector_math::vectorized
//! [`RFactor::fold`]: crate::factor::RFactor::fold
//! [`NormalAccumulator::add_rows`]: crate::normal::NormalAccumulator::add_rows
//! [`NormalAccumulator::add`]: crate::normal::NormalAccumulator::add
//! [`FitObserver::on_pass_progress`]: homodyne_core::FitObserver::on_pass_progress
//! [`FitObserver::stop_requested`]: homodyne_core::FitObserver::stop_requested
//! [`OptimizationError::Interrupted`]: homodyne_core::OptimizationError::Interrupted

mod evaluation;
mod in_memory;
mod linearize;
mod sums;

pub use evaluation::{Accumulation, CostEvaluation, Linearization, Objective};
pub use in_memory::{CHUNK_ROWS, InMemoryObjective, LEAF_CHUNKS};
pub use sums::SumsState;

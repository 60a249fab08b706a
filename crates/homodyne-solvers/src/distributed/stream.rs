//! A process's share read batch by batch from a [`DataSource`] on every pass, summed in
//! the order of the fixed reduction tree.
//!
//! # The mathematics
//!
//! The share is a node of the reduction tree (or, for other process counts, a run of
//! leaves) that covers the leaves `[a, b)`. Its sums are computed by descending the tree:
//! a node of at most `batch_leaves` leaves is read whole (one batch) and summed by
//! [`InMemoryObjective`], which builds over it the very subtree the whole data would
//! (the split of a node depends only on its number of leaves); a larger node is split at
//! `a + (b - a) / 2`, as the tree splits it, and its halves' sums are combined. The sums
//! are therefore the in-memory sums of the share, bit for bit, and with [`combine_shares`]
//! over power-of-two process counts, the sums of a single-process in-memory pass over all
//! the points (LARGE and CHUNKED). The next batch is read while one is summed, as the
//! other half of a `rayon::join` (as a STREAMING pass reads, see
//! `crate::streaming::reader`): the batches are summed in the same order whoever reads
//! them, so the sums do not depend on it. Memory is two batches plus one pending sum per
//! tree level, `O(P^2 log N)`.
//!
//! Two passes at two points may share one read
//! ([`StreamedShare::cost_and_linearization_sums`]): each batch is summed for both, and
//! each pass's sums are combined over the same tree as alone, so they are the bits of
//! the two passes made one after the other, from half the reading.
//!
//! [`combine_shares`]: super::combine_shares

use std::ops::Range;
use std::sync::Mutex;

use homodyne_core::{Batch, Context, DataSource, InvalidInput, Model, OptimizationError};

use super::share::{ShareSums, catching_panics};
use super::tree::LEAF_POINTS;
use crate::loss::Loss;
use crate::objective::{Accumulation, InMemoryObjective, SumsState};
use crate::streaming::invalid_data;

/// One process's share of the points of a [`DataSource`], read batch by batch on every
/// pass (the data of the share are never held whole).
pub struct StreamedShare<'a, M: Model + ?Sized> {
    model: &'a M,
    source: &'a dyn DataSource,
    share: Range<usize>,
    loss: Loss,
    f_scale: f64,
    batch_leaves: usize,
    max_retries: usize,
    /// The buffers of the batch being summed and the one being read, kept between passes
    /// so that their memory is reused.
    buffers: Mutex<[Batch; 2]>,
}

/// How the read of a batch went.
type ReadOutcome = Result<(), OptimizationError>;

/// Where a pass over the share stands: the batches in summing order, the index of the
/// next one to sum, that batch as read (and how its read went), and the buffer the batch
/// after it is read into while it is summed.
struct Cursor<'b> {
    batches: &'b [Range<usize>],
    next: usize,
    read: ReadOutcome,
    current: Batch,
    spare: Batch,
}

impl<'a, M: Model + ?Sized> StreamedShare<'a, M> {
    /// The points `share` of `source` (an entry of [`super::tree_shares`] over all of
    /// them), read in batches of at most `batch_points` points (rounded down to whole
    /// leaves of [`LEAF_POINTS`], at least one), each read tried `1 + max_retries` times.
    pub fn new(
        model: &'a M,
        source: &'a dyn DataSource,
        share: Range<usize>,
        loss: Loss,
        f_scale: f64,
        batch_points: usize,
        max_retries: usize,
    ) -> Self {
        Self {
            model,
            source,
            share,
            loss,
            f_scale,
            batch_leaves: (batch_points / LEAF_POINTS).max(1),
            max_retries,
            buffers: Mutex::new([Batch::default(), Batch::default()]),
        }
    }

    /// Points per batch: whole leaves.
    pub fn batch_points(&self) -> usize {
        self.batch_leaves * LEAF_POINTS
    }

    /// The sums of a cost pass at `cost_at` and of a linearisation pass at
    /// `linearized_at` with `accumulation`, from one read of the share: the bits of
    /// [`ShareSums::cost_sums`] and [`ShareSums::linearization_sums`] (one read ahead of
    /// the fold, as every pass of this share).
    pub fn cost_and_linearization_sums(
        &self,
        cost_at: &[f64],
        linearized_at: &[f64],
        accumulation: Accumulation,
    ) -> Result<(SumsState, SumsState), OptimizationError> {
        self.fold(&|objective| {
            (
                objective.cost_state(cost_at),
                objective.linearization_state(linearized_at, accumulation),
            )
        })
    }

    /// The sums of the share, `sums` computing each batch's.
    fn fold<T: Folded>(
        &self,
        sums: &(dyn Fn(&InMemoryObjective<'_, M>) -> T + Sync),
    ) -> Result<T, OptimizationError> {
        if self.share.is_empty() {
            return Ok(T::empty());
        }
        let leaves = self.share.start / LEAF_POINTS..self.share.end.div_ceil(LEAF_POINTS);
        let mut batches = Vec::new();
        self.batch_ranges(leaves.clone(), &mut batches);
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        // Each batch is summed on a thread of the thread pool while the next one is read
        // (`Self::next_batch`); a read's panic comes back as its outcome.
        let [mut current, spare] = std::mem::take(&mut *buffers);
        let (folded, kept) = rayon::scope(|_| {
            let read = self.read_catching(batches[0].clone(), &mut current);
            let mut cursor = Cursor {
                batches: &batches,
                next: 0,
                read,
                current,
                spare,
            };
            let sums = catching_panics(|| self.node(leaves, sums, &mut cursor));
            (sums, [cursor.current, cursor.spare])
        });
        // Kept for the next pass.
        *buffers = kept;
        folded
    }

    /// The point ranges of the batches, in the order [`Self::node`] sums them: the nodes of
    /// at most `batch_leaves` leaves, left to right.
    fn batch_ranges(&self, leaves: Range<usize>, out: &mut Vec<Range<usize>>) {
        if leaves.len() > self.batch_leaves {
            let mid = leaves.start + leaves.len() / 2;
            self.batch_ranges(leaves.start..mid, out);
            self.batch_ranges(mid..leaves.end, out);
        } else {
            out.push(
                (leaves.start * LEAF_POINTS).max(self.share.start)
                    ..(leaves.end * LEAF_POINTS).min(self.share.end),
            );
        }
    }

    /// The sums of the tree node over `leaves`.
    fn node<T: Folded>(
        &self,
        leaves: Range<usize>,
        sums: &(dyn Fn(&InMemoryObjective<'_, M>) -> T + Sync),
        cursor: &mut Cursor<'_>,
    ) -> Result<T, OptimizationError> {
        if leaves.len() > self.batch_leaves {
            let mid = leaves.start + leaves.len() / 2;
            let left = self.node(leaves.start..mid, sums, cursor)?;
            let right = self.node(mid..leaves.end, sums, cursor)?;
            return Ok(left.combine(right));
        }
        self.next_batch(sums, cursor)
    }

    /// The sums of the cursor's next batch (read while the batch before was summed),
    /// computed while the batch after it is read into the spare buffer.
    fn next_batch<T: Folded>(
        &self,
        sums: &(dyn Fn(&InMemoryObjective<'_, M>) -> T + Sync),
        cursor: &mut Cursor<'_>,
    ) -> Result<T, OptimizationError> {
        let k = cursor.next;
        cursor.next += 1;
        let points = cursor.batches[k].clone();
        std::mem::replace(&mut cursor.read, Ok(()))?;
        let after = cursor.batches.get(k + 1).cloned();
        let (current, spare) = (&cursor.current, &mut cursor.spare);
        let (mut state, read_after) = rayon::join(
            || {
                let objective = InMemoryObjective::of_batch(
                    self.model,
                    current,
                    self.source.has_sigma(),
                    self.loss,
                    self.f_scale,
                );
                sums(&objective)
            },
            || after.map(|points| self.read_catching(points, spare)),
        );
        if let Some(read) = read_after {
            std::mem::swap(&mut cursor.current, &mut cursor.spare);
            cursor.read = read;
        }
        state.shift(points.start - self.share.start);
        Ok(state)
    }

    /// [`Self::read`], a panic of the source's coming back as an error.
    fn read_catching(&self, points: Range<usize>, batch: &mut Batch) -> ReadOutcome {
        catching_panics(|| self.read(points, batch))
    }

    /// Reads `points` into `batch` and checks them (finite, positive sigma), trying again
    /// up to `max_retries` times.
    fn read(&self, points: Range<usize>, batch: &mut Batch) -> Result<(), OptimizationError> {
        let mut why = String::new();
        for _ in 0..=self.max_retries {
            match self.source.read(points.clone(), batch) {
                Err(e) => why = e.to_string(),
                Ok(()) => match invalid_data(batch, points.start, self.source.x_dim()) {
                    None => return Ok(()),
                    Some(message) => why = message,
                },
            }
        }
        Err(OptimizationError::InvalidInput {
            problem: InvalidInput::UnusableData {
                details: format!(
                    "points {}..{}: {why} (a distributed fit leaves no batch out)",
                    points.start, points.end
                ),
            },
            context: Context::new().with("source", self.source.describe()),
        })
    }
}

/// What a pass over the share sums per batch and combines over the tree: one pass's sums,
/// or two passes' from one read.
trait Folded: Send + Sized {
    /// The sums over no points.
    fn empty() -> Self;
    /// The sums of two adjacent nodes, `self` the left one.
    fn combine(self, right: Self) -> Self;
    /// Moves the indices of the invalid values `by` points (a batch's to the share's).
    fn shift(&mut self, by: usize);
}

impl Folded for SumsState {
    fn empty() -> Self {
        SumsState::empty()
    }

    fn combine(self, right: Self) -> Self {
        SumsState::combine(self, right)
    }

    fn shift(&mut self, by: usize) {
        for sample in [&mut self.invalid_residuals, &mut self.invalid_jacobian] {
            for value in &mut sample.values {
                value.index += by;
            }
        }
    }
}

impl<A: Folded, B: Folded> Folded for (A, B) {
    fn empty() -> Self {
        (A::empty(), B::empty())
    }

    fn combine(self, right: Self) -> Self {
        (self.0.combine(right.0), self.1.combine(right.1))
    }

    fn shift(&mut self, by: usize) {
        self.0.shift(by);
        self.1.shift(by);
    }
}

impl<M: Model + ?Sized> ShareSums for StreamedShare<'_, M> {
    fn n_params(&self) -> usize {
        self.model.n_params()
    }

    fn cost_sums(&self, p: &[f64]) -> Result<SumsState, OptimizationError> {
        self.fold(&|objective| objective.cost_state(p))
    }

    fn linearization_sums(
        &self,
        p: &[f64],
        accumulation: Accumulation,
    ) -> Result<SumsState, OptimizationError> {
        self.fold(&|objective| objective.linearization_state(p, accumulation))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use homodyne_core::CallbackSource;

    use super::*;
    use crate::streaming::reader::tests::{Line, recorded};

    #[test]
    fn batches_are_read_ahead_in_order_on_a_thread_of_their_own() {
        let n = 10 * LEAF_POINTS + 123;
        let (source, x, y, reads) = recorded(n, None, None);
        let share = StreamedShare::new(&Line, &source, 0..n, Loss::Linear, 1.0, 2 * LEAF_POINTS, 0);
        let p = [0.5, 1.5];
        let whole = InMemoryObjective::new(&Line, &x, &y, None, Loss::Linear, 1.0);
        for _ in 0..2 {
            assert_eq!(share.cost_sums(&p).unwrap(), whole.cost_state(&p));
            let normal = Accumulation::NormalEquations;
            assert_eq!(
                share.linearization_sums(&p, normal).unwrap(),
                whole.linearization_state(&p, normal)
            );
        }
        let read = reads.lock().unwrap().clone();
        let mut batches = Vec::new();
        share.batch_ranges(0..n.div_ceil(LEAF_POINTS), &mut batches);
        let starts: Vec<usize> = batches.iter().map(|b| b.start).collect();
        // 11 leaves in batches of at most 2, as the tree splits them.
        assert_eq!(starts.len(), 7);
        let four_passes: Vec<usize> = starts.iter().cycle().take(28).copied().collect();
        assert_eq!(read.iter().map(|r| r.0).collect::<Vec<_>>(), four_passes);
        let here = std::thread::current().id();
        assert!(read.iter().all(|(_, thread)| *thread != here));
    }

    #[test]
    fn batches_are_read_on_the_threads_of_the_pool_while_one_is_summed() {
        let n = 10 * LEAF_POINTS + 123;
        // Each read records the pool thread it ran on (`None` off the pool).
        let threads = Arc::new(Mutex::new(Vec::new()));
        let seen = threads.clone();
        let source = CallbackSource::new(n, 1, false, "pooled", move |range, batch| {
            seen.lock().unwrap().push(rayon::current_thread_index());
            for (k, i) in range.enumerate() {
                batch.x[k] = i as f64;
                batch.y[k] = 1.0 + 2.0 * i as f64;
            }
            Ok(())
        });
        let share = StreamedShare::new(&Line, &source, 0..n, Loss::Linear, 1.0, 2 * LEAF_POINTS, 0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| share.cost_sums(&[0.5, 1.5])).unwrap();
        let read = threads.lock().unwrap().clone();
        assert_eq!(read.len(), 7);
        assert!(read.iter().all(|t| matches!(t, Some(0 | 1))), "{read:?}");
    }

    /// Two passes from one read: the bits of the passes one after the other, half the
    /// reads.
    #[test]
    fn a_cost_and_a_linearisation_from_one_read_are_the_passes_alone() {
        let n = 10 * LEAF_POINTS + 123;
        let (source, _, _, reads) = recorded(n, None, None);
        let share = StreamedShare::new(&Line, &source, 0..n, Loss::Linear, 1.0, 3 * LEAF_POINTS, 0);
        let (at, linearized_at) = ([0.5, 1.5], [0.9, 2.1]);
        for accumulation in [Accumulation::NormalEquations, Accumulation::Qr] {
            let alone = (
                share.cost_sums(&at).unwrap(),
                share
                    .linearization_sums(&linearized_at, accumulation)
                    .unwrap(),
            );
            let read_alone = reads.lock().unwrap().len();
            let together = share
                .cost_and_linearization_sums(&at, &linearized_at, accumulation)
                .unwrap();
            assert_eq!(together, alone, "{accumulation:?}");
            assert_eq!(reads.lock().unwrap().len(), read_alone + read_alone / 2);
            reads.lock().unwrap().clear();
        }
    }

    #[test]
    fn a_read_that_fails_or_panics_ends_the_pass_with_an_error() {
        let n = 10 * LEAF_POINTS;
        for (failing, panicking) in [(Some(2 * LEAF_POINTS), None), (None, Some(4 * LEAF_POINTS))] {
            let (source, _, _, reads) = recorded(n, failing, panicking);
            let share = StreamedShare::new(&Line, &source, 0..n, Loss::Linear, 1.0, LEAF_POINTS, 1);
            let error = share.cost_sums(&[0.5, 1.5]).unwrap_err();
            let text = error.to_string();
            match failing {
                Some(_) => assert!(text.contains("gone"), "{text}"),
                None => assert!(
                    matches!(error, OptimizationError::ModelPanicked { .. })
                        && text.contains("the source broke"),
                    "{text}"
                ),
            }
            // The failed batch (read twice when it fails, once when it panics), and at
            // most the two buffers' worth read past it.
            let broken = failing.or(panicking).unwrap() / LEAF_POINTS;
            let count = reads.lock().unwrap().len();
            assert!((broken + 1..=broken + 4).contains(&count), "{count} reads");
        }
    }
}

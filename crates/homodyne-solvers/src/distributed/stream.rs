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
//! the points (LARGE and CHUNKED). The next batch is read while one is summed. Memory is
//! two batches plus one pending sum per tree level, `O(P^2 log N)`.
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
    /// The batch being summed and the one being read.
    buffers: Mutex<(Batch, Batch)>,
}

/// Where a pass over the share stands: the batches in summing order, the next one's index,
/// its buffer (read, or failed to read: `read`) and the buffer of the one after it.
struct Cursor<'b> {
    batches: &'b [Range<usize>],
    next: usize,
    current: &'b mut Batch,
    spare: &'b mut Batch,
    read: Result<(), OptimizationError>,
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
            buffers: Mutex::new((Batch::default(), Batch::default())),
        }
    }

    /// Points per batch: whole leaves.
    pub fn batch_points(&self) -> usize {
        self.batch_leaves * LEAF_POINTS
    }

    /// The sums of the share, `sums` computing each batch's.
    fn fold(
        &self,
        sums: &(dyn Fn(&InMemoryObjective<'_, M>) -> SumsState + Sync),
    ) -> Result<SumsState, OptimizationError> {
        if self.share.is_empty() {
            return Ok(SumsState::empty());
        }
        let leaves = self.share.start / LEAF_POINTS..self.share.end.div_ceil(LEAF_POINTS);
        let mut batches = Vec::new();
        self.batch_ranges(leaves.clone(), &mut batches);
        let mut buffers = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        let (current, spare) = &mut *buffers;
        catching_panics(|| {
            let first = self.read(batches[0].clone(), current);
            let mut cursor = Cursor {
                batches: &batches,
                next: 0,
                current,
                spare,
                read: first,
            };
            self.node(leaves, sums, &mut cursor)
        })
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
    fn node(
        &self,
        leaves: Range<usize>,
        sums: &(dyn Fn(&InMemoryObjective<'_, M>) -> SumsState + Sync),
        cursor: &mut Cursor<'_>,
    ) -> Result<SumsState, OptimizationError> {
        if leaves.len() > self.batch_leaves {
            let mid = leaves.start + leaves.len() / 2;
            let left = self.node(leaves.start..mid, sums, cursor)?;
            let right = self.node(mid..leaves.end, sums, cursor)?;
            return Ok(left.combine(right));
        }
        self.next_batch(sums, cursor)
    }

    /// The sums of the cursor's next batch (already read), while the batch after it is
    /// read: one more task of the thread pool (`rayon::join`), as single-process STREAMING
    /// overlaps reading and computing. The sums do not depend on it.
    fn next_batch(
        &self,
        sums: &(dyn Fn(&InMemoryObjective<'_, M>) -> SumsState + Sync),
        cursor: &mut Cursor<'_>,
    ) -> Result<SumsState, OptimizationError> {
        let k = cursor.next;
        cursor.next += 1;
        std::mem::replace(&mut cursor.read, Ok(()))?;
        let points = cursor.batches[k].clone();
        let following = cursor.batches.get(k + 1).cloned();
        let (current, spare) = (&*cursor.current, &mut *cursor.spare);
        let (mut state, read) = rayon::join(
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
            || following.map_or(Ok(()), |range| self.read(range, spare)),
        );
        std::mem::swap(cursor.current, cursor.spare);
        cursor.read = read;
        for sample in [&mut state.invalid_residuals, &mut state.invalid_jacobian] {
            for value in &mut sample.values {
                value.index += points.start - self.share.start;
            }
        }
        Ok(state)
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

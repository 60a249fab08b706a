//! The passes of a [`StreamingObjective`]: each replayed from the record when resuming,
//! else folded batch by batch (the next batch read while this one is summed), with the
//! batches that fail excluded, a checkpoint saved when due, and a stop asked for honoured
//! after a whole batch (see the [`streaming`](crate::streaming) module documentation).

use std::sync::PoisonError;

use homodyne_core::{Batch, Context, Model, OptimizationError, PassKind, PassProgress};

use super::checks::same_bits;
use super::objective::{Inner, Pass, StreamingObjective};
use super::state::{PartialPass, PassRecord, PassResult};
use crate::objective::{
    Accumulation, CostEvaluation, InMemoryObjective, Linearization, Objective, SumsState,
};

impl<M: Model + ?Sized> StreamingObjective<'_, M> {
    /// One pass of `kind` at `p`: replayed from the record when resuming, taken from the
    /// offered first pass ([`StreamingObjective::with_first_pass`]), else computed.
    fn pass(&self, kind: PassKind, p: &[f64]) -> Result<PassResult, OptimizationError> {
        let mut inner = self.lock();
        let index = inner.pass_cursor;
        inner.pass_cursor += 1;
        if let Some(record) = inner.state.passes.get(index) {
            return record.replay(index, kind, p, "the data or the model");
        }
        if let Some(offered) = Self::take_offered(&mut inner, index, kind, p) {
            return Ok(offered);
        }
        let resume = inner
            .state
            .partial
            .take()
            .filter(|partial| partial.index == index);
        let (accumulation, start, sums) = match resume {
            Some(partial) => {
                if partial.kind != kind || !same_bits(&partial.parameters, p) {
                    return Err(OptimizationError::Checkpoint {
                        message: format!(
                            "the resumed fit asked for pass {index} at other parameters than \
                             the checkpoint's unfinished pass"
                        ),
                        context: Context::new().with("pass", index),
                        source: None,
                    });
                }
                (partial.accumulation, partial.next_batch, Some(partial.sums))
            }
            None => (self.pass_accumulation(kind), 0, None),
        };
        let pass = Pass {
            index,
            kind,
            accumulation,
            parameters: p,
        };
        let sums = self.fold_batches(&mut inner, &pass, start, sums)?;
        let result = match kind {
            PassKind::Cost => PassResult::Cost(sums.into_cost()),
            PassKind::Linearization => {
                let mut redo = None;
                let lin = sums.into_linearization(p.len(), || {
                    // Too ill-conditioned for the normal equations: the pass again, exactly.
                    let exact = Pass {
                        accumulation: Accumulation::Qr,
                        ..pass
                    };
                    match self.fold_batches(&mut inner, &exact, 0, None) {
                        Ok(sums) => sums,
                        Err(e) => {
                            redo = Some(e);
                            SumsState::empty()
                        }
                    }
                });
                if let Some(e) = redo {
                    return Err(e);
                }
                inner.last_linearized = Some(p.to_vec());
                PassResult::Linearization(lin)
            }
        };
        inner.state.passes.push(PassRecord {
            parameters: p.to_vec(),
            result: result.clone(),
        });
        inner.state.passes_done += 1;
        Ok(result)
    }

    /// The pass offered by [`StreamingObjective::with_first_pass`], recorded, when this is
    /// the first request of a fresh run and it asks for that pass; the offer is dropped at
    /// the first request either way.
    fn take_offered(
        inner: &mut Inner,
        index: usize,
        kind: PassKind,
        p: &[f64],
    ) -> Option<PassResult> {
        let offered = inner.offered.take()?;
        let state = &inner.state;
        let fresh = index == 0
            && state.passes.is_empty()
            && state.partial.is_none()
            && state.runs == 1
            && state.failed_batches.is_empty();
        if !fresh || offered.result.kind() != kind || !same_bits(&offered.parameters, p) {
            return None;
        }
        if let PassResult::Linearization(_) = offered.result {
            inner.last_linearized = Some(p.to_vec());
        }
        let result = offered.result.clone();
        inner.state.passes.push(offered);
        inner.state.passes_done += 1;
        Some(result)
    }

    fn pass_accumulation(&self, kind: PassKind) -> Accumulation {
        match kind {
            PassKind::Cost => Accumulation::Qr,
            PassKind::Linearization => self.settings.accumulation,
        }
    }

    /// Folds batches `start..` of `pass` into `sums` (empty when `None`), on a thread of
    /// the thread pool: each batch is then summed and the next one read by tasks joined
    /// from inside the pool, rather than a task handed to the pool and waited for, batch
    /// after batch, by a thread outside it.
    fn fold_batches(
        &self,
        inner: &mut Inner,
        pass: &Pass<'_>,
        start: usize,
        sums: Option<SumsState>,
    ) -> Result<SumsState, OptimizationError> {
        rayon::scope(|_| {
            let Pass {
                index,
                kind,
                accumulation,
                parameters: p,
            } = *pass;
            let n_batches = self.n_batches();
            let weighted = self.source.has_sigma();
            let mut acc = sums.unwrap_or_else(SumsState::empty);
            let todo: Vec<usize> = (start..n_batches)
                .filter(|b| !inner.state.failed_batches.contains_key(b))
                .collect();
            // The data are checked for NaN, infinities and non-positive sigma when first read in
            // a solver run (its first pass); later passes read the same values (the
            // `DataSource` contract) and only read errors can make them fail.
            let check = index == 0;
            // The next batch is read while this one is summed: the read is the other half of a
            // `rayon::join` whose first half sums the batch at hand, so a thread of the pool
            // takes the read while the others start on the sums and then joins them
            // (`StreamingObjective::read_next`). The batches are read and summed in order, so
            // the sums are the same bits as with reading in line.
            let mut current = std::mem::take(&mut inner.batch);
            let mut spare = std::mem::take(&mut inner.spare);
            let Some(&first) = todo.first() else {
                (inner.batch, inner.spare) = (current, spare);
                self.check_success_rate(&inner.state.failed_batches, n_batches)?;
                return Ok(acc);
            };
            let mut outcome = self.read_next(first, &mut current, check);
            for (k, &b) in todo.iter().enumerate() {
                let range = self.batch_range(b);
                let next = todo.get(k + 1).copied();
                let (batch_sums, next_outcome) = rayon::join(
                    || {
                        outcome
                            .is_ok()
                            .then(|| self.batch_sums(&current, weighted, kind, accumulation, p))
                    },
                    || next.map(|n| self.read_next(n, &mut spare, check)),
                );
                match outcome {
                    Ok(attempts) => {
                        let mut batch_sums = batch_sums.expect("a batch read is summed");
                        batch_sums.invalid_residuals.offset(range.start);
                        batch_sums.invalid_jacobian.offset(range.start * p.len());
                        let batch_cost = batch_sums.cost;
                        acc = std::mem::replace(&mut acc, SumsState::empty()).combine(batch_sums);
                        inner.state.stats.record_batch(
                            b,
                            true,
                            Some(batch_cost),
                            attempts,
                            Vec::new(),
                            None,
                        );
                    }
                    Err((attempts, why)) => {
                        inner.state.stats.record_batch(
                            b,
                            false,
                            None,
                            attempts,
                            vec!["excluded".to_string()],
                            Some(why.kind),
                        );
                        inner.state.failed_batches.insert(b, why.message);
                        self.check_success_rate(&inner.state.failed_batches, n_batches)?;
                        if index > 0 {
                            inner.restart = true;
                            return Err(OptimizationError::Convergence {
                                message: format!(
                                    "batch {b} (points {}..{}) failed during pass {index}: the \
                                     objective changed and the solver restarts",
                                    range.start, range.end
                                ),
                                context: Context::new().with("batch", b),
                            });
                        }
                    }
                }
                inner.state.batches_done += 1;
                self.observer.on_pass_progress(&PassProgress {
                    kind,
                    points_done: range.end,
                    points_total: self.source.n_points(),
                });
                let checkpointed = self.maybe_checkpoint(inner, pass, b, &acc);
                if checkpointed.is_err() || self.observer.stop_requested() {
                    (inner.batch, inner.spare) = (current, spare);
                    checkpointed?;
                    return Err(OptimizationError::interrupted()
                        .with_context("pass", index)
                        .with_context("batch", b));
                }
                let Some(next_outcome) = next_outcome else {
                    break;
                };
                std::mem::swap(&mut current, &mut spare);
                outcome = next_outcome;
            }
            // Kept for the next pass, so that their memory is reused.
            (inner.batch, inner.spare) = (current, spare);
            self.check_success_rate(&inner.state.failed_batches, n_batches)?;
            Ok(acc)
        })
    }

    /// The sums of a pass of `kind` at `p` over the points of `batch`.
    fn batch_sums(
        &self,
        batch: &Batch,
        weighted: bool,
        kind: PassKind,
        accumulation: Accumulation,
        p: &[f64],
    ) -> SumsState {
        let objective =
            InMemoryObjective::of_batch(self.model, batch, weighted, self.loss, self.f_scale)
                .with_accumulation(accumulation);
        match kind {
            PassKind::Cost => objective.cost_sums(p),
            PassKind::Linearization => objective.linearization_sums(p, accumulation),
        }
    }

    /// Saves a checkpoint after batch `b` of `pass` when the checkpointer says so.
    fn maybe_checkpoint(
        &self,
        inner: &mut Inner,
        pass: &Pass<'_>,
        b: usize,
        acc: &SumsState,
    ) -> Result<(), OptimizationError> {
        let Some(checkpointer) = self.checkpointer else {
            return Ok(());
        };
        if !checkpointer.should_save(inner.state.batches_done) {
            return Ok(());
        }
        let mut snapshot = inner.state.clone();
        snapshot.partial = Some(PartialPass {
            index: pass.index,
            kind: pass.kind,
            accumulation: pass.accumulation,
            parameters: pass.parameters.to_vec(),
            next_batch: b + 1,
            sums: acc.clone(),
        });
        let loss = snapshot.passes.last().map_or(f64::NAN, |r| r.result.cost());
        // Never while a batch is being read (see `StreamingObjective::reading`).
        let saved = {
            let _no_read = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
            checkpointer.save(&snapshot, loss)
        };
        match saved {
            Ok(()) => inner.checkpoints_written += 1,
            Err(e) if self.settings.stop_on_checkpoint_error => {
                return Err(OptimizationError::Checkpoint {
                    message: e,
                    context: Context::new().with("batch", b),
                    source: None,
                });
            }
            Err(e) => inner.checkpoint_errors.push(e),
        }
        Ok(())
    }
}

impl<M: Model + ?Sized> Objective for StreamingObjective<'_, M> {
    fn n_params(&self) -> usize {
        self.model.n_params()
    }

    fn n_residuals(&self) -> usize {
        let inner = self.lock();
        let excluded: usize = inner
            .state
            .failed_batches
            .keys()
            .map(|&b| self.batch_range(b).len())
            .sum();
        self.source.n_points() - excluded
    }

    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
        match self.pass(PassKind::Cost, p)? {
            PassResult::Cost(c) => Ok(c),
            PassResult::Linearization(l) => Ok(l.cost),
        }
    }

    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
        match self.pass(PassKind::Linearization, p)? {
            PassResult::Linearization(l) => Ok(l),
            PassResult::Cost(_) => unreachable!("a linearisation pass records a linearisation"),
        }
    }
}

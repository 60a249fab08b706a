//! Reading ahead: a pass reads its next batch as one half of a `rayon::join` whose other
//! half sums the batch at hand ([`StreamingObjective::read_next`], called by the passes;
//! a distributed fit's share is read the same way, `crate::distributed::StreamedShare`).
//! A thread of the pool takes the read while the others start on the sums, and joins
//! them when the read is done.
//!
//! The reading and the computation so share the pool's threads, never more threads than
//! cores. A reader thread of its own beside the pool's two threads made three threads on
//! a 2-core machine and a wake-up per batch (1e7 points, batches of 100,000, example
//! `streaming_hdf5`: the CPU time of a STREAMING fit 275 ms with a reader thread, 258 ms
//! joined, half the context switches; the median ratio to CHUNKED of 18 `compare` runs
//! 1.28 and 1.19, with another program busy on one of the two cores). A read that waits
//! for the disk then holds one thread of the pool, but such a pass waits for the disk
//! whoever reads.
//!
//! There are two buffers, as with reading in line: the batch being summed and the one
//! being read, so memory stays two batches; and the batches are read and summed in the
//! pass's order, so the sums are the same bits whoever reads.

use std::sync::PoisonError;

use homodyne_core::{Batch, Model};

use super::batches::BatchFailure;
use super::objective::StreamingObjective;

/// How the read of a batch went: the reads it took, or those and why it failed.
pub(super) type ReadOutcome = Result<usize, (usize, BatchFailure)>;

impl<M: Model + ?Sized> StreamingObjective<'_, M> {
    /// Reads batch `b` into `batch`, its values checked when `check`: how the read went
    /// ([`StreamingObjective::read_valid`]). Never while a checkpoint is being saved
    /// (`StreamingObjective::reading`).
    pub(super) fn read_next(&self, b: usize, batch: &mut Batch, check: bool) -> ReadOutcome {
        let _no_save = self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        self.read_valid(self.batch_range(b), batch, check)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::ThreadId;

    use homodyne_core::{CallbackSource, FitObserver, IterationReport, JacobianKind, PassKind};

    use super::*;
    use crate::loss::Loss;
    use crate::objective::{InMemoryObjective, Objective, SumsState};
    use crate::streaming::StreamingSettings;

    /// `a + b x`, the model of the tests of streamed passes (here and
    /// `crate::distributed::stream`).
    pub(crate) struct Line;
    impl Model for Line {
        fn n_params(&self) -> usize {
            2
        }
        fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
            for (v, &x) in values.iter_mut().zip(x) {
                *v = p[0] + p[1] * x;
            }
        }
        fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
            for ((v, row), &x) in values.iter_mut().zip(jac.chunks_exact_mut(2)).zip(x) {
                *v = p[0] + p[1] * x;
                row.copy_from_slice(&[1.0, x]);
            }
        }
        fn jacobian_kind(&self) -> JacobianKind {
            JacobianKind::Exact
        }
    }

    /// Asks to stop once `after` batches have been reported.
    struct StopAfter {
        after: usize,
        seen: AtomicUsize,
    }
    impl FitObserver for StopAfter {
        fn on_iteration(&self, _report: &IterationReport<'_>) {}
        fn on_pass_progress(&self, _progress: &homodyne_core::PassProgress) {
            self.seen.fetch_add(1, Ordering::SeqCst);
        }
        fn stop_requested(&self) -> bool {
            self.seen.load(Ordering::SeqCst) >= self.after
        }
    }

    fn settings(batch_size: usize) -> StreamingSettings {
        StreamingSettings {
            batch_size,
            ..StreamingSettings::default()
        }
    }

    /// The first point and the thread of every read.
    pub(crate) type Reads = Arc<Mutex<Vec<(usize, ThreadId)>>>;

    /// `n` points of `y = 1 + 2 x` with a wiggle, served by a callback that records the
    /// first point and the thread of every read, fails the test if two reads overlap, and
    /// fails (`Err`) or panics on the reads starting at `failing` and `panicking`: the
    /// source of the tests of streamed passes (here and `crate::distributed::stream`).
    pub(crate) fn recorded(
        n: usize,
        failing: Option<usize>,
        panicking: Option<usize>,
    ) -> (CallbackSource, Vec<f64>, Vec<f64>, Reads) {
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.01).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|x| 1.0 + 2.0 * x + (7.0 * x).sin() * 0.1)
            .collect();
        let reads = Arc::new(Mutex::new(Vec::new()));
        let busy = AtomicBool::new(false);
        let (xs, ys, seen) = (x.clone(), y.clone(), reads.clone());
        let source = CallbackSource::new(n, 1, false, "recorded", move |range, batch| {
            assert!(!busy.swap(true, Ordering::SeqCst), "two reads at once");
            seen.lock()
                .unwrap()
                .push((range.start, std::thread::current().id()));
            batch.x.copy_from_slice(&xs[range.clone()]);
            batch.y.copy_from_slice(&ys[range.clone()]);
            busy.store(false, Ordering::SeqCst);
            if Some(range.start) == failing {
                return Err("gone".into());
            }
            assert!(Some(range.start) != panicking, "the source broke");
            Ok(())
        });
        (source, x, y, reads)
    }

    #[test]
    fn passes_read_every_batch_in_order_one_at_a_time_on_a_thread_of_their_own() {
        let (source, x, y, reads) = recorded(1_000, None, None);
        let p = [0.5, 1.5];
        let streamed = StreamingObjective::new(&Line, &source, &p, Loss::Linear, 1.0, settings(64));
        let cost = streamed.cost(&p).unwrap();
        let read = reads.lock().unwrap().clone();
        let starts: Vec<usize> = read.iter().map(|(s, _)| *s).collect();
        assert_eq!(starts, (0..1_000).step_by(64).collect::<Vec<_>>());
        let here = std::thread::current().id();
        assert!(read.iter().all(|(_, thread)| *thread != here));

        // The bits of the batches' sums added in batch order, as read in line.
        let mut in_line = SumsState::empty();
        for lo in (0..1_000).step_by(64) {
            let hi = (lo + 64).min(1_000);
            let batch = Batch {
                x: x[lo..hi].to_vec(),
                y: y[lo..hi].to_vec(),
                sigma: Vec::new(),
            };
            let sums =
                InMemoryObjective::of_batch(&Line, &batch, false, Loss::Linear, 1.0).cost_sums(&p);
            in_line = in_line.combine(sums);
        }
        assert_eq!(cost, in_line.into_cost());
    }

    #[test]
    fn passes_read_on_the_threads_of_the_pool_while_a_batch_is_summed() {
        // Each read records the pool thread it ran on (`None` off the pool).
        let threads = Arc::new(Mutex::new(Vec::new()));
        let seen = threads.clone();
        let source = CallbackSource::new(1_000, 1, false, "pooled", move |range, batch| {
            seen.lock().unwrap().push(rayon::current_thread_index());
            for (k, i) in range.enumerate() {
                batch.x[k] = i as f64;
                batch.y[k] = 1.0 + 2.0 * i as f64;
            }
            Ok(())
        });
        let p = [0.5, 1.5];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for kind in [PassKind::Cost, PassKind::Linearization] {
            threads.lock().unwrap().clear();
            let streamed =
                StreamingObjective::new(&Line, &source, &p, Loss::Linear, 1.0, settings(64));
            pool.install(|| match kind {
                PassKind::Cost => streamed.cost(&p).map(|_| ()),
                PassKind::Linearization => streamed.linearize(&p).map(|_| ()),
            })
            .unwrap();
            let read = threads.lock().unwrap().clone();
            assert_eq!(read.len(), 16, "{kind:?}");
            assert!(
                read.iter().all(|t| matches!(t, Some(0 | 1))),
                "{kind:?}: {read:?}"
            );
        }
    }

    /// Saves nothing, slowly, and says while it saves.
    struct SlowSaver(Arc<AtomicBool>);
    impl crate::streaming::PassCheckpointer for SlowSaver {
        fn should_save(&self, _batches_done: u64) -> bool {
            true
        }
        fn save(&self, _state: &crate::streaming::StreamState, _loss: f64) -> Result<(), String> {
            self.0.store(true, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(2));
            self.0.store(false, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn no_batch_is_read_while_a_checkpoint_is_saved() {
        let saving = Arc::new(AtomicBool::new(false));
        let overlapped = Arc::new(AtomicUsize::new(0));
        let (during, count) = (saving.clone(), overlapped.clone());
        let source = CallbackSource::new(1_000, 1, false, "watched", move |range, batch| {
            if during.load(Ordering::SeqCst) {
                count.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            for (k, i) in range.enumerate() {
                batch.x[k] = i as f64;
                batch.y[k] = 1.0 + 2.0 * i as f64;
            }
            Ok(())
        });
        let saver = SlowSaver(saving);
        let p = [0.5, 1.5];
        let streamed = StreamingObjective::new(&Line, &source, &p, Loss::Linear, 1.0, settings(64))
            .with_checkpointer(&saver);
        streamed.cost(&p).unwrap();
        assert_eq!(streamed.checkpoints_written(), 16);
        assert_eq!(overlapped.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_pass_stopped_on_request_stops_its_reader() {
        let (source, _, _, reads) = recorded(1_000, None, None);
        let p = [0.5, 1.5];
        let observer = StopAfter {
            after: 2,
            seen: AtomicUsize::new(0),
        };
        let streamed = StreamingObjective::new(&Line, &source, &p, Loss::Linear, 1.0, settings(64))
            .with_observer(&observer);
        let error = streamed.cost(&p).unwrap_err();
        assert!(error.is_interrupted(), "{error}");
        // Two batches folded; at most the two buffers' worth read past them.
        let read = reads.lock().unwrap().len();
        assert!((2..=4).contains(&read), "{read} reads");
    }
}

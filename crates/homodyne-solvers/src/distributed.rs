//! One pass over the data split into shares (one per process of a distributed fit), with
//! the shares' sums combined to the very bits of a single-process pass.
//!
//! # The mathematics
//!
//! A pass of [`InMemoryObjective`] cuts the points into leaves of
//! `LEAF = CHUNK_ROWS * LEAF_CHUNKS` points and combines the leaves' `P x P` sums over a
//! fixed binary tree: the leaf range `[a, b)` splits at `a + (b - a) / 2`, down to single
//! leaves. Floating-point addition is not associative, so the bits of the result depend on
//! that tree, and on nothing else (not on threads).
//!
//! With `R = 2^k` shares, [`tree_shares`] gives share `r` the points of the `r`-th node at
//! depth `k` of that tree. An objective over those points alone builds, over its own
//! leaves, the same subtree (the split depends only on the length of the range), and
//! [`combine_shares`] combines the `R` results pairwise, level by level, as the top `k`
//! levels of the tree do: the combined sums are the single-process sums, bit for bit. For
//! other share counts the leaves are split as evenly as possible and the shares are
//! combined in order: the same sums in another order, equal to rounding (about `1e-15`
//! relative per addition).
//!
//! The sums exchanged are `O(P^2)` numbers, whatever the number of points.
//!
//! Every process runs the same solver on a [`DistributedObjective`]: its own share of the
//! points and a [`Communicator`] that hands every process every share's sums (as bytes,
//! [`crate::wire`]). The combined sums, hence every step, are the same bits on every
//! process. The transport is the communicator's business (MPI in a cluster, threads in
//! the tests below).
//!
//! Underneath, a process computes its share's sums with
//! [`InMemoryObjective::cost_state`] or [`InMemoryObjective::linearization_state`], exchanges [`SumsState`]s, and every process
//! combines them with [`combine_shares`], so that every process takes the same step.

use std::ops::Range;

use homodyne_core::{Context, InvalidSample, Model, OptimizationError};

use crate::objective::{
    Accumulation, CHUNK_ROWS, CostEvaluation, InMemoryObjective, LEAF_CHUNKS, Linearization,
    Objective,
};
use crate::streaming::SumsState;

/// Points per leaf of the reduction tree.
pub const LEAF_POINTS: usize = CHUNK_ROWS * LEAF_CHUNKS;

/// The point ranges of `n_shares` contiguous shares of `n_points` points, each starting on
/// a leaf boundary. With a power-of-two `n_shares` each share is one node of the fixed
/// reduction tree (see the module documentation); otherwise the leaves are dealt as evenly
/// as possible. Shares beyond the number of leaves are empty. `n_shares` 0 is taken as 1.
pub fn tree_shares(n_points: usize, n_shares: usize) -> Vec<Range<usize>> {
    let n_shares = n_shares.max(1);
    let n_leaves = n_points.div_ceil(LEAF_POINTS).max(1);
    let leaves: Vec<Range<usize>> = if n_shares.is_power_of_two() {
        let mut nodes: Vec<Range<usize>> = std::iter::once(0..n_leaves).collect();
        while nodes.len() < n_shares {
            nodes = nodes
                .into_iter()
                .flat_map(|node| {
                    let mid = node.start + node.len() / 2;
                    [node.start..mid, mid..node.end]
                })
                .collect();
        }
        nodes
    } else {
        (0..n_shares)
            .map(|r| (r * n_leaves / n_shares)..((r + 1) * n_leaves / n_shares))
            .collect()
    };
    leaves
        .into_iter()
        .map(|l| (l.start * LEAF_POINTS).min(n_points)..(l.end * LEAF_POINTS).min(n_points))
        .collect()
}

/// The sums of a whole pass from those of its shares, in share order ([`tree_shares`]):
/// pairwise, level by level, for a power-of-two count (the single-process bits), else one
/// after another. Empty shares add nothing. `None` when `shares` is empty.
pub fn combine_shares(shares: Vec<SumsState>) -> Option<SumsState> {
    if shares.len().is_power_of_two() {
        let mut level = shares;
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len() / 2);
            let mut pairs = level.into_iter();
            while let (Some(a), Some(b)) = (pairs.next(), pairs.next()) {
                next.push(a.combine(b));
            }
            level = next;
        }
        level.pop()
    } else {
        shares.into_iter().reduce(SumsState::combine)
    }
}

/// How the processes of a distributed fit exchange a pass's sums.
pub trait Communicator: Sync {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;
    /// The number of processes.
    fn size(&self) -> usize;
    /// Every process's `bytes`, in rank order. A collective call: every process makes it,
    /// the same number of times. An implementation must end with an error, not wait
    /// forever, when a process has failed.
    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String>;
}

/// One process's objective in a distributed fit: the points of its share (the rank's
/// entry of [`tree_shares`] over all `n_points`), with every pass's sums combined across
/// the processes by [`combine_shares`], so that every process sees the sums of the whole
/// data, the same bits as a single process would.
pub struct DistributedObjective<'a, M: Model + ?Sized, C: Communicator> {
    local: InMemoryObjective<'a, M>,
    communicator: &'a C,
    /// Index of the share's first point among all the points.
    offset: usize,
    n_points: usize,
    accumulation: Accumulation,
}

impl<'a, M: Model + ?Sized, C: Communicator> DistributedObjective<'a, M, C> {
    /// The objective of this process: `local` over the points of its share, which starts
    /// at point `offset` of `n_points` in all; `accumulation` as for
    /// [`InMemoryObjective::with_accumulation`].
    pub fn new(
        local: InMemoryObjective<'a, M>,
        communicator: &'a C,
        offset: usize,
        n_points: usize,
        accumulation: Accumulation,
    ) -> Self {
        Self {
            local,
            communicator,
            offset,
            n_points,
            accumulation,
        }
    }

    /// Every share's sums, combined: this share's `local` (with its invalid-value indices
    /// made global) exchanged for every other's.
    fn exchange(&self, mut local: SumsState, pass: &str) -> Result<SumsState, OptimizationError> {
        for sample in [&mut local.invalid_residuals, &mut local.invalid_jacobian] {
            shift(sample, self.offset);
        }
        let failure = |message: String| OptimizationError::Communication {
            message,
            context: Context::new()
                .with("rank", self.communicator.rank())
                .with("processes", self.communicator.size())
                .with("pass", pass),
        };
        let all = self
            .communicator
            .all_gather(local.to_bytes())
            .map_err(failure)?;
        if all.len() != self.communicator.size() {
            return Err(failure(format!(
                "{} shares came back from {} processes",
                all.len(),
                self.communicator.size()
            )));
        }
        let shares = all
            .iter()
            .enumerate()
            .map(|(rank, bytes)| {
                SumsState::from_bytes(bytes).map_err(|e| failure(format!("rank {rank}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        combine_shares(shares).ok_or_else(|| failure("no shares".to_owned()))
    }
}

/// Adds `offset` to the indices of a sample of invalid values.
fn shift(sample: &mut InvalidSample, offset: usize) {
    for value in &mut sample.values {
        value.index += offset;
    }
}

impl<M: Model + ?Sized, C: Communicator> Objective for DistributedObjective<'_, M, C> {
    fn n_params(&self) -> usize {
        self.local.n_params()
    }

    fn n_residuals(&self) -> usize {
        self.n_points
    }

    fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
        Ok(self.exchange(self.local.cost_state(p), "cost")?.into_cost())
    }

    fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
        let sums = self.exchange(
            self.local.linearization_state(p, self.accumulation),
            "linearization",
        )?;
        // Too ill-conditioned for the normal equations: every process sees the same sums,
        // so every process redoes the pass exactly, and exchanges again.
        let mut exact_failure = None;
        let linearization = sums.into_linearization(p.len(), || {
            self.exchange(
                self.local.linearization_state(p, Accumulation::Qr),
                "exact linearization",
            )
            .unwrap_or_else(|e| {
                exact_failure = Some(e);
                SumsState::empty()
            })
        });
        match exact_failure {
            Some(e) => Err(e),
            None => Ok(linearization),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::Loss;
    use crate::objective::{
        Accumulation, CostEvaluation, InMemoryObjective, Linearization, Objective,
    };
    use crate::options::SolverOptions;
    use crate::{lm, trf};
    use homodyne_core::{Bounds, JacobianKind, Model, NoObserver, OptimizationError};
    use std::sync::{Barrier, Mutex};

    /// `y = a exp(-b x) + c`.
    struct Decay;

    impl Model for Decay {
        fn n_params(&self) -> usize {
            3
        }
        fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
            for (v, &x) in values.iter_mut().zip(x) {
                *v = p[0] * (-p[1] * x).exp() + p[2];
            }
        }
        fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
            for (i, &x) in x.iter().enumerate() {
                let e = (-p[1] * x).exp();
                values[i] = p[0] * e + p[2];
                jac[3 * i..3 * i + 3].copy_from_slice(&[e, -p[0] * x * e, 1.0]);
            }
        }
        fn jacobian_kind(&self) -> JacobianKind {
            JacobianKind::Exact
        }
    }

    fn data(n: usize) -> (Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / n as f64).collect();
        // A deterministic wiggle instead of noise, so that the residuals are not zero.
        let y = x
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                2.5 * (-1.3 * x).exp() + 0.5 + 0.01 * ((i * 7919 % 1000) as f64 / 500.0 - 1.0)
            })
            .collect();
        (x, y)
    }

    /// A pass computed share by share in one process, combined with [`combine_shares`]:
    /// what every process of a distributed fit computes.
    struct Shared<'a> {
        parts: Vec<InMemoryObjective<'a, Decay>>,
        n: usize,
        accumulation: Accumulation,
    }

    impl Objective for Shared<'_> {
        fn n_params(&self) -> usize {
            3
        }
        fn n_residuals(&self) -> usize {
            self.n
        }
        fn cost(&self, p: &[f64]) -> Result<CostEvaluation, OptimizationError> {
            let states = self.parts.iter().map(|o| o.cost_state(p)).collect();
            Ok(combine_shares(states).expect("shares").into_cost())
        }
        fn linearize(&self, p: &[f64]) -> Result<Linearization, OptimizationError> {
            let sums = |accumulation| {
                let states = self
                    .parts
                    .iter()
                    .map(|o| o.linearization_state(p, accumulation))
                    .collect();
                combine_shares(states).expect("shares")
            };
            Ok(sums(self.accumulation).into_linearization(3, || sums(Accumulation::Qr)))
        }
    }

    /// Whole fits, TRF and LM, from shares: the same iterates and the same optimum, to the
    /// bit, as the single-process fit, for 2 and 4 shares and both accumulations.
    #[test]
    fn fits_from_shares_end_on_the_single_process_bits() {
        let n = 11 * LEAF_POINTS + 321;
        let (x, y) = data(n);
        let options = SolverOptions::default();
        let bounds = Bounds::unbounded(3);
        for accumulation in [Accumulation::Qr, Accumulation::NormalEquations] {
            let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0)
                .with_accumulation(accumulation);
            let p0 = [1.0, 1.0, 0.0];
            let single = trf(&whole, &p0, &bounds, &options, &NoObserver).unwrap();
            let single_lm = lm(&whole, &p0, &bounds, &options, &NoObserver).unwrap();
            for count in [2, 4] {
                let shared = Shared {
                    parts: tree_shares(n, count)
                        .into_iter()
                        .map(|r| {
                            InMemoryObjective::new(
                                &Decay,
                                &x[r.clone()],
                                &y[r],
                                None,
                                Loss::Linear,
                                1.0,
                            )
                        })
                        .collect(),
                    n,
                    accumulation,
                };
                let fit = trf(&shared, &p0, &bounds, &options, &NoObserver).unwrap();
                assert_eq!(fit.x, single.x, "trf, {count} shares, {accumulation:?}");
                assert_eq!((fit.nfev, fit.njev), (single.nfev, single.njev));
                let fit = lm(&shared, &p0, &bounds, &options, &NoObserver).unwrap();
                assert_eq!(fit.x, single_lm.x, "lm, {count} shares, {accumulation:?}");
            }
            assert!((single.x[1] - 1.3).abs() < 1e-2, "{:?}", single.x);
        }
    }

    /// `size` processes as threads of one test: `all_gather` waits until every thread has
    /// put its bytes, and again until every thread has read them all.
    struct Threads {
        size: usize,
        slots: Mutex<Vec<Vec<u8>>>,
        barrier: Barrier,
    }

    /// One thread's view of [`Threads`].
    struct ThreadRank<'a> {
        rank: usize,
        threads: &'a Threads,
    }

    impl Communicator for ThreadRank<'_> {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            self.threads.size
        }
        fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
            self.threads.slots.lock().unwrap()[self.rank] = bytes;
            self.threads.barrier.wait();
            let all = self.threads.slots.lock().unwrap().clone();
            self.threads.barrier.wait();
            Ok(all)
        }
    }

    /// A communicator whose exchange always fails.
    struct Broken;

    impl Communicator for Broken {
        fn rank(&self) -> usize {
            1
        }
        fn size(&self) -> usize {
            2
        }
        fn all_gather(&self, _: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
            Err("rank 0 did not answer within 60 s".to_owned())
        }
    }

    /// 1, 2 and 4 processes, each a thread with only its share of the points, run TRF on
    /// a [`DistributedObjective`]: every one ends on the single-process bits.
    #[test]
    fn processes_with_their_shares_alone_end_on_the_single_process_bits() {
        let n = 9 * LEAF_POINTS + 55;
        let (x, y) = data(n);
        let (options, bounds, p0) = (
            SolverOptions::default(),
            Bounds::unbounded(3),
            [1.0, 1.0, 0.0],
        );
        let accumulation = Accumulation::NormalEquations;
        let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0)
            .with_accumulation(accumulation);
        let single = trf(&whole, &p0, &bounds, &options, &NoObserver).unwrap();
        for size in [1, 2, 4] {
            let threads = Threads {
                size,
                slots: Mutex::new(vec![Vec::new(); size]),
                barrier: Barrier::new(size),
            };
            let shares = tree_shares(n, size);
            let outcomes: Vec<Vec<f64>> = std::thread::scope(|scope| {
                let handles: Vec<_> = shares
                    .iter()
                    .enumerate()
                    .map(|(rank, share)| {
                        let (x, y, threads) = (&x, &y, &threads);
                        let (bounds, options) = (&bounds, &options);
                        scope.spawn(move || {
                            let communicator = ThreadRank { rank, threads };
                            let local = InMemoryObjective::new(
                                &Decay,
                                &x[share.clone()],
                                &y[share.clone()],
                                None,
                                Loss::Linear,
                                1.0,
                            );
                            let objective = DistributedObjective::new(
                                local,
                                &communicator,
                                share.start,
                                n,
                                accumulation,
                            );
                            trf(&objective, &p0, bounds, options, &NoObserver)
                                .unwrap()
                                .x
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for (rank, x) in outcomes.iter().enumerate() {
                assert_eq!(x, &single.x, "{size} processes, rank {rank}");
            }
        }
    }

    #[test]
    fn a_failed_exchange_is_a_communication_error_naming_the_rank() {
        let (x, y) = data(1000);
        let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
        let objective =
            DistributedObjective::new(local, &Broken, 0, 2000, Accumulation::NormalEquations);
        let err = objective.cost(&[1.0, 1.0, 0.0]).unwrap_err();
        assert_eq!(err.kind(), homodyne_core::ErrorKind::Communication);
        let text = err.to_string();
        assert!(
            text.contains("did not answer") && text.contains("rank=1"),
            "{text}"
        );
    }

    /// Invalid values found in a share are reported at their index among all the points.
    #[test]
    fn invalid_values_keep_their_global_index() {
        let threads = Threads {
            size: 1,
            slots: Mutex::new(vec![Vec::new()]),
            barrier: Barrier::new(1),
        };
        let (x, mut y) = data(100);
        y[17] = f64::NAN;
        let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
        let communicator = ThreadRank {
            rank: 0,
            threads: &threads,
        };
        let objective =
            DistributedObjective::new(local, &communicator, 5000, 5100, Accumulation::Qr);
        let cost = objective.cost(&[1.0, 1.0, 0.0]).unwrap();
        assert!(cost.cost.is_infinite());
        assert_eq!(cost.invalid_residuals.values[0].index, 5017);
    }

    #[test]
    fn power_of_two_shares_are_nodes_of_the_tree() {
        // 10 leaves: the tree splits them 5 | 5, then 2 | 3 and 2 | 3.
        let n = 9 * LEAF_POINTS + 100;
        let shares = tree_shares(n, 4);
        let leaves: Vec<(usize, usize)> = shares
            .iter()
            .map(|r| (r.start / LEAF_POINTS, r.end.div_ceil(LEAF_POINTS)))
            .collect();
        assert_eq!(leaves, [(0, 2), (2, 5), (5, 7), (7, 10)]);
        assert_eq!(shares.last().unwrap().end, n);
        // Every point in exactly one share, in order.
        for count in [1, 2, 3, 4, 5, 8, 16] {
            let shares = tree_shares(n, count);
            assert_eq!(shares.len(), count);
            assert_eq!(shares[0].start, 0);
            assert!(shares.windows(2).all(|w| w[0].end == w[1].start));
            assert_eq!(shares[count - 1].end, n);
        }
        // More shares than leaves: the extra ones are empty.
        let few = tree_shares(100, 4);
        assert_eq!(few.iter().map(|r| r.len()).sum::<usize>(), 100);
        assert_eq!(tree_shares(100, 0), vec![0..100]);
    }

    /// For 1, 2, 4 and 8 shares, both accumulations and both kinds of pass, the combined
    /// shares are the single-process sums to the bit; for 3 and 5 shares, to 1e-12.
    #[test]
    fn combined_shares_are_the_single_process_sums() {
        let p = [2.4, 1.2, 0.45];
        for n in [LEAF_POINTS / 3, 5 * LEAF_POINTS, 13 * LEAF_POINTS + 777] {
            let (x, y) = data(n);
            let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
            for accumulation in [Accumulation::Qr, Accumulation::NormalEquations] {
                let reference = whole.linearization_state(&p, accumulation);
                let cost_reference = whole.cost_state(&p);
                for count in [1, 2, 3, 4, 5, 8] {
                    let mut lin = Vec::new();
                    let mut cost = Vec::new();
                    for share in tree_shares(n, count) {
                        let part = InMemoryObjective::new(
                            &Decay,
                            &x[share.clone()],
                            &y[share],
                            None,
                            Loss::Linear,
                            1.0,
                        );
                        lin.push(part.linearization_state(&p, accumulation));
                        cost.push(part.cost_state(&p));
                    }
                    let (lin, cost) = (combine_shares(lin).unwrap(), combine_shares(cost).unwrap());
                    if count.is_power_of_two() {
                        assert_eq!(lin, reference, "n {n}, {count} shares, {accumulation:?}");
                        assert_eq!(cost, cost_reference, "n {n}, {count} shares");
                    } else {
                        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
                        assert!(close(lin.cost, reference.cost), "n {n}, {count} shares");
                        assert!(close(cost.chi_squared, cost_reference.chi_squared));
                        if let (Some(a), Some(b)) = (&lin.normal, &reference.normal) {
                            let ((a_jtj, a_jtf), (b_jtj, b_jtf)) = (a.parts(), b.parts());
                            for (u, v) in a_jtj.iter().chain(a_jtf).zip(b_jtj.iter().chain(b_jtf)) {
                                assert!(close(*u, *v), "n {n}, {count} shares: {u} vs {v}");
                            }
                        }
                    }
                }
            }
        }
    }
}

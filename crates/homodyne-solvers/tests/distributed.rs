//! Distributed passes: the shares of the fixed reduction tree, their sums combined to the
//! bits of a single-process pass (in memory and streamed), whole fits from shares, and
//! processes played by threads ([`ThreadGroup`]) that fail, exchange and report invalid
//! values as processes would.

use std::ops::Range;

use homodyne_core::{
    Bounds, ErrorKind, JacobianKind, Model, NoObserver, OptimizationError, SliceSource,
};
use homodyne_solvers::distributed::{
    Communicator, DistributedObjective, LEAF_POINTS, ShareSums, StreamedShare, combine_shares,
    tree_shares,
};
use homodyne_solvers::objective::SumsState;
use homodyne_solvers::{
    Accumulation, CostEvaluation, InMemoryObjective, Linearization, Loss, Objective, SolverOptions,
    lm, trf,
};
use homodyne_testkit::ThreadGroup;
use homodyne_testkit::example::Decay;

/// The objective of `model` over the points of `share` alone.
fn share_objective<'a, M: Model>(
    model: &'a M,
    x: &'a [f64],
    y: &'a [f64],
    share: Range<usize>,
) -> InMemoryObjective<'a, M> {
    InMemoryObjective::new(model, &x[share.clone()], &y[share], None, Loss::Linear, 1.0)
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
                    .map(|r| share_objective(&Decay, &x, &y, r))
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
        let threads = ThreadGroup::new(size);
        let shares = tree_shares(n, size);
        let outcomes: Vec<Vec<f64>> = threads.run_each(|communicator| {
            let share = shares[communicator.rank()].clone();
            let local = share_objective(&Decay, &x, &y, share.clone());
            let objective =
                DistributedObjective::new(local, &communicator, share.start, n, accumulation);
            trf(&objective, &p0, &bounds, &options, &NoObserver)
                .unwrap()
                .x
        });
        for (rank, x) in outcomes.iter().enumerate() {
            assert_eq!(x, &single.x, "{size} processes, rank {rank}");
        }
    }
}

/// `y = a exp(-b x) + c`, panicking at points beyond `x = 5`.
struct PanicsBeyondFive;

impl Model for PanicsBeyondFive {
    fn n_params(&self) -> usize {
        3
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        assert!(
            x.iter().all(|&x| x <= 5.0),
            "the model cannot evaluate x > 5"
        );
        Decay.eval(x, p, values);
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jac: &mut [f64]) {
        assert!(
            x.iter().all(|&x| x <= 5.0),
            "the model cannot evaluate x > 5"
        );
        Decay.eval_with_jacobian(x, p, values, jac);
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// A process whose model panics hands the failure in: it ends with its own error, and
/// every other process with a communication error naming it; none waits forever.
#[test]
fn a_failing_process_ends_every_process_with_an_error_naming_it() {
    let n = 4 * LEAF_POINTS;
    let (x, y) = data(n);
    let threads = ThreadGroup::new(2);
    let shares = tree_shares(n, 2);
    let errors: Vec<OptimizationError> = threads.run_each(|communicator| {
        let share = shares[communicator.rank()].clone();
        let local = share_objective(&PanicsBeyondFive, &x, &y, share.clone());
        let objective = DistributedObjective::new(
            local,
            &communicator,
            share.start,
            n,
            Accumulation::NormalEquations,
        );
        let options = SolverOptions::default();
        trf(
            &objective,
            &[1.0, 1.0, 0.0],
            &Bounds::unbounded(3),
            &options,
            &NoObserver,
        )
        .unwrap_err()
    });
    assert_eq!(errors[1].kind(), ErrorKind::ModelPanicked);
    assert!(
        errors[1].to_string().contains("cannot evaluate"),
        "{}",
        errors[1]
    );
    assert_eq!(errors[0].kind(), ErrorKind::Communication);
    let text = errors[0].to_string();
    assert!(
        text.contains("process 1 failed") && text.contains("cannot evaluate"),
        "{text}"
    );
}

#[test]
fn a_failed_exchange_is_a_communication_error_naming_the_rank() {
    let (x, y) = data(1000);
    let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
    let objective =
        DistributedObjective::new(local, &Broken, 0, 2000, Accumulation::NormalEquations);
    let err = objective.cost(&[1.0, 1.0, 0.0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Communication);
    let text = err.to_string();
    assert!(
        text.contains("did not answer") && text.contains("rank=1"),
        "{text}"
    );
}

/// Invalid values found in a share are reported at their index among all the points.
#[test]
fn invalid_values_keep_their_global_index() {
    let threads = ThreadGroup::new(1);
    let (x, mut y) = data(100);
    y[17] = f64::NAN;
    let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
    let communicator = threads.rank(0);
    let objective = DistributedObjective::new(local, &communicator, 5000, 5100, Accumulation::Qr);
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
                    let part = share_objective(&Decay, &x, &y, share);
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

/// Streamed shares, whatever the batch size, sum to the bits of the in-memory pass
/// over all the points, for power-of-two share counts.
#[test]
fn streamed_shares_are_the_in_memory_sums() {
    let n = 13 * LEAF_POINTS + 777;
    let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / n as f64).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &x)| 2.5 * (-1.3 * x).exp() + 0.5 + 1e-3 * ((i % 97) as f64 - 48.0))
        .collect();
    let source = SliceSource::new(&x, &y, None, 1).unwrap();
    let p = [2.4, 1.2, 0.45];
    let whole = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0);
    for accumulation in [Accumulation::Qr, Accumulation::NormalEquations] {
        let reference = whole.linearization_state(&p, accumulation);
        for count in [1, 2, 4] {
            for batch_points in [1, 2 * LEAF_POINTS, 3 * LEAF_POINTS, 100 * LEAF_POINTS] {
                let states: Vec<SumsState> = tree_shares(n, count)
                    .into_iter()
                    .map(|share| {
                        StreamedShare::new(
                            &Decay,
                            &source,
                            share,
                            Loss::Linear,
                            1.0,
                            batch_points,
                            0,
                        )
                        .linearization_sums(&p, accumulation)
                        .unwrap()
                    })
                    .collect();
                assert_eq!(
                    combine_shares(states).unwrap(),
                    reference,
                    "{count} shares, batches of {batch_points}, {accumulation:?}"
                );
            }
        }
    }
    assert_eq!(
        StreamedShare::new(&Decay, &source, 0..n, Loss::Linear, 1.0, 5, 0)
            .cost_sums(&p)
            .unwrap(),
        whole.cost_state(&p)
    );
}

/// A NaN in the data is an error naming the point, not a silent exclusion.
#[test]
fn data_that_are_not_finite_are_refused_with_the_point() {
    let n = 3 * LEAF_POINTS;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let mut y = vec![1.0; n];
    y[LEAF_POINTS + 5] = f64::NAN;
    let source = SliceSource::new(&x, &y, None, 1).unwrap();
    let share = StreamedShare::new(&Decay, &source, 0..n, Loss::Linear, 1.0, LEAF_POINTS, 1);
    let err = share.cost_sums(&[1.0, 1.0, 0.0]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("y of point {}", LEAF_POINTS + 5)),
        "{text}"
    );
}

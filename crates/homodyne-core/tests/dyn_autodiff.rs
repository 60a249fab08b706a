//! `DynAutoDiff` (parameter count at run time) against `AutoDiff<M, N>` (at compile time):
//! the same values and Jacobians, bit for bit, up to 32 parameters (one evaluation) and above
//! (one evaluation per block of 32).

use homodyne_core::{AutoDiff, DynAutoDiff, GenericModel, Model, Scalar};

/// A model of `n` parameters that mixes them (each column depends on all parameters) and
/// uses the elementary functions, the comparisons and the powers at a zero base.
struct Mixed {
    n: usize,
}

impl GenericModel for Mixed {
    fn n_params(&self) -> usize {
        self.n
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let t = x[0];
        let mut acc = T::cst(0.25);
        for (k, &pk) in p.iter().enumerate() {
            let term = match k % 7 {
                0 => (pk * -t).exp(),
                1 => (pk * t).sin() + pk.atan2(acc + 1.5),
                2 => (pk * t).pow(acc.abs().min(T::cst(1.5)) + 0.5),
                3 => pk.hypot(acc) * (pk * t).powf(1.5),
                4 => (pk * pk + 1.0).ln().max(acc * 0.1),
                5 => (pk * 0.3).tanh().min(T::cst(0.2)) + (pk * 0.1).cosh(),
                _ => (pk * t).sqrt() + pk.copysign(acc).cbrt(),
            };
            // Bounded: a mean where the term is the larger, a tanh otherwise.
            acc = if term > acc {
                (acc + term) * 0.5
            } else {
                (acc * term).tanh() + acc * 0.3 + 0.1
            };
        }
        acc
    }
}

/// A model of two predictors per point: `sum_k p_k x0^k exp(-p_k x1)`.
struct TwoPredictors {
    n: usize,
}

impl GenericModel for TwoPredictors {
    fn n_params(&self) -> usize {
        self.n
    }
    fn x_dim(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p.iter().enumerate().fold(T::cst(0.0), |acc, (k, &pk)| {
            acc + pk * x[0].powi(k as i32) * (pk * -x[1]).exp()
        })
    }
}

/// Parameters of size 0.3-1.3, one of them 0 (the zero-base limits).
fn parameters(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| {
            if k == 2 {
                0.0
            } else {
                0.3 + (k % 11) as f64 * 0.1
            }
        })
        .collect()
}

/// Values and Jacobian of a model on the points `x`, as bits.
fn bits(model: &dyn Model, x: &[f64], p: &[f64]) -> (Vec<u64>, Vec<u64>) {
    let m = x.len() / model.x_dim();
    let (mut values, mut jac) = (vec![0.0; m], vec![0.0; m * model.n_params()]);
    model.eval_with_jacobian(x, p, &mut values, &mut jac);
    let mut plain = vec![0.0; m];
    model.eval(x, p, &mut plain);
    assert!(values.iter().all(|v| v.is_finite()), "finite test values");
    let to_bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let mut all = to_bits(&values);
    all.extend(to_bits(&plain));
    (all, to_bits(&jac))
}

/// Checks `DynAutoDiff` against `AutoDiff<_, N>` on both models.
fn same_bits<const N: usize>() {
    let p = parameters(N);
    let x: Vec<f64> = (0..37).map(|i| i as f64 * 0.04).collect();
    let fixed = AutoDiff::<_, N>::new(Mixed { n: N }).unwrap();
    let dynamic = DynAutoDiff::new(Mixed { n: N });
    assert_eq!(dynamic.n_params(), N);
    assert_eq!(
        bits(&dynamic, &x, &p),
        bits(&fixed, &x, &p),
        "Mixed, n = {N}"
    );
    // Not every entry is zero: the comparison means something.
    let (_, jac) = bits(&dynamic, &x, &p);
    let nonzero = jac.iter().filter(|&&b| f64::from_bits(b) != 0.0).count();
    assert!(
        nonzero > jac.len() / 4,
        "n = {N}: {nonzero} of {}",
        jac.len()
    );

    let x2: Vec<f64> = (0..40).map(|i| 0.5 + (i % 7) as f64 * 0.2).collect();
    let fixed = AutoDiff::<_, N>::new(TwoPredictors { n: N }).unwrap();
    let dynamic = DynAutoDiff::new(TwoPredictors { n: N });
    assert_eq!(
        bits(&dynamic, &x2, &p),
        bits(&fixed, &x2, &p),
        "TwoPredictors, n = {N}"
    );
}

#[test]
fn counts_up_to_16_give_the_fixed_size_bits() {
    same_bits::<1>();
    same_bits::<3>();
    same_bits::<7>();
    same_bits::<9>();
    same_bits::<11>();
    same_bits::<16>();
}

#[test]
fn counts_from_17_to_32_give_the_fixed_size_bits() {
    same_bits::<17>();
    same_bits::<25>();
    same_bits::<32>();
}

#[test]
fn counts_above_32_in_blocks_give_the_fixed_size_bits() {
    same_bits::<33>();
    same_bits::<40>();
    same_bits::<70>();
}

#[test]
fn the_jacobian_matches_finite_differences() {
    let n = 40;
    let model = DynAutoDiff::new(Mixed { n });
    // Away from the zero base (its one-sided limits).
    let mut p = parameters(n);
    p[2] = 0.2;
    let x = [0.75];
    let (mut y, mut jac) = ([0.0], vec![0.0; n]);
    model.eval_with_jacobian(&x, &p, &mut y, &mut jac);
    for k in 0..n {
        let h = 1e-6 * p[k].abs().max(1e-3);
        let (mut up, mut down) = (p.clone(), p.clone());
        up[k] += h;
        down[k] -= h;
        let f = |p: &[f64]| model.inner().eval::<f64>(&x, p);
        let fd = (f(&up) - f(&down)) / (2.0 * h);
        assert!(
            (jac[k] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
            "d/dp{k}: {} vs {fd}",
            jac[k]
        );
    }
}

#[test]
fn names_and_kind_are_the_models() {
    let model = DynAutoDiff::new(Mixed { n: 3 });
    assert_eq!(model.param_names(), ["b1", "b2", "b3"]);
    assert_eq!(model.jacobian_kind(), homodyne_core::JacobianKind::AutoDiff);
    // No parameters: the values alone.
    let empty = DynAutoDiff::new(Mixed { n: 0 });
    let mut y = [0.0; 2];
    empty.eval_with_jacobian(&[0.0, 1.0], &[], &mut y, &mut []);
    assert_eq!(y, [0.25, 0.25]);
}

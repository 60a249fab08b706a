//! Example models and data: reproducible synthetic fits for the tests, the benchmarks and
//! the examples. The noise is `homodyne::random`'s [`GaussianNoise`]: the same seed gives
//! the same data, bit for bit, on every platform and forever.

use homodyne_core::random::GaussianNoise;
use homodyne_core::vector_math::{exp, vectorized};
use homodyne_core::{JacobianKind, Model};

/// The model of [`decay`]'s data, `y = a exp(-b x) + c`, with its hand-written exact
/// Jacobian `(e, -a x e, 1)`, `e = exp(-b x)`.
pub struct Decay;

impl Model for Decay {
    fn n_params(&self) -> usize {
        3
    }

    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        let (a, b, c) = (p[0], p[1], p[2]);
        vectorized(
            #[inline(always)]
            || {
                for (v, &xi) in values.iter_mut().zip(x) {
                    *v = a * exp(-b * xi) + c;
                }
            },
        );
    }

    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let (a, b, c) = (p[0], p[1], p[2]);
        vectorized(
            #[inline(always)]
            || {
                for ((v, row), &xi) in values.iter_mut().zip(jacobian.chunks_exact_mut(3)).zip(x) {
                    let e = exp(-b * xi);
                    *v = a * e + c;
                    row[0] = e;
                    row[1] = -a * xi * e;
                    row[2] = 1.0;
                }
            },
        );
    }

    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }

    fn param_names(&self) -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }
}

/// Peaks of [`Peaks`].
pub const PEAKS: usize = 17;

/// A 53-parameter model, the size of an XPCS fit: 17 Gaussian peaks on a linear
/// background, with its hand-written exact Jacobian,
///
/// ```text
/// y = c0 + c1 x + sum_{k<17} A_k exp(-z_k^2 / 2),   z_k = (x - mu_k) / s_k
/// dy/dA_k = e_k,  dy/dmu_k = A_k e_k z_k / s_k,  dy/ds_k = A_k e_k z_k^2 / s_k
/// ```
///
/// Parameters `(A_k, mu_k, s_k)` for each peak in turn, then `(c0, c1)`.
pub struct Peaks;

impl Peaks {
    /// The parameters of the example data on `[0, 10]`: peaks every 0.58 from 0.36, of
    /// height `1 + 0.1 k` and width 0.08, on `0.2 + 0.03 x`.
    pub fn truth() -> Vec<f64> {
        let mut p = Vec::with_capacity(3 * PEAKS + 2);
        for k in 0..PEAKS {
            p.extend([1.0 + 0.1 * k as f64, 0.36 + 0.58 * k as f64, 0.08]);
        }
        p.extend([0.2, 0.03]);
        p
    }

    /// A start near [`Peaks::truth`]: heights and widths 5% off, centres shifted by 0.01.
    pub fn start() -> Vec<f64> {
        Self::truth()
            .iter()
            .enumerate()
            .map(|(k, &t)| match (k < 3 * PEAKS, k % 3) {
                (true, 1) => t + 0.01,
                (true, _) => 1.05 * t,
                (false, _) => t,
            })
            .collect()
    }
}

impl Model for Peaks {
    fn n_params(&self) -> usize {
        3 * PEAKS + 2
    }

    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        vectorized(
            #[inline(always)]
            || {
                for (v, &xi) in values.iter_mut().zip(x) {
                    let mut sum = p[3 * PEAKS] + p[3 * PEAKS + 1] * xi;
                    for peak in p[..3 * PEAKS].chunks_exact(3) {
                        let z = (xi - peak[1]) / peak[2];
                        sum += peak[0] * exp(-0.5 * z * z);
                    }
                    *v = sum;
                }
            },
        );
    }

    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let n = self.n_params();
        vectorized(
            #[inline(always)]
            || {
                for ((v, row), &xi) in values.iter_mut().zip(jacobian.chunks_exact_mut(n)).zip(x) {
                    let mut sum = p[3 * PEAKS] + p[3 * PEAKS + 1] * xi;
                    for (peak, d) in p[..3 * PEAKS].chunks_exact(3).zip(row.chunks_exact_mut(3)) {
                        let z = (xi - peak[1]) / peak[2];
                        let e = exp(-0.5 * z * z);
                        let g = peak[0] * e;
                        sum += g;
                        d[0] = e;
                        d[1] = g * z / peak[2];
                        d[2] = g * z * z / peak[2];
                    }
                    row[3 * PEAKS] = 1.0;
                    row[3 * PEAKS + 1] = xi;
                    *v = sum;
                }
            },
        );
    }

    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

/// `n >= 2` points `x = linspace(0, 10, n)` of `model` at `truth` plus Gaussian noise of
/// standard deviation `sigma` from `seed`, computed a chunk at a time (nothing but `x` and
/// `y` is allocated).
pub fn synthetic(model: &dyn Model, truth: &[f64], n: usize, sigma: f64, seed: u64) -> ExampleData {
    let step = 10.0 / (n.max(2) - 1) as f64;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * step).collect();
    let mut y = vec![0.0; n];
    let mut noise = GaussianNoise::new(seed);
    for (xc, yc) in x.chunks(4096).zip(y.chunks_mut(4096)) {
        model.eval(xc, truth, yc);
        for v in yc.iter_mut() {
            *v += sigma * noise.next_normal();
        }
    }
    ExampleData {
        x,
        y,
        sigma,
        truth: truth.to_vec(),
    }
}

/// A synthetic data set with the truth that generated it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleData {
    /// Predictor values.
    pub x: Vec<f64>,
    /// Observations: the model at the truth plus Gaussian noise.
    pub y: Vec<f64>,
    /// The noise's standard deviation (the same for every point).
    pub sigma: f64,
    /// The parameters the data were generated with.
    pub truth: Vec<f64>,
}

/// `y = a exp(-b x) + c + sigma * N(0, 1)` on `n >= 2` points `x = linspace(0, 10, n)`, with
/// `(a, b, c) = (2.5, 1.3, 0.5)`.
///
/// ```
/// let data = homodyne_testkit::example::decay(1000, 0.01, 7);
/// assert_eq!(data.x.len(), 1000);
/// assert_eq!(data.x[999], 10.0);
/// assert_eq!(data, homodyne_testkit::example::decay(1000, 0.01, 7)); // reproducible
/// ```
pub fn decay(n: usize, sigma: f64, seed: u64) -> ExampleData {
    let truth = vec![2.5, 1.3, 0.5];
    let step = 10.0 / (n.max(2) - 1) as f64;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * step).collect();
    let mut noise = GaussianNoise::new(seed);
    let y = x
        .iter()
        .map(|&xi| truth[0] * (-truth[1] * xi).exp() + truth[2] + sigma * noise.next_normal())
        .collect();
    ExampleData { x, y, sigma, truth }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example data keep their bits: benchmarks and tests written against them see the
    /// same data in every version.
    #[test]
    fn decay_data_keep_their_bits() {
        let data = decay(5, 0.01, 7);
        assert_eq!(data.x, [0.0, 2.5, 5.0, 7.5, 10.0]);
        let bits: Vec<u64> = data.y.iter().map(|y| y.to_bits()).collect();
        assert_eq!(
            bits,
            [
                0x4008_1BF4_7DA6_2650,
                0x3FE3_25EF_5933_4D48,
                0x3FDF_FC9D_4816_BFD2,
                0x3FDF_DD19_2EC2_BB82,
                0x3FE0_006A_310A_8BD6,
            ]
        );
    }

    /// The chunked generator gives the data of the point-by-point one (to the few ulp of
    /// the vectorised `exp`).
    #[test]
    fn synthetic_decay_is_the_decay_data() {
        let truth = [2.5, 1.3, 0.5];
        let chunked = synthetic(&Decay, &truth, 10_000, 0.01, 3);
        let direct = decay(10_000, 0.01, 3);
        assert_eq!(chunked.x, direct.x);
        for (a, b) in chunked.y.iter().zip(&direct.y) {
            assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
        }
    }
}

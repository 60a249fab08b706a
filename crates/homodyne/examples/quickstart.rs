//! Quick start: fit a decaying exponential to 200,000 noisy points with both
//! methods, and NIST's Misra1a from its far start.
//!
//! Run with `cargo run --release --example quickstart`.

use homodyne::prelude::*;
use homodyne::random::GaussianNoise;

/// y = a exp(-b x) + c, written once and differentiated exactly by dual numbers.
struct Decay;

impl GenericModel for Decay {
    fn n_params(&self) -> usize {
        3
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + p[2]
    }
    fn param_names(&self) -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }
}

fn main() -> Result<(), OptimizationError> {
    // Example data: 200,000 points of 2.5 exp(-1.3 x) + 0.5 on [0, 10] with Gaussian
    // noise of standard deviation 0.01 (a fixed seed: every run sees the same data).
    let (n, sigma) = (200_000, 0.01);
    let step = 10.0 / (n - 1) as f64;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * step).collect();
    let mut noise = GaussianNoise::new(0x5eed_1234_abcd_0001);
    let y: Vec<f64> = x
        .iter()
        .map(|&x| 2.5 * (-1.3 * x).exp() + 0.5 + sigma * noise.next_normal())
        .collect();
    let model = AutoDiff::<_, 3>::new(Decay)?;
    let sigma = vec![sigma; y.len()];
    // The problem, described once: model, data with their uncertainties, start.
    let decay = Fit::curve(&model, &x, &y)
        .sigma(&sigma)
        .absolute_sigma(true)
        .p0(&[1.0, 1.0, 0.0]);
    println!(
        "Fitting y = a exp(-b x) + c to {} points (truth a = 2.5, b = 1.3, c = 0.5)\n",
        y.len()
    );
    for method in [Method::Trf, Method::Lm] {
        let fit = decay.clone().method(method).run()?;
        println!("{fit}\n");
    }

    // A plain closure works too: derivatives by central finite differences.
    let misra_x = [
        77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1, 689.1,
        760.0,
    ];
    let misra_y = [
        10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05, 61.01, 66.40, 75.47,
        81.78,
    ];
    let misra = ClosureModel::new(2, |x: f64, b: &[f64]| b[0] * (1.0 - (-b[1] * x).exp()));
    let fit = Fit::curve(&misra, &misra_x, &misra_y)
        .p0(&[500.0, 1e-4])
        .run()?;
    println!(
        "NIST Misra1a from start 1 (certified b1 = 2.3894212918E+02, b2 = 5.5015643181E-04):\n{fit}"
    );
    Ok(())
}

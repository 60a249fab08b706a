//! properties tests
//!
//! Property tests (proptest) of the fit on random well-posed problems of three families:
//!
//! - two exponentials `a1 exp(-k1 x) + a2 exp(-k2 x)` with rates 4 to 10 times apart, on a
//!   log-spaced grid from `0.02 / k1` to `6 / k2` (as XPCS lag times);
//! - a rational function `(a + b x) / (1 + c x)`, `c > 0`, on `[0, 10 / c]`, whose limit
//!   `b / c` is well away from its start `a`;
//! - a Gaussian peak on a baseline `A exp(-(x - mu)^2 / (2 s^2)) + d` on `[0, 10]`.
//!
//! Each case draws the true parameters, the number of points (50 to 400), a noise level,
//! the starting point (the truth perturbed by up to 30%; the Gaussian's centre by up to
//! 0.3 widths, its baseline by up to 0.3 amplitudes) and a `u64` seeding the noise, so that
//! proptest shrinks and replays failures. The noise comes from `homodyne::random`'s
//! SplitMix64 with Box-Muller: unlike rand's `StdRng`, its stream can never change under
//! us, so a stored failure replays the same data. The noise is heteroscedastic: each point's sigma
//! is the case's level times a factor between 1/2 and 2.
//!
//! The properties:
//! 1. noisy data fitted with their sigma (`absolute_sigma: true`) give parameters within
//!    4 reported sigma of the truth; the covariance is also checked against
//!    `(J^T W J)^-1` computed here from the model's Jacobian at the optimum, so that
//!    uncertainties that are too large (which the 4-sigma check cannot see) fail too;
//! 2. noise-free data give the truth to 1e-8 (relative; absolute for the baseline, in
//!    units of the peak amplitude), with TRF and LM, unbounded and within bounds;
//! 3. TRF and LM, unbounded, reach the same optimum of noisy data to 1e-8 relative plus
//!    1e-5 of the parameter's uncertainty (the stopping tolerance's reach, see
//!    [`AGREEMENT_IN_SIGMA`]);
//! 4. forcing the STANDARD, LARGE and CHUNKED strategies gives the same parameters to 1e-8
//!    relative plus 1e-5 of their uncertainty (as in 3) and the same uncertainties to 1e-6
//!    relative, with TRF and LM (every strategy folds the same sums; STANDARD by exact QR,
//!    the others by the normal equations).

use homodyne::prelude::*;
use homodyne::random::SplitMix64;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

// ---------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------

/// `a1 exp(-k1 x) + a2 exp(-k2 x)`, parameters `[a1, k1, a2, k2]`.
struct TwoExponentials;
impl GenericModel for TwoExponentials {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + p[2] * (p[3] * -x[0]).exp()
    }
}

/// `(a + b x) / (1 + c x)`, parameters `[a, b, c]`.
struct Rational;
impl GenericModel for Rational {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        (p[0] + p[1] * x[0]) / (p[2] * x[0] + 1.0)
    }
}

/// `A exp(-(x - mu)^2 / (2 s^2)) + d`, parameters `[A, mu, s, d]`.
struct Gaussian;
impl GenericModel for Gaussian {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let z = (T::cst(x[0]) - p[1]) / p[2];
        p[0] * (z * z * -0.5).exp() + p[3]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    TwoExponentials,
    Rational,
    Gaussian,
}

impl Family {
    fn model(self) -> Box<dyn Model> {
        match self {
            Self::TwoExponentials => Box::new(AutoDiff::<_, 4>::new(TwoExponentials).unwrap()),
            Self::Rational => Box::new(AutoDiff::<_, 3>::new(Rational).unwrap()),
            Self::Gaussian => Box::new(AutoDiff::<_, 4>::new(Gaussian).unwrap()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------

/// One random problem: the truth, where the fit starts, the grid and the noise.
#[derive(Debug, Clone)]
struct Problem {
    family: Family,
    truth: Vec<f64>,
    p0: Vec<f64>,
    /// Per parameter, the magnitude below which its tolerance becomes absolute (0: always
    /// relative).
    floor: Vec<f64>,
    grid: Grid,
    /// Noise level: each point's sigma is this times a factor in `[1/2, 2]`.
    noise: f64,
    seed: u64,
}

/// Perturbations of the starting point, each in `[-0.3, 0.3]`.
fn perturbations() -> impl Strategy<Value = [f64; 4]> {
    prop::array::uniform4(-0.3..0.3f64)
}

/// `n` points from `lo` to `hi`, evenly spaced in `x` or in `ln x` (kept as a recipe so that
/// a failing case prints short).
#[derive(Debug, Clone, Copy)]
struct Grid {
    lo: f64,
    hi: f64,
    n: usize,
    log: bool,
}

impl Grid {
    /// `n` points evenly spaced in `x` from `lo` to `hi`.
    fn linear(lo: f64, hi: f64, n: usize) -> Self {
        Self {
            lo,
            hi,
            n,
            log: false,
        }
    }

    /// `n` points evenly spaced in `ln x` from `lo` to `hi`.
    fn logarithmic(lo: f64, hi: f64, n: usize) -> Self {
        Self {
            lo,
            hi,
            n,
            log: true,
        }
    }

    fn points(&self) -> Vec<f64> {
        let t = |i: usize| i as f64 / (self.n - 1) as f64;
        if self.log {
            let r = (self.hi / self.lo).ln();
            (0..self.n).map(|i| self.lo * (r * t(i)).exp()).collect()
        } else {
            (0..self.n)
                .map(|i| self.lo + (self.hi - self.lo) * t(i))
                .collect()
        }
    }
}

impl Problem {
    /// A problem of `family` that starts at its `truth` scaled by `1 + u[k]`, with relative
    /// tolerances only.
    fn scaled_start(
        family: Family,
        truth: Vec<f64>,
        u: [f64; 4],
        grid: Grid,
        noise: f64,
        seed: u64,
    ) -> Self {
        Self {
            family,
            p0: truth.iter().zip(u).map(|(t, u)| t * (1.0 + u)).collect(),
            floor: vec![0.0; truth.len()],
            truth,
            grid,
            noise,
            seed,
        }
    }
}

fn two_exponentials() -> impl Strategy<Value = Problem> {
    (
        (0.5..2.0f64, 0.2..3.0f64, 4.0..10.0f64, 0.5..2.0f64),
        50..=400usize,
        0.001..0.01f64,
        perturbations(),
        any::<u64>(),
    )
        .prop_map(|((a1, k1, ratio, a2), n, rel_noise, u, seed)| {
            let k2 = k1 / ratio;
            let grid = Grid::logarithmic(0.02 / k1, 6.0 / k2, n);
            let noise = rel_noise * (a1 + a2);
            let truth = vec![a1, k1, a2, k2];
            Problem::scaled_start(Family::TwoExponentials, truth, u, grid, noise, seed)
        })
}

fn rational() -> impl Strategy<Value = Problem> {
    (
        (0.5..3.0f64, 0.2..2.0f64),
        // The limit b / c as a multiple of a, well away from 1 (at 1 the curve is flat and
        // c unidentifiable): rising, falling, or changing sign.
        prop_oneof![1.5..4.0f64, 0.15..0.6f64, -2.0..-0.3f64],
        50..=400usize,
        0.002..0.02f64,
        perturbations(),
        any::<u64>(),
    )
        .prop_map(|((a, c), ratio, n, rel_noise, u, seed)| {
            let truth = vec![a, c * a * ratio, c];
            let noise = rel_noise * a.max((a * ratio).abs());
            let grid = Grid::linear(0.0, 10.0 / c, n);
            Problem::scaled_start(Family::Rational, truth, u, grid, noise, seed)
        })
}

fn gaussian() -> impl Strategy<Value = Problem> {
    (
        (1.0..5.0f64, 3.0..7.0f64, 0.4..1.5f64, -0.5..0.5f64),
        50..=400usize,
        0.002..0.02f64,
        perturbations(),
        any::<u64>(),
    )
        .prop_map(|((amp, mu, s, d), n, rel_noise, u, seed)| Problem {
            family: Family::Gaussian,
            truth: vec![amp, mu, s, d],
            p0: vec![
                amp * (1.0 + u[0]),
                mu + u[1] * s,
                s * (1.0 + u[2]),
                d + u[3] * amp,
            ],
            floor: vec![0.0, 0.0, 0.0, amp],
            grid: Grid::linear(0.0, 10.0, n),
            noise: rel_noise * amp,
            seed,
        })
}

// ---------------------------------------------------------------------------------------
// Data and fits
// ---------------------------------------------------------------------------------------

impl Problem {
    fn model(&self) -> Box<dyn Model> {
        self.family.model()
    }

    fn x(&self) -> Vec<f64> {
        self.grid.points()
    }

    /// The model at the truth on the grid.
    fn exact_y(&self) -> Vec<f64> {
        let mut y = vec![0.0; self.grid.n];
        self.model().eval(&self.x(), &self.truth, &mut y);
        y
    }

    /// `(y, sigma)`: the exact values plus Gaussian noise, and each point's sigma.
    fn noisy_data(&self) -> (Vec<f64>, Vec<f64>) {
        let mut rng = SplitMix64::new(self.seed);
        let sigma: Vec<f64> = (0..self.grid.n)
            .map(|_| self.noise * 2f64.powf(2.0 * rng.next_f64_nonzero() - 1.0))
            .collect();
        // One normal of each Box-Muller pair.
        let y = self
            .exact_y()
            .iter()
            .zip(&sigma)
            .map(|(y, s)| y + s * rng.next_normal_pair().0)
            .collect();
        (y, sigma)
    }

    /// Tolerance on parameter `k` near the value `v`: `rel` relative, or absolute in units
    /// of the parameter's floor.
    fn tolerance(&self, k: usize, v: f64, rel: f64) -> f64 {
        rel * v.abs().max(self.floor[k])
    }

    /// Fits the model to `y` (with its one-sigma uncertainties `sigma`, if given) from the
    /// start with `method` and the other `settings` a property asks for; the fit must
    /// converge.
    fn fit(
        &self,
        y: &[f64],
        sigma: Option<&[f64]>,
        method: Method,
        settings: impl FnOnce(Fit<'_>) -> Fit<'_>,
    ) -> Result<OptimizationResult, TestCaseError> {
        let (model, x) = (self.model(), self.x());
        let mut fit = Fit::curve(&*model, &x, y).p0(&self.p0).method(method);
        if let Some(sigma) = sigma {
            fit = fit.sigma(sigma);
        }
        let fit = settings(fit)
            .run()
            .map_err(|e| TestCaseError::fail(format!("{method} fit failed: {e}")))?;
        prop_assert!(fit.converged(), "{method} did not converge: {fit}");
        Ok(fit)
    }
}

// ---------------------------------------------------------------------------------------
// Independent covariance
// ---------------------------------------------------------------------------------------

/// `(J^T W J)^-1` at `p`, with `W = diag(1 / sigma_i^2)`, by Gauss-Jordan elimination with
/// partial pivoting: computed here, independently of the solver's factorisation.
fn reference_covariance(problem: &Problem, p: &[f64], sigma: &[f64]) -> Vec<Vec<f64>> {
    let (n, np) = (problem.grid.n, p.len());
    let mut values = vec![0.0; n];
    let mut jac = vec![0.0; n * np];
    problem
        .model()
        .eval_with_jacobian(&problem.x(), p, &mut values, &mut jac);
    // [A | I], A = J^T W J
    let mut m = vec![vec![0.0; 2 * np]; np];
    for (row, s) in jac.chunks_exact(np).zip(sigma) {
        for j in 0..np {
            for k in 0..np {
                m[j][k] += row[j] * row[k] / (s * s);
            }
        }
    }
    for (j, r) in m.iter_mut().enumerate() {
        r[np + j] = 1.0;
    }
    for col in 0..np {
        let pivot = (col..np)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, pivot);
        let d = m[col][col];
        m[col].iter_mut().for_each(|v| *v /= d);
        for r in 0..np {
            if r != col {
                let f = m[r][col];
                let pivot_row = m[col].clone();
                m[r].iter_mut()
                    .zip(&pivot_row)
                    .for_each(|(v, pv)| *v -= f * pv);
            }
        }
    }
    m.into_iter().map(|r| r[np..].to_vec()).collect()
}

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

/// Property 1: noisy data, fitted with their sigma as absolute, give parameters within
/// `4` reported sigma of the truth, with a covariance equal to `(J^T W J)^-1`.
fn recovers_truth_within_4_sigma(problem: &Problem, method: Method) -> Result<(), TestCaseError> {
    let (y, sigma) = problem.noisy_data();
    let fit = problem.fit(&y, Some(&sigma), method, |f| f.absolute_sigma(true))?;
    let p = &fit.parameters;

    // chi-squared as documented: sum ((f(x_i) - y_i) / sigma_i)^2 at the solution.
    let mut f = vec![0.0; y.len()];
    problem.model().eval(&problem.x(), p, &mut f);
    let chi2: f64 = f
        .iter()
        .zip(&y)
        .zip(&sigma)
        .map(|((f, y), s)| ((f - y) / s).powi(2))
        .sum();
    prop_assert!(
        (fit.chi_squared - chi2).abs() <= 1e-10 * chi2,
        "chi_squared {} but sum of squared weighted residuals {chi2}",
        fit.chi_squared
    );

    // The covariance is (J^T W J)^-1, unscaled (absolute sigma).
    prop_assert!(
        fit.covariance.is_full_rank(),
        "rank-deficient: {:?}",
        fit.covariance
    );
    let reference = reference_covariance(problem, p, &sigma);
    let c = &fit.covariance.matrix;
    for j in 0..p.len() {
        for k in 0..p.len() {
            let scale = (reference[j][j] * reference[k][k]).sqrt();
            prop_assert!(
                (c[(j, k)] - reference[j][k]).abs() <= 1e-6 * scale,
                "covariance[{j}][{k}] = {:e}, (J^T W J)^-1 gives {:e}",
                c[(j, k)],
                reference[j][k]
            );
        }
        prop_assert!(
            (fit.uncertainties[j] - c[(j, j)].sqrt()).abs() <= 1e-12 * fit.uncertainties[j]
        );
    }

    for (k, ((p, t), u)) in p
        .iter()
        .zip(&problem.truth)
        .zip(&fit.uncertainties)
        .enumerate()
    {
        prop_assert!(
            (p - t).abs() <= 4.0 * u,
            "p[{k}] = {p} is {:.2} sigma (sigma = {u:e}) from the truth {t}\n{fit}",
            (p - t) / u
        );
    }
    Ok(())
}

/// Property 2: noise-free data give the truth to 1e-8.
fn exact_on_noise_free_data(
    problem: &Problem,
    method: Method,
    bounded: bool,
) -> Result<(), TestCaseError> {
    // Bounds holding the truth and the start inside: 0 below the positive parameters
    // (rates, amplitudes, widths), `-(4 m + 1)` below the others, `4 m + 1` above, where `m`
    // is the larger magnitude of truth and start.
    let bounds = bounded.then(|| {
        let (lower, upper) = problem
            .truth
            .iter()
            .zip(&problem.p0)
            .map(|(&t, p0)| {
                let m = 4.0 * t.abs().max(p0.abs()) + 1.0;
                (if t > 0.0 && *p0 > 0.0 { 0.0 } else { -m }, m)
            })
            .unzip();
        Bounds::new(lower, upper).unwrap()
    });
    let fit = problem.fit(&problem.exact_y(), None, method, |f| f.bounds(bounds))?;
    for (k, (p, t)) in fit.parameters.iter().zip(&problem.truth).enumerate() {
        prop_assert!(
            (p - t).abs() <= problem.tolerance(k, *t, 1e-8),
            "p[{k}] = {p} but the truth is {t} (error {:e})\n{fit}",
            p - t
        );
    }
    Ok(())
}

/// How far apart, in reported sigma, TRF and LM may stop on noisy data, on top of 1e-8
/// relative. Both stop when a step lowers the cost `C = chi2 / 2` by less than
/// `ftol = 1e-15` of itself, so each may stop short of the minimum `C*` by about
/// `eps = 1e-15 C*`, that is `d^T Cov^-1 d / 2 <= eps`, hence `|d_k| / sigma_k <=
/// sqrt(1e-15 chi2)`: 6e-7 sigma at chi2 = 400. On 18 000 pairs of fits of these families
/// the largest difference was 1.5e-6 sigma (3e-8 relative, 1% of the pairs beyond 1e-8
/// relative), so a pure 1e-8 relative bound would flake; 1e-5 sigma, statistically
/// nothing, still fails a solver that stops early or at another optimum.
const AGREEMENT_IN_SIGMA: f64 = 1e-5;

/// Property 3: TRF and LM, unbounded, reach the same optimum of the same noisy data: to
/// 1e-8 relative plus [`AGREEMENT_IN_SIGMA`] of the parameter's uncertainty.
fn trf_and_lm_agree(problem: &Problem) -> Result<(), TestCaseError> {
    let (y, sigma) = problem.noisy_data();
    let fit = |method| problem.fit(&y, Some(&sigma), method, |f| f.absolute_sigma(true));
    let (trf, lm) = (fit(Method::Trf)?, fit(Method::Lm)?);
    same_optimum(problem, (&trf, &lm), ("TRF", "LM"))
}

/// `a`'s parameters are `b`'s to 1e-8 relative plus [`AGREEMENT_IN_SIGMA`] of `b`'s
/// uncertainties; `names` say which fit is which in a failure.
fn same_optimum(
    problem: &Problem,
    (a, b): (&OptimizationResult, &OptimizationResult),
    names: (&str, &str),
) -> Result<(), TestCaseError> {
    for (k, ((x, y), u)) in a
        .parameters
        .iter()
        .zip(&b.parameters)
        .zip(&b.uncertainties)
        .enumerate()
    {
        prop_assert!(
            (x - y).abs() <= problem.tolerance(k, *y, 1e-8) + AGREEMENT_IN_SIGMA * u,
            "p[{k}]: {} {x}, {} {y} (difference {:e}, {:e} sigma)\n{}: {a}\n{}: {b}",
            names.0,
            names.1,
            x - y,
            (x - y) / u,
            names.0,
            names.1
        );
    }
    Ok(())
}

/// Property 4: the STANDARD, LARGE and CHUNKED strategies, forced, reach the same
/// optimum of the same noisy data: parameters to 1e-8 relative plus
/// [`AGREEMENT_IN_SIGMA`] of their uncertainty, uncertainties to 1e-6 relative.
///
/// The strategies' `P x P` systems differ by rounding (QR against normal equations), so
/// their iterations differ by rounding too, until the `ftol` test stops one of them an
/// iteration before the other: they then differ by one last step, within the stopping
/// rule's reach (see [`AGREEMENT_IN_SIGMA`]).
fn strategies_agree(problem: &Problem, method: Method) -> Result<(), TestCaseError> {
    let (y, sigma) = problem.noisy_data();
    let fit = |strategy| {
        problem.fit(&y, Some(&sigma), method, |f| {
            f.absolute_sigma(true).strategy(strategy)
        })
    };
    let standard = fit(OptimizationStrategy::Standard)?;
    for strategy in [OptimizationStrategy::Large, OptimizationStrategy::Chunked] {
        let other = fit(strategy)?;
        prop_assert_eq!(other.strategy, strategy);
        let names = (format!("{method} {strategy}"), format!("{method} STANDARD"));
        same_optimum(problem, (&other, &standard), (&names.0, &names.1))?;
        for (k, (a, b)) in other
            .uncertainties
            .iter()
            .zip(&standard.uncertainties)
            .enumerate()
        {
            prop_assert!(
                (a - b).abs() <= 1e-6 * b,
                "{method} sigma[{k}]: {strategy} {a}, STANDARD {b}"
            );
        }
    }
    Ok(())
}

fn methods() -> impl Strategy<Value = Method> {
    prop_oneof![Just(Method::Trf), Just(Method::Lm)]
}

/// Property 1 is statistical. A parameter lands beyond 4 sigma with probability
/// `P(|Z| > 4) = 6.3e-5`; 48 cases for each family check `48 * (4 + 3 + 4) = 528`
/// parameters, so a run on fresh random cases fails falsely with probability up to
/// `528 * 6.3e-5 = 3.3%` (union bound): a flaky test. Its cases are therefore drawn from a
/// fixed seed, so that every run checks the same 144 problems: the 3.3% lottery was drawn
/// once, when the seed was chosen (the first one tried, not one searched for), and passed.
/// A solver or covariance change that moves any of those 528 estimates outside 4 sigma
/// fails every run. `PROPTEST_RNG_SEED=<u64>` draws other cases (each such run again risks
/// the 3.3%).
fn statistical_config() -> ProptestConfig {
    let config = ProptestConfig::default();
    ProptestConfig {
        cases: 48,
        rng_seed: match config.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x686f_6d6f_6479_6e65),
            seed => seed,
        },
        ..config
    }
}

/// Each method, unbounded or within bounds.
fn noise_free_fits() -> impl Strategy<Value = (Method, bool)> {
    (methods(), any::<bool>())
}

/// The four properties of one family of problems (the strategy `$family()`), as a module
/// of tests named after the family.
macro_rules! properties {
    ($family:ident) => {
        mod $family {
            use super::*;

            proptest! {
                #![proptest_config(statistical_config())]

                #[test]
                fn recovers_truth_within_4_sigma(problem in super::$family(), method in methods()) {
                    super::recovers_truth_within_4_sigma(&problem, method)?;
                }
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(48))]

                #[test]
                fn exact_on_noise_free_data(problem in super::$family(), (method, bounded) in noise_free_fits()) {
                    super::exact_on_noise_free_data(&problem, method, bounded)?;
                }

                #[test]
                fn trf_and_lm_agree(problem in super::$family()) {
                    super::trf_and_lm_agree(&problem)?;
                }

                #[test]
                fn strategies_agree(problem in super::$family(), method in methods()) {
                    super::strategies_agree(&problem, method)?;
                }
            }
        }
    };
}

properties!(two_exponentials);
properties!(rational);
properties!(gaussian);

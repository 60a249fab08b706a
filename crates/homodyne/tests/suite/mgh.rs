//! mgh tests
//!
//! The Moré-Garbow-Hillstrom least-squares problems (J. J. Moré, B. S. Garbow,
//! K. E. Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7 (1981)
//! 17-41), solved from their standard starting points with both methods and the default
//! [`SolverOptions`].
//!
//! Each problem is a residual vector `f_i(p)`, `i = 1..m`. It is written as a
//! [`GenericModel`] whose single predictor is the residual index `i` (as `f64`), fitted to
//! `m` zeros, so that the fit's `chi_squared` is the problem's sum of squares
//! `F(p) = sum f_i(p)^2`. The reached `F` must match the published minimum `F*` to six
//! significant digits; for the zero-residual problems it must be below [`ZERO_F`].

use std::f64::consts::PI;

use homodyne::prelude::*;

use crate::common::test_each_method;

/// The bound on `F` for problems whose minimum sum of squares is zero.
const ZERO_F: f64 = 1e-20;

/// Relative agreement required between the reached `F` and a nonzero `F*`.
const REL_F: f64 = 1e-6;

/// The residual index `i` (1-based) carried by the predictor.
fn index(x: &[f64]) -> usize {
    x[0].round() as usize
}

// ---------------------------------------------------------------------------------------
// The problems
// ---------------------------------------------------------------------------------------

/// MGH 1, Rosenbrock: n = 2, m = 2.
struct Rosenbrock;
impl GenericModel for Rosenbrock {
    fn n_params(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        match index(x) {
            1 => (p[1] - p[0] * p[0]) * 10.0,
            _ => T::cst(1.0) - p[0],
        }
    }
}
const ROSENBROCK_M: usize = 2;
const ROSENBROCK_P0: [f64; 2] = [-1.2, 1.0];

/// MGH 2, Freudenstein and Roth: n = 2, m = 2.
struct FreudensteinRoth;
impl GenericModel for FreudensteinRoth {
    fn n_params(&self) -> usize {
        2
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let (x1, x2) = (p[0], p[1]);
        match index(x) {
            1 => x1 - 13.0 + ((T::cst(5.0) - x2) * x2 - 2.0) * x2,
            _ => x1 - 29.0 + ((x2 + 1.0) * x2 - 14.0) * x2,
        }
    }
}
const FREUDENSTEIN_ROTH_M: usize = 2;
const FREUDENSTEIN_ROTH_P0: [f64; 2] = [0.5, -2.0];
/// The local minimum at (11.41..., -0.8968...); the global minimum F = 0 is at (5, 4).
const FREUDENSTEIN_ROTH_F_LOCAL: f64 = 48.9842536792400;

/// MGH 7, helical valley: n = 3, m = 3.
struct HelicalValley;
impl GenericModel for HelicalValley {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let (x1, x2, x3) = (p[0], p[1], p[2]);
        match index(x) {
            1 => {
                let mut theta = (x2 / x1).atan() / (2.0 * PI);
                if x1.re() < 0.0 {
                    theta = theta + 0.5;
                }
                (x3 - theta * 10.0) * 10.0
            }
            2 => ((x1 * x1 + x2 * x2).sqrt() - 1.0) * 10.0,
            _ => x3,
        }
    }
}
const HELICAL_VALLEY_M: usize = 3;
const HELICAL_VALLEY_P0: [f64; 3] = [-1.0, 0.0, 0.0];

/// MGH 8, Bard: n = 3, m = 15.
struct Bard;
const BARD_Y: [f64; 15] = [
    0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39,
];
impl GenericModel for Bard {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let i = index(x);
        let u = i as f64;
        let v = (16 - i) as f64;
        let w = u.min(v);
        -(p[0] + T::cst(u) / (p[1] * v + p[2] * w)) + BARD_Y[i - 1]
    }
}
const BARD_M: usize = 15;
const BARD_P0: [f64; 3] = [1.0, 1.0, 1.0];
const BARD_F: f64 = 8.21487730657e-3;

/// MGH 10, Meyer: n = 3, m = 16.
struct Meyer;
const MEYER_Y: [f64; 16] = [
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0, 6005.0,
    5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
];
impl GenericModel for Meyer {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let i = index(x);
        let t = 45.0 + 5.0 * i as f64;
        p[0] * (p[1] / (p[2] + t)).exp() - MEYER_Y[i - 1]
    }
}
const MEYER_M: usize = 16;
const MEYER_P0: [f64; 3] = [0.02, 4000.0, 250.0];
const MEYER_F: f64 = 87.9458551718;

/// MGH 12, Box three-dimensional: n = 3, m = 10.
struct Box3d;
impl GenericModel for Box3d {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let t = 0.1 * index(x) as f64;
        (p[0] * -t).exp() - (p[1] * -t).exp() - p[2] * ((-t).exp() - (-10.0 * t).exp())
    }
}
const BOX3D_M: usize = 10;
const BOX3D_P0: [f64; 3] = [0.0, 10.0, 20.0];

/// MGH 13, Powell singular: n = 4, m = 4.
struct PowellSingular;
impl GenericModel for PowellSingular {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        match index(x) {
            1 => p[0] + p[1] * 10.0,
            2 => (p[2] - p[3]) * 5f64.sqrt(),
            3 => (p[1] - p[2] * 2.0).powi(2),
            _ => (p[0] - p[3]).powi(2) * 10f64.sqrt(),
        }
    }
}
const POWELL_SINGULAR_M: usize = 4;
const POWELL_SINGULAR_P0: [f64; 4] = [3.0, -1.0, 0.0, 1.0];

/// MGH 15, Kowalik and Osborne: n = 4, m = 11.
struct KowalikOsborne;
const KOWALIK_OSBORNE_Y: [f64; 11] = [
    0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246,
];
const KOWALIK_OSBORNE_U: [f64; 11] = [
    4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625,
];
impl GenericModel for KowalikOsborne {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let i = index(x);
        let u = KOWALIK_OSBORNE_U[i - 1];
        -(p[0] * (p[1] * u + u * u) / (p[2] * u + p[3] + u * u)) + KOWALIK_OSBORNE_Y[i - 1]
    }
}
const KOWALIK_OSBORNE_M: usize = 11;
const KOWALIK_OSBORNE_P0: [f64; 4] = [0.25, 0.39, 0.415, 0.39];
const KOWALIK_OSBORNE_F: f64 = 3.07505603849e-4;

/// MGH 16, Brown and Dennis: n = 4, m = 20.
struct BrownDennis;
impl GenericModel for BrownDennis {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let t = index(x) as f64 / 5.0;
        let a = p[0] + p[1] * t - t.exp();
        let b = p[2] + p[3] * t.sin() - t.cos();
        a * a + b * b
    }
}
const BROWN_DENNIS_M: usize = 20;
const BROWN_DENNIS_P0: [f64; 4] = [25.0, 5.0, -5.0, -1.0];
const BROWN_DENNIS_F: f64 = 85822.2016263563;

/// MGH 17, Osborne 1: n = 5, m = 33.
struct Osborne1;
const OSBORNE1_Y: [f64; 33] = [
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685,
    0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448,
    0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
];
impl GenericModel for Osborne1 {
    fn n_params(&self) -> usize {
        5
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let i = index(x);
        let t = 10.0 * (i - 1) as f64;
        -(p[0] + p[1] * (p[3] * -t).exp() + p[2] * (p[4] * -t).exp()) + OSBORNE1_Y[i - 1]
    }
}
const OSBORNE1_M: usize = 33;
const OSBORNE1_P0: [f64; 5] = [0.5, 1.5, -1.0, 0.01, 0.02];
const OSBORNE1_F: f64 = 5.46489469748e-5;

/// MGH 19, Osborne 2: n = 11, m = 65.
pub(crate) struct Osborne2;
const OSBORNE2_Y: [f64; 65] = [
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,
    0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,
    0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,
    0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,
    0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];
impl GenericModel for Osborne2 {
    fn n_params(&self) -> usize {
        11
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        let i = index(x);
        let t = (i - 1) as f64 / 10.0;
        let bump = |a: T, b: T, c: T| a * ((T::cst(t) - c).powi(2) * -b).exp();
        -(p[0] * (p[4] * -t).exp()
            + bump(p[1], p[5], p[8])
            + bump(p[2], p[6], p[9])
            + bump(p[3], p[7], p[10]))
            + OSBORNE2_Y[i - 1]
    }
}
pub(crate) const OSBORNE2_M: usize = 65;
pub(crate) const OSBORNE2_P0: [f64; 11] = [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5];
const OSBORNE2_F: f64 = 4.01377362935e-2;

/// MGH 20, Watson with n = 6: m = 31.
struct Watson6;
impl GenericModel for Watson6 {
    fn n_params(&self) -> usize {
        6
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        match index(x) {
            30 => p[0],
            31 => p[1] - p[0] * p[0] - 1.0,
            i => {
                let t = i as f64 / 29.0;
                // s1 = sum_{j=2..n} (j-1) x_j t^(j-2), s2 = sum_{j=1..n} x_j t^(j-1)
                let mut s1 = T::cst(0.0);
                let mut s2 = p[0];
                let mut tj = 1.0;
                for (j, &pj) in p.iter().enumerate().skip(1) {
                    s1 += pj * (j as f64 * tj);
                    tj *= t;
                    s2 += pj * tj;
                }
                s1 - s2 * s2 - 1.0
            }
        }
    }
}
const WATSON6_M: usize = 31;
const WATSON6_P0: [f64; 6] = [0.0; 6];
const WATSON6_F: f64 = 2.28767005355e-3;

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

/// The residual indices `1..=m` as predictors and the `m` zero observations.
pub(crate) fn problem_data(m: usize) -> (Vec<f64>, Vec<f64>) {
    ((1..=m).map(|i| i as f64).collect(), vec![0.0; m])
}

/// Fits `model` from `p0` with `method` and the default options; returns the fit
/// after printing its outcome (visible with `--nocapture`).
fn solve<M: GenericModel, const N: usize>(
    name: &str,
    model: M,
    m: usize,
    p0: [f64; N],
    method: Method,
) -> OptimizationResult {
    let model = AutoDiff::<_, N>::new(model).unwrap();
    let (x, y) = problem_data(m);
    let fit = Fit::curve(&model, &x, &y)
        .p0(&p0)
        .method(method)
        .run()
        .unwrap_or_else(|e| panic!("{name} {method}: the fit failed: {e}"));
    eprintln!(
        "{name} {method}: F = {:.15e}, final_cost = {:.6e}, termination = {:?}, cosine = {:.3e}, nfev = {}, \
         iterations = {}, p = {:?}",
        fit.chi_squared,
        fit.final_cost,
        fit.termination_reason,
        fit.gradient_cosine,
        fit.nfev,
        fit.iterations,
        fit.parameters
    );
    fit
}

/// Asserts that the fit's sum of squares matches `f_star` to six significant digits, or is
/// below [`ZERO_F`] when `f_star` is zero.
fn assert_reaches(name: &str, method: Method, fit: &OptimizationResult, f_star: f64) {
    let f = fit.chi_squared;
    assert!(
        (fit.final_cost - 0.5 * f).abs() <= 1e-12 * f.max(f64::MIN_POSITIVE),
        "{name} {method}: final_cost {} is not chi_squared / 2 = {}",
        fit.final_cost,
        0.5 * f
    );
    if f_star == 0.0 {
        assert!(
            f <= ZERO_F,
            "{name} {method}: F = {f:e} > {ZERO_F:e} (F* = 0); termination {:?}, nfev {}",
            fit.termination_reason,
            fit.nfev
        );
    } else {
        assert!(
            (f - f_star).abs() <= REL_F * f_star,
            "{name} {method}: F = {f:.12e} differs from F* = {f_star:.12e} by {:.3e} \
             (relative); termination {:?}, nfev {}",
            (f - f_star).abs() / f_star,
            fit.termination_reason,
            fit.nfev
        );
    }
}

/// One test per problem and method: the fit from the standard start reaches `F*`.
macro_rules! mgh_tests {
    ($($trf:ident, $lm:ident: $name:literal, $model:expr, $m:expr, $p0:expr, $f_star:expr;)*) => {
        test_each_method! {
            $(
                $trf, $lm: |method| {
                    let fit = solve($name, $model, $m, $p0, method);
                    assert_reaches($name, method, &fit, $f_star);
                };
            )*
        }
    };
}

mgh_tests! {
    rosenbrock_trf, rosenbrock_lm:
        "Rosenbrock", Rosenbrock, ROSENBROCK_M, ROSENBROCK_P0, 0.0;
    powell_singular_trf, powell_singular_lm:
        "Powell singular", PowellSingular, POWELL_SINGULAR_M, POWELL_SINGULAR_P0, 0.0;
    helical_valley_trf, helical_valley_lm:
        "Helical valley", HelicalValley, HELICAL_VALLEY_M, HELICAL_VALLEY_P0, 0.0;
    bard_trf, bard_lm:
        "Bard", Bard, BARD_M, BARD_P0, BARD_F;
    kowalik_osborne_trf, kowalik_osborne_lm:
        "Kowalik-Osborne", KowalikOsborne, KOWALIK_OSBORNE_M, KOWALIK_OSBORNE_P0,
        KOWALIK_OSBORNE_F;
    meyer_trf, meyer_lm:
        "Meyer", Meyer, MEYER_M, MEYER_P0, MEYER_F;
    watson6_trf, watson6_lm:
        "Watson (n = 6)", Watson6, WATSON6_M, WATSON6_P0, WATSON6_F;
    box3d_trf, box3d_lm:
        "Box 3-D (m = 10)", Box3d, BOX3D_M, BOX3D_P0, 0.0;
    brown_dennis_trf, brown_dennis_lm:
        "Brown-Dennis (m = 20)", BrownDennis, BROWN_DENNIS_M, BROWN_DENNIS_P0, BROWN_DENNIS_F;
    osborne1_trf, osborne1_lm:
        "Osborne 1", Osborne1, OSBORNE1_M, OSBORNE1_P0, OSBORNE1_F;
    osborne2_trf, osborne2_lm:
        "Osborne 2", Osborne2, OSBORNE2_M, OSBORNE2_P0, OSBORNE2_F;
}

/// Freudenstein-Roth has a local minimum (F = 48.98...) next to its global one (F = 0):
/// either is accepted.
fn assert_freudenstein_roth(method: Method) {
    let name = "Freudenstein-Roth";
    let fit = solve(
        name,
        FreudensteinRoth,
        FREUDENSTEIN_ROTH_M,
        FREUDENSTEIN_ROTH_P0,
        method,
    );
    if fit.chi_squared <= ZERO_F {
        assert_reaches(name, method, &fit, 0.0);
    } else {
        assert_reaches(name, method, &fit, FREUDENSTEIN_ROTH_F_LOCAL);
    }
}

test_each_method! {
    freudenstein_roth_trf, freudenstein_roth_lm: assert_freudenstein_roth;
}

// ---------------------------------------------------------------------------------------
// Jacobians
// ---------------------------------------------------------------------------------------

/// Compares the AutoDiff Jacobian at `p0` with central finite differences (step
/// `eps^(1/3) |p_k|`, or `eps^(1/3)` where `p_k = 0`), entry by entry:
/// `|J_ad - J_fd| <= 1e-6 max(|J_ad|, 1)`.
/// Returns the largest `|J_ad - J_fd| / max(|J_ad|, 1)` seen.
fn check_jacobian<M: GenericModel, const N: usize>(
    name: &str,
    model: M,
    m: usize,
    p0: [f64; N],
) -> f64 {
    let model = AutoDiff::<_, N>::new(model).unwrap();
    let (x, _) = problem_data(m);
    let mut values = vec![0.0; m];
    let mut jac = vec![0.0; m * N];
    model.eval_with_jacobian(&x, &p0, &mut values, &mut jac);

    let mut plain = vec![0.0; m];
    model.eval(&x, &p0, &mut plain);
    for (i, (&v, &w)) in values.iter().zip(&plain).enumerate() {
        // Dual arithmetic may round differently from plain f64 in the last bits.
        assert!(
            (v - w).abs() <= 1e-13 * v.abs().max(w.abs()),
            "{name}: f_{} is {w:e} from eval but {v:e} from eval_with_jacobian",
            i + 1
        );
    }

    let mut worst: f64 = 0.0;
    let (mut up, mut down) = (vec![0.0; m], vec![0.0; m]);
    for k in 0..N {
        let h = f64::EPSILON.cbrt() * if p0[k] == 0.0 { 1.0 } else { p0[k].abs() };
        let (mut p_up, mut p_down) = (p0, p0);
        p_up[k] += h;
        p_down[k] -= h;
        let step = p_up[k] - p_down[k];
        model.eval(&x, &p_up, &mut up);
        model.eval(&x, &p_down, &mut down);
        for i in 0..m {
            let fd = (up[i] - down[i]) / step;
            let ad = jac[i * N + k];
            let err = (ad - fd).abs() / ad.abs().max(1.0);
            worst = worst.max(err);
            assert!(
                err <= 1e-6,
                "{name}: d f_{} / d p_{} = {ad:e} (AutoDiff) vs {fd:e} (central differences)",
                i + 1,
                k + 1
            );
        }
    }
    eprintln!("{name}: largest Jacobian discrepancy {worst:.3e}");
    worst
}

#[test]
fn mgh_autodiff_jacobians_match_central_differences() {
    check_jacobian("Rosenbrock", Rosenbrock, ROSENBROCK_M, ROSENBROCK_P0);
    check_jacobian(
        "Freudenstein-Roth",
        FreudensteinRoth,
        FREUDENSTEIN_ROTH_M,
        FREUDENSTEIN_ROTH_P0,
    );
    check_jacobian(
        "Powell singular",
        PowellSingular,
        POWELL_SINGULAR_M,
        POWELL_SINGULAR_P0,
    );
    check_jacobian(
        "Helical valley",
        HelicalValley,
        HELICAL_VALLEY_M,
        HELICAL_VALLEY_P0,
    );
    check_jacobian("Bard", Bard, BARD_M, BARD_P0);
    check_jacobian(
        "Kowalik-Osborne",
        KowalikOsborne,
        KOWALIK_OSBORNE_M,
        KOWALIK_OSBORNE_P0,
    );
    check_jacobian("Meyer", Meyer, MEYER_M, MEYER_P0);
    check_jacobian("Watson (n = 6)", Watson6, WATSON6_M, WATSON6_P0);
    check_jacobian("Box 3-D", Box3d, BOX3D_M, BOX3D_P0);
    check_jacobian("Brown-Dennis", BrownDennis, BROWN_DENNIS_M, BROWN_DENNIS_P0);
    check_jacobian("Osborne 1", Osborne1, OSBORNE1_M, OSBORNE1_P0);
    check_jacobian("Osborne 2", Osborne2, OSBORNE2_M, OSBORNE2_P0);
}

/// The residuals themselves, checked at points where the MGH paper or elementary algebra
/// gives their value: a mistyped datum or formula shows here before it shows in a fit.
#[test]
fn mgh_residuals_at_known_points() {
    fn sum_of_squares<M: GenericModel>(model: &M, m: usize, p: &[f64]) -> f64 {
        (1..=m)
            .map(|i| model.eval::<f64>(&[i as f64], p).powi(2))
            .sum()
    }
    // Zero-residual solutions.
    assert_eq!(sum_of_squares(&Rosenbrock, 2, &[1.0, 1.0]), 0.0);
    assert_eq!(sum_of_squares(&FreudensteinRoth, 2, &[5.0, 4.0]), 0.0);
    assert_eq!(sum_of_squares(&PowellSingular, 4, &[0.0; 4]), 0.0);
    assert!(sum_of_squares(&HelicalValley, 3, &[1.0, 0.0, 0.0]) < 1e-30);
    assert!(sum_of_squares(&Box3d, 10, &[1.0, 10.0, 1.0]) < 1e-30);
    assert!(sum_of_squares(&Box3d, 10, &[10.0, 1.0, -1.0]) < 1e-30);
    // Values at the standard starting points.
    // Rosenbrock: f = (10 (1 - 1.44), 2.2) -> 4.4^2 + 2.2^2 = 24.2.
    assert!((sum_of_squares(&Rosenbrock, 2, &ROSENBROCK_P0) - 24.2).abs() < 1e-12);
    // Powell singular: f = (-7, 0, 1, 4 sqrt(10)) -> 49 + 1 + 160 = 215.
    assert!((sum_of_squares(&PowellSingular, 4, &POWELL_SINGULAR_P0) - 215.0).abs() < 1e-12);
    // Helical valley at (-1, 0, 0): theta = 0.5, f = (-50, 0, 0) -> 2500.
    assert!((sum_of_squares(&HelicalValley, 3, &HELICAL_VALLEY_P0) - 2500.0).abs() < 1e-9);
    // Freudenstein-Roth at (0.5, -2): f1 = -13 + 0.5 + (-14 - 2)(-2) = 19.5,
    // f2 = -29 + 0.5 + (2 - 14)(-2) = -4.5 -> 400.5.
    assert!((sum_of_squares(&FreudensteinRoth, 2, &FREUDENSTEIN_ROTH_P0) - 400.5).abs() < 1e-12);
    // Watson at 0: f_1..29 = -1, f_30 = 0, f_31 = -1 -> 30.
    assert!((sum_of_squares(&Watson6, 31, &WATSON6_P0) - 30.0).abs() < 1e-12);
    // Data tables have the published lengths.
    assert_eq!(BARD_Y.len(), BARD_M);
    assert_eq!(MEYER_Y.len(), MEYER_M);
    assert_eq!(KOWALIK_OSBORNE_Y.len(), KOWALIK_OSBORNE_M);
    assert_eq!(OSBORNE1_Y.len(), OSBORNE1_M);
    assert_eq!(OSBORNE2_Y.len(), OSBORNE2_M);
}

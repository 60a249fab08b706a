//! The heterodyne (two-component) model against xpcsjax 0.1.8 and against itself:
//!
//! - every entry of the reference matrices in `tests/data/heterodyne_reference.json`
//!   (computed by xpcsjax's own `compute_c2_heterodyne` in float64, see
//!   `tests/data/make_heterodyne_reference.py`) to 1e-12 relative;
//! - the exact Jacobian against dual numbers through an independent, literal transcription
//!   of the formula (1e-12), and against central differences, at random parameters within
//!   the registry bounds, also where the transport floor, the exponent clip and the smooth
//!   clip of the fraction hold;
//! - symmetry, the diagonal value, `eval` and `eval_with_jacobian` giving the same bits;
//! - a noise-free fit from a start near the truth back to the truth.

use homodyne::Fit;
use homodyne_core::random::SplitMix64;
use homodyne_core::{AutoDiff, GenericModel, Model, Scalar};
use homodyne_xpcs::TimeGrid;
use homodyne_xpcs::heterodyne::{
    HeterodyneModel, PHYSICAL_BOUNDS, PHYSICAL_DEFAULTS, PHYSICAL_NAMES, fit_time_grid, index,
};
use homodyne_xpcs::{ParameterLayout, ScalingMode};
use serde_json::Value;

mod common;

use common::central::{central_differences, column_scales, values_and_jacobian};
use common::heterodyne::{MODERATE, OFF, fit_support, moderate_model};
use common::json::{assert_relatively_close, floats, strings};

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/heterodyne_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The model of a reference case and its parameter vector (individual scaling).
fn case_model(case: &Value) -> (HeterodyneModel, Vec<f64>) {
    let dt = case["dt"].as_f64().unwrap();
    let grid = TimeGrid::from_times(dt, floats(&case["t"])).unwrap();
    let phi = floats(&case["phi_deg"]);
    let model = HeterodyneModel::new(
        ScalingMode::Individual,
        grid,
        &phi,
        case["q"].as_f64().unwrap(),
    )
    .unwrap();
    let p = [
        floats(&case["contrast"]),
        floats(&case["offset"]),
        floats(&case["params"]),
    ]
    .concat();
    (model, p)
}

#[test]
fn the_registry_is_xpcsjax_s() {
    let reference = reference();
    assert_eq!(reference["xpcsjax_version"], "0.1.8");
    assert_eq!(strings(&reference["param_names"]), PHYSICAL_NAMES);
    assert_eq!(floats(&reference["defaults"]), PHYSICAL_DEFAULTS);
    let (lower, upper): (Vec<f64>, Vec<f64>) = PHYSICAL_BOUNDS.iter().copied().unzip();
    assert_eq!(floats(&reference["lower"]), lower);
    assert_eq!(floats(&reference["upper"]), upper);
}

#[test]
fn every_reference_entry_matches_xpcsjax() {
    let reference = reference();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (model, p) = case_model(case);
        let expected = floats(&case["c2"]);
        assert_eq!(expected.len(), model.n_points(), "{name}");
        let worst = assert_relatively_close(&model.values(&p), &expected, 1e-12, |r| {
            format!("{name} (xpcsjax): point {:?}", model.decode(r as f64))
        });
        println!("{name}: largest relative difference to xpcsjax {worst:e}");
    }
}

/// `c2[i, j] = c2[j, i]`, and the diagonal is `offset + contrast exp(-q^2 1e-6)` for
/// every parameter set; `eval_with_jacobian` gives the bits of `eval`.
#[test]
fn symmetric_with_the_smoothed_diagonal_and_the_same_values_with_the_jacobian() {
    let reference = reference();
    for case in reference["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (model, p) = case_model(case);
        let n = model.grid().len();
        let (contrast, offset) = (floats(&case["contrast"]), floats(&case["offset"]));
        let q = model.q();
        let c2 = model.values(&p);
        for (k, (&c, &o)) in contrast.iter().zip(&offset).enumerate() {
            let diagonal = o + c * (-q * q * 1e-6f64).exp();
            for i in 0..n {
                let d = c2[model.point(k, i, i)];
                assert!(
                    (d - diagonal).abs() <= 4e-16 * diagonal,
                    "{name}: {d} vs {diagonal}"
                );
                for j in 0..i {
                    let (a, b) = (c2[model.point(k, i, j)], c2[model.point(k, j, i)]);
                    assert!(
                        (a - b).abs() <= 1e-15 * a.abs(),
                        "{name} ({k}, {i}, {j}): {a} vs {b}"
                    );
                }
            }
        }
        let x: Vec<f64> = (0..model.n_points()).rev().map(|i| i as f64).collect();
        let (mut plain, mut values) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        let mut jacobian = vec![0.0; x.len() * model.n_params()];
        model.eval(&x, &p, &mut plain);
        model.eval_with_jacobian(&x, &p, &mut values, &mut jacobian);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&plain), bits(&values), "{name}");
        assert!(jacobian.iter().all(|v| v.is_finite()), "{name}");
    }
}

/// Uniform draws from SplitMix64.
struct Draws(SplitMix64);

impl Draws {
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.0.next_f64()
    }
}

/// Where the physical parameters of a derivative check are drawn.
#[derive(Debug, Clone, Copy)]
enum Region {
    /// Uniform in the registry bounds: mostly decorrelated, huge rates.
    Registry,
    /// Every term O(1): transports of order 1 over the grid, phases of a few radians.
    Moderate,
    /// Moderate, with both transport rates floored at 0 over the first half of the frames.
    Floored,
    /// Moderate, with the fraction's exponential above 1 or below 0 at some frames (the
    /// smooth clip's tails).
    FractionClipped,
    /// Transports whose exponent is clipped at -700 away from the diagonal.
    ExponentClipped,
}

fn physical(region: Region, rng: &mut Draws) -> Vec<f64> {
    const LOW: [f64; 14] = [
        10.0, -0.5, -20.0, 10.0, -0.5, -20.0, 100.0, 0.3, -10.0, 0.2, -1.0, -1.0, 0.0, -10.0,
    ];
    const HIGH: [f64; 14] = [
        300.0, 1.5, 20.0, 300.0, 1.5, 20.0, 800.0, 1.5, 10.0, 0.6, 1.0, 1.0, 0.4, 10.0,
    ];
    let mut p: Vec<f64> = match region {
        Region::Registry => PHYSICAL_BOUNDS
            .iter()
            .map(|&(l, u)| rng.uniform(l, u))
            .collect(),
        _ => LOW
            .iter()
            .zip(HIGH)
            .map(|(&l, u)| rng.uniform(l, u))
            .collect(),
    };
    match region {
        Region::Floored => {
            // J = D0 t^alpha + D_offset crosses 0 at t = 0.63 s, between frames.
            for start in [index::D0_REF, index::D0_SAMPLE] {
                p[start + 1] = rng.uniform(0.3, 1.5);
                p[start + 2] = -p[start] * 0.63f64.powf(p[start + 1]);
            }
        }
        Region::FractionClipped => {
            p[index::F0] = rng.uniform(0.5, 1.0);
            p[index::F1] = rng.uniform(0.8, 1.0)
                * if rng.uniform(0.0, 1.0) < 0.5 {
                    1.0
                } else {
                    -1.0
                };
            p[index::F3] = rng.uniform(-0.6, 0.6);
        }
        Region::ExponentClipped => {
            p[index::D0_REF] = rng.uniform(5e5, 1e6);
            p[index::D0_SAMPLE] = rng.uniform(5e5, 1e6);
        }
        Region::Registry | Region::Moderate => {}
    }
    p
}

/// xpcsjax's heterodyne `c2` written out literally from its formula, point by point (the
/// integrals summed afresh for every point, no tables), generic over [`Scalar`] so that
/// dual numbers give its exact Jacobian. Individual or shared scaling.
struct LiteralC2 {
    times: Vec<f64>,
    dt: f64,
    q: f64,
    phi: Vec<f64>,
    individual: bool,
}

impl LiteralC2 {
    fn groups(&self) -> usize {
        if self.individual { self.phi.len() } else { 1 }
    }
}

/// `t^e`, 0 at `t <= 0` for every `e`; positive times below `1e-10` count as `1e-10`. The
/// value is `f64::powf`'s (as xpcsjax's `jnp.power`), the derivative `t^e ln t de`.
fn tpow<T: Scalar>(t: f64, e: T) -> T {
    if t > 0.0 {
        let t = t.max(1e-10);
        let power = (e * t.ln()).exp();
        power - T::cst(power.re()) + T::cst(t.powf(e.re()))
    } else {
        T::cst(0.0)
    }
}

/// `clip(x, lo, hi)`: a constant outside, `x` inside.
fn clip<T: Scalar>(x: T, lo: f64, hi: f64) -> T {
    if x.re() < lo {
        T::cst(lo)
    } else if x.re() > hi {
        T::cst(hi)
    } else {
        x
    }
}

fn softplus<T: Scalar>(z: T) -> T {
    z.max(T::cst(0.0)) + (-z.abs()).exp().ln_1p()
}

impl GenericModel for LiteralC2 {
    fn n_params(&self) -> usize {
        2 * self.groups() + 14
    }

    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        self.value_and_phase(x, p).0
    }
}

impl LiteralC2 {
    /// `c2` and the phase of the cross term at the point `x[0]`.
    fn value_and_phase<T: Scalar>(&self, x: &[f64], p: &[T]) -> (T, T) {
        let n = self.times.len();
        let point = x[0] as usize;
        let (k, i, j) = (point / (n * n), (point / n) % n, point % n);
        let groups = self.groups();
        let g = if self.individual { k } else { 0 };
        let (contrast, offset) = (p[g], p[groups + g]);
        let p = &p[2 * groups..];
        // The trapezoid integral of a rate from frame 0 to each of frames i and j.
        let integral = |prefactor: T, exponent: T, rate_offset: T, floored: bool| {
            let rate = |m: usize| {
                let r = prefactor * tpow(self.times[m], exponent) + rate_offset;
                if floored && r.re() < 0.0 {
                    T::cst(0.0)
                } else {
                    r
                }
            };
            let upto = |frame: usize| {
                let mut sum = T::cst(0.0);
                for m in 0..frame {
                    sum += (rate(m) + rate(m + 1)) / 2.0;
                }
                sum * self.dt
            };
            upto(j) - upto(i)
        };
        let half = |s: T| {
            let m = (s * s + 1e-12).sqrt();
            clip(m * (-0.5 * self.q * self.q), -700.0, 0.0).exp()
        };
        let h_r = half(integral(p[0], p[1], p[2], true));
        let h_s = half(integral(p[3], p[4], p[5], true));
        let v = integral(p[6], p[7], p[8], false);
        let fraction = |t: f64| {
            let y = p[9] * clip(p[10] * (p[11] * -1.0 + t), -700.0, 700.0).exp() + p[12];
            let y_lo = softplus(y * 50.0) / 50.0;
            T::cst(1.0) - softplus((T::cst(1.0) - y_lo) * 50.0) / 50.0
        };
        let (xs_i, xs_j) = (fraction(self.times[i]), fraction(self.times[j]));
        let (xr_i, xr_j) = (T::cst(1.0) - xs_i, T::cst(1.0) - xs_j);
        let angle = (p[13] + self.phi[k]) * (std::f64::consts::PI / 180.0);
        let phase = angle.cos() * self.q * v;
        let reference = (xr_i * xr_j).powi(2) * h_r.powi(2);
        let sample = (xs_i * xs_j).powi(2) * h_s.powi(2);
        let cross = xr_i * xs_i * xr_j * xs_j * h_r * h_s * phase.cos() * 2.0;
        let norm = (xs_i * xs_i + xr_i * xr_i) * (xs_j * xs_j + xr_j * xr_j);
        (
            offset + contrast * (reference + sample + cross) / norm,
            phase,
        )
    }
}

/// The contrast and offset of angle `k` at `p`: its own or the shared pair.
fn scaling_of(layout: &ParameterLayout, p: &[f64], k: usize) -> (f64, f64) {
    let g = if layout.scaling == ScalingMode::Individual {
        k
    } else {
        0
    };
    (p[g], p[layout.n_scaling_groups() + g])
}

fn check_against_duals<const N: usize>(scaling: ScalingMode, grid: TimeGrid, q: f64) {
    let phi = [-30.0, 45.0, 120.0];
    let literal = LiteralC2 {
        times: grid.times().to_vec(),
        dt: grid.dt(),
        q,
        phi: phi.to_vec(),
        individual: scaling == ScalingMode::Individual,
    };
    let model = HeterodyneModel::new(scaling, grid, &phi, q).unwrap();
    assert_eq!(model.n_params(), N);
    let dual = AutoDiff::<_, N>::new(literal).unwrap();
    let layout = *model.layout();
    let x: Vec<f64> = (0..model.n_points()).map(|i| i as f64).collect();
    let mut rng = Draws(SplitMix64::new(0xD0A1 + N as u64));
    for region in [
        Region::Registry,
        Region::Moderate,
        Region::Floored,
        Region::FractionClipped,
        Region::ExponentClipped,
    ] {
        // The largest relative difference of the entries above 1e-9 of their column and a
        // million times above the rounding of a zero derivative, and the largest condition.
        let mut worst = (0.0f64, 0.0f64);
        for trial in 0..4 {
            let mut p = layout.default_parameters();
            for (c, v) in p[..layout.physical_start()].iter_mut().enumerate() {
                *v = if c < layout.n_scaling_groups() {
                    rng.uniform(0.1, 0.5)
                } else {
                    rng.uniform(0.9, 1.1)
                };
            }
            p[layout.physical_start()..].copy_from_slice(&physical(region, &mut rng));
            let (value, jacobian) = values_and_jacobian(&model, &x, &p);
            let (value_ref, jacobian_ref) = values_and_jacobian(&dual, &x, &p);
            // How far rounding alone can take the two apart at each point: the exponents
            // of the transports are known to `eps |exponent|` (`ln B` stands for them) and
            // the phase to `eps |phase|`.
            let condition: Vec<f64> = x
                .iter()
                .zip(&value)
                .map(|(&point, &c2)| {
                    let (k, _, _) = model.decode(point).unwrap();
                    let (contrast, offset) = scaling_of(&layout, &p, k);
                    let exponent = ((c2 - offset) / contrast).abs().max(1e-300).ln().abs();
                    let phase = dual.inner().value_and_phase(&[point], &p).1;
                    (1.0 + exponent) * (1.0 + phase.abs())
                })
                .collect();
            for (r, (&a, &b)) in value.iter().zip(&value_ref).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-13 * condition[r] * b.abs(),
                    "{scaling:?} {region:?} trial {trial} point {r}: {a} vs {b}"
                );
            }
            // Relative to the entry (times the point's condition), or to 1e-9 of its
            // column's largest entry where it is that small (a derivative that cancels to
            // rounding), above the rounding of a derivative that is 0 (the fraction's on the
            // diagonal): `1e-15 condition |c2| / max(|p_c|, 1)`.
            for (c, scale) in column_scales(&jacobian_ref, N).into_iter().enumerate() {
                for r in 0..x.len() {
                    let (a, b) = (jacobian[r * N + c], jacobian_ref[r * N + c]);
                    let zero = 1e-15 * condition[r] * value[r].abs() / p[c].abs().max(1.0);
                    assert!(
                        (a - b).abs()
                            <= 1e-12 * (condition[r] * a.abs().max(b.abs())).max(1e-9 * scale)
                                + zero,
                        "{scaling:?} {region:?} trial {trial} point {:?} column {c}: {a} vs \
                         dual {b}, p = {p:?}",
                        model.decode(x[r])
                    );
                    if a.abs().max(b.abs()) > (1e-9 * scale).max(1e6 * zero) {
                        worst.0 = worst.0.max((a - b).abs() / a.abs().max(b.abs()));
                        worst.1 = worst.1.max(condition[r]);
                    }
                }
            }
        }
        println!(
            "{scaling:?} {region:?}: Jacobian entries within {:.1e} relative of the dual \
             numbers' (largest condition {:.1e})",
            worst.0, worst.1
        );
    }
}

/// The exact Jacobian is the dual numbers' through [`LiteralC2`], in every region of
/// [`Region`], on the fit's grid and on one from `t = 0`, with a contrast and offset per
/// angle and with one shared pair.
#[test]
fn derivatives_match_dual_numbers_of_the_literal_formula() {
    check_against_duals::<20>(
        ScalingMode::Individual,
        fit_time_grid(0.1, 10).unwrap(),
        0.0237,
    );
    check_against_duals::<20>(
        ScalingMode::Individual,
        TimeGrid::new(0.05, 10).unwrap(),
        0.05,
    );
    check_against_duals::<16>(
        ScalingMode::Constant,
        fit_time_grid(0.1, 10).unwrap(),
        0.0237,
    );
}

/// Relative steps of the central differences; each entry must agree at one of them or at
/// the Richardson extrapolation of two neighbouring ones (a wrong derivative agrees at
/// none). Small steps for entries near a kink of a floor or clip.
const STEPS: [f64; 5] = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8];

/// Central differences `(c2(p + h e_c) - c2(p - h e_c)) / 2h`, `h = step max(|p_c|, 0.01)`,
/// agree with the exact column to 1e-6 relative above the difference's rounding floor
/// `4 (eps max|c2| + 1e-322) / h` (larger where [`rounding_amplification`] says so), for
/// every scaling layout, on grids with and without `t = 0`, in every region of [`Region`].
/// The offsets are 0 here (an offset only raises that floor; its own column is the
/// scaling map's weight, checked exactly, as is the contrast column
/// `(c2 - offset) / contrast`).
#[test]
fn derivatives_match_central_differences() {
    let phi = [-30.0, 45.0, 120.0];
    let regions = [
        Region::Registry,
        Region::Moderate,
        Region::Floored,
        Region::FractionClipped,
        Region::ExponentClipped,
    ];
    let mut rng = Draws(SplitMix64::new(0x4E7E_D1FF));
    let mut checked = 0usize;
    for scaling in [
        ScalingMode::Individual,
        ScalingMode::Constant,
        ScalingMode::Fourier { order: 1 },
    ] {
        for (g, grid) in [
            fit_time_grid(0.1, 12).unwrap(),
            TimeGrid::new(0.1, 12).unwrap(),
        ]
        .into_iter()
        .enumerate()
        {
            let q = if g == 0 { 0.0237 } else { 0.05 };
            let model = HeterodyneModel::new(scaling, grid, &phi, q).unwrap();
            let layout = *model.layout();
            let groups = layout.n_scaling_groups();
            let start = layout.physical_start();
            let n_params = model.n_params();
            let map = homodyne_xpcs::scaling::scaling_map(scaling, &phi);
            let x: Vec<f64> = (0..model.n_points()).map(|i| i as f64).collect();
            for region in regions {
                for trial in 0..3 {
                    let mut p = layout.default_parameters();
                    for (k, c) in p[..groups].iter_mut().enumerate() {
                        *c = if k == 0 { 0.3 } else { 0.02 * k as f64 };
                    }
                    p[groups..start].fill(0.0);
                    p[start..].copy_from_slice(&physical(region, &mut rng));
                    let (value, jacobian) = values_and_jacobian(&model, &x, &p);
                    let contrasts: Vec<f64> = (0..phi.len())
                        .map(|k| (0..groups).map(|j| map[k * groups + j] * p[j]).sum())
                        .collect();
                    let amplification =
                        rounding_amplification(&model, &x, &p[start..], &value, &contrasts);
                    for c in (0..groups).chain(start..n_params) {
                        let columns =
                            central_differences(&model, &x, &p, c, &STEPS, SUBNORMAL_FLOOR);
                        for r in 0..x.len() {
                            let exact = jacobian[r * n_params + c];
                            let agrees = columns.iter().any(|(fd, floor)| {
                                (exact - fd[r]).abs()
                                    <= 1e-6 * exact.abs().max(fd[r].abs())
                                        + floor[r] * amplification[r]
                            });
                            let fds: Vec<f64> = columns.iter().map(|(fd, _)| fd[r]).collect();
                            assert!(
                                agrees,
                                "{scaling:?} grid {g} {region:?} trial {trial} point {:?} \
                                 column {c}: exact {exact} vs central {fds:?}, p = {p:?}",
                                model.decode(x[r])
                            );
                            checked += 1;
                        }
                    }
                    let n2 = model.grid().len() * model.grid().len();
                    for r in 0..x.len() {
                        let angle = r / n2;
                        for j in 0..groups {
                            let weight = map[angle * groups + j];
                            assert_eq!(jacobian[r * n_params + groups + j], weight);
                            let contrast_column = jacobian[r * n_params + j];
                            let bracket = value[r] / contrasts[angle];
                            assert!(
                                (contrast_column - weight * bracket).abs()
                                    <= 1e-15 * bracket.abs().max(1e-300) * 4.0,
                                "{scaling:?}: contrast column {j} at angle {angle}"
                            );
                        }
                    }
                }
            }
        }
    }
    println!("{checked} Jacobian entries agree with central differences");
}

/// How much larger than `eps |c2|` the rounding error of each point's value can be (with
/// offsets 0, `c2 = contrast B`):
///
/// - the sample fraction is `1 - softplus(..) / 50` (and the reference fraction
///   `1 - x_s`), so a fraction near 0 is known to `eps` absolute only, `eps / x` relative,
///   and `c2` carries it: a factor `1 / min(x_s, x_r)` over the point's two frames;
/// - `B ~ exp(-q^2 M)` with `M` the integral, known to `eps M` absolute: the exponent
///   `ln B` is known to `eps |ln B|`, a factor `1 + |ln B|`.
///
/// (Where these factors are large the exact columns are still right: checked against
/// 60-digit arithmetic while writing this test, it is the central differences of the f64
/// values that lose the digits.)
fn rounding_amplification(
    model: &HeterodyneModel,
    x: &[f64],
    physical: &[f64],
    values: &[f64],
    contrasts: &[f64],
) -> Vec<f64> {
    let smooth_clip = |y: f64| {
        let softplus = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
        let y_lo = softplus(50.0 * y) / 50.0;
        1.0 - softplus(50.0 * (1.0 - y_lo)) / 50.0
    };
    let f = &physical[index::F0..=index::F3];
    let smallest: Vec<f64> = model
        .grid()
        .times()
        .iter()
        .map(|&t| {
            let x_s = smooth_clip(f[0] * (f[1] * (t - f[2])).clamp(-700.0, 700.0).exp() + f[3]);
            x_s.min(1.0 - x_s).max(1e-300)
        })
        .collect();
    x.iter()
        .zip(values)
        .map(|(&point, &value)| {
            let (k, i, j) = model.decode(point).unwrap();
            let exponent = (value / contrasts[k]).abs().max(1e-300).ln().abs();
            (1.0 / smallest[i].min(smallest[j])).max(1.0) * (1.0 + exponent)
        })
        .collect()
}

/// The absolute precision of values near zero: below `2.2e-308` a double is subnormal,
/// with steps of `5e-324`; this allows for a few dozen of them.
const SUBNORMAL_FLOOR: f64 = 1e-322;

/// Noise-free data of the `moderate` case on the fit's grid (2 angles x 20 frames, the
/// fit's support: no diagonal, no frame 0), fitted from a start 5-20% off the truth with
/// `f2` held at its true value (`f0` and `f2` are exactly degenerate): the fit returns to
/// the truth's model values, and to the truth's parameters where they are identified. In
/// three layouts: a contrast and offset per angle, fitted (xpcsjax's `individual`) or
/// held (`constant`), and one shared pair (`averaged`, on data with equal scaling).
#[test]
fn a_noise_free_fit_returns_to_the_truth() {
    let individual = moderate_model();
    let shared = individual.with_scaling(ScalingMode::Constant).unwrap();
    let (physical, off) = (MODERATE, OFF);
    for (layout_name, model, scaling, scaling_start, held) in [
        (
            "individual",
            &individual,
            &[0.3, 0.25, 1.0, 1.02][..],
            &[0.315, 0.2375, 1.0, 1.0][..],
            false,
        ),
        (
            "constant (held)",
            &individual,
            &[0.3, 0.25, 1.0, 1.02],
            &[0.3, 0.25, 1.0, 1.02],
            true,
        ),
        ("averaged", &shared, &[0.3, 1.01], &[0.28, 1.0], false),
    ] {
        let truth = [scaling, &physical[..]].concat();
        let start: Vec<f64> = [
            scaling_start.to_vec(),
            physical.iter().zip(off).map(|(t, f)| t * f).collect(),
        ]
        .concat();
        let x = fit_support(model);
        let mut y = vec![0.0; x.len()];
        model.eval(&x, &truth, &mut y);
        let (lower, upper) = model.layout().default_bounds();
        let physical_start = model.layout().physical_start();
        let f2 = physical_start + index::F2;
        let mut fit = Fit::curve(model, &x, &y)
            .p0(&start)
            .bounds(homodyne_core::Bounds::new(lower, upper).unwrap())
            .fix(f2, truth[f2]);
        if held {
            for k in 0..physical_start {
                fit = fit.fix(k, truth[k]);
            }
        }
        let result = fit.run().unwrap();
        let mut fitted = vec![0.0; x.len()];
        model.eval(&x, &result.parameters, &mut fitted);
        let worst = fitted
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!(
            "{layout_name}: {} iterations, cost {:e}, largest model difference {worst:e}, \
             parameters {:?}",
            result.iterations, result.final_cost, result.parameters
        );
        assert!(
            worst < 1e-9,
            "{layout_name}: model values {worst:e} from the truth"
        );
        // The sample, velocity, fraction and angle parameters and the scaling are
        // identified.
        let names = model.layout().names();
        for (k, name) in names.iter().enumerate() {
            let identified = !name.ends_with("_ref") && name != "f2";
            if identified {
                let (got, want) = (result.parameters[k], truth[k]);
                assert!(
                    (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                    "{layout_name} {name}: {got} vs the truth {want}"
                );
            }
        }
    }
}

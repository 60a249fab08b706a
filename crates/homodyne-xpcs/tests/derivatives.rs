//! The model against an independent evaluation of the formula (values to 1e-12), and its
//! hand-written derivatives against dual numbers (1e-12) and central differences (1e-6),
//! at random parameters within the default bounds, for every scaling layout (individual,
//! constant, and Fourier series of orders 1 and 2).

mod common;
mod reference;

use common::central::{central_differences, column_scales, values_and_jacobian};
use homodyne_core::random::SplitMix64;
use homodyne_core::{AutoDiff, Model};
use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};
use reference::{Form, ReferenceC2};

/// Uniform values for parameters within bounds, from SplitMix64.
struct Draws(SplitMix64);

impl Draws {
    fn new(seed: u64) -> Self {
        Self(SplitMix64::new(seed))
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.0.next_f64()
    }
}

const PHI: [f64; 3] = [-30.0, 12.5, 95.0];
/// Enough angles for a Fourier series of order 2 (5 coefficients), spread unevenly.
const PHI5: [f64; 5] = [-150.0, -30.0, 12.5, 95.0, 170.0];

/// The angles a layout is tested on: five for a Fourier series of order 2, else three.
fn angles(scaling: ScalingMode) -> &'static [f64] {
    match scaling {
        ScalingMode::Fourier { order } if order >= 2 => &PHI5,
        _ => &PHI,
    }
}

fn setting(
    form: ModelForm,
    mode: AnalysisMode,
    scaling: ScalingMode,
) -> (HomodyneModel, ReferenceC2) {
    let (dt, n_t, q, gap) = (0.1, 8, 0.0054, 2e6);
    let phi = angles(scaling);
    let model = HomodyneModel::new(
        mode,
        scaling,
        form,
        TimeGrid::new(dt, n_t).unwrap(),
        phi,
        q,
        gap,
    )
    .unwrap();
    let reference = ReferenceC2 {
        form: match form {
            ModelForm::Published => Form::Published,
            ModelForm::PythonCompat => Form::PythonCompat,
        },
        laminar: mode == AnalysisMode::LaminarFlow,
        individual: scaling == ScalingMode::Individual,
        fourier: match scaling {
            ScalingMode::Fourier { order } => Some(order),
            _ => None,
        },
        dt,
        n_t,
        q,
        gap,
        phi: phi.to_vec(),
    };
    (model, reference)
}

/// Random parameters within the default bounds. `D_offset` is drawn from a tenth of its
/// range half the time, so that both floored and unfloored rates are common.
fn random_parameters(model: &HomodyneModel, rng: &mut Draws) -> Vec<f64> {
    let (lower, upper) = model.layout().default_bounds();
    let mut p: Vec<f64> = lower
        .iter()
        .zip(&upper)
        .map(|(&l, &u)| rng.uniform(l, u))
        .collect();
    let start = model.layout().physical_start();
    if rng.uniform(0.0, 1.0) < 0.5 {
        p[start + 2] /= 10.0;
    }
    // D0 spread over decades, as real values are.
    p[start] = 10f64.powf(rng.uniform(2.0, 5.0));
    p
}

fn all_points(model: &HomodyneModel) -> Vec<f64> {
    (0..model.n_points()).map(|i| i as f64).collect()
}

fn close(a: f64, b: f64, tolerance: f64, scale: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(scale)
}

fn check_values_and_duals<const N: usize>(
    form: ModelForm,
    mode: AnalysisMode,
    scaling: ScalingMode,
) {
    let (model, reference) = setting(form, mode, scaling);
    assert_eq!(model.n_params(), N);
    let dual = AutoDiff::<_, N>::new(reference).unwrap();
    let x = all_points(&model);
    let mut rng = Draws::new(0x5EED + N as u64 + form as u64 * 100);
    for trial in 0..20 {
        let p = random_parameters(&model, &mut rng);
        let (value, jacobian) = values_and_jacobian(&model, &x, &p);
        let (value_ref, jacobian_ref) = values_and_jacobian(&dual, &x, &p);
        let mut plain = vec![0.0; x.len()];
        model.eval(&x, &p, &mut plain);
        assert_eq!(
            plain, value,
            "eval and eval_with_jacobian give the same values"
        );
        for (r, (&a, &b)) in value.iter().zip(&value_ref).enumerate() {
            assert!(
                close(a, b, 1e-12, 0.0),
                "{form:?} {mode:?} trial {trial} point {r}: {a} vs {b}, p = {p:?}"
            );
        }
        // Entries are compared relative to themselves, or to 1e-9 of their column's largest
        // entry where they are that small (a derivative that cancels to rounding).
        for (c, scale) in column_scales(&jacobian_ref, N).into_iter().enumerate() {
            for r in 0..x.len() {
                let (a, b) = (jacobian[r * N + c], jacobian_ref[r * N + c]);
                assert!(
                    close(a, b, 1e-12, 1e-9 * scale),
                    "{form:?} {mode:?} trial {trial} point {r} column {c}: {a} vs dual {b}, p = {p:?}"
                );
            }
        }
    }
}

#[test]
fn values_and_derivatives_match_the_formula_and_dual_numbers() {
    for form in [ModelForm::Published, ModelForm::PythonCompat] {
        check_values_and_duals::<9>(form, AnalysisMode::Static, ScalingMode::Individual);
        check_values_and_duals::<13>(form, AnalysisMode::LaminarFlow, ScalingMode::Individual);
        check_values_and_duals::<5>(form, AnalysisMode::Static, ScalingMode::Constant);
        check_values_and_duals::<9>(form, AnalysisMode::LaminarFlow, ScalingMode::Constant);
        let (first, second) = (
            ScalingMode::Fourier { order: 1 },
            ScalingMode::Fourier { order: 2 },
        );
        check_values_and_duals::<9>(form, AnalysisMode::Static, first);
        check_values_and_duals::<13>(form, AnalysisMode::LaminarFlow, first);
        check_values_and_duals::<13>(form, AnalysisMode::Static, second);
        check_values_and_duals::<17>(form, AnalysisMode::LaminarFlow, second);
    }
}

/// Relative steps of the central differences. The default bounds allow shear arguments of
/// thousands of radians (`beta = -2` near `t = 0`), where `c2` oscillates faster than a
/// step of `1e-5` resolves, and points a hair from a zero of `sinc`, where `c2` grows like
/// the fourth power of the distance and only a step far below that distance is in the
/// `h^2` regime. Each entry must agree at one of these steps: a wrong derivative agrees at
/// none.
const STEPS: [f64; 5] = [1e-5, 1e-6, 1e-7, 1e-8, 1e-9];

/// Central differences `(c2(p + h e_c) - c2(p - h e_c)) / 2h` with `h = step max(|p_c|, 0.01)`
/// agree with the exact column to 1e-6 relative, above the difference's own rounding floor
/// `4 eps max|c2| / h`, at one of [`STEPS`] or the Richardson extrapolation of two
/// neighbouring steps. The offsets are set to 0 for this check: an offset adds a constant
/// to `c2` that raises that floor and enters no other derivative (its own column is
/// exactly the scaling map's weight `B_kj`, 1 for an angle's own or the shared offset,
/// checked here too).
#[test]
fn derivatives_match_central_differences() {
    for form in [ModelForm::Published, ModelForm::PythonCompat] {
        for (mode, scaling) in [
            (AnalysisMode::Static, ScalingMode::Individual),
            (AnalysisMode::LaminarFlow, ScalingMode::Individual),
            (AnalysisMode::LaminarFlow, ScalingMode::Constant),
            (AnalysisMode::Static, ScalingMode::Fourier { order: 1 }),
            (AnalysisMode::LaminarFlow, ScalingMode::Fourier { order: 2 }),
        ] {
            let (model, _) = setting(form, mode, scaling);
            let layout = *model.layout();
            let groups = layout.n_scaling_groups();
            let map = layout.scaling_map(model.phi());
            let n_params = model.n_params();
            let x = all_points(&model);
            let mut rng = Draws::new(0xD1FF + n_params as u64);
            for trial in 0..10 {
                let mut p = random_parameters(&model, &mut rng);
                p[groups..2 * groups].fill(0.0);
                let (_, jacobian) = values_and_jacobian(&model, &x, &p);
                for c in 0..n_params {
                    // Each step, and the Richardson extrapolation of each pair (h, h / 10).
                    let columns = central_differences(&model, &x, &p, c, &STEPS, 0.0);
                    for r in 0..x.len() {
                        let exact = jacobian[r * n_params + c];
                        let agrees = columns.iter().any(|(fd, floor)| {
                            (exact - fd[r]).abs() <= 1e-6 * exact.abs().max(fd[r].abs()) + floor[r]
                        });
                        let fds: Vec<f64> = columns.iter().map(|(fd, _)| fd[r]).collect();
                        assert!(
                            agrees,
                            "{form:?} {mode:?} trial {trial} point {r} column {c}: exact {exact} vs central {fds:?}, p = {p:?}"
                        );
                    }
                }
                for group in 0..groups {
                    let column = groups + group;
                    for r in 0..x.len() {
                        let angle = r / (model.grid().len() * model.grid().len());
                        let expected = map[angle * groups + group];
                        assert_eq!(
                            jacobian[r * n_params + column],
                            expected,
                            "{scaling:?}: offset column {group} at angle {angle}"
                        );
                    }
                }
            }
        }
    }
}

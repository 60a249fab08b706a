//! Criterion benchmark of [`HomodyneModel`] on one solver chunk: the cost the solvers pay
//! per chunk of [`CHUNK_ROWS`] consecutive points, for the static and the laminar-flow
//! model in the published form.
//!
//! A fit's passes hand the model one chunk at a time, so the per-chunk cost times the
//! number of chunks is the model's share of a pass; comparing it with a whole
//! linearisation pass (the `iteration` benchmark of the `homodyne` crate) shows how much of
//! an iteration is the physics and how much the accumulation. Two evaluations, each timed
//! for both models:
//!
//! - `values`: [`Model::eval`], what a cost pass calls;
//! - `values_and_active_jacobian`: [`Model::active_parameters`] then
//!   [`Model::eval_with_active_jacobian`], what a linearisation pass calls for a chunk
//!   within one angle (its contrast, its offset and the physical parameters: 5 of 9
//!   columns for the static model, 9 of 13 for laminar flow).
//!
//! The set-up is the size of the package documents' comparison: 3 angles
//! (`phi = -60, -10, 40` degrees) x 500 frames (`dt = 0.1 s`), `q = 0.0054 1/A`, gap
//! `2e6 A`, contrasts 0.25, offsets 1.0, physical parameters
//! `D0 = 15000, alpha = -0.6, D_offset = 50, gamma_dot_t0 = 2e-4, beta = 0.3,
//! gamma_dot_t_offset = 1e-5, phi0 = 4` (the static model takes the first three). The chunk
//! is the solver chunk (aligned on multiples of [`CHUNK_ROWS`] as a pass cuts them) that
//! holds the start of angle 1's middle row. The model's per-parameter tables (rate
//! integrals, the diffusion factor of every frame pair) are built once before timing, as a
//! pass builds them once and shares them with its thousands of chunks; the timings are the
//! per-chunk steady state.
//!
//! Benchmark ids are `xpcs_model_chunk/{values,values_and_active_jacobian}/{static,laminar_flow}`,
//! with the throughput in points. Run it with `cargo bench -p homodyne-xpcs --bench model`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use homodyne_core::Model;
use homodyne_solvers::objective::CHUNK_ROWS;
use homodyne_testkit::bench;
use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};

/// Frame spacing, seconds.
const DT: f64 = 0.1;
/// Frames per correlation matrix.
const N_FRAMES: usize = 500;
/// Azimuthal angles, degrees.
const PHI: [f64; 3] = [-60.0, -10.0, 40.0];
/// Wavevector, 1/Angstrom.
const Q: f64 = 0.0054;
/// Stator-rotor gap, Angstrom.
const GAP: f64 = 2e6;
/// Contrast of every angle.
const CONTRAST: f64 = 0.25;
/// Offset of every angle.
const OFFSET: f64 = 1.0;
/// Laminar-flow physical parameters `D0, alpha, D_offset, gamma_dot_t0, beta,
/// gamma_dot_t_offset, phi0`; the static model takes the first three.
const PHYSICAL: [f64; 7] = [15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0];
/// The angle whose chunk is evaluated: a middle one, so the chunk is an interior one.
const CHUNK_ANGLE: usize = 1;

/// The model of `mode` on the benchmark's grid and angles, in the published form, with its
/// parameter vector.
fn model_and_parameters(mode: AnalysisMode) -> (HomodyneModel, Vec<f64>) {
    let grid = TimeGrid::new(DT, N_FRAMES).expect("the benchmark's time grid is valid");
    let model = HomodyneModel::new(
        mode,
        ScalingMode::Individual,
        ModelForm::Published,
        grid,
        &PHI,
        Q,
        GAP,
    )
    .expect("the benchmark's model settings are valid");
    let parameters = model
        .layout()
        .assemble(
            &[CONTRAST; PHI.len()],
            &[OFFSET; PHI.len()],
            &PHYSICAL[..mode.n_physical()],
        )
        .expect("one contrast and offset per angle and the mode's physical parameters");
    (model, parameters)
}

/// The flat point indices of the solver chunk holding the first point of angle
/// [`CHUNK_ANGLE`]'s middle row: [`CHUNK_ROWS`] consecutive indices starting at a multiple
/// of [`CHUNK_ROWS`], as a pass over all points cuts them.
fn solver_chunk(model: &HomodyneModel) -> Vec<f64> {
    let first = model.point(CHUNK_ANGLE, N_FRAMES / 2, 0) / CHUNK_ROWS * CHUNK_ROWS;
    assert!(
        model.decode(first as f64).map(|(angle, _, _)| angle) == Some(CHUNK_ANGLE)
            && model
                .decode((first + CHUNK_ROWS - 1) as f64)
                .map(|(angle, _, _)| angle)
                == Some(CHUNK_ANGLE),
        "the chunk lies within one angle"
    );
    (first..first + CHUNK_ROWS).map(|i| i as f64).collect()
}

/// The benchmark: one group, `xpcs_model_chunk/{evaluation}/{mode}`.
fn bench_model_chunk(c: &mut Criterion) {
    let mut group = c.benchmark_group("xpcs_model_chunk");
    group.throughput(Throughput::Elements(CHUNK_ROWS as u64));
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let (model, parameters) = model_and_parameters(mode);
        let points = solver_chunk(&model);
        let mut values = vec![0.0; CHUNK_ROWS];
        // The first evaluation builds the tables every later one reuses; it is also the
        // check that the chunk evaluates to finite values.
        model.eval(&points, &parameters, &mut values);
        assert!(
            values.iter().all(|v| v.is_finite()),
            "{} model: non-finite values on the benchmark's chunk",
            mode.name()
        );
        let mut active = Vec::new();
        assert!(
            model.active_parameters(&points, &mut active),
            "a chunk within one angle involves only some parameters"
        );
        assert_eq!(
            active.len(),
            2 + mode.n_physical(),
            "{} model: one contrast, one offset and the physical parameters",
            mode.name()
        );
        let mut jacobian = vec![0.0; CHUNK_ROWS * active.len()];

        group.bench_function(BenchmarkId::new("values", mode.name()), |b| {
            b.iter(|| {
                model.eval(
                    black_box(&points),
                    black_box(&parameters),
                    black_box(&mut values),
                )
            })
        });
        group.bench_function(
            BenchmarkId::new("values_and_active_jacobian", mode.name()),
            |b| {
                b.iter(|| {
                    model.active_parameters(black_box(&points), &mut active);
                    model.eval_with_active_jacobian(
                        black_box(&points),
                        black_box(&parameters),
                        &active,
                        black_box(&mut values),
                        black_box(&mut jacobian),
                    );
                })
            },
        );
    }
    group.finish();
}

fn main() {
    bench::run(bench::short(), &[bench_model_chunk]);
}

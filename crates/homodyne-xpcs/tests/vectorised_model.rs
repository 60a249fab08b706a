//! The vectorised model against a point-by-point evaluation of the same formulas with the
//! C library's `exp`, `sin` and `cos` (the model before it was vectorised), on grids of
//! the demo's size per angle: values to 1e-12 relative, Jacobian entries to 1e-12 relative
//! (or 1e-12 of their column's largest entry where they cancel to rounding); and the
//! same bits whatever the order of the points, their cut into chunks, or the threads that
//! evaluate them.

use std::f64::consts::PI;

use homodyne_core::Model;
use homodyne_core::random::SplitMix64;
use homodyne_xpcs::demo::{DEMO_GAP, DEMO_Q, DEMO_TRUTH, demo_angles};
use homodyne_xpcs::model::{G1_FLOOR, sinc, sinc_with_derivative};
use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};

/// `c2` at flat point `x` and its full gradient, point by point with the C library's
/// functions, individual scaling: the formulas of `src/model.rs`'s documentation.
fn scalar_point(model: &HomodyneModel, x: usize, p: &[f64]) -> (f64, Vec<f64>) {
    let layout = model.layout();
    let grid = model.grid();
    let n = grid.len();
    let (k, i, j) = (x / (n * n), (x / n) % n, x % n);
    let physical = layout.physical(p);
    let (contrast, offset) = (p[layout.contrast_index(k)], p[layout.offset_index(k)]);
    let q2dt = model.q() * model.q() * grid.dt();
    let diffusion = grid.rate_integral(physical[0], physical[1], physical[2]);
    let (m_d, diff_d) = diffusion.between(i, j);
    let dm_d = diffusion.between_derivative(i, j, m_d, diff_d);
    let compat = model.form() == ModelForm::PythonCompat;
    let g1_d = if compat {
        (-q2dt * m_d / 2.0).max(-700.0).exp()
    } else {
        (-q2dt * m_d).exp()
    };
    // Shear: u, sinc^2(u) and d sinc^2 / du, and du/dθ_G for the 4 shear columns.
    let (g1_s, dfdu, du) = match model.layout().mode {
        AnalysisMode::Static => (1.0, 0.0, vec![]),
        AnalysisMode::TwoComponent => unreachable!("a HomodyneModel is static or laminar flow"),
        AnalysisMode::LaminarFlow => {
            let shear = grid.rate_integral(physical[3], physical[4], physical[5]);
            let (m_g, diff_g) = shear.between(i, j);
            let dm_g = shear.between_derivative(i, j, m_g, diff_g);
            let angle = (physical[6] - model.phi()[k]) * PI / 180.0;
            let scale = model.q() * model.gap() * grid.dt() / if compat { 2.0 * PI } else { 2.0 };
            let u = scale * angle.cos() * m_g;
            let (s, ds) = sinc_with_derivative(u);
            assert_eq!(s.to_bits(), sinc(u).to_bits());
            let mut du: Vec<f64> = dm_g.iter().map(|d| scale * angle.cos() * d).collect();
            du.push(scale * m_g * (-angle.sin()) * PI / 180.0);
            (s * s, 2.0 * s * ds, du)
        }
    };
    let mut row = vec![0.0; layout.n_params()];
    let start = layout.physical_start();
    let value = if compat {
        let raw = g1_d * g1_s;
        let g1 = raw.max(G1_FLOOR);
        row[layout.contrast_index(k)] = g1 * g1;
        if raw >= G1_FLOOR {
            if -q2dt * m_d / 2.0 >= -700.0 {
                for t in 0..3 {
                    row[start + t] = 2.0 * contrast * g1 * g1_s * g1_d * (-q2dt / 2.0) * dm_d[t];
                }
            }
            for (t, d) in du.iter().enumerate() {
                row[start + 3 + t] = 2.0 * contrast * g1 * g1_d * dfdu * d;
            }
        }
        offset + contrast * g1 * g1
    } else {
        let g = g1_d * g1_s;
        row[layout.contrast_index(k)] = g;
        for t in 0..3 {
            row[start + t] = -contrast * g * q2dt * dm_d[t];
        }
        for (t, d) in du.iter().enumerate() {
            row[start + 3 + t] = contrast * g1_d * dfdu * d;
        }
        offset + contrast * g
    };
    row[layout.offset_index(k)] = 1.0;
    (value, row)
}

fn model(mode: AnalysisMode, form: ModelForm, n_t: usize, gap: f64) -> HomodyneModel {
    HomodyneModel::new(
        mode,
        ScalingMode::Individual,
        form,
        TimeGrid::new(0.1, n_t).unwrap(),
        &demo_angles(4),
        DEMO_Q,
        gap,
    )
    .unwrap()
}

/// The demo's truth, and parameters drawn within the default bounds (`D0` over decades).
fn parameter_sets(model: &HomodyneModel, seed: u64) -> Vec<Vec<f64>> {
    let layout = model.layout();
    let n_phi = model.phi().len();
    let mut sets = vec![
        layout
            .assemble(
                &vec![0.3; n_phi],
                &vec![1.0; n_phi],
                &DEMO_TRUTH[..layout.mode.n_physical()],
            )
            .unwrap(),
    ];
    let (lower, upper) = layout.default_bounds();
    let mut rng = SplitMix64::new(seed);
    for _ in 0..3 {
        let mut p: Vec<f64> = lower
            .iter()
            .zip(&upper)
            .map(|(&l, &u)| l + (u - l) * rng.next_f64())
            .collect();
        p[layout.physical_start()] = 10f64.powf(2.0 + 3.0 * rng.next_f64());
        sets.push(p);
    }
    sets
}

fn close(a: f64, b: f64, tolerance: f64, scale: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(scale)
}

/// Every point of `model` at every parameter vector of `sets`, against [`scalar_point`].
fn check_against_scalar(model: &HomodyneModel, sets: Vec<Vec<f64>>) {
    let n = model.n_params();
    let x: Vec<f64> = (0..model.n_points()).map(|i| i as f64).collect();
    for p in sets {
        let mut values = vec![0.0; x.len()];
        let mut jacobian = vec![0.0; x.len() * n];
        model.eval_with_jacobian(&x, &p, &mut values, &mut jacobian);
        let reference: Vec<(f64, Vec<f64>)> =
            (0..x.len()).map(|r| scalar_point(model, r, &p)).collect();
        let mut column_scale = vec![0.0f64; n];
        for (_, row) in &reference {
            for (s, v) in column_scale.iter_mut().zip(row) {
                *s = s.max(v.abs());
            }
        }
        for (r, (value, row)) in reference.iter().enumerate() {
            assert!(
                close(values[r], *value, 1e-12, 0.0),
                "{:?} point {r}: {} vs {value}, p = {p:?}",
                model.form(),
                values[r]
            );
            for c in 0..n {
                let got = jacobian[r * n + c];
                assert!(
                    close(got, row[c], 1e-12, 1e-12 * column_scale[c]),
                    "{:?} point {r} column {c}: {got} vs {}, p = {p:?}",
                    model.form(),
                    row[c]
                );
            }
        }
    }
}

#[test]
fn values_and_jacobians_match_the_scalar_evaluation() {
    for form in [ModelForm::Published, ModelForm::PythonCompat] {
        for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
            let tabulated = model(mode, form, 150, DEMO_GAP);
            check_against_scalar(&tabulated, parameter_sets(&tabulated, 7));
            // Without the factor table: exp point by point.
            let untabulated = model(mode, form, 60, DEMO_GAP).with_factor_table(false);
            check_against_scalar(&untabulated, parameter_sets(&untabulated, 8));
        }
    }
}

/// A gap 1000 times the demo's makes shear arguments beyond the vectorised sine's range
/// (`1e8`), which are evaluated by the C library instead.
#[test]
fn shear_arguments_beyond_the_vector_range_are_right() {
    let wide = model(
        AnalysisMode::LaminarFlow,
        ModelForm::Published,
        120,
        DEMO_GAP * 1e3,
    );
    let mut p = parameter_sets(&wide, 9).swap_remove(0);
    let start = wide.layout().physical_start();
    p[start + 3] = 1.0; // gamma_dot_t0
    p[start + 4] = 1.5; // beta
    // The largest sinc argument, q h dt / 2 M^G at phi0 - phi = 0, is beyond 1e8.
    let shear = wide.grid().rate_integral(1.0, 1.5, p[start + 5]);
    let (m_g, _) = shear.between(119, 0);
    assert!(DEMO_Q * DEMO_GAP * 1e3 * 0.1 / 2.0 * m_g > 2e8);
    check_against_scalar(&wide, vec![p]);
}

/// The values and rows of every point are the same bits however the points are ordered,
/// cut into chunks, or shared between threads.
#[test]
fn results_do_not_depend_on_order_chunks_or_threads() {
    for form in [ModelForm::Published, ModelForm::PythonCompat] {
        let m = model(AnalysisMode::LaminarFlow, form, 97, DEMO_GAP);
        let n = m.n_params();
        let p = parameter_sets(&m, 11).swap_remove(1);
        let x: Vec<f64> = (0..m.n_points()).map(|i| i as f64).collect();
        let mut whole = vec![0.0; x.len()];
        let mut whole_rows = vec![0.0; x.len() * n];
        m.eval_with_jacobian(&x, &p, &mut whole, &mut whole_rows);
        // Chunks of uneven sizes, each evaluated on its own thread, two at a time.
        let cuts = [0, 1, 3, 130, 256, 999, 1000, 4096, 9409, 20_000, x.len()];
        let mut chunked = vec![0.0; x.len()];
        let mut chunked_rows = vec![0.0; x.len() * n];
        std::thread::scope(|scope| {
            let mut values: &mut [f64] = &mut chunked;
            let mut rows: &mut [f64] = &mut chunked_rows;
            for w in cuts.windows(2) {
                let (v, rest_v) = std::mem::take(&mut values).split_at_mut(w[1] - w[0]);
                let (j, rest_j) = std::mem::take(&mut rows).split_at_mut((w[1] - w[0]) * n);
                (values, rows) = (rest_v, rest_j);
                let (x, p, m) = (&x[w[0]..w[1]], &p, &m);
                scope.spawn(move || m.eval_with_jacobian(x, p, v, j));
            }
        });
        assert!(
            whole
                .iter()
                .zip(&chunked)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert!(
            whole_rows
                .iter()
                .zip(&chunked_rows)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        // `values`, row by row on the machine's threads, without index arrays.
        let values = m.values(&p);
        assert!(
            whole
                .iter()
                .zip(&values)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert!(m.values(&p[1..]).iter().all(|v| v.is_nan()));
        // The same values and rows with the diffusion factor computed point by point.
        let untabulated =
            model(AnalysisMode::LaminarFlow, form, 97, DEMO_GAP).with_factor_table(false);
        let mut values = vec![0.0; x.len()];
        let mut rows = vec![0.0; x.len() * n];
        untabulated.eval_with_jacobian(&x, &p, &mut values, &mut rows);
        assert!(
            whole
                .iter()
                .zip(&values)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert!(
            whole_rows
                .iter()
                .zip(&rows)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        // A shorter value slice gets the first points, as a zip would.
        let mut short = vec![0.0; 5];
        m.eval(&x[..9], &p, &mut short);
        assert!(
            short
                .iter()
                .zip(&whole)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        // Every third point, backwards.
        let scattered: Vec<f64> = x.iter().rev().step_by(3).copied().collect();
        let mut values = vec![0.0; scattered.len()];
        m.eval(&scattered, &p, &mut values);
        for (v, &xr) in values.iter().zip(&scattered) {
            assert_eq!(v.to_bits(), whole[xr as usize].to_bits());
        }
    }
}

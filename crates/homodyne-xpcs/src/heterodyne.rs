//! [`HeterodyneModel`]: the two-component (heterodyne) two-time correlation model of
//! xpcsjax 0.1.8 (`analysis_mode: two_component`), a reference and a sample component
//! whose fields interfere, with exact derivatives.
//!
//! # The model
//!
//! For angle `phi` (degrees) and frames `i` (row, `t1`) and `j` (column, `t2`):
//!
//! ```text
//! c2(phi, t_i, t_j) = offset + contrast / f^2 * [ x_r(t_i)^2 x_r(t_j)^2 h_r^2
//!                                               + x_s(t_i)^2 x_s(t_j)^2 h_s^2
//!                                               + 2 x_r x_s(t_i) x_r x_s(t_j) h_r h_s cos(phase) ]
//! h_x   = exp(clip(-q^2/2 sqrt((C_x[j] - C_x[i])^2 + 1e-12), -700, 0))    x = ref, sample
//! phase = q cos((phi + phi0_het) pi/180) (C_v[j] - C_v[i])
//! f^2   = (x_s^2 + x_r^2)(t_i) (x_s^2 + x_r^2)(t_j),   x_r = 1 - x_s
//! ```
//!
//! with `C_x` the cumulative trapezoid integrals of the transport rates
//! `J_x(t) = max(D0_x t^alpha_x + D_offset_x, 0)` and of the velocity
//! `v(t) = v0 t^v_beta + v_offset`, and the sample fraction
//! `x_s(t) = smooth_clip(f0 exp(f1 (t - f2)) + f3, 0, 1, k = 50)`; see
//! `heterodyne/frames.rs` for the per-frame quantities (`t^e = 0` at `t = 0` for every `e`;
//! `dt` multiplies the sums), `heterodyne/pair.rs` for the pair's value and gradient and
//! `heterodyne/primitives.rs` for the clips and their slopes. Every clip and epsilon of xpcsjax is kept,
//! so the values agree with xpcsjax's `compute_c2_heterodyne` to about 1e-16 relative:
//! the diagonal is `offset + contrast exp(-q^2 1e-6)`, not `offset + contrast`, and the
//! angles are added, `cos(phi + phi0_het)` (the homodyne model has `cos(phi0 - phi)`).
//!
//! # Times
//!
//! The model takes the frame times as given ([`TimeGrid::from_times`]) with the separate
//! step `dt`. xpcsjax's fit models data frame `k` at `t_k = dt (k + 1)`
//! ([`fit_time_grid`]), never at `t = 0`, and leaves frame 0 and the diagonal out of its
//! residuals; the times matter wherever an exponent or `f1` is nonzero.
//!
//! # Points and parameters
//!
//! A point is the flat index `x = k n_t^2 + i n_t + j` of element `(i, j)` of angle `k`'s
//! matrix ([`HeterodyneModel::point`]), as for [`crate::HomodyneModel`]. The parameter
//! vector is a [`ParameterLayout`] of [`AnalysisMode::TwoComponent`]: the per-angle scaling (individual, one shared pair,
//! or a Fourier series, through [`crate::scaling`]), then the 14 physical parameters of
//! [`PHYSICAL_NAMES`].
//!
//! # Derivatives
//!
//! Hand-written ([`homodyne_core::JacobianKind::Exact`]): `c2` is linear in the scaling
//! (`dc2/dcontrast = B`, `dc2/doffset = 1`, times the scaling map's weight), and the
//! physical columns are `contrast dB/dθ` by the chain rule through the trapezoid sums
//! (linear), `smooth_abs`, the clips, the floors (JAX's slopes, 1/2 at a tie),
//! `smooth_clip`'s sigmoids and the phase (`heterodyne/pair.rs` writes them out).
//! Hand-written rather than dual numbers: the per-frame tables and their derivatives are
//! shared by every point, so a point costs two exponentials, two square roots, a cosine,
//! (with the gradient) a sine and about a hundred flops, where dual numbers would carry
//! every parameter's derivative through every operation of every point (the rates,
//! fractions and `f^2` included). The tests check these derivatives against dual numbers
//! through a literal transcription of the formula, and against central differences.

use std::sync::Arc;

use crate::error::XpcsError;
use crate::model::point_grid::{self, JacobianRows, TableCache, frame_pair_model};
use crate::parameters::{AnalysisMode, ParameterLayout, ScalingMode};
use crate::rates::TimeGrid;

mod frames;
mod pair;
mod parameters;
mod primitives;

use frames::{Fraction, Integral};
use pair::{Angle, Frames};
pub use pair::{NORMALISATION_FLOOR, SMOOTH_ABS_EPSILON};
pub use parameters::{N_PHYSICAL, PHYSICAL_BOUNDS, PHYSICAL_DEFAULTS, PHYSICAL_NAMES, index};
pub use primitives::{EXPONENT_LIMIT, SMOOTH_CLIP_SHARPNESS, TIME_FLOOR};

/// The frame times of xpcsjax's heterodyne fit: `t_k = dt (k + 1)`, `k = 0 .. n_t - 1`
/// (`HeterodyneModel.from_config`, `t_start = dt`).
///
/// ```
/// let grid = homodyne_xpcs::heterodyne::fit_time_grid(0.1, 3)?;
/// assert_eq!(grid.times(), [0.1, 0.2, 0.30000000000000004]);
/// # Ok::<(), homodyne_xpcs::XpcsError>(())
/// ```
pub fn fit_time_grid(dt: f64, n_t: usize) -> Result<TimeGrid, XpcsError> {
    TimeGrid::from_times(dt, (0..n_t).map(|k| dt * (k + 1) as f64).collect())
}

/// The frame times of xpcsjax's heterodyne fit for the frames a fit here sees: the data
/// lose the window's first frame (as for the homodyne model; xpcsjax leaves it out of its
/// residuals), so data frame `k` is the window's frame `k + 1`, modelled at
/// `t = dt (k + 2)`, `k = 0 .. n_t - 1`.
///
/// ```
/// let grid = homodyne_xpcs::heterodyne::fitted_frames_grid(0.5, 2)?;
/// assert_eq!(grid.times(), [1.0, 1.5]);
/// # Ok::<(), homodyne_xpcs::XpcsError>(())
/// ```
pub fn fitted_frames_grid(dt: f64, n_t: usize) -> Result<TimeGrid, XpcsError> {
    TimeGrid::from_times(dt, (0..n_t).map(|k| dt * (k + 2) as f64).collect())
}

/// The per-parameter-vector tables: the frames' integrals and fractions, and each angle's
/// `cos`, `sin` of `phi + phi0_het`.
#[derive(Debug)]
struct Tables {
    frames: Frames,
    angles: Vec<Angle>,
}

/// The heterodyne two-time correlation model over `n_phi` angles and `n_t` frames.
///
/// ```
/// use homodyne_core::Model;
/// use homodyne_xpcs::ScalingMode;
/// use homodyne_xpcs::heterodyne::{HeterodyneModel, fit_time_grid};
///
/// let (q, contrast, offset) = (0.0237, 0.3, 1.0);
/// let model = HeterodyneModel::new(
///     ScalingMode::Individual, fit_time_grid(0.1, 20)?, &[0.0, 60.0], q,
/// )?;
/// let mut p = model.layout().default_parameters();
/// p[..4].copy_from_slice(&[contrast, contrast, offset, offset]);
/// let x = [model.point(0, 3, 3) as f64, model.point(0, 0, 1) as f64];
/// let mut c2 = [0.0; 2];
/// model.eval(&x, &p, &mut c2);
/// // The diagonal: M = 1e-6, whatever the parameters.
/// assert_eq!(c2[0], offset + contrast * (-q * q * 1e-6f64).exp());
/// // xpcsjax's value at the registry defaults, row 0 of angle 0.
/// assert!((c2[1] - 1.16572497).abs() < 1e-8);
/// # Ok::<(), homodyne_xpcs::XpcsError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HeterodyneModel {
    layout: ParameterLayout,
    grid: TimeGrid,
    q: f64,
    phi: Vec<f64>,
    /// Per angle, the nonzero `(group j, B_kj)` of the scaling map ([`crate::scaling`]).
    scaling_terms: Vec<Vec<(usize, f64)>>,
    /// The tables of the last physical parameters (a clone starts without).
    cache: TableCache<Tables>,
}

frame_pair_model!(HeterodyneModel);

impl HeterodyneModel {
    /// A model for the angles `phi` (degrees) on the frames of `grid` (its times and its
    /// step `dt`), at wavevector `q` (1/Angstrom).
    ///
    /// # Errors
    ///
    /// [`XpcsError::InvalidSetting`] for no angles, a non-finite angle, a `q` that is not
    /// positive and finite, more points than `f64` indexes exactly, and a Fourier scaling
    /// the angles do not determine ([`ParameterLayout::check_angles`]).
    pub fn new(
        scaling: ScalingMode,
        grid: TimeGrid,
        phi: &[f64],
        q: f64,
    ) -> Result<Self, XpcsError> {
        point_grid::check_angles_and_size(phi, q, grid.len())?;
        let layout = ParameterLayout::new(AnalysisMode::TwoComponent, scaling, phi.len());
        layout.check_angles(phi)?;
        Ok(Self {
            layout,
            grid,
            q,
            phi: phi.to_vec(),
            scaling_terms: crate::scaling::terms(scaling, phi),
            cache: TableCache::default(),
        })
    }

    /// The same model (grid, angles, `q`) with another scaling layout: the parameter
    /// vector it takes is `scaling`'s. xpcsjax's `averaged` mode is the individual model's
    /// [`ScalingMode::Constant`] twin.
    ///
    /// # Errors
    ///
    /// Those of [`HeterodyneModel::new`] (a Fourier series the angles do not determine).
    pub fn with_scaling(&self, scaling: ScalingMode) -> Result<Self, XpcsError> {
        Self::new(scaling, self.grid.clone(), &self.phi, self.q)
    }

    /// The parameter layout.
    pub fn layout(&self) -> &ParameterLayout {
        &self.layout
    }

    /// The model at `parameters` on every point, in the order of
    /// [`HeterodyneModel::point`] (NaN for a parameter vector of the wrong length).
    pub fn values(&self, parameters: &[f64]) -> Vec<f64> {
        let x: Vec<f64> = (0..self.n_points()).map(|i| i as f64).collect();
        let mut values = vec![0.0; x.len()];
        self.evaluate(&x, parameters, &mut values, None);
        values
    }

    /// The tables for the physical parameters `physical`, from the cache when they match.
    fn tables(&self, physical: &[f64]) -> Arc<Tables> {
        self.cache.get(physical, || self.build_tables(physical))
    }

    /// The per-frame and per-angle tables for the physical parameters `physical`.
    fn build_tables(&self, physical: &[f64]) -> Tables {
        let (times, dt) = (self.grid.times(), self.grid.dt());
        let p = physical;
        let frames = Frames {
            reference: Integral::new(times, dt, p[0], p[1], p[2], true),
            sample: Integral::new(times, dt, p[3], p[4], p[5], true),
            velocity: Integral::new(times, dt, p[6], p[7], p[8], false),
            fraction: Fraction::new(times, [p[9], p[10], p[11], p[12]]),
        };
        let angles = self
            .phi
            .iter()
            .map(|&phi| {
                let (sin, cos) = (phi + p[index::PHI0_HET]).to_radians().sin_cos();
                Angle {
                    q: self.q,
                    cos,
                    sin,
                }
            })
            .collect();
        Tables { frames, angles }
    }

    /// Evaluates the points of `x` into `values`, and their Jacobian rows when `jacobian`
    /// is given: full rows, or rows of the columns `active` alone. Points that are not flat
    /// indices of the grid, points with a nonzero column outside `active`, and every point
    /// of a parameter vector of the wrong length are NaN (value and row).
    fn evaluate(&self, x: &[f64], p: &[f64], values: &mut [f64], mut jacobian: JacobianRows) {
        let n_params = self.layout.n_params();
        let rows = jacobian.as_mut().map(|(rows, _)| &mut **rows);
        if point_grid::nan_for_wrong_length(p, n_params, values, rows) {
            return;
        }
        // Where each parameter's column sits in a row (none: not among `active`).
        let (width, position): (usize, Vec<Option<usize>>) = match &jacobian {
            Some((_, Some(active))) => {
                let mut position = vec![None; n_params];
                for (c, &column) in active.iter().enumerate() {
                    if let Some(slot) = position.get_mut(column) {
                        *slot = Some(c);
                    }
                }
                (active.len(), position)
            }
            _ => (n_params, (0..n_params).map(Some).collect()),
        };
        let tables = self.tables(self.layout.physical(p));
        let (contrasts, offsets) =
            point_grid::per_angle_scaling(&self.scaling_terms, self.layout.n_scaling_groups(), p);
        let groups = self.layout.n_scaling_groups();
        let start = self.layout.physical_start();
        let mut rows = jacobian.map(|(j, _)| j.chunks_exact_mut(width.max(1)));
        let mut gradient = [0.0; N_PHYSICAL];
        for (value, &point) in values.iter_mut().zip(x) {
            let row = rows.as_mut().and_then(Iterator::next);
            let Some((k, i, j)) = self.decode(point) else {
                *value = f64::NAN;
                if let Some(row) = row {
                    row.fill(f64::NAN);
                }
                continue;
            };
            let angle = tables.angles[k];
            let (contrast, offset) = (contrasts[k], offsets[k]);
            let Some(row) = row else {
                let bracket = tables.frames.bracket(angle, i, j, None);
                *value = offset + contrast * bracket;
                continue;
            };
            let bracket = tables.frames.bracket(angle, i, j, Some(&mut gradient));
            *value = offset + contrast * bracket;
            row.fill(0.0);
            let mut complete = true;
            for &(group, weight) in &self.scaling_terms[k] {
                match (position[group], position[groups + group]) {
                    (Some(c), Some(o)) => {
                        row[c] = weight * bracket;
                        row[o] = weight;
                    }
                    _ => complete = false,
                }
            }
            for (m, d) in gradient.iter().enumerate() {
                match position[start + m] {
                    Some(c) => row[c] = contrast * d,
                    None => complete = false,
                }
            }
            if !complete {
                *value = f64::NAN;
                row.fill(f64::NAN);
            }
        }
    }

    /// [`homodyne_core::Model::active_parameters`]: with individual scaling, the contrasts and offsets of
    /// the angles among `x` and the 14 physical parameters (a chunk within one angle
    /// involves 16 of the `2 n_phi + 14` parameters); `false` (every column) with a
    /// shared pair or a Fourier series, whose scaling parameters enter every row, or when
    /// a point is not one of the grid's.
    fn active_scaling_columns(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
        if self.layout.scaling != ScalingMode::Individual || x.is_empty() {
            return false;
        }
        active.clear();
        for &point in x {
            let Some((k, _, _)) = self.decode(point) else {
                return false;
            };
            if let Err(at) = active.binary_search(&k) {
                active.insert(at, k);
            }
        }
        let angles = active.len();
        for a in 0..angles {
            active.push(self.layout.n_phi + active[a]);
        }
        active.extend(self.layout.physical_start()..self.layout.n_params());
        true
    }
}

#[cfg(test)]
mod tests {
    use homodyne_core::Model;

    use super::*;

    fn model() -> HeterodyneModel {
        HeterodyneModel::new(
            ScalingMode::Individual,
            fit_time_grid(0.1, 5).unwrap(),
            &[0.0, 60.0],
            0.0237,
        )
        .unwrap()
    }

    #[test]
    fn bad_inputs_give_errors_or_nan_not_panics() {
        let grid = fit_time_grid(0.1, 5).unwrap();
        let new =
            |phi: &[f64], q| HeterodyneModel::new(ScalingMode::Individual, grid.clone(), phi, q);
        assert!(
            new(&[], 0.01)
                .unwrap_err()
                .to_string()
                .contains("at least one angle")
        );
        assert!(new(&[f64::NAN], 0.01).is_err());
        assert!(new(&[0.0], 0.0).unwrap_err().to_string().contains("got 0"));
        let fourier =
            HeterodyneModel::new(ScalingMode::Fourier { order: 1 }, grid, &[0.0, 90.0], 0.01);
        assert!(fourier.is_err());
        let m = model();
        let p = m.layout().default_parameters();
        let mut c2 = [0.0; 3];
        m.eval(&[0.0, 50.0, 0.5], &p, &mut c2);
        assert!(c2[0].is_finite() && c2[1].is_nan() && c2[2].is_nan());
        m.eval(&[0.0], &p[1..], &mut c2[..1]);
        assert!(c2[0].is_nan());
        assert_eq!(m.decode(m.point(1, 2, 3) as f64), Some((1, 2, 3)));
    }

    #[test]
    fn a_clone_evaluates_the_same() {
        let m = model();
        let mut p = m.layout().default_parameters();
        p[4 + index::F1] = 0.3;
        assert_eq!(m.values(&p), m.clone().values(&p));
        assert_eq!(m.param_names(), m.layout().names());
    }

    #[test]
    fn narrow_rows_are_the_full_rows_active_columns() {
        let m = model();
        let mut p = m.layout().default_parameters();
        p[4..].copy_from_slice(&[
            50.0, 0.4, 5.0, 300.0, 1.3, -20.0, 400.0, 0.7, -3.0, 0.45, 0.8, 1.0, 0.3, 4.0,
        ]);
        // A run across the boundary of angles 0 and 1, and a scattered set.
        for x in [
            (20..30).map(f64::from).collect::<Vec<_>>(),
            vec![40.0, 3.0, 7.0],
        ] {
            point_grid::assert_narrow_rows_are_full_rows(&m, &x, &p);
        }
        let mut active = Vec::new();
        assert!(m.active_parameters(&[20.0, 21.0], &mut active));
        assert_eq!(
            active,
            [0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
        );
        assert!(!m.active_parameters(&[20.0, 1e9], &mut active));
        // A point of an angle left out of `active` is NaN, not a silently wrong row.
        let mut value = [0.0];
        let angle_0 = [0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
        let mut row = vec![0.0; angle_0.len()];
        m.eval_with_active_jacobian(&[30.0], &p, &angle_0, &mut value, &mut row);
        assert!(value[0].is_nan() && row.iter().all(|v| v.is_nan()));
        let shared = m.with_scaling(ScalingMode::Constant).unwrap();
        assert!(!shared.active_parameters(&[20.0, 21.0], &mut active));
    }
}

//! [`HomodyneModel`]: `c2(phi, t_i, t_j)` for every angle and frame pair, with exact
//! derivatives.
//!
//! # Points
//!
//! A point is one element `(angle k, row i, column j)` of one of the `n_phi` matrices,
//! given to the solver as its flat index `x = k n_t^2 + i n_t + j` (one `f64` a point:
//! exact below `2^53`). [`HomodyneModel::point`] builds it; points may come in any order
//! and any subset, though runs of consecutive indices are decoded fastest.
//!
//! # The two forms
//!
//! With `S_ij = dt M^D_ij` (the integral of `D`) and `Gamma_ij = dt M^G_ij` (the integral
//! of the shear rate), see [`crate::rates`]:
//!
//! - [`ModelForm::Published`] (the default), the published theory:
//!   ```text
//!   c2 = offset + contrast * exp(-q^2 S_ij) * sinc^2(u),   u = q h Gamma_ij cos(phi0 - phi) / 2
//!   ```
//! - [`ModelForm::PythonCompat`], what the Python `homodyne` package (2.23) computes, for
//!   comparing results with it:
//!   ```text
//!   g1_D = exp(max(-q^2 S_ij / 2, -700)),   x = q h Gamma_ij cos(phi0 - phi) / (2 pi)
//!   g1   = max(g1_D sinc^2(x), 1e-10),      c2 = offset + contrast * g1^2
//!   ```
//!   which is `sinc^4` of an argument `pi` times smaller than the published one.
//!
//! `sinc(x) = sin(x) / x`, with the series `1 - x^2/6 + x^4/120` below `|x| = 1e-4`
//! (see [`sinc_with_derivative`] for the derivative).
//! The static mode has no shear factor.
//!
//! # Derivatives
//!
//! `c2` is linear in its contrast and offset: `dc2/doffset = 1`, `dc2/dcontrast = c2 - offset
//! over contrast`. Each angle's contrast and offset are `B_k a` and `B_k b` for the layout's
//! scaling parameters `a`, `b` (see [`crate::scaling`]: the angle's own pair, the shared
//! pair, or Fourier coefficients), so `dc2/da_j = B_kj (c2 - offset) / contrast` and
//! `dc2/db_j = B_kj`. For the published form, with `E = exp(-q^2 S)` and `F = sinc^2(u)`:
//!
//! ```text
//! dc2/dθ_D = -contrast E F q^2 dt dM^D/dθ_D                   (D0, alpha, D_offset)
//! dc2/dθ_G =  contrast E 2 sinc(u) sinc'(u) du/dθ_G            (gamma_dot_t0, beta, offset)
//!             du/dθ_G = (q h dt / 2) cos(phi0 - phi) dM^G/dθ_G
//! dc2/dphi0 = contrast E 2 sinc(u) sinc'(u) (q h dt / 2) M^G (-sin(phi0 - phi)) pi / 180
//! ```
//!
//! The compatibility form differentiates `offset + contrast g1^2` the same way (zero where
//! the clip or the floor holds). The diffusion integral and its three derivatives are
//! shared by all angles; each angle enters through `cos(phi0 - phi)` alone; each row has
//! nonzero entries only in its angle's scaling parameters (one contrast and one offset,
//! except for a Fourier series, whose every coefficient scales every angle) and in the
//! physical columns.
//!
//! # Evaluation
//!
//! The points are taken in runs of consecutive indices along one row of one angle's
//! matrix, and each run is evaluated block by block in loops the compiler vectorises,
//! compiled for the widest instructions of the CPU at run time
//! ([`homodyne_core::vector_math::vectorized`]): `exp` and `sin`/`cos` are the branch-free
//! [`homodyne_core::vector_math::exp`] (2 ulp) and [`homodyne_core::vector_math::sin_cos`]
//! (2 ulp; the C library's beyond `|u| = 1e8`), and `sinc` the branch-free form of
//! [`sinc`]. Only additions, multiplications, divisions, square roots and selections are
//! used, in the same order for every point, so a point's value and gradient are the same
//! bits however the points are ordered, cut into chunks or shared among threads.

use std::f64::consts::PI;
use std::sync::Arc;

use homodyne_core::vector_math::vectorized;

use crate::error::XpcsError;
use crate::parameters::{AnalysisMode, ParameterLayout, ScalingMode};
use crate::rates::{RateIntegral, TimeGrid};

mod form;
mod kernel;
pub(crate) mod point_grid;
mod scaling;
mod sinc;
mod values;

pub use form::ModelForm;
pub use kernel::G1_FLOOR;
use kernel::{AnglePoints, Columns, Shear, diffusion_factor_row, with_scratch};
use point_grid::{JacobianRows, TableCache, frame_pair_model};
pub use sinc::{SINC_SERIES_THRESHOLD, sinc, sinc_with_derivative};

/// Most frame pairs whose diffusion factor is tabulated (32 MB): above, it is computed
/// point by point.
pub const MAX_FACTOR_TABLE: usize = 1 << 22;

/// The per-parameter-vector tables: rate integrals and angle factors.
#[derive(Debug)]
struct Tables {
    diffusion: RateIntegral,
    /// The diffusion factor of every frame pair, row-major, when there are several angles
    /// to share it (and at most [`MAX_FACTOR_TABLE`] pairs).
    diffusion_factor: Option<Vec<f64>>,
    shear: Option<RateIntegral>,
    /// `cos(phi0 - phi_k)` and `sin(phi0 - phi_k)` per angle (radians).
    cos: Vec<f64>,
    sin: Vec<f64>,
}

/// The homodyne two-time correlation model over `n_phi` angles and `n_t` frames.
///
/// ```
/// use homodyne_core::Model;
/// use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};
///
/// let grid = TimeGrid::new(0.1, 50)?;
/// let model = HomodyneModel::new(
///     AnalysisMode::Static, ScalingMode::Individual, ModelForm::Published,
///     grid, &[0.0, 45.0], 0.0054, 2e6,
/// )?;
/// // contrast_0, contrast_1, offset_0, offset_1, D0, alpha, D_offset
/// let p = [0.3, 0.3, 1.0, 1.0, 1000.0, 0.0, 0.0];
/// let x = [model.point(1, 10, 10) as f64, model.point(1, 10, 20) as f64];
/// let mut c2 = [0.0; 2];
/// model.eval(&x, &p, &mut c2);
/// assert!((c2[0] - 1.3).abs() < 1e-6); // t1 = t2: g1 = 1
/// assert!(c2[1] < c2[0]);               // decorrelated 1 s later
/// # Ok::<(), homodyne_xpcs::XpcsError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HomodyneModel {
    layout: ParameterLayout,
    form: ModelForm,
    grid: TimeGrid,
    q: f64,
    gap: f64,
    phi: Vec<f64>,
    /// Whether the diffusion factor of every frame pair is tabulated (see
    /// [`HomodyneModel::with_factor_table`]).
    factor_table: bool,
    /// Per angle, the nonzero `(group j, B_kj)` of the scaling map ([`crate::scaling`]).
    scaling_terms: Vec<Vec<(usize, f64)>>,
    /// The tables of the last physical parameters (a clone starts without).
    cache: TableCache<Tables>,
}

frame_pair_model!(HomodyneModel);

impl HomodyneModel {
    /// A model for the angles `phi` (degrees) on `grid`, at wavevector `q` (1/Angstrom)
    /// with stator-rotor gap `gap` (Angstrom; used by the laminar-flow mode only).
    ///
    /// # Errors
    ///
    /// [`XpcsError::InvalidSetting`] for no angles, a non-finite angle, a `q` or gap that
    /// is not positive and finite, more points than `f64` indexes exactly, a Fourier
    /// scaling of order 0 or with fewer distinct angles than coefficients
    /// ([`ParameterLayout::check_angles`]), and [`AnalysisMode::TwoComponent`], whose
    /// model is [`crate::heterodyne::HeterodyneModel`].
    pub fn new(
        mode: AnalysisMode,
        scaling: ScalingMode,
        form: ModelForm,
        grid: TimeGrid,
        phi: &[f64],
        q: f64,
        gap: f64,
    ) -> Result<Self, XpcsError> {
        point_grid::check_angles_and_size(phi, q, grid.len())?;
        if !mode.is_homodyne() {
            return Err(XpcsError::setting(
                "analysis_mode",
                "two_component is the heterodyne model (HeterodyneModel), not a homodyne one",
            ));
        }
        if !(gap.is_finite() && gap > 0.0) {
            return Err(XpcsError::setting(
                "stator_rotor_gap",
                format!("the gap must be positive and finite, got {gap}"),
            ));
        }
        let layout = ParameterLayout::new(mode, scaling, phi.len());
        layout.check_angles(phi)?;
        Ok(Self {
            layout,
            form,
            grid,
            q,
            gap,
            phi: phi.to_vec(),
            factor_table: true,
            scaling_terms: crate::scaling::terms(scaling, phi),
            cache: TableCache::default(),
        })
    }

    /// Whether the diffusion factor `exp(-q^2 dt M^D_ij)` of every frame pair is
    /// tabulated once per parameter vector and shared by the angles (the default, with
    /// several angles and at most [`MAX_FACTOR_TABLE`] pairs). The table costs one
    /// exponential per frame pair, `n_t^2`; a fit over far fewer points than that (a
    /// coarse stage on a few rows) is faster without it, one exponential per point. The
    /// values are the same either way.
    pub fn with_factor_table(mut self, tabulate: bool) -> Self {
        self.factor_table = tabulate;
        self.cache = TableCache::default();
        self
    }

    /// The same model (grid, angles, `q`, gap, form and factor-table setting) with another
    /// scaling layout: the parameter vector it takes is `scaling`'s.
    ///
    /// ```
    /// use homodyne_xpcs::{AnalysisMode, HomodyneModel, ModelForm, ScalingMode, TimeGrid};
    ///
    /// let grid = TimeGrid::new(0.1, 20)?;
    /// let individual = HomodyneModel::new(
    ///     AnalysisMode::Static, ScalingMode::Individual, ModelForm::Published,
    ///     grid, &[0.0, 45.0, 90.0], 0.0054, 2e6,
    /// )?;
    /// let constant = individual.with_scaling(ScalingMode::Constant)?;
    /// assert_eq!(constant.layout().n_params(), 5);
    /// assert_eq!(constant.phi(), individual.phi());
    /// # Ok::<(), homodyne_xpcs::XpcsError>(())
    /// ```
    pub fn with_scaling(&self, scaling: ScalingMode) -> Result<HomodyneModel, XpcsError> {
        Ok(Self::new(
            self.layout.mode,
            scaling,
            self.form,
            self.grid.clone(),
            &self.phi,
            self.q,
            self.gap,
        )?
        .with_factor_table(self.factor_table))
    }

    /// The parameter layout.
    pub fn layout(&self) -> &ParameterLayout {
        &self.layout
    }

    /// The formula evaluated.
    pub fn form(&self) -> ModelForm {
        self.form
    }

    /// The stator-rotor gap `h` (Angstrom).
    pub fn gap(&self) -> f64 {
        self.gap
    }

    /// What the points of angle `k` share at the parameter vector of `tables` and the
    /// per-angle `(contrasts, offsets)` of `scaling`.
    #[inline(always)]
    fn angle_points<'t>(
        &self,
        tables: &'t Tables,
        (contrasts, offsets): &(Vec<f64>, Vec<f64>),
        k: usize,
    ) -> AnglePoints<'t> {
        let shear_scale = match self.form {
            ModelForm::Published => self.q * self.gap * self.grid.dt() / 2.0,
            ModelForm::PythonCompat => self.q * self.gap * self.grid.dt() / (2.0 * PI),
        };
        AnglePoints {
            form: self.form,
            q2dt: self.q * self.q * self.grid.dt(),
            diffusion: &tables.diffusion,
            factor_table: tables.diffusion_factor.as_deref(),
            n_t: self.grid.len(),
            shear: tables.shear.as_ref().map(|integral| Shear {
                integral,
                scale: shear_scale,
                cos: tables.cos[k],
                sin: tables.sin[k],
            }),
            contrast: contrasts[k],
            offset: offsets[k],
        }
    }

    /// The tables for the physical parameters `physical`, from the cache when they match.
    fn tables(&self, physical: &[f64]) -> Arc<Tables> {
        self.cache.get(physical, || self.build_tables(physical))
    }

    /// The tables for the physical parameters `physical`.
    fn build_tables(&self, physical: &[f64]) -> Tables {
        let diffusion = self
            .grid
            .rate_integral(physical[0], physical[1], physical[2]);
        let (shear, cos, sin) = match self.layout.mode {
            AnalysisMode::Static | AnalysisMode::TwoComponent => (None, Vec::new(), Vec::new()),
            AnalysisMode::LaminarFlow => {
                let shear = self
                    .grid
                    .rate_integral(physical[3], physical[4], physical[5]);
                let phi0 = physical[6];
                let (cos, sin) = self
                    .phi
                    .iter()
                    .map(|&phi| {
                        let angle = (phi0 - phi) * PI / 180.0;
                        (angle.cos(), angle.sin())
                    })
                    .unzip();
                (Some(shear), cos, sin)
            }
        };
        // The diffusion factor depends on (i, j) alone: with several angles it is
        // computed once per pair instead of once per point.
        let n = self.grid.len();
        let diffusion_factor =
            (self.factor_table && self.phi.len() > 1 && n * n <= MAX_FACTOR_TABLE).then(|| {
                let q2dt = self.q * self.q * self.grid.dt();
                let mut table = vec![0.0; n * n];
                vectorized(
                    #[inline(always)]
                    || {
                        for (i, row) in table.chunks_exact_mut(n).enumerate() {
                            diffusion_factor_row(self.form, q2dt, &diffusion, i, row);
                        }
                    },
                );
                table
            });
        Tables {
            diffusion,
            diffusion_factor,
            shear,
            cos,
            sin,
        }
    }

    /// Evaluates the points of `x` into `values`, and their Jacobian rows when `jacobian`
    /// is given: full rows, or rows of the columns `active` alone.
    fn evaluate(&self, x: &[f64], p: &[f64], values: &mut [f64], mut jacobian: JacobianRows) {
        let n_params = self.layout.n_params();
        let rows = jacobian.as_mut().map(|(rows, _)| &mut **rows);
        if point_grid::nan_for_wrong_length(p, n_params, values, rows) {
            return;
        }
        let width = match &jacobian {
            Some((_, Some(active))) => active.len(),
            _ => n_params,
        };
        // Points without a value slot (a shorter `values`) are not evaluated.
        let x = &x[..x.len().min(values.len())];
        let tables = self.tables(self.layout.physical(p));
        let scaling = self.per_angle_scaling(p);
        let n = self.grid.len();
        // Where the current angle's scaling and physical columns sit in a row: the angle,
        // and whether they are among the active columns.
        let mut columns: Option<(usize, bool)> = None;
        let mut cols = Columns::default();
        with_scratch(|scratch| {
            vectorized(
                #[inline(always)]
                || {
                    let mut r = 0;
                    while r < x.len() {
                        // A run: consecutive indices along one row of one angle's matrix.
                        let Some((k, i, j)) = self.decode(x[r]) else {
                            values[r] = f64::NAN;
                            if let Some((jacobian, _)) = jacobian.as_mut() {
                                jacobian[r * width..(r + 1) * width].fill(f64::NAN);
                            }
                            r += 1;
                            continue;
                        };
                        let longest = (n - j).min(x.len() - r);
                        let len = 1
                            + (1..longest)
                                .take_while(|&s| x[r + s] == x[r] + s as f64)
                                .count();
                        let run = r..r + len;
                        r += len;
                        let rows = match jacobian.as_mut() {
                            None => None,
                            Some((jacobian, active)) => {
                                let found = match columns {
                                    Some((angle, found)) if angle == k => found,
                                    _ => {
                                        let found = self.columns(k, *active, &mut cols);
                                        columns = Some((k, found));
                                        found
                                    }
                                };
                                let rows = &mut jacobian[run.start * width..run.end * width];
                                if !found {
                                    // The angle is not among the active columns.
                                    values[run].fill(f64::NAN);
                                    rows.fill(f64::NAN);
                                    continue;
                                }
                                Some((rows, &cols))
                            }
                        };
                        let points = self.angle_points(&tables, &scaling, k);
                        points.evaluate_row(i, j, &mut values[run], rows, scratch);
                    }
                },
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use homodyne_core::Model;

    use super::*;

    fn model(mode: AnalysisMode, form: ModelForm) -> HomodyneModel {
        let grid = TimeGrid::new(0.1, 7).unwrap();
        HomodyneModel::new(
            mode,
            ScalingMode::Individual,
            form,
            grid,
            &[-20.0, 0.0, 45.0],
            0.0054,
            2e6,
        )
        .unwrap()
    }

    #[test]
    fn another_scaling_keeps_grid_angles_q_gap_form_and_table() {
        let individual =
            model(AnalysisMode::LaminarFlow, ModelForm::PythonCompat).with_factor_table(false);
        let constant = individual.with_scaling(ScalingMode::Constant).unwrap();
        assert_eq!(constant.layout().scaling, ScalingMode::Constant);
        assert_eq!(constant.layout().n_params(), 9);
        assert_eq!(constant.phi(), individual.phi());
        assert_eq!(constant.grid().len(), individual.grid().len());
        assert_eq!(constant.grid().dt(), individual.grid().dt());
        assert_eq!(
            (constant.q(), constant.gap()),
            (individual.q(), individual.gap())
        );
        assert_eq!(constant.form(), ModelForm::PythonCompat);
        assert!(!constant.factor_table);
        // Equal per-angle scaling gives the same values through either layout.
        let physical = [800.0, -0.3, 5.0, 0.01, 0.2, 0.001, 3.0];
        let p_individual = [&[0.3, 0.3, 0.3, 1.1, 1.1, 1.1][..], &physical].concat();
        let p_constant = [&[0.3, 1.1][..], &physical].concat();
        assert_eq!(
            individual.values(&p_individual),
            constant.values(&p_constant)
        );
        let back = constant.with_scaling(ScalingMode::Individual).unwrap();
        assert_eq!(back.layout(), individual.layout());
    }

    #[test]
    fn indices_decode_in_any_order() {
        let m = model(AnalysisMode::Static, ModelForm::Published);
        assert_eq!(m.point(2, 3, 4), 2 * 49 + 3 * 7 + 4);
        assert_eq!(m.decode(m.point(2, 3, 4) as f64), Some((2, 3, 4)));
        assert_eq!(m.decode(147.0), None);
        assert_eq!(m.decode(1.5), None);
        assert_eq!(m.decode(-1.0), None);
        let p = [0.3, 0.2, 0.1, 1.0, 1.1, 1.2, 800.0, -0.3, 5.0];
        let forward: Vec<f64> = (0..m.n_points()).map(|i| i as f64).collect();
        let backward: Vec<f64> = forward.iter().rev().copied().collect();
        let mut a = vec![0.0; forward.len()];
        let mut b = vec![0.0; forward.len()];
        m.eval(&forward, &p, &mut a);
        m.eval(&backward, &p, &mut b);
        b.reverse();
        assert_eq!(a, b);
        let mut bad = [0.0; 2];
        m.eval(&[3.0, 1e9], &p, &mut bad);
        assert!(bad[0].is_finite() && bad[1].is_nan());
    }

    #[test]
    fn the_diagonal_is_offset_plus_contrast() {
        for form in [ModelForm::Published, ModelForm::PythonCompat] {
            let m = model(AnalysisMode::LaminarFlow, form);
            let p = [
                0.3, 0.2, 0.1, 1.0, 1.1, 1.2, 800.0, -0.3, 5.0, 0.01, 0.2, 0.001, 3.0,
            ];
            let mut c2 = [0.0];
            m.eval(&[m.point(1, 4, 4) as f64], &p, &mut c2);
            // M_ii = 1e-6: the shear argument is 5.4e-4 (published), so g1 is 1 to 1e-7.
            assert!((c2[0] - 1.3).abs() < 1e-7, "{form:?}: {}", c2[0]);
        }
    }

    #[test]
    fn a_wrong_parameter_count_gives_nan_not_a_panic() {
        let m = model(AnalysisMode::Static, ModelForm::Published);
        let mut c2 = [0.0];
        m.eval(&[0.0], &[1.0; 3], &mut c2);
        assert!(c2[0].is_nan());
    }

    #[test]
    fn narrow_rows_are_the_full_rows_active_columns() {
        let m = model(AnalysisMode::LaminarFlow, ModelForm::Published);
        let p = [
            0.3, 0.2, 0.1, 1.0, 1.1, 1.2, 800.0, -0.3, 5.0, 0.01, 0.2, 0.001, 3.0,
        ];
        // A run across the boundary of angles 0 and 1, and a scattered set.
        let chunks: [Vec<f64>; 2] = [
            (40..60).map(|i| i as f64).collect(),
            vec![120.0, 3.0, 140.0, 7.0],
        ];
        for x in chunks {
            point_grid::assert_narrow_rows_are_full_rows(&m, &x, &p);
        }
        let mut active = Vec::new();
        assert!(m.active_parameters(&[40.0, 41.0], &mut active));
        assert_eq!(active, [0, 3, 6, 7, 8, 9, 10, 11, 12]);
        assert!(!m.active_parameters(&[40.0, 1e9], &mut active));
    }

    #[test]
    fn sinc_series_and_closed_form_meet_at_the_threshold() {
        let below = sinc_with_derivative(SINC_SERIES_THRESHOLD * (1.0 - 1e-12));
        let above = sinc_with_derivative(SINC_SERIES_THRESHOLD * (1.0 + 1e-12));
        assert!((below.0 - above.0).abs() < 1e-15);
        assert!((below.1 - above.1).abs() < 1e-15);
        assert_eq!(sinc_with_derivative(0.0), (1.0, 0.0));
        // Series and closed form of the derivative meet at |x| = 1.
        let (_, series) = sinc_with_derivative(1.0 - 1e-15);
        let closed = (1.0f64.cos() - 1.0f64.sin()) / 1.0;
        assert!((series - closed).abs() < 1e-15, "{series} vs {closed}");
        // At x = 1e-3 the series is right where the closed form has lost 6 digits:
        // sinc'(x) = -x/3 + x^3/30 - x^5/840 + ...
        let (_, d) = sinc_with_derivative(1e-3);
        assert!((d - (-1e-3 / 3.0 + 1e-9 / 30.0 - 1e-15 / 840.0)).abs() < 1e-19);
    }
}

//! The per-point work of [`super::HomodyneModel`]: `c2` and its gradient on a run of
//! points of one row of one angle's matrix (`(k, i, j)` for consecutive `j`), block by
//! block, in loops the compiler vectorises.
//!
//! # Layout of the work
//!
//! Along a row, `C_j` and `dC_j/dθ` of both rate integrals are contiguous, so each step of
//! the formula is one loop over a block of [`BLOCK`] points reading contiguous slices and
//! writing a block-sized array: `M^D`, the diffusion factor (the tabulated row or
//! [`homodyne_core::vector_math::exp`]), `M^G` and the sinc argument `u`, `sin u` and
//! `cos u` ([`homodyne_core::vector_math::sin_cos_slices`]), `sinc^2(u)` and its
//! derivative, the values, and the physical columns of the gradient. Run inside
//! [`homodyne_core::vector_math::vectorized`], each loop does several points per
//! instruction. The gradient's columns are then written row by row into the Jacobian.
//!
//! Every step uses additions, multiplications, divisions, square roots and selections
//! only, in the same order for every point, so a point's value does not depend on its
//! position in a run, on the run's length, or on the instruction set: the results are the
//! same bits for any cut of the points into chunks and any number of threads.

use std::f64::consts::PI;

use homodyne_core::vector_math::{exp, sin_cos_slices};

use super::form::ModelForm;
use super::sinc::{sinc_derivative_of, sinc_of};
use crate::rates::{M_EPSILON, RateIntegral};

/// Floor of `g1` in the compatibility form.
pub const G1_FLOOR: f64 = 1e-10;

/// Points per block: the block's arrays (about 20 of them) stay in the first-level cache.
const BLOCK: usize = 128;

/// Where one angle's parameters sit in a Jacobian row.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Columns {
    /// `(contrast column, offset column, weight B_kj)` of each scaling parameter pair
    /// that scales the angle.
    pub(crate) scaling: Vec<(usize, usize, f64)>,
    /// The first physical column; the others follow.
    pub(crate) physical: usize,
}

/// The diffusion factor at `M^D_ij = m_d`: `exp(-q^2 dt M)` (published) or
/// `g1_D = exp(max(-q^2 dt M / 2, -700))` (compatibility form), `q2dt = q^2 dt`.
#[inline(always)]
pub(super) fn diffusion_factor(form: ModelForm, q2dt: f64, m_d: f64) -> f64 {
    match form {
        ModelForm::Published => exp(-q2dt * m_d),
        ModelForm::PythonCompat => exp((-q2dt * m_d / 2.0).max(-700.0)),
    }
}

/// Row `i` of the diffusion factor table: [`diffusion_factor`] at `M^D_ij` for every
/// frame `j` (`row` has one element per frame).
#[inline(always)]
pub(super) fn diffusion_factor_row(
    form: ModelForm,
    q2dt: f64,
    diffusion: &RateIntegral,
    i: usize,
    row: &mut [f64],
) {
    let c_i = diffusion.cumulative[i];
    for (factor, &c_j) in row.iter_mut().zip(&diffusion.cumulative) {
        let difference = c_i - c_j;
        *factor = diffusion_factor(form, q2dt, (difference * difference + M_EPSILON).sqrt());
    }
}

/// The shear factor's inputs for one angle.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shear<'a> {
    /// `C^G` and its derivatives.
    pub(super) integral: &'a RateIntegral,
    /// The sinc argument per unit `M^G` and `cos(phi0 - phi)`: `q h dt / 2` (published)
    /// or `q h dt / (2 pi)` (compatibility form).
    pub(super) scale: f64,
    /// `cos(phi0 - phi_k)`.
    pub(super) cos: f64,
    /// `sin(phi0 - phi_k)`.
    pub(super) sin: f64,
}

/// Everything the points of one angle share at one parameter vector.
#[derive(Debug, Clone, Copy)]
pub(super) struct AnglePoints<'a> {
    /// The formula.
    pub(super) form: ModelForm,
    /// `q^2 dt`.
    pub(super) q2dt: f64,
    /// `C^D` and its derivatives.
    pub(super) diffusion: &'a RateIntegral,
    /// The diffusion factor of every frame pair, row-major, when tabulated.
    pub(super) factor_table: Option<&'a [f64]>,
    /// Frames per matrix, `n_t`.
    pub(super) n_t: usize,
    /// The shear factor's inputs (laminar flow), `None` in the static mode.
    pub(super) shear: Option<Shear<'a>>,
    /// The angle's contrast.
    pub(super) contrast: f64,
    /// The angle's offset.
    pub(super) offset: f64,
}

/// A Jacobian block's rows (`width` columns each, one row per point) and where the
/// angle's columns sit in them.
pub(super) type Rows<'r, 'c> = Option<(&'r mut [f64], &'c Columns)>;

/// The per-point quantities of one block, kept between blocks and calls (one per thread,
/// [`with_scratch`]) so that a block does not clear 18 arrays before it writes them.
#[derive(Debug)]
pub(super) struct Scratch {
    /// `C^D_i - C^D_j`.
    diff_d: [f64; BLOCK],
    /// `M^D_ij`.
    m_d: [f64; BLOCK],
    /// The diffusion factor.
    g1_d: [f64; BLOCK],
    /// `C^G_i - C^G_j`.
    diff_g: [f64; BLOCK],
    /// `M^G_ij`.
    m_g: [f64; BLOCK],
    /// The sinc argument `u`, `sin u` and `cos u`.
    u: [f64; BLOCK],
    sin: [f64; BLOCK],
    cos: [f64; BLOCK],
    /// `sinc^2(u)` and its derivative in `u`.
    g1_s: [f64; BLOCK],
    dfdu: [f64; BLOCK],
    /// `dc2/dcontrast` per unit weight: `g` or `g1^2`.
    per_contrast: [f64; BLOCK],
    /// The physical columns of the gradient.
    physical: [[f64; BLOCK]; 7],
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Box<Scratch>> = std::cell::RefCell::new(Box::new(Scratch {
        diff_d: [0.0; BLOCK],
        m_d: [0.0; BLOCK],
        g1_d: [0.0; BLOCK],
        diff_g: [0.0; BLOCK],
        m_g: [0.0; BLOCK],
        u: [0.0; BLOCK],
        sin: [0.0; BLOCK],
        cos: [0.0; BLOCK],
        g1_s: [0.0; BLOCK],
        dfdu: [0.0; BLOCK],
        per_contrast: [0.0; BLOCK],
        physical: [[0.0; BLOCK]; 7],
    }));
}

/// Runs `work` with this thread's [`Scratch`].
pub(super) fn with_scratch<R>(work: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with_borrow_mut(|scratch| work(scratch))
}

impl AnglePoints<'_> {
    /// `c2` at the points `(i, j0 + r)` into `values[r]`, and with `jacobian` their rows
    /// (of `jacobian.len() / values.len()` columns each). `j0 + values.len()` is at most
    /// `n_t`.
    #[inline(always)]
    pub(super) fn evaluate_row(
        &self,
        i: usize,
        j0: usize,
        values: &mut [f64],
        mut jacobian: Rows,
        scratch: &mut Scratch,
    ) {
        let len = values.len();
        let width = match &jacobian {
            Some((rows, _)) if len > 0 => rows.len() / len,
            _ => 0,
        };
        for start in (0..len).step_by(BLOCK) {
            let end = (start + BLOCK).min(len);
            let rows = jacobian
                .as_mut()
                .map(|(rows, columns)| (&mut rows[start * width..end * width], *columns));
            self.block(i, j0 + start, &mut values[start..end], None, rows, scratch);
        }
    }

    /// `c2` at the points `(i, r)` of row `i` into `values[r]`, and into `raw[r]` the
    /// raw theory there: the same points with every contrast and offset 1 (`1 + g`, or
    /// `1 + g1^2` in the package's form), from the same factors, the same bits as a
    /// second evaluation with those scalings.
    #[inline(always)]
    pub(super) fn evaluate_row_with_raw(
        &self,
        i: usize,
        values: &mut [f64],
        raw: &mut [f64],
        scratch: &mut Scratch,
    ) {
        for start in (0..values.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(values.len());
            let raw = Some(&mut raw[start..end]);
            self.block(i, start, &mut values[start..end], raw, None, scratch);
        }
    }

    /// One block of at most [`BLOCK`] points of [`AnglePoints::evaluate_row`].
    #[inline(always)]
    fn block(
        &self,
        i: usize,
        j0: usize,
        values: &mut [f64],
        raw: Option<&mut [f64]>,
        jacobian: Rows,
        scratch: &mut Scratch,
    ) {
        let len = values.len();
        let n = self.n_t;
        let Scratch {
            diff_d,
            m_d,
            g1_d,
            diff_g,
            m_g,
            u,
            sin,
            cos,
            g1_s,
            dfdu,
            per_contrast,
            physical,
        } = scratch;
        let (diff_d, m_d, g1_d) = (&mut diff_d[..len], &mut m_d[..len], &mut g1_d[..len]);
        let (diff_g, m_g, g1_s, dfdu) = (
            &mut diff_g[..len],
            &mut m_g[..len],
            &mut g1_s[..len],
            &mut dfdu[..len],
        );
        // Diffusion: M^D and its factor.
        let c_i = self.diffusion.cumulative[i];
        let c_j = &self.diffusion.cumulative[j0..j0 + len];
        for r in 0..len {
            let difference = c_i - c_j[r];
            diff_d[r] = difference;
            m_d[r] = (difference * difference + M_EPSILON).sqrt();
        }
        match self.factor_table {
            Some(table) => g1_d.copy_from_slice(&table[i * n + j0..][..len]),
            None => match self.form {
                ModelForm::Published => {
                    for r in 0..len {
                        g1_d[r] = diffusion_factor(ModelForm::Published, self.q2dt, m_d[r]);
                    }
                }
                ModelForm::PythonCompat => {
                    for r in 0..len {
                        g1_d[r] = diffusion_factor(ModelForm::PythonCompat, self.q2dt, m_d[r]);
                    }
                }
            },
        }
        // Shear: M^G, u, sinc^2(u) and its derivative in u; 1 and 0 without shear.
        match &self.shear {
            None => {
                g1_s.fill(1.0);
                dfdu.fill(0.0);
            }
            Some(shear) => {
                let (u, sin, cos) = (&mut u[..len], &mut sin[..len], &mut cos[..len]);
                let c_i = shear.integral.cumulative[i];
                let c_j = &shear.integral.cumulative[j0..j0 + len];
                let per_m = shear.scale * shear.cos;
                for r in 0..len {
                    let difference = c_i - c_j[r];
                    diff_g[r] = difference;
                    m_g[r] = (difference * difference + M_EPSILON).sqrt();
                    u[r] = per_m * m_g[r];
                }
                sin_cos_slices(u, sin, cos);
                if jacobian.is_some() {
                    for r in 0..len {
                        let s = sinc_of(u[r], sin[r]);
                        let ds = sinc_derivative_of(u[r], sin[r], cos[r]);
                        g1_s[r] = s * s;
                        dfdu[r] = 2.0 * s * ds;
                    }
                } else {
                    for r in 0..len {
                        let s = sinc_of(u[r], sin[r]);
                        g1_s[r] = s * s;
                    }
                }
            }
        }
        // Values (and the raw theory's, of contrast and offset 1).
        let scaled = |values: &mut [f64], (contrast, offset): (f64, f64)| match self.form {
            ModelForm::Published => {
                for r in 0..len {
                    values[r] = offset + contrast * (g1_d[r] * g1_s[r]);
                }
            }
            ModelForm::PythonCompat => {
                for r in 0..len {
                    let g1 = (g1_d[r] * g1_s[r]).max(G1_FLOOR);
                    values[r] = offset + contrast * g1 * g1;
                }
            }
        };
        let contrast = self.contrast;
        scaled(values, (contrast, self.offset));
        if let Some(raw) = raw {
            scaled(raw, (1.0, 1.0));
        }
        let Some((rows, columns)) = jacobian else {
            return;
        };
        // The gradient: per unit weight of the angle's contrast (`g` or `g1^2`), and the
        // physical columns, then written row by row.
        let per_contrast = &mut per_contrast[..len];
        let q2dt = self.q2dt;
        let d_i = self.diffusion.derivative.each_ref().map(|d| d[i]);
        let d_j = self
            .diffusion
            .derivative
            .each_ref()
            .map(|d| &d[j0..j0 + len]);
        let [p0, p1, p2, p3, p4, p5, p6] = physical;
        let (p0, p1, p2) = (&mut p0[..len], &mut p1[..len], &mut p2[..len]);
        match self.form {
            ModelForm::Published => {
                for r in 0..len {
                    // dM^D/dθ = (C_i - C_j) / M (dC_i/dθ - dC_j/dθ)
                    let scale = diff_d[r] / m_d[r];
                    let g = g1_d[r] * g1_s[r];
                    per_contrast[r] = g;
                    let factor = -contrast * g * q2dt;
                    p0[r] = factor * (scale * (d_i[0] - d_j[0][r]));
                    p1[r] = factor * (scale * (d_i[1] - d_j[1][r]));
                    p2[r] = factor * (scale * (d_i[2] - d_j[2][r]));
                }
            }
            ModelForm::PythonCompat => {
                for r in 0..len {
                    let scale = diff_d[r] / m_d[r];
                    let raw = g1_d[r] * g1_s[r];
                    let g1 = raw.max(G1_FLOOR);
                    per_contrast[r] = g1 * g1;
                    let clipped = -q2dt * m_d[r] / 2.0 < -700.0;
                    let factor = 2.0 * contrast * g1 * g1_s[r] * g1_d[r] * (-q2dt / 2.0);
                    // Zero where the floor or the clip holds.
                    let floored = raw < G1_FLOOR;
                    let kept = !floored && !clipped;
                    p0[r] = if kept {
                        factor * (scale * (d_i[0] - d_j[0][r]))
                    } else {
                        0.0
                    };
                    p1[r] = if kept {
                        factor * (scale * (d_i[1] - d_j[1][r]))
                    } else {
                        0.0
                    };
                    p2[r] = if kept {
                        factor * (scale * (d_i[2] - d_j[2][r]))
                    } else {
                        0.0
                    };
                }
            }
        }
        if let Some(shear) = &self.shear {
            let g_i = shear.integral.derivative.each_ref().map(|d| d[i]);
            let g_j = shear
                .integral
                .derivative
                .each_ref()
                .map(|d| &d[j0..j0 + len]);
            let factors = ShearFactors {
                g1_d,
                g1_s,
                dfdu,
                m_g,
                diff_g,
            };
            let out = [
                &mut p3[..len],
                &mut p4[..len],
                &mut p5[..len],
                &mut p6[..len],
            ];
            match self.form {
                ModelForm::Published => {
                    shear_columns::<false>(contrast, shear, &factors, (g_i, g_j), out)
                }
                ModelForm::PythonCompat => {
                    shear_columns::<true>(contrast, shear, &factors, (g_i, g_j), out)
                }
            }
        }
        // At most one fill of the block's rows, then plain stores: a fill per row is a
        // call, and a load right after it waits for the call's stores.
        let physical_columns: [&[f64]; 7] = [p0, p1, p2, p3, p4, p5, p6];
        let width = rows.len() / len.max(1);
        let n_physical = if self.shear.is_some() { 7 } else { 3 };
        // The scaling columns are distinct and precede the physical ones, so when they and
        // the physical columns are as many as the row's, every entry is written.
        let covered = 2 * columns.scaling.len() + n_physical == width;
        if !covered {
            rows.fill(0.0);
        }
        let rows = rows.chunks_exact_mut(width.max(1)).take(len);
        let columns = (columns, covered);
        match self.shear {
            None => write_rows::<3>(rows, columns, per_contrast, &physical_columns),
            Some(_) => write_rows::<7>(rows, columns, per_contrast, &physical_columns),
        }
    }
}

/// Writes the gradient of each point into its Jacobian row: the angle's scaling columns
/// from `per_contrast` and the weights, and the first `P` physical columns. The rows are
/// zeroed, or with `covered` every entry is one of those written (then the scaling
/// entries are written as `0 + value`, the bits of an addition to a zeroed row).
#[inline(always)]
fn write_rows<'a, const P: usize>(
    rows: impl Iterator<Item = &'a mut [f64]>,
    (columns, covered): (&Columns, bool),
    per_contrast: &[f64],
    physical: &[&[f64]; 7],
) {
    for (r, row) in rows.enumerate() {
        for &(c, o, w) in &columns.scaling {
            if covered {
                row[c] = 0.0 + w * per_contrast[r];
                row[o] = 0.0 + w;
            } else {
                row[c] += w * per_contrast[r];
                row[o] += w;
            }
        }
        let row = &mut row[columns.physical..columns.physical + P];
        for t in 0..P {
            row[t] = physical[t][r];
        }
    }
}

/// The per-point factors of a block that the shear columns of the gradient need.
struct ShearFactors<'a> {
    /// The diffusion factor.
    g1_d: &'a [f64],
    /// `sinc^2(u)`.
    g1_s: &'a [f64],
    /// `d sinc^2(u) / du`.
    dfdu: &'a [f64],
    /// `M^G_ij`.
    m_g: &'a [f64],
    /// `C^G_i - C^G_j`.
    diff_g: &'a [f64],
}

/// The shear columns of a block's gradient (`gamma_dot_t0`, `beta`, `gamma_dot_t_offset`,
/// `phi0`) into `out`, from `dc2/du` (published: `contrast g1_D dF/du`; compatibility form,
/// `COMPAT`: `2 contrast g1 g1_D dF/du`, zero where the floor holds) and
/// `du/dθ_G = scale cos(phi0 - phi) dM^G/dθ_G`, `du/dphi0 = scale M^G (-sin(phi0 - phi))
/// pi / 180`. `(g_i, g_j)` are `dC^G/dθ` at row `i` and at the block's columns.
#[inline(always)]
fn shear_columns<const COMPAT: bool>(
    contrast: f64,
    shear: &Shear,
    f: &ShearFactors,
    (g_i, g_j): ([f64; 3], [&[f64]; 3]),
    [p3, p4, p5, p6]: [&mut [f64]; 4],
) {
    let len = f.g1_d.len();
    let (g1_d, g1_s, dfdu, m_g, diff_g) = (
        &f.g1_d[..len],
        &f.g1_s[..len],
        &f.dfdu[..len],
        &f.m_g[..len],
        &f.diff_g[..len],
    );
    let (p3, p4, p5, p6) = (
        &mut p3[..len],
        &mut p4[..len],
        &mut p5[..len],
        &mut p6[..len],
    );
    let g_j = g_j.map(|d| &d[..len]);
    for r in 0..len {
        let raw = g1_d[r] * g1_s[r];
        let (dc2_du, kept) = if COMPAT {
            let dc2_dg1 = 2.0 * contrast * raw.max(G1_FLOOR);
            let floored = raw < G1_FLOOR;
            (dc2_dg1 * g1_d[r] * dfdu[r], !floored)
        } else {
            (contrast * g1_d[r] * dfdu[r], true)
        };
        let scale = diff_g[r] / m_g[r];
        let per_m = dc2_du * shear.scale * shear.cos;
        let phi0 = dc2_du * shear.scale * m_g[r] * (-shear.sin) * PI / 180.0;
        p3[r] = if kept {
            per_m * (scale * (g_i[0] - g_j[0][r]))
        } else {
            0.0
        };
        p4[r] = if kept {
            per_m * (scale * (g_i[1] - g_j[1][r]))
        } else {
            0.0
        };
        p5[r] = if kept {
            per_m * (scale * (g_i[2] - g_j[2][r]))
        } else {
            0.0
        };
        p6[r] = if kept { phi0 } else { 0.0 };
    }
}

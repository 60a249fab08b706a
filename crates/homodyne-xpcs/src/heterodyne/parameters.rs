//! The 14 physical parameters of the heterodyne (two-component) model, with the names,
//! defaults and bounds of xpcsjax 0.1.8's parameter registry
//! (`config/parameter_registry.py`, mode `two_component`), and the layout of the vector a
//! fit sees: the per-angle scaling first, as for the homodyne model
//! ([`crate::ParameterLayout`]), then the physical parameters in registry order.
//!
//! ```text
//! [contrast_0 .. contrast_{n-1}, offset_0 .. offset_{n-1}, D0_ref, .., phi0_het]  individual
//! [contrast, offset, D0_ref, .., phi0_het]                                        shared pair
//! ```
//!
//! | # | name | meaning | unit | default | lower | upper |
//! |---|---|---|---|---:|---:|---:|
//! | 0 | `D0_ref` | reference transport prefactor | A^2/s^(1+alpha) | 1e4 | 0 | 1e6 |
//! | 1 | `alpha_ref` | reference transport exponent | - | 0 | -2 | 2 |
//! | 2 | `D_offset_ref` | reference transport offset | A^2/s | 0 | -1e4 | 1e4 |
//! | 3 | `D0_sample` | sample transport prefactor | A^2/s^(1+alpha) | 1e4 | 0 | 1e6 |
//! | 4 | `alpha_sample` | sample transport exponent | - | 0 | -2 | 2 |
//! | 5 | `D_offset_sample` | sample transport offset | A^2/s | 0 | -1e4 | 1e4 |
//! | 6 | `v0` | velocity prefactor | A/s^(1+v_beta) | 1e3 | 0 | 1e6 |
//! | 7 | `v_beta` | velocity exponent | - | 1 | 0 | 2 |
//! | 8 | `v_offset` | velocity offset | A/s | 0 | -100 | 100 |
//! | 9 | `f0` | sample fraction amplitude | - | 0.5 | 0 | 1 |
//! | 10 | `f1` | sample fraction rate | 1/s | 0 | -1 | 1 |
//! | 11 | `f2` | sample fraction time shift | s | 0 | -1 | 1 |
//! | 12 | `f3` | sample fraction baseline | - | 0 | -1 | 1 |
//! | 13 | `phi0_het` | flow angle offset | degrees | 0 | -10 | 10 |
//!
//! Contrasts default to 0.5 within `[0, 1]` and offsets to 1 within `[0.5, 1.5]`, as in
//! xpcsjax. The registry defaults are a degenerate start: with `f0 = 0.5` and
//! `f1 = f2 = f3 = 0` both components carry half the field and identical transports, so
//! the fraction columns of the Jacobian vanish there. `f0` and `f2` are always exactly
//! degenerate (`f0 e^{f1 (t - f2)} = (f0 e^{-f1 f2}) e^{f1 t}`), and `f2` has no effect at
//! all when `f1 = 0`.

use crate::error::XpcsError;
use crate::parameters::{AnalysisMode, ParameterLayout, ScalingMode};
use crate::scaling;

/// Number of physical parameters of the heterodyne model.
pub const N_PHYSICAL: usize = 14;

/// The physical parameter names, in the registry's (and the vector's) order.
pub const PHYSICAL_NAMES: [&str; N_PHYSICAL] = [
    "D0_ref",
    "alpha_ref",
    "D_offset_ref",
    "D0_sample",
    "alpha_sample",
    "D_offset_sample",
    "v0",
    "v_beta",
    "v_offset",
    "f0",
    "f1",
    "f2",
    "f3",
    "phi0_het",
];

/// The registry's default (starting) value of each physical parameter.
pub const PHYSICAL_DEFAULTS: [f64; N_PHYSICAL] = [
    1e4, 0.0, 0.0, 1e4, 0.0, 0.0, 1e3, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0,
];

/// The registry's bounds `(lower, upper)` of each physical parameter.
pub const PHYSICAL_BOUNDS: [(f64, f64); N_PHYSICAL] = [
    (0.0, 1e6),
    (-2.0, 2.0),
    (-1e4, 1e4),
    (0.0, 1e6),
    (-2.0, 2.0),
    (-1e4, 1e4),
    (0.0, 1e6),
    (0.0, 2.0),
    (-100.0, 100.0),
    (0.0, 1.0),
    (-1.0, 1.0),
    (-1.0, 1.0),
    (-1.0, 1.0),
    (-10.0, 10.0),
];

/// The default contrast of every angle (xpcsjax's `contrast` default).
pub const DEFAULT_CONTRAST: f64 = 0.5;
/// The default offset of every angle (xpcsjax's `offset` default).
pub const DEFAULT_OFFSET: f64 = 1.0;

/// Index of a physical parameter among the 14 (see the module table).
pub mod index {
    /// `D0_ref`.
    pub const D0_REF: usize = 0;
    /// `alpha_ref`.
    pub const ALPHA_REF: usize = 1;
    /// `D_offset_ref`.
    pub const D_OFFSET_REF: usize = 2;
    /// `D0_sample`.
    pub const D0_SAMPLE: usize = 3;
    /// `alpha_sample`.
    pub const ALPHA_SAMPLE: usize = 4;
    /// `D_offset_sample`.
    pub const D_OFFSET_SAMPLE: usize = 5;
    /// `v0`.
    pub const V0: usize = 6;
    /// `v_beta`.
    pub const V_BETA: usize = 7;
    /// `v_offset`.
    pub const V_OFFSET: usize = 8;
    /// `f0`.
    pub const F0: usize = 9;
    /// `f1`.
    pub const F1: usize = 10;
    /// `f2`.
    pub const F2: usize = 11;
    /// `f3`.
    pub const F3: usize = 12;
    /// `phi0_het`.
    pub const PHI0_HET: usize = 13;
}

/// Where each parameter of a heterodyne fit sits: the per-angle scaling (contrast
/// parameters, then offset parameters, see [`crate::scaling`]) and the 14 physical
/// parameters.
///
/// xpcsjax's per-angle modes map onto it as: `individual` is [`ScalingMode::Individual`],
/// `averaged` (one pair shared by all angles) is [`ScalingMode::Constant`], and `constant`
/// (each angle's estimate held) is [`ScalingMode::Individual`] with the `2 n_phi` scaling
/// parameters held fixed in the fit.
///
/// ```
/// use homodyne_xpcs::ScalingMode;
/// use homodyne_xpcs::heterodyne::HeterodyneLayout;
///
/// let layout = HeterodyneLayout::new(ScalingMode::Individual, 2);
/// assert_eq!(layout.n_params(), 18);
/// assert_eq!(layout.names()[4], "D0_ref");
/// assert_eq!(layout.physical_start(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeterodyneLayout {
    /// The per-angle scaling.
    pub scaling: ScalingMode,
    /// Number of azimuthal angles.
    pub n_phi: usize,
}

impl HeterodyneLayout {
    /// The layout for `n_phi` angles.
    pub fn new(scaling: ScalingMode, n_phi: usize) -> Self {
        Self { scaling, n_phi }
    }

    /// The homodyne layout with the same scaling: its scaling part (names, bounds, checks)
    /// is this layout's.
    fn scaling_layout(&self) -> ParameterLayout {
        ParameterLayout::new(AnalysisMode::Static, self.scaling, self.n_phi)
    }

    /// Number of contrast parameters (and of offset parameters): `n_phi` (individual),
    /// 1 (shared) or `1 + 2 order` (Fourier coefficients).
    pub fn n_scaling_groups(&self) -> usize {
        scaling::n_groups(self.scaling, self.n_phi)
    }

    /// Index of the first physical parameter (`D0_ref`).
    pub fn physical_start(&self) -> usize {
        2 * self.n_scaling_groups()
    }

    /// Total number of parameters: `2 groups + 14`.
    pub fn n_params(&self) -> usize {
        self.physical_start() + N_PHYSICAL
    }

    /// The physical parameters of `p` (of this layout's length).
    pub fn physical<'a>(&self, p: &'a [f64]) -> &'a [f64] {
        &p[self.physical_start()..]
    }

    /// Parameter names: the scaling ones as [`ParameterLayout::names`] has them
    /// (`contrast_0, .., offset_0, ..`), then [`PHYSICAL_NAMES`].
    pub fn names(&self) -> Vec<String> {
        let mut names = self.scaling_layout().names();
        names.truncate(self.physical_start());
        names.extend(PHYSICAL_NAMES.iter().map(|s| s.to_string()));
        names
    }

    /// Default bounds `(lower, upper)` of every parameter: contrasts `[0, 1]`, offsets
    /// `[0.5, 1.5]` (or the Fourier coefficients' bounds, see
    /// [`ParameterLayout::default_scaling_bounds`]), then [`PHYSICAL_BOUNDS`].
    pub fn default_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let mut ranges = self.scaling_layout().default_scaling_bounds();
        ranges.extend_from_slice(&PHYSICAL_BOUNDS);
        ranges.into_iter().unzip()
    }

    /// The default parameter vector: every angle's contrast [`DEFAULT_CONTRAST`] and offset
    /// [`DEFAULT_OFFSET`] (as the mean coefficients of a Fourier series, the harmonics 0),
    /// then [`PHYSICAL_DEFAULTS`].
    pub fn default_parameters(&self) -> Vec<f64> {
        let groups = self.n_scaling_groups();
        let mut p = vec![0.0; self.n_params()];
        let fourier = matches!(self.scaling, ScalingMode::Fourier { .. });
        for g in 0..groups {
            if !fourier || g == 0 {
                p[g] = DEFAULT_CONTRAST;
                p[groups + g] = DEFAULT_OFFSET;
            }
        }
        p[self.physical_start()..].copy_from_slice(&PHYSICAL_DEFAULTS);
        p
    }

    /// A short description for messages: `heterodyne, individual scaling, 2 angles`.
    pub fn describe(&self) -> String {
        format!(
            "heterodyne, {} scaling, {} angle{}",
            self.scaling.describe(),
            self.n_phi,
            if self.n_phi == 1 { "" } else { "s" }
        )
    }

    /// Checks the scaling against the angles (a Fourier series needs as many distinct
    /// angles as coefficients, see [`ParameterLayout::check_angles`]).
    pub fn check_angles(&self, phi_degrees: &[f64]) -> Result<(), XpcsError> {
        self.scaling_layout().check_angles(phi_degrees)
    }

    /// Checks that `p` has this layout's length.
    pub fn check(&self, p: &[f64]) -> Result<(), XpcsError> {
        crate::parameters::check_count(p, self.n_params(), || self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_put_the_scaling_first_and_the_registry_order_after() {
        let individual = HeterodyneLayout::new(ScalingMode::Individual, 3);
        let names = individual.names();
        assert_eq!(names.len(), 20);
        assert_eq!(
            names[..6],
            [
                "contrast_0",
                "contrast_1",
                "contrast_2",
                "offset_0",
                "offset_1",
                "offset_2"
            ]
        );
        assert_eq!(names[6..], PHYSICAL_NAMES.map(String::from));
        let (lower, upper) = individual.default_bounds();
        assert_eq!((lower[0], upper[0]), (0.0, 1.0));
        assert_eq!((lower[5], upper[5]), (0.5, 1.5));
        assert_eq!(
            (lower[6 + index::V_BETA], upper[6 + index::V_BETA]),
            (0.0, 2.0)
        );
        let p = individual.default_parameters();
        assert_eq!(p[..6], [0.5, 0.5, 0.5, 1.0, 1.0, 1.0]);
        assert_eq!(p[6..], PHYSICAL_DEFAULTS);
        let shared = HeterodyneLayout::new(ScalingMode::Constant, 3);
        assert_eq!(shared.n_params(), 16);
        assert_eq!(shared.names()[..3], ["contrast", "offset", "D0_ref"]);
        let err = shared.check(&[0.0; 3]).unwrap_err().to_string();
        assert!(err.contains("16 parameters, but 3"), "{err}");
        assert!(
            err.contains("heterodyne, constant scaling, 3 angles"),
            "{err}"
        );
    }
}

//! The 14 physical parameters of the heterodyne (two-component) model, with the names,
//! defaults and bounds of xpcsjax 0.1.8's parameter registry
//! (`config/parameter_registry.py`, mode `two_component`). The vector a fit sees is a
//! [`crate::ParameterLayout`] of [`crate::AnalysisMode::TwoComponent`]: the per-angle
//! scaling first, as for the homodyne model, then the physical parameters in registry
//! order.
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

//! Analysis modes and the layout of the parameter vector for a per-angle scaling
//! ([`ScalingMode`], defined in [`crate::scaling`] and re-exported here); parameters by
//! name in `names`.
//!
//! The parameter vector is laid out as the Python package lays it out:
//!
//! ```text
//! [contrast_0 .. contrast_{n-1}, offset_0 .. offset_{n-1}, physical ...]   individual scaling
//! [contrast, offset, physical ...]                                          constant scaling
//! [contrast_c0, contrast_c1, contrast_s1, .., offset_c0, offset_c1, offset_s1, .., physical ...]
//!                                                                           Fourier scaling
//! ```
//!
//! with the physical parameters `D0, alpha, D_offset` (static) followed by
//! `gamma_dot_t0, beta, gamma_dot_t_offset, phi0` (laminar flow). With Fourier scaling of
//! order `K` the contrast of the angle `phi` (radians) is
//! `contrast_c0 + sum_{k=1..K} (contrast_ck cos(k phi) + contrast_sk sin(k phi))`, and the
//! offset likewise; the names are the package's (`FourierReparameterizer.
//! get_coefficient_labels`). See [`crate::scaling`] for the map from scaling parameters
//! to per-angle values, the same in every layout.

pub(crate) mod names;

use crate::error::XpcsError;
use crate::scaling;
pub use crate::scaling::ScalingMode;

/// The physics being fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalysisMode {
    /// Isotropic diffusion only: `D0, alpha, D_offset`.
    Static,
    /// Diffusion plus laminar shear flow: also `gamma_dot_t0, beta, gamma_dot_t_offset, phi0`.
    LaminarFlow,
    /// The two-component (heterodyne) model of xpcsjax (`two_component`): a reference
    /// and a sample component with their transports, a velocity, the sample fraction and
    /// the flow angle, 14 parameters (see [`crate::heterodyne`]).
    TwoComponent,
}

impl AnalysisMode {
    /// The name used in configuration files (`static`, `laminar_flow`, `two_component`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::LaminarFlow => "laminar_flow",
            Self::TwoComponent => "two_component",
        }
    }

    /// Whether this is the homodyne model's physics (static or laminar flow), fitted by
    /// [`crate::HomodyneModel`]; the two-component physics is
    /// [`crate::heterodyne::HeterodyneModel`]'s.
    pub fn is_homodyne(self) -> bool {
        self != Self::TwoComponent
    }

    /// The physical parameter names, in layout order.
    pub fn physical_names(self) -> &'static [&'static str] {
        match self {
            Self::Static => &STATIC_NAMES,
            Self::LaminarFlow => &LAMINAR_NAMES,
            Self::TwoComponent => &crate::heterodyne::PHYSICAL_NAMES,
        }
    }

    /// The physical parameters that span decades (prefactors of rates), which a
    /// multistart draws uniformly in their logarithm when their lower bound is positive:
    /// `D0` and `gamma_dot_t0`; `D0_ref`, `D0_sample` and `v0` (xpcsjax's registry marks
    /// these `log_space`).
    pub fn log_spaced_names(self) -> &'static [&'static str] {
        match self {
            Self::Static => &["D0"],
            Self::LaminarFlow => &["D0", "gamma_dot_t0"],
            Self::TwoComponent => &["D0_ref", "D0_sample", "v0"],
        }
    }

    /// Number of physical parameters: 3 (static), 7 (laminar flow) or 14 (two-component).
    pub fn n_physical(self) -> usize {
        self.physical_names().len()
    }

    /// Default bounds `(min, max)` of each physical parameter, as the Python package has
    /// them: `D0 [1e2, 1e5]`, `alpha [-2, 2]`, `D_offset [-1e5, 1e5]`,
    /// `gamma_dot_t0 [1e-6, 0.5]`, `beta [-2, 2]`, `gamma_dot_t_offset [-0.1, 0.1]`,
    /// `phi0 [-10, 10]` (degrees); the two-component ones are xpcsjax's registry's
    /// ([`crate::heterodyne::PHYSICAL_BOUNDS`]).
    pub fn physical_bounds(self) -> &'static [(f64, f64)] {
        match self {
            Self::TwoComponent => &crate::heterodyne::PHYSICAL_BOUNDS,
            _ => &PHYSICAL_BOUNDS[..self.n_physical()],
        }
    }
}

impl std::str::FromStr for AnalysisMode {
    type Err = XpcsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "static" | "static_isotropic" | "isotropic" => Ok(Self::Static),
            "laminar_flow" | "laminar-flow" | "laminar" | "flow" => Ok(Self::LaminarFlow),
            "two_component" | "two-component" | "twocomponent" | "heterodyne" => {
                Ok(Self::TwoComponent)
            }
            other => Err(XpcsError::setting(
                "analysis_mode",
                format!("'{other}' is none of 'static', 'laminar_flow' and 'two_component'"),
            )),
        }
    }
}

const STATIC_NAMES: [&str; 3] = ["D0", "alpha", "D_offset"];
const LAMINAR_NAMES: [&str; 7] = [
    "D0",
    "alpha",
    "D_offset",
    "gamma_dot_t0",
    "beta",
    "gamma_dot_t_offset",
    "phi0",
];
const PHYSICAL_BOUNDS: [(f64, f64); 7] = [
    (1e2, 1e5),
    (-2.0, 2.0),
    (-1e5, 1e5),
    (1e-6, 0.5),
    (-2.0, 2.0),
    (-0.1, 0.1),
    (-10.0, 10.0),
];

/// The default contrast of every angle, `0.5` (xpcsjax's `contrast` default).
pub const DEFAULT_CONTRAST: f64 = 0.5;
/// The default offset of every angle, `1` (xpcsjax's `offset` default).
pub const DEFAULT_OFFSET: f64 = 1.0;

/// Default bounds of a contrast: `[0, 1]`.
pub const CONTRAST_BOUNDS: (f64, f64) = (0.0, 1.0);
/// Default bounds of an offset (the baseline of `c2`): `[0.5, 1.5]`.
pub const OFFSET_BOUNDS: (f64, f64) = (0.5, 1.5);

/// Default bounds of the mean contrast `contrast_c0` of a Fourier series: `[0.1, 0.8]`
/// (the package's `FourierReparamConfig.c0_bounds`).
pub const FOURIER_C0_BOUNDS: (f64, f64) = (0.1, 0.8);
/// Default bounds of the contrast harmonics `contrast_ck`, `contrast_sk`: `[-0.2, 0.2]`
/// (`ck_bounds`).
pub const FOURIER_CK_BOUNDS: (f64, f64) = (-0.2, 0.2);
/// Default bounds of the mean offset `offset_c0`: `[0.5, 1.5]` (`o0_bounds`).
pub const FOURIER_O0_BOUNDS: (f64, f64) = (0.5, 1.5);
/// Default bounds of the offset harmonics `offset_ck`, `offset_sk`: `[-0.3, 0.3]`
/// (`ok_bounds`).
pub const FOURIER_OK_BOUNDS: (f64, f64) = (-0.3, 0.3);
/// The package's default order of the Fourier series (`fourier_order`).
pub const DEFAULT_FOURIER_ORDER: usize = 2;

/// Where each parameter sits in the vector the solver sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParameterLayout {
    /// The physics.
    pub mode: AnalysisMode,
    /// The per-angle scaling.
    pub scaling: ScalingMode,
    /// Number of azimuthal angles.
    pub n_phi: usize,
}

impl ParameterLayout {
    /// The layout for `n_phi` angles.
    pub fn new(mode: AnalysisMode, scaling: ScalingMode, n_phi: usize) -> Self {
        Self {
            mode,
            scaling,
            n_phi,
        }
    }

    /// Number of contrast parameters (and of offset parameters): `n_phi` (individual),
    /// 1 (constant) or `1 + 2 order` (Fourier coefficients).
    pub fn n_scaling_groups(&self) -> usize {
        scaling::n_groups(self.scaling, self.n_phi)
    }

    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        2 * self.n_scaling_groups() + self.mode.n_physical()
    }

    /// Index of the contrast that scales angle `angle`: its own (individual) or the
    /// shared one (constant). With Fourier scaling no single parameter does (an angle's
    /// contrast is a combination of every coefficient, see
    /// [`ParameterLayout::per_angle_scaling`]): this is then the mean `contrast_c0`.
    pub fn contrast_index(&self, angle: usize) -> usize {
        match self.scaling {
            ScalingMode::Individual => angle,
            ScalingMode::Constant | ScalingMode::Fourier { .. } => 0,
        }
    }

    /// Index of the offset of angle `angle` (the mean `offset_c0` with Fourier scaling;
    /// see [`ParameterLayout::contrast_index`]).
    pub fn offset_index(&self, angle: usize) -> usize {
        self.n_scaling_groups() + self.contrast_index(angle)
    }

    /// Index of the first physical parameter (`D0`).
    pub fn physical_start(&self) -> usize {
        2 * self.n_scaling_groups()
    }

    /// The physical parameters of `p`.
    pub fn physical<'a>(&self, p: &'a [f64]) -> &'a [f64] {
        &p[self.physical_start()..]
    }

    /// Parameter names: `contrast_0, .., offset_0, .., D0, alpha, ...` (`contrast`,
    /// `offset` with constant scaling; `contrast_c0, contrast_c1, contrast_s1, ..,
    /// offset_c0, offset_c1, offset_s1, ..` with Fourier scaling, as the package names
    /// its coefficients).
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.n_params());
        match self.scaling {
            ScalingMode::Individual => {
                names.extend((0..self.n_phi).map(|k| format!("contrast_{k}")));
                names.extend((0..self.n_phi).map(|k| format!("offset_{k}")));
            }
            ScalingMode::Constant => names.extend(["contrast".into(), "offset".into()]),
            ScalingMode::Fourier { order } => {
                for kind in ["contrast", "offset"] {
                    names.push(format!("{kind}_c0"));
                    for k in 1..=order {
                        names.extend([format!("{kind}_c{k}"), format!("{kind}_s{k}")]);
                    }
                }
            }
        }
        names.extend(self.mode.physical_names().iter().map(|s| s.to_string()));
        names
    }

    /// Default bounds `(lower, upper)` of the scaling parameters: contrasts
    /// [`CONTRAST_BOUNDS`] and offsets [`OFFSET_BOUNDS`], or for Fourier coefficients the
    /// package's [`FOURIER_C0_BOUNDS`], [`FOURIER_CK_BOUNDS`], [`FOURIER_O0_BOUNDS`] and
    /// [`FOURIER_OK_BOUNDS`]; contrast parameters first, then offset parameters.
    pub fn default_scaling_bounds(&self) -> Vec<(f64, f64)> {
        let groups = self.n_scaling_groups();
        let mut ranges = Vec::with_capacity(2 * groups);
        match self.scaling {
            ScalingMode::Individual | ScalingMode::Constant => {
                ranges.extend(vec![CONTRAST_BOUNDS; groups]);
                ranges.extend(vec![OFFSET_BOUNDS; groups]);
            }
            ScalingMode::Fourier { .. } => {
                ranges.push(FOURIER_C0_BOUNDS);
                ranges.extend(vec![FOURIER_CK_BOUNDS; groups - 1]);
                ranges.push(FOURIER_O0_BOUNDS);
                ranges.extend(vec![FOURIER_OK_BOUNDS; groups - 1]);
            }
        }
        ranges
    }

    /// Default bounds `(lower, upper)` for every parameter: those of
    /// [`ParameterLayout::default_scaling_bounds`], then the physical ones.
    pub fn default_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let mut ranges = self.default_scaling_bounds();
        ranges.extend_from_slice(self.mode.physical_bounds());
        ranges.into_iter().unzip()
    }

    /// Checks the scaling against the angles: a Fourier series needs `order >= 1` and at
    /// least `1 + 2 order` distinct directions among `phi_degrees` (modulo 360 degrees),
    /// or its coefficients are not determined.
    pub fn check_angles(&self, phi_degrees: &[f64]) -> Result<(), XpcsError> {
        if let ScalingMode::Fourier { order } = self.scaling {
            if order == 0 {
                return Err(XpcsError::setting(
                    "fourier_order",
                    "a Fourier series of per-angle scaling needs order >= 1",
                ));
            }
            let distinct = scaling::distinct_directions(phi_degrees);
            if distinct < 1 + 2 * order {
                return Err(XpcsError::setting(
                    "fourier_order",
                    format!(
                        "a Fourier series of order {order} has {} coefficients per contrast \
                         and offset and needs as many distinct angles, got {distinct}: use a \
                         lower order or individual scaling",
                        1 + 2 * order
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The matrix `B` (row-major, `n_phi x n_scaling_groups`) that maps the contrast
    /// parameters to per-angle contrasts, and the offset parameters to per-angle offsets:
    /// the identity (individual), a column of ones (constant), or the Fourier basis
    /// `[1, cos(phi), sin(phi), .., cos(K phi), sin(K phi)]` of each angle (radians). See
    /// [`crate::scaling`]. `phi_degrees` are the layout's angles.
    pub fn scaling_map(&self, phi_degrees: &[f64]) -> Vec<f64> {
        scaling::scaling_map(self.scaling, phi_degrees)
    }

    /// The contrast and offset of every angle at the parameter vector `p`:
    /// `B a, B b` for the contrast parameters `a` and offset parameters `b` of `p`
    /// ([`ParameterLayout::scaling_map`]). `phi_degrees` are the layout's `n_phi` angles.
    /// A `p` or `phi_degrees` of the wrong length gives NaN values, one per angle given.
    ///
    /// ```
    /// use homodyne_xpcs::{AnalysisMode, ParameterLayout, ScalingMode};
    ///
    /// let layout =
    ///     ParameterLayout::new(AnalysisMode::Static, ScalingMode::Fourier { order: 1 }, 3);
    /// // contrast 0.3 + 0.02 cos(phi), offset 1.0 - 0.01 sin(phi)
    /// let p = [0.3, 0.02, 0.0, 1.0, 0.0, -0.01, 1e3, 0.0, 0.0];
    /// let (contrasts, offsets) = layout.per_angle_scaling(&p, &[0.0, 90.0, 180.0]);
    /// assert!((contrasts[0] - 0.32).abs() < 1e-15 && (contrasts[2] - 0.28).abs() < 1e-15);
    /// assert!((offsets[1] - 0.99).abs() < 1e-15);
    /// ```
    pub fn per_angle_scaling(&self, p: &[f64], phi_degrees: &[f64]) -> (Vec<f64>, Vec<f64>) {
        if p.len() != self.n_params() || phi_degrees.len() != self.n_phi {
            let nan = vec![f64::NAN; phi_degrees.len()];
            return (nan.clone(), nan);
        }
        let groups = self.n_scaling_groups();
        (
            scaling::apply(self.scaling, phi_degrees, &p[..groups]),
            scaling::apply(self.scaling, phi_degrees, &p[groups..2 * groups]),
        )
    }

    /// The scaling parameters (contrast parameters, offset parameters) of this layout
    /// closest in least squares to the per-angle `contrasts` and `offsets`: the values
    /// themselves (individual), their means (constant), or the least-squares Fourier
    /// coefficients (the package's `per_angle_to_fourier`). For per-angle values that a
    /// layout can hold, [`ParameterLayout::per_angle_scaling`] of the result gives them
    /// back. Lengths other than one value per angle give NaN parameters.
    pub fn scaling_from_per_angle(
        &self,
        contrasts: &[f64],
        offsets: &[f64],
        phi_degrees: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let n = self.n_phi;
        if contrasts.len() != n || offsets.len() != n || phi_degrees.len() != n {
            let nan = vec![f64::NAN; self.n_scaling_groups()];
            return (nan.clone(), nan);
        }
        (
            scaling::project(self.scaling, phi_degrees, contrasts),
            scaling::project(self.scaling, phi_degrees, offsets),
        )
    }

    /// A short description for messages: `laminar_flow, individual scaling, 3 angles`
    /// (`fourier (order 2) scaling` for a Fourier series).
    pub fn describe(&self) -> String {
        format!(
            "{}, {} scaling, {} angle{}",
            self.mode.name(),
            self.scaling.describe(),
            self.n_phi,
            if self.n_phi == 1 { "" } else { "s" }
        )
    }

    /// Checks that `p` has this layout's length.
    pub fn check(&self, p: &[f64]) -> Result<(), XpcsError> {
        check_count(p, self.n_params(), || self.describe())
    }

    /// A default parameter vector: every angle's contrast [`DEFAULT_CONTRAST`] and offset
    /// [`DEFAULT_OFFSET`] (as the mean coefficients of a Fourier series, the harmonics 0),
    /// then the physical start of [`AnalysisMode::default_start`].
    ///
    /// ```
    /// use homodyne_xpcs::{AnalysisMode, ParameterLayout, ScalingMode};
    ///
    /// let layout = ParameterLayout::new(AnalysisMode::TwoComponent, ScalingMode::Constant, 3);
    /// let p = layout.default_parameters();
    /// assert_eq!((p.len(), p[0], p[1], p[2]), (16, 0.5, 1.0, 1e4));
    /// ```
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
        p[self.physical_start()..].copy_from_slice(self.mode.default_start());
        p
    }

    /// A full parameter vector from the contrast parameters, the offset parameters
    /// ([`ParameterLayout::n_scaling_groups`] of each: per-angle values, shared values or
    /// Fourier coefficients) and the physical parameters.
    pub fn assemble(
        &self,
        contrasts: &[f64],
        offsets: &[f64],
        physical: &[f64],
    ) -> Result<Vec<f64>, XpcsError> {
        let groups = self.n_scaling_groups();
        if contrasts.len() != groups || offsets.len() != groups {
            return Err(XpcsError::setting(
                "scaling parameters",
                format!(
                    "{} needs {groups} contrasts and {groups} offsets, got {} and {}",
                    self.describe(),
                    contrasts.len(),
                    offsets.len()
                ),
            ));
        }
        if physical.len() != self.mode.n_physical() {
            return Err(XpcsError::setting(
                "physical parameters",
                format!(
                    "{} has {} physical parameters ({}), got {}",
                    self.mode.name(),
                    self.mode.n_physical(),
                    self.mode.physical_names().join(", "),
                    physical.len()
                ),
            ));
        }
        Ok([contrasts, offsets, physical].concat())
    }
}

/// Checks that the parameter vector `p` has the `expected` length of a layout, whose
/// description (`describe()`) the error names.
///
/// # Errors
///
/// [`XpcsError::ParameterCount`] for another length.
pub(crate) fn check_count(
    p: &[f64],
    expected: usize,
    describe: impl FnOnce() -> String,
) -> Result<(), XpcsError> {
    if p.len() == expected {
        Ok(())
    } else {
        Err(XpcsError::ParameterCount {
            layout: describe(),
            expected,
            actual: p.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_component_layout_puts_the_scaling_first_and_the_registry_order_after() {
        use crate::heterodyne::{PHYSICAL_DEFAULTS, PHYSICAL_NAMES, index};
        let individual =
            ParameterLayout::new(AnalysisMode::TwoComponent, ScalingMode::Individual, 3);
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
        let shared = ParameterLayout::new(AnalysisMode::TwoComponent, ScalingMode::Constant, 3);
        assert_eq!(shared.n_params(), 16);
        assert_eq!(shared.names()[..3], ["contrast", "offset", "D0_ref"]);
        let err = shared.check(&[0.0; 3]).unwrap_err().to_string();
        assert!(err.contains("16 parameters, but 3"), "{err}");
        assert!(
            err.contains("two_component, constant scaling, 3 angles"),
            "{err}"
        );
        assert_eq!(
            "heterodyne".parse::<AnalysisMode>().unwrap(),
            AnalysisMode::TwoComponent
        );
        assert_eq!(
            "Two_Component".parse::<AnalysisMode>().unwrap(),
            AnalysisMode::TwoComponent
        );
    }

    #[test]
    fn the_layout_puts_contrasts_then_offsets_then_physics() {
        let layout = ParameterLayout::new(AnalysisMode::LaminarFlow, ScalingMode::Individual, 3);
        assert_eq!(layout.n_params(), 13);
        assert_eq!(layout.contrast_index(2), 2);
        assert_eq!(layout.offset_index(2), 5);
        assert_eq!(layout.physical_start(), 6);
        let names = layout.names();
        assert_eq!(names[0], "contrast_0");
        assert_eq!(names[3], "offset_0");
        assert_eq!(names[6], "D0");
        assert_eq!(names[12], "phi0");
        let (lower, upper) = layout.default_bounds();
        assert_eq!((lower[0], upper[0]), CONTRAST_BOUNDS);
        assert_eq!((lower[4], upper[4]), OFFSET_BOUNDS);
        assert_eq!((lower[9], upper[9]), (1e-6, 0.5));
    }

    #[test]
    fn constant_scaling_shares_one_contrast_and_offset() {
        let layout = ParameterLayout::new(AnalysisMode::Static, ScalingMode::Constant, 5);
        assert_eq!(layout.n_params(), 5);
        assert_eq!(layout.contrast_index(4), 0);
        assert_eq!(layout.offset_index(4), 1);
        assert_eq!(
            layout.names(),
            ["contrast", "offset", "D0", "alpha", "D_offset"]
        );
    }

    #[test]
    fn a_fourier_layout_has_coefficients_named_and_bounded_as_the_package() {
        let layout = ParameterLayout::new(
            AnalysisMode::LaminarFlow,
            ScalingMode::Fourier { order: 2 },
            8,
        );
        assert_eq!(layout.n_scaling_groups(), 5);
        assert_eq!(layout.n_params(), 17);
        assert_eq!(layout.physical_start(), 10);
        let names = layout.names();
        assert_eq!(
            names[..10],
            [
                "contrast_c0",
                "contrast_c1",
                "contrast_s1",
                "contrast_c2",
                "contrast_s2",
                "offset_c0",
                "offset_c1",
                "offset_s1",
                "offset_c2",
                "offset_s2"
            ]
        );
        assert_eq!(names[10], "D0");
        let (lower, upper) = layout.default_bounds();
        assert_eq!((lower[0], upper[0]), (0.1, 0.8));
        assert_eq!((lower[4], upper[4]), (-0.2, 0.2));
        assert_eq!((lower[5], upper[5]), (0.5, 1.5));
        assert_eq!((lower[9], upper[9]), (-0.3, 0.3));
        assert_eq!((lower[10], upper[10]), (1e2, 1e5));
        assert_eq!(
            layout.describe(),
            "laminar_flow, fourier (order 2) scaling, 8 angles"
        );
        // The mean coefficients stand for an angle's parameters where one index is asked.
        assert_eq!((layout.contrast_index(3), layout.offset_index(3)), (0, 5));
    }

    #[test]
    fn a_fourier_series_needs_an_order_and_as_many_directions_as_coefficients() {
        let layout = |order, n| {
            ParameterLayout::new(AnalysisMode::Static, ScalingMode::Fourier { order }, n)
        };
        assert!(layout(1, 3).check_angles(&[0.0, 90.0, 180.0]).is_ok());
        let err = layout(2, 4)
            .check_angles(&[0.0, 90.0, 180.0, 270.0])
            .unwrap_err();
        assert!(
            err.to_string().contains("order 2 has 5 coefficients"),
            "{err}"
        );
        assert!(err.to_string().contains("got 4"), "{err}");
        // 0 and 360 degrees are one direction.
        let err = layout(1, 3).check_angles(&[0.0, 360.0, 90.0]).unwrap_err();
        assert!(err.to_string().contains("got 2"), "{err}");
        let err = layout(0, 3).check_angles(&[0.0, 90.0, 180.0]).unwrap_err();
        assert!(err.to_string().contains("fourier_order"), "{err}");
        assert!(err.to_string().contains(">= 1"), "{err}");
        let individual = ParameterLayout::new(AnalysisMode::Static, ScalingMode::Individual, 1);
        assert!(individual.check_angles(&[0.0]).is_ok());
    }

    /// Per-angle values that a layout holds come back from its parameters unchanged, in
    /// every layout; values it cannot hold come back as their least-squares image.
    #[test]
    fn per_angle_values_and_scaling_parameters_round_trip() {
        let phi = [-170.0, -120.0, -75.0, -30.0, 10.0, 55.0, 100.0, 145.0];
        let physical = [1e3, -0.5, 2.0];
        let smooth_c: Vec<f64> = phi
            .iter()
            .map(|p: &f64| 0.3 + 0.02 * p.to_radians().cos() - 0.01 * (2.0 * p.to_radians()).sin())
            .collect();
        let smooth_o: Vec<f64> = phi
            .iter()
            .map(|p: &f64| 1.0 + 0.005 * p.to_radians().sin())
            .collect();
        for scaling in [
            ScalingMode::Individual,
            ScalingMode::Constant,
            ScalingMode::Fourier { order: 1 },
            ScalingMode::Fourier { order: 2 },
            ScalingMode::Fourier { order: 3 },
        ] {
            let layout = ParameterLayout::new(AnalysisMode::Static, scaling, phi.len());
            // Parameters -> per-angle values -> parameters.
            let groups = layout.n_scaling_groups();
            let a: Vec<f64> = (0..groups).map(|j| 0.3 / (1.0 + j as f64)).collect();
            let b: Vec<f64> = (0..groups).map(|j| 1.0 - 0.01 * j as f64).collect();
            let p = layout.assemble(&a, &b, &physical).unwrap();
            let (contrasts, offsets) = layout.per_angle_scaling(&p, &phi);
            let (a2, b2) = layout.scaling_from_per_angle(&contrasts, &offsets, &phi);
            for (got, want) in a2.iter().chain(&b2).zip(a.iter().chain(&b)) {
                assert!((got - want).abs() < 1e-13, "{scaling:?}: {got} vs {want}");
            }
            // Per-angle values of a series of order 2: held exactly from order 2 on and
            // individually, their mean with constant scaling, and projected at order 1.
            let (a, b) = layout.scaling_from_per_angle(&smooth_c, &smooth_o, &phi);
            let p = layout.assemble(&a, &b, &physical).unwrap();
            let (c, o) = layout.per_angle_scaling(&p, &phi);
            let exact = !matches!(
                scaling,
                ScalingMode::Constant | ScalingMode::Fourier { order: 1 }
            );
            let mean = smooth_c.iter().sum::<f64>() / phi.len() as f64;
            for k in 0..phi.len() {
                if exact {
                    assert!((c[k] - smooth_c[k]).abs() < 1e-14, "{scaling:?} angle {k}");
                    assert!((o[k] - smooth_o[k]).abs() < 1e-14, "{scaling:?} angle {k}");
                } else if scaling == ScalingMode::Constant {
                    assert!((c[k] - mean).abs() < 1e-15);
                } else {
                    // Order 1 keeps the cos term and loses the sin(2 phi) one.
                    let want = 0.3 + 0.02 * phi[k].to_radians().cos();
                    assert!((c[k] - want).abs() < 0.011, "{c:?}");
                    assert!((o[k] - smooth_o[k]).abs() < 1e-14, "{o:?}");
                }
            }
            // Wrong lengths: NaN, no panic.
            let (c, _) = layout.per_angle_scaling(&p[1..], &phi);
            assert!(c.len() == phi.len() && c.iter().all(|v| v.is_nan()));
            let (a, _) = layout.scaling_from_per_angle(&smooth_c[1..], &smooth_o, &phi);
            assert!(a.len() == groups && a.iter().all(|v| v.is_nan()));
        }
    }

    #[test]
    fn wrong_lengths_are_named() {
        let layout = ParameterLayout::new(AnalysisMode::Static, ScalingMode::Individual, 2);
        let err = layout.check(&[1.0; 6]).unwrap_err();
        assert!(err.to_string().contains("7 parameters, but 6"), "{err}");
        assert!(
            layout
                .assemble(&[0.5], &[1.0, 1.0], &[1e3, 0.0, 0.0])
                .is_err()
        );
        assert_eq!(
            layout
                .assemble(&[0.5, 0.4], &[1.0, 1.1], &[1e3, 0.0, 0.0])
                .unwrap(),
            [0.5, 0.4, 1.0, 1.1, 1e3, 0.0, 0.0]
        );
        assert!("laminar".parse::<AnalysisMode>().is_ok());
        assert!("turbulent".parse::<AnalysisMode>().is_err());
    }
}

//! Analysis modes, per-angle scaling and the layout of the parameter vector.
//!
//! The parameter vector is laid out as the Python package lays it out:
//!
//! ```text
//! [contrast_0 .. contrast_{n-1}, offset_0 .. offset_{n-1}, physical ...]   individual scaling
//! [contrast, offset, physical ...]                                          constant scaling
//! ```
//!
//! with the physical parameters `D0, alpha, D_offset` (static) followed by
//! `gamma_dot_t0, beta, gamma_dot_t_offset, phi0` (laminar flow).

use crate::error::XpcsError;

/// The physics being fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalysisMode {
    /// Isotropic diffusion only: `D0, alpha, D_offset`.
    Static,
    /// Diffusion plus laminar shear flow: also `gamma_dot_t0, beta, gamma_dot_t_offset, phi0`.
    LaminarFlow,
}

impl AnalysisMode {
    /// The name used in configuration files (`static`, `laminar_flow`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::LaminarFlow => "laminar_flow",
        }
    }

    /// The physical parameter names, in layout order.
    pub fn physical_names(self) -> &'static [&'static str] {
        match self {
            Self::Static => &STATIC_NAMES,
            Self::LaminarFlow => &LAMINAR_NAMES,
        }
    }

    /// Number of physical parameters: 3 (static) or 7 (laminar flow).
    pub fn n_physical(self) -> usize {
        self.physical_names().len()
    }

    /// Default bounds `(min, max)` of each physical parameter, as the Python package has
    /// them: `D0 [1e2, 1e5]`, `alpha [-2, 2]`, `D_offset [-1e5, 1e5]`,
    /// `gamma_dot_t0 [1e-6, 0.5]`, `beta [-2, 2]`, `gamma_dot_t_offset [-0.1, 0.1]`,
    /// `phi0 [-10, 10]` (degrees).
    pub fn physical_bounds(self) -> &'static [(f64, f64)] {
        &PHYSICAL_BOUNDS[..self.n_physical()]
    }
}

impl std::str::FromStr for AnalysisMode {
    type Err = XpcsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "static" | "static_isotropic" | "isotropic" => Ok(Self::Static),
            "laminar_flow" | "laminar-flow" | "laminar" | "flow" => Ok(Self::LaminarFlow),
            other => Err(XpcsError::setting(
                "analysis_mode",
                format!("'{other}' is neither 'static' nor 'laminar_flow'"),
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

/// Default bounds of a contrast: `[0, 1]`.
pub const CONTRAST_BOUNDS: (f64, f64) = (0.0, 1.0);
/// Default bounds of an offset (the baseline of `c2`): `[0.5, 1.5]`.
pub const OFFSET_BOUNDS: (f64, f64) = (0.5, 1.5);

/// How `c2 = offset + contrast * g1^2` is scaled across angles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalingMode {
    /// A contrast and an offset per angle (`2 n_phi` scaling parameters).
    Individual,
    /// One contrast and one offset shared by all angles.
    Constant,
}

impl ScalingMode {
    /// The name used in configuration files (`individual`, `constant`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Constant => "constant",
        }
    }
}

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

    /// Number of contrasts (and of offsets): `n_phi` or 1.
    pub fn n_scaling_groups(&self) -> usize {
        match self.scaling {
            ScalingMode::Individual => self.n_phi,
            ScalingMode::Constant => 1,
        }
    }

    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        2 * self.n_scaling_groups() + self.mode.n_physical()
    }

    /// Index of the contrast that scales angle `angle`.
    pub fn contrast_index(&self, angle: usize) -> usize {
        match self.scaling {
            ScalingMode::Individual => angle,
            ScalingMode::Constant => 0,
        }
    }

    /// Index of the offset of angle `angle`.
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
    /// `offset` with constant scaling).
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.n_params());
        match self.scaling {
            ScalingMode::Individual => {
                names.extend((0..self.n_phi).map(|k| format!("contrast_{k}")));
                names.extend((0..self.n_phi).map(|k| format!("offset_{k}")));
            }
            ScalingMode::Constant => names.extend(["contrast".into(), "offset".into()]),
        }
        names.extend(self.mode.physical_names().iter().map(|s| s.to_string()));
        names
    }

    /// Default bounds `(lower, upper)` for every parameter.
    pub fn default_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let groups = self.n_scaling_groups();
        let mut ranges = vec![CONTRAST_BOUNDS; groups];
        ranges.extend(vec![OFFSET_BOUNDS; groups]);
        ranges.extend_from_slice(self.mode.physical_bounds());
        ranges.into_iter().unzip()
    }

    /// A short description for messages: `laminar_flow, individual scaling, 3 angles`.
    pub fn describe(&self) -> String {
        format!(
            "{}, {} scaling, {} angle{}",
            self.mode.name(),
            self.scaling.name(),
            self.n_phi,
            if self.n_phi == 1 { "" } else { "s" }
        )
    }

    /// Checks that `p` has this layout's length.
    pub fn check(&self, p: &[f64]) -> Result<(), XpcsError> {
        if p.len() == self.n_params() {
            Ok(())
        } else {
            Err(XpcsError::ParameterCount {
                layout: self.describe(),
                expected: self.n_params(),
                actual: p.len(),
            })
        }
    }

    /// A full parameter vector from per-group contrasts and offsets and the physical
    /// parameters.
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

#[cfg(test)]
mod tests {
    use super::*;

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

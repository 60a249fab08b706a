//! The settings of one load ([`LoadOptions`]) and the configuration keys that the
//! loader's messages name.

use crate::error::XpcsError;

/// The package's default `q_tolerance_fraction` (older APS layout).
pub const DEFAULT_Q_TOLERANCE_FRACTION: f64 = 0.1;
/// The package's default `analyzer_parameters.scattering.wavevector_q` (1/Angstrom).
pub const DEFAULT_WAVEVECTOR_Q: f64 = 0.0054;
/// The configuration key of the angles of a bare matrix.
pub const PHI_ANGLES_KEY: &str = "experimental_data.phi_angles";
/// The configuration key of the dataset path (HDF5) or array name (`.npz`).
pub const DATASET_KEY: &str = "experimental_data.dataset";
/// The configuration key of the wavevector.
pub const WAVEVECTOR_KEY: &str = "analyzer_parameters.scattering.wavevector_q";

/// The settings of one load: the package's `analyzer_parameters` and
/// `q_tolerance_fraction`, plus two choices of ours.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Frame time (seconds), `analyzer_parameters.dt`.
    pub dt: f64,
    /// First frame, 1-based (`analyzer_parameters.start_frame`); below 1 means 1.
    pub start_frame: i64,
    /// Last frame, 1-based inclusive (`analyzer_parameters.end_frame`); negative means the
    /// last frame of the data.
    pub end_frame: i64,
    /// Requested wavevector (1/Angstrom), `analyzer_parameters.scattering.wavevector_q`.
    pub wavevector_q: f64,
    /// Whether `wavevector_q` was configured (true from [`LoadOptions::new`]). When false
    /// it is only the package's default, named in cache file names: a file holding
    /// several q values is then a [`XpcsError::ConfigValue`] asking for the q to fit, the
    /// q of a file holding one is used with a warning naming it, and a bare matrix
    /// ([`matrix`](super::matrix)), which carries no q, is refused.
    pub wavevector_q_configured: bool,
    /// The angles (degrees) of a bare matrix, one per matrix
    /// (`experimental_data.phi_angles`); an APS file or cache gives its own, and these
    /// are then ignored with a warning.
    pub phi_angles: Option<Vec<f64>>,
    /// Older layout: entries within this fraction of the closest q are kept
    /// (top-level `q_tolerance_fraction`, default 0.1).
    pub q_tolerance_fraction: f64,
    /// When set, a closest q farther than this (1/Angstrom) from the requested one is an
    /// [`XpcsError::Wavevector`]. `None` (the default) accepts any, as the package does.
    pub max_q_deviation: Option<f64>,
    /// When true, an `end_frame` past the last frame is clamped to it with a warning, as
    /// the package does. When false (the default) it is an [`XpcsError::FrameRange`].
    pub clamp_end_frame: bool,
}

impl LoadOptions {
    /// Options with the package's defaults for everything but the four analyzer
    /// settings (the wavevector counts as configured; no angles).
    pub fn new(dt: f64, start_frame: i64, end_frame: i64, wavevector_q: f64) -> Self {
        Self {
            dt,
            start_frame,
            end_frame,
            wavevector_q,
            wavevector_q_configured: true,
            phi_angles: None,
            q_tolerance_fraction: DEFAULT_Q_TOLERANCE_FRACTION,
            max_q_deviation: None,
            clamp_end_frame: false,
        }
    }

    /// Refuses options no load can use: `dt <= 0`, a non-finite wavevector or tolerance,
    /// a negative `max_q_deviation`.
    pub(super) fn check(&self) -> Result<(), XpcsError> {
        if !self.dt.is_finite() || self.dt <= 0.0 {
            return Err(XpcsError::setting(
                "dt",
                format!("{} is not a positive frame time in seconds", self.dt),
            ));
        }
        if !self.wavevector_q.is_finite() {
            return Err(XpcsError::setting(
                "wavevector_q",
                format!("{} is not a finite wavevector", self.wavevector_q),
            ));
        }
        if !self.q_tolerance_fraction.is_finite() {
            return Err(XpcsError::setting(
                "q_tolerance_fraction",
                format!("{} is not finite", self.q_tolerance_fraction),
            ));
        }
        if let Some(max) = self.max_q_deviation
            && (max.is_nan() || max < 0.0)
        {
            return Err(XpcsError::setting(
                "max_q_deviation",
                format!("{max} is not a non-negative distance in 1/Angstrom"),
            ));
        }
        Ok(())
    }
}

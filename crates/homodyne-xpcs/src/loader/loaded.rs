//! What a load returns ([`LoadedXpcs`]), where it came from ([`SourceFormat`],
//! [`Precision`], [`CacheMetadata`]), and the data as the package's command line fits it
//! ([`FitData`], [`normalize_phi_angle`]).

use std::path::PathBuf;

use crate::data::CorrelationData;
use crate::error::XpcsError;

/// Where a [`LoadedXpcs`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// The APS-U HDF5 layout (`xpcs/twotime/correlation_map`).
    ApsU,
    /// The older APS HDF5 layout (`exchange/C2T_all`).
    ApsOld,
    /// The package's NumPy `.npz` cache.
    NpzCache,
    /// A bare two-time correlation matrix or stack ([`matrix`](super::matrix)).
    Matrix,
}

impl SourceFormat {
    /// `aps_u`, `aps_old`, `npz_cache` or `matrix` (the package's names for the first
    /// two).
    pub fn name(self) -> &'static str {
        match self {
            Self::ApsU => "aps_u",
            Self::ApsOld => "aps_old",
            Self::NpzCache => "npz_cache",
            Self::Matrix => "matrix",
        }
    }
}

/// The floating-point precision the matrices were stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// IEEE float32: the full matrices were formed in float32, as NumPy forms them.
    Float32,
    /// IEEE float64.
    Float64,
}

/// The JSON object the package stores in its cache as `cache_metadata_json`. Every field
/// is optional when read (a field of the wrong type reads as `None`, with a warning).
#[derive(Debug, Clone, PartialEq)]
pub struct CacheMetadata {
    /// The configured wavevector when the cache was written.
    pub config_wavevector_q: Option<f64>,
    /// The NaN-ignoring mean of the cached q list.
    pub actual_wavevector_q: Option<f64>,
    /// The NaN-ignoring standard deviation of the cached q list (0 for one entry).
    pub q_variance: Option<f64>,
    /// Entries in the q list.
    pub q_count: Option<i64>,
    /// The configured `start_frame`.
    pub start_frame: Option<i64>,
    /// The configured `end_frame` (or, for -1, the last frame actually cached).
    pub end_frame: Option<i64>,
    /// Entries in the phi list.
    pub phi_count: Option<i64>,
    /// `"2.0"`.
    pub cache_version: Option<String>,
    /// `true` for caches written by the package since 2.0.
    pub selective_q_caching: Option<bool>,
}

/// Two-time data as the package's loader returns it, with what a fit and a cache need.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedXpcs {
    /// The full, frame-sliced, diagonal-corrected matrices in the order the package
    /// returns them; `data.q` is the first entry of the q list (the q the package fits
    /// with) and `data.phi` the raw angles (the package's command line normalises them
    /// afterwards: see [`LoadedXpcs::cli_prepared`]).
    pub data: CorrelationData,
    /// The time vector `t1` (= `t2`) the package returns: `linspace(0, dt (N-1), N)`, or
    /// the cached one.
    pub t: Vec<f64>,
    /// `wavevector_q_list`: the q of each returned matrix.
    pub wavevector_q_list: Vec<f64>,
    /// The q closest to the requested one (for the older layout, the centre of the
    /// tolerance window; for a bare matrix, the configured q); `None` for a cache, which
    /// does not record it.
    pub selected_q: Option<f64>,
    /// The matrices before the diagonal correction (what the package caches), in the
    /// layout of `data.c2`.
    pub c2_before_correction: Vec<f64>,
    /// The precision the matrices were stored and formed in.
    pub precision: Precision,
    /// The layout read.
    pub format: SourceFormat,
    /// The file read.
    pub path: PathBuf,
    /// For each matrix, its position in the source group's member order (HDF5), or its
    /// index in `c2_exp` (cache).
    pub source_indices: Vec<usize>,
    /// For each matrix, the dataset (`/exchange/C2T_all/c2_00004`) or cache key
    /// (`c2_exp[2]`) it came from.
    pub source_datasets: Vec<String>,
    /// Frames per matrix side in the HDF5 file (before slicing); `None` for a cache.
    pub n_frames_in_file: Option<usize>,
    /// The frames used, 1-based inclusive; `None` for a cache.
    pub frames: Option<(usize, usize)>,
    /// The metadata of a cache (`None` for HDF5, or a cache without it).
    pub cache_metadata: Option<CacheMetadata>,
    /// The cache [`load_experimental_data`](super::load_experimental_data) wrote after
    /// reading the HDF5 file.
    pub cache_written: Option<PathBuf>,
    /// What the package would have logged as a warning, and our own notes: skipped bins,
    /// clamped frames, a cache whose q differs from the configured one, ...
    pub warnings: Vec<String>,
}

/// Data as the package's command line fits it: angles normalised to `(-180, 180]` and
/// the `t = 0` frame dropped (`cli/data_pipeline.py`, `_apply_angle_filtering_for_optimization`
/// without `phi_filtering`, then `_exclude_t0_from_analysis`).
#[derive(Debug, Clone, PartialEq)]
pub struct FitData {
    /// The matrices without the first frame's row and column, with normalised angles.
    pub data: CorrelationData,
    /// The frame times, from `t[1]` on.
    pub t: Vec<f64>,
}

impl LoadedXpcs {
    /// The data prepared as the package's command line prepares it before a fit: every
    /// angle through [`normalize_phi_angle`], and the first frame (`t = 0`) dropped from
    /// the times and from both axes of every matrix. With fewer than two frames the
    /// frames are kept, as the package keeps them. The package's optional
    /// `phi_filtering` (angle ranges) is not applied here.
    pub fn cli_prepared(&self) -> Result<FitData, XpcsError> {
        let phi: Vec<f64> = self
            .data
            .phi
            .iter()
            .map(|&a| normalize_phi_angle(a))
            .collect();
        let n = self.data.n_t;
        if n < 2 {
            return Ok(FitData {
                data: CorrelationData::new(
                    self.data.q,
                    self.data.dt,
                    phi,
                    n,
                    self.data.c2.clone(),
                )?,
                t: self.t.clone(),
            });
        }
        let m = n - 1;
        let mut c2 = Vec::with_capacity(phi.len() * m * m);
        for k in 0..phi.len() {
            let matrix = self.data.matrix(k);
            for i in 1..n {
                c2.extend_from_slice(&matrix[i * n + 1..(i + 1) * n]);
            }
        }
        Ok(FitData {
            data: CorrelationData::new(self.data.q, self.data.dt, phi, m, c2)?,
            t: self.t.get(1..).unwrap_or_default().to_vec(),
        })
    }
}

/// An angle in degrees mapped to `(-180, 180]` as the package maps it
/// (`data/angle_filtering.py`: `a % 360`, then `a - 360` where above 180, with NumPy's
/// floored remainder): 270 becomes -90, -180 becomes 180, 540 becomes 180.
pub fn normalize_phi_angle(angle: f64) -> f64 {
    let mut r = angle % 360.0;
    if r != 0.0 {
        if r < 0.0 {
            r += 360.0;
        }
    } else {
        r = 0.0;
    }
    if r > 180.0 { r - 360.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_follow_numpy() {
        assert_eq!(normalize_phi_angle(270.0), -90.0);
        assert_eq!(normalize_phi_angle(-180.0), 180.0);
        assert_eq!(normalize_phi_angle(180.0), 180.0);
        assert_eq!(normalize_phi_angle(-30.0), -30.0);
        assert_eq!(normalize_phi_angle(720.0), 0.0);
        assert_eq!(normalize_phi_angle(-0.0).to_bits(), 0.0f64.to_bits());
    }
}

//! Loading XPCS two-time correlation data as the Python `homodyne` package (2.23.3,
//! `homodyne/data/xpcs_loader.py`, class `XPCSDataLoader`) loads it.
//!
//! Two HDF5 layouts written at the APS are read ([`load_hdf5`]), plus the package's NumPy
//! `.npz` cache ([`load_npz_cache`], [`write_npz_cache`]);
//! [`load_experimental_data`] picks between them in the package's order (a `.npz` data
//! file, then an existing cache, then the HDF5 file, writing the cache).
//!
//! # APS-U layout
//!
//! `xpcs/qmap/dynamic_v_list_dim0` (q values), `xpcs/qmap/dynamic_v_list_dim1` (phi
//! values), `xpcs/twotime/processed_bins` (1-based bin ids) and the group
//! `xpcs/twotime/correlation_map` of half matrices. With `b = bin - 1`, a bin's q index
//! is `b div n_phi` and its phi index `b mod n_phi`; bins off the grid are skipped. The
//! i-th processed bin is paired with the i-th matrix of the group in sorted name order
//! (its *position*, not its name), and bins past the last matrix are dropped. The q
//! closest to the requested one is selected, and every bin whose q equals it (within
//! 1e-10) is kept, in `processed_bins` order.
//!
//! # Older APS layout
//!
//! `xpcs/dqlist` and `xpcs/dphilist` (shape `(1, N)`, row 0 is used) and the group
//! `exchange/C2T_all`, whose i-th member in name order is the matrix of entry i. The
//! entry closest to the requested q is found (`q0`), and every entry with
//! `|q - q0| <= q_tolerance_fraction * q0` (default 10%) is kept, in index order. When
//! fewer than 5 entries qualify, the 10 entries closest to `q0` are taken instead,
//! ordered by distance, **even when they come from other q rings**: the returned
//! [`LoadedXpcs::wavevector_q_list`] then mixes q values, and the fit uses the first
//! (`data.q`), as the package does.
//!
//! # Shared steps
//!
//! Each half matrix `h` becomes `c2 = h + h^T` with the diagonal halved, in the file's
//! precision (float32 stays float32 until the matrices are stacked, as in NumPy); frames
//! are sliced 1-based inclusive `[start_frame, end_frame]`; the time vector is
//! `linspace(0, dt (N - 1), N)`; then the diagonal is replaced by the mean of its
//! (symmetrised) neighbours in float64 ([`correct_diagonal`]). The package's NPZ cache
//! holds the matrices *before* that correction ([`LoadedXpcs::c2_before_correction`]).
//!
//! # Where this differs from the package, on purpose
//!
//! - `end_frame` past the last frame is an [`XpcsError::FrameRange`] unless
//!   [`LoadOptions::clamp_end_frame`] is set (the package clamps silently); a range that
//!   leaves no frame is always an error (the package returns empty matrices).
//! - Non-finite q entries are never selected (NumPy's `argmin` would select a NaN), and
//!   a dataset whose q values are all non-finite is an [`XpcsError::Wavevector`];
//!   [`LoadOptions::max_q_deviation`] optionally refuses a closest q that is too far from
//!   the requested one (the package accepts any).
//! - Ties in the old layout's distance ordering are broken by index (a stable sort);
//!   NumPy's `argsort` is not stable and its order for ties depends on the machine.
//! - The old layout's member order is the name order. h5py lists a group that tracks
//!   creation order in creation order; such a group is reported in
//!   [`LoadedXpcs::warnings`].
//! - Only the selected matrices are read, and only the sliced frames of each; a damaged
//!   matrix that is not selected is not noticed (the package reads every valid one).
//! - A non-finite value in the matrices the fit would see is an error naming the dataset
//!   and the frame pair, not a NaN passed on to the fit.
//! - `phi_angles_list.txt` and `wavevector_q_list.txt` are not written; a cache that
//!   cannot be written is a warning, not an error; the optional `data_filtering`,
//!   quality-control and preprocessing stages (all off by default) are not implemented.

pub mod matrix;
pub mod npy;
pub mod write;

pub use matrix::{DataFormat, MatrixSource, MatrixTriangle, load_matrix};

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rust_hdf5::{CreationOrder, DatatypeMessage, H5Dataset, H5File, Hdf5Error};

use crate::data::CorrelationData;
use crate::error::XpcsError;

/// APS-U: the q value of each q index.
pub const APS_U_Q_LIST: &str = "xpcs/qmap/dynamic_v_list_dim0";
/// APS-U: the phi value (degrees) of each phi index.
pub const APS_U_PHI_LIST: &str = "xpcs/qmap/dynamic_v_list_dim1";
/// APS-U: the 1-based bin ids that have a two-time matrix.
pub const APS_U_PROCESSED_BINS: &str = "xpcs/twotime/processed_bins";
/// APS-U: the group of half matrices.
pub const APS_U_CORRELATION_MAP: &str = "xpcs/twotime/correlation_map";
/// Older APS layout: q of each matrix, shape `(1, N)`.
pub const APS_OLD_Q_LIST: &str = "xpcs/dqlist";
/// Older APS layout: phi of each matrix, shape `(1, N)`.
pub const APS_OLD_PHI_LIST: &str = "xpcs/dphilist";
/// Older APS layout: the group of half matrices.
pub const APS_OLD_C2T_ALL: &str = "exchange/C2T_all";

/// The package's default cache file name (`experimental_data.cache_filename_template`).
pub const DEFAULT_CACHE_TEMPLATE: &str = "cached_c2_frames_${start_frame}_${end_frame}.npz";
/// The package's default `q_tolerance_fraction` (older APS layout).
pub const DEFAULT_Q_TOLERANCE_FRACTION: f64 = 0.1;
/// The package's default `analyzer_parameters.scattering.wavevector_q` (1/Angstrom).
pub const DEFAULT_WAVEVECTOR_Q: f64 = 0.0054;

/// The missing item of an HDF5 file with neither APS layout.
const NO_LAYOUT_ITEM: &str = "APS-U or APS two-time datasets";
/// APS-U: q values of one matrix equal to the selected q within this (absolute).
const APS_U_Q_MATCH: f64 = 1e-10;
/// Older layout: fewer matches than this widen the selection.
const APS_OLD_MIN_MATCHES: usize = 5;
/// Older layout: the widened selection takes this many entries.
const APS_OLD_EXPANDED: usize = 10;

/// Where a [`LoadedXpcs`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// The APS-U HDF5 layout (`xpcs/twotime/correlation_map`).
    ApsU,
    /// The older APS HDF5 layout (`exchange/C2T_all`).
    ApsOld,
    /// The package's NumPy `.npz` cache.
    NpzCache,
    /// A bare two-time correlation matrix or stack ([`matrix`]).
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
    /// ([`matrix`]), which carries no q, is refused.
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

    fn check(&self) -> Result<(), XpcsError> {
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
    /// The cache [`load_experimental_data`] wrote after reading the HDF5 file.
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

/// The package's time vector for `n` frames: NumPy's `linspace(0, dt (n-1), n)`,
/// computed as NumPy computes it (`k * step` with `step = stop / (n-1)`, the last value
/// set to `stop` exactly).
pub fn loader_times(dt: f64, n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let stop = dt * (n - 1) as f64;
    if n == 1 {
        return vec![0.0];
    }
    let div = (n - 1) as f64;
    let step = stop / div;
    let mut t: Vec<f64> = if step == 0.0 {
        (0..n).map(|k| k as f64 / div * stop).collect()
    } else {
        (0..n).map(|k| k as f64 * step).collect()
    };
    // `y += start` with start = 0 turns -0.0 into 0.0.
    for v in &mut t {
        *v += 0.0;
    }
    t[n - 1] = stop;
    t
}

/// Replaces the diagonal of the row-major `n x n` `matrix` by the mean of its
/// neighbours, as the package does after loading (`core/diagonal_correction.py`, JAX
/// path): with the symmetrised side band `s_i = (c_{i,i+1} + c_{i+1,i}) / 2`,
/// `c_00 = s_0`, `c_ii = (s_{i-1} + s_i) / 2`, `c_{n-1,n-1} = s_{n-2}`. A matrix of one
/// frame is left as it is.
///
/// # Errors
///
/// [`XpcsError::InvalidSetting`] when `matrix` does not hold `n * n` values.
pub fn correct_diagonal(matrix: &mut [f64], n: usize) -> Result<(), XpcsError> {
    if n.checked_mul(n) != Some(matrix.len()) {
        return Err(XpcsError::setting(
            "matrix",
            format!("{} values are not a {n} x {n} matrix", matrix.len()),
        ));
    }
    if n <= 1 {
        return Ok(());
    }
    let side: Vec<f64> = (0..n - 1)
        .map(|i| 0.5 * (matrix[i * n + i + 1] + matrix[(i + 1) * n + i]))
        .collect();
    matrix[0] = side[0];
    for i in 1..n - 1 {
        matrix[i * n + i] = (side[i - 1] + side[i]) * 0.5;
    }
    matrix[(n - 1) * n + n - 1] = side[n - 2];
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HDF5
// ---------------------------------------------------------------------------------------

/// Which layout an HDF5 file has, tested as the package tests it: APS-U when
/// `xpcs/qmap/dynamic_v_list_dim0` and `xpcs/twotime/correlation_map` exist, else the
/// older layout when `xpcs/dqlist`, `xpcs/dphilist` and `exchange/C2T_all` exist.
///
/// # Errors
///
/// [`XpcsError::Io`] when the file cannot be opened, [`XpcsError::DataFile`] when it is
/// not HDF5, [`XpcsError::MissingDataset`] when it has neither layout (the message lists
/// its top-level members).
pub fn detect_hdf5_layout(path: impl AsRef<Path>) -> Result<SourceFormat, XpcsError> {
    let path = path.as_ref();
    let file = open_hdf5(path)?;
    detect_layout(&file, path)
}

/// Loads the two-time matrices of the wavevector closest to `options.wavevector_q` from
/// an APS-U or older APS HDF5 file, as the package's `_load_hdf` followed by the
/// diagonal correction of `load_experimental_data` does. See the module documentation
/// for the selection rules of each layout.
///
/// # Errors
///
/// A typed [`XpcsError`] naming the file and the dataset, never a panic:
/// [`XpcsError::Io`] (missing or unreadable file), [`XpcsError::DataFile`] (not HDF5,
/// truncated or corrupt, a dataset of the wrong shape or element type, non-finite
/// values, no usable bin), [`XpcsError::MissingDataset`] (a dataset the layout needs),
/// [`XpcsError::FrameRange`] (frames outside the data), [`XpcsError::Wavevector`] (no
/// finite q, or none within [`LoadOptions::max_q_deviation`]), and
/// [`XpcsError::InvalidSetting`] for options that cannot be used (`dt <= 0`).
pub fn load_hdf5(path: impl AsRef<Path>, options: &LoadOptions) -> Result<LoadedXpcs, XpcsError> {
    let path = path.as_ref();
    options.check()?;
    let file = open_hdf5(path)?;
    match detect_layout(&file, path)? {
        SourceFormat::ApsU => load_aps_u(&file, path, options),
        _ => load_aps_old(&file, path, options),
    }
}

fn open_hdf5(path: &Path) -> Result<H5File, XpcsError> {
    // The operating system's word on a missing or unreadable file beats a parse error.
    File::open(path).map_err(|source| XpcsError::Io {
        path: path.to_path_buf(),
        action: "open".to_owned(),
        source,
    })?;
    H5File::open(path).map_err(|e| {
        XpcsError::data_file(
            path,
            "",
            format!(
                "cannot be read as HDF5 ({e}); give an APS or APS-U HDF5 file, or the \
                 package's .npz cache"
            ),
        )
    })
}

/// The member names of the group `group` (`""` for the root), in name order.
fn members(file: &H5File, group: &str) -> Option<Vec<String>> {
    let root = file.root_group();
    let handle = if group.is_empty() {
        root
    } else {
        root.group(group).ok()?
    };
    handle.link_names().ok()
}

fn has_member(file: &H5File, group: &str, name: &str) -> bool {
    members(file, group).is_some_and(|names| names.iter().any(|n| n == name))
}

fn detect_layout(file: &H5File, path: &Path) -> Result<SourceFormat, XpcsError> {
    if has_member(file, "xpcs/qmap", "dynamic_v_list_dim0")
        && has_member(file, "xpcs/twotime", "correlation_map")
    {
        return Ok(SourceFormat::ApsU);
    }
    if has_member(file, "xpcs", "dqlist")
        && has_member(file, "xpcs", "dphilist")
        && has_member(file, "exchange", "C2T_all")
    {
        return Ok(SourceFormat::ApsOld);
    }
    let top = members(file, "").unwrap_or_default();
    Err(XpcsError::MissingDataset {
        path: path.to_path_buf(),
        item: NO_LAYOUT_ITEM.to_owned(),
        message: format!(
            "an APS-U file has /{APS_U_Q_LIST} and /{APS_U_CORRELATION_MAP}; an older APS \
             file has /{APS_OLD_Q_LIST}, /{APS_OLD_PHI_LIST} and /{APS_OLD_C2T_ALL}; this \
             file's top level holds [{}]",
            top.join(", ")
        ),
    })
}

/// Opens dataset `name`, turning "not found" into [`XpcsError::MissingDataset`].
fn open_dataset(
    file: &H5File,
    path: &Path,
    name: &str,
    layout: &str,
) -> Result<H5Dataset, XpcsError> {
    file.dataset(name).map_err(|e| match e {
        Hdf5Error::NotFound(_) => XpcsError::MissingDataset {
            path: path.to_path_buf(),
            item: format!("dataset /{name}"),
            message: format!("the {layout} layout needs it"),
        },
        other => XpcsError::data_file(
            path,
            format!("/{name}"),
            format!("cannot be opened ({other})"),
        ),
    })
}

/// `64-bit float`, `32-bit signed integer`, ... for messages.
fn datatype_text(datatype: &DatatypeMessage) -> String {
    match datatype {
        DatatypeMessage::FixedPoint { size, signed, .. } => format!(
            "{}-bit {} integers",
            size * 8,
            if *signed { "signed" } else { "unsigned" }
        ),
        DatatypeMessage::FloatingPoint { size, .. } => format!("{}-bit floats", size * 8),
        DatatypeMessage::FixedString { .. } => "fixed-length strings".to_owned(),
        DatatypeMessage::Compound { .. } => "compound values".to_owned(),
        other => {
            let text = format!("{other:?}");
            let name = text.split([' ', '(', '{']).next().unwrap_or("unknown");
            format!("{name} values")
        }
    }
}

/// A numeric dataset read whole as `f64` (floats widened exactly, integers converted
/// when exact), with its shape.
fn read_numbers(
    file: &H5File,
    path: &Path,
    name: &str,
    layout: &str,
) -> Result<(Vec<f64>, Vec<usize>), XpcsError> {
    let dataset = open_dataset(file, path, name, layout)?;
    let item = format!("/{name}");
    let fail = |message: String| XpcsError::data_file(path, &item, message);
    let datatype = dataset
        .datatype()
        .map_err(|e| fail(format!("cannot read its element type ({e})")))?;
    let shape = dataset.shape();
    let values = match datatype {
        DatatypeMessage::FloatingPoint { .. } => dataset
            .read_numeric_as::<f64>()
            .map_err(|e| fail(format!("cannot be read ({e})")))?,
        DatatypeMessage::FixedPoint { .. } => {
            let ints = dataset
                .read_numeric_as::<i64>()
                .map_err(|e| fail(format!("cannot be read ({e})")))?;
            ints.into_iter().map(|v| v as f64).collect()
        }
        other => {
            return Err(fail(format!(
                "holds {}; give numbers",
                datatype_text(&other)
            )));
        }
    };
    Ok((values, shape))
}

/// A 1-D numeric dataset.
fn read_vector(
    file: &H5File,
    path: &Path,
    name: &str,
    layout: &str,
) -> Result<Vec<f64>, XpcsError> {
    let (values, shape) = read_numbers(file, path, name, layout)?;
    if shape.len() != 1 {
        return Err(XpcsError::data_file(
            path,
            format!("/{name}"),
            format!("has shape {shape:?}; the {layout} layout stores it as a 1-D list"),
        ));
    }
    Ok(values)
}

/// Row 0 of a `(1, N)` dataset, as the package's `f[name][0, :]`.
fn read_first_row(
    file: &H5File,
    path: &Path,
    name: &str,
    layout: &str,
) -> Result<Vec<f64>, XpcsError> {
    let (values, shape) = read_numbers(file, path, name, layout)?;
    match (
        shape.as_slice(),
        shape.get(1).and_then(|&n| values.get(..n)),
    ) {
        ([rows, _], Some(row)) if *rows >= 1 => Ok(row.to_vec()),
        _ => Err(XpcsError::data_file(
            path,
            format!("/{name}"),
            format!(
                "has shape {shape:?}; the {layout} layout stores it with shape (1, N) and \
                 reads row 0"
            ),
        )),
    }
}

/// One full matrix, sliced, before the diagonal correction.
struct FullMatrix {
    values: Vec<f64>,
    precision: Precision,
}

/// Reads frames `start..end` (0-based, on both axes) of the half matrix `name` and forms
/// `h + h^T` with the diagonal halved, in the dataset's precision.
fn read_full_matrix(
    dataset: &H5Dataset,
    path: &Path,
    item: &str,
    start: usize,
    end: usize,
) -> Result<FullMatrix, XpcsError> {
    let fail = |message: String| XpcsError::data_file(path, item, message);
    let m = end - start;
    let datatype = dataset
        .datatype()
        .map_err(|e| fail(format!("cannot read its element type ({e})")))?;
    let size = match datatype {
        DatatypeMessage::FloatingPoint { size, .. } if size == 4 || size == 8 => size,
        other => {
            return Err(fail(format!(
                "holds {}; a two-time matrix holds 32- or 64-bit floats",
                datatype_text(&other)
            )));
        }
    };
    let starts = [start, start];
    let counts = [m, m];
    if size == 4 {
        let h = dataset
            .read_numeric_slice_as::<f32>(&starts, &counts)
            .map_err(|e| fail(format!("cannot be read ({e})")))?;
        if h.len() != m * m {
            return Err(fail(format!(
                "returned {} values for {m} x {m} frames",
                h.len()
            )));
        }
        let mut values = Vec::with_capacity(m * m);
        for i in 0..m {
            for j in 0..m {
                // NumPy: c2_half + c2_half.T, then the diagonal /= 2, all in float32.
                let sum = h[i * m + j] + h[j * m + i];
                values.push(f64::from(if i == j { sum / 2.0 } else { sum }));
            }
        }
        Ok(FullMatrix {
            values,
            precision: Precision::Float32,
        })
    } else {
        let h = dataset
            .read_numeric_slice_as::<f64>(&starts, &counts)
            .map_err(|e| fail(format!("cannot be read ({e})")))?;
        if h.len() != m * m {
            return Err(fail(format!(
                "returned {} values for {m} x {m} frames",
                h.len()
            )));
        }
        let mut values = Vec::with_capacity(m * m);
        for i in 0..m {
            for j in 0..m {
                let sum = h[i * m + j] + h[j * m + i];
                values.push(if i == j { sum / 2.0 } else { sum });
            }
        }
        Ok(FullMatrix {
            values,
            precision: Precision::Float64,
        })
    }
}

/// 0-based `[start, end)` of the frames to keep out of `n`, as the package's
/// `_apply_frame_slicing_to_selected_q` computes it, except that a range past the data
/// is an error unless clamping is asked for.
fn frame_window(
    path: &Path,
    options: &LoadOptions,
    n: usize,
    warnings: &mut Vec<String>,
) -> Result<(usize, usize), XpcsError> {
    let range_error = |message: String| XpcsError::FrameRange {
        path: path.to_path_buf(),
        start_frame: options.start_frame,
        end_frame: options.end_frame,
        n_frames: n,
        message,
    };
    let start_frame = if options.start_frame < 1 {
        warnings.push(format!(
            "start_frame = {} < 1 was taken as 1, as the package takes it",
            options.start_frame
        ));
        1
    } else {
        options.start_frame
    };
    let start = usize::try_from(start_frame - 1).unwrap_or(usize::MAX);
    let mut end = if options.end_frame < 0 {
        n
    } else {
        usize::try_from(options.end_frame).unwrap_or(usize::MAX)
    };
    if end > n {
        if options.clamp_end_frame {
            warnings.push(format!(
                "end_frame = {} is past the last of the {n} frames; clamped to {n}, as the \
                 package clamps it",
                options.end_frame
            ));
            end = n;
        } else {
            return Err(range_error(format!(
                "the data hold frames 1 to {n}; set end_frame to at most {n}, or to -1 for \
                 the last frame"
            )));
        }
    }
    if start >= end {
        return Err(range_error(format!(
            "no frame is left; give 1 <= start_frame <= end_frame <= {n}"
        )));
    }
    Ok((start, end))
}

/// Index of the finite entry of `q` closest to `target` (the first of equals), as
/// NumPy's `argmin(|q - target|)` over the finite entries.
fn closest_finite(q: &[f64], target: f64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &v) in q.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let d = (v - target).abs();
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

fn check_deviation(
    path: &Path,
    options: &LoadOptions,
    selected: f64,
    available: &[f64],
) -> Result<(), XpcsError> {
    if let Some(max) = options.max_q_deviation {
        let deviation = (selected - options.wavevector_q).abs();
        if deviation > max {
            return Err(XpcsError::Wavevector {
                path: path.to_path_buf(),
                requested: options.wavevector_q,
                message: format!(
                    "the closest q in the file is {selected} ({deviation:.3e} away, more \
                     than the allowed {max:.3e}); the file holds q = {}",
                    summarize(available)
                ),
            });
        }
    }
    Ok(())
}

/// Without a configured q ([`LoadOptions::wavevector_q_configured`]): an error when the
/// file holds several q values (which one to fit is the user's choice, not the package
/// default's nearest), else a warning naming the q `used`.
fn unconfigured_q(
    path: &Path,
    options: &LoadOptions,
    available: &[f64],
    used: f64,
    warnings: &mut Vec<String>,
) -> Result<(), XpcsError> {
    if options.wavevector_q_configured {
        return Ok(());
    }
    let mut distinct: Vec<f64> = available
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() > 1 {
        return Err(XpcsError::config_value(
            matrix::WAVEVECTOR_KEY,
            format!(
                "is not set, and {} holds {} q values {}: give the one to fit, in 1/A \
                 (homodyne xpcs: --q)",
                path.display(),
                distinct.len(),
                summarize(available)
            ),
        ));
    }
    warnings.push(format!(
        "{} is not set: the only q of {}, {used} 1/A, was used",
        matrix::WAVEVECTOR_KEY,
        path.display()
    ));
    Ok(())
}

/// The distinct values of `q`, sorted, for messages.
fn summarize(q: &[f64]) -> String {
    let mut distinct: Vec<f64> = q.iter().copied().filter(|v| v.is_finite()).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let shown: Vec<String> = distinct.iter().take(12).map(|v| format!("{v}")).collect();
    let more = if distinct.len() > 12 {
        format!(", ... ({} distinct)", distinct.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

/// The matrices chosen from one layout, before they are read.
struct Selection {
    format: SourceFormat,
    /// The group holding the matrices.
    group: &'static str,
    entries: Vec<Selected>,
    selected_q: f64,
    warnings: Vec<String>,
}

/// One selected matrix: which member, and its q and phi.
struct Selected {
    position: usize,
    key: String,
    q: f64,
    phi: f64,
}

/// Reads the selected matrices, slices frames, stacks them, corrects the diagonals and
/// builds the [`LoadedXpcs`].
fn assemble(
    file: &H5File,
    path: &Path,
    options: &LoadOptions,
    selection: Selection,
) -> Result<LoadedXpcs, XpcsError> {
    let Selection {
        format,
        group,
        entries: selected,
        selected_q,
        mut warnings,
    } = selection;
    let layout = format.name();
    let mut window: Option<(usize, usize, usize)> = None;
    let mut c2_before = Vec::new();
    let mut any_f64 = false;
    let mut datasets = Vec::with_capacity(selected.len());
    for entry in &selected {
        let name = format!("{group}/{}", entry.key);
        let item = format!("/{name}");
        let dataset = file.dataset(&name).map_err(|e| match e {
            Hdf5Error::NotFound(_) => XpcsError::data_file(
                path,
                &item,
                "is not a dataset (a group or a dangling link); the group should hold only \
                 two-time matrices",
            ),
            other => XpcsError::data_file(path, &item, format!("cannot be opened ({other})")),
        })?;
        let shape = dataset.shape();
        let n = match shape.as_slice() {
            [a, b] if a == b => *a,
            _ => {
                return Err(XpcsError::data_file(
                    path,
                    &item,
                    format!("has shape {shape:?}; a two-time matrix is square, (frames, frames)"),
                ));
            }
        };
        let (start, end) = match window {
            Some((first_n, start, end)) => {
                if n != first_n {
                    return Err(XpcsError::data_file(
                        path,
                        &item,
                        format!(
                            "has {n} x {n} frames, while {} has {first_n} x {first_n}; the \
                             selected matrices must have the same frames",
                            datasets.first().map(String::as_str).unwrap_or("the first")
                        ),
                    ));
                }
                (start, end)
            }
            None => {
                let (start, end) = frame_window(path, options, n, &mut warnings)?;
                window = Some((n, start, end));
                (start, end)
            }
        };
        let full = read_full_matrix(&dataset, path, &item, start, end)?;
        any_f64 |= full.precision == Precision::Float64;
        c2_before.extend_from_slice(&full.values);
        datasets.push(item);
    }
    let (n_file, start, end) = window
        .ok_or_else(|| XpcsError::data_file(path, format!("/{group}"), "no matrix was selected"))?;
    let n_t = end - start;
    let mut c2 = c2_before.clone();
    let size = n_t * n_t;
    for (k, matrix) in c2.chunks_exact_mut(size).enumerate() {
        correct_diagonal(matrix, n_t)?;
        if let Some(p) = matrix.iter().position(|v| !v.is_finite()) {
            let (i, j) = (p / n_t, p % n_t);
            return Err(XpcsError::data_file(
                path,
                &datasets[k],
                format!(
                    "the value {} at frames ({}, {}) (1-based) is not finite; the fit needs \
                     finite data: choose other frames or repair the file",
                    matrix[p],
                    start + i + 1,
                    start + j + 1
                ),
            ));
        }
    }
    let phi: Vec<f64> = selected.iter().map(|s| s.phi).collect();
    let q_list: Vec<f64> = selected.iter().map(|s| s.q).collect();
    if let Some(k) = phi.iter().position(|v| !v.is_finite()) {
        let list = match format {
            SourceFormat::ApsU => APS_U_PHI_LIST,
            _ => APS_OLD_PHI_LIST,
        };
        return Err(XpcsError::data_file(
            path,
            format!("/{list}"),
            format!(
                "the angle of {} is {}, not a finite number of degrees",
                datasets[k], phi[k]
            ),
        ));
    }
    let t = loader_times(options.dt, n_t);
    let data = CorrelationData::new(q_list[0], options.dt, phi, n_t, c2).map_err(|e| {
        XpcsError::data_file(path, format!("/{group}"), format!("{layout} data: {e}"))
    })?;
    Ok(LoadedXpcs {
        data,
        t,
        wavevector_q_list: q_list,
        selected_q: Some(selected_q),
        c2_before_correction: c2_before,
        precision: if any_f64 {
            Precision::Float64
        } else {
            Precision::Float32
        },
        format,
        path: path.to_path_buf(),
        source_indices: selected.iter().map(|s| s.position).collect(),
        source_datasets: datasets,
        n_frames_in_file: Some(n_file),
        frames: Some((start + 1, end)),
        cache_metadata: None,
        cache_written: None,
        warnings,
    })
}

fn load_aps_u(file: &H5File, path: &Path, options: &LoadOptions) -> Result<LoadedXpcs, XpcsError> {
    let layout = "APS-U";
    let mut warnings = Vec::new();
    let bins = read_vector(file, path, APS_U_PROCESSED_BINS, layout)?;
    let q_values = read_vector(file, path, APS_U_Q_LIST, layout)?;
    let phi_values = read_vector(file, path, APS_U_PHI_LIST, layout)?;
    let (n_q, n_phi) = (q_values.len() as i64, phi_values.len() as i64);
    if n_q == 0 || n_phi == 0 {
        return Err(XpcsError::data_file(
            path,
            format!(
                "/{}",
                if n_q == 0 {
                    APS_U_Q_LIST
                } else {
                    APS_U_PHI_LIST
                }
            ),
            "is empty; the APS-U layout needs at least one q and one phi value",
        ));
    }
    let keys = members(file, APS_U_CORRELATION_MAP).ok_or_else(|| XpcsError::MissingDataset {
        path: path.to_path_buf(),
        item: format!("group /{APS_U_CORRELATION_MAP}"),
        message: "the APS-U layout needs it".to_owned(),
    })?;
    // members() lists in byte order of the names: Python's sorted() of str keys.
    let mut pairs = Vec::new();
    for (i, &bin) in bins.iter().enumerate() {
        if bin.fract() != 0.0 || !bin.is_finite() {
            return Err(XpcsError::data_file(
                path,
                format!("/{APS_U_PROCESSED_BINS}"),
                format!("entry {i} is {bin}, not an integer bin id"),
            ));
        }
        let b = bin as i64 - 1;
        let q_idx = b.div_euclid(n_phi);
        let phi_idx = b.rem_euclid(n_phi);
        if !(0..n_q).contains(&q_idx) {
            warnings.push(format!(
                "processed bin {bin} (entry {i}) maps to q index {q_idx}, outside the {n_q} q \
                 values; skipped, as the package skips it"
            ));
            continue;
        }
        if i >= keys.len() {
            warnings.push(format!(
                "processed bin {bin} (entry {i}) has no matrix: /{APS_U_CORRELATION_MAP} holds \
                 {} members; dropped, as the package drops it",
                keys.len()
            ));
            continue;
        }
        pairs.push(Selected {
            position: i,
            key: keys[i].clone(),
            q: q_values[q_idx as usize],
            phi: phi_values[phi_idx as usize],
        });
    }
    if pairs.is_empty() {
        return Err(XpcsError::data_file(
            path,
            format!("/{APS_U_PROCESSED_BINS}"),
            format!(
                "no processed bin maps to a (q, phi) pair with a matrix ({} bins, {n_q} q x \
                 {n_phi} phi values, {} matrices)",
                bins.len(),
                keys.len()
            ),
        ));
    }
    let pair_q: Vec<f64> = pairs.iter().map(|p| p.q).collect();
    let closest =
        closest_finite(&pair_q, options.wavevector_q).ok_or_else(|| XpcsError::Wavevector {
            path: path.to_path_buf(),
            requested: options.wavevector_q,
            message: format!("every q of the processed bins in /{APS_U_Q_LIST} is NaN or infinite"),
        })?;
    let selected_q = pair_q[closest];
    unconfigured_q(path, options, &pair_q, selected_q, &mut warnings)?;
    check_deviation(path, options, selected_q, &pair_q)?;
    let selected: Vec<Selected> = pairs
        .into_iter()
        .filter(|p| (p.q - selected_q).abs() < APS_U_Q_MATCH)
        .collect();
    let selection = Selection {
        format: SourceFormat::ApsU,
        group: APS_U_CORRELATION_MAP,
        entries: selected,
        selected_q,
        warnings,
    };
    assemble(file, path, options, selection)
}

fn load_aps_old(
    file: &H5File,
    path: &Path,
    options: &LoadOptions,
) -> Result<LoadedXpcs, XpcsError> {
    let layout = "older APS";
    let mut warnings = Vec::new();
    let dq = read_first_row(file, path, APS_OLD_Q_LIST, layout)?;
    let dphi = read_first_row(file, path, APS_OLD_PHI_LIST, layout)?;
    if dphi.len() != dq.len() {
        return Err(XpcsError::data_file(
            path,
            format!("/{APS_OLD_PHI_LIST}"),
            format!(
                "holds {} angles for the {} q values of /{APS_OLD_Q_LIST}; give one per matrix",
                dphi.len(),
                dq.len()
            ),
        ));
    }
    let group = file.root_group().group(APS_OLD_C2T_ALL).map_err(|e| {
        XpcsError::data_file(
            path,
            format!("/{APS_OLD_C2T_ALL}"),
            format!("cannot be opened ({e})"),
        )
    })?;
    let keys = group.link_names().map_err(|e| {
        XpcsError::data_file(
            path,
            format!("/{APS_OLD_C2T_ALL}"),
            format!("cannot be listed ({e})"),
        )
    })?;
    if keys.is_empty() {
        return Err(XpcsError::data_file(
            path,
            format!("/{APS_OLD_C2T_ALL}"),
            "holds no correlation matrix",
        ));
    }
    if matches!(
        group.link_creation_order(),
        Ok(CreationOrder::Tracked | CreationOrder::Indexed)
    ) {
        warnings.push(format!(
            "/{APS_OLD_C2T_ALL} tracks creation order: its members were taken in name order, \
             while h5py (and so the package) lists them in creation order"
        ));
    }
    let closest =
        closest_finite(&dq, options.wavevector_q).ok_or_else(|| XpcsError::Wavevector {
            path: path.to_path_buf(),
            requested: options.wavevector_q,
            message: format!("every entry of /{APS_OLD_Q_LIST} is NaN or infinite"),
        })?;
    let selected_q = dq[closest];
    unconfigured_q(path, options, &dq, selected_q, &mut warnings)?;
    check_deviation(path, options, selected_q, &dq)?;
    let tolerance = selected_q * options.q_tolerance_fraction;
    let mut indices: Vec<usize> = (0..dq.len())
        .filter(|&i| (dq[i] - selected_q).abs() <= tolerance)
        .collect();
    if indices.len() < APS_OLD_MIN_MATCHES {
        let mut order: Vec<usize> = (0..dq.len()).filter(|&i| dq[i].is_finite()).collect();
        // Stable: ties keep index order (NumPy's argsort leaves their order unspecified).
        order.sort_by(|&a, &b| {
            (dq[a] - selected_q)
                .abs()
                .total_cmp(&(dq[b] - selected_q).abs())
        });
        order.truncate(APS_OLD_EXPANDED);
        warnings.push(format!(
            "only {} entries lie within {} of q = {selected_q}; took the {} entries closest \
             in q instead, as the package does (q = {})",
            indices.len(),
            options.q_tolerance_fraction,
            order.len(),
            summarize(&order.iter().map(|&i| dq[i]).collect::<Vec<_>>())
        ));
        indices = order;
    }
    let mut selected = Vec::with_capacity(indices.len());
    for i in indices {
        let key = keys.get(i).ok_or_else(|| {
            XpcsError::data_file(
                path,
                format!("/{APS_OLD_C2T_ALL}"),
                format!(
                    "holds {} members, but entry {i} of /{APS_OLD_Q_LIST} needs member {i}",
                    keys.len()
                ),
            )
        })?;
        selected.push(Selected {
            position: i,
            key: key.clone(),
            q: dq[i],
            phi: dphi[i],
        });
    }
    let selection = Selection {
        format: SourceFormat::ApsOld,
        group: APS_OLD_C2T_ALL,
        entries: selected,
        selected_q,
        warnings,
    };
    assemble(file, path, options, selection)
}

// ---------------------------------------------------------------------------------------
// NPZ cache
// ---------------------------------------------------------------------------------------

const CACHE_KEYS: [&str; 5] = ["wavevector_q_list", "phi_angles_list", "t1", "t2", "c2_exp"];

fn open_zip(path: &Path) -> Result<zip::ZipArchive<File>, XpcsError> {
    let file = File::open(path).map_err(|source| XpcsError::Io {
        path: path.to_path_buf(),
        action: "open".to_owned(),
        source,
    })?;
    zip::ZipArchive::new(file).map_err(|e| {
        XpcsError::data_file(
            path,
            "",
            format!("cannot be read as a NumPy .npz archive ({e}); give the package's cache"),
        )
    })
}

/// The member `key.npy` (or `key`) decoded, or `None` when absent.
fn read_member(
    archive: &mut zip::ZipArchive<File>,
    path: &Path,
    key: &str,
) -> Result<Option<npy::Array>, XpcsError> {
    let fail = |message: String| XpcsError::data_file(path, key, message);
    let name = [format!("{key}.npy"), key.to_owned()]
        .into_iter()
        .find(|n| archive.index_for_name(n).is_some());
    let Some(name) = name else {
        return Ok(None);
    };
    let mut member = archive
        .by_name(&name)
        .map_err(|e| fail(format!("cannot be opened ({e})")))?;
    let mut bytes = Vec::new();
    member
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot be decompressed ({e})")))?;
    npy::parse(&bytes).map(Some).map_err(fail)
}

/// Every array of a NumPy `.npz` archive, in archive order, named as `numpy.load` names
/// them (the member name without `.npy`).
///
/// # Errors
///
/// [`XpcsError::Io`] when the file cannot be opened, [`XpcsError::DataFile`] naming the
/// member when the archive or a member cannot be read or decoded.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, npy::Array)>, XpcsError> {
    let path = path.as_ref();
    let mut archive = open_zip(path)?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| XpcsError::data_file(path, "", format!("cannot list its members ({e})")))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_owned();
        if let Some(array) = read_member(&mut archive, path, &key)? {
            out.push((key, array));
        }
    }
    Ok(out)
}

fn numbers(array: npy::Array, path: &Path, key: &str) -> Result<Vec<f64>, XpcsError> {
    match array.values {
        npy::Values::Numbers(v) => Ok(v),
        npy::Values::Strings(_) => Err(XpcsError::data_file(
            path,
            key,
            format!("holds strings ({}); give numbers", array.descr),
        )),
    }
}

fn metadata_from_json(
    text: &str,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<CacheMetadata, XpcsError> {
    let parsed = serde_json::from_str::<serde_json::Value>(text).or_else(|first| {
        // Python's json writes NaN and Infinity as bare tokens; JSON has no such values.
        let cleaned = text
            .replace("-Infinity", "null")
            .replace("Infinity", "null")
            .replace("NaN", "null");
        serde_json::from_str::<serde_json::Value>(&cleaned).map_err(|_| first)
    });
    let value = parsed.map_err(|e| {
        XpcsError::data_file(
            path,
            "cache_metadata_json",
            format!("is not valid JSON ({e}); delete the cache so that it is written anew"),
        )
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(XpcsError::data_file(
            path,
            "cache_metadata_json",
            "is not a JSON object; delete the cache so that it is written anew",
        ));
    };
    let mut field_warning = |field: &str, value: &serde_json::Value| {
        warnings.push(format!(
            "cache_metadata_json field {field} = {value} has an unexpected type; ignored"
        ));
    };
    let mut number = |field: &str| -> Option<f64> {
        let value = map.get(field)?;
        match value {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::Null => Some(f64::NAN),
            other => {
                field_warning(field, other);
                None
            }
        }
    };
    let config_wavevector_q = number("config_wavevector_q");
    let actual_wavevector_q = number("actual_wavevector_q");
    let q_variance = number("q_variance");
    let integer = |field: &str, warnings: &mut Vec<String>| -> Option<i64> {
        let value = map.get(field)?;
        let n = value.as_i64();
        if n.is_none() {
            warnings.push(format!(
                "cache_metadata_json field {field} = {value} is not an integer; ignored"
            ));
        }
        n
    };
    let q_count = integer("q_count", warnings);
    let start_frame = integer("start_frame", warnings);
    let end_frame = integer("end_frame", warnings);
    let phi_count = integer("phi_count", warnings);
    Ok(CacheMetadata {
        config_wavevector_q,
        actual_wavevector_q,
        q_variance,
        q_count,
        start_frame,
        end_frame,
        phi_count,
        cache_version: map
            .get("cache_version")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        selective_q_caching: map.get("selective_q_caching").and_then(|v| v.as_bool()),
    })
}

/// Loads the package's `.npz` cache (or a `.npz` data file with its keys):
/// `wavevector_q_list`, `phi_angles_list`, `t1`, `t2` (1-D), `c2_exp` (`(n_phi, N, N)`,
/// not diagonal-corrected) and the optional `cache_metadata_json`, then applies the
/// diagonal correction as the package does after loading. Frames are not sliced again:
/// a cache holds the frames it was written with. `options.dt` becomes `data.dt`; the
/// times are the cached `t1`.
///
/// As in the package, a cache whose configured q differs from `options.wavevector_q`
/// by more than 1e-8 is used with a warning, and a legacy `cache_metadata` object array
/// or 2-D time arrays are refused.
///
/// # Errors
///
/// [`XpcsError::Io`] (missing or unreadable file), [`XpcsError::DataFile`] (not a zip
/// archive, a member that is not a `.npy` array, arrays of the wrong shape or type,
/// non-finite values, malformed metadata), [`XpcsError::MissingDataset`] (a required
/// key is absent), [`XpcsError::InvalidSetting`] (unusable options).
pub fn load_npz_cache(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<LoadedXpcs, XpcsError> {
    let path = path.as_ref();
    options.check()?;
    let mut archive = open_zip(path)?;
    let mut warnings = Vec::new();
    let metadata = match read_member(&mut archive, path, "cache_metadata_json")? {
        Some(array) => {
            let text = match array.values {
                npy::Values::Strings(s) if s.len() == 1 => s.into_iter().next().unwrap_or_default(),
                _ => {
                    return Err(XpcsError::data_file(
                        path,
                        "cache_metadata_json",
                        format!(
                            "is a {} array of shape {:?}, not one string",
                            array.descr, array.shape
                        ),
                    ));
                }
            };
            Some(metadata_from_json(&text, path, &mut warnings)?)
        }
        None => {
            if archive.index_for_name("cache_metadata.npy").is_some() {
                return Err(XpcsError::data_file(
                    path,
                    "cache_metadata",
                    "is the legacy object-array metadata, which the package refuses too; \
                     delete the cache so that it is written anew",
                ));
            }
            None
        }
    };
    let mut arrays = Vec::with_capacity(CACHE_KEYS.len());
    for key in CACHE_KEYS {
        let array =
            read_member(&mut archive, path, key)?.ok_or_else(|| XpcsError::MissingDataset {
                path: path.to_path_buf(),
                item: format!("key {key}"),
                message: format!("a homodyne cache holds {}", CACHE_KEYS.join(", ")),
            })?;
        arrays.push(array);
    }
    let mut arrays = arrays.into_iter();
    let mut next = |key: &str| {
        arrays
            .next()
            .ok_or_else(|| XpcsError::data_file(path, key, "is missing"))
    };
    let q_array = next("wavevector_q_list")?;
    let phi_array = next("phi_angles_list")?;
    let t1_array = next("t1")?;
    let t2_array = next("t2")?;
    let c2_array = next("c2_exp")?;
    for (array, key) in [(&t1_array, "t1"), (&t2_array, "t2")] {
        if array.shape.len() != 1 {
            return Err(XpcsError::data_file(
                path,
                key,
                format!(
                    "has shape {:?}: the old 2-D meshgrid cache format, which the package \
                     refuses too; delete the cache so that it is written anew",
                    array.shape
                ),
            ));
        }
    }
    for (array, key) in [
        (&q_array, "wavevector_q_list"),
        (&phi_array, "phi_angles_list"),
    ] {
        if array.shape.len() != 1 {
            return Err(XpcsError::data_file(
                path,
                key,
                format!("has shape {:?}; give a 1-D list", array.shape),
            ));
        }
    }
    let (n_phi, n_t) = match c2_array.shape.as_slice() {
        [k, a, b] if a == b => (*k, *a),
        other => {
            return Err(XpcsError::data_file(
                path,
                "c2_exp",
                format!("has shape {other:?}; give (angles, frames, frames)"),
            ));
        }
    };
    if n_t == 0 {
        return Err(XpcsError::data_file(
            path,
            "c2_exp",
            format!("has shape {:?}: no frame", c2_array.shape),
        ));
    }
    let precision = match c2_array.stored {
        npy::Stored::F32 => Precision::Float32,
        npy::Stored::F64 | npy::Stored::Int => Precision::Float64,
        npy::Stored::Unicode => {
            return Err(XpcsError::data_file(
                path,
                "c2_exp",
                "holds strings; give numbers",
            ));
        }
    };
    let q_list = numbers(q_array, path, "wavevector_q_list")?;
    let phi = numbers(phi_array, path, "phi_angles_list")?;
    let t = numbers(t1_array, path, "t1")?;
    let t2 = numbers(t2_array, path, "t2")?;
    let c2_before = numbers(c2_array, path, "c2_exp")?;
    if t.len() != n_t {
        return Err(XpcsError::data_file(
            path,
            "t1",
            format!("holds {} times for the {n_t} frames of c2_exp", t.len()),
        ));
    }
    if t2 != t {
        warnings.push("t2 differs from t1; t1 was used, as the package's fit uses it".to_owned());
    }
    if phi.len() != n_phi {
        return Err(XpcsError::data_file(
            path,
            "phi_angles_list",
            format!(
                "holds {} angles for the {n_phi} matrices of c2_exp",
                phi.len()
            ),
        ));
    }
    if let Some(k) = phi.iter().position(|v| !v.is_finite()) {
        return Err(XpcsError::data_file(
            path,
            "phi_angles_list",
            format!("angle {k} is {}, not a finite number of degrees", phi[k]),
        ));
    }
    let Some(&q) = q_list.first() else {
        return Err(XpcsError::data_file(path, "wavevector_q_list", "is empty"));
    };
    if !q.is_finite() {
        return Err(XpcsError::Wavevector {
            path: path.to_path_buf(),
            requested: options.wavevector_q,
            message: format!("the cache's first q (the one fitted) is {q}"),
        });
    }
    if !options.wavevector_q_configured {
        warnings.push(format!(
            "{} is not set: the cache's q, {q} 1/A (the first of its q list, the one the \
             package fits), was used",
            matrix::WAVEVECTOR_KEY
        ));
    }
    if n_t >= 2 {
        let spacing = t[1] - t[0];
        if (spacing - options.dt).abs() > 1e-9 * options.dt.abs().max(spacing.abs()) {
            warnings.push(format!(
                "the cached times are {spacing} s apart, but dt = {}; the cached times were kept",
                options.dt
            ));
        }
    }
    if let Some(meta) = &metadata {
        if let Some(cached_q) = meta.config_wavevector_q
            && options.wavevector_q_configured
            && (options.wavevector_q - cached_q).abs() > 1e-8
        {
            warnings.push(format!(
                "cache q-vector mismatch: configured {}, cached {cached_q} 1/A; the cache was \
                 used anyway, as the package uses it (its default cache name has no q in it)",
                options.wavevector_q
            ));
        }
        if meta.selective_q_caching != Some(true) {
            warnings.push("legacy cache without selective q-vector caching".to_owned());
        }
        if let (Some(s), Some(e)) = (meta.start_frame, meta.end_frame)
            && (s != options.start_frame || (options.end_frame >= 0 && e != options.end_frame))
        {
            warnings.push(format!(
                "the cache holds frames [{s}, {e}], but frames [{}, {}] are configured; the \
                 cached frames were used",
                options.start_frame, options.end_frame
            ));
        }
    }
    let mut c2 = c2_before.clone();
    for (k, matrix) in c2.chunks_exact_mut(n_t * n_t).enumerate() {
        correct_diagonal(matrix, n_t)?;
        if let Some(p) = matrix.iter().position(|v| !v.is_finite()) {
            return Err(XpcsError::data_file(
                path,
                format!("c2_exp[{k}]"),
                format!(
                    "the value {} at frame indices ({}, {}) is not finite; the fit needs \
                     finite data",
                    matrix[p],
                    p / n_t,
                    p % n_t
                ),
            ));
        }
    }
    let data = CorrelationData::new(q, options.dt, phi, n_t, c2)
        .map_err(|e| XpcsError::data_file(path, "c2_exp", e.to_string()))?;
    Ok(LoadedXpcs {
        data,
        t,
        wavevector_q_list: q_list,
        selected_q: None,
        c2_before_correction: c2_before,
        precision,
        format: SourceFormat::NpzCache,
        path: path.to_path_buf(),
        source_indices: (0..n_phi).collect(),
        source_datasets: (0..n_phi).map(|k| format!("c2_exp[{k}]")).collect(),
        n_frames_in_file: None,
        frames: None,
        cache_metadata: metadata,
        cache_written: None,
        warnings,
    })
}

/// NumPy's pairwise summation (`np.add.reduce` on a contiguous float64 array), so that
/// the cache's mean and standard deviation match the package's to the last bit.
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.nanmean` and `np.nanstd` (ddof 0) as NumPy computes them.
fn nan_mean_std(values: &[f64]) -> (f64, f64) {
    let count = values.iter().filter(|v| !v.is_nan()).count();
    let zeroed: Vec<f64> = values
        .iter()
        .map(|&v| if v.is_nan() { 0.0 } else { v })
        .collect();
    let mean = pairwise_sum(&zeroed) / count as f64;
    let squares: Vec<f64> = values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                0.0
            } else {
                let d = v - mean;
                d * d
            }
        })
        .collect();
    let std = (pairwise_sum(&squares) / count as f64).sqrt();
    (mean, std)
}

/// A float as Python's `repr` (and so `json.dumps`) writes it: the shortest digits that
/// read back to the same value, fixed notation for exponents -4..16, else `1e-05` style.
pub(crate) fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{sign}{}.{}", &digits[..point], &digits[point..])
            }
        } else {
            let zeros = "0".repeat((-exponent - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let body = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{body}e{esign}{:02}", exponent.unsigned_abs())
    }
}

/// The `cache_metadata_json` text the package writes for `loaded` under `options`,
/// byte for byte (`json.dumps` of the same dict, in the same key order).
pub fn cache_metadata_json(loaded: &LoadedXpcs, options: &LoadOptions) -> String {
    let q = &loaded.wavevector_q_list;
    let (mean, std) = nan_mean_std(q);
    let actual = if q.is_empty() {
        options.wavevector_q
    } else {
        mean
    };
    let variance = if q.len() > 1 { std } else { 0.0 };
    let end_frame = if options.end_frame != -1 {
        options.end_frame
    } else {
        loaded.data.n_t as i64 + options.start_frame - 1
    };
    format!(
        "{{\"config_wavevector_q\": {}, \"actual_wavevector_q\": {}, \"q_variance\": {}, \
         \"q_count\": {}, \"start_frame\": {}, \"end_frame\": {}, \"phi_count\": {}, \
         \"cache_version\": \"2.0\", \"selective_q_caching\": true}}",
        python_float(options.wavevector_q),
        python_float(actual),
        python_float(variance),
        q.len(),
        options.start_frame,
        end_frame,
        loaded.data.phi.len()
    )
}

/// Writes `loaded` as the package's cache: `wavevector_q_list`, `phi_angles_list`, `t1`,
/// `t2` (float64), `c2_exp` (the matrices *before* the diagonal correction, in
/// [`LoadedXpcs::precision`]) and `cache_metadata_json`, deflate-compressed as
/// `np.savez_compressed` writes them when `compress` (the package's
/// `experimental_data.cache_compression`, default true), else stored. The members'
/// `.npy` headers are laid out as NumPy lays them out, so `numpy.load` and the package
/// read the file as one of their own.
///
/// The file is written next to `path` and renamed into place, so a failed write never
/// leaves a damaged cache; missing parent folders are created.
///
/// # Errors
///
/// [`XpcsError::Io`] when the folder or file cannot be created or written.
pub fn write_npz_cache(
    path: impl AsRef<Path>,
    loaded: &LoadedXpcs,
    options: &LoadOptions,
    compress: bool,
) -> Result<(), XpcsError> {
    let path = path.as_ref();
    let io_error = |action: &str, source: std::io::Error| XpcsError::Io {
        path: path.to_path_buf(),
        action: action.to_owned(),
        source,
    };
    let encode_error = |key: &str, message: String| XpcsError::data_file(path, key, message);
    let n_phi = loaded.data.phi.len();
    let n_t = loaded.data.n_t;
    let c2_shape = [n_phi, n_t, n_t];
    let members: Vec<(&str, Vec<u8>)> = vec![
        (
            "wavevector_q_list",
            npy::encode_f64(&[loaded.wavevector_q_list.len()], &loaded.wavevector_q_list)
                .map_err(|e| encode_error("wavevector_q_list", e))?,
        ),
        (
            "phi_angles_list",
            npy::encode_f64(&[n_phi], &loaded.data.phi)
                .map_err(|e| encode_error("phi_angles_list", e))?,
        ),
        (
            "t1",
            npy::encode_f64(&[loaded.t.len()], &loaded.t).map_err(|e| encode_error("t1", e))?,
        ),
        (
            "t2",
            npy::encode_f64(&[loaded.t.len()], &loaded.t).map_err(|e| encode_error("t2", e))?,
        ),
        (
            "c2_exp",
            match loaded.precision {
                Precision::Float32 => npy::encode_f32(&c2_shape, &loaded.c2_before_correction),
                Precision::Float64 => npy::encode_f64(&c2_shape, &loaded.c2_before_correction),
            }
            .map_err(|e| encode_error("c2_exp", e))?,
        ),
        (
            "cache_metadata_json",
            npy::encode_unicode_scalar(&cache_metadata_json(loaded, options))
                .map_err(|e| encode_error("cache_metadata_json", e))?,
        ),
    ];
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| io_error("create the folder of", e))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cache.npz".to_owned());
    let temporary = path.with_file_name(format!(".{file_name}.{}.partial", std::process::id()));
    let result = (|| -> Result<(), XpcsError> {
        let file = File::create(&temporary).map_err(|e| io_error("create", e))?;
        let mut writer = zip::ZipWriter::new(file);
        let method = if compress {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        for (key, bytes) in &members {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
            writer
                .start_file(format!("{key}.npy"), options)
                .map_err(|e| io_error("write", std::io::Error::other(e)))?;
            writer.write_all(bytes).map_err(|e| io_error("write", e))?;
        }
        let file = writer
            .finish()
            .map_err(|e| io_error("write", std::io::Error::other(e)))?;
        file.sync_all().map_err(|e| io_error("write", e))?;
        std::fs::rename(&temporary, path).map_err(|e| io_error("write", e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

// ---------------------------------------------------------------------------------------
// The package's load_experimental_data
// ---------------------------------------------------------------------------------------

/// The cache file name the package derives from its template
/// (`experimental_data.cache_filename_template`): an old `{var}` / `{var:fmt}` template
/// is first turned into `${var}` (when it has no `$`), then `$start_frame`,
/// `$end_frame` (as written in the configuration) and `$wavevector_q` (formatted
/// `.4f`) are substituted as Python's `string.Template.safe_substitute` does: `$$` is a
/// `$`, unknown placeholders are kept.
///
/// # Errors
///
/// [`XpcsError::ConfigValue`] for `experimental_data.cache_filename_template` when the
/// name contains `/` or `..`, which the package refuses too.
pub fn cache_file_name(
    template: &str,
    start_frame: i64,
    end_frame: i64,
    wavevector_q: f64,
) -> Result<String, XpcsError> {
    let template = migrate_template(template);
    let lookup = |name: &str| -> Option<String> {
        match name {
            "start_frame" => Some(start_frame.to_string()),
            "end_frame" => Some(end_frame.to_string()),
            "wavevector_q" => Some(format!("{wavevector_q:.4}")),
            _ => None,
        }
    };
    let is_start = |c: char| c == '_' || c.is_ascii_alphabetic();
    let is_rest = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let start = i + 2;
                let mut j = start;
                if chars.get(j).is_some_and(|&c| is_start(c)) {
                    j += 1;
                    while chars.get(j).is_some_and(|&c| is_rest(c)) {
                        j += 1;
                    }
                }
                if j > start && chars.get(j) == Some(&'}') {
                    let name: String = chars[start..j].iter().collect();
                    match lookup(&name) {
                        Some(v) => out.push_str(&v),
                        None => out.extend(&chars[i..=j]),
                    }
                    i = j + 1;
                } else {
                    out.push('$');
                    i += 1;
                }
            }
            Some(&c) if is_start(c) => {
                let start = i + 1;
                let mut j = start + 1;
                while chars.get(j).is_some_and(|&c| is_rest(c)) {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                match lookup(&name) {
                    Some(v) => out.push_str(&v),
                    None => out.extend(&chars[i..j]),
                }
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    if out.contains(std::path::MAIN_SEPARATOR) || out.contains('/') || out.contains("..") {
        return Err(XpcsError::config_value(
            "experimental_data.cache_filename_template",
            format!("gives the file name '{out}', which must not contain '/' or '..'"),
        ));
    }
    Ok(out)
}

/// The package's `_migrate_cache_template`: `{name}` and `{name:spec}` become `${name}`
/// when the template has no `$`.
fn migrate_template(template: &str) -> String {
    if template.contains('$') {
        return template.to_owned();
    }
    let word = |c: char| c == '_' || c.is_alphanumeric();
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            let start = i + 1;
            let mut j = start;
            while chars.get(j).is_some_and(|&c| word(c)) {
                j += 1;
            }
            if j > start {
                let mut k = j;
                if chars.get(k) == Some(&':') {
                    k += 1;
                    while chars.get(k).is_some_and(|&c| c != '}') {
                        k += 1;
                    }
                }
                if chars.get(k) == Some(&'}') {
                    out.push_str("${");
                    out.extend(&chars[start..j]);
                    out.push('}');
                    i = k + 1;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Where the package looks for data and its cache (`experimental_data`, and
/// `v2_features.cache_strategy`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataLocation {
    /// `experimental_data.data_folder_path`.
    pub data_folder: PathBuf,
    /// `experimental_data.data_file_name`: an HDF5 file, or a `.npz` read as a cache.
    pub data_file_name: String,
    /// `experimental_data.cache_file_path`; `None` means the data folder.
    pub cache_folder: Option<PathBuf>,
    /// `experimental_data.cache_filename_template`.
    pub cache_filename_template: String,
    /// `experimental_data.cache_compression`.
    pub cache_compression: bool,
    /// False when `v2_features.cache_strategy` is `none`: no cache is read or written.
    pub use_cache: bool,
    /// `experimental_data.format`: which reader the data file goes to.
    pub format: DataFormat,
    /// `experimental_data.dataset` and `.triangle`: where a bare matrix is in its file.
    pub matrix: MatrixSource,
}

impl DataLocation {
    /// The package's defaults for `data_file_name` in `data_folder`.
    pub fn new(data_folder: impl Into<PathBuf>, data_file_name: impl Into<String>) -> Self {
        Self {
            data_folder: data_folder.into(),
            data_file_name: data_file_name.into(),
            cache_folder: None,
            cache_filename_template: DEFAULT_CACHE_TEMPLATE.to_owned(),
            cache_compression: true,
            use_cache: true,
            format: DataFormat::Auto,
            matrix: MatrixSource::default(),
        }
    }

    /// The data file, `data_folder/data_file_name`.
    pub fn data_path(&self) -> PathBuf {
        self.data_folder.join(&self.data_file_name)
    }

    /// The cache file for `options` (see [`cache_file_name`]).
    pub fn cache_path(&self, options: &LoadOptions) -> Result<PathBuf, XpcsError> {
        let name = cache_file_name(
            &self.cache_filename_template,
            options.start_frame,
            options.end_frame,
            options.wavevector_q,
        )?;
        Ok(self
            .cache_folder
            .as_ref()
            .unwrap_or(&self.data_folder)
            .join(name))
    }
}

/// Loads data: a bare matrix ([`matrix::is_bare_matrix`]) with [`load_matrix`], with
/// no cache; anything else in the package's order (`load_experimental_data`): a data
/// file ending in `.npz` is read as a cache; otherwise an existing cache is read (unless
/// [`DataLocation::use_cache`] is false); otherwise the HDF5 file is read and, when
/// caching, the cache written ([`LoadedXpcs::cache_written`]). The diagonal correction
/// is applied in every case. Angles configured for a bare matrix
/// ([`LoadOptions::phi_angles`]) are ignored for the package's files, with a warning.
///
/// # Errors
///
/// Those of [`load_matrix`], [`load_hdf5`] and [`load_npz_cache`]; [`XpcsError::Io`]
/// naming both paths when neither the cache nor the HDF5 file exists;
/// [`XpcsError::ConfigValue`] for an unsafe cache file name. An HDF5 file with neither
/// APS layout is an [`XpcsError::MissingDataset`] that also says how to read it as a
/// bare matrix. A cache that cannot be written is a warning.
pub fn load_experimental_data(
    location: &DataLocation,
    options: &LoadOptions,
) -> Result<LoadedXpcs, XpcsError> {
    if matrix::is_bare_matrix(location)? {
        return load_matrix(location.data_path(), &location.matrix, options);
    }
    let mut loaded = load_package_data(location, options).map_err(|e| match e {
        XpcsError::MissingDataset {
            ref path, ref item, ..
        } if item == NO_LAYOUT_ITEM && location.format == DataFormat::Auto => {
            let path = path.clone();
            matrix::no_layout_hint(&path, e)
        }
        other => other,
    })?;
    if let Some(angles) = &options.phi_angles {
        loaded.warnings.push(format!(
            "{} {angles:?} was ignored: {} ({}) gives its own angles {:?}",
            matrix::PHI_ANGLES_KEY,
            loaded.path.display(),
            loaded.format.name(),
            loaded.data.phi
        ));
    }
    Ok(loaded)
}

/// The package's `load_experimental_data`: cache or HDF5 file.
fn load_package_data(
    location: &DataLocation,
    options: &LoadOptions,
) -> Result<LoadedXpcs, XpcsError> {
    let cache = location.cache_path(options)?;
    let data_path = location.data_path();
    if location.data_file_name.ends_with(".npz") {
        return load_npz_cache(&data_path, options);
    }
    if location.use_cache && cache.exists() {
        return load_npz_cache(&cache, options);
    }
    if !data_path.exists() {
        return Err(XpcsError::Io {
            path: data_path.clone(),
            action: "open".to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "neither the cache {} nor the HDF5 file {} exists",
                    cache.display(),
                    data_path.display()
                ),
            ),
        });
    }
    let mut loaded = load_hdf5(&data_path, options)?;
    if location.use_cache {
        match write_npz_cache(&cache, &loaded, options, location.cache_compression) {
            Ok(()) => loaded.cache_written = Some(cache),
            Err(e) => loaded
                .warnings
                .push(format!("the cache could not be written: {e}")),
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr_matches_python() {
        for (x, text) in [
            (0.0048, "0.0048"),
            (0.00481, "0.00481"),
            (0.0, "0.0"),
            (2.0, "2.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (1e16, "1e+16"),
            (123456.789, "123456.789"),
            (-0.25, "-0.25"),
            (1e15, "1000000000000000.0"),
            (8.673617379884035e-19, "8.673617379884035e-19"),
        ] {
            assert_eq!(python_float(x), text, "{x}");
        }
    }

    #[test]
    fn pairwise_sums_follow_numpy_blocks() {
        let a: Vec<f64> = (0..300).map(|i| 0.1 * i as f64).collect();
        let plain: f64 = a.iter().sum();
        assert!((pairwise_sum(&a) - plain).abs() < 1e-9);
        let (mean, std) = nan_mean_std(&[1.0, f64::NAN, 3.0]);
        assert_eq!((mean, std), (2.0, 1.0));
        // numpy: q = linspace(0.001, 0.01, 300); q[7] = nan; nanmean(q), nanstd(q).
        let step = (0.01 - 0.001) / 299.0;
        let mut q: Vec<f64> = (0..300).map(|k| k as f64 * step + 0.001).collect();
        q[299] = 0.01;
        q[7] = f64::NAN;
        assert_eq!(
            nan_mean_std(&q),
            (0.005514345477119944, 0.00259925738305983)
        );
    }

    #[test]
    fn templates_are_migrated_and_substituted_as_python_does() {
        assert_eq!(
            cache_file_name(DEFAULT_CACHE_TEMPLATE, 2, 11, 0.0048).unwrap(),
            "cached_c2_frames_2_11.npz"
        );
        assert_eq!(
            cache_file_name(
                "cached_c2_flow_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz",
                1,
                -1,
                0.0054
            )
            .unwrap(),
            "cached_c2_flow_q0.0054_frames_1_-1.npz"
        );
        assert_eq!(
            cache_file_name("c_{wavevector_q:.3f}_{start_frame}.npz", 3, 9, 0.00125).unwrap(),
            "c_0.0013_3.npz"
        );
        assert_eq!(
            cache_file_name("$$x_$other_${end_frame}$", 1, 7, 0.1).unwrap(),
            "$x_$other_7$"
        );
        assert!(cache_file_name("../c_${end_frame}.npz", 1, 7, 0.1).is_err());
        assert!(cache_file_name("sub/c.npz", 1, 7, 0.1).is_err());
    }

    #[test]
    fn angles_and_times_follow_numpy() {
        assert_eq!(normalize_phi_angle(270.0), -90.0);
        assert_eq!(normalize_phi_angle(-180.0), 180.0);
        assert_eq!(normalize_phi_angle(180.0), 180.0);
        assert_eq!(normalize_phi_angle(-30.0), -30.0);
        assert_eq!(normalize_phi_angle(720.0), 0.0);
        assert_eq!(normalize_phi_angle(-0.0).to_bits(), 0.0f64.to_bits());
        let t = loader_times(0.1, 10);
        assert_eq!(t.len(), 10);
        assert_eq!(t[9], 0.1 * 9.0);
        assert_eq!(t[3], 3.0 * (0.1 * 9.0 / 9.0));
        assert_eq!(loader_times(0.1, 1), [0.0]);
        assert!(loader_times(0.1, 0).is_empty());
    }

    #[test]
    fn the_diagonal_is_the_mean_of_its_neighbours() {
        let mut m = vec![9.0, 1.0, 5.0, 1.0, 9.0, 3.0, 5.0, 3.0, 9.0];
        correct_diagonal(&mut m, 3).unwrap();
        assert_eq!([m[0], m[4], m[8]], [1.0, 2.0, 3.0]);
        let mut one = vec![4.0];
        correct_diagonal(&mut one, 1).unwrap();
        assert_eq!(one, [4.0]);
        assert!(correct_diagonal(&mut m, 2).is_err());
    }
}

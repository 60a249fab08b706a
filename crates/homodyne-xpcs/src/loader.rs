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
//! - `end_frame` past the last frame is an
//!   [`XpcsError::FrameRange`](crate::XpcsError::FrameRange) unless
//!   [`LoadOptions::clamp_end_frame`] is set (the package clamps silently); a range that
//!   leaves no frame is always an error (the package returns empty matrices).
//! - Non-finite q entries are never selected (NumPy's `argmin` would select a NaN), and
//!   a dataset whose q values are all non-finite is an
//!   [`XpcsError::Wavevector`](crate::XpcsError::Wavevector);
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
//! - Every array may be stored as float64, float32 or integers of 1 to 8 bytes, in either
//!   byte order, as everywhere the workspace reads data (`homodyne-data`, which reads
//!   every HDF5 dataset and `.npy` array here). Integer matrices are formed in float64;
//!   the package's in-place halving of an integer diagonal fails.
//! - `phi_angles_list.txt` and `wavevector_q_list.txt` are not written; a cache that
//!
//! # Where the code is
//!
//! The settings of a load ([`LoadOptions`]) and what it returns ([`LoadedXpcs`]) each
//! have a file; the package's frame conventions are in `frames`; the HDF5 files are read
//! by `aps` (with the layout rules of `aps_u` and `aps_old`, the q rules of
//! `selection`, the datasets read by `hdf5`), the cache by `npz_cache`, `cache_write`,
//! `cache_metadata` and `cache_name` (its arrays read by `npz` and [`npy`]); `rules` is
//! the package's `load_experimental_data`; bare matrices are read by [`matrix`], and
//! [`write`](mod@write) writes an APS-U file. Files are opened and decoded by
//! `homodyne-data`, whose errors `io_error` turns into [`XpcsError`](crate::XpcsError)s.

mod aps;
mod aps_old;
mod aps_u;
mod cache_metadata;
mod cache_name;
mod cache_write;
mod format;
mod frames;
mod hdf5;
mod io_error;
mod layout;
mod loaded;
mod location;
pub mod matrix;
pub mod npy;
mod npz;
mod npz_cache;
mod options;
mod rules;
mod selection;
pub mod write;

pub use aps::load_hdf5;
pub use cache_metadata::cache_metadata_json;
pub(crate) use cache_metadata::python_float;
pub use cache_name::{DEFAULT_CACHE_TEMPLATE, cache_file_name};
pub use cache_write::write_npz_cache;
pub use format::{DataFormat, MatrixSource, MatrixTriangle};
pub use frames::{correct_diagonal, loader_times};
pub use layout::{
    APS_OLD_C2T_ALL, APS_OLD_PHI_LIST, APS_OLD_Q_LIST, APS_U_CORRELATION_MAP, APS_U_PHI_LIST,
    APS_U_PROCESSED_BINS, APS_U_Q_LIST, detect_hdf5_layout,
};
pub use loaded::{
    CacheMetadata, FitData, LoadedXpcs, Precision, SourceFormat, normalize_phi_angle,
};
pub use location::DataLocation;
pub use matrix::load_matrix;
pub use npz::read_npz;
pub use npz_cache::load_npz_cache;
pub use options::{DEFAULT_Q_TOLERANCE_FRACTION, DEFAULT_WAVEVECTOR_Q, LoadOptions};
pub use rules::load_experimental_data;

//! The two APS HDF5 layouts: where their datasets are, and which one a file has.

use std::path::Path;

use homodyne_data::Hdf5File;

use super::hdf5::{has_member, members, open_hdf5};
use super::loaded::SourceFormat;
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

/// The missing item of an HDF5 file with neither APS layout.
pub(super) const NO_LAYOUT_ITEM: &str = "APS-U or APS two-time datasets";

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

/// The layout of the open `file`, as [`detect_hdf5_layout`] tests it.
pub(super) fn detect_layout(file: &Hdf5File, path: &Path) -> Result<SourceFormat, XpcsError> {
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

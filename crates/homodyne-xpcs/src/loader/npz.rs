//! Reading NumPy `.npz` archives through the I/O layer ([`NpzArchive`]): a zip of `.npy`
//! members, each decoded whole as an [`npy::Array`].

use std::path::Path;

use homodyne_data::NpzArchive;

use super::io_error::xpcs_error;
use super::loaded::Precision;
use super::npy;
use crate::error::XpcsError;

/// Opens the archive at `path`: [`XpcsError::Io`] when it cannot be opened,
/// [`XpcsError::DataFile`] when it is not a zip archive.
pub(super) fn open_npz(path: &Path) -> Result<NpzArchive, XpcsError> {
    NpzArchive::open(path).map_err(xpcs_error)
}

/// The array names of `archive`, as `numpy.load` names them.
pub(super) fn member_names(archive: &NpzArchive) -> Result<Vec<String>, XpcsError> {
    archive.names().map_err(xpcs_error)
}

/// The member `key.npy` (or `key`) decoded, or `None` when absent; errors name the
/// archive and `key`.
pub(super) fn read_member(
    archive: &mut NpzArchive,
    key: &str,
) -> Result<Option<npy::Array>, XpcsError> {
    archive
        .read(key)
        .and_then(|array| array.map(npy::Array::from_npy).transpose())
        .map_err(xpcs_error)
}

/// The numbers of `array` (the member or file `item` of `path`) and the precision they
/// were stored in: float32 stays float32, float64 and integers are float64. Strings are
/// refused.
pub(super) fn stored_numbers(
    array: npy::Array,
    path: &Path,
    item: &str,
) -> Result<(Vec<f64>, Precision), XpcsError> {
    let precision = match array.stored {
        npy::Stored::F32 => Precision::Float32,
        _ => Precision::Float64,
    };
    match array.values {
        npy::Values::Numbers(values) => Ok((values, precision)),
        npy::Values::Strings(_) => Err(XpcsError::data_file(
            path,
            item,
            format!("holds strings ({}); give numbers", array.descr),
        )),
    }
}

/// Every array of a NumPy `.npz` archive, in archive order, named as `numpy.load` names
/// them (the member name without `.npy`).
///
/// # Errors
///
/// [`XpcsError::Io`] when the file cannot be opened, [`XpcsError::DataFile`] naming the
/// member when the archive or a member cannot be read or decoded.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, npy::Array)>, XpcsError> {
    let mut archive = open_npz(path.as_ref())?;
    let names = member_names(&archive)?;
    let mut out = Vec::with_capacity(names.len());
    for key in names {
        if let Some(array) = read_member(&mut archive, &key)? {
            out.push((key, array));
        }
    }
    Ok(out)
}

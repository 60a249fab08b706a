//! Reading the APS files' HDF5 datasets through the I/O layer ([`homodyne_data::Hdf5File`],
//! which accepts float64, float32 and integers of either byte order alike): the file, a
//! group's members, 1-D lists and `(1, N)` rows as `f64`, and a frame window of a half
//! matrix made whole.

use std::path::Path;

use homodyne_data::{DataError, Hdf5Dataset, Hdf5File, NumberKind};

use super::io_error::{problem, xpcs_error};
use super::loaded::{Precision, SourceFormat};
use crate::error::XpcsError;

/// Opens `path` as HDF5: [`XpcsError::Io`] when it cannot be opened (the operating
/// system's word first), [`XpcsError::DataFile`] when it is not HDF5.
pub(super) fn open_hdf5(path: &Path) -> Result<Hdf5File, XpcsError> {
    Hdf5File::open(path).map_err(|e| match e {
        DataError::Format { .. } => {
            let text = problem(&e);
            let reason = text.split(": give").next().unwrap_or(&text);
            XpcsError::data_file(
                path,
                "",
                format!("{reason}; give an APS or APS-U HDF5 file, or the package's .npz cache"),
            )
        }
        other => xpcs_error(other),
    })
}

/// The most bytes of data one stored byte can stand for: deflate's bound (1032:1), the
/// only compression filter the reader decodes. A dataset claiming more than its file's
/// length times this cannot be read back, whatever its layout.
const MAX_EXPANSION: u64 = 1032;

/// Refuses an HDF5 dataset whose shape claims more data than its file can hold, before
/// anything is allocated for it: a damaged header claiming 10^15 values is an
/// [`XpcsError::DataFile`] naming `item`, not an allocation that aborts the process.
pub(super) fn check_claim(path: &Path, item: &str, dataset: &Hdf5Dataset) -> Result<(), XpcsError> {
    let shape = dataset.shape();
    let element = dataset.element_type().size() as u64;
    let claimed = shape
        .iter()
        .try_fold(element, |acc, &d| acc.checked_mul(d as u64));
    let file_bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| XpcsError::Io {
            path: path.to_path_buf(),
            action: "read".to_owned(),
            source,
        })?;
    match claimed {
        Some(bytes) if bytes <= file_bytes.saturating_mul(MAX_EXPANSION) => Ok(()),
        _ => Err(XpcsError::data_file(
            path,
            item,
            format!(
                "claims shape {shape:?} of {element}-byte values, more than a file of \
                 {file_bytes} bytes can hold even compressed; the file is damaged"
            ),
        )),
    }
}

/// The member names of the group `group` (`""` for the root), in name order.
pub(super) fn members(file: &Hdf5File, group: &str) -> Option<Vec<String>> {
    let root = file.handle().root_group();
    let handle = if group.is_empty() {
        root
    } else {
        root.group(group).ok()?
    };
    handle.link_names().ok()
}

/// Whether the group `group` has a member `name`.
pub(super) fn has_member(file: &Hdf5File, group: &str, name: &str) -> bool {
    members(file, group).is_some_and(|names| names.iter().any(|n| n == name))
}

/// The list `name` of an APS file of the layout `format`, read whole as `f64`: 1-D in
/// the APS-U layout, row 0 of a `(1, N)` dataset in the older one (the package's
/// `f[name][0, :]`). A missing list is an [`XpcsError::MissingDataset`].
pub(super) fn read_list(
    file: &Hdf5File,
    name: &str,
    format: SourceFormat,
) -> Result<Vec<f64>, XpcsError> {
    let (layout, stored_as) = match format {
        SourceFormat::ApsU => ("APS-U", "as a 1-D list"),
        _ => ("older APS", "with shape (1, N) and reads row 0"),
    };
    let dataset = file.dataset(name).map_err(|e| match e {
        DataError::MissingDataset { file, .. } => XpcsError::MissingDataset {
            path: file,
            item: format!("dataset /{name}"),
            message: format!("the {layout} layout needs it"),
        },
        other => xpcs_error(other),
    })?;
    check_claim(file.path(), &format!("/{name}"), &dataset)?;
    let values = dataset.read_all().map_err(xpcs_error)?;
    let list = match (format, dataset.shape()) {
        (SourceFormat::ApsU, [_]) => Some(values),
        (SourceFormat::ApsOld, &[rows, n]) if rows >= 1 => values.get(..n).map(<[f64]>::to_vec),
        _ => None,
    };
    list.ok_or_else(|| {
        XpcsError::data_file(
            file.path(),
            format!("/{name}"),
            format!(
                "has shape {:?}; the {layout} layout stores it {stored_as}",
                dataset.shape()
            ),
        )
    })
}

/// The precision a matrix stored as `dataset` is formed in: float32 stays float32, as in
/// NumPy; float64 and integers are formed in float64.
pub(super) fn stored_precision(dataset: &Hdf5Dataset) -> Precision {
    let element = dataset.element_type();
    if element.kind() == NumberKind::Float && element.size() == 4 {
        Precision::Float32
    } else {
        Precision::Float64
    }
}

/// One full matrix, sliced, before the diagonal correction.
pub(super) struct FullMatrix {
    /// The `m x m` values, row-major.
    pub(super) values: Vec<f64>,
    /// The precision they were formed in.
    pub(super) precision: Precision,
}

/// Reads frames `start..end` (0-based, on both axes) of the half matrix `dataset` and
/// forms `h + h^T` with the diagonal halved, in the dataset's precision
/// ([`stored_precision`]).
pub(super) fn read_full_matrix(
    dataset: &Hdf5Dataset,
    start: usize,
    end: usize,
) -> Result<FullMatrix, XpcsError> {
    let m = end - start;
    check_claim(dataset.file(), dataset.name(), dataset)?;
    let mut h = vec![0.0; m * m];
    dataset
        .read_slice(&[start, start], &[m, m], &mut h)
        .map_err(xpcs_error)?;
    let precision = stored_precision(dataset);
    let mut values = Vec::with_capacity(m * m);
    for i in 0..m {
        for j in 0..m {
            let (a, b) = (h[i * m + j], h[j * m + i]);
            values.push(match precision {
                // NumPy: c2_half + c2_half.T, then the diagonal /= 2, all in float32 (the
                // values came from float32, so narrowing them back is exact).
                Precision::Float32 => {
                    let sum = a as f32 + b as f32;
                    f64::from(if i == j { sum / 2.0 } else { sum })
                }
                Precision::Float64 => {
                    let sum = a + b;
                    if i == j { sum / 2.0 } else { sum }
                }
            });
        }
    }
    Ok(FullMatrix { values, precision })
}

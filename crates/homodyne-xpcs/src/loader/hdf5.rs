//! Reading the APS files' HDF5 datasets: the file, a group's members, 1-D lists and
//! `(1, N)` rows as `f64`, and a frame window of a half matrix made whole.

use std::fs::File;
use std::path::Path;

use rust_hdf5::{DatatypeMessage, H5Dataset, H5File, Hdf5Error};

use super::loaded::Precision;
use crate::error::XpcsError;

/// Opens `path` as HDF5, the operating system's error first (a missing file), then the
/// parser's (not HDF5).
pub(super) fn open_hdf5(path: &Path) -> Result<H5File, XpcsError> {
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
pub(super) fn members(file: &H5File, group: &str) -> Option<Vec<String>> {
    let root = file.root_group();
    let handle = if group.is_empty() {
        root
    } else {
        root.group(group).ok()?
    };
    handle.link_names().ok()
}

pub(super) fn has_member(file: &H5File, group: &str, name: &str) -> bool {
    members(file, group).is_some_and(|names| names.iter().any(|n| n == name))
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
pub(super) fn datatype_text(datatype: &DatatypeMessage) -> String {
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
pub(super) fn read_vector(
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
pub(super) fn read_first_row(
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
pub(super) struct FullMatrix {
    /// The `m x m` values, row-major.
    pub(super) values: Vec<f64>,
    /// The precision they were formed in.
    pub(super) precision: Precision,
}

/// Reads frames `start..end` (0-based, on both axes) of the half matrix `name` and forms
/// `h + h^T` with the diagonal halved, in the dataset's precision.
pub(super) fn read_full_matrix(
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

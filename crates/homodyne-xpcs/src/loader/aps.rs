//! Loading an APS HDF5 file: its layout decides which matrices are selected
//! ([`super::aps_u`], [`super::aps_old`]); the selected ones are read, frame-sliced,
//! stacked and diagonal-corrected alike.

use std::path::Path;

use homodyne_data::{DataError, Hdf5File};

use super::aps_old;
use super::aps_u;
use super::frames::{correct_diagonal, frame_window, loader_times};
use super::hdf5::{open_hdf5, read_full_matrix};
use super::io_error::xpcs_error;
use super::layout::{APS_OLD_PHI_LIST, APS_U_PHI_LIST, detect_layout};
use super::loaded::{LoadedXpcs, Precision, SourceFormat};
use super::options::LoadOptions;
use super::selection::Selection;
use crate::data::CorrelationData;
use crate::error::XpcsError;

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
    let selection = match detect_layout(&file, path)? {
        SourceFormat::ApsU => aps_u::select(&file, options)?,
        _ => aps_old::select(&file, options)?,
    };
    assemble(&file, path, options, selection)
}

/// Reads the selected matrices, slices frames, stacks them, corrects the diagonals and
/// builds the [`LoadedXpcs`].
fn assemble(
    file: &Hdf5File,
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
            DataError::MissingDataset { .. } => XpcsError::data_file(
                path,
                &item,
                "is not a dataset (a group or a dangling link); the group should hold only \
                 two-time matrices",
            ),
            other => xpcs_error(other),
        })?;
        let shape = dataset.shape();
        let n = match shape {
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
        let full = read_full_matrix(&dataset, start, end)?;
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

//! Bare two-time correlation matrices, as any beamline writes them: a 2-D
//! `(frames, frames)` array or a 3-D `(angles, frames, frames)` stack in a NumPy `.npy`
//! file, a `.npz` archive (a named array, or its only one) or an HDF5 dataset, with the
//! frame time, the wavevector and the angles given by the configuration, since the file
//! does not say them.
//!
//! [`load_matrix`] produces the same [`LoadedXpcs`] the APS loaders produce, so frame
//! slicing, the diagonal correction, `t = 0` dropped, angle normalisation and
//! `phi_filtering` apply exactly as for an APS file: a matrix `c`, read from the frames
//! `[start_frame, end_frame]` of both axes, is made whole from the triangle it holds
//! ([`MatrixTriangle`]), its diagonal replaced by the mean of its neighbours
//! ([`correct_diagonal`]), and the time vector is `linspace(0, dt (N - 1), N)`.
//! A full symmetric matrix, or its upper triangle, therefore loads to the very values the
//! same matrix gives when stored as an APS-U half matrix.
//!
//! # Which reader ([`DataFormat`])
//!
//! With `experimental_data.format: auto` (the default) a `.npy` file is a bare matrix; a
//! `.npz` file is the package's cache when it holds one of the cache's arrays (`c2_exp`,
//! `t1`, ...) and no `experimental_data.dataset` is given, else a bare matrix; any other
//! file is HDF5, read as a bare matrix when a dataset is given and as an APS or APS-U
//! file otherwise.
//! `format: matrix` and `format: aps` decide without looking.
//!
//! # Refused before anything is fitted
//!
//! Each with a typed [`XpcsError`] naming the file and the dataset: no configured q
//! (a bare matrix carries none), no angles, a non-finite angle; an array that is not
//! `(frames, frames)` or `(angles, frames, frames)`; a stack whose angle count differs
//! from the angles given; a non-finite value off the diagonal of the frames used (named
//! by its angle and its 1-based row and column in the file's frames); a header or dataset
//! whose claimed size the file cannot hold (checked before anything is allocated:
//! a `.npy` array's data must be in the file, an HDF5 dataset may claim at most 1032
//! bytes per byte of file, deflate's largest expansion); a matrix with no value off its
//! diagonal. The diagonal itself is replaced, so a NaN there (which some facilities
//! write) is harmless.

mod source;
mod triangle;

use std::path::Path;

pub use super::format::{DataFormat, MatrixSource, MatrixTriangle};
pub use super::options::{DATASET_KEY, PHI_ANGLES_KEY, WAVEVECTOR_KEY};

use super::frames::{correct_diagonal, frame_window, loader_times};
use super::hdf5::open_hdf5;
use super::layout::NO_LAYOUT_ITEM;
use super::loaded::{LoadedXpcs, SourceFormat};
use super::location::DataLocation;
use super::npz::{member_names, open_npz};
use super::npz_cache::CACHE_KEYS;
use super::options::LoadOptions;
use crate::data::CorrelationData;
use crate::error::XpcsError;
use source::{FileKind, open_source, read_window, square_matrices, stack_shape};
use triangle::{MatrixContext, asymmetry, make_whole};

/// Whether `location` names a bare matrix (see [`DataFormat`]).
///
/// # Errors
///
/// Those of opening a `.npz` archive when its members decide ([`XpcsError::Io`],
/// [`XpcsError::DataFile`]).
pub fn is_bare_matrix(location: &DataLocation) -> Result<bool, XpcsError> {
    match location.format {
        DataFormat::Matrix => Ok(true),
        DataFormat::Aps => Ok(false),
        DataFormat::Auto => {
            let path = location.data_path();
            match FileKind::of(&path) {
                FileKind::Npy => Ok(true),
                FileKind::Npz => {
                    if location.matrix.dataset.is_some() {
                        return Ok(true);
                    }
                    // Any of the cache's keys makes it the package's cache, so that a
                    // damaged cache is reported as one.
                    let names = member_names(&open_npz(&path)?)?;
                    let is_cache = CACHE_KEYS
                        .iter()
                        .chain(&["cache_metadata_json"])
                        .any(|key| names.iter().any(|name| name == key));
                    Ok(!is_cache)
                }
                FileKind::Hdf5 => Ok(location.matrix.dataset.is_some()),
            }
        }
    }
}

/// An HDF5 file with neither APS layout and no dataset given: the error says which keys
/// read it as a bare matrix, and lists the datasets that could be one.
pub(super) fn no_layout_hint(path: &Path, original: XpcsError) -> XpcsError {
    let Ok(file) = open_hdf5(path) else {
        return original;
    };
    let XpcsError::MissingDataset { message, .. } = &original else {
        return original;
    };
    XpcsError::MissingDataset {
        path: path.to_path_buf(),
        item: NO_LAYOUT_ITEM.to_owned(),
        message: format!(
            "{message}. To read a bare two-time correlation matrix from it instead, give \
             `{DATASET_KEY}` (or `homodyne xpcs --data FILE:DATASET`) with `{PHI_ANGLES_KEY}` \
             and `{WAVEVECTOR_KEY}`; {}",
            square_matrices(&file)
        ),
    }
}
/// Loads a bare two-time correlation matrix (2-D) or stack (3-D) from `path` as
/// [`LoadedXpcs`], with `options.dt`, `options.wavevector_q` (which must be
/// configured: [`LoadOptions::wavevector_q_configured`]) and `options.phi_angles`
/// (degrees, one per matrix), frames sliced by `options.start_frame` and
/// `options.end_frame` as for an APS file. See the module documentation.
///
/// # Errors
///
/// A typed [`XpcsError`] naming the file and the dataset, before anything is fitted:
/// [`XpcsError::ConfigValue`] for a missing q or missing angles,
/// [`XpcsError::InvalidSetting`] for unusable options, [`XpcsError::Io`] for a file
/// that cannot be opened, [`XpcsError::MissingDataset`] for a dataset or array that is
/// not there (the message lists what is), [`XpcsError::DataFile`] for a wrong shape,
/// element type, angle count, damaged data or a non-finite value, and
/// [`XpcsError::FrameRange`] for frames outside the data.
pub fn load_matrix(
    path: impl AsRef<Path>,
    source: &MatrixSource,
    options: &LoadOptions,
) -> Result<LoadedXpcs, XpcsError> {
    let path = path.as_ref();
    options.check()?;
    if !options.wavevector_q_configured {
        return Err(XpcsError::config_value(
            WAVEVECTOR_KEY,
            format!(
                "is required for the bare matrix {}, which carries no q: give it in 1/A \
                 (homodyne xpcs: --q)",
                path.display()
            ),
        ));
    }
    let q = options.wavevector_q;
    if !(q.is_finite() && q > 0.0) {
        return Err(XpcsError::config_value(
            WAVEVECTOR_KEY,
            format!("is {q}; give a positive wavevector in 1/A"),
        ));
    }
    let phi = match &options.phi_angles {
        Some(angles) if !angles.is_empty() => angles.clone(),
        _ => {
            return Err(XpcsError::config_value(
                PHI_ANGLES_KEY,
                format!(
                    "is required for the bare matrix {}, which carries no angles: give one \
                     angle in degrees per matrix, e.g. [0.0] for a single matrix (the static \
                     model does not depend on it) (homodyne xpcs: --phi)",
                    path.display()
                ),
            ));
        }
    };
    if let Some(k) = phi.iter().position(|a| !a.is_finite()) {
        return Err(XpcsError::config_value(
            format!("{PHI_ANGLES_KEY}[{k}]"),
            format!("is {}; give a finite angle in degrees", phi[k]),
        ));
    }

    let kind = FileKind::of(path);
    let (item, opened) = open_source(path, kind, source.dataset.as_deref())?;
    let shape = opened.shape().to_vec();
    let (n_matrices, n) = stack_shape(&shape).ok_or_else(|| {
        XpcsError::data_file(
            path,
            &item,
            format!(
                "has shape {shape:?}; a bare two-time correlation is (frames, frames), or \
                 (angles, frames, frames) for a stack, with at least one frame"
            ),
        )
    })?;
    if n_matrices != phi.len() {
        let held = if shape.len() == 2 {
            "one matrix (2-D)".to_owned()
        } else {
            format!("a stack of {n_matrices} matrices")
        };
        return Err(XpcsError::data_file(
            path,
            &item,
            format!(
                "holds {held}, but {} angle(s) are given ({PHI_ANGLES_KEY} = {phi:?}); give \
                 one angle per matrix",
                phi.len()
            ),
        ));
    }
    let mut warnings = Vec::new();
    let (start, end) = frame_window(path, options, n, &mut warnings)?;
    let m = end - start;
    let stack = read_window(opened, n_matrices, n, start, m)?;

    let names: Vec<String> = if shape.len() == 2 {
        vec![item.clone()]
    } else {
        (0..n_matrices).map(|k| format!("{item}[{k}]")).collect()
    };
    let size = m * m;
    let mut c2_before = stack.values;
    for (k, matrix) in c2_before.chunks_exact_mut(size).enumerate() {
        let context = MatrixContext {
            path,
            item: names[k].as_str(),
            angle: k,
            n_angles: n_matrices,
            phi: phi[k],
            first_frame: start,
        };
        let triangle = make_whole(matrix, m, source.triangle, &context, &mut warnings)?;
        if triangle == MatrixTriangle::Full
            && let Some(note) = asymmetry(matrix, m, &context)
        {
            warnings.push(note);
        }
    }
    let mut c2 = c2_before.clone();
    for matrix in c2.chunks_exact_mut(size) {
        correct_diagonal(matrix, m)?;
    }
    let data = CorrelationData::new(q, options.dt, phi, m, c2)
        .map_err(|e| XpcsError::data_file(path, &item, e.to_string()))?;
    Ok(LoadedXpcs {
        data,
        t: loader_times(options.dt, m),
        wavevector_q_list: vec![q; n_matrices],
        selected_q: Some(q),
        c2_before_correction: c2_before,
        precision: stack.precision,
        format: SourceFormat::Matrix,
        path: path.to_path_buf(),
        source_indices: (0..n_matrices).collect(),
        source_datasets: names,
        n_frames_in_file: Some(n),
        frames: Some((start + 1, end)),
        cache_metadata: None,
        cache_written: None,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for f in [DataFormat::Auto, DataFormat::Aps, DataFormat::Matrix] {
            assert_eq!(DataFormat::parse(f.name()), Some(f));
        }
        for t in [
            MatrixTriangle::Auto,
            MatrixTriangle::Full,
            MatrixTriangle::Upper,
            MatrixTriangle::Lower,
        ] {
            assert_eq!(MatrixTriangle::parse(t.name()), Some(t));
        }
        assert_eq!(DataFormat::parse("hdf5"), None);
        assert_eq!(stack_shape(&[4, 4]), Some((1, 4)));
        assert_eq!(stack_shape(&[3, 4, 4]), Some((3, 4)));
        assert_eq!(stack_shape(&[3, 4, 5]), None);
        assert_eq!(stack_shape(&[0, 4, 4]), None);
        assert_eq!(stack_shape(&[0, 0]), None);
        assert_eq!(stack_shape(&[16]), None);
        assert_eq!(FileKind::of(Path::new("a/b.NPY")), FileKind::Npy);
        assert_eq!(FileKind::of(Path::new("b.npz")), FileKind::Npz);
        assert_eq!(FileKind::of(Path::new("b.nxs")), FileKind::Hdf5);
    }
}

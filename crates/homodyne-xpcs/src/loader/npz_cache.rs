//! Reading the package's `.npz` cache.

use std::path::Path;

use super::cache_metadata::metadata_from_json;
use super::frames::correct_diagonal;
use super::loaded::{LoadedXpcs, SourceFormat};
use super::npy;
use super::npz::{member_names, open_npz, read_member, stored_numbers};
use super::options::{LoadOptions, WAVEVECTOR_KEY};
use crate::data::CorrelationData;
use crate::error::XpcsError;

/// The arrays every cache holds, in the order they are read.
pub(super) const CACHE_KEYS: [&str; 5] =
    ["wavevector_q_list", "phi_angles_list", "t1", "t2", "c2_exp"];

/// The numbers of `array`, refusing strings.
fn numbers(array: npy::Array, path: &Path, key: &str) -> Result<Vec<f64>, XpcsError> {
    stored_numbers(array, path, key).map(|(values, _)| values)
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
    let mut archive = open_npz(path)?;
    let mut warnings = Vec::new();
    let metadata = match read_member(&mut archive, "cache_metadata_json")? {
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
            if member_names(&archive)?
                .iter()
                .any(|n| n == "cache_metadata")
            {
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
        let array = read_member(&mut archive, key)?.ok_or_else(|| XpcsError::MissingDataset {
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
    let q_list = numbers(q_array, path, "wavevector_q_list")?;
    let phi = numbers(phi_array, path, "phi_angles_list")?;
    let t = numbers(t1_array, path, "t1")?;
    let t2 = numbers(t2_array, path, "t2")?;
    let (c2_before, precision) = stored_numbers(c2_array, path, "c2_exp")?;
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
            WAVEVECTOR_KEY
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

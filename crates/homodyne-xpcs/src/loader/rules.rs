//! The package's `load_experimental_data`: which reader a data location goes to, and the
//! cache read or written on the way.

use super::aps::load_hdf5;
use super::cache_write::write_npz_cache;
use super::format::DataFormat;
use super::layout::NO_LAYOUT_ITEM;
use super::loaded::LoadedXpcs;
use super::location::DataLocation;
use super::matrix::{is_bare_matrix, load_matrix, no_layout_hint};
use super::npz_cache::load_npz_cache;
use super::options::{LoadOptions, PHI_ANGLES_KEY};
use crate::error::XpcsError;

/// Loads data: a bare matrix ([`is_bare_matrix`]) with [`load_matrix`], with
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
    if is_bare_matrix(location)? {
        return load_matrix(location.data_path(), &location.matrix, options);
    }
    let mut loaded = load_package_data(location, options).map_err(|e| match e {
        XpcsError::MissingDataset {
            ref path, ref item, ..
        } if item == NO_LAYOUT_ITEM && location.format == DataFormat::Auto => {
            let path = path.clone();
            no_layout_hint(&path, e)
        }
        other => other,
    })?;
    if let Some(angles) = &options.phi_angles {
        loaded.warnings.push(format!(
            "{} {angles:?} was ignored: {} ({}) gives its own angles {:?}",
            PHI_ANGLES_KEY,
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

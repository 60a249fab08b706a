//! Writing the package's `.npz` cache.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::cache_metadata::cache_metadata_json;
use super::loaded::{LoadedXpcs, Precision};
use super::npy;
use super::options::LoadOptions;
use crate::error::XpcsError;

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

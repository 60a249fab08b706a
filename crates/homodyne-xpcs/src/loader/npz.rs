//! Reading NumPy `.npz` archives: a zip of `.npy` members.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::npy;
use crate::error::XpcsError;

/// Opens `path` as a zip archive.
pub(super) fn open_zip(path: &Path) -> Result<zip::ZipArchive<File>, XpcsError> {
    let file = File::open(path).map_err(|source| XpcsError::Io {
        path: path.to_path_buf(),
        action: "open".to_owned(),
        source,
    })?;
    zip::ZipArchive::new(file).map_err(|e| {
        XpcsError::data_file(
            path,
            "",
            format!("cannot be read as a NumPy .npz archive ({e}); give the package's cache"),
        )
    })
}

/// The member `key.npy` (or `key`) decoded, or `None` when absent.
pub(super) fn read_member(
    archive: &mut zip::ZipArchive<File>,
    path: &Path,
    key: &str,
) -> Result<Option<npy::Array>, XpcsError> {
    let fail = |message: String| XpcsError::data_file(path, key, message);
    let name = [format!("{key}.npy"), key.to_owned()]
        .into_iter()
        .find(|n| archive.index_for_name(n).is_some());
    let Some(name) = name else {
        return Ok(None);
    };
    let mut member = archive
        .by_name(&name)
        .map_err(|e| fail(format!("cannot be opened ({e})")))?;
    let mut bytes = Vec::new();
    member
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot be decompressed ({e})")))?;
    npy::parse(&bytes).map(Some).map_err(fail)
}

/// Every array of a NumPy `.npz` archive, in archive order, named as `numpy.load` names
/// them (the member name without `.npy`).
///
/// # Errors
///
/// [`XpcsError::Io`] when the file cannot be opened, [`XpcsError::DataFile`] naming the
/// member when the archive or a member cannot be read or decoded.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, npy::Array)>, XpcsError> {
    let path = path.as_ref();
    let mut archive = open_zip(path)?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| XpcsError::data_file(path, "", format!("cannot list its members ({e})")))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_owned();
        if let Some(array) = read_member(&mut archive, path, &key)? {
            out.push((key, array));
        }
    }
    Ok(out)
}

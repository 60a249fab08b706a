//! [`NpzArchive`]: the `.npy` members of a NumPy `.npz` archive (`numpy.savez`, and
//! `numpy.savez_compressed` with deflate), each read whole as an [`NpyArray`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::array::NpyArray;
use crate::error::DataError;

/// A NumPy `.npz` archive opened for reading its arrays by name.
#[derive(Debug)]
pub struct NpzArchive {
    path: PathBuf,
    zip: zip::ZipArchive<File>,
}

impl NpzArchive {
    /// Opens the archive at `path`.
    ///
    /// # Errors
    ///
    /// [`DataError::Io`] when the file cannot be opened, [`DataError::Format`] when it is
    /// not a zip archive.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| DataError::Io {
            file: path.to_path_buf(),
            dataset: String::new(),
            action: "cannot open".to_owned(),
            source,
        })?;
        let zip = zip::ZipArchive::new(file).map_err(|e| DataError::Format {
            file: path.to_path_buf(),
            dataset: String::new(),
            message: format!(
                "cannot be read as a NumPy .npz archive ({e}): give a file written by numpy.savez"
            ),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            zip,
        })
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The arrays' names, in archive order, as `numpy.load` names them (each member's
    /// name without `.npy`).
    ///
    /// # Errors
    ///
    /// [`DataError::Format`] naming the archive when its member names cannot be read.
    pub fn names(&self) -> Result<Vec<String>, DataError> {
        self.zip
            .file_names()
            .map(|n| {
                let n = n.map_err(|e| DataError::Format {
                    file: self.path.clone(),
                    dataset: String::new(),
                    message: format!("cannot list its members ({e})"),
                })?;
                Ok(npyz::npz::array_name_from_file_name(&n)
                    .unwrap_or(&n)
                    .to_owned())
            })
            .collect()
    }

    /// The array `name` (the member `name.npy`, or `name` itself), or `None` when the
    /// archive has no such member.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the archive and the array when the member cannot be
    /// decompressed or is not a readable `.npy` array (see [`NpyArray::from_bytes`]).
    pub fn read(&mut self, name: &str) -> Result<Option<NpyArray>, DataError> {
        let member = [npyz::npz::file_name_from_array_name(name), name.to_owned()]
            .into_iter()
            .find(|m| self.zip.index_for_name(m).is_some());
        let Some(member) = member else {
            return Ok(None);
        };
        let format = |message: String| DataError::Format {
            file: self.path.clone(),
            dataset: name.to_owned(),
            message,
        };
        let mut entry = self
            .zip
            .by_name(&member)
            .map_err(|e| format(format!("cannot be opened ({e})")))?;
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format(format!("cannot be decompressed ({e})")))?;
        NpyArray::from_bytes(&bytes, &self.path, name).map(Some)
    }

    /// Every array, in archive order, with its name.
    ///
    /// # Errors
    ///
    /// As [`names`](Self::names) and [`read`](Self::read), for the first member that
    /// cannot be read.
    pub fn read_all(&mut self) -> Result<Vec<(String, NpyArray)>, DataError> {
        let mut arrays = Vec::new();
        for name in self.names()? {
            if let Some(array) = self.read(&name)? {
                arrays.push((name, array));
            }
        }
        Ok(arrays)
    }
}

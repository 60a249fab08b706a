//! Where the package looks for data and its cache ([`DataLocation`]).

use std::path::PathBuf;

use super::cache_name::{DEFAULT_CACHE_TEMPLATE, cache_file_name};
use super::format::{DataFormat, MatrixSource};
use super::options::LoadOptions;
use crate::error::XpcsError;

/// Where the package looks for data and its cache (`experimental_data`, and
/// `v2_features.cache_strategy`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataLocation {
    /// `experimental_data.data_folder_path`.
    pub data_folder: PathBuf,
    /// `experimental_data.data_file_name`: an HDF5 file, or a `.npz` read as a cache.
    pub data_file_name: String,
    /// `experimental_data.cache_file_path`; `None` means the data folder.
    pub cache_folder: Option<PathBuf>,
    /// `experimental_data.cache_filename_template`.
    pub cache_filename_template: String,
    /// `experimental_data.cache_compression`.
    pub cache_compression: bool,
    /// False when `v2_features.cache_strategy` is `none`: no cache is read or written.
    pub use_cache: bool,
    /// `experimental_data.format`: which reader the data file goes to.
    pub format: DataFormat,
    /// `experimental_data.dataset` and `.triangle`: where a bare matrix is in its file.
    pub matrix: MatrixSource,
}

impl DataLocation {
    /// The package's defaults for `data_file_name` in `data_folder`.
    pub fn new(data_folder: impl Into<PathBuf>, data_file_name: impl Into<String>) -> Self {
        Self {
            data_folder: data_folder.into(),
            data_file_name: data_file_name.into(),
            cache_folder: None,
            cache_filename_template: DEFAULT_CACHE_TEMPLATE.to_owned(),
            cache_compression: true,
            use_cache: true,
            format: DataFormat::Auto,
            matrix: MatrixSource::default(),
        }
    }

    /// The data file, `data_folder/data_file_name`.
    pub fn data_path(&self) -> PathBuf {
        self.data_folder.join(&self.data_file_name)
    }

    /// The cache file for `options` (see [`cache_file_name`]).
    pub fn cache_path(&self, options: &LoadOptions) -> Result<PathBuf, XpcsError> {
        let name = cache_file_name(
            &self.cache_filename_template,
            options.start_frame,
            options.end_frame,
            options.wavevector_q,
        )?;
        Ok(self
            .cache_folder
            .as_ref()
            .unwrap_or(&self.data_folder)
            .join(name))
    }
}

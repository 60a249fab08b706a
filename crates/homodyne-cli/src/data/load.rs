//! Whole loads: the format of a file from its extension, and a [`Table`] from each
//! format, read by `homodyne_data`.
//!
//! The readers are `homodyne_data`'s ([`TextTable`], [`NpyArray`], [`Hdf5File`]); this
//! file turns what they read into named columns and refuses the shapes that are not a
//! table of one row per point.

use std::io;
use std::path::Path;

use homodyne_data::{Hdf5File, NpyArray, TextTable, name_list as list, positional_column_name};

use super::error::DataError;
use super::table::{RowOrigin, Table};

/// The data file formats, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text (anything not below).
    Text,
    /// NumPy `.npy`.
    Npy,
    /// HDF5: `.h5`, `.hdf5`, `.nxs`.
    Hdf5,
}

impl Format {
    /// The format of `path`, from its extension.
    pub fn of(path: &Path) -> Format {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("npy") => Format::Npy,
            Some("h5" | "hdf5" | "nxs") => Format::Hdf5,
            _ => Format::Text,
        }
    }
}

impl Table {
    /// Loads `path`: the format from the extension (.npy -> NumPy; .h5/.hdf5/.nxs -> HDF5;
    /// anything else -> delimited text).
    ///
    /// For HDF5, `datasets` lists the dataset paths to read (each becomes a column named by
    /// its path); for the other formats it is ignored and every column is loaded.
    ///
    /// Delimited text: the delimiter is a comma if the first non-comment line has one,
    /// else a tab if it has one, else runs of whitespace. Blank lines and `#` comments
    /// (whole-line or trailing) are skipped. The first non-comment line is a header row of
    /// column names when any of its cells is not a number; otherwise the columns are named
    /// `x`, `y`, `c2`, `c3`, ... `nan` and `inf` are read as numbers (see
    /// [`check_finite`](Table::check_finite)).
    ///
    /// NumPy: a 1-D array is one column `x`; a 2-D array of `n_rows x n_cols` (C or
    /// Fortran order) has columns `x`, `y`, `c2`, ...
    ///
    /// NumPy and HDF5 values may be of any element type `homodyne_data` reads (float64,
    /// float32, integers of 1 to 8 bytes, either byte order), converted to `f64`.
    pub fn load(path: &Path, datasets: &[String]) -> Result<Table, DataError> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(DataError::Io {
                    file: path.to_path_buf(),
                    source: io::Error::other("it is a folder: give the data file inside it"),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(DataError::MissingFile {
                    file: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(DataError::Io {
                    file: path.to_path_buf(),
                    source,
                });
            }
        }
        match Format::of(path) {
            Format::Text => text(path),
            Format::Npy => npy(path),
            Format::Hdf5 => hdf5(path, datasets),
        }
    }
}

/// Fewer rows than this, with more columns than rows, is taken for an array saved the
/// wrong way round (`np.save(f, [x, y])` gives a `2 x n` array).
const TRANSPOSED_MAX_ROWS: usize = 16;

/// A delimited text file: columns named by its header row, or by position.
pub(super) fn text(path: &Path) -> Result<Table, DataError> {
    let text = TextTable::read(path)?;
    let named_by_file = text.has_header();
    let (columns, values, lines) = text.into_parts();
    Ok(Table {
        path: path.to_path_buf(),
        columns,
        values,
        rows: RowOrigin::Lines(lines),
        named_by_file,
        dataset_paths: false,
    })
}

/// A `.npy` array: a 1-D array is one column `x`; a 2-D array of `n_rows x n_cols` has
/// columns `x`, `y`, `c2`, ...
pub(super) fn npy(path: &Path) -> Result<Table, DataError> {
    let npy_error = |message: String| DataError::Npy {
        file: path.to_path_buf(),
        message,
    };
    let array = NpyArray::read(path, "")?;
    let (n_rows, n_cols) = match *array.shape() {
        [n] => (n, 1),
        [n, m] => (n, m),
        _ => {
            return Err(npy_error(format!(
                "the array has shape {:?}: save a 1-D array or a 2-D array with one row per point",
                array.shape()
            )));
        }
    };
    if n_rows == 0 || n_cols == 0 {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
        });
    }
    if n_rows < n_cols && n_rows <= TRANSPOSED_MAX_ROWS && n_cols > TRANSPOSED_MAX_ROWS {
        return Err(npy_error(format!(
            "the array is {n_rows} x {n_cols} (rows x columns): save one row per point, e.g. np.save(f, np.column_stack([x, y]))"
        )));
    }
    // Row-major (the reader transposes Fortran order): element (i, j) at i * n_cols + j.
    let flat = array.into_numbers()?;
    let values = (0..n_cols)
        .map(|j| flat.iter().skip(j).step_by(n_cols).copied().collect())
        .collect();
    Ok(Table {
        path: path.to_path_buf(),
        columns: (0..n_cols).map(positional_column_name).collect(),
        values,
        rows: RowOrigin::Index,
        named_by_file: false,
        dataset_paths: false,
    })
}

/// The 1-D datasets at `datasets` (paths inside the file, with or without a leading
/// `/`), each a column named by its path.
pub(super) fn hdf5(path: &Path, datasets: &[String]) -> Result<Table, DataError> {
    let error = |dataset: &str, message: String| DataError::Hdf5 {
        file: path.to_path_buf(),
        path: dataset.to_owned(),
        message,
    };
    let file = Hdf5File::open(path)?;
    if datasets.is_empty() {
        return Err(error(
            "",
            format!(
                "no dataset paths given: name the datasets to fit, e.g. --x /entry/q --y /entry/g2 (datasets: {})",
                list(&file.dataset_names())
            ),
        ));
    }

    let mut columns: Vec<String> = Vec::with_capacity(datasets.len());
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(datasets.len());
    for name in datasets {
        let bare = name.trim_start_matches('/');
        if columns.iter().any(|c| c.trim_start_matches('/') == bare) {
            continue;
        }
        let dataset = file.dataset(name)?;
        let shape = dataset.shape();
        // One dimension, or several with all but one of length 1.
        if shape.iter().filter(|&&n| n != 1).count() > 1 || shape.is_empty() {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            let shown = if dims.is_empty() {
                "a scalar".to_owned()
            } else {
                format!("{}-D ({})", shape.len(), dims.join(" x "))
            };
            return Err(error(name, format!("is {shown}: give a 1-D dataset")));
        }
        let column = dataset.read_all()?;
        if let (Some(first), Some(first_name)) = (values.first(), columns.first())
            && first.len() != column.len()
        {
            return Err(error(
                name,
                format!(
                    "has {} values but {first_name} has {}: give datasets of the same length",
                    column.len(),
                    first.len()
                ),
            ));
        }
        columns.push(name.clone());
        values.push(column);
    }
    if values.first().is_none_or(Vec::is_empty) {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
        });
    }
    Ok(Table {
        path: path.to_path_buf(),
        columns,
        values,
        rows: RowOrigin::Index,
        named_by_file: true,
        dataset_paths: true,
    })
}

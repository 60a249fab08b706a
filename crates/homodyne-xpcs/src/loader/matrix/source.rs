//! Reading a bare matrix's array from its file through the I/O layer: `.npy` and `.npz`
//! arrays decoded whole (after the header's claimed size was found in the bytes), HDF5
//! datasets read only over the frames used (after the shape's claimed size was compared
//! with the file's). Every reader accepts float64, float32 and integers alike.

use std::path::Path;

use homodyne_data::{DataError, Hdf5Dataset, Hdf5File, NpyArray};

use crate::error::XpcsError;
use crate::loader::hdf5::{check_claim, open_hdf5, stored_precision};
use crate::loader::io_error::xpcs_error;
use crate::loader::loaded::Precision;
use crate::loader::npy;
use crate::loader::npz::{member_names, open_npz, read_member, stored_numbers};
use crate::loader::options::DATASET_KEY;

/// Candidate datasets listed when an HDF5 file needs a dataset path.
const MAX_CANDIDATES: usize = 20;

/// How the file is read, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    /// `.npy`: one array.
    Npy,
    /// `.npz`: a NumPy archive of arrays.
    Npz,
    /// Anything else: HDF5.
    Hdf5,
}

impl FileKind {
    /// The kind of `path`, by its extension (any case).
    pub(super) fn of(path: &Path) -> Self {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("npy") => Self::Npy,
            Some("npz") => Self::Npz,
            _ => Self::Hdf5,
        }
    }
}

/// The datasets of `file` that could be a bare matrix, for messages: `the file's square
/// matrices: /a, /b` (at most [`MAX_CANDIDATES`] of the datasets shaped `(n, n)` or
/// `(k, n, n)`), or that it holds none.
pub(super) fn square_matrices(file: &Hdf5File) -> String {
    let found: Vec<String> = file
        .dataset_names()
        .into_iter()
        .filter(|name| {
            file.dataset(name)
                .is_ok_and(|dataset| stack_shape(dataset.shape()).is_some())
        })
        .take(MAX_CANDIDATES)
        .collect();
    if found.is_empty() {
        "the file holds no 2-D or 3-D dataset of square matrices".to_owned()
    } else {
        format!("the file's square matrices: {}", found.join(", "))
    }
}

/// `(matrices, frames)` of a `(n, n)` or `(k, n, n)` shape with `k, n >= 1`.
pub(super) fn stack_shape(shape: &[usize]) -> Option<(usize, usize)> {
    match *shape {
        [a, b] if a == b && a > 0 => Some((1, a)),
        [k, a, b] if a == b && a > 0 && k > 0 => Some((k, a)),
        _ => None,
    }
}

/// The matrices of one file, frames already sliced: `n_matrices` row-major `m x m`
/// blocks of the stored values.
pub(super) struct Stack {
    /// The values, matrix after matrix, row-major.
    pub(super) values: Vec<f64>,
    /// The precision they were stored in.
    pub(super) precision: Precision,
}

/// What was read: the shape as stored, and a reader of a frame window.
pub(super) enum Source {
    /// A `.npy` or `.npz` array, decoded whole.
    InMemory {
        /// The array's dimensions.
        shape: Vec<usize>,
        /// Its values, C order.
        values: Vec<f64>,
        /// The precision they were stored in.
        precision: Precision,
    },
    /// An HDF5 dataset, read window by window.
    Hdf5(Hdf5Dataset),
}

impl Source {
    /// The array's dimensions.
    pub(super) fn shape(&self) -> &[usize] {
        match self {
            Self::InMemory { shape, .. } => shape,
            Self::Hdf5(dataset) => dataset.shape(),
        }
    }
}

/// Opens the array of `path`: its name for messages, and its shape with a way to read it.
pub(super) fn open_source(
    path: &Path,
    kind: FileKind,
    dataset: Option<&str>,
) -> Result<(String, Source), XpcsError> {
    match kind {
        FileKind::Npy => {
            if let Some(name) = dataset {
                return Err(XpcsError::config_value(
                    DATASET_KEY,
                    format!(
                        "is {name:?}, but {} is a .npy file, which holds one array: leave it \
                         out",
                        path.display()
                    ),
                ));
            }
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let array = NpyArray::read(path, "")
                .and_then(npy::Array::from_npy)
                .map_err(xpcs_error)?;
            in_memory(path, &file_name, array)
        }
        FileKind::Npz => {
            let mut archive = open_npz(path)?;
            let names = member_names(&archive)?;
            let key = match dataset {
                Some(name) => name.to_owned(),
                None if names.len() == 1 => names[0].clone(),
                None => {
                    return Err(XpcsError::MissingDataset {
                        path: path.to_path_buf(),
                        item: format!("`{DATASET_KEY}`"),
                        message: format!(
                            "the archive holds {} arrays [{}]; name the one to fit",
                            names.len(),
                            names.join(", ")
                        ),
                    });
                }
            };
            let array =
                read_member(&mut archive, &key)?.ok_or_else(|| XpcsError::MissingDataset {
                    path: path.to_path_buf(),
                    item: format!("array {key}"),
                    message: format!("the archive holds [{}]", names.join(", ")),
                })?;
            in_memory(path, &key, array)
        }
        FileKind::Hdf5 => {
            let file = open_hdf5(path)?;
            let Some(name) = dataset else {
                return Err(XpcsError::MissingDataset {
                    path: path.to_path_buf(),
                    item: format!("`{DATASET_KEY}`"),
                    message: format!(
                        "an HDF5 file needs the path of the dataset to fit (homodyne xpcs: \
                         --data FILE:DATASET); {}",
                        square_matrices(&file)
                    ),
                });
            };
            let item = format!("/{}", name.trim_start_matches('/'));
            let opened = file.dataset(&item).map_err(|e| match e {
                DataError::MissingDataset { .. } => XpcsError::MissingDataset {
                    path: path.to_path_buf(),
                    item: format!("dataset {item}"),
                    message: format!("`{DATASET_KEY}` names it; {}", square_matrices(&file)),
                },
                other => xpcs_error(other),
            })?;
            check_claim(path, &item, &opened)?;
            Ok((item, Source::Hdf5(opened)))
        }
    }
}

/// A decoded `.npy` array as a [`Source`], refusing strings.
fn in_memory(path: &Path, item: &str, array: npy::Array) -> Result<(String, Source), XpcsError> {
    let shape = array.shape.clone();
    let (values, precision) = stored_numbers(array, path, item)?;
    Ok((
        item.to_owned(),
        Source::InMemory {
            shape,
            values,
            precision,
        },
    ))
}

/// Frames `start .. start + m` of both matrix axes of every matrix.
pub(super) fn read_window(
    source: Source,
    n_matrices: usize,
    n: usize,
    start: usize,
    m: usize,
) -> Result<Stack, XpcsError> {
    match source {
        Source::InMemory {
            values, precision, ..
        } => {
            let mut out = Vec::with_capacity(n_matrices * m * m);
            for k in 0..n_matrices {
                let matrix = &values[k * n * n..(k + 1) * n * n];
                for i in start..start + m {
                    out.extend_from_slice(&matrix[i * n + start..i * n + start + m]);
                }
            }
            Ok(Stack {
                values: out,
                precision,
            })
        }
        Source::Hdf5(dataset) => {
            let (starts, counts) = if dataset.shape().len() == 2 {
                (vec![start, start], vec![m, m])
            } else {
                (vec![0, start, start], vec![n_matrices, m, m])
            };
            let mut values = vec![0.0; n_matrices * m * m];
            dataset
                .read_slice(&starts, &counts, &mut values)
                .map_err(xpcs_error)?;
            Ok(Stack {
                values,
                precision: stored_precision(&dataset),
            })
        }
    }
}

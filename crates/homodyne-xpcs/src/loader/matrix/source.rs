//! Reading a bare matrix's array from its file: `.npy` and `.npz` through the crate's
//! own `.npy` reader (decoded whole, after the header's claimed size was found in the
//! bytes), HDF5 datasets through `rust-hdf5`, read only over the frames used, after the
//! shape's claimed size was compared with the file's.

use std::fs::File;
use std::path::Path;

use rust_hdf5::{DatatypeMessage, H5Dataset, H5File, Hdf5Error};

use crate::error::XpcsError;
use crate::loader::hdf5::{datatype_text, members, open_hdf5};
use crate::loader::loaded::Precision;
use crate::loader::npy;
use crate::loader::npz::{open_zip, read_member};
use crate::loader::options::DATASET_KEY;

/// Deflate's largest expansion (bytes out per byte in): no HDF5 dataset can hold more
/// data than this many times the size of its file.
const MAX_EXPANSION: u64 = 1032;
/// Candidate datasets listed when an HDF5 file needs a dataset path.
const MAX_CANDIDATES: usize = 20;
/// Groups visited when looking for candidate datasets.
const MAX_GROUPS_VISITED: usize = 500;

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
/// Paths of the datasets of `file` shaped `(n, n)` or `(k, n, n)`, at most
/// [`MAX_CANDIDATES`], found by a bounded walk of its groups.
pub(super) fn square_datasets(file: &H5File) -> Vec<String> {
    let mut found = Vec::new();
    let mut queue = vec![String::new()];
    let mut visited = 0;
    while let Some(group) = queue.pop() {
        visited += 1;
        if visited > MAX_GROUPS_VISITED || found.len() >= MAX_CANDIDATES {
            break;
        }
        let Some(names) = members(file, &group) else {
            continue;
        };
        for name in names {
            let full = if group.is_empty() {
                name
            } else {
                format!("{group}/{name}")
            };
            match file.dataset(&full) {
                Ok(dataset) => {
                    if stack_shape(&dataset.shape()).is_some() && found.len() < MAX_CANDIDATES {
                        found.push(format!("/{full}"));
                    }
                }
                Err(_) => queue.push(full),
            }
        }
    }
    found.sort();
    found
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
        shape: Vec<usize>,
        values: Vec<f64>,
        precision: Precision,
    },
    /// An HDF5 dataset, read window by window.
    Hdf5 {
        dataset: H5Dataset,
        shape: Vec<usize>,
    },
}

impl Source {
    pub(super) fn shape(&self) -> &[usize] {
        match self {
            Self::InMemory { shape, .. } | Self::Hdf5 { shape, .. } => shape,
        }
    }
}
/// Opens the array of `path`: its name for messages, and its shape with a way to read it.
pub(super) fn open_source(
    path: &Path,
    kind: FileKind,
    dataset: Option<&str>,
) -> Result<(String, Source), XpcsError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
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
            let bytes = std::fs::read(path).map_err(|source| XpcsError::Io {
                path: path.to_path_buf(),
                action: "read".to_owned(),
                source,
            })?;
            let array = npy::parse(&bytes).map_err(|message| {
                XpcsError::data_file(path, "", format!("{message}; save it with numpy.save"))
            })?;
            in_memory(path, &file_name, array)
        }
        FileKind::Npz => {
            let mut archive = open_zip(path)?;
            let names: Vec<String> = archive
                .file_names()
                .map(|n| n.map(|n| n.strip_suffix(".npy").unwrap_or(&n).to_owned()))
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    XpcsError::data_file(path, "", format!("cannot list its members ({e})"))
                })?;
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
            let array = read_member(&mut archive, path, &key)?.ok_or_else(|| {
                XpcsError::MissingDataset {
                    path: path.to_path_buf(),
                    item: format!("array {key}"),
                    message: format!("the archive holds [{}]", names.join(", ")),
                }
            })?;
            in_memory(path, &key, array)
        }
        FileKind::Hdf5 => {
            let file = open_hdf5(path)?;
            let Some(name) = dataset else {
                let candidates = square_datasets(&file);
                return Err(XpcsError::MissingDataset {
                    path: path.to_path_buf(),
                    item: format!("`{DATASET_KEY}`"),
                    message: format!(
                        "an HDF5 file needs the path of the dataset to fit (homodyne xpcs: \
                         --data FILE:DATASET); {}",
                        if candidates.is_empty() {
                            "it holds no 2-D or 3-D dataset of square matrices".to_owned()
                        } else {
                            format!("its square matrices: {}", candidates.join(", "))
                        }
                    ),
                });
            };
            let trimmed = name.trim_start_matches('/');
            let item = format!("/{trimmed}");
            let opened = file.dataset(trimmed).map_err(|e| match e {
                Hdf5Error::NotFound(_) => {
                    let candidates = square_datasets(&file);
                    XpcsError::MissingDataset {
                        path: path.to_path_buf(),
                        item: format!("dataset {item}"),
                        message: format!(
                            "`{DATASET_KEY}` names it; {}",
                            if candidates.is_empty() {
                                "the file holds no 2-D or 3-D dataset of square matrices".to_owned()
                            } else {
                                format!("the file's square matrices: {}", candidates.join(", "))
                            }
                        ),
                    }
                }
                other => XpcsError::data_file(path, &item, format!("cannot be opened ({other})")),
            })?;
            let shape = opened.shape();
            check_claim(path, &item, &opened, &shape)?;
            Ok((
                item,
                Source::Hdf5 {
                    dataset: opened,
                    shape,
                },
            ))
        }
    }
}

/// A decoded `.npy` array as a [`Source`], refusing strings.
fn in_memory(path: &Path, item: &str, array: npy::Array) -> Result<(String, Source), XpcsError> {
    let precision = match array.stored {
        npy::Stored::F32 => Precision::Float32,
        npy::Stored::F64 | npy::Stored::Int => Precision::Float64,
        npy::Stored::Unicode => {
            return Err(XpcsError::data_file(
                path,
                item,
                format!("holds strings ({}); give numbers", array.descr),
            ));
        }
    };
    let npy::Values::Numbers(values) = array.values else {
        return Err(XpcsError::data_file(
            path,
            item,
            format!("holds strings ({}); give numbers", array.descr),
        ));
    };
    Ok((
        item.to_owned(),
        Source::InMemory {
            shape: array.shape,
            values,
            precision,
        },
    ))
}

/// Refuses an HDF5 dataset whose shape claims more data than its file can hold, before
/// anything is allocated for it.
fn check_claim(
    path: &Path,
    item: &str,
    dataset: &H5Dataset,
    shape: &[usize],
) -> Result<(), XpcsError> {
    let element = dataset.element_size() as u64;
    let claimed = shape
        .iter()
        .try_fold(element, |acc, &d| acc.checked_mul(d as u64));
    let file_bytes = File::open(path)
        .and_then(|f| f.metadata())
        .map(|m| m.len())
        .map_err(|source| XpcsError::Io {
            path: path.to_path_buf(),
            action: "read".to_owned(),
            source,
        })?;
    match claimed {
        Some(bytes) if bytes <= file_bytes.saturating_mul(MAX_EXPANSION) => Ok(()),
        _ => Err(XpcsError::data_file(
            path,
            item,
            format!(
                "claims shape {shape:?} of {element}-byte values, more than a file of \
                 {file_bytes} bytes can hold even compressed; the file is damaged"
            ),
        )),
    }
}

/// Frames `start .. start + m` of both matrix axes of every matrix.
pub(super) fn read_window(
    path: &Path,
    item: &str,
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
        Source::Hdf5 { dataset, shape } => {
            let fail = |message: String| XpcsError::data_file(path, item, message);
            let datatype = dataset
                .datatype()
                .map_err(|e| fail(format!("cannot read its element type ({e})")))?;
            let (starts, counts) = if shape.len() == 2 {
                (vec![start, start], vec![m, m])
            } else {
                (vec![0, start, start], vec![n_matrices, m, m])
            };
            let (values, precision) = match datatype {
                DatatypeMessage::FloatingPoint { size, .. } if size == 4 || size == 8 => (
                    dataset
                        .read_numeric_slice_as::<f64>(&starts, &counts)
                        .map_err(|e| fail(format!("cannot be read ({e})")))?,
                    if size == 4 {
                        Precision::Float32
                    } else {
                        Precision::Float64
                    },
                ),
                DatatypeMessage::FixedPoint { .. } => (
                    dataset
                        .read_numeric_slice_as::<i64>(&starts, &counts)
                        .map_err(|e| fail(format!("cannot be read ({e})")))?
                        .into_iter()
                        .map(|v| v as f64)
                        .collect(),
                    Precision::Float64,
                ),
                other => {
                    return Err(fail(format!(
                        "holds {}; a two-time matrix holds 32- or 64-bit floats, or integers",
                        datatype_text(&other)
                    )));
                }
            };
            if values.len() != n_matrices * m * m {
                return Err(fail(format!(
                    "returned {} values for {n_matrices} x {m} x {m} frames",
                    values.len()
                )));
            }
            Ok(Stack { values, precision })
        }
    }
}

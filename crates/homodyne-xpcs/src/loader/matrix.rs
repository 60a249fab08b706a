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
//! ([`super::correct_diagonal`]), and the time vector is `linspace(0, dt (N - 1), N)`.
//! A full symmetric matrix, or its upper triangle, therefore loads to the very values the
//! same matrix gives when stored as an APS-U half matrix.
//!
//! # Which reader ([`DataFormat`])
//!
//! With `experimental_data.format: auto` (the default) a `.npy` file is a bare matrix; a
//! `.npz` file is the package's cache when it holds `c2_exp` and no
//! `experimental_data.dataset` is given, else a bare matrix; any other file is HDF5, read
//! as a bare matrix when a dataset is given and as an APS or APS-U file otherwise.
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

use std::fs::File;
use std::path::Path;

use rust_hdf5::{DatatypeMessage, H5Dataset, H5File, Hdf5Error};

use super::{
    DataLocation, LoadOptions, LoadedXpcs, Precision, SourceFormat, correct_diagonal,
    datatype_text, frame_window, loader_times, members, npy, open_hdf5, open_zip, read_member,
};
use crate::data::CorrelationData;
use crate::error::XpcsError;

/// Deflate's largest expansion (bytes out per byte in): no HDF5 dataset can hold more
/// data than this many times the size of its file.
const MAX_EXPANSION: u64 = 1032;
/// Relative asymmetry `|c_ij - c_ji| / max |c|` above which a full matrix is said to be
/// asymmetric.
const ASYMMETRY_TOLERANCE: f64 = 1e-6;
/// Candidate datasets listed when an HDF5 file needs a dataset path.
const MAX_CANDIDATES: usize = 20;
/// Groups visited when looking for candidate datasets.
const MAX_GROUPS_VISITED: usize = 500;

/// The configuration key of the angles of a bare matrix.
pub const PHI_ANGLES_KEY: &str = "experimental_data.phi_angles";
/// The configuration key of the dataset path (HDF5) or array name (`.npz`).
pub const DATASET_KEY: &str = "experimental_data.dataset";
/// The configuration key of the wavevector.
pub const WAVEVECTOR_KEY: &str = "analyzer_parameters.scattering.wavevector_q";

/// Which reader a data file goes to (`experimental_data.format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DataFormat {
    /// `auto` (the default): by the file's extension and contents (see the module
    /// documentation).
    #[default]
    Auto,
    /// `aps`: the package's files, an APS or APS-U HDF5 file or the package's `.npz`
    /// cache.
    Aps,
    /// `matrix`: a bare two-time correlation matrix or stack.
    Matrix,
}

impl DataFormat {
    /// The configuration spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Aps => "aps",
            Self::Matrix => "matrix",
        }
    }

    /// The format spelled `text` (`auto`, `aps` or `matrix`).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Auto, Self::Aps, Self::Matrix]
            .into_iter()
            .find(|f| f.name() == text)
    }
}

/// Which part of each stored matrix holds the data (`experimental_data.triangle`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MatrixTriangle {
    /// `auto` (the default): `upper` when every value below the diagonal is 0 or NaN
    /// and some value above is not, `lower` the other way round, else `full`.
    #[default]
    Auto,
    /// `full`: every value is used as stored, `c(t1, t2)` at row `t1`, column `t2`.
    Full,
    /// `upper`: the values above the diagonal are mirrored below it; what is below is
    /// ignored.
    Upper,
    /// `lower`: the values below the diagonal are mirrored above it; what is above is
    /// ignored.
    Lower,
}

impl MatrixTriangle {
    /// The configuration spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Full => "full",
            Self::Upper => "upper",
            Self::Lower => "lower",
        }
    }

    /// The triangle spelled `text` (`auto`, `full`, `upper` or `lower`).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Auto, Self::Full, Self::Upper, Self::Lower]
            .into_iter()
            .find(|t| t.name() == text)
    }
}

/// Where the matrices are inside a bare-matrix file, and which triangle they fill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixSource {
    /// The HDF5 dataset path (`/exchange/c2`, the leading `/` optional) or the `.npz`
    /// array name; `None` for a `.npy` file or a `.npz` archive of one array.
    pub dataset: Option<String>,
    /// Which triangle holds the data.
    pub triangle: MatrixTriangle,
}

/// How the file is read, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Npy,
    Npz,
    Hdf5,
}

impl FileKind {
    fn of(path: &Path) -> Self {
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
                    let archive = open_zip(&path)?;
                    let is_cache = archive.index_for_name("c2_exp.npy").is_some()
                        || archive.index_for_name("c2_exp").is_some();
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
    let candidates = square_datasets(&file);
    let listing = if candidates.is_empty() {
        "it holds no 2-D or 3-D dataset of square matrices".to_owned()
    } else {
        format!("its square matrices: {}", candidates.join(", "))
    };
    XpcsError::MissingDataset {
        path: path.to_path_buf(),
        item: "APS-U or APS two-time datasets".to_owned(),
        message: format!(
            "{message}. To read a bare two-time correlation matrix from it instead, give \
             `{DATASET_KEY}` (or `homodyne xpcs --data FILE:DATASET`) with `{PHI_ANGLES_KEY}` \
             and `{WAVEVECTOR_KEY}`; {listing}"
        ),
    }
}

/// Paths of the datasets of `file` shaped `(n, n)` or `(k, n, n)`, at most
/// [`MAX_CANDIDATES`], found by a bounded walk of its groups.
fn square_datasets(file: &H5File) -> Vec<String> {
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
fn stack_shape(shape: &[usize]) -> Option<(usize, usize)> {
    match *shape {
        [a, b] if a == b && a > 0 => Some((1, a)),
        [k, a, b] if a == b && a > 0 && k > 0 => Some((k, a)),
        _ => None,
    }
}

/// The matrices of one file, frames already sliced: `n_matrices` row-major `m x m`
/// blocks of the stored values.
struct Stack {
    values: Vec<f64>,
    precision: Precision,
}

/// What was read: the shape as stored, and a reader of a frame window.
enum Source {
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
    fn shape(&self) -> &[usize] {
        match self {
            Self::InMemory { shape, .. } | Self::Hdf5 { shape, .. } => shape,
        }
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
    let stack = read_window(path, &item, opened, n_matrices, n, start, m)?;

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
            item: &names[k],
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

/// Opens the array of `path`: its name for messages, and its shape with a way to read it.
fn open_source(
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
fn read_window(
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

/// Where one matrix came from, for messages.
struct MatrixContext<'a> {
    path: &'a Path,
    item: &'a str,
    angle: usize,
    n_angles: usize,
    phi: f64,
    /// The 0-based file frame of the first row and column.
    first_frame: usize,
}

impl MatrixContext<'_> {
    /// `the matrix (phi = 0 deg)` or `angle 2 of 4 (phi = 45 deg)`.
    fn which(&self) -> String {
        if self.n_angles == 1 {
            format!("the matrix (phi = {} deg)", self.phi)
        } else {
            format!(
                "angle {} of {} (phi = {} deg)",
                self.angle + 1,
                self.n_angles,
                self.phi
            )
        }
    }
}

/// `0` or NaN: what an empty triangle holds.
fn empty(v: f64) -> bool {
    v == 0.0 || v.is_nan()
}

/// Makes the `m x m` row-major `matrix` whole from the triangle that holds its data
/// (mirroring it across the diagonal), after checking that every value off the diagonal
/// it keeps is finite. Returns the triangle used.
fn make_whole(
    matrix: &mut [f64],
    m: usize,
    configured: MatrixTriangle,
    context: &MatrixContext<'_>,
    warnings: &mut Vec<String>,
) -> Result<MatrixTriangle, XpcsError> {
    let upper_empty = (0..m).all(|i| (i + 1..m).all(|j| empty(matrix[i * m + j])));
    let lower_empty = (0..m).all(|i| (0..i).all(|j| empty(matrix[i * m + j])));
    if m > 1 && upper_empty && lower_empty {
        return Err(XpcsError::data_file(
            context.path,
            context.item,
            format!(
                "{} holds no value off its diagonal (every one is 0 or NaN); a two-time \
                 correlation needs its values for t1 != t2",
                context.which()
            ),
        ));
    }
    let triangle = match configured {
        MatrixTriangle::Auto if m > 1 && lower_empty => MatrixTriangle::Upper,
        MatrixTriangle::Auto if m > 1 && upper_empty => MatrixTriangle::Lower,
        MatrixTriangle::Auto => MatrixTriangle::Full,
        other => other,
    };
    if configured == MatrixTriangle::Full && m > 1 && (lower_empty || upper_empty) {
        warnings.push(format!(
            "{} [{}]: {} is read as a full matrix (experimental_data.triangle: full), but \
             every value {} its diagonal is 0 or NaN; give `triangle: auto` to mirror the \
             other half",
            context.path.display(),
            context.item,
            context.which(),
            if lower_empty { "below" } else { "above" }
        ));
    }
    // The off-diagonal values kept, checked in row-major order.
    let kept = |i: usize, j: usize| match triangle {
        MatrixTriangle::Upper => i < j,
        MatrixTriangle::Lower => i > j,
        _ => i != j,
    };
    for i in 0..m {
        for j in 0..m {
            let v = matrix[i * m + j];
            if kept(i, j) && !v.is_finite() {
                return Err(XpcsError::data_file(
                    context.path,
                    context.item,
                    format!(
                        "the value {v} at row {}, column {} (1-based frames of the file) of \
                         {} is not finite; the fit needs finite values off the diagonal: \
                         choose other frames (start_frame, end_frame) or repair the file",
                        context.first_frame + i + 1,
                        context.first_frame + j + 1,
                        context.which()
                    ),
                ));
            }
        }
    }
    match triangle {
        MatrixTriangle::Upper => {
            for i in 0..m {
                for j in i + 1..m {
                    matrix[j * m + i] = matrix[i * m + j];
                }
            }
        }
        MatrixTriangle::Lower => {
            for i in 0..m {
                for j in i + 1..m {
                    matrix[i * m + j] = matrix[j * m + i];
                }
            }
        }
        _ => {}
    }
    Ok(triangle)
}

/// A note when a full matrix is not symmetric: the fit uses `t1 < t2` (the upper
/// triangle), and the diagonal correction the mean of both neighbours.
fn asymmetry(matrix: &[f64], m: usize, context: &MatrixContext<'_>) -> Option<String> {
    let scale = matrix.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut worst = (0.0f64, 0, 0);
    for i in 0..m {
        for j in i + 1..m {
            let d = (matrix[i * m + j] - matrix[j * m + i]).abs();
            if d > worst.0 {
                worst = (d, i, j);
            }
        }
    }
    (worst.0 > ASYMMETRY_TOLERANCE * scale).then(|| {
        format!(
            "{} [{}]: {} is not symmetric (|c(t1, t2) - c(t2, t1)| = {:.3e} at row {}, column \
             {}, 1-based frames of the file); the fit uses its upper triangle (t1 < t2)",
            context.path.display(),
            context.item,
            context.which(),
            worst.0,
            context.first_frame + worst.1 + 1,
            context.first_frame + worst.2 + 1
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(path: &Path) -> MatrixContext<'_> {
        MatrixContext {
            path,
            item: "c2",
            angle: 0,
            n_angles: 1,
            phi: 0.0,
            first_frame: 0,
        }
    }

    #[test]
    fn triangles_are_detected_and_mirrored() {
        let path = Path::new("m.npy");
        let mut warnings = Vec::new();
        let mut upper = vec![1.0, 2.0, 3.0, 0.0, 4.0, 5.0, f64::NAN, 0.0, 6.0];
        let t = make_whole(
            &mut upper,
            3,
            MatrixTriangle::Auto,
            &context(path),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(t, MatrixTriangle::Upper);
        assert_eq!(upper, [1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        let mut lower = vec![1.0, 0.0, 0.0, 2.0, 4.0, 0.0, 3.0, 5.0, 6.0];
        let t = make_whole(
            &mut lower,
            3,
            MatrixTriangle::Auto,
            &context(path),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(t, MatrixTriangle::Lower);
        assert_eq!(lower, [1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        // A configured upper triangle ignores what is below it.
        let mut noisy = vec![1.0, 2.0, 3.0, 9.0, 4.0, 5.0, 9.0, 9.0, 6.0];
        make_whole(
            &mut noisy,
            3,
            MatrixTriangle::Upper,
            &context(path),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(noisy, [1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        assert!(warnings.is_empty(), "{warnings:?}");
        // Full is kept as it is, with a word when half of it is empty.
        let mut half = vec![1.0, 2.0, 0.0, 4.0];
        let t = make_whole(
            &mut half,
            2,
            MatrixTriangle::Full,
            &context(path),
            &mut warnings,
        )
        .unwrap();
        assert_eq!((t, half), (MatrixTriangle::Full, vec![1.0, 2.0, 0.0, 4.0]));
        assert!(warnings[0].contains("below its diagonal"), "{warnings:?}");
    }

    #[test]
    fn empty_matrices_and_non_finite_values_are_refused() {
        let path = Path::new("m.npy");
        let mut warnings = Vec::new();
        let mut zero = vec![1.0, 0.0, f64::NAN, 1.0];
        let err = make_whole(
            &mut zero,
            2,
            MatrixTriangle::Auto,
            &context(path),
            &mut warnings,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("no value off its diagonal"),
            "{err}"
        );
        let mut full = vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::INFINITY, 7.0, 8.0, 9.0];
        let ctx = MatrixContext {
            first_frame: 10,
            angle: 1,
            n_angles: 3,
            phi: 45.0,
            ..context(path)
        };
        let err = make_whole(&mut full, 3, MatrixTriangle::Auto, &ctx, &mut warnings)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 12, column 13") && err.contains("angle 2 of 3 (phi = 45 deg)"),
            "{err}"
        );
        // The diagonal is replaced, so a NaN there is no error.
        let mut diagonal = vec![f64::NAN, 2.0, 2.0, f64::NAN];
        make_whole(
            &mut diagonal,
            2,
            MatrixTriangle::Auto,
            &context(path),
            &mut warnings,
        )
        .unwrap();
    }

    #[test]
    fn asymmetry_is_noted_beyond_rounding() {
        let path = Path::new("m.npy");
        let symmetric = [1.0, 2.0, 2.0 + 1e-9, 1.0];
        assert!(asymmetry(&symmetric, 2, &context(path)).is_none());
        let skew = [1.0, 2.0, 2.5, 1.0];
        let note = asymmetry(&skew, 2, &context(path)).unwrap();
        assert!(note.contains("row 1, column 2"), "{note}");
    }

    #[test]
    fn names_and_shapes() {
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

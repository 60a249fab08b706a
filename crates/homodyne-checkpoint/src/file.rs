//! The checkpoint file format: which datasets, how they are written, read and checksummed.
//!
//! Everything that knows about HDF5 lives here (and only here): [`write_file`] and
//! [`read_file`] are the two entry points the manager uses. They hold the layout, the
//! checks and the checksum, and leave creating and opening datasets to a [`Backend`]:
//! `pure` (rust-hdf5, the default) or `c` (the HDF5 C library through `hdf5-metno`,
//! with the `hdf5-c` feature). The checksum is computed from the decoded values, not from
//! HDF5 bytes, so it does not depend on the backend, and each backend reads the other's
//! files.

#[cfg(feature = "hdf5-c")]
mod c;
// With the `hdf5-c` feature, rust-hdf5 is still built for the tests that check that each
// backend reads the other's files.
#[cfg(any(not(feature = "hdf5-c"), test))]
mod pure;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::state::validate_name;
use crate::{CheckpointError, OptimizerState, StateArray};

/// The checkpoint format version this library writes. Files whose major version (the part
/// before the first `.`) differs are refused; a newer minor version of the same major is
/// read.
pub const FORMAT_VERSION: &str = "1.0";

/// The major part of [`FORMAT_VERSION`].
const FORMAT_MAJOR: u64 = 1;

/// The version of this library, stored in every checkpoint as `/version/library_version`.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Deflate (gzip) level of compressed arrays: level 1 is several times faster than the
/// default 6 and loses little on floating-point data.
pub(crate) const DEFLATE_LEVEL: u32 = 1;

/// Largest chunk of a compressed array, in bytes.
const CHUNK_BYTES: usize = 1 << 20;

pub(crate) const PARAMETERS: &str = "/parameters";
pub(crate) const LOSS: &str = "/loss";
pub(crate) const BATCH_IDX: &str = "/batch_idx";
pub(crate) const OPTIMIZER_STATE: &str = "/optimizer_state";
pub(crate) const METADATA: &str = "/metadata";
pub(crate) const VERSION_GROUP: &str = "/version";
pub(crate) const FORMAT_VERSION_PATH: &str = "/version/format_version";
pub(crate) const LIBRARY_VERSION_PATH: &str = "/version/library_version";
pub(crate) const TIMESTAMP: &str = "/timestamp";
pub(crate) const CHECKSUM: &str = "/checksum";

/// The groups every checkpoint has, even when empty.
const GROUPS: [&str; 3] = [OPTIMIZER_STATE, METADATA, VERSION_GROUP];

/// A checkpoint read back from disk (by [`load_checkpoint`](crate::load_checkpoint)): every
/// field exactly as it was saved, after its checksum and format version were checked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Checkpoint {
    /// Index of the batch after which the checkpoint was written.
    pub batch_idx: u64,
    /// The parameter vector.
    pub parameters: Vec<f64>,
    /// The optimizer's state.
    pub optimizer_state: OptimizerState,
    /// The loss (cost) at the checkpoint.
    pub loss: f64,
    /// Free-form string metadata (strategy, problem size, ...).
    pub metadata: BTreeMap<String, String>,
    /// The checkpoint format version of the file (`"1.0"` for files written by this
    /// library version).
    pub format_version: String,
    /// The version of the library that wrote the file.
    pub library_version: String,
    /// When the file was written: RFC 3339 in UTC, e.g. `2026-05-01T12:34:56.789012Z`.
    pub timestamp: String,
    /// Where the checkpoint was read from.
    pub path: PathBuf,
}

/// Everything stored in a checkpoint except the checksum, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payload<'a> {
    pub batch_idx: i64,
    pub parameters: &'a [f64],
    pub loss: f64,
    pub optimizer_state: &'a OptimizerState,
    pub metadata: &'a BTreeMap<String, String>,
    pub format_version: &'a str,
    pub library_version: &'a str,
    pub timestamp: &'a str,
}

/// The values of one stored field.
#[derive(Debug, Clone, Copy)]
enum Values<'a> {
    F64(&'a [f64]),
    I64(&'a [i64]),
    /// One UTF-8 string, stored as a variable-length string dataset of shape `[1]`.
    Str(&'a str),
}

impl Values<'_> {
    /// The dtype tag of the canonical byte stream.
    fn tag(&self) -> u8 {
        match self {
            Self::F64(_) => b'f',
            Self::I64(_) => b'i',
            Self::Str(_) => b's',
        }
    }
}

/// One stored dataset: its absolute path, shape and values.
#[derive(Debug, Clone)]
struct Field<'a> {
    path: String,
    shape: Vec<usize>,
    values: Values<'a>,
}

/// Shape of a string field.
const STRING_SHAPE: [usize; 1] = [1];

/// Every dataset of the checkpoint except `/checksum`, sorted by path.
fn fields<'a>(
    payload: &Payload<'a>,
    batch_idx: &'a [i64; 1],
    loss: &'a [f64; 1],
) -> Vec<Field<'a>> {
    let string = |path: String, s: &'a str| Field {
        path,
        shape: STRING_SHAPE.to_vec(),
        values: Values::Str(s),
    };
    let mut out = vec![
        Field {
            path: PARAMETERS.to_owned(),
            shape: vec![payload.parameters.len()],
            values: Values::F64(payload.parameters),
        },
        Field {
            path: LOSS.to_owned(),
            shape: Vec::new(),
            values: Values::F64(loss),
        },
        Field {
            path: BATCH_IDX.to_owned(),
            shape: Vec::new(),
            values: Values::I64(batch_idx),
        },
        string(FORMAT_VERSION_PATH.to_owned(), payload.format_version),
        string(LIBRARY_VERSION_PATH.to_owned(), payload.library_version),
        string(TIMESTAMP.to_owned(), payload.timestamp),
    ];
    for (name, array) in payload.optimizer_state.iter() {
        let (shape, values) = match array {
            StateArray::F64 { shape, data } => (shape.clone(), Values::F64(data)),
            StateArray::I64 { shape, data } => (shape.clone(), Values::I64(data)),
        };
        out.push(Field {
            path: format!("{OPTIMIZER_STATE}/{name}"),
            shape,
            values,
        });
    }
    for (key, value) in payload.metadata {
        out.push(string(format!("{METADATA}/{key}"), value));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The hex SHA-256 of the canonical bytes of every field but `/checksum`.
///
/// Fields are taken in byte order of their absolute paths; for each: the path's length
/// (u64 LE) and UTF-8 bytes, a one-byte dtype tag (`f` = f64, `i` = i64, `s` = UTF-8
/// string), the rank (u64 LE) and each dimension (u64 LE), then the elements: 8 bytes LE
/// per number (an f64 as its IEEE 754 bits), or per string its byte length (u64 LE) and
/// UTF-8 bytes.
pub(crate) fn checksum(payload: &Payload<'_>) -> String {
    let batch_idx = [payload.batch_idx];
    let loss = [payload.loss];
    let mut hasher = Sha256::new();
    let u64_le = |n: usize| (n as u64).to_le_bytes();
    for field in fields(payload, &batch_idx, &loss) {
        hasher.update(u64_le(field.path.len()));
        hasher.update(field.path.as_bytes());
        hasher.update([field.values.tag()]);
        hasher.update(u64_le(field.shape.len()));
        for &d in &field.shape {
            hasher.update(u64_le(d));
        }
        match field.values {
            Values::F64(data) => {
                for v in data {
                    hasher.update(v.to_bits().to_le_bytes());
                }
            }
            Values::I64(data) => {
                for v in data {
                    hasher.update(v.to_le_bytes());
                }
            }
            Values::Str(s) => {
                hasher.update(u64_le(s.len()));
                hasher.update(s.as_bytes());
            }
        }
    }
    hex(&hasher.finalize())
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Chunk dimensions of a compressed array: the whole array when it fits in
/// [`CHUNK_BYTES`], otherwise the leading dimensions halved until it does.
fn chunk_dims(shape: &[usize], element_size: usize) -> Vec<usize> {
    let mut chunk = shape.to_vec();
    while chunk.iter().product::<usize>().saturating_mul(element_size) > CHUNK_BYTES {
        match chunk.iter_mut().find(|d| **d > 1) {
            Some(d) => *d = d.div_ceil(2),
            None => break,
        }
    }
    chunk
}

/// The chunk shape of `field` when it is stored compressed: numeric arrays of rank >= 1
/// with at least one element, when `compress` is set. Scalars and empty arrays are stored
/// contiguously (HDF5 cannot chunk them), and strings are never compressed.
fn chunking(field: &Field<'_>, compress: bool) -> Option<Vec<usize>> {
    let numeric_len = match field.values {
        Values::F64(d) => d.len(),
        Values::I64(d) => d.len(),
        Values::Str(_) => return None,
    };
    // float64 and int64 are both 8 bytes.
    (compress && !field.shape.is_empty() && numeric_len > 0).then(|| chunk_dims(&field.shape, 8))
}

/// A [`CheckpointError::Format`] about `field` of the file at `path`.
fn format_error(path: &Path, field: &str, message: impl Into<String>) -> CheckpointError {
    CheckpointError::Format {
        path: path.to_path_buf(),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A [`CheckpointError::MissingField`] about `field` of the file at `path`.
fn missing(path: &Path, field: &str) -> CheckpointError {
    CheckpointError::MissingField {
        path: path.to_path_buf(),
        field: field.to_owned(),
    }
}

/// An HDF5 library that writes and reads checkpoint files: the only place that knows
/// which one. Both implementations store the same layout, so either reads the other's
/// files; the checks and the checksum are here, independent of the backend.
trait Backend {
    /// A file open for reading.
    type File: Source;

    /// Writes a complete file at `path` (truncating anything there): the groups
    /// [`GROUPS`], every field of `fields` (absolute paths, sorted), chunked and deflated as
    /// [`chunking`] says, and the `checksum` string as [`CHECKSUM`]; then closes it.
    fn write(
        path: &Path,
        fields: &[Field<'_>],
        checksum: &str,
        compress: bool,
    ) -> Result<(), CheckpointError>;

    /// Opens the file at `path` (known to be a regular file) for reading:
    /// [`CheckpointError::Io`] when the operating system refuses,
    /// [`CheckpointError::NotHdf5`] when it cannot be parsed as HDF5.
    fn open(path: &Path) -> Result<Self::File, CheckpointError>;
}

/// The datasets of one open file. Errors name the file and the field:
/// [`CheckpointError::MissingField`] when the object is absent, [`CheckpointError::Format`]
/// when it cannot be opened or read as asked.
trait Source {
    /// The shape and elements of a string dataset.
    fn strings(&self, field: &str) -> Result<(Vec<usize>, Vec<String>), CheckpointError>;

    /// A float64 or int64 dataset with its shape as stored (not yet checked against the
    /// number of elements read).
    fn numbers(&self, field: &str) -> Result<StateArray, CheckpointError>;

    /// The names of the datasets directly in `group`, in any order.
    fn dataset_names(&self, group: &str) -> Result<Vec<String>, CheckpointError>;
}

/// The backend this build uses: the C library with the `hdf5-c` feature, else rust-hdf5.
#[cfg(feature = "hdf5-c")]
type Active = c::C;
#[cfg(not(feature = "hdf5-c"))]
type Active = pure::Pure;

/// Writes a complete checkpoint file at `path` (truncating anything there) and closes it.
/// Not atomic by itself: the manager writes to a temporary name, fsyncs and renames.
pub(crate) fn write_file(
    path: &Path,
    payload: &Payload<'_>,
    compress: bool,
) -> Result<(), CheckpointError> {
    write_with::<Active>(path, payload, compress)
}

/// [`write_file`] with backend `B`.
fn write_with<B: Backend>(
    path: &Path,
    payload: &Payload<'_>,
    compress: bool,
) -> Result<(), CheckpointError> {
    let sum = checksum(payload);
    let batch_idx = [payload.batch_idx];
    let loss = [payload.loss];
    B::write(path, &fields(payload, &batch_idx, &loss), &sum, compress)
}

/// Reads, checks and decodes the checkpoint at `path`.
///
/// Order of the checks: the file must exist and open as HDF5 ([`CheckpointError::Io`],
/// [`CheckpointError::NotHdf5`]); its format version must have this library's major
/// version ([`CheckpointError::VersionMismatch`]); every field must be present and of the
/// right type and shape ([`CheckpointError::MissingField`], [`CheckpointError::Format`]);
/// the checksum of the contents must equal the stored one ([`CheckpointError::Corrupt`]).
pub(crate) fn read_file(path: &Path) -> Result<Checkpoint, CheckpointError> {
    read_with::<Active>(path)
}

/// [`read_file`] with backend `B`.
fn read_with<B: Backend>(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let meta = std::fs::metadata(path).map_err(|e| CheckpointError::io(path, "read", e))?;
    if !meta.is_file() {
        return Err(CheckpointError::NotHdf5 {
            path: path.to_path_buf(),
            message: "it is not a regular file".to_owned(),
        });
    }
    let file = B::open(path)?;
    let reader = Reader {
        path,
        source: &file,
    };

    let format_version = reader.string(FORMAT_VERSION_PATH)?;
    if parse_major(&format_version) != Some(FORMAT_MAJOR) {
        return Err(CheckpointError::VersionMismatch {
            path: path.to_path_buf(),
            found: format_version,
            supported: FORMAT_VERSION.to_owned(),
        });
    }
    let library_version = reader.string(LIBRARY_VERSION_PATH)?;
    let timestamp = reader.string(TIMESTAMP)?;
    let stored_checksum = reader.string(CHECKSUM)?;

    let parameters = match reader.numeric(PARAMETERS)? {
        StateArray::F64 { shape, data } if shape.len() == 1 => data,
        other => return Err(reader.wrong_kind(PARAMETERS, "a 1-D float64 array", &other)),
    };
    let loss = match reader.numeric(LOSS)? {
        StateArray::F64 { shape, data } if shape.is_empty() && data.len() == 1 => data[0],
        other => return Err(reader.wrong_kind(LOSS, "a float64 scalar", &other)),
    };
    let batch_idx = match reader.numeric(BATCH_IDX)? {
        StateArray::I64 { shape, data } if shape.is_empty() && data.len() == 1 => data[0],
        other => return Err(reader.wrong_kind(BATCH_IDX, "an int64 scalar", &other)),
    };

    let mut optimizer_state = OptimizerState::new();
    for name in reader.children(OPTIMIZER_STATE)? {
        let field = format!("{OPTIMIZER_STATE}/{name}");
        validate_name(Some(path), "optimizer state field name", &name)
            .map_err(|e| reader.format(&field, e.to_string()))?;
        let array = reader.numeric(&field)?;
        optimizer_state
            .insert(name, array)
            .map_err(|e| reader.format(&field, e.to_string()))?;
    }
    let mut metadata = BTreeMap::new();
    for key in reader.children(METADATA)? {
        let field = format!("{METADATA}/{key}");
        validate_name(Some(path), "metadata key", &key)
            .map_err(|e| reader.format(&field, e.to_string()))?;
        let value = reader.string(&field)?;
        metadata.insert(key, value);
    }

    let payload = Payload {
        batch_idx,
        parameters: &parameters,
        loss,
        optimizer_state: &optimizer_state,
        metadata: &metadata,
        format_version: &format_version,
        library_version: &library_version,
        timestamp: &timestamp,
    };
    let actual = checksum(&payload);
    if actual != stored_checksum {
        return Err(CheckpointError::Corrupt {
            path: path.to_path_buf(),
            expected: stored_checksum,
            actual,
        });
    }
    let batch_idx = u64::try_from(batch_idx)
        .map_err(|_| reader.format(BATCH_IDX, format!("is negative ({batch_idx})")))?;
    Ok(Checkpoint {
        batch_idx,
        parameters,
        optimizer_state,
        loss,
        metadata,
        format_version,
        library_version,
        timestamp,
        path: path.to_path_buf(),
    })
}

/// The major version of a `MAJOR.MINOR` version string.
fn parse_major(version: &str) -> Option<u64> {
    let major = version.split_once('.').map_or(version, |(m, _)| m);
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    major.parse().ok()
}

/// Reads fields of one open file through its backend and checks their shapes, with errors
/// that name the file and the field.
struct Reader<'a, S> {
    path: &'a Path,
    source: &'a S,
}

impl<S: Source> Reader<'_, S> {
    fn format(&self, field: &str, message: impl Into<String>) -> CheckpointError {
        format_error(self.path, field, message)
    }

    fn wrong_kind(&self, field: &str, expected: &str, found: &StateArray) -> CheckpointError {
        self.format(
            field,
            format!(
                "is a {} array of shape {:?}; the format requires {expected}",
                found.dtype_name(),
                found.shape()
            ),
        )
    }

    /// A string field: a string dataset of shape `[1]`.
    fn string(&self, field: &str) -> Result<String, CheckpointError> {
        let (shape, mut strings) = self.source.strings(field)?;
        if shape != STRING_SHAPE {
            return Err(self.format(
                field,
                format!("has shape {shape:?}; a string field has shape [1]"),
            ));
        }
        match (strings.pop(), strings.is_empty()) {
            (Some(s), true) => Ok(s),
            _ => Err(self.format(field, "does not hold exactly one string")),
        }
    }

    /// A numeric field: float64 or int64, any shape, as many elements as the shape says.
    fn numeric(&self, field: &str) -> Result<StateArray, CheckpointError> {
        let array = self.source.numbers(field)?;
        array.check_shape(Some(self.path), field).map_err(|_| {
            self.format(
                field,
                format!(
                    "has shape {:?} but {} element(s) were read; the data are truncated or damaged",
                    array.shape(),
                    array.len()
                ),
            )
        })?;
        Ok(array)
    }

    /// The dataset names directly under the group `group`, sorted.
    fn children(&self, group: &str) -> Result<Vec<String>, CheckpointError> {
        let mut names = self.source.dataset_names(group)?;
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use rust_hdf5::H5File;

    use super::*;

    fn sample_state() -> OptimizerState {
        OptimizerState::new()
            .with("trust_radius", StateArray::scalar_f64(0.25))
            .unwrap()
            .with("nfev", StateArray::scalar_i64(17))
            .unwrap()
    }

    fn payload<'a>(
        state: &'a OptimizerState,
        metadata: &'a BTreeMap<String, String>,
        params: &'a [f64],
        format_version: &'a str,
    ) -> Payload<'a> {
        Payload {
            batch_idx: 4,
            parameters: params,
            loss: 1.5,
            optimizer_state: state,
            metadata,
            format_version,
            library_version: LIBRARY_VERSION,
            timestamp: "2026-01-01T00:00:00.000000Z",
        }
    }

    #[test]
    fn checksum_depends_on_every_field() {
        let state = sample_state();
        let mut metadata = BTreeMap::new();
        metadata.insert("strategy".to_owned(), "streaming".to_owned());
        let params = [1.0, 2.0];
        let base = payload(&state, &metadata, &params, FORMAT_VERSION);
        let sum = checksum(&base);
        assert_eq!(sum.len(), 64);
        assert_eq!(sum, checksum(&base));

        let other_params = [1.0, 2.0000000000000004];
        assert_ne!(
            sum,
            checksum(&Payload {
                parameters: &other_params,
                ..base
            })
        );
        assert_ne!(sum, checksum(&Payload { loss: -1.5, ..base }));
        assert_ne!(
            sum,
            checksum(&Payload {
                batch_idx: 5,
                ..base
            })
        );
        assert_ne!(
            sum,
            checksum(&Payload {
                timestamp: "x",
                ..base
            })
        );
        let mut metadata2 = metadata.clone();
        metadata2.insert("strategy".to_owned(), "streaminG".to_owned());
        assert_ne!(
            sum,
            checksum(&Payload {
                metadata: &metadata2,
                ..base
            })
        );
        let mut state2 = state.clone();
        state2
            .insert("nfev", StateArray::vector_i64(vec![17]))
            .unwrap();
        assert_ne!(
            sum,
            checksum(&Payload {
                optimizer_state: &state2,
                ..base
            }),
            "shape counts"
        );
        // A name moved between the two maps changes the path, hence the checksum.
        let state3 = OptimizerState::new();
        assert_ne!(
            sum,
            checksum(&Payload {
                optimizer_state: &state3,
                ..base
            })
        );
    }

    #[test]
    fn known_checksum_of_a_minimal_payload() {
        // Pins the canonical byte stream: changing it is a format change.
        let state = OptimizerState::new();
        let metadata = BTreeMap::new();
        let p = Payload {
            batch_idx: 0,
            parameters: &[],
            loss: 0.0,
            optimizer_state: &state,
            metadata: &metadata,
            format_version: "1.0",
            library_version: "0.0.0",
            timestamp: "t",
        };
        let mut bytes = Vec::new();
        let push_path = |bytes: &mut Vec<u8>, path: &str, tag: u8, shape: &[u64]| {
            bytes.extend((path.len() as u64).to_le_bytes());
            bytes.extend(path.as_bytes());
            bytes.push(tag);
            bytes.extend((shape.len() as u64).to_le_bytes());
            for d in shape {
                bytes.extend(d.to_le_bytes());
            }
        };
        let push_str = |bytes: &mut Vec<u8>, s: &str| {
            bytes.extend((s.len() as u64).to_le_bytes());
            bytes.extend(s.as_bytes());
        };
        push_path(&mut bytes, "/batch_idx", b'i', &[]);
        bytes.extend(0i64.to_le_bytes());
        push_path(&mut bytes, "/loss", b'f', &[]);
        bytes.extend(0f64.to_bits().to_le_bytes());
        push_path(&mut bytes, "/parameters", b'f', &[0]);
        push_path(&mut bytes, "/timestamp", b's', &[1]);
        push_str(&mut bytes, "t");
        push_path(&mut bytes, "/version/format_version", b's', &[1]);
        push_str(&mut bytes, "1.0");
        push_path(&mut bytes, "/version/library_version", b's', &[1]);
        push_str(&mut bytes, "0.0.0");
        assert_eq!(checksum(&p), hex(&Sha256::digest(&bytes)));
    }

    #[test]
    fn chunks_stay_under_the_limit() {
        assert_eq!(chunk_dims(&[53, 53], 8), vec![53, 53]);
        let big = chunk_dims(&[1000, 1000], 8);
        assert!(big.iter().product::<usize>() * 8 <= CHUNK_BYTES, "{big:?}");
        assert_eq!(big[1], 1000);
        let row = chunk_dims(&[1, 1 << 20], 8);
        assert!(row.iter().product::<usize>() * 8 <= CHUNK_BYTES, "{row:?}");
    }

    #[test]
    fn version_major() {
        assert_eq!(parse_major("1.0"), Some(1));
        assert_eq!(parse_major("1.7"), Some(1));
        assert_eq!(parse_major("2"), Some(2));
        assert_eq!(parse_major("10.0"), Some(10));
        assert_eq!(parse_major(""), None);
        assert_eq!(parse_major("v1.0"), None);
        assert_eq!(parse_major("+1.0"), None);
    }

    #[test]
    fn another_major_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = sample_state();
        let metadata = BTreeMap::new();
        let params = [3.0];
        for (version, accepted) in [
            ("2.0", false),
            ("0.9", false),
            ("garbage", false),
            ("1.3", true),
        ] {
            let path = dir.path().join(format!("v{version}.h5"));
            write_file(&path, &payload(&state, &metadata, &params, version), true).unwrap();
            match read_file(&path) {
                Ok(ck) => {
                    assert!(accepted, "{version} was accepted");
                    assert_eq!(ck.format_version, version);
                }
                Err(CheckpointError::VersionMismatch {
                    path: p,
                    found,
                    supported,
                }) => {
                    assert!(!accepted, "{version} was refused");
                    assert_eq!(p, path);
                    assert_eq!(found, version);
                    assert_eq!(supported, FORMAT_VERSION);
                }
                Err(other) => panic!("{version}: unexpected {other}"),
            }
        }
    }

    /// A new file at `path` holding a checkpoint's string fields (version, timestamp, a
    /// dummy checksum) and nothing else, for the tests of incomplete files.
    fn file_with_strings(path: &Path) -> H5File {
        let file = H5File::create(path).unwrap();
        let version = file.create_group("version").unwrap();
        version
            .write_vlen_strings("format_version", &["1.0"])
            .unwrap();
        version
            .write_vlen_strings("library_version", &["0.1.0"])
            .unwrap();
        file.write_vlen_strings("timestamp", &["t"]).unwrap();
        file.write_vlen_strings("checksum", &["00"]).unwrap();
        file
    }

    #[test]
    fn a_missing_dataset_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial.h5");
        let file = file_with_strings(&path);
        let ds = file
            .new_dataset::<f64>()
            .shape([2usize])
            .create("parameters")
            .unwrap();
        ds.write_raw(&[1.0f64, 2.0]).unwrap();
        file.close().unwrap();
        match read_file(&path) {
            Err(CheckpointError::MissingField { path: p, field }) => {
                assert_eq!(p, path);
                assert_eq!(field, LOSS);
            }
            other => panic!("expected MissingField, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_datatype_is_a_format_error() {
        // A file laid out like a checkpoint whose /parameters are float32.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f32.h5");
        let file = file_with_strings(&path);
        let ds = file
            .new_dataset::<f32>()
            .shape([1usize])
            .create("parameters")
            .unwrap();
        ds.write_raw(&[1.0f32]).unwrap();
        file.close().unwrap();
        match read_file(&path) {
            Err(CheckpointError::Format {
                path: p,
                field,
                message,
            }) => {
                assert_eq!(p, path);
                assert_eq!(field, PARAMETERS);
                assert!(message.contains("float64 and int64 only"), "{message}");
            }
            other => panic!("expected Format, got {other:?}"),
        }
    }
}

/// Each backend reads what the other wrote, bit for bit (only with the `hdf5-c` feature,
/// where both are built).
#[cfg(all(test, feature = "hdf5-c"))]
mod cross_backend_tests {
    use super::*;

    fn rich_state() -> OptimizerState {
        OptimizerState::new()
            .with("trust_radius", StateArray::scalar_f64(0.375))
            .unwrap()
            .with("iteration", StateArray::scalar_i64(i64::MIN))
            .unwrap()
            .with(
                "special",
                StateArray::vector_f64(vec![
                    f64::NAN,
                    f64::from_bits(0x7ff8_0000_dead_beef),
                    f64::from_bits(0x7ff0_0000_0000_0001),
                    f64::from_bits(0xfff8_0000_0000_0000),
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    -0.0,
                    f64::from_bits(1),
                    f64::MAX,
                ]),
            )
            .unwrap()
            .with(
                "r",
                StateArray::matrix_f64(53, 53, (0..53 * 53).map(|i| f64::from(i) * 0.01).collect())
                    .unwrap(),
            )
            .unwrap()
            .with(
                "cube",
                StateArray::f64_with_shape(vec![2, 3, 4], (0..24).map(f64::from).collect())
                    .unwrap(),
            )
            .unwrap()
            .with("empty_vector", StateArray::vector_f64(Vec::new()))
            .unwrap()
            .with(
                "empty_matrix",
                StateArray::matrix_f64(0, 5, Vec::new()).unwrap(),
            )
            .unwrap()
            .with("empty_ints", StateArray::vector_i64(Vec::new()))
            .unwrap()
            .with(
                "counts",
                StateArray::i64_with_shape(vec![2, 2], vec![1, -2, 3, i64::MAX]).unwrap(),
            )
            .unwrap()
            .with(
                // 400 x 400 float64 = 1.28 MB: split into several chunks when compressed.
                "big",
                StateArray::matrix_f64(
                    400,
                    400,
                    (0..400 * 400)
                        .map(|i| f64::from((i * 7919) % 1000) / 7.0)
                        .collect(),
                )
                .unwrap(),
            )
            .unwrap()
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    /// Writes with `W`, reads with `R`, and compares everything.
    fn write_then_read<W: Backend, R: Backend>(what: &str) {
        let state = rich_state();
        let metadata = BTreeMap::from([
            ("strategy".to_owned(), "streaming".to_owned()),
            ("empty".to_owned(), String::new()),
            ("unicode".to_owned(), "Δτ = 1 µs, ångström ✓".to_owned()),
            ("multiline".to_owned(), "line 1\nline 2\ttab".to_owned()),
        ]);
        let params: Vec<f64> = (0..53).map(|i| 0.5 + f64::from(i) / 3.0).collect();
        for compress in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("cross.h5");
            let payload = Payload {
                batch_idx: 19,
                parameters: &params,
                loss: -0.0,
                optimizer_state: &state,
                metadata: &metadata,
                format_version: FORMAT_VERSION,
                library_version: LIBRARY_VERSION,
                timestamp: "2026-05-01T12:34:56.789012Z",
            };
            write_with::<W>(&path, &payload, compress).unwrap();
            let ck = read_with::<R>(&path)
                .unwrap_or_else(|e| panic!("{what}, compress={compress}: {e}"));
            assert_eq!(ck.batch_idx, 19, "{what}");
            assert_eq!(bits(&ck.parameters), bits(&params), "{what}");
            assert_eq!(ck.loss.to_bits(), (-0.0f64).to_bits(), "{what}");
            assert_eq!(ck.metadata, metadata, "{what}");
            assert_eq!(ck.format_version, FORMAT_VERSION, "{what}");
            assert_eq!(ck.library_version, LIBRARY_VERSION, "{what}");
            assert_eq!(ck.timestamp, payload.timestamp, "{what}");
            let names: Vec<&str> = ck.optimizer_state.names().collect();
            let want: Vec<&str> = state.names().collect();
            assert_eq!(names, want, "{what}");
            for (name, array) in state.iter() {
                let read = ck.optimizer_state.get(name).unwrap();
                assert_eq!(read.shape(), array.shape(), "{what}: {name}");
                match (array, read) {
                    (StateArray::F64 { data: a, .. }, StateArray::F64 { data: b, .. }) => {
                        assert_eq!(bits(a), bits(b), "{what}: {name}");
                    }
                    (StateArray::I64 { data: a, .. }, StateArray::I64 { data: b, .. }) => {
                        assert_eq!(a, b, "{what}: {name}");
                    }
                    _ => panic!("{what}: {name} changed dtype"),
                }
            }
            // The writer's own backend reads it too.
            read_with::<W>(&path).unwrap();
        }
    }

    #[test]
    fn the_c_library_reads_what_rust_hdf5_wrote() {
        write_then_read::<pure::Pure, c::C>("rust-hdf5 -> C");
    }

    #[test]
    fn rust_hdf5_reads_what_the_c_library_wrote() {
        write_then_read::<c::C, pure::Pure>("C -> rust-hdf5");
    }

    #[test]
    fn a_damaged_file_is_refused_by_both_backends() {
        // The same corruption in a C-written file is caught by either reader.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("damaged.h5");
        let state = OptimizerState::new();
        let metadata = BTreeMap::new();
        let marker = 1_234.567_890_123_456_7_f64;
        let payload = Payload {
            batch_idx: 1,
            parameters: &[0.5, marker],
            loss: 1.0,
            optimizer_state: &state,
            metadata: &metadata,
            format_version: FORMAT_VERSION,
            library_version: LIBRARY_VERSION,
            timestamp: "t",
        };
        write_with::<c::C>(&path, &payload, false).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let needle = marker.to_le_bytes();
        let at = bytes
            .windows(8)
            .position(|w| w == needle)
            .expect("the uncompressed value is in the file");
        bytes[at + 3] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        for result in [read_with::<c::C>(&path), read_with::<pure::Pure>(&path)] {
            assert!(
                matches!(result, Err(CheckpointError::Corrupt { .. })),
                "{result:?}"
            );
        }
    }

    #[test]
    fn the_c_library_refuses_a_string_with_a_nul() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nul.h5");
        let state = OptimizerState::new();
        let metadata = BTreeMap::from([("k".to_owned(), "a\0b".to_owned())]);
        let payload = Payload {
            batch_idx: 1,
            parameters: &[],
            loss: 1.0,
            optimizer_state: &state,
            metadata: &metadata,
            format_version: FORMAT_VERSION,
            library_version: LIBRARY_VERSION,
            timestamp: "t",
        };
        match write_with::<c::C>(&path, &payload, true) {
            Err(CheckpointError::Format { field, message, .. }) => {
                assert_eq!(field, "/metadata/k");
                assert!(message.contains("cannot store this string"), "{message}");
            }
            other => panic!("expected Format, got {other:?}"),
        }
    }
}

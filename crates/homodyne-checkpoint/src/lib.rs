//! Crash-safe checkpoint files for homodyne fits.
//!
//! A long fit writes a checkpoint every few batches so that, if it is killed, it can resume
//! from the newest one without recomputing. This crate writes those checkpoints as plain
//! HDF5 files (h5py and h5dump read them), atomically, with a SHA-256 checksum of their
//! contents, keeps the newest few, and finds the newest *valid* one on resume, skipping a
//! file that is corrupt, truncated, not HDF5 or from another major format version.
//!
//! - [`CheckpointManager`] decides when to write ([`CheckpointManager::should_checkpoint`]),
//!   writes ([`CheckpointManager::save_checkpoint`]), prunes
//!   ([`CheckpointManager::cleanup_old_checkpoints`]) and finds
//!   ([`CheckpointManager::find_latest_checkpoint`]). The names mirror the Python homodyne
//!   package's `CheckpointManager`.
//! - [`load_checkpoint`] reads a file back into a [`Checkpoint`]; [`validate_checkpoint`]
//!   runs the same checks without keeping the data.
//! - [`OptimizerState`] holds the solver's state as named `f64`/`i64` arrays
//!   ([`StateArray`]), each stored as its own dataset.
//! - Every failure is a [`CheckpointError`] naming the file; it converts into
//!   [`homodyne_core::OptimizationError::Checkpoint`].
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use homodyne_checkpoint::{CheckpointManager, OptimizerState, StateArray};
//!
//! # fn main() -> Result<(), homodyne_checkpoint::CheckpointError> {
//! let dir = tempfile::tempdir().expect("scratch directory");
//! let manager = CheckpointManager::with_defaults(dir.path())?;
//!
//! let state = OptimizerState::new()
//!     .with("damping", StateArray::scalar_f64(1e-3))?
//!     .with("qtr", StateArray::vector_f64(vec![0.5, -0.25]))?
//!     .with("r", StateArray::matrix_f64(2, 2, vec![2.0, 0.1, 0.0, 1.5])?)?
//!     .with("rng_state", StateArray::vector_i64(vec![42, -7]))?;
//! let metadata = BTreeMap::from([("strategy".to_owned(), "streaming".to_owned())]);
//!
//! let path = manager.save_checkpoint(9, &[1.0, 2.5], &state, 0.125, &metadata)?;
//! assert!(path.ends_with("homodyne_state_batch_0009.h5"));
//!
//! // On resume: the newest checkpoint that passes its checks.
//! let checkpoint = manager.load_latest_checkpoint()?.expect("one was written");
//! assert_eq!(checkpoint.batch_idx, 9);
//! assert_eq!(checkpoint.parameters, vec![1.0, 2.5]);
//! assert_eq!(checkpoint.loss, 0.125);
//! assert_eq!(checkpoint.optimizer_state, state);
//! assert_eq!(checkpoint.metadata, metadata);
//! assert_eq!(checkpoint.format_version, "1.0");
//! # Ok(())
//! # }
//! ```
//!
//! # File layout (format version 1.0)
//!
//! One file per checkpoint, `homodyne_state_batch_{batch_idx:04}.h5`
//! (`homodyne_state_batch_0010.h5`). Every value is a dataset; the file has no attributes
//! (the pure-Rust HDF5 reader cannot read numeric attributes on groups back as typed
//! values, and one kind of object keeps the checksum simple). Numbers are little-endian;
//! arrays are row-major (C order), as NumPy reads them.
//!
//! | path | HDF5 type and shape | content |
//! |---|---|---|
//! | `/parameters` | float64, `[P]` | the parameter vector |
//! | `/loss` | float64, scalar (rank 0) | the loss (cost) |
//! | `/batch_idx` | int64, scalar (rank 0) | the batch after which the checkpoint was written |
//! | `/optimizer_state/<name>` | float64 or int64, the field's shape (`[]` for a scalar) | one dataset per [`OptimizerState`] field |
//! | `/metadata/<key>` | variable-length UTF-8 string, `[1]` | one dataset per metadata entry |
//! | `/version/format_version` | variable-length UTF-8 string, `[1]` | the checkpoint format version, [`FORMAT_VERSION`] (`"1.0"`) |
//! | `/version/library_version` | variable-length UTF-8 string, `[1]` | the version of this crate that wrote the file ([`LIBRARY_VERSION`]) |
//! | `/timestamp` | variable-length UTF-8 string, `[1]` | when the save started, RFC 3339 UTC with microseconds (`2026-05-01T12:34:56.789012Z`) |
//! | `/checksum` | variable-length UTF-8 string, `[1]` | lower-case hex SHA-256 of every other dataset (below) |
//!
//! In h5py: `f["loss"][()]`, `f["parameters"][:]`, `f["optimizer_state/r"][:]`,
//! `f["metadata/strategy"][0].decode()`.
//!
//! Field and metadata names are 1 to 255 characters from `[A-Za-z0-9_]`.
//!
//! **Compression.** With compression enabled, every float64/int64 array of rank >= 1 with
//! at least one element is stored chunked and deflated (gzip level 1; chunks are the whole
//! array up to 1 MiB, larger arrays are split along their leading dimensions). Scalars,
//! empty arrays and strings are stored uncompressed (HDF5 cannot chunk a scalar or an empty
//! array). Without compression everything is contiguous.
//!
//! **Checksum.** SHA-256 over the canonical bytes of every dataset except `/checksum`,
//! taken in byte order of their absolute paths (`/batch_idx`, `/loss`, `/metadata/...`,
//! `/optimizer_state/...`, `/parameters`, `/timestamp`, `/version/...`). For each dataset:
//! the path's byte length (u64 LE) and its UTF-8 bytes; a one-byte dtype tag (`f` float64,
//! `i` int64, `s` string); the rank (u64 LE) and each dimension (u64 LE); then the
//! elements: 8 little-endian bytes per number (a float64 as its IEEE 754 bit pattern, so NaN
//! payloads count), or for a string its byte length (u64 LE) and UTF-8 bytes. The checksum
//! is computed from decoded values, so it does not depend on compression or on how the HDF5
//! library lays the file out; `tests/read_checkpoint.py` recomputes it from h5py.
//!
//! **Versions.** A file whose format major version (before the first `.`) differs from
//! this library's is refused with [`CheckpointError::VersionMismatch`]; a newer minor
//! version of the same major is read.
//!
//! # Atomicity and durability
//!
//! [`CheckpointManager::save_checkpoint`] writes a temporary file in the same directory
//! (`.homodyne_state_batch_0010.h5.<pid>.<n>.tmp`), closes it (which flushes it), fsyncs
//! it, renames it over the final name and fsyncs the directory where the platform allows.
//! A crash leaves either the old file or the new complete one under the final name, never
//! a partial one; a leftover temporary file is removed by the next successful save.
//!
//! # Backend
//!
//! By default files are written and read with the pure-Rust `rust-hdf5` crate, so nothing
//! needs the HDF5 C library. The optional cargo feature **`hdf5-c`** switches both writing
//! and reading to the HDF5 C library, through the maintained binding `hdf5-metno`:
//!
//! ```toml
//! homodyne-checkpoint = { version = "0.1", features = ["hdf5-c"] }
//! ```
//!
//! or `cargo test -p homodyne-checkpoint --features hdf5-c` in this workspace. It needs the
//! C library and its headers where the build runs: on Debian or Ubuntu
//! `apt-get install libhdf5-dev` (found through `pkg-config`; tested with Debian 12's HDF5
//! 1.10.8), or set `HDF5_DIR` to an installation. Without a system library, hdf5-metno's
//! own `static` feature (`hdf5-metno = { version = "0.15.1", features = ["static"] }` in
//! the depending crate) compiles HDF5 from source, which needs CMake >= 3.26 and a C
//! compiler.
//!
//! The layout, the compression and the checksum are the same with either backend, so a
//! file written by one is read by the other (the crate's tests check both directions), and
//! every check above applies to both. Differences with `hdf5-c`:
//!
//! - **Damaged files.** The C library is not hardened against malformed input: a file
//!   damaged in some of its internal structures (HDF5 1.10 does not bound-check, for
//!   example, a global heap index read from the file) can crash the process with a
//!   segmentation fault instead of returning [`CheckpointError::NotHdf5`] or
//!   [`CheckpointError::Corrupt`]. The pure-Rust reader returns an error instead (the
//!   tests flip every byte of a checkpoint), so it is the default and the one to use
//!   where checkpoints may be damaged.
//! - The C library stores strings NUL-terminated, so a metadata value containing a NUL
//!   character is refused with [`CheckpointError::Format`].
//! - Saving and loading are slower: in the `save_time_at_53_parameters` test, about 3 ms
//!   instead of 1 ms to save and 2 ms instead of 0.3 ms to load.
//!
//! All HDF5 access is in one private module (`file`): it builds the fields and the
//! checksum and does every check, and hands only the creating and opening of datasets to
//! the backend.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod checkpoint;
mod error;
mod file;
mod manager;
mod state;
mod time;

pub use checkpoint::Checkpoint;
pub use error::CheckpointError;
pub use file::{FORMAT_VERSION, LIBRARY_VERSION, load_checkpoint, validate_checkpoint};
pub use manager::{
    CheckpointManager, LatestWithSkipped, checkpoint_file_name, parse_checkpoint_file_name,
};
pub use state::{OptimizerState, StateArray};

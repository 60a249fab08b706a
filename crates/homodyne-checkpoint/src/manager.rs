//! [`CheckpointManager`]: where checkpoints go, when they are written, which are kept, and
//! which one a resumed fit starts from.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::checkpoint::Checkpoint;
use crate::error::CheckpointError;
use crate::file::{self, Payload, load_checkpoint, validate_checkpoint};
use crate::state::{OptimizerState, validate_name};

/// Prefix of every checkpoint file name.
const FILE_PREFIX: &str = "homodyne_state_batch_";
/// Suffix of every checkpoint file name.
const FILE_SUFFIX: &str = ".h5";
/// Suffix of temporary files.
const TMP_SUFFIX: &str = ".tmp";

/// Distinguishes temporary files of saves made by one process at the same time.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The file name of the checkpoint of batch `batch_idx`:
/// `homodyne_state_batch_{batch_idx:04}.h5` (`homodyne_state_batch_0010.h5`).
pub fn checkpoint_file_name(batch_idx: u64) -> String {
    format!("{FILE_PREFIX}{batch_idx:04}{FILE_SUFFIX}")
}

/// The batch index of a checkpoint file name (`homodyne_state_batch_<digits>.h5`), or
/// `None` for any other name.
pub fn parse_checkpoint_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(FILE_PREFIX)?.strip_suffix(FILE_SUFFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// True for the name of a temporary file a save writes (`.homodyne_state_batch_*.tmp`).
fn is_temp_file_name(name: &str) -> bool {
    name.starts_with('.') && name[1..].starts_with(FILE_PREFIX) && name.ends_with(TMP_SUFFIX)
}

/// Writes, finds, validates and prunes the checkpoints of one fit in one directory.
///
/// The names mirror the Python homodyne package's `CheckpointManager`. A checkpoint is
/// written every [`checkpoint_frequency`](Self::checkpoint_frequency) batches (ask
/// [`should_checkpoint`](Self::should_checkpoint)), atomically, and only the
/// [`keep_last_n`](Self::keep_last_n) newest are kept. One manager (one writer) per
/// directory is assumed.
///
/// ```
/// use std::collections::BTreeMap;
/// use homodyne_checkpoint::{CheckpointManager, OptimizerState, StateArray};
///
/// # fn main() -> Result<(), homodyne_checkpoint::CheckpointError> {
/// let dir = tempfile::tempdir().expect("scratch directory");
/// let manager = CheckpointManager::new(dir.path().join("checkpoints"), 2, 2, true)?;
/// let state = OptimizerState::new()
///     .with("trust_radius", StateArray::scalar_f64(0.5))?
///     .with("iteration", StateArray::scalar_i64(3))?;
/// let metadata = BTreeMap::from([("strategy".to_owned(), "streaming".to_owned())]);
///
/// for batch in 0..6u64 {
///     if manager.should_checkpoint(batch) {
///         // batches 1, 3 and 5
///         let params = [1.0, 2.0 + batch as f64];
///         manager.save_checkpoint(batch, &params, &state, 0.1, &metadata)?;
///     }
/// }
///
/// // Only the two newest are kept; the newest valid one is where a resumed fit starts.
/// let latest = manager.find_latest_checkpoint()?.expect("a checkpoint");
/// let checkpoint = homodyne_checkpoint::load_checkpoint(&latest)?;
/// assert_eq!(checkpoint.batch_idx, 5);
/// assert_eq!(checkpoint.parameters, vec![1.0, 7.0]);
/// assert_eq!(checkpoint.metadata["strategy"], "streaming");
/// assert_eq!(manager.list_checkpoints()?.len(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CheckpointManager {
    dir: PathBuf,
    frequency: usize,
    keep_last_n: usize,
    compression: bool,
}

/// The result of [`CheckpointManager::find_latest_checkpoint_with_skipped`]: the newest
/// valid checkpoint, if any, and the newer files that failed validation, newest first.
pub type LatestWithSkipped = (Option<PathBuf>, Vec<(PathBuf, CheckpointError)>);

/// Files that failed validation, with the reason, newest first.
type Skipped = Vec<(PathBuf, CheckpointError)>;

impl CheckpointManager {
    /// Default [`checkpoint_frequency`](Self::checkpoint_frequency): every 10 batches.
    pub const DEFAULT_FREQUENCY: usize = 10;
    /// Default [`keep_last_n`](Self::keep_last_n): the 3 newest checkpoints.
    pub const DEFAULT_KEEP_LAST_N: usize = 3;
    /// A save that takes longer than this logs a `tracing` warning.
    pub const SLOW_SAVE: Duration = Duration::from_secs(2);

    /// A manager writing into `checkpoint_dir` (created with its parents if missing) every
    /// `checkpoint_frequency` batches, keeping the `keep_last_n` newest files, with gzip
    /// (deflate level 1) compression of the arrays when `enable_compression` is set.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidArgument`] when `checkpoint_frequency` or `keep_last_n` is
    /// 0; [`CheckpointError::Io`] naming the directory when it cannot be created (for
    /// example when a parent is a regular file).
    pub fn new(
        checkpoint_dir: impl Into<PathBuf>,
        checkpoint_frequency: usize,
        keep_last_n: usize,
        enable_compression: bool,
    ) -> Result<Self, CheckpointError> {
        let dir = checkpoint_dir.into();
        if checkpoint_frequency == 0 {
            return Err(CheckpointError::invalid(
                Some(&dir),
                "checkpoint_frequency",
                "is 0; give the number of batches between checkpoints (at least 1)",
            ));
        }
        if keep_last_n == 0 {
            return Err(CheckpointError::invalid(
                Some(&dir),
                "keep_last_n",
                "is 0; at least the newest checkpoint must be kept",
            ));
        }
        fs::create_dir_all(&dir)
            .map_err(|e| CheckpointError::io(&dir, "create the checkpoint directory", e))?;
        if !dir.is_dir() {
            return Err(CheckpointError::io(
                &dir,
                "use as the checkpoint directory",
                io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            ));
        }
        Ok(Self {
            dir,
            frequency: checkpoint_frequency,
            keep_last_n,
            compression: enable_compression,
        })
    }

    /// [`CheckpointManager::new`] with every 10 batches, the 3 newest kept, and compression.
    ///
    /// # Errors
    ///
    /// As [`CheckpointManager::new`].
    pub fn with_defaults(checkpoint_dir: impl Into<PathBuf>) -> Result<Self, CheckpointError> {
        Self::new(
            checkpoint_dir,
            Self::DEFAULT_FREQUENCY,
            Self::DEFAULT_KEEP_LAST_N,
            true,
        )
    }

    /// The directory the checkpoints are written to.
    pub fn checkpoint_dir(&self) -> &Path {
        &self.dir
    }

    /// A checkpoint is due every this many batches.
    pub fn checkpoint_frequency(&self) -> usize {
        self.frequency
    }

    /// How many of the newest checkpoints are kept.
    pub fn keep_last_n(&self) -> usize {
        self.keep_last_n
    }

    /// Whether array datasets are gzip-compressed.
    pub fn compression_enabled(&self) -> bool {
        self.compression
    }

    /// True when a checkpoint is due after batch `batch_idx` (counted from 0): every
    /// `checkpoint_frequency` batches, that is when `(batch_idx + 1) % checkpoint_frequency
    /// == 0`. With frequency 10 that is after batches 9, 19, 29, ...; with frequency 1 after
    /// every batch.
    pub fn should_checkpoint(&self, batch_idx: u64) -> bool {
        let frequency = self.frequency as u64;
        // (batch_idx + 1) % f == 0, written so that u64::MAX does not overflow.
        batch_idx % frequency == frequency - 1
    }

    /// Where the checkpoint of batch `batch_idx` is written.
    pub fn checkpoint_path(&self, batch_idx: u64) -> PathBuf {
        self.dir.join(checkpoint_file_name(batch_idx))
    }

    /// Writes the checkpoint of batch `batch_idx` to
    /// `homodyne_state_batch_{batch_idx:04}.h5` in the directory and returns its path.
    ///
    /// The write is atomic: the file is written under a temporary name in the same
    /// directory (`.homodyne_state_batch_0010.h5.<pid>.<n>.tmp`), flushed and fsynced, then
    /// renamed into place, and the directory is fsynced where the platform allows. A crash
    /// at any moment leaves either the previous file or the complete new one under the
    /// final name; a failed save removes its temporary file. A checkpoint already there for
    /// the same batch is replaced.
    ///
    /// After a successful save, [`cleanup_old_checkpoints`](Self::cleanup_old_checkpoints)
    /// runs (a failure there is logged with `tracing::warn!`, not returned: the checkpoint
    /// itself is safe). A save slower than [`SLOW_SAVE`](Self::SLOW_SAVE) logs a
    /// `tracing::warn!` with the path and the duration.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidArgument`] for a `batch_idx` above `i64::MAX` or a metadata
    /// key outside `[A-Za-z0-9_]`; [`CheckpointError::Io`] when the file cannot be written,
    /// synced or renamed; [`CheckpointError::Format`] when the HDF5 writer refuses a field.
    pub fn save_checkpoint(
        &self,
        batch_idx: u64,
        parameters: &[f64],
        optimizer_state: &OptimizerState,
        loss: f64,
        metadata: &BTreeMap<String, String>,
    ) -> Result<PathBuf, CheckpointError> {
        let started = Instant::now();
        let started_at = SystemTime::now();
        let final_path = self.checkpoint_path(batch_idx);
        let stored_idx = i64::try_from(batch_idx).map_err(|_| {
            CheckpointError::invalid(
                Some(&final_path),
                "batch_idx",
                format!(
                    "{batch_idx} is above the largest storable index {}",
                    i64::MAX
                ),
            )
        })?;
        for key in metadata.keys() {
            validate_name(Some(&final_path), "metadata key", key)?;
        }
        let timestamp = crate::time::rfc3339_utc(started_at);
        let payload = Payload {
            batch_idx: stored_idx,
            parameters,
            loss,
            optimizer_state,
            metadata,
            format_version: file::FORMAT_VERSION,
            library_version: file::LIBRARY_VERSION,
            timestamp: &timestamp,
        };

        let tmp_path = self.dir.join(format!(
            ".{}.{}.{}{TMP_SUFFIX}",
            checkpoint_file_name(batch_idx),
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        if let Err(e) = self.write_and_publish(&tmp_path, &final_path, &payload) {
            // Best effort: the temporary file may not exist, and the original error is the
            // one worth reporting.
            let _ = fs::remove_file(&tmp_path);
            return Err(e);
        }

        let elapsed = started.elapsed();
        if elapsed > Self::SLOW_SAVE {
            tracing::warn!(
                path = %final_path.display(),
                seconds = elapsed.as_secs_f64(),
                "saving checkpoint {} took {:.2} s (more than {} s)",
                final_path.display(),
                elapsed.as_secs_f64(),
                Self::SLOW_SAVE.as_secs()
            );
        }
        if let Err(e) = self.cleanup(started_at) {
            tracing::warn!(
                directory = %self.dir.display(),
                error = %e,
                "removing old checkpoints failed: {e}"
            );
        }
        Ok(final_path)
    }

    /// Writes `tmp_path`, syncs it, renames it to `final_path` and syncs the directory.
    fn write_and_publish(
        &self,
        tmp_path: &Path,
        final_path: &Path,
        payload: &Payload<'_>,
    ) -> Result<(), CheckpointError> {
        // Creating the file here first (exclusively, so two saves can never share it) gives
        // a plain operating-system error naming it when the directory is not writable.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp_path)
            .map_err(|e| CheckpointError::io(tmp_path, "create", e))?;
        file::write_file(tmp_path, payload, self.compression)?;
        // rust-hdf5's close already fsyncs (the C library's does not); syncing through our
        // own handle makes the durability of the bytes before the rename independent of the
        // backend.
        fs::File::open(tmp_path)
            .and_then(|f| f.sync_all())
            .map_err(|e| CheckpointError::io(tmp_path, "sync", e))?;
        fs::rename(tmp_path, final_path).map_err(|e| {
            CheckpointError::io(final_path, format!("rename {} to", tmp_path.display()), e)
        })?;
        self.sync_dir();
        Ok(())
    }

    /// Fsyncs the directory so that the rename itself survives a power loss. Not every
    /// platform can open a directory for syncing; a failure is logged at debug level.
    fn sync_dir(&self) {
        if let Err(e) = fs::File::open(&self.dir).and_then(|d| d.sync_all()) {
            tracing::debug!(directory = %self.dir.display(), error = %e, "directory fsync not possible");
        }
    }

    /// Reads and checks the checkpoint at `path` (see [`load_checkpoint`]).
    ///
    /// # Errors
    ///
    /// As [`load_checkpoint`].
    pub fn load_checkpoint(&self, path: &Path) -> Result<Checkpoint, CheckpointError> {
        load_checkpoint(path)
    }

    /// Checks the checkpoint at `path` (see
    /// [`validate_checkpoint`]).
    ///
    /// # Errors
    ///
    /// As [`validate_checkpoint`].
    pub fn validate_checkpoint(&self, path: &Path) -> Result<(), CheckpointError> {
        validate_checkpoint(path)
    }

    /// The checkpoint files in the directory (regular files named
    /// `homodyne_state_batch_<digits>.h5`) with their batch indices, in increasing batch
    /// order, without validating them. A missing directory has none.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] when the directory cannot be listed.
    pub fn list_checkpoints(&self) -> Result<Vec<(u64, PathBuf)>, CheckpointError> {
        let mut found: Vec<(u64, PathBuf)> = self
            .entries()?
            .into_iter()
            .filter(|(_, _, meta)| meta.is_file())
            .filter_map(|(name, path, _)| parse_checkpoint_file_name(&name).map(|i| (i, path)))
            .collect();
        found.sort();
        Ok(found)
    }

    /// The directory's entries as (name, path, metadata); names that are not UTF-8 are
    /// skipped (they are not ours). A missing directory has no entries.
    fn entries(&self) -> Result<Vec<(String, PathBuf, fs::Metadata)>, CheckpointError> {
        let read = match fs::read_dir(&self.dir) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CheckpointError::io(&self.dir, "list", e)),
        };
        let mut out = Vec::new();
        for entry in read {
            let entry = entry.map_err(|e| CheckpointError::io(&self.dir, "list", e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // An entry removed between the listing and this call is simply gone.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            out.push((name, entry.path(), meta));
        }
        Ok(out)
    }

    /// The path of the newest checkpoint that validates, or `None` when there is none.
    ///
    /// Files are tried from the highest batch index down; one that fails
    /// [`validate_checkpoint`] (corrupt, truncated, not HDF5,
    /// foreign version) is skipped with a `tracing::warn!` naming it and the reason, and
    /// the next older one is tried. Use
    /// [`find_latest_checkpoint_with_skipped`](Self::find_latest_checkpoint_with_skipped)
    /// to get the skipped files as values.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] when the directory cannot be listed.
    pub fn find_latest_checkpoint(&self) -> Result<Option<PathBuf>, CheckpointError> {
        Ok(self.find_latest_checkpoint_with_skipped()?.0)
    }

    /// [`find_latest_checkpoint`](Self::find_latest_checkpoint), also returning the newer
    /// files that were skipped and why, newest first.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] when the directory cannot be listed.
    pub fn find_latest_checkpoint_with_skipped(
        &self,
    ) -> Result<LatestWithSkipped, CheckpointError> {
        let (latest, skipped) =
            self.latest(|path| validate_checkpoint(path).map(|()| path.to_path_buf()))?;
        Ok((latest, skipped))
    }

    /// Loads the newest checkpoint that validates (reading it once), or `None` when there
    /// is none; invalid newer files are skipped as in
    /// [`find_latest_checkpoint`](Self::find_latest_checkpoint).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] when the directory cannot be listed.
    pub fn load_latest_checkpoint(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        Ok(self.latest(load_checkpoint)?.0)
    }

    /// Tries `open` on the checkpoints from the newest down and returns the first success
    /// with the failures before it.
    fn latest<T>(
        &self,
        open: impl Fn(&Path) -> Result<T, CheckpointError>,
    ) -> Result<(Option<T>, Skipped), CheckpointError> {
        let mut skipped = Vec::new();
        for (_, path) in self.list_checkpoints()?.into_iter().rev() {
            match open(&path) {
                Ok(found) => return Ok((Some(found), skipped)),
                Err(e) => {
                    tracing::warn!(
                        path = %path.display(),
                        error = %e,
                        "skipping invalid checkpoint {}: {e}",
                        path.display()
                    );
                    skipped.push((path, e));
                }
            }
        }
        Ok((None, skipped))
    }

    /// Removes all but the [`keep_last_n`](Self::keep_last_n) checkpoints with the highest
    /// batch indices (valid or not), and the temporary files (`.homodyne_state_batch_*.tmp`)
    /// that crashed saves left behind and that were last modified before this call. Returns
    /// the removed paths (checkpoints in increasing batch order, then temporary files).
    ///
    /// Runs automatically after every successful save, with the save's start time as the
    /// cut-off for temporary files. Assumes a single writer per directory: a temporary file
    /// another writer is still filling could be removed, in which case that save fails with
    /// an I/O error at its rename (it never produces a bad file).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] when the directory cannot be listed or a file cannot be
    /// removed (a file that vanished meanwhile is not an error).
    pub fn cleanup_old_checkpoints(&self) -> Result<Vec<PathBuf>, CheckpointError> {
        self.cleanup(SystemTime::now())
    }

    /// [`cleanup_old_checkpoints`](Self::cleanup_old_checkpoints) with temporary files
    /// older than `tmp_cutoff` removed.
    fn cleanup(&self, tmp_cutoff: SystemTime) -> Result<Vec<PathBuf>, CheckpointError> {
        let mut removed = Vec::new();
        let checkpoints = self.list_checkpoints()?;
        let excess = checkpoints.len().saturating_sub(self.keep_last_n);
        for (_, path) in checkpoints.into_iter().take(excess) {
            if remove(&path)? {
                removed.push(path);
            }
        }
        let mut temps: Vec<PathBuf> = self
            .entries()?
            .into_iter()
            .filter(|(name, _, meta)| {
                is_temp_file_name(name)
                    && meta.is_file()
                    && meta.modified().is_ok_and(|m| m < tmp_cutoff)
            })
            .map(|(_, path, _)| path)
            .collect();
        temps.sort();
        for path in temps {
            if remove(&path)? {
                removed.push(path);
            }
        }
        Ok(removed)
    }
}

/// Removes `path`; `Ok(false)` when it was already gone.
fn remove(path: &Path) -> Result<bool, CheckpointError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CheckpointError::io(path, "remove", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(checkpoint_file_name(10), "homodyne_state_batch_0010.h5");
        assert_eq!(checkpoint_file_name(12345), "homodyne_state_batch_12345.h5");
        assert_eq!(
            parse_checkpoint_file_name("homodyne_state_batch_0010.h5"),
            Some(10)
        );
        assert_eq!(
            parse_checkpoint_file_name("homodyne_state_batch_12345.h5"),
            Some(12345)
        );
        for bad in [
            "homodyne_state_batch_.h5",
            "homodyne_state_batch_00a1.h5",
            "homodyne_state_batch_0010.h5.tmp",
            ".homodyne_state_batch_0010.h5",
            "homodyne_state_batch_-1.h5",
            "homodyne_state_batch_+1.h5",
            "homodyne_state_batch_99999999999999999999999.h5",
            "other.h5",
        ] {
            assert_eq!(parse_checkpoint_file_name(bad), None, "{bad}");
        }
        assert!(is_temp_file_name(".homodyne_state_batch_0010.h5.12.0.tmp"));
        assert!(!is_temp_file_name("homodyne_state_batch_0010.h5.tmp"));
        assert!(!is_temp_file_name(".other.tmp"));
    }

    #[test]
    fn should_checkpoint_every_frequency_batches() {
        let dir = tempfile::tempdir().unwrap();
        let m = CheckpointManager::new(dir.path(), 10, 3, true).unwrap();
        let due: Vec<u64> = (0..35).filter(|&b| m.should_checkpoint(b)).collect();
        assert_eq!(due, vec![9, 19, 29]);
        assert!(!m.should_checkpoint(u64::MAX));
        let every = CheckpointManager::new(dir.path(), 1, 3, true).unwrap();
        assert!((0..5).all(|b| every.should_checkpoint(b)));
        assert!(every.should_checkpoint(u64::MAX));
    }

    #[test]
    fn zero_frequency_or_keep_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (f, k, arg) in [(0, 3, "checkpoint_frequency"), (10, 0, "keep_last_n")] {
            match CheckpointManager::new(dir.path(), f, k, true) {
                Err(CheckpointError::InvalidArgument { argument, path, .. }) => {
                    assert_eq!(argument, arg);
                    assert_eq!(path.as_deref(), Some(dir.path()));
                }
                other => panic!("expected InvalidArgument, got {other:?}"),
            }
        }
        let d = CheckpointManager::with_defaults(dir.path()).unwrap();
        assert_eq!(
            (
                d.checkpoint_frequency(),
                d.keep_last_n(),
                d.compression_enabled()
            ),
            (10, 3, true)
        );
        assert_eq!(d.checkpoint_dir(), dir.path());
    }

    #[test]
    fn bad_metadata_key_and_huge_batch_are_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let m = CheckpointManager::new(dir.path(), 1, 3, true).unwrap();
        let state = OptimizerState::new();
        let bad = BTreeMap::from([("a/b".to_owned(), "x".to_owned())]);
        let err = m.save_checkpoint(1, &[1.0], &state, 0.0, &bad).unwrap_err();
        assert!(
            matches!(err, CheckpointError::InvalidArgument { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("homodyne_state_batch_0001.h5"),
            "{err}"
        );
        let err = m
            .save_checkpoint(u64::MAX, &[1.0], &state, 0.0, &BTreeMap::new())
            .unwrap_err();
        assert!(
            matches!(err, CheckpointError::InvalidArgument { .. }),
            "{err}"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn stale_temp_files_are_removed_but_foreign_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let m = CheckpointManager::new(dir.path(), 1, 2, false).unwrap();
        let stale = dir.path().join(".homodyne_state_batch_0003.h5.999.0.tmp");
        let foreign = dir.path().join(".something_else.tmp");
        let notes = dir.path().join("notes.txt");
        for p in [&stale, &foreign, &notes] {
            fs::write(p, b"partial").unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        let state = OptimizerState::new();
        m.save_checkpoint(0, &[1.0], &state, 0.0, &BTreeMap::new())
            .unwrap();
        assert!(!stale.exists());
        assert!(foreign.exists() && notes.exists());
    }
}

//! `fitted_data.npz` and `fitted_data.h5`, written together: each array goes to both files
//! at once (the `.npz` member on a second thread: the HDF5 file cannot move between
//! threads, the archive can), and both are written under a temporary name and renamed
//! when complete, so that an interrupted write never leaves a truncated file under the
//! final name.
//!
//! Neither file is synced to the disk (no fsync) before it is renamed: the files are
//! results that a fit writes again, a few gigabytes for a large run, and the fsync took
//! a second or two of the writing time (23 angles of 1001 x 1001 frames, 2.6 GB in all).
//! A program that is killed still leaves only complete files under the final names (the
//! rename comes after the last byte is handed to the operating system); only a crash of
//! the operating system or a power loss soon after the run can lose them.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_hdf5::{H5File, Hdf5Error};

use crate::error::XpcsError;
use crate::loader::npy;

/// Values converted to bytes at a time when streaming an array into the `.npz`.
const NPZ_WRITE_BLOCK: usize = 1 << 16;

/// The two array files of one output folder, open for writing.
pub(crate) struct FittedDataFiles {
    npz: NpzSink,
    h5: H5Sink,
}

impl FittedDataFiles {
    /// Opens both files under their temporary names (nothing is left when one cannot be).
    pub(crate) fn create(npz_path: &Path, h5_path: &Path) -> Result<Self, XpcsError> {
        let mut npz = NpzSink::create(npz_path)?;
        match H5Sink::create(h5_path) {
            Ok(h5) => Ok(Self { npz, h5 }),
            Err(e) => {
                npz.abandon();
                Err(e)
            }
        }
    }

    /// Stores `values` (C order, `shape`) as `key` in both files.
    pub(crate) fn put(
        &mut self,
        key: &str,
        shape: &[usize],
        values: &[f64],
    ) -> Result<(), XpcsError> {
        let Self { npz, h5 } = self;
        let npz_path = npz.file.path.clone();
        let (h5_outcome, npz_outcome) = std::thread::scope(|scope| {
            let archive = &mut *npz;
            let spawned = std::thread::Builder::new()
                .spawn_scoped(scope, move || archive.put(key, shape, values));
            let h5_outcome = h5.put(key, shape, values);
            let npz_outcome = spawned.ok().map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(XpcsError::Write {
                        path: npz_path,
                        item: key.to_owned(),
                        message: "the writing thread panicked".to_owned(),
                    })
                })
            });
            (h5_outcome, npz_outcome)
        });
        // No thread to be had: the archive is written here, after the HDF5 file.
        let npz_outcome = npz_outcome.unwrap_or_else(|| npz.put(key, shape, values));
        npz_outcome.and(h5_outcome)
    }

    /// Closes both files and gives them their final names; on failure removes what is
    /// left under the temporary names.
    pub(crate) fn finish(mut self) -> Result<(), XpcsError> {
        let finished = self.npz.finish().and_then(|()| self.h5.finish());
        if finished.is_err() {
            self.abandon();
        }
        finished
    }

    /// Removes both temporary files (after a failure).
    pub(crate) fn abandon(&mut self) {
        self.npz.abandon();
        self.h5.abandon();
    }
}

/// A file written under a temporary name beside its final one, renamed when complete.
struct PartialFile {
    /// The final name.
    path: PathBuf,
    /// `.<name>.<pid>.partial` beside it.
    temporary: PathBuf,
}

impl PartialFile {
    fn new(path: &Path) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_owned());
        Self {
            path: path.to_path_buf(),
            temporary: path.with_file_name(format!(".{name}.{}.partial", std::process::id())),
        }
    }

    /// Gives the written file its final name.
    fn commit(&self) -> Result<(), XpcsError> {
        std::fs::rename(&self.temporary, &self.path).map_err(|e| self.io_error(e))
    }

    /// Removes the temporary file.
    fn discard(&self) {
        let _ = std::fs::remove_file(&self.temporary);
    }

    /// A write error naming the final file.
    fn io_error(&self, source: std::io::Error) -> XpcsError {
        io_error(&self.path, "write", source)
    }

    /// The error of a write after the file was closed.
    fn closed(&self, what: &str) -> XpcsError {
        self.io_error(std::io::Error::other(format!(
            "the {what} was already closed"
        )))
    }
}

fn io_error(path: &Path, action: &str, source: std::io::Error) -> XpcsError {
    XpcsError::Io {
        path: path.to_path_buf(),
        action: action.to_owned(),
        source,
    }
}

/// `fitted_data.npz`: one stored `.npy` member per array, streamed.
struct NpzSink {
    file: PartialFile,
    writer: Option<zip::ZipWriter<File>>,
}

impl NpzSink {
    fn create(path: &Path) -> Result<Self, XpcsError> {
        let file = PartialFile::new(path);
        let created = File::create(&file.temporary).map_err(|e| io_error(path, "create", e))?;
        Ok(Self {
            file,
            writer: Some(zip::ZipWriter::new(created)),
        })
    }

    fn finish(&mut self) -> Result<(), XpcsError> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| self.file.closed("archive"))?;
        // Closed without an fsync (see the module documentation).
        drop(writer.finish().map_err(|e| zip_error(&self.file, e))?);
        self.file.commit()
    }

    /// Removes the temporary file (after a failure).
    fn abandon(&mut self) {
        self.writer = None;
        self.file.discard();
    }

    /// Stores `values` (C order) as the member `key.npy` with `shape`.
    fn put(&mut self, key: &str, shape: &[usize], values: &[f64]) -> Result<(), XpcsError> {
        // The header alone: encode_f64 of no values is the header for `shape`.
        let header = npy::encode_f64(shape, &[]).map_err(|message| XpcsError::Write {
            path: self.file.path.clone(),
            item: key.to_owned(),
            message,
        })?;
        let bytes = header.len() as u64 + 8 * values.len() as u64;
        // Stored, not deflated: noisy c2 matrices do not compress (deflate made the members
        // 1-6% larger, at most of the writing time). NumPy reads either.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes >= u64::from(u32::MAX));
        let Self { file, writer } = self;
        let Some(writer) = writer.as_mut() else {
            return Err(file.closed("archive"));
        };
        writer
            .start_file(format!("{key}.npy"), options)
            .map_err(|e| zip_error(file, e))?;
        writer.write_all(&header).map_err(|e| file.io_error(e))?;
        let mut block = vec![0u8; 8 * NPZ_WRITE_BLOCK.min(values.len())];
        for chunk in values.chunks(NPZ_WRITE_BLOCK) {
            let bytes = &mut block[..8 * chunk.len()];
            // Fixed-size copies the compiler turns into a plain copy on little-endian
            // machines (a growing vector's extend per value cost as much as the write).
            for (out, v) in bytes.chunks_exact_mut(8).zip(chunk) {
                out.copy_from_slice(&v.to_le_bytes());
            }
            writer.write_all(bytes).map_err(|e| file.io_error(e))?;
        }
        Ok(())
    }
}

/// `fitted_data.h5`: one dataset per array at the root.
struct H5Sink {
    file: PartialFile,
    h5: Option<H5File>,
}

impl H5Sink {
    fn create(path: &Path) -> Result<Self, XpcsError> {
        let file = PartialFile::new(path);
        let created = H5File::create(&file.temporary).map_err(|e| h5_error(&file, "", e))?;
        Ok(Self {
            file,
            h5: Some(created),
        })
    }

    fn finish(&mut self) -> Result<(), XpcsError> {
        let h5 = self
            .h5
            .take()
            .ok_or_else(|| self.file.closed("HDF5 file"))?;
        // Finalised (superblock and headers written, every byte handed to the operating
        // system) without an fsync (see the module documentation).
        h5.close_no_sync()
            .map_err(|e| h5_error(&self.file, "", e))?;
        self.file.commit()
    }

    /// Removes the temporary file (after a failure).
    fn abandon(&mut self) {
        self.h5 = None;
        self.file.discard();
    }

    /// Stores `values` (C order) as the root dataset `key` with `shape`.
    fn put(&mut self, key: &str, shape: &[usize], values: &[f64]) -> Result<(), XpcsError> {
        let Some(h5) = self.h5.as_ref() else {
            return Err(self.file.closed("HDF5 file"));
        };
        let mut builder = h5.new_dataset::<f64>().shape(shape);
        // Matrices: chunks of whole rows of one angle, about 1 MiB each.
        if let [_, rows, columns] = *shape
            && rows > 0
            && columns > 0
        {
            let chunk_rows = ((1 << 17) / columns).clamp(1, rows);
            builder = builder.chunk(&[1, chunk_rows, columns]);
        }
        let dataset = builder
            .create(key)
            .map_err(|e| h5_error(&self.file, key, e))?;
        if !values.is_empty() {
            dataset
                .write_raw(values)
                .map_err(|e| h5_error(&self.file, key, e))?;
        }
        Ok(())
    }
}

/// A zip error as the I/O error it is or wraps.
fn zip_error(file: &PartialFile, e: zip::result::ZipError) -> XpcsError {
    match e {
        zip::result::ZipError::Io(io) => file.io_error(io),
        other => file.io_error(std::io::Error::other(other)),
    }
}

/// An HDF5 error of `item` (a dataset; empty for the file itself): an I/O error as such,
/// anything else as the writer's refusal.
fn h5_error(file: &PartialFile, item: &str, e: Hdf5Error) -> XpcsError {
    match e {
        Hdf5Error::Io(io) => file.io_error(io),
        other => XpcsError::Write {
            path: file.path.clone(),
            item: item.to_owned(),
            message: other.to_string(),
        },
    }
}

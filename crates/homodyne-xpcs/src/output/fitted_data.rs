//! `fitted_data.npz` and, when asked, `fitted_data.h5`, written together: each array goes
//! to both files at once (the `.npz` member on a second thread: the HDF5 file cannot move
//! between threads, the archive can), and both are written under a temporary name and
//! renamed when complete, so that an interrupted write never leaves a truncated file under
//! the final name.
//!
//! Both files take each array straight from its `f64` slice, in pieces of
//! [`WRITE_BLOCK_BYTES`], without a copy of their own on a little-endian machine: the
//! `.npy` member from the slice's bytes (`bytemuck`), the HDF5 matrices stored contiguous
//! (not chunked) and written a block of whole rows at a time by hyperslab. A chunked
//! layout made the writer copy every chunk out of the image first (1.1 GB of copying for
//! 23 angles of 1001 x 1001 frames); one write of a whole 184 MB matrix cost the kernel
//! more than writes of about 1 MiB (measured: 0.7 s against 0.2 s per matrix on the
//! 2-core machine). h5py reads the same names, shapes and dtypes either way.
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

/// Bytes handed to the operating system per write of an array, in both files (1 MiB).
const WRITE_BLOCK_BYTES: usize = 1 << 20;

/// Values per write of an array.
const WRITE_BLOCK_VALUES: usize = WRITE_BLOCK_BYTES / 8;

/// The array files of one output folder, open for writing: the `.npz`, and the HDF5 file
/// when one was asked for.
pub(crate) struct FittedDataFiles {
    npz: NpzSink,
    h5: Option<H5Sink>,
}

impl FittedDataFiles {
    /// Opens the `.npz` and, with `h5_path`, the HDF5 file under their temporary names
    /// (nothing is left when one cannot be).
    pub(crate) fn create(npz_path: &Path, h5_path: Option<&Path>) -> Result<Self, XpcsError> {
        let mut npz = NpzSink::create(npz_path)?;
        match h5_path.map(H5Sink::create).transpose() {
            Ok(h5) => Ok(Self { npz, h5 }),
            Err(e) => {
                npz.abandon();
                Err(e)
            }
        }
    }

    /// Stores `values` (C order, `shape`) as `key` in every file.
    pub(crate) fn put(
        &mut self,
        key: &str,
        shape: &[usize],
        values: &[f64],
    ) -> Result<(), XpcsError> {
        let Self { npz, h5 } = self;
        let Some(h5) = h5 else {
            return npz.put(key, shape, values);
        };
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

    /// Closes the files and gives them their final names; on failure removes what is left
    /// under the temporary names.
    pub(crate) fn finish(mut self) -> Result<(), XpcsError> {
        let finished = self
            .npz
            .finish()
            .and_then(|()| self.h5.as_mut().map_or(Ok(()), H5Sink::finish));
        if finished.is_err() {
            self.abandon();
        }
        finished
    }

    /// Removes the temporary files (after a failure).
    pub(crate) fn abandon(&mut self) {
        self.npz.abandon();
        if let Some(h5) = &mut self.h5 {
            h5.abandon();
        }
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
        write_le_bytes(values, |bytes| writer.write_all(bytes)).map_err(|e| file.io_error(e))
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
        // Contiguous (no chunking): the writer then writes from `values` without copying it.
        let dataset = h5
            .new_dataset::<f64>()
            .shape(shape)
            .create(key)
            .map_err(|e| h5_error(&self.file, key, e))?;
        if values.is_empty() {
            return Ok(());
        }
        let written = match *shape {
            // Matrices: blocks of whole rows of one angle, one contiguous run of the file
            // each, of about WRITE_BLOCK_BYTES.
            [angles, rows, columns] if rows > 0 && columns > 0 => {
                let block_rows = (WRITE_BLOCK_VALUES / columns).clamp(1, rows);
                (0..angles)
                    .flat_map(|k| (0..rows).step_by(block_rows).map(move |r| (k, r)))
                    .try_for_each(|(k, first_row)| {
                        let n_rows = block_rows.min(rows - first_row);
                        let start = (k * rows + first_row) * columns;
                        dataset.write_slice(
                            &[k, first_row, 0],
                            &[1, n_rows, columns],
                            &values[start..start + n_rows * columns],
                        )
                    })
            }
            _ => dataset.write_raw(values),
        };
        written.map_err(|e| h5_error(&self.file, key, e))
    }
}

/// Hands `values` to `write` as little-endian bytes, [`WRITE_BLOCK_BYTES`] at a time: the
/// slice's own bytes on a little-endian machine, bytes converted into one reused block
/// otherwise.
fn write_le_bytes(
    values: &[f64],
    mut write: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if cfg!(target_endian = "little") {
        let bytes: &[u8] = bytemuck::cast_slice(values);
        return bytes.chunks(WRITE_BLOCK_BYTES).try_for_each(write);
    }
    let mut block = vec![0u8; 8 * WRITE_BLOCK_VALUES.min(values.len())];
    values.chunks(WRITE_BLOCK_VALUES).try_for_each(|chunk| {
        let bytes = &mut block[..8 * chunk.len()];
        for (out, v) in bytes.chunks_exact_mut(8).zip(chunk) {
            out.copy_from_slice(&v.to_le_bytes());
        }
        write(bytes)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_handed_over_as_little_endian_bytes_in_blocks() {
        let values: Vec<f64> = (0..WRITE_BLOCK_VALUES + 3)
            .map(|i| (i as f64).sin() * 1e3 - 0.5)
            .collect();
        let mut pieces = Vec::new();
        write_le_bytes(&values, |bytes| {
            pieces.push(bytes.to_vec());
            Ok(())
        })
        .unwrap();
        let lengths: Vec<usize> = pieces.iter().map(Vec::len).collect();
        assert_eq!(lengths, [WRITE_BLOCK_BYTES, 24]);
        let expected: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(pieces.concat(), expected);
        // A write error stops the writing and is returned.
        let mut calls = 0;
        let failed = write_le_bytes(&values, |_| {
            calls += 1;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err() && calls == 1);
    }
}

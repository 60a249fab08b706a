//! [`NpyWriter`]: `.npy` files written incrementally, header first.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::scratch::SCRATCH_BYTES;
use crate::element::ElementType;
use crate::error::shape_text;

/// Writes a `.npy` file whose shape is known up front, values appended chunk by chunk:
/// the header is written first, so a file of any size is written without holding it.
///
/// Values are given in C order (for shape `(n, d)`: row after row). [`finish`](Self::finish)
/// checks that exactly the announced number of values was written; a writer dropped
/// before that leaves a file whose header announces more data than it holds, which
/// [`NpySource`](crate::NpySource) (and NumPy) refuse as truncated.
///
/// ```
/// use homodyne_data::NpyWriter;
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("homodyne-npywriter-{}.npy", std::process::id()));
/// let mut writer = NpyWriter::create(&path, &[1_000_000])?;
/// let mut chunk = vec![0.0; 100_000];
/// for start in (0..1_000_000).step_by(100_000) {
///     for (k, v) in chunk.iter_mut().enumerate() {
///         *v = (start + k) as f64;
///     }
///     writer.write(&chunk)?;
/// }
/// writer.finish()?;
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct NpyWriter {
    path: PathBuf,
    out: BufWriter<File>,
    dtype: ElementType,
    total: usize,
    written: usize,
    bytes: Vec<u8>,
}

impl NpyWriter {
    /// Creates (or truncates) `path` for a float64 little-endian (`'<f8'`) array of
    /// `shape`, and writes its header.
    ///
    /// # Errors
    ///
    /// The operating system's error, with the file's name in the message; an
    /// `InvalidInput` error when the shape's size overflows.
    pub fn create(path: impl AsRef<Path>, shape: &[usize]) -> io::Result<Self> {
        Self::create_with_dtype(path, shape, ElementType::F64)
    }

    /// As [`create`](Self::create), for values stored as `dtype` (a float32 type rounds
    /// each value to the nearest float32, an integer type to the nearest integer,
    /// saturating at the type's range).
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn create_with_dtype(
        path: impl AsRef<Path>,
        shape: &[usize],
        dtype: ElementType,
    ) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let total = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: the shape {} is too large",
                        path.display(),
                        shape_text(shape)
                    ),
                )
            })?;
        let file = File::create(&path).map_err(|e| named(&path, "cannot create", e))?;
        let mut out = BufWriter::with_capacity(SCRATCH_BYTES, file);
        out.write_all(&header_bytes(dtype, shape))
            .map_err(|e| named(&path, "cannot write the header", e))?;
        Ok(Self {
            path,
            out,
            dtype,
            total,
            written: 0,
            bytes: Vec::new(),
        })
    }

    /// Appends `values` (in C order) after those already written.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when the values would exceed the shape's size (nothing is written
    /// then); otherwise the operating system's error, with the file's name.
    pub fn write(&mut self, values: &[f64]) -> io::Result<()> {
        if values.len() > self.total - self.written {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: {} more values would exceed the array's {} ({} already written)",
                    self.path.display(),
                    values.len(),
                    self.total,
                    self.written
                ),
            ));
        }
        // Encode at most a scratch buffer at a time, so a huge slice needs no huge buffer.
        let per_piece = (SCRATCH_BYTES / self.dtype.size()).max(1);
        for piece in values.chunks(per_piece) {
            self.bytes.clear();
            self.dtype.encode(piece, &mut self.bytes);
            self.out
                .write_all(&self.bytes)
                .map_err(|e| named(&self.path, "cannot write", e))?;
            self.written += piece.len();
        }
        Ok(())
    }

    /// Values written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Values the array holds when complete (the product of the shape).
    pub fn total(&self) -> usize {
        self.total
    }

    /// Flushes the file, after checking that every value was written.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when fewer values were written than the shape holds; otherwise the
    /// operating system's error, with the file's name.
    pub fn finish(mut self) -> io::Result<()> {
        if self.written != self.total {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: {} values written but the array holds {}",
                    self.path.display(),
                    self.written,
                    self.total
                ),
            ));
        }
        self.out
            .flush()
            .map_err(|e| named(&self.path, "cannot write", e))
    }
}

/// Writes `data` as a float64 little-endian `.npy` array of `shape` (C order), as
/// `numpy.save` would.
///
/// # Errors
///
/// `InvalidInput` when `data.len()` is not the product of `shape`; otherwise the
/// operating system's error, with the file's name.
pub fn write_npy_f64(path: impl AsRef<Path>, data: &[f64], shape: &[usize]) -> io::Result<()> {
    let path = path.as_ref();
    let size = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if size != Some(data.len()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: {} values do not fill the shape {}",
                path.display(),
                data.len(),
                shape_text(shape)
            ),
        ));
    }
    let mut writer = NpyWriter::create(path, shape)?;
    writer.write(data)?;
    writer.finish()
}

/// `e` with the file's name and what was being done prefixed to its message.
fn named(path: &Path, action: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {action}: {e}", path.display()))
}

/// The header of an array of `shape` and `dtype`, padded so the data starts on a 64-byte
/// boundary.
pub(crate) fn header_bytes(dtype: ElementType, shape: &[usize]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.descr(),
        shape_text(shape)
    );
    // Version 1 has a 2-byte header length; version 2 a 4-byte one, for huge shapes.
    let (version, prefix) = if dict.len() + 1 + 10 + 64 <= usize::from(u16::MAX) {
        (1u8, 10usize)
    } else {
        (2u8, 12usize)
    };
    let unpadded = prefix + dict.len() + 1;
    let header_len = dict.len() + 1 + (64 - unpadded % 64) % 64;
    let mut out = Vec::with_capacity(prefix + header_len);
    out.extend_from_slice(b"\x93NUMPY");
    out.push(version);
    out.push(0);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(prefix + header_len - 1, b' ');
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_headers_are_aligned_and_parse_back() {
        for shape in [&[][..], &[0], &[7], &[1_000_000_000_000, 3]] {
            for dtype in [ElementType::F64, ElementType::from_descr(">f4").unwrap()] {
                let bytes = header_bytes(dtype, shape);
                assert_eq!(bytes.len() % 64, 0);
                assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
                let len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
                assert_eq!(len + 10, bytes.len());
                assert_eq!(bytes.last(), Some(&b'\n'));
                let h = npyz::NpyHeader::from_reader(&bytes[..]).unwrap();
                assert_eq!(h.dtype().descr(), format!("'{}'", dtype.descr()));
                assert_eq!(h.order(), npyz::Order::C);
                let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
                assert_eq!(h.shape(), dims);
            }
        }
    }
}

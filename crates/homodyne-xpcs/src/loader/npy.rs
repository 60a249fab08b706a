//! NumPy `.npy` arrays, the members of an `.npz` archive.
//!
//! Read through the I/O layer ([`NpyArray`]: the header parsed by `npyz`; float64,
//! float32, integers of 1 to 8 bytes and unicode strings, in either byte order, C or
//! Fortran order) and kept here as an [`Array`] with its `descr`.
//!
//! Written here: version 1.0 headers laid out byte for byte as
//! `numpy.lib.format.write_array` lays them out (NumPy 2.x: the header padded for a
//! growing first axis, then to a multiple of 64 bytes), so that the package reads the
//! caches written here as its own. This minimal writer stays because the I/O layer writes
//! `.npy` files of numbers, not the members of a zip archive; `npyz` lays its headers out
//! otherwise (`(3, )`, the data aligned to 16 bytes); and one member of a cache,
//! `cache_metadata_json`, is a 0-d unicode array (`<U{n}`), which neither of them writes.

use std::path::Path;

use homodyne_data::{DataError, NpyArray, NpyElement, NumberKind};

use super::io_error::problem;

/// The decoded values of an array: numbers widened to `f64`, or strings with their
/// trailing NULs removed as NumPy removes them.
pub use homodyne_data::NpyValues as Values;

/// The element type of an array, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// IEEE float64.
    F64,
    /// IEEE float32.
    F32,
    /// An integer of any width and signedness.
    Int,
    /// Unicode strings (`U<n>`).
    Unicode,
}

/// An array read from a `.npy` stream, in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The dimensions (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// The `descr` of the header, e.g. `<f8`.
    pub descr: String,
    /// The stored element type.
    pub stored: Stored,
    /// The values.
    pub values: Values,
}

impl Array {
    /// The array the I/O layer read, its numbers moved, not copied.
    pub(super) fn from_npy(array: NpyArray) -> Result<Self, DataError> {
        let header = array.header().clone();
        let stored = match header.element() {
            NpyElement::Unicode { .. } => Stored::Unicode,
            NpyElement::Number(element) => match (element.kind(), element.size()) {
                (NumberKind::Float, 4) => Stored::F32,
                (NumberKind::Float, _) => Stored::F64,
                _ => Stored::Int,
            },
        };
        let values = match stored {
            Stored::Unicode => array.values().clone(),
            _ => Values::Numbers(array.into_numbers()?),
        };
        Ok(Self {
            shape: header.shape().to_vec(),
            descr: header.descr().to_owned(),
            stored,
            values,
        })
    }
}

/// Decodes one `.npy` stream; an `Err` says what is wrong with it.
pub fn parse(bytes: &[u8]) -> Result<Array, String> {
    NpyArray::from_bytes(bytes, Path::new(""), "")
        .and_then(Array::from_npy)
        .map_err(|e| problem(&e))
}

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy aligns the start of the data to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// NumPy leaves room for the first axis to grow to this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// `(3,)`, `(3, 10, 10)` or `()`, as Python's `repr` of a tuple.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// A version 1.0 header for `descr` and `shape`, C order, as NumPy writes it.
fn header(descr: &str, shape: &[usize]) -> Result<Vec<u8>, String> {
    let mut text = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
        shape_repr(shape)
    );
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        text.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let hlen = text.len() + 1;
    let padlen = ARRAY_ALIGN - ((MAGIC.len() + 2 + 2 + hlen) % ARRAY_ALIGN);
    text.push_str(&" ".repeat(padlen));
    text.push('\n');
    let len = u16::try_from(text.len())
        .map_err(|_| format!("a .npy header of {} bytes needs format 2.0", text.len()))?;
    let mut out = Vec::with_capacity(10 + text.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    Ok(out)
}

/// A little-endian float64 array.
pub fn encode_f64(shape: &[usize], values: &[f64]) -> Result<Vec<u8>, String> {
    let mut out = header("<f8", shape)?;
    out.reserve(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

/// A little-endian float32 array; each value is narrowed with `as f32` (exact for values
/// that came from float32).
pub fn encode_f32(shape: &[usize], values: &[f64]) -> Result<Vec<u8>, String> {
    let mut out = header("<f4", shape)?;
    out.reserve(values.len() * 4);
    for &v in values {
        out.extend_from_slice(&(v as f32).to_le_bytes());
    }
    Ok(out)
}

/// A 0-d unicode array holding `text`, as `numpy.asarray(text)` makes it (`<U{len}`).
pub fn encode_unicode_scalar(text: &str) -> Result<Vec<u8>, String> {
    let n = text.chars().count().max(1);
    let mut out = header(&format!("<U{n}"), &[])?;
    let mut written = 0;
    for c in text.chars() {
        out.extend_from_slice(&u32::from(c).to_le_bytes());
        written += 1;
    }
    for _ in written..n {
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1.0 `.npy` stream of the header dict `text` and the bytes `data`.
    fn stream(text: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn float_arrays_round_trip_with_numpys_header_layout() {
        let bytes = encode_f64(&[3], &[1.0, -2.5, 3.25]).unwrap();
        // Same layout as NumPy 2.x: 128 bytes of header for a short 1-D array.
        assert_eq!(&bytes[..10], b"\x93NUMPY\x01\x00v\x00");
        assert_eq!(bytes.len(), 128 + 24);
        let header = std::str::from_utf8(&bytes[10..128]).unwrap();
        assert!(header.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"));
        assert!(header.ends_with('\n'));
        let array = parse(&bytes).unwrap();
        assert_eq!(array.shape, [3]);
        assert_eq!(array.stored, Stored::F64);
        assert_eq!(array.values, Values::Numbers(vec![1.0, -2.5, 3.25]));

        let bytes = encode_f32(&[2, 2], &[0.5, 1.5, 2.5, 3.5]).unwrap();
        let array = parse(&bytes).unwrap();
        assert_eq!(array.shape, [2, 2]);
        assert_eq!(array.stored, Stored::F32);
        assert_eq!(array.values, Values::Numbers(vec![0.5, 1.5, 2.5, 3.5]));
    }

    #[test]
    fn unicode_scalars_round_trip() {
        let bytes = encode_unicode_scalar("{\"a\": 1.5}").unwrap();
        let array = parse(&bytes).unwrap();
        assert!(array.shape.is_empty());
        assert_eq!(array.descr, "<U10");
        assert_eq!(
            array.values,
            Values::Strings(vec!["{\"a\": 1.5}".to_owned()])
        );
    }

    #[test]
    fn big_endian_fortran_and_integer_arrays_are_read() {
        // 2 x 3 big-endian int16 in Fortran order: columns (1, 4), (2, 5), (3, 6).
        let data: Vec<u8> = [1i16, 4, 2, 5, 3, 6]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let bytes = stream(
            "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }",
            &data,
        );
        let array = parse(&bytes).unwrap();
        assert_eq!(array.stored, Stored::Int);
        assert_eq!(
            array.values,
            Values::Numbers(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
    }

    #[test]
    fn damaged_streams_never_panic() {
        let good = encode_f32(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let text = encode_unicode_scalar("{\"q\": 0.1}").unwrap();
        for bytes in [good, text] {
            for cut in 0..bytes.len() {
                let _ = parse(&bytes[..cut]);
            }
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x20, 0x80, 0xff] {
                    let mut damaged = bytes.clone();
                    damaged[i] ^= flip;
                    let _ = parse(&damaged);
                }
            }
        }
    }

    #[test]
    fn malformed_streams_are_errors() {
        assert!(parse(b"not numpy").is_err());
        let mut bytes = encode_f64(&[4], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        bytes.truncate(bytes.len() - 3);
        let err = parse(&bytes).unwrap_err();
        assert!(
            err.contains("truncated") && err.contains("32 bytes"),
            "{err}"
        );
        // A structured and a complex array: element types nobody here reads.
        for (descr, named) in [("[('a', '<f8')]", "('a', '<f8')"), ("'<c16'", "<c16")] {
            let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
            let err = parse(&stream(&text, &[0; 16])).unwrap_err();
            assert!(
                err.contains(named) && err.contains("not supported"),
                "{err}"
            );
        }
    }
}

//! Whole `.npy` arrays, read from a file or from bytes (an `.npz` member), as `f64`
//! numbers or as strings, always in C order.

use std::path::Path;

use super::header::{MemoryOrder, NpyElement, NpyHeader};
use crate::element::ByteOrder;
use crate::error::DataError;

/// The values of a `.npy` array, in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyValues {
    /// Numbers of any [`ElementType`](crate::ElementType), converted to `f64`.
    Numbers(Vec<f64>),
    /// Unicode strings, without the trailing NULs that pad them (as NumPy reads them).
    Strings(Vec<String>),
}

/// A `.npy` array read whole: its header and its values in C order (a Fortran-order
/// array is transposed while read).
#[derive(Debug, Clone)]
pub struct NpyArray {
    header: NpyHeader,
    values: NpyValues,
}

impl NpyArray {
    /// Reads the `.npy` file at `path` whole; `dataset` names the array in messages.
    ///
    /// # Errors
    ///
    /// As [`from_bytes`](Self::from_bytes); [`DataError::Io`] when the file cannot be read.
    pub fn read(path: &Path, dataset: &str) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            file: path.to_path_buf(),
            dataset: dataset.to_owned(),
            action: "cannot read".to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes, path, dataset)
    }

    /// Decodes a whole `.npy` stream held in memory; `file` and `dataset` name it in
    /// messages.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming `file` and `dataset`: the header's errors (see
    /// [`NpyHeader::from_reader`]), [`DataError::Truncated`] when the data is shorter
    /// than the header announces, [`DataError::Format`] for a string that is not valid
    /// unicode.
    pub fn from_bytes(bytes: &[u8], file: &Path, dataset: &str) -> Result<Self, DataError> {
        let header = NpyHeader::from_reader(bytes, file, dataset)?;
        let data = bytes
            .get(header.data_offset() as usize..)
            .unwrap_or_default();
        header.check_data(data.len() as u64)?;
        let data = &data[..header.data_bytes() as usize];
        let values = match header.element() {
            NpyElement::Number(element) => {
                let mut values = vec![0.0; header.len()];
                element.decode(data, &mut values);
                NpyValues::Numbers(to_c_order(values, &header))
            }
            NpyElement::Unicode { chars, order } => {
                let strings =
                    decode_unicode(data, chars, order).ok_or_else(|| DataError::Format {
                        file: file.to_path_buf(),
                        dataset: dataset.to_owned(),
                        message: "holds a string with a code point that is not a character: \
                                  the file is damaged"
                            .to_owned(),
                    })?;
                NpyValues::Strings(to_c_order(strings, &header))
            }
        };
        Ok(Self { header, values })
    }

    /// The array's header.
    pub fn header(&self) -> &NpyHeader {
        &self.header
    }

    /// The dimensions (empty for a 0-d array).
    pub fn shape(&self) -> &[usize] {
        self.header.shape()
    }

    /// The values, in C order.
    pub fn values(&self) -> &NpyValues {
        &self.values
    }

    /// The numbers, in C order.
    ///
    /// # Errors
    ///
    /// [`DataError::UnsupportedDtype`] naming the file and array when it holds strings.
    pub fn into_numbers(self) -> Result<Vec<f64>, DataError> {
        match self.values {
            NpyValues::Numbers(values) => Ok(values),
            NpyValues::Strings(_) => Err(self
                .header
                .number_type()
                .expect_err("a string array has no number type")),
        }
    }
}

/// `values` (in the header's memory order) in C order.
fn to_c_order<T: Clone>(values: Vec<T>, header: &NpyHeader) -> Vec<T> {
    if header.order() == MemoryOrder::C {
        return values;
    }
    // Fortran order: walk the C-order index (last dimension fastest) and pick each
    // element from its Fortran position (first dimension fastest).
    let shape = header.shape();
    let mut fortran_strides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        fortran_strides[k] = fortran_strides[k - 1] * shape[k - 1];
    }
    let mut index = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(values.len());
    for _ in 0..values.len() {
        let at: usize = index.iter().zip(&fortran_strides).map(|(i, s)| i * s).sum();
        out.push(values[at].clone());
        for k in (0..shape.len()).rev() {
            index[k] += 1;
            if index[k] < shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    out
}

/// Strings of `chars` 4-byte code points each, trailing NULs removed; `None` when a code
/// point is not a character. `chars` is at least 1: the header refuses `<U0`.
fn decode_unicode(data: &[u8], chars: usize, order: ByteOrder) -> Option<Vec<String>> {
    data.chunks_exact(4 * chars)
        .map(|element| {
            let text: Option<String> = element
                .as_chunks::<4>()
                .0
                .iter()
                .map(|&b| match order {
                    ByteOrder::Little => u32::from_le_bytes(b),
                    ByteOrder::Big => u32::from_be_bytes(b),
                })
                .map(char::from_u32)
                .collect();
            text.map(|t| t.trim_end_matches('\0').to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::ElementType;
    use crate::npy::writer::header_bytes;

    fn array(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Result<NpyArray, DataError> {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.extend_from_slice(data);
        NpyArray::from_bytes(&bytes, Path::new("a.npz"), "member")
    }

    #[test]
    fn fortran_arrays_come_back_in_c_order() {
        let mut data = Vec::new();
        // (2, 3) stored column by column: rows (1, 2, 3), (4, 5, 6).
        ElementType::from_descr(">i2")
            .unwrap()
            .encode(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0], &mut data);
        let a = array(">i2", true, "(2, 3)", &data).unwrap();
        assert_eq!(a.shape(), [2, 3]);
        assert_eq!(
            a.values(),
            &NpyValues::Numbers(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
        // (2, 2, 2): element (i, j, k) at i + 2j + 4k.
        let mut data = Vec::new();
        let f: Vec<f64> = (0..8).map(f64::from).collect();
        ElementType::F64.encode(&f, &mut data);
        let a = array("<f8", true, "(2, 2, 2)", &data).unwrap();
        assert_eq!(
            a.into_numbers().unwrap(),
            [0.0, 4.0, 2.0, 6.0, 1.0, 5.0, 3.0, 7.0]
        );
    }

    #[test]
    fn unicode_scalars_and_arrays() {
        let text: Vec<u8> = "héllo\0\0\0"
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect();
        let a = array("<U8", false, "()", &text).unwrap();
        assert_eq!(a.values(), &NpyValues::Strings(vec!["héllo".to_owned()]));
        let e = a.into_numbers().unwrap_err();
        assert!(matches!(e, DataError::UnsupportedDtype { .. }), "{e:?}");
        let big: Vec<u8> = "abcd"
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        let a = array(">U2", false, "(2,)", &big).unwrap();
        assert_eq!(
            a.values(),
            &NpyValues::Strings(vec!["ab".to_owned(), "cd".to_owned()])
        );
        let bad = 0xD800u32.to_le_bytes();
        assert!(matches!(
            array("<U1", false, "(1,)", &bad),
            Err(DataError::Format { .. })
        ));
    }

    #[test]
    fn short_data_and_written_headers() {
        let e = array("<f8", false, "(3,)", &[0; 16]).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::Truncated {
                    expected: 24,
                    found: 16,
                    ..
                }
            ),
            "{e:?}"
        );
        let mut bytes = header_bytes(ElementType::from_descr(">u4").unwrap(), &[2]);
        bytes.extend_from_slice(&[0, 0, 0, 7, 0, 0, 1, 0]);
        let a = NpyArray::from_bytes(&bytes, Path::new("w.npy"), "x").unwrap();
        assert_eq!(a.into_numbers().unwrap(), [7.0, 256.0]);
    }
}

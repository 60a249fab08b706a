//! The header of a `.npy` array, read with `npyz`: shape, element type, memory order and
//! where the data starts.
//!
//! The format (NEP 1): the magic `\x93NUMPY`, a version byte pair, the header length (2
//! bytes little-endian in version 1, 4 bytes in versions 2 and 3), then the header, a
//! Python dict literal such as `{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }`,
//! then the values, packed. `npyz` parses the dict; this module only checks the magic
//! and bounds the header's length before handing it over, so that a damaged or foreign
//! file is named as such and never makes a large allocation.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use npyz::{DType, TypeChar};

use crate::element::{ByteOrder, ElementType};
use crate::error::{DataError, shape_text};

/// Longest header accepted (NumPy itself refuses headers over 10 kB unless asked).
const MAX_HEADER_BYTES: usize = 1 << 20;

/// The deepest nesting of brackets a header may have: numpy.save writes 2 for a plain
/// dtype (the dict and the shape's tuple) and a few more for the structured dtypes that
/// are refused anyway; see [`bracket_depth`].
const MAX_BRACKET_DEPTH: usize = 8;

/// How a multi-dimensional array's elements are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemoryOrder {
    /// Row-major: the last index varies fastest (NumPy's default).
    C,
    /// Column-major: the first index varies fastest (`fortran_order: True`).
    Fortran,
}

/// What an array's elements are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NpyElement {
    /// Numbers, read as `f64`.
    Number(ElementType),
    /// Unicode strings of up to `chars` code points each (`<U8`), as NumPy stores text.
    Unicode {
        /// Code points per element.
        chars: usize,
        /// Byte order of each 4-byte code point.
        order: ByteOrder,
    },
}

/// The header of a `.npy` array: its shape, element type, memory order and the offset of
/// its first value, with the file and array it came from for messages.
#[derive(Debug, Clone)]
pub struct NpyHeader {
    file: PathBuf,
    dataset: String,
    shape: Vec<usize>,
    descr: String,
    element: NpyElement,
    order: MemoryOrder,
    data_offset: u64,
    data_bytes: u64,
}

impl NpyHeader {
    /// Reads the header of the `.npy` file at `path`; `dataset` names the array in
    /// messages (`x`, `y`, a member of an archive, ...).
    ///
    /// # Errors
    ///
    /// As [`from_reader`](Self::from_reader); [`DataError::Io`] when the file cannot be
    /// opened.
    pub fn read(path: &Path, dataset: &str) -> Result<Self, DataError> {
        let file = std::fs::File::open(path).map_err(|source| DataError::Io {
            file: path.to_path_buf(),
            dataset: dataset.to_owned(),
            action: "cannot open".to_owned(),
            source,
        })?;
        Self::from_reader(io::BufReader::new(file), path, dataset)
    }

    /// Reads a header from the start of `reader` (a file, or an archive member's bytes),
    /// leaving it at the first value; `file` and `dataset` name the array in messages.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming `file` and `dataset`: [`DataError::Format`] when the stream
    /// is not a `.npy` array or its header cannot be parsed, [`DataError::UnsupportedDtype`]
    /// when its elements are neither numbers of an [`ElementType`] nor unicode strings,
    /// [`DataError::Io`] when reading fails.
    pub fn from_reader(
        mut reader: impl Read,
        file: &Path,
        dataset: &str,
    ) -> Result<Self, DataError> {
        let format = |message: String| DataError::Format {
            file: file.to_path_buf(),
            dataset: dataset.to_owned(),
            message,
        };
        let mut prefix = [0u8; 12];
        let got = read_up_to(&mut reader, &mut prefix).map_err(|source| DataError::Io {
            file: file.to_path_buf(),
            dataset: dataset.to_owned(),
            action: "cannot read the .npy header".to_owned(),
            source,
        })?;
        if got < 10 || &prefix[..6] != b"\x93NUMPY" {
            return Err(format(
                "is not a NumPy .npy file (no \\x93NUMPY magic number at its start): give a \
                 file written by numpy.save"
                    .to_owned(),
            ));
        }
        let (prefix_len, header_len) = match prefix[6] {
            1 => (10, usize::from(u16::from_le_bytes([prefix[8], prefix[9]]))),
            _ if got == 12 => (
                12,
                u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as usize,
            ),
            _ => return Err(format("the file ends inside its .npy header".to_owned())),
        };
        if header_len > MAX_HEADER_BYTES {
            return Err(format(format!(
                "the .npy header claims {header_len} bytes, more than the {MAX_HEADER_BYTES} \
                 accepted: the file is damaged or not a .npy file"
            )));
        }
        let mut bytes = prefix[..got].to_vec();
        let total = prefix_len + header_len;
        if bytes.len() < total {
            let mut rest = vec![0u8; total - bytes.len()];
            let more = read_up_to(&mut reader, &mut rest).map_err(|source| DataError::Io {
                file: file.to_path_buf(),
                dataset: dataset.to_owned(),
                action: "cannot read the .npy header".to_owned(),
                source,
            })?;
            if more < rest.len() {
                return Err(format("the file ends inside its .npy header".to_owned()));
            }
            bytes.extend_from_slice(&rest);
        }
        // Bytes past the header (the prefix read may have taken a few) are data.
        bytes.truncate(total);
        let depth = bracket_depth(&bytes[prefix_len..]);
        if depth > MAX_BRACKET_DEPTH {
            return Err(format(format!(
                "the .npy header nests brackets {depth} deep, more than the \
                 {MAX_BRACKET_DEPTH} accepted (numpy.save writes at most 2 for the arrays \
                 read here): the file is damaged or not a .npy file"
            )));
        }
        if let Some(shape) = overflowing_shape(&bytes[prefix_len..]) {
            return Err(format(format!(
                "the shape {shape} is too large to address: the file is damaged"
            )));
        }
        let parsed = npyz::NpyHeader::from_reader(&bytes[..]).map_err(|e| {
            format(format!(
                "cannot parse the .npy header ({e}): the file is damaged or not written by \
                 numpy.save"
            ))
        })?;
        Self::from_parsed(&parsed, file, dataset, total as u64)
    }

    /// Checks and keeps what `npyz` parsed.
    fn from_parsed(
        parsed: &npyz::NpyHeader,
        file: &Path,
        dataset: &str,
        data_offset: u64,
    ) -> Result<Self, DataError> {
        let dtype = parsed.dtype();
        let DType::Plain(type_str) = &dtype else {
            // A structured or sub-array dtype, named as numpy prints it.
            return Err(DataError::UnsupportedDtype {
                file: file.to_path_buf(),
                dataset: dataset.to_owned(),
                dtype: dtype.descr().replace(", ]", "]"),
            });
        };
        let descr = type_str.to_string();
        let unsupported = || DataError::UnsupportedDtype {
            file: file.to_path_buf(),
            dataset: dataset.to_owned(),
            dtype: format!("'{descr}'"),
        };
        let element = match type_str.type_char() {
            // A string type of width 0 (`<U0`) has no bytes per element, so a header could
            // claim any number of elements in an empty file: NumPy itself widens it to
            // `<U1`, and it is refused here.
            TypeChar::UnicodeStr => NpyElement::Unicode {
                chars: usize::try_from(type_str.size_field())
                    .ok()
                    .filter(|&chars| chars > 0)
                    .ok_or_else(unsupported)?,
                order: match type_str.endianness() {
                    npyz::Endianness::Big => ByteOrder::Big,
                    _ => ByteOrder::Little,
                },
            },
            _ => NpyElement::Number(ElementType::from_type_str(type_str).ok_or_else(unsupported)?),
        };
        let too_large = |shape: &str| DataError::Format {
            file: file.to_path_buf(),
            dataset: dataset.to_owned(),
            message: format!("the shape {shape} is too large to address"),
        };
        let shape: Vec<usize> = parsed
            .shape()
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<_, _>>()
            .map_err(|_| too_large(&format!("{:?}", parsed.shape())))?;
        let element_bytes = match element {
            NpyElement::Number(t) => t.size(),
            NpyElement::Unicode { chars, .. } => chars.saturating_mul(4),
        };
        let data_bytes = shape
            .iter()
            .try_fold(element_bytes as u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| too_large(&shape_text(&shape)))?;
        let order = match parsed.order() {
            npyz::Order::C => MemoryOrder::C,
            npyz::Order::Fortran => MemoryOrder::Fortran,
        };
        Ok(Self {
            file: file.to_path_buf(),
            dataset: dataset.to_owned(),
            shape,
            descr,
            element,
            order,
            data_offset,
            data_bytes,
        })
    }

    /// The file the header was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The array's name in messages.
    pub fn dataset(&self) -> &str {
        &self.dataset
    }

    /// The dimensions (empty for a 0-d array).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The header's `descr`, as NumPy writes it (`<f8`, `>i4`, `<U8`).
    pub fn descr(&self) -> &str {
        &self.descr
    }

    /// What the elements are.
    pub fn element(&self) -> NpyElement {
        self.element
    }

    /// The numeric element type.
    ///
    /// # Errors
    ///
    /// [`DataError::UnsupportedDtype`] naming the file and array when the elements are
    /// strings.
    pub fn number_type(&self) -> Result<ElementType, DataError> {
        match self.element {
            NpyElement::Number(t) => Ok(t),
            NpyElement::Unicode { .. } => Err(DataError::UnsupportedDtype {
                file: self.file.clone(),
                dataset: self.dataset.clone(),
                dtype: format!("'{}'", self.descr),
            }),
        }
    }

    /// The memory order; a 1-D array, or one whose dimensions are all 1 but one, has the
    /// same bytes in both and is reported as [`MemoryOrder::C`].
    pub fn order(&self) -> MemoryOrder {
        if self.shape.iter().filter(|&&d| d > 1).count() > 1 {
            self.order
        } else {
            MemoryOrder::C
        }
    }

    /// Byte offset of the first value from the start of the file.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Bytes of data the header announces.
    pub fn data_bytes(&self) -> u64 {
        self.data_bytes
    }

    /// Number of elements (the product of the shape; 1 for a 0-d array).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that `available` bytes of data follow the header.
    ///
    /// # Errors
    ///
    /// [`DataError::Truncated`] naming the file and array when fewer follow than the
    /// header announces.
    pub fn check_data(&self, available: u64) -> Result<(), DataError> {
        if available < self.data_bytes {
            return Err(DataError::Truncated {
                file: self.file.clone(),
                dataset: self.dataset.clone(),
                expected: self.data_bytes,
                found: available,
            });
        }
        Ok(())
    }

    /// A [`DataError::BadShape`] for this array: it has a shape the reader cannot use;
    /// `expected` says what would do.
    pub fn bad_shape(&self, expected: impl Into<String>) -> DataError {
        DataError::BadShape {
            file: self.file.clone(),
            dataset: self.dataset.clone(),
            shape: self.shape.clone(),
            expected: expected.into(),
        }
    }

    /// A [`DataError::Empty`] for this array.
    pub fn empty(&self) -> DataError {
        DataError::Empty {
            file: self.file.clone(),
            dataset: self.dataset.clone(),
        }
    }
}

/// The deepest nesting of `(`, `[` and `{` in a header, outside quoted strings (a
/// backslash escapes the next character within one).
///
/// The parser of Python literals (`py_literal`, which `npyz` also uses) backtracks over
/// unclosed brackets at a cost that doubles with each level: 16 levels took 30 s, so the
/// depth is checked before any parse.
fn bracket_depth(header: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for &b in header {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// The header's shape as written, when the product of its dimensions overflows 64 bits
/// (which `npyz` does not check); `None` when it fits or the header does not parse (then
/// `npyz` says why).
fn overflowing_shape(header: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(header).ok()?;
    let py_literal::Value::Dict(entries) = text.trim_end().parse().ok()? else {
        return None;
    };
    let (_, shape) = entries
        .iter()
        .find(|(key, _)| matches!(key, py_literal::Value::String(k) if k == "shape"))?;
    let py_literal::Value::Tuple(dims) = shape else {
        return None;
    };
    let fits = dims.iter().try_fold(1u64, |acc, dim| match dim {
        py_literal::Value::Integer(d) => u64::try_from(d).ok().and_then(|d| acc.checked_mul(d)),
        _ => Some(acc),
    });
    fits.is_none().then(|| shape.to_string())
}

/// Reads into `buf` until it is full or the stream ends; returns the bytes read.
pub(crate) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

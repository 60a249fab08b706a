//! NumPy `.npy` files: read range by range with seek + read, written incrementally.
//!
//! The format (NEP 1): the magic `\x93NUMPY`, a version byte pair, the header length
//! (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3), then the header, a
//! Python dict literal such as `{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }`
//! padded so the data starts on a 64-byte boundary, then the values, packed.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use homodyne_core::{Batch, DataSource, SourceError};

use crate::error::{DataError, shape_text};

/// Bytes read from a file at once: a batch larger than this is read in pieces, so the
/// scratch buffer stays small whatever the batch size.
const SCRATCH_BYTES: usize = 1 << 20;

/// Longest header accepted (NumPy itself refuses headers over 10 kB unless asked).
const MAX_HEADER_BYTES: usize = 1 << 20;

/// The element types [`NpySource`] reads (converted to `f64`) and [`NpyWriter`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NpyDtype {
    /// `'<f8'`: float64, little-endian (what `numpy.save` writes on every common machine).
    F64Le,
    /// `'>f8'`: float64, big-endian.
    F64Be,
    /// `'<f4'`: float32, little-endian.
    F32Le,
    /// `'>f4'`: float32, big-endian.
    F32Be,
}

impl NpyDtype {
    /// The type string of the header's `descr` (`'<f8'`, ...).
    pub fn descr(self) -> &'static str {
        match self {
            Self::F64Le => "<f8",
            Self::F64Be => ">f8",
            Self::F32Le => "<f4",
            Self::F32Be => ">f4",
        }
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            Self::F64Le | Self::F64Be => 8,
            Self::F32Le | Self::F32Be => 4,
        }
    }

    fn from_descr(descr: &str) -> Option<Self> {
        match descr {
            "<f8" => Some(Self::F64Le),
            ">f8" => Some(Self::F64Be),
            "<f4" => Some(Self::F32Le),
            ">f4" => Some(Self::F32Be),
            _ => None,
        }
    }

    /// Decodes rows of `row_width` values each from `bytes` into `out`: `width` values per
    /// row, starting at column `col`.
    fn decode(self, bytes: &[u8], row_width: usize, col: usize, width: usize, out: &mut [f64]) {
        match self {
            Self::F64Le => decode_rows(bytes, row_width, col, width, out, f64::from_le_bytes),
            Self::F64Be => decode_rows(bytes, row_width, col, width, out, f64::from_be_bytes),
            Self::F32Le => decode_rows(bytes, row_width, col, width, out, |b| {
                f64::from(f32::from_le_bytes(b))
            }),
            Self::F32Be => decode_rows(bytes, row_width, col, width, out, |b| {
                f64::from(f32::from_be_bytes(b))
            }),
        }
    }

    /// Appends the encoding of `values` to `bytes` (float32 types round to nearest).
    fn encode(self, values: &[f64], bytes: &mut Vec<u8>) {
        bytes.reserve(values.len() * self.size());
        match self {
            Self::F64Le => values
                .iter()
                .for_each(|v| bytes.extend_from_slice(&v.to_le_bytes())),
            Self::F64Be => values
                .iter()
                .for_each(|v| bytes.extend_from_slice(&v.to_be_bytes())),
            Self::F32Le => values
                .iter()
                .for_each(|&v| bytes.extend_from_slice(&(v as f32).to_le_bytes())),
            Self::F32Be => values
                .iter()
                .for_each(|&v| bytes.extend_from_slice(&(v as f32).to_be_bytes())),
        }
    }
}

impl std::fmt::Display for NpyDtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}'", self.descr())
    }
}

fn decode_rows<const N: usize>(
    bytes: &[u8],
    row_width: usize,
    col: usize,
    width: usize,
    out: &mut [f64],
    convert: impl Fn([u8; N]) -> f64,
) {
    let (values, _) = bytes.as_chunks::<N>();
    if row_width == width {
        for (o, v) in out.iter_mut().zip(values) {
            *o = convert(*v);
        }
    } else {
        for (out_row, row) in out
            .chunks_exact_mut(width)
            .zip(values.chunks_exact(row_width))
        {
            for (o, v) in out_row.iter_mut().zip(row.iter().skip(col)) {
                *o = convert(*v);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------

/// What the header of a `.npy` file says, and where its data starts.
#[derive(Debug, Clone)]
struct NpyArray {
    path: PathBuf,
    /// The array's role (`x`, `y`, `sigma`, `columns`), for messages.
    role: &'static str,
    dtype: NpyDtype,
    shape: Vec<usize>,
    /// Byte offset of the first value.
    data_offset: u64,
    /// Values per point: the product of the shape's dimensions after the first.
    row_width: usize,
}

impl NpyArray {
    /// Opens `path` and reads its header, checking that the file holds every value the
    /// header announces.
    fn open(path: &Path, role: &'static str) -> Result<(Self, File), DataError> {
        let io_error = |action: &str, source: io::Error| DataError::Io {
            file: path.to_path_buf(),
            dataset: role.to_owned(),
            action: action.to_owned(),
            source,
        };
        let format_error = |message: String| DataError::Format {
            file: path.to_path_buf(),
            dataset: role.to_owned(),
            message,
        };
        let mut file = File::open(path).map_err(|e| io_error("cannot open", e))?;
        let file_len = file
            .metadata()
            .map_err(|e| io_error("cannot read the file's size", e))?
            .len();

        let mut pre = [0u8; 12];
        let got = read_up_to(&mut file, &mut pre).map_err(|e| io_error("cannot read", e))?;
        if got < 10 || &pre[..6] != b"\x93NUMPY" {
            return Err(format_error(
                "is not a NumPy .npy file (no \\x93NUMPY magic number at its start): give a file \
                 written by numpy.save"
                    .to_owned(),
            ));
        }
        let (major, minor) = (pre[6], pre[7]);
        let (prefix, header_len) = match major {
            1 => (10usize, usize::from(u16::from_le_bytes([pre[8], pre[9]]))),
            2 | 3 if got == 12 => (
                12,
                u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as usize,
            ),
            2 | 3 => {
                return Err(format_error(
                    "the file ends inside its .npy header".to_owned(),
                ));
            }
            _ => {
                return Err(format_error(format!(
                    ".npy format version {major}.{minor} is not supported: give a file written \
                     by numpy.save (versions 1.0 to 3.0)"
                )));
            }
        };
        if header_len > MAX_HEADER_BYTES {
            return Err(format_error(format!(
                "the .npy header claims {header_len} bytes, more than the {MAX_HEADER_BYTES} \
                 accepted: the file is damaged or not a .npy file"
            )));
        }
        let data_offset = (prefix + header_len) as u64;
        if file_len < data_offset {
            return Err(format_error(
                "the file ends inside its .npy header".to_owned(),
            ));
        }
        let mut text = vec![0u8; header_len];
        file.seek(SeekFrom::Start(prefix as u64))
            .and_then(|_| file.read_exact(&mut text))
            .map_err(|e| io_error("cannot read the .npy header", e))?;
        let text = String::from_utf8(text).map_err(|_| {
            format_error("the .npy header is not UTF-8 text: the file is damaged".to_owned())
        })?;
        let header = Header::parse(&text).map_err(|message| {
            format_error(format!(
                "cannot parse the .npy header {:?}: {message}",
                text.trim_end()
            ))
        })?;

        let dtype =
            NpyDtype::from_descr(&header.descr).ok_or_else(|| DataError::UnsupportedDtype {
                file: path.to_path_buf(),
                dataset: role.to_owned(),
                dtype: format!("'{}'", header.descr),
            })?;
        let shape: Vec<usize> = header
            .shape
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                format_error(format!(
                    "the shape {:?} does not fit this machine's address space",
                    header.shape
                ))
            })?;
        if header.fortran_order && shape.iter().filter(|&&d| d > 1).count() > 1 {
            return Err(DataError::FortranOrder {
                file: path.to_path_buf(),
                dataset: role.to_owned(),
            });
        }
        let too_large = || {
            format_error(format!(
                "the shape {} is too large to address",
                shape_text(&shape)
            ))
        };
        let values = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(too_large)?;
        let data_bytes = (values as u64)
            .checked_mul(dtype.size() as u64)
            .ok_or_else(too_large)?;
        let found = file_len - data_offset;
        if found < data_bytes {
            return Err(DataError::Truncated {
                file: path.to_path_buf(),
                dataset: role.to_owned(),
                expected: data_bytes,
                found,
            });
        }
        let row_width = shape.iter().skip(1).product();
        let array = Self {
            path: path.to_path_buf(),
            role,
            dtype,
            shape,
            data_offset,
            row_width,
        };
        Ok((array, file))
    }

    /// Number of points (rows): the first dimension.
    fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    fn bad_shape(&self, expected: impl Into<String>) -> DataError {
        DataError::BadShape {
            file: self.path.clone(),
            dataset: self.role.to_owned(),
            shape: self.shape.clone(),
            expected: expected.into(),
        }
    }

    fn empty(&self) -> DataError {
        DataError::Empty {
            file: self.path.clone(),
            dataset: self.role.to_owned(),
        }
    }

    /// Checks that the array is 1-D with `n` values (`n` taken from `other`).
    fn expect_column(&self, n: usize, other: &NpyArray) -> Result<(), DataError> {
        if self.shape.len() != 1 {
            return Err(self.bad_shape(format!(
                "give a 1-D array of shape ({n},), one value per point"
            )));
        }
        if self.rows() != n {
            return Err(DataError::LengthMismatch {
                file: self.path.clone(),
                dataset: self.role.to_owned(),
                found: self.rows(),
                expected: n,
                other: format!("{} ({})", other.role, other.path.display()),
            });
        }
        Ok(())
    }
}

/// Reads into `buf` until it is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The three keys of a `.npy` header.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    /// The dtype: a type string such as `<f8`, or the raw text of a structured dtype.
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

/// A value of the header's dict.
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
    /// Anything else (a structured dtype's list), as written.
    Other(String),
}

impl Header {
    /// Parses the Python dict literal of a header.
    fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        p.skip_ws();
        p.expect(b'{')?;
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        loop {
            p.skip_ws();
            if p.eat(b'}') {
                break;
            }
            let key = p.string()?;
            p.skip_ws();
            p.expect(b':')?;
            p.skip_ws();
            let value = p.value()?;
            match (key.as_str(), value) {
                ("descr", Value::Str(s) | Value::Other(s)) => descr = Some(s),
                ("fortran_order", Value::Bool(b)) => fortran_order = Some(b),
                ("shape", Value::Tuple(t)) => shape = Some(t),
                ("descr" | "fortran_order" | "shape", _) => {
                    return Err(format!("'{key}' has a value of the wrong kind"));
                }
                _ => {}
            }
            p.skip_ws();
            if !p.eat(b',') {
                p.skip_ws();
                p.expect(b'}')?;
                break;
            }
        }
        let missing = |key: &str| format!("the key '{key}' is missing");
        Ok(Self {
            descr: descr.ok_or_else(|| missing("descr"))?,
            fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
            shape: shape.ok_or_else(|| missing("shape"))?,
        })
    }
}

/// A cursor over the header text.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.i += 1;
        }
        found
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at character {}",
                char::from(c),
                self.i
            ))
        }
    }

    /// A quoted string (no escapes: type strings and keys have none).
    fn string(&mut self) -> Result<String, String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at character {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == quote {
                let s = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                return Ok(s);
            }
            self.i += 1;
        }
        Err("unterminated string".to_owned())
    }

    fn word(&mut self, word: &str) -> bool {
        let found = self.s[self.i..].starts_with(word.as_bytes());
        if found {
            self.i += word.len();
        }
        found
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Value::Str),
            Some(b'T') if self.word("True") => Ok(Value::Bool(true)),
            Some(b'F') if self.word("False") => Ok(Value::Bool(false)),
            Some(b'(') => self.tuple().map(Value::Tuple),
            Some(b'[' | b'{') => self.nested().map(Value::Other),
            _ => Err(format!("unexpected value at character {}", self.i)),
        }
    }

    /// A tuple of non-negative integers: `()`, `(10,)`, `(10, 3)` (Python 2's `10L` too).
    fn tuple(&mut self) -> Result<Vec<u64>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(b')') {
                return Ok(dims);
            }
            let start = self.i;
            let mut value: u64 = 0;
            while let Some(c @ b'0'..=b'9') = self.peek() {
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(c - b'0')))
                    .ok_or_else(|| "a dimension of the shape overflows 64 bits".to_owned())?;
                self.i += 1;
            }
            if self.i == start {
                return Err(format!(
                    "expected a non-negative integer in the shape at character {}",
                    self.i
                ));
            }
            self.eat(b'L');
            dims.push(value);
            self.skip_ws();
            if !self.eat(b',') {
                self.skip_ws();
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }

    /// A bracketed value kept as text (a structured dtype).
    fn nested(&mut self) -> Result<String, String> {
        let start = self.i;
        let mut depth = 0usize;
        let mut quote = None;
        while let Some(c) = self.peek() {
            self.i += 1;
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(c),
                (None, b'[' | b'{' | b'(') => depth += 1,
                (None, b']' | b'}' | b')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
                    }
                }
                _ => {}
            }
        }
        Err("unterminated list".to_owned())
    }
}

/// The header of an array of `shape` and `dtype`, padded so the data starts on a 64-byte
/// boundary.
fn header_bytes(dtype: NpyDtype, shape: &[usize]) -> Vec<u8> {
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

// ---------------------------------------------------------------------------------------
// Source
// ---------------------------------------------------------------------------------------

/// Where a batch vector's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    X,
    Y,
    Sigma,
}

/// One of x, y, sigma: `width` values per point from columns `col..col + width` of array
/// number `array`.
#[derive(Debug, Clone, Copy)]
struct Field {
    target: Target,
    array: usize,
    col: usize,
    width: usize,
}

/// The open files and the bytes last read, locked while a batch is read.
#[derive(Debug)]
struct NpyIo {
    files: Vec<File>,
    scratch: Vec<u8>,
}

/// Points read from NumPy `.npy` files, range by range, with seek + read: a batch costs
/// the bytes of its rows, never the whole file.
///
/// Either one file per quantity ([`open`](Self::open): `x` 1-D of shape `(n,)` or 2-D of
/// shape `(n, d)` for `d` predictor values per point, `y` and `sigma` 1-D of shape
/// `(n,)`) or one table ([`open_columns`](Self::open_columns): shape `(n, 2)` holding
/// x and y, or `(n, 3)` holding x, y and sigma).
///
/// Values may be float64 or float32 (converted to `f64`), little- or big-endian
/// (`'<f8'`, `'>f8'`, `'<f4'`, `'>f4'`); arrays must be in C order (a 1-D array, or one
/// whose dimensions are all 1 but one, has the same bytes in both orders and is accepted
/// either way). Everything is checked when the source is opened, including that every
/// file holds all the bytes its header announces.
///
/// ```
/// use homodyne_core::{Batch, DataSource};
/// use homodyne_data::{NpySource, NpyWriter};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("homodyne-npy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// // A table of 10,000 rows (x, y, sigma), written 1,000 rows at a time.
/// let path = dir.join("table.npy");
/// let mut writer = NpyWriter::create(&path, &[10_000, 3])?;
/// for chunk in 0..10 {
///     let rows: Vec<f64> = (chunk * 1000..(chunk + 1) * 1000)
///         .flat_map(|i| [i as f64, 2.0 * i as f64, 0.5])
///         .collect();
///     writer.write(&rows)?;
/// }
/// writer.finish()?;
///
/// let source = NpySource::open_columns(&path)?;
/// assert_eq!((source.n_points(), source.x_dim(), source.has_sigma()), (10_000, 1, true));
/// let mut batch = Batch::default();
/// source.read(9_998..10_000, &mut batch)?;
/// assert_eq!(batch.x, [9998.0, 9999.0]);
/// assert_eq!(batch.y, [19996.0, 19998.0]);
/// assert_eq!(batch.sigma, [0.5, 0.5]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct NpySource {
    arrays: Vec<NpyArray>,
    fields: Vec<Field>,
    n_points: usize,
    x_dim: usize,
    has_sigma: bool,
    io: Mutex<NpyIo>,
}

impl NpySource {
    /// Opens one `.npy` file per quantity: `x` of shape `(n,)` or `(n, d)`, `y` and the
    /// optional `sigma` of shape `(n,)`.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the file and the array (`x`, `y` or `sigma`) when a file
    /// cannot be opened or is not a `.npy` file, holds an unsupported element type, is in
    /// Fortran order, has the wrong number of dimensions, disagrees with `x` on the number
    /// of points, is truncated, or holds no points.
    pub fn open(
        x_path: impl AsRef<Path>,
        y_path: impl AsRef<Path>,
        sigma_path: Option<&Path>,
    ) -> Result<Self, DataError> {
        let (x, x_file) = NpyArray::open(x_path.as_ref(), "x")?;
        let (y, y_file) = NpyArray::open(y_path.as_ref(), "y")?;
        let sigma = sigma_path.map(|p| NpyArray::open(p, "sigma")).transpose()?;

        let x_dim = match x.shape.as_slice() {
            [_] => 1,
            [_, d] => *d,
            _ => {
                return Err(x.bad_shape(
                    "give a 1-D array of shape (n,) or a 2-D array of shape (n, d), d values per point",
                ));
            }
        };
        if x_dim == 0 {
            return Err(x.bad_shape("give at least one predictor value per point"));
        }
        let n = x.rows();
        if n == 0 {
            return Err(x.empty());
        }
        y.expect_column(n, &x)?;
        if let Some((s, _)) = &sigma {
            s.expect_column(n, &x)?;
        }

        let mut fields = vec![
            Field {
                target: Target::X,
                array: 0,
                col: 0,
                width: x_dim,
            },
            Field {
                target: Target::Y,
                array: 1,
                col: 0,
                width: 1,
            },
        ];
        let mut arrays = vec![x, y];
        let mut files = vec![x_file, y_file];
        let has_sigma = sigma.is_some();
        if let Some((s, s_file)) = sigma {
            fields.push(Field {
                target: Target::Sigma,
                array: 2,
                col: 0,
                width: 1,
            });
            arrays.push(s);
            files.push(s_file);
        }
        Ok(Self {
            arrays,
            fields,
            n_points: n,
            x_dim,
            has_sigma,
            io: Mutex::new(NpyIo {
                files,
                scratch: Vec::new(),
            }),
        })
    }

    /// Opens one `.npy` table of shape `(n, 2)` (columns x, y) or `(n, 3)` (columns x, y,
    /// sigma); each batch reads its rows once.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), with the array named `columns`; a shape other than
    /// `(n, 2)` or `(n, 3)` is an error.
    pub fn open_columns(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let (table, file) = NpyArray::open(path.as_ref(), "columns")?;
        let columns = match table.shape.as_slice() {
            [_, c @ (2 | 3)] => *c,
            _ => {
                return Err(table.bad_shape(
                    "give a 2-D array of shape (n, 2) holding columns x, y, or (n, 3) holding \
                     x, y, sigma",
                ));
            }
        };
        let n = table.rows();
        if n == 0 {
            return Err(table.empty());
        }
        let column = |target, col| Field {
            target,
            array: 0,
            col,
            width: 1,
        };
        let mut fields = vec![column(Target::X, 0), column(Target::Y, 1)];
        if columns == 3 {
            fields.push(column(Target::Sigma, 2));
        }
        Ok(Self {
            arrays: vec![table],
            fields,
            n_points: n,
            x_dim: 1,
            has_sigma: columns == 3,
            io: Mutex::new(NpyIo {
                files: vec![file],
                scratch: Vec::new(),
            }),
        })
    }

    /// The element type of each file read, as `(role, dtype)` pairs (`x`, `y`, `sigma`, or
    /// `columns` for a table).
    pub fn dtypes(&self) -> Vec<(&'static str, NpyDtype)> {
        self.arrays.iter().map(|a| (a.role, a.dtype)).collect()
    }
}

impl DataSource for NpySource {
    fn n_points(&self) -> usize {
        self.n_points
    }

    fn x_dim(&self) -> usize {
        self.x_dim
    }

    fn has_sigma(&self) -> bool {
        self.has_sigma
    }

    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError> {
        SourceError::check_range(|| self.describe(), &range, self.n_points)?;
        let fail = |message: String| SourceError::new(self.describe(), &range, message);
        batch.resize(range.len(), self.x_dim, self.has_sigma);
        if range.is_empty() {
            return Ok(());
        }
        let mut io = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        let NpyIo { files, scratch } = &mut *io;
        for ((a, array), file) in self.arrays.iter().enumerate().zip(files.iter_mut()) {
            let row_bytes = array.row_width * array.dtype.size();
            let rows_per_read = (SCRATCH_BYTES / row_bytes).max(1);
            let mut row = range.start;
            while row < range.end {
                let rows = rows_per_read.min(range.end - row);
                let bytes = rows * row_bytes;
                if scratch.len() < bytes {
                    scratch.resize(bytes, 0);
                }
                let chunk = &mut scratch[..bytes];
                // In range: the file was checked at open to hold n * row_bytes data bytes.
                let offset = array.data_offset + (row as u64) * (row_bytes as u64);
                file.seek(SeekFrom::Start(offset))
                    .and_then(|_| file.read_exact(chunk))
                    .map_err(|e| {
                        fail(format!(
                            "{} [{}]: cannot read {bytes} bytes at offset {offset}: {e}",
                            array.path.display(),
                            array.role
                        ))
                    })?;
                let k = row - range.start;
                for field in self.fields.iter().filter(|f| f.array == a) {
                    let out = match field.target {
                        Target::X => &mut batch.x,
                        Target::Y => &mut batch.y,
                        Target::Sigma => &mut batch.sigma,
                    };
                    let w = field.width;
                    array.dtype.decode(
                        chunk,
                        array.row_width,
                        field.col,
                        w,
                        &mut out[k * w..(k + rows) * w],
                    );
                }
                row += rows;
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match self.arrays.as_slice() {
            [table] => format!(
                "NumPy table {} (columns x, y{})",
                table.path.display(),
                if self.has_sigma { ", sigma" } else { "" }
            ),
            arrays => {
                let files: Vec<String> = arrays
                    .iter()
                    .map(|a| format!("{} {}", a.role, a.path.display()))
                    .collect();
                format!("NumPy files ({})", files.join(", "))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------

/// Writes a `.npy` file whose shape is known up front, values appended chunk by chunk:
/// the header is written first, so a file of any size is written without holding it.
///
/// Values are given in C order (for shape `(n, d)`: row after row). [`finish`](Self::finish)
/// checks that exactly the announced number of values was written; a writer dropped
/// before that leaves a file whose header announces more data than it holds, which
/// [`NpySource`] (and NumPy) refuse as truncated.
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
    dtype: NpyDtype,
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
        Self::create_with_dtype(path, shape, NpyDtype::F64Le)
    }

    /// As [`create`](Self::create), for values stored as `dtype` (float32 types round each
    /// value to the nearest float32).
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn create_with_dtype(
        path: impl AsRef<Path>,
        shape: &[usize],
        dtype: NpyDtype,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse() {
        let h =
            Header::parse("{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }").unwrap();
        assert_eq!(
            h,
            Header {
                descr: "<f8".into(),
                fortran_order: false,
                shape: vec![10]
            }
        );
        let h = Header::parse("{\"shape\": (3L, 2L), \"fortran_order\": True, \"descr\": \">f4\"}")
            .unwrap();
        assert_eq!(h.shape, [3, 2]);
        assert!(h.fortran_order);
        assert_eq!(h.descr, ">f4");
        let h = Header::parse(
            "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': ()}",
        )
        .unwrap();
        assert_eq!(h.descr, "[('a', '<f8'), ('b', '<i4')]");
        assert!(h.shape.is_empty());

        for bad in [
            "",
            "{",
            "{'descr': '<f8', 'fortran_order': False}",
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
            "{'descr': '<f8 , 'fortran_order': False, 'shape': (1,)}",
            "{'descr': [('a', '<f8'), 'fortran_order': False, 'shape': (1,)}",
        ] {
            assert!(Header::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn written_headers_are_aligned_and_parse_back() {
        for shape in [&[][..], &[0], &[7], &[1_000_000_000_000, 3]] {
            for dtype in [NpyDtype::F64Le, NpyDtype::F32Be] {
                let bytes = header_bytes(dtype, shape);
                assert_eq!(bytes.len() % 64, 0);
                assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
                let len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
                assert_eq!(len + 10, bytes.len());
                assert_eq!(bytes.last(), Some(&b'\n'));
                let h = Header::parse(std::str::from_utf8(&bytes[10..]).unwrap()).unwrap();
                assert_eq!(h.descr, dtype.descr());
                assert!(!h.fortran_order);
                let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
                assert_eq!(h.shape, dims);
            }
        }
    }

    #[test]
    fn decoding_picks_columns() {
        let mut bytes = Vec::new();
        NpyDtype::F32Be.encode(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut bytes);
        let mut out = [0.0; 2];
        NpyDtype::F32Be.decode(&bytes, 3, 1, 1, &mut out);
        assert_eq!(out, [2.0, 5.0]);
        let mut out = [0.0; 4];
        NpyDtype::F32Be.decode(&bytes, 3, 1, 2, &mut out);
        assert_eq!(out, [2.0, 3.0, 5.0, 6.0]);
    }
}

//! A small reader and writer of NumPy `.npy` arrays, the members of an `.npz` archive.
//!
//! Reads format versions 1.0, 2.0 and 3.0 with the element types the Python package's
//! caches hold: IEEE floats (`f2` is refused, `f4`, `f8`), integers (`i1`..`i8`,
//! `u1`..`u8`, converted to `f64` when exact), and unicode strings (`U<n>`), in either
//! byte order, C or Fortran order. Writes version 1.0 headers laid out byte for byte as
//! `numpy.lib.format.write_array` lays them out (NumPy 2.x: the header padded for a
//! growing first axis, then to a multiple of 64 bytes).
//!
//! Every malformed input is an `Err(String)` saying what is wrong; nothing here panics.

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

/// The decoded values of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Numbers, widened to `f64` (integers only when exact).
    Numbers(Vec<f64>),
    /// Strings, trailing NULs removed as NumPy removes them.
    Strings(Vec<String>),
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

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy aligns the start of the data to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// NumPy leaves room for the first axis to grow to this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

#[derive(Debug, Clone, Copy)]
enum Order {
    Little,
    Big,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Float,
    Signed,
    Unsigned,
    Unicode,
}

/// Decodes one `.npy` stream.
pub fn parse(bytes: &[u8]) -> Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("is not a NumPy .npy array (no \\x93NUMPY magic)".to_owned());
    }
    let major = bytes[6];
    let (header_len, header_start): (usize, usize) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("the .npy header is truncated".to_owned());
            }
            let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            let n = usize::try_from(n).map_err(|_| "the .npy header is too long".to_owned())?;
            (n, 12)
        }
        other => return Err(format!("has .npy format version {other}, not 1, 2 or 3")),
    };
    let data_start = header_start
        .checked_add(header_len)
        .ok_or_else(|| "the .npy header length overflows".to_owned())?;
    let header_bytes = bytes
        .get(header_start..data_start)
        .ok_or_else(|| "the .npy header is truncated".to_owned())?;
    // Versions 1 and 2 are latin-1, version 3 UTF-8; the keys and values we read are ASCII.
    let header: String = if major == 3 {
        std::str::from_utf8(header_bytes)
            .map_err(|_| "the .npy header is not UTF-8".to_owned())?
            .to_owned()
    } else {
        header_bytes.iter().map(|&b| char::from(b)).collect()
    };
    let descr = header_string(&header, "descr")?;
    let fortran = header_bool(&header, "fortran_order")?;
    let shape = header_shape(&header)?;
    let (order, kind, size) = parse_descr(&descr)?;
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("the shape {shape:?} overflows"))?;
    let n_bytes = count
        .checked_mul(size)
        .ok_or_else(|| format!("the shape {shape:?} overflows"))?;
    let data = &bytes[data_start..];
    if data.len() < n_bytes {
        return Err(format!(
            "holds {} bytes of data, but shape {shape:?} of {descr} needs {n_bytes}",
            data.len()
        ));
    }
    let data = &data[..n_bytes];
    let (stored, values) = match kind {
        Kind::Float => {
            let stored = match size {
                8 => Stored::F64,
                4 => Stored::F32,
                _ => return Err(format!("element type {descr} is not float32 or float64")),
            };
            (stored, Values::Numbers(decode_floats(data, size, order)))
        }
        Kind::Signed | Kind::Unsigned => {
            let signed = matches!(kind, Kind::Signed);
            (
                Stored::Int,
                Values::Numbers(decode_ints(data, size, order, signed)?),
            )
        }
        Kind::Unicode => (
            Stored::Unicode,
            Values::Strings(decode_unicode(data, size, count, order)?),
        ),
    };
    let values = if fortran && shape.len() > 1 {
        match values {
            Values::Numbers(v) => Values::Numbers(fortran_to_c(&v, &shape)),
            Values::Strings(v) => Values::Strings(fortran_to_c(&v, &shape)),
        }
    } else {
        values
    };
    Ok(Array {
        shape,
        descr,
        stored,
        values,
    })
}

/// The text after `'key':` in the header dict.
fn header_value<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    for quote in ['\'', '"'] {
        let pattern = format!("{quote}{key}{quote}");
        if let Some(position) = header.find(&pattern) {
            let rest = header[position + pattern.len()..].trim_start();
            let rest = rest
                .strip_prefix(':')
                .ok_or_else(|| format!("the .npy header has no value for '{key}'"))?;
            return Ok(rest.trim_start());
        }
    }
    Err(format!("the .npy header has no '{key}' (header: {header})"))
}

fn header_string(header: &str, key: &str) -> Result<String, String> {
    let rest = header_value(header, key)?;
    let mut chars = rest.chars();
    let quote = chars.next();
    match quote {
        Some(q @ ('\'' | '"')) => {
            let body: String = chars.take_while(|&c| c != q).collect();
            if rest[1 + body.len()..].starts_with(q) {
                Ok(body)
            } else {
                Err(format!("the .npy header's '{key}' is not a closed string"))
            }
        }
        _ => Err(format!(
            "the .npy header's '{key}' is not a string (structured arrays are not supported): {header}"
        )),
    }
}

fn header_bool(header: &str, key: &str) -> Result<bool, String> {
    let rest = header_value(header, key)?;
    if rest.starts_with("True") {
        Ok(true)
    } else if rest.starts_with("False") {
        Ok(false)
    } else {
        Err(format!(
            "the .npy header's '{key}' is neither True nor False"
        ))
    }
}

fn header_shape(header: &str) -> Result<Vec<usize>, String> {
    let rest = header_value(header, "shape")?;
    let body = rest
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .map(|(inside, _)| inside)
        .ok_or_else(|| "the .npy header's 'shape' is not a tuple".to_owned())?;
    body.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("the .npy header's 'shape' holds '{s}', not a size"))
        })
        .collect()
}

/// Byte order, kind and element size of a `descr` such as `<f8`, `|i1` or `>U12`.
fn parse_descr(descr: &str) -> Result<(Order, Kind, usize), String> {
    let mut chars = descr.chars();
    let (order, rest) = match chars.next() {
        Some('<') | Some('=') | Some('|') => (Order::Little, chars.as_str()),
        Some('>') => (Order::Big, chars.as_str()),
        Some(_) => (Order::Little, descr),
        None => return Err("the .npy header's 'descr' is empty".to_owned()),
    };
    let mut rest_chars = rest.chars();
    let kind = match rest_chars.next() {
        Some('f') => Kind::Float,
        Some('i') => Kind::Signed,
        Some('u') => Kind::Unsigned,
        Some('U') => Kind::Unicode,
        _ => {
            return Err(format!(
                "element type {descr} is not supported (give floats, integers or unicode strings)"
            ));
        }
    };
    let count: usize = rest_chars
        .as_str()
        .parse()
        .map_err(|_| format!("element type {descr} has no valid size"))?;
    let size = match kind {
        Kind::Unicode => count
            .checked_mul(4)
            .ok_or_else(|| format!("element type {descr} is too wide"))?,
        Kind::Float if count == 4 || count == 8 => count,
        Kind::Signed | Kind::Unsigned if matches!(count, 1 | 2 | 4 | 8) => count,
        _ => return Err(format!("element type {descr} is not supported")),
    };
    Ok((order, kind, size))
}

fn word<const N: usize>(chunk: &[u8], order: Order) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&chunk[..N]);
    if matches!(order, Order::Big) {
        out.reverse();
    }
    out
}

fn decode_floats(data: &[u8], size: usize, order: Order) -> Vec<f64> {
    data.chunks_exact(size)
        .map(|c| {
            if size == 8 {
                f64::from_le_bytes(word::<8>(c, order))
            } else {
                f64::from(f32::from_le_bytes(word::<4>(c, order)))
            }
        })
        .collect()
}

fn decode_ints(data: &[u8], size: usize, order: Order, signed: bool) -> Result<Vec<f64>, String> {
    const EXACT: u64 = 1 << 53;
    data.chunks_exact(size)
        .map(|c| {
            let (value, magnitude) = if signed {
                let v: i64 = match size {
                    1 => i64::from(i8::from_le_bytes(word::<1>(c, order))),
                    2 => i64::from(i16::from_le_bytes(word::<2>(c, order))),
                    4 => i64::from(i32::from_le_bytes(word::<4>(c, order))),
                    _ => i64::from_le_bytes(word::<8>(c, order)),
                };
                (v as f64, v.unsigned_abs())
            } else {
                let v: u64 = match size {
                    1 => u64::from(u8::from_le_bytes(word::<1>(c, order))),
                    2 => u64::from(u16::from_le_bytes(word::<2>(c, order))),
                    4 => u64::from(u32::from_le_bytes(word::<4>(c, order))),
                    _ => u64::from_le_bytes(word::<8>(c, order)),
                };
                (v as f64, v)
            };
            if magnitude > EXACT {
                Err(format!(
                    "holds the integer {value}, which float64 cannot hold exactly"
                ))
            } else {
                Ok(value)
            }
        })
        .collect()
}

fn decode_unicode(
    data: &[u8],
    size: usize,
    count: usize,
    order: Order,
) -> Result<Vec<String>, String> {
    if size == 0 {
        // NumPy never writes U0; a huge shape of it would allocate without reading a byte.
        return Err(format!("has {count} strings of no characters (U0)"));
    }
    data.chunks_exact(size)
        .map(|c| {
            let mut text = String::with_capacity(size / 4);
            for unit in c.chunks_exact(4) {
                let code = u32::from_le_bytes(word::<4>(unit, order));
                let ch = char::from_u32(code)
                    .ok_or_else(|| format!("holds the invalid code point {code:#x}"))?;
                text.push(ch);
            }
            // NumPy strips trailing NULs from U strings.
            let trimmed = text.trim_end_matches('\0').len();
            text.truncate(trimmed);
            Ok(text)
        })
        .collect()
}

/// Reorders values stored in Fortran (column-major) order into C order.
fn fortran_to_c<T: Clone>(values: &[T], shape: &[usize]) -> Vec<T> {
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..n {
        // Fortran offset of the C-order multi-index.
        let mut offset = 0;
        let mut stride = 1;
        for (axis, &i) in index.iter().enumerate() {
            offset += i * stride;
            stride *= shape[axis];
        }
        out.push(values[offset].clone());
        // Next C-order multi-index: the last axis moves fastest.
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

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
        let text = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        for v in [1i16, 4, 2, 5, 3, 6] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
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
        assert!(err.contains("needs 32"), "{err}");
        let text = "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        assert!(parse(&bytes).unwrap_err().contains("structured"));
        let text = "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        assert!(parse(&bytes).is_err());
    }
}

//! The element types every reader accepts, and their conversion to `f64`.
//!
//! One list for every format: IEEE float64 and float32, and integers of 1, 2, 4 or 8
//! bytes, signed or unsigned, in either byte order. A value `v` becomes the `f64` nearest
//! to it: exact for floats and for integers of up to 4 bytes; a 64-bit integer with
//! `|v| > 2^53` rounds to nearest (ties to even), as `v as f64` does.

use std::fmt;

/// What kind of number an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberKind {
    /// An IEEE 754 binary float (4 or 8 bytes).
    Float,
    /// A two's-complement signed integer.
    Signed,
    /// An unsigned integer.
    Unsigned,
}

/// The order of an element's bytes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (what every common machine writes).
    Little,
    /// Most significant byte first.
    Big,
}

/// `$apply!(T, from_bytes, to_bytes)` for the Rust type `T` of `$element` and the
/// conversions of its byte order (`from_le_bytes`, `to_le_bytes` or the `be` pair).
macro_rules! for_each_type {
    ($element:expr, $apply:ident) => {{
        use ByteOrder::{Big, Little};
        use NumberKind::{Float, Signed, Unsigned};
        match ($element.kind, $element.size, $element.order) {
            (Float, 8, Little) => $apply!(f64, from_le_bytes, to_le_bytes),
            (Float, 8, Big) => $apply!(f64, from_be_bytes, to_be_bytes),
            (Float, 4, Little) => $apply!(f32, from_le_bytes, to_le_bytes),
            (Float, 4, Big) => $apply!(f32, from_be_bytes, to_be_bytes),
            (Signed, 1, _) => $apply!(i8, from_le_bytes, to_le_bytes),
            (Signed, 2, Little) => $apply!(i16, from_le_bytes, to_le_bytes),
            (Signed, 2, Big) => $apply!(i16, from_be_bytes, to_be_bytes),
            (Signed, 4, Little) => $apply!(i32, from_le_bytes, to_le_bytes),
            (Signed, 4, Big) => $apply!(i32, from_be_bytes, to_be_bytes),
            (Signed, 8, Little) => $apply!(i64, from_le_bytes, to_le_bytes),
            (Signed, 8, Big) => $apply!(i64, from_be_bytes, to_be_bytes),
            (Unsigned, 1, _) => $apply!(u8, from_le_bytes, to_le_bytes),
            (Unsigned, 2, Little) => $apply!(u16, from_le_bytes, to_le_bytes),
            (Unsigned, 2, Big) => $apply!(u16, from_be_bytes, to_be_bytes),
            (Unsigned, 4, Little) => $apply!(u32, from_le_bytes, to_le_bytes),
            (Unsigned, 4, Big) => $apply!(u32, from_be_bytes, to_be_bytes),
            (Unsigned, 8, Little) => $apply!(u64, from_le_bytes, to_le_bytes),
            (Unsigned, 8, Big) => $apply!(u64, from_be_bytes, to_be_bytes),
            // `ElementType::new` admits no other combination.
            _ => unreachable!("element type {} has no codec", $element),
        }
    }};
}

/// A numeric element type as stored in a file: kind, width and byte order.
///
/// Built only through [`ElementType::new`], so every value is one the readers decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ElementType {
    kind: NumberKind,
    size: usize,
    order: ByteOrder,
}

impl ElementType {
    /// Little-endian float64 (`'<f8'`), what `numpy.save` and h5py write by default.
    pub const F64: Self = Self {
        kind: NumberKind::Float,
        size: 8,
        order: ByteOrder::Little,
    };

    /// The element type of `size` bytes of `kind` in `order`; `None` for a width the
    /// readers do not decode (floats other than 4 or 8 bytes, integers other than 1, 2,
    /// 4 or 8 bytes).
    pub fn new(kind: NumberKind, size: usize, order: ByteOrder) -> Option<Self> {
        let supported = match kind {
            NumberKind::Float => matches!(size, 4 | 8),
            NumberKind::Signed | NumberKind::Unsigned => matches!(size, 1 | 2 | 4 | 8),
        };
        // One-byte values have no byte order: store them as little-endian so that
        // `'|u1'` and `'<u1'` compare equal.
        let order = if size == 1 { ByteOrder::Little } else { order };
        supported.then_some(Self { kind, size, order })
    }

    /// The element type of a NumPy type string (`<f8`, `>i4`, `|u1`, ...); `None` for
    /// one that is not a number type of this list (`<f2`, `<c16`, `|b1`, `<U3`, ...).
    pub fn from_descr(descr: &str) -> Option<Self> {
        Self::from_type_str(&descr.parse().ok()?)
    }

    /// The element type of a parsed NumPy type string.
    pub(crate) fn from_type_str(type_str: &npyz::TypeStr) -> Option<Self> {
        let kind = match type_str.type_char() {
            npyz::TypeChar::Float => NumberKind::Float,
            npyz::TypeChar::Int => NumberKind::Signed,
            npyz::TypeChar::Uint => NumberKind::Unsigned,
            _ => return None,
        };
        let order = match type_str.endianness() {
            npyz::Endianness::Big => ByteOrder::Big,
            npyz::Endianness::Little | npyz::Endianness::Irrelevant => ByteOrder::Little,
        };
        Self::new(kind, type_str.num_bytes()?, order)
    }

    /// The kind of number.
    pub fn kind(self) -> NumberKind {
        self.kind
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        self.size
    }

    /// The byte order.
    pub fn order(self) -> ByteOrder {
        self.order
    }

    /// NumPy's type string: `<f8`, `>i4`, `|u1`, ...
    pub fn descr(self) -> String {
        let order = match (self.size, self.order) {
            (1, _) => '|',
            (_, ByteOrder::Little) => '<',
            (_, ByteOrder::Big) => '>',
        };
        let kind = match self.kind {
            NumberKind::Float => 'f',
            NumberKind::Signed => 'i',
            NumberKind::Unsigned => 'u',
        };
        format!("{order}{kind}{}", self.size)
    }

    /// Whether every value of this type converts to `f64` exactly (all but 64-bit
    /// integers).
    pub fn is_exact_in_f64(self) -> bool {
        self.kind == NumberKind::Float || self.size < 8
    }

    /// Decodes `values.len()` consecutive elements from `bytes` (which holds at least
    /// that many) into `values`.
    pub fn decode(self, bytes: &[u8], values: &mut [f64]) {
        let width = values.len().max(1);
        self.decode_rows(bytes, width, 0, width, values);
    }

    /// Decodes rows of `row_width` elements each from `bytes` into `out`: `width`
    /// elements per row, from column `col` (`col + width <= row_width`), as many rows as
    /// `out` holds (`out.len() / width`).
    pub(crate) fn decode_rows(
        self,
        bytes: &[u8],
        row_width: usize,
        col: usize,
        width: usize,
        out: &mut [f64],
    ) {
        /// `decode_rows` for one Rust type and its decoding from bytes.
        macro_rules! rows {
            ($t:ty, $from:ident, $to:ident) => {
                decode_rows::<{ size_of::<$t>() }>(bytes, row_width, col, width, out, |b| {
                    <$t>::$from(b) as f64
                })
            };
        }
        for_each_type!(self, rows)
    }

    /// Appends the encoding of `values` to `bytes`: floats round to the nearest value of
    /// their width, integers round to nearest and saturate at the type's range (`as`).
    pub(crate) fn encode(self, values: &[f64], bytes: &mut Vec<u8>) {
        /// The encoding for one Rust type and its encoding to bytes.
        macro_rules! encode {
            ($t:ty, $from:ident, $to:ident) => {
                values
                    .iter()
                    .for_each(|&v| bytes.extend_from_slice(&(v as $t).$to()))
            };
        }
        bytes.reserve(values.len() * self.size);
        for_each_type!(self, encode)
    }
}

/// In words: `64-bit float`, `32-bit signed integer (big-endian)`, `8-bit unsigned
/// integer`.
impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            NumberKind::Float => "float",
            NumberKind::Signed => "signed integer",
            NumberKind::Unsigned => "unsigned integer",
        };
        let order = match (self.size, self.order) {
            (1, _) | (_, ByteOrder::Little) => "",
            (_, ByteOrder::Big) => " (big-endian)",
        };
        write!(f, "{}-bit {kind}{order}", self.size * 8)
    }
}

/// Rows of `row_width` elements of `N` bytes from `bytes`, `width` of them per row from
/// column `col`, converted by `convert` into `out`.
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
            for (o, v) in out_row.iter_mut().zip(&row[col..]) {
                *o = convert(*v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every supported type, each byte order.
    fn all() -> Vec<ElementType> {
        let mut types = Vec::new();
        for kind in [NumberKind::Float, NumberKind::Signed, NumberKind::Unsigned] {
            for size in [1, 2, 4, 8] {
                for order in [ByteOrder::Little, ByteOrder::Big] {
                    if let Some(t) = ElementType::new(kind, size, order)
                        && !types.contains(&t)
                    {
                        types.push(t);
                    }
                }
            }
        }
        types
    }

    #[test]
    fn every_type_round_trips_small_integers() {
        let values = [0.0, 1.0, 7.0, 100.0, 127.0];
        for t in all() {
            let mut bytes = Vec::new();
            t.encode(&values, &mut bytes);
            assert_eq!(bytes.len(), values.len() * t.size(), "{t}");
            let mut out = [f64::NAN; 5];
            t.decode(&bytes, &mut out);
            assert_eq!(out, values, "{t}");
        }
        assert_eq!(all().len(), 2 * 2 + 2 * 4 - 1 + 2 * 4 - 1);
    }

    #[test]
    fn signs_widths_and_byte_orders() {
        let i4_be = ElementType::new(NumberKind::Signed, 4, ByteOrder::Big).unwrap();
        let mut out = [0.0; 2];
        i4_be.decode(&[0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0], &mut out);
        assert_eq!(out, [-2.0, 256.0]);
        let u2 = ElementType::new(NumberKind::Unsigned, 2, ByteOrder::Little).unwrap();
        u2.decode(&[0xff, 0xff, 0x34, 0x12], &mut out);
        assert_eq!(out, [65535.0, 4660.0]);
        let f4 = ElementType::new(NumberKind::Float, 4, ByteOrder::Little).unwrap();
        let mut bytes = Vec::new();
        f4.encode(&[0.1, -2.5], &mut bytes);
        f4.decode(&bytes, &mut out);
        assert_eq!(out, [f64::from(0.1f32), -2.5]);
        assert_eq!(
            ElementType::new(NumberKind::Float, 2, ByteOrder::Little),
            None
        );
        assert_eq!(
            ElementType::new(NumberKind::Signed, 3, ByteOrder::Little),
            None
        );
    }

    #[test]
    fn names_in_words_and_as_numpy_writes_them() {
        let t = |k, s, o| ElementType::new(k, s, o).unwrap();
        use ByteOrder::{Big, Little};
        use NumberKind::{Float, Signed, Unsigned};
        assert_eq!(ElementType::F64.to_string(), "64-bit float");
        assert_eq!(ElementType::F64.descr(), "<f8");
        assert_eq!(
            t(Signed, 4, Big).to_string(),
            "32-bit signed integer (big-endian)"
        );
        assert_eq!(t(Signed, 4, Big).descr(), ">i4");
        assert_eq!(t(Unsigned, 1, Big).descr(), "|u1");
        assert_eq!(t(Unsigned, 1, Big), t(Unsigned, 1, Little));
        assert_eq!(t(Unsigned, 1, Big).to_string(), "8-bit unsigned integer");
        assert_eq!(t(Float, 4, Big).descr(), ">f4");
        assert!(!t(Signed, 8, Little).is_exact_in_f64());
        assert!(t(Unsigned, 4, Little).is_exact_in_f64());
        for descr in ["<f8", ">f4", "<i2", ">u8", "|i1", "|u1"] {
            assert_eq!(ElementType::from_descr(descr).unwrap().descr(), descr);
        }
        for descr in ["<f2", "<c16", "|b1", "<U3", "|S4", "<f16", "nonsense"] {
            assert_eq!(ElementType::from_descr(descr), None, "{descr}");
        }
    }

    #[test]
    fn columns_of_rows() {
        let mut bytes = Vec::new();
        let f4_be = ElementType::new(NumberKind::Float, 4, ByteOrder::Big).unwrap();
        f4_be.encode(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut bytes);
        let mut out = [0.0; 2];
        f4_be.decode_rows(&bytes, 3, 1, 1, &mut out);
        assert_eq!(out, [2.0, 5.0]);
        let mut out = [0.0; 4];
        f4_be.decode_rows(&bytes, 3, 1, 2, &mut out);
        assert_eq!(out, [2.0, 3.0, 5.0, 6.0]);
    }
}

//! How a compressed array is cut into chunks.

use super::fields::{Field, Values};

/// Largest chunk of a compressed array, in bytes.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Chunk dimensions of a compressed array: the whole array when it fits in
/// [`CHUNK_BYTES`], otherwise the leading dimensions halved until it does.
pub(crate) fn chunk_dims(shape: &[usize], element_size: usize) -> Vec<usize> {
    let mut chunk = shape.to_vec();
    while chunk.iter().product::<usize>().saturating_mul(element_size) > CHUNK_BYTES {
        match chunk.iter_mut().find(|d| **d > 1) {
            Some(d) => *d = d.div_ceil(2),
            None => break,
        }
    }
    chunk
}

/// The chunk shape of `field` when it is stored compressed: numeric arrays of rank >= 1
/// with at least one element, when `compress` is set. Scalars and empty arrays are stored
/// contiguously (HDF5 cannot chunk them), and strings are never compressed.
pub(crate) fn chunking(field: &Field<'_>, compress: bool) -> Option<Vec<usize>> {
    let numeric_len = match field.values {
        Values::F64(d) => d.len(),
        Values::I64(d) => d.len(),
        Values::Str(_) => return None,
    };
    // float64 and int64 are both 8 bytes.
    (compress && !field.shape.is_empty() && numeric_len > 0).then(|| chunk_dims(&field.shape, 8))
}

//! The checksum stored in every checkpoint: SHA-256 of the canonical bytes of its values,
//! independent of compression and of the HDF5 library's layout.

use sha2::{Digest, Sha256};

use super::fields::{Payload, Values, fields};

/// The hex SHA-256 of the canonical bytes of every field but `/checksum`.
///
/// Fields are taken in byte order of their absolute paths; for each: the path's length
/// (u64 LE) and UTF-8 bytes, a one-byte dtype tag (`f` = f64, `i` = i64, `s` = UTF-8
/// string), the rank (u64 LE) and each dimension (u64 LE), then the elements: 8 bytes LE
/// per number (an f64 as its IEEE 754 bits), or per string its byte length (u64 LE) and
/// UTF-8 bytes.
pub(crate) fn checksum(payload: &Payload<'_>) -> String {
    let batch_idx = [payload.batch_idx];
    let loss = [payload.loss];
    let mut hasher = Sha256::new();
    let u64_le = |n: usize| (n as u64).to_le_bytes();
    for field in fields(payload, &batch_idx, &loss) {
        hasher.update(u64_le(field.path.len()));
        hasher.update(field.path.as_bytes());
        hasher.update([field.values.tag()]);
        hasher.update(u64_le(field.shape.len()));
        for &d in &field.shape {
            hasher.update(u64_le(d));
        }
        match field.values {
            Values::F64(data) => {
                for v in data {
                    hasher.update(v.to_bits().to_le_bytes());
                }
            }
            Values::I64(data) => {
                for v in data {
                    hasher.update(v.to_le_bytes());
                }
            }
            Values::Str(s) => {
                hasher.update(u64_le(s.len()));
                hasher.update(s.as_bytes());
            }
        }
    }
    format!("{:x}", hasher.finalize())
}

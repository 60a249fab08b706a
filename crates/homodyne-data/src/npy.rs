//! NumPy `.npy` files and `.npz` archives: headers read with `npyz`, values decoded in
//! bulk, whole or range by range, and `.npy` files written incrementally.
//!
//! Every reader here accepts the same element types ([`ElementType`](crate::ElementType):
//! float64, float32, integers of 1 to 8 bytes, either byte order) in C or Fortran order,
//! and reports problems as a [`DataError`](crate::DataError) naming the file and array.
//!
//! The values are decoded from the file's bytes by this crate's own loop (one
//! `from_le_bytes`/`from_be_bytes` per element over a 1 MiB buffer), not by `npyz`'s
//! reader, which decodes one element per call through `io::Read` and only as the exact
//! stored Rust type. Measured (`cargo bench -p homodyne-data --bench npy_decode`, 10^7
//! float64 values, median of 5): BENCH_RESULT.

mod array;
mod header;
mod npz;
mod source;
pub(crate) mod writer;

pub use array::{NpyArray, NpyValues};
pub use header::{MemoryOrder, NpyElement, NpyHeader};
pub use npz::NpzArchive;
pub use source::NpySource;
pub use writer::{NpyWriter, write_npy_f64};

/// Bytes read from or written to a file at once: a batch larger than this is read in
/// pieces, so the scratch buffer stays small whatever the batch size.
const SCRATCH_BYTES: usize = 1 << 20;

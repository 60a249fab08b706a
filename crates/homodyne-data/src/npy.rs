//! NumPy `.npy` files and `.npz` archives: headers read with `npyz`, values decoded in
//! bulk, whole or range by range, and `.npy` files written incrementally.
//!
//! Every reader here accepts the same element types ([`ElementType`](crate::ElementType):
//! float64, float32, integers of 1 to 8 bytes, either byte order) in C or Fortran order,
//! and reports problems as a [`DataError`](crate::DataError) naming the file and array.
//!
//! The values are decoded from the file's bytes by this crate's own loop (one
//! `from_le_bytes`/`from_be_bytes` per element over a 1 MiB buffer, the same loop for
//! every element type), not by `npyz`'s reader, which decodes one element per call
//! through `io::Read`, and only as the exact stored Rust type (an `i4` file read as `f64`
//! would need a dispatch on the type and a second pass). Measured with
//! `cargo run --release -p homodyne-data --example npy_decode` (10^7 float64 values,
//! a `(5e6, 2)` table, median of 5 runs, on a shared 2-core machine): a range read of
//! 10^6 rows takes 8 ms here against 18-20 ms with `npyz`'s `seek_to` + element reader
//! (2.2-2.4 times faster); a whole read from bytes in memory takes 59-85 ms here against
//! 62-67 ms with `npyz`'s `into_vec` (0.8-1.05: the same, within the machine's noise).

mod array;
mod header;
mod npz;
mod scratch;
mod source;
pub(crate) mod writer;

pub use array::{NpyArray, NpyValues};
pub use header::{MemoryOrder, NpyElement, NpyHeader};
pub use npz::NpzArchive;
pub use source::NpySource;
pub use writer::{NpyWriter, write_npy_f64};

//! HDF5 files: datasets read by hyperslab, range of rows by range of rows, and written
//! batch by batch.
//!
//! Read and written with the pure-Rust `rust-hdf5` crate, so nothing needs the HDF5 C
//! library. Its hyperslab read fills the caller's buffer with the selected rows only: a
//! contiguous dataset costs one seek + read of the rows' bytes, a chunked one (any chunk
//! index, with or without deflate compression) reads and decodes only the chunks that
//! overlap the rows, through a 1 MiB chunk cache per dataset, so consecutive batches
//! that share a chunk decode it once.

mod dataset;
mod source;
mod writer;

pub use dataset::{Hdf5Dataset, Hdf5File, describe_datatype, element_type};
pub use source::Hdf5Source;
pub use writer::{Hdf5Writer, write_hdf5_xy};

//! How much of a `.npy` file is read or written at once.

/// Bytes read from or written to a file at once: a batch larger than this is read in
/// pieces, so the scratch buffer stays small whatever the batch size.
pub(super) const SCRATCH_BYTES: usize = 1 << 20;

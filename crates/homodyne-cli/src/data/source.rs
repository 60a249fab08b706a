//! Range reads for `--strategy streaming` and `--distributed`: a file's points read range
//! by range (batch by batch, or each process's share), never loaded whole, when its
//! format and the columns asked for allow it.
//!
//! Whether a file is read by ranges is decided from its format and header, never from a
//! failed attempt: a file that cannot be read by ranges is refused with the reader's
//! error, not silently loaded whole by another reader.

use std::path::Path;

use homodyne_data::{NpyHeader, NpySource};

use super::error::DataError;

/// The `.npy` table at `path` as a source of the columns `--x`, `--y` and `--sigma`
/// name, when its header makes it one: shape `(n, 2)` read as x, y without `--sigma`, or
/// `(n, 3)` read as x, y, sigma with `--sigma c2` (columns are named by position: `x`,
/// `y`, `c2`). `Ok(None)` when other columns are asked for, or the array is not such a
/// table: the table is then loaded whole ([`Table::load`](super::Table::load)).
///
/// # Errors
///
/// [`DataError::Read`] when the header cannot be read, or the table (once its header
/// says it is one) cannot be opened: its element type, a truncated file, ...
pub fn npy_table(
    path: &Path,
    x: &str,
    y: &str,
    sigma: Option<&str>,
) -> Result<Option<NpySource>, DataError> {
    if (x, y) != ("x", "y") {
        return Ok(None);
    }
    let header = NpyHeader::read(path, "columns")?;
    let is_table = matches!(
        (header.shape(), sigma),
        ([_, 2], None) | ([_, 3], Some("c2"))
    );
    if !is_table {
        return Ok(None);
    }
    Ok(Some(NpySource::open_columns(path)?))
}

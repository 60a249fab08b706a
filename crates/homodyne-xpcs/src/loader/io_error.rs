//! The I/O layer's errors ([`DataError`]) as the loader's ([`XpcsError`]), naming the
//! same file and dataset.

use homodyne_data::DataError;

use crate::error::XpcsError;

/// What `error` says is wrong, without the `FILE [DATASET]: ` its message starts with
/// (the [`XpcsError`] it becomes names them itself).
pub(super) fn problem(error: &DataError) -> String {
    let text = error.to_string();
    let file = error.file().display().to_string();
    let at = if error.dataset().is_empty() {
        file
    } else {
        format!("{file} [{}]", error.dataset())
    };
    match text
        .strip_prefix(&at)
        .and_then(|rest| rest.strip_prefix(": "))
    {
        Some(problem) => problem.to_owned(),
        None => text,
    }
}

/// `error` as an [`XpcsError`]: a file that cannot be opened or read is
/// [`XpcsError::Io`], anything else about its contents [`XpcsError::DataFile`] naming the
/// file and the dataset (or `.npz` member).
pub(super) fn xpcs_error(error: DataError) -> XpcsError {
    match error {
        DataError::Io {
            file,
            action,
            source,
            ..
        } => XpcsError::Io {
            path: file,
            action: action.strip_prefix("cannot ").unwrap_or(&action).to_owned(),
            source,
        },
        other => XpcsError::data_file(other.file(), other.dataset(), problem(&other)),
    }
}

//! Checks of the input made before any work: output paths that can be written, memory for
//! the sizes asked for, enough points for the parameters, a formula with something to
//! fit, and a checkpoint to resume from. Each failure is an [`InputError`] (exit status
//! 2) that names the file, option or parameter concerned.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use crate::failure::Failure;

/// Bad input found before the fit: every variant is exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// An output file (`--json`, `--plot`) that cannot be written: found before the fit,
    /// so that its result is not lost.
    #[error("{option} {}: cannot write there ({reason}): give a path in a folder you can write to", .path.display())]
    OutputNotWritable {
        /// The option that names the path.
        option: &'static str,
        /// The path as given.
        path: PathBuf,
        /// Why it cannot be written.
        reason: String,
    },
    /// A request whose data would not fit in the memory available.
    #[error(
        "{what} needs about {} of memory, more than the {} available{}: {advice}",
        gb(*.needed_bytes),
        gb(*.available_bytes),
        if *.available_bytes == 0 { " (the memory available could not be read)" } else { "" }
    )]
    TooLarge {
        /// What was asked for, with its sizes.
        what: String,
        /// The estimate, in bytes.
        needed_bytes: u128,
        /// The memory this process may use, in bytes.
        available_bytes: u64,
        /// What to ask for instead.
        advice: String,
    },
    /// Fewer data points than free parameters.
    #[error(
        "{what}: {n_points} data point(s) cannot determine {n_params} free parameters: {advice}"
    )]
    TooFewPoints {
        /// Which data.
        what: String,
        /// The points fitted.
        n_points: usize,
        /// The parameters to determine.
        n_params: usize,
        /// What to do.
        advice: &'static str,
    },
    /// A formula that uses none of the parameters: nothing to fit.
    #[error(
        "the formula uses none of the parameters of --p0 ({}): nothing would be fitted; \
         write the parameters into the formula",
        .names.join(", ")
    )]
    NoParameters {
        /// The names of `--p0`.
        names: Vec<String>,
    },
}

impl From<InputError> for Failure {
    fn from(error: InputError) -> Self {
        Failure::input(error.to_string())
    }
}

/// `bytes` in GB (10^9 bytes), as `12.3 GB`.
pub fn gb(bytes: impl Into<u128>) -> String {
    let gb = bytes.into() as f64 / 1e9;
    if gb >= 100.0 {
        format!("{gb:.0} GB")
    } else if gb >= 0.1 {
        format!("{gb:.1} GB")
    } else {
        format!("{gb:.3} GB")
    }
}

/// Checks that `path` can be written by `option` after the fit, without changing what is
/// there: an existing file is opened for appending (never truncated); for a new one, a
/// probe file named after this process is created in its folder and removed again (so
/// that the processes of an MPI job can check at once). A folder, a missing parent folder
/// or a folder without write permission is an [`InputError::OutputNotWritable`].
pub fn output_file(option: &'static str, path: &Path) -> Result<(), InputError> {
    let fail = |reason: String| InputError::OutputNotWritable {
        option,
        path: path.to_path_buf(),
        reason,
    };
    if path.is_dir() {
        return Err(fail("it is a folder; name a file".to_string()));
    }
    if path.exists() {
        return OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| fail(e.to_string()));
    }
    let parent = parent_of(path);
    if !parent.is_dir() {
        return Err(fail(format!(
            "the folder {} does not exist",
            parent.display()
        )));
    }
    probe(&parent).map_err(fail)
}

/// Creates and removes a file in `folder`; the error says why it cannot be created.
fn probe(folder: &Path) -> Result<(), String> {
    let probe = folder.join(format!(".homodyne-write-probe-{}", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(file) => {
            drop(file);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("{}: {e}", folder.display())),
    }
}

/// Checks that the results can be written under `dir` (`homodyne xpcs --output-dir`):
/// an existing `dir` must be a folder that takes a new file; a missing one is created with
/// its parents when the results are written, so its nearest existing ancestor must be a
/// folder that takes a new file. The probe file is removed again and no folder is created.
pub fn output_dir(option: &'static str, dir: &Path) -> Result<(), InputError> {
    let fail = |reason: String| InputError::OutputNotWritable {
        option,
        path: dir.to_path_buf(),
        reason,
    };
    let mut existing = dir.to_path_buf();
    while !existing.exists() {
        existing = parent_of(&existing);
        if existing.as_os_str().is_empty() || existing == Path::new(".") {
            existing = PathBuf::from(".");
            break;
        }
    }
    if !existing.is_dir() {
        return Err(fail(format!("{} is not a folder", existing.display())));
    }
    probe(&existing).map_err(fail)
}

/// The folder `path` would be created in (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Bytes a `homodyne xpcs --demo` of `angles x frames x frames` points holds at its peak,
/// per point: the generated matrices (8), the point indices they are generated over (8,
/// freed before the fit), and in the fit the selected indices and values (8 per point of
/// the upper triangle, half the points), a coarse stage's copy of them (at most a quarter
/// of that) and its row mask (1 per selected point): 24 bytes per point bounds all of
/// it. The fit's own buffers do not grow with the points.
pub const DEMO_BYTES_PER_POINT: u128 = 24;

/// Refuses a `homodyne xpcs --demo` whose data would not fit in `available` bytes
/// (the estimate is [`DEMO_BYTES_PER_POINT`] per point), before anything is allocated.
pub fn demo_memory(angles: usize, frames: usize, available: u64) -> Result<(), InputError> {
    let points = (angles as u128)
        .saturating_mul(frames as u128)
        .saturating_mul(frames as u128);
    let needed = points.saturating_mul(DEMO_BYTES_PER_POINT);
    if needed <= u128::from(available) {
        return Ok(());
    }
    // The most frames that fit with these angles.
    let per_angle = u128::from(available) / (DEMO_BYTES_PER_POINT * angles.max(1) as u128);
    let most = (per_angle as f64).sqrt().floor() as u128;
    Err(InputError::TooLarge {
        what: format!(
            "--demo with {angles} angles x {frames} frames ({points} points, {DEMO_BYTES_PER_POINT} bytes each)"
        ),
        needed_bytes: needed,
        available_bytes: available,
        advice: if most >= 2 {
            format!("give at most --frames {most} with --angles {angles}, or fewer angles")
        } else {
            "give fewer angles and frames".to_string()
        },
    })
}

/// Refuses fewer points than free parameters (`n_points < n_params`).
pub fn enough_points(what: &str, n_points: usize, n_params: usize) -> Result<(), InputError> {
    if n_points >= n_params {
        return Ok(());
    }
    Err(InputError::TooFewPoints {
        what: what.to_string(),
        n_points,
        n_params,
        advice: "give more data, or hold parameters fixed",
    })
}

/// What `--resume` finds in the checkpoint folder `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeFrom {
    /// The newest checkpoint that validates.
    Checkpoint(PathBuf),
    /// No checkpoint file that validates (the folder is missing, empty, or holds only
    /// damaged files): the fit starts afresh.
    Nothing {
        /// The checkpoint files that were found but do not validate, and why.
        skipped: Vec<String>,
    },
}

/// Looks for the checkpoint `--resume` would continue from, as the fit does (the newest
/// `homodyne_state_batch_NNNN.h5` that validates).
pub fn resume_point(dir: &Path) -> ResumeFrom {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return ResumeFrom::Nothing {
            skipped: Vec::new(),
        };
    };
    let mut files: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            homodyne_checkpoint::parse_checkpoint_file_name(&name).map(|batch| (batch, e.path()))
        })
        .collect();
    files.sort();
    let mut skipped = Vec::new();
    for (_, path) in files.into_iter().rev() {
        match homodyne_checkpoint::validate_checkpoint(&path) {
            Ok(()) => return ResumeFrom::Checkpoint(path),
            Err(e) => skipped.push(format!("{}: {e}", path.display())),
        }
    }
    ResumeFrom::Nothing { skipped }
}

/// The notice `--resume` prints on stderr when there is nothing to resume from, or
/// `None` when there is a checkpoint.
pub fn resume_notice(dir: &Path) -> Option<String> {
    match resume_point(dir) {
        ResumeFrom::Checkpoint(_) => None,
        ResumeFrom::Nothing { skipped } if skipped.is_empty() => Some(format!(
            "--resume: no checkpoint found in {}; the fit starts afresh",
            dir.display()
        )),
        ResumeFrom::Nothing { skipped } => Some(format!(
            "--resume: no valid checkpoint in {} ({} damaged: {}); the fit starts afresh",
            dir.display(),
            skipped.len(),
            skipped.join("; ")
        )),
    }
}

/// The memory this process may use, in bytes (the library's budget: available memory,
/// capped by a cgroup limit).
pub fn memory_budget() -> u64 {
    homodyne_strategy::memory::budget_bytes(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_file_is_probed_without_junk_or_clobbering() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("fit.json");
        output_file("--json", &new).unwrap();
        assert!(!new.exists(), "the probe is removed");
        let old = dir.path().join("old.json");
        std::fs::write(&old, "keep").unwrap();
        output_file("--json", &old).unwrap();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "keep");
        let err = output_file("--json", &dir.path().join("no/such/fit.json")).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = output_file("--plot", dir.path()).unwrap_err();
        assert!(err.to_string().contains("folder"), "{err}");
    }

    #[test]
    fn an_output_dir_is_probed_at_its_nearest_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        output_dir("--output-dir", &dir.path().join("a/b/c")).unwrap();
        assert!(!dir.path().join("a").exists(), "no folder is created");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = output_dir("--output-dir", &file.join("sub")).unwrap_err();
        assert!(err.to_string().contains("not a folder"), "{err}");
    }

    #[test]
    fn the_demo_memory_is_estimated_before_allocating() {
        let err = demo_memory(3, 100_000, 16_000_000_000).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("720 GB"), "{message}");
        assert!(message.contains("16.0 GB available"), "{message}");
        assert!(message.contains("--frames 14907"), "{message}");
        demo_memory(3, 300, 16_000_000_000).unwrap();
        // No overflow at absurd sizes.
        assert!(demo_memory(usize::MAX, usize::MAX, u64::MAX).is_err());
    }

    #[test]
    fn too_few_points_names_the_counts() {
        let err = enough_points("run7.csv", 2, 3).unwrap_err();
        assert!(err.to_string().contains("2 data point(s)"), "{err}");
        enough_points("run7.csv", 3, 3).unwrap();
    }

    #[test]
    fn resume_without_checkpoint_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let notice = resume_notice(&dir.path().join("ckpt")).unwrap();
        assert!(notice.contains("no checkpoint found"), "{notice}");
        std::fs::write(dir.path().join("homodyne_state_batch_0003.h5"), "junk").unwrap();
        let notice = resume_notice(dir.path()).unwrap();
        assert!(notice.contains("1 damaged"), "{notice}");
    }
}

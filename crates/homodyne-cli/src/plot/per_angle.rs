//! The figures drawn one PNG per angle (the heatmaps and the one-time cuts): the checks
//! their inputs share, and the writing of one file per angle, the angles drawn in parallel
//! (each file's bytes depend on its angle alone, not on the threads).

use std::fmt::Display;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::raster::font_registered;

/// One kind of per-angle figure: its name in messages, what it demands of the frames and
/// their times, and its file names.
pub(super) struct PerAngle {
    /// What the figures are, as messages name them (`"heatmaps"`).
    pub(super) figures: &'static str,
    /// Why `n_t` frames cannot be drawn, when they cannot.
    pub(super) refuse_frames: fn(usize) -> Option<String>,
    /// Why the frame times (one per frame) cannot be drawn, when they cannot.
    pub(super) refuse_times: fn(&[f64]) -> Option<String>,
    /// The file name of the figure of an angle (degrees).
    pub(super) file_name: fn(f64) -> String,
}

impl PerAngle {
    /// Writes one PNG per angle into `dir` (created when missing) and returns their paths
    /// in the order of `phi`: `render(angle, data, fit)` draws the `n_t x n_t` matrices of
    /// one angle, cut from `matrices` (the data and the fit, each the `phi.len()` matrices
    /// one after another). The angles are drawn and written on rayon's threads; two
    /// angles that share a file name are written one after the other, in the order of
    /// `phi`, so the later one's file is the one that stays.
    ///
    /// # Errors
    ///
    /// A one-line message naming the file or folder: no angle, frames or times this
    /// figure refuses, a non-finite angle, lengths that disagree, a folder that cannot be
    /// created, a PNG that cannot be drawn or written (of several failures, that of the
    /// first angle in `phi`). The files of the other angles are written.
    pub(super) fn write<E: Display>(
        &self,
        dir: &Path,
        phi: &[f64],
        (n_t, times): (usize, &[f64]),
        (data, fit): (&[f64], &[f64]),
        render: impl Fn(f64, &[f64], &[f64]) -> Result<Vec<u8>, E> + Sync,
    ) -> Result<Vec<PathBuf>, String> {
        let fail = |what: String| {
            format!(
                "cannot plot {} into {}: {what}",
                self.figures,
                dir.display()
            )
        };
        if phi.is_empty() {
            return Err(fail("no angle".to_owned()));
        }
        if let Some(why) = (self.refuse_frames)(n_t) {
            return Err(fail(why));
        }
        if let Some(bad) = phi.iter().find(|v| !v.is_finite()) {
            return Err(fail(format!("the angle {bad} is not finite")));
        }
        if times.len() != n_t {
            return Err(fail(format!("{} times for {n_t} frames", times.len())));
        }
        if let Some(why) = (self.refuse_times)(times) {
            return Err(fail(why));
        }
        let size = n_t
            .checked_mul(n_t)
            .filter(|s| s.checked_mul(phi.len()).is_some())
            .ok_or_else(|| fail("too many frames".to_owned()))?;
        let expected = size * phi.len();
        if data.len() != expected || fit.len() != expected {
            return Err(fail(format!(
                "{} angles of {n_t} x {n_t} frames need {expected} values, got {} data and {} \
                 fit values",
                phi.len(),
                data.len(),
                fit.len()
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
        if !font_registered() {
            return Err(fail("the embedded font could not be loaded".to_owned()));
        }
        let names: Vec<String> = phi.iter().map(|&angle| (self.file_name)(angle)).collect();
        // Angles whose file name an earlier angle has: written after the others.
        let repeated: Vec<bool> = (0..phi.len())
            .map(|k| names[..k].contains(&names[k]))
            .collect();
        let draw = |k: usize| -> Result<PathBuf, String> {
            let path = dir.join(&names[k]);
            let matrices = k * size..(k + 1) * size;
            let png = render(phi[k], &data[matrices.clone()], &fit[matrices])
                .map_err(|e| format!("cannot plot {}: {e}", path.display()))?;
            std::fs::write(&path, png)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(path)
        };
        let mut outcomes: Vec<Option<Result<PathBuf, String>>> = (0..phi.len())
            .into_par_iter()
            .map(|k| (!repeated[k]).then(|| draw(k)))
            .collect();
        for (k, outcome) in outcomes.iter_mut().enumerate() {
            if repeated[k] {
                *outcome = Some(draw(k));
            }
        }
        outcomes.into_iter().flatten().collect()
    }
}

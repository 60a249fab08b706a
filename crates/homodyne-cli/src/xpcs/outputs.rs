//! The result files of an XPCS fit: `<dir>/nlsq/` holds the package's three JSON files and
//! the fitted data as `.npz` (and HDF5 when asked), and per angle a heatmap PNG and a PNG
//! of one-time cuts (c2 against the delay at a few ages, data and fit).
//!
//! The model at the fitted parameters and the raw theory are computed once, together (the
//! angles shared among the threads), and serve the arrays and the figures; the files'
//! thread starts before them, with the measured data, and is handed them when they are
//! done. The
//! array and JSON files are written on a thread of their own while the figures are drawn,
//! one angle a task on rayon's threads:
//! writing the arrays is mostly the operating system copying gigabytes, drawing is
//! arithmetic, and the two overlap. Every file's bytes are the same on any number of
//! threads.

use homodyne_xpcs::CorrelationModel;
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, mpsc};
use std::time::Instant;

use homodyne_xpcs::output::{
    ModelValues, Sigma, write_nlsq_outputs_awaiting_values, write_nlsq_outputs_with_fit,
};
use homodyne_xpcs::{NlsqOutputs, PointSelection, XpcsError};

use super::pipeline::XpcsRun;
use crate::failure::Failure;
use crate::plot::cuts::write_cuts;
use crate::plot::heatmap::write_heatmaps;

/// The files [`write_outputs`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenOutputs {
    /// The folder they are in (`<dir>/nlsq`).
    pub folder: PathBuf,
    /// The JSON, `.npz` and HDF5 files.
    pub files: Vec<PathBuf>,
    /// One heatmap PNG per angle.
    pub heatmaps: Vec<PathBuf>,
    /// One PNG of one-time cuts per angle.
    pub cuts: Vec<PathBuf>,
    /// Seconds spent writing and drawing.
    pub seconds: f64,
}

impl WrittenOutputs {
    /// `wrote 5 files, 3 heatmaps and 3 one-time cut plots to DIR/nlsq in 0.42 s`.
    pub fn describe(&self) -> String {
        format!(
            "wrote {} files, {} heatmaps and {} one-time cut plots to {} in {:.2} s",
            self.files.len(),
            self.heatmaps.len(),
            self.cuts.len(),
            self.folder.display(),
            self.seconds
        )
    }
}

/// Writes the results of `run` under `dir` (module documentation). With noise estimated
/// (`sigma: auto`), each angle's sigma is written with the chi-squared it defines; with a
/// scaling choice, its candidates. With `hdf5`, `fitted_data.h5` too.
///
/// # Errors
///
/// A failure with exit status 1 (the fit worked) naming what could not be written.
pub fn write_outputs(dir: &Path, run: &XpcsRun, hdf5: bool) -> Result<WrittenOutputs, Failure> {
    let (model, data, result) = (&run.model, &run.data, &run.fitted.result);
    let started = Instant::now();
    // The model at the fitted parameters, computed (with the raw theory, which is handed
    // to the files' thread) while the files' thread writes the data.
    let fit_cell: OnceLock<Vec<f64>> = OnceLock::new();
    let outputs = NlsqOutputs {
        model,
        data,
        result,
        execution_time: run.seconds,
        sigma: run.noise.as_ref().map(Sigma::Estimated),
        points: PointSelection::default(),
        coarse_stages: &run.fitted.stages,
        scaling_choice: run.choice.as_ref(),
        multistart: run.fitted.multistart.as_ref(),
        hdf5,
    };
    let outputs = &outputs;
    let folder = dir.join("nlsq");
    // Heatmaps and one-time cuts draw the same matrices, measured and fitted.
    type Plots = fn(&Path, &[f64], usize, &[f64], &[f64], &[f64]) -> Result<Vec<PathBuf>, String>;
    let draw = |plots: Plots, what: &str, fit: &[f64]| {
        plots(
            &folder,
            &data.phi,
            data.n_t,
            model.grid().times(),
            &data.c2,
            fit,
        )
        .map_err(|e| {
            Failure::fit(format!(
                "the fit worked but its {what} could not be drawn: {e}"
            ))
        })
    };
    let (files, figures) = std::thread::scope(|scope| {
        // Given the raw theory when the fitted values are in `fit_cell`; dropped unsent (a
        // panic here) it tells the files' thread that they never will be.
        let (computed, arrived) = mpsc::sync_channel::<Vec<f64>>(1);
        let fit_cell = &fit_cell;
        let awaited = move || {
            let raw = arrived.recv().ok()?;
            let fitted = fit_cell.get()?;
            Some(ModelValues { fitted, raw })
        };
        let files = std::thread::Builder::new()
            .name("homodyne-outputs".to_owned())
            .spawn_scoped(scope, move || {
                write_nlsq_outputs_awaiting_values(dir, outputs, awaited)
            });
        let (fitted, raw) = model.values_and_raw(&result.parameters);
        let fit = fit_cell.get_or_init(|| fitted);
        // A files' thread that has already failed no longer listens.
        let _ = computed.send(raw);
        let figures = draw(write_heatmaps, "heatmaps", fit)
            .and_then(|heatmaps| Ok((heatmaps, draw(write_cuts, "one-time cuts", fit)?)));
        let files = match files {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(XpcsError::setting(
                    "output files",
                    "the thread writing them panicked",
                ))
            }),
            // No thread to be had: the files are written here, after the figures.
            Err(_) => write_nlsq_outputs_with_fit(dir, outputs, fit),
        };
        (files, figures)
    });
    let files = files.map_err(|e| {
        Failure::fit(format!(
            "the fit worked but its results could not be written: {e}"
        ))
    })?;
    let (heatmaps, cuts) = figures?;
    Ok(WrittenOutputs {
        folder,
        files,
        heatmaps,
        cuts,
        seconds: started.elapsed().as_secs_f64(),
    })
}

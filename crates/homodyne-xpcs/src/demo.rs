//! The demo dataset of `homodyne xpcs --demo`: laminar flow with known truth, made as a
//! beamline records it, fitted in memory or written as an APS-U HDF5 file with a YAML
//! configuration that fits it (`homodyne xpcs --config`).
//!
//! # What is recorded
//!
//! `frames + 1` frames of [`DEMO_DT`] seconds at the times the loader gives them
//! (`linspace(0, dt frames, frames + 1)`, [`loader_times`]), so that after the Python
//! package's command line drops the `t = 0` frame the fit sees `frames` frames, as
//! `--frames` asks. One matrix per angle, at [`DEMO_Q`] and gap [`DEMO_GAP`]:
//!
//! ```text
//! c2(phi_k, t_i, t_j) = offset_k + contrast_k g1^2(phi_k, t_i, t_j) + e_ij,   e_ij = e_ji ~ N(0, DEMO_NOISE^2)
//! ```
//!
//! with the physical parameters [`DEMO_TRUTH`], angles [`demo_angles`], and contrasts and
//! offsets that differ between angles as a real detector's do ([`demo_contrasts`]: 0.28
//! to 0.32; [`demo_offsets`]: 0.99 to 1.01). The noise is drawn once per pair `i <= j`
//! and mirrored, as measured matrices are symmetric.
//!
//! # What is fitted
//!
//! [`DemoDataset::into_fit_data`] applies the loader's steps to the recorded matrices in
//! memory (diagonal correction, `t = 0` dropped, angles normalised), so the in-memory demo
//! fits the very values `homodyne xpcs --config` loads from the written file.

use std::path::{Path, PathBuf};

use crate::data::CorrelationData;
use crate::error::XpcsError;
use crate::loader::write::write_aps_u;
use crate::loader::{correct_diagonal, loader_times, normalize_phi_angle};
use crate::model::{HomodyneModel, ModelForm};
use crate::parameters::{AnalysisMode, ParameterLayout, ScalingMode};
use crate::rates::TimeGrid;

/// The demo's physical parameters: `D0, alpha, D_offset, gamma_dot_t0, beta,
/// gamma_dot_t_offset, phi0`.
pub const DEMO_TRUTH: [f64; 7] = [15_000.0, -0.6, 50.0, 2e-4, 0.3, 1e-5, 4.0];
/// Standard deviation of the demo's Gaussian noise.
pub const DEMO_NOISE: f64 = 0.005;
/// Seed of the demo's noise.
pub const DEMO_SEED: u64 = 0x00C2_DE30;
/// Frame time of the demo (seconds).
pub const DEMO_DT: f64 = 0.1;
/// Wavevector of the demo (1/Angstrom), the package's default.
pub const DEMO_Q: f64 = 0.0054;
/// Stator-rotor gap of the demo (Angstrom), the package's default.
pub const DEMO_GAP: f64 = 2e6;
/// The name of the written files without extension: `demo_laminar_flow.h5` and
/// `demo_laminar_flow.yaml`.
pub const DEMO_FILE_STEM: &str = "demo_laminar_flow";

/// The `n` angles of the demo (degrees): `-60 + 150 k / n`, `k = 0 .. n`, spread over
/// the flow direction and across it.
pub fn demo_angles(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| -60.0 + 150.0 * k as f64 / n as f64)
        .collect()
}

/// The frames a demo of `n_angles` angles and `frames` fitted frames records:
/// `frames + 1`, the first dropped by the fit.
///
/// # Errors
///
/// [`XpcsError::InvalidSetting`] for no angle, fewer than 2 frames, or too many to count.
pub(crate) fn recorded_frames(n_angles: usize, frames: usize) -> Result<usize, XpcsError> {
    if n_angles == 0 {
        return Err(XpcsError::setting("angles", "the demo needs at least 1"));
    }
    if frames < 2 {
        return Err(XpcsError::setting(
            "frames",
            format!("the demo needs at least 2, got {frames}"),
        ));
    }
    frames
        .checked_add(1)
        .ok_or_else(|| XpcsError::setting("frames", format!("{frames} is too many")))
}

/// The truth as YAML comments: each physical parameter's name and value, then each
/// angle's contrast and offset.
pub(crate) fn truth_comment(
    text: &mut String,
    names: &[&str],
    physical: &[f64],
    phi: &[f64],
    contrasts: &[f64],
    offsets: &[f64],
) {
    for (name, value) in names.iter().zip(physical) {
        text.push_str(&format!("#   {name:<20} {value}\n"));
    }
    text.push_str("#   phi [deg]   contrast   offset\n");
    for ((phi, contrast), offset) in phi.iter().zip(contrasts).zip(offsets) {
        text.push_str(&format!("#   {phi:<11.1} {contrast:<10.4} {offset:.4}\n"));
    }
}

/// The position of angle `k` among `n` on `[0, 1]`: `k / (n - 1)`, or 0.5 for one angle.
fn spread(k: usize, n: usize) -> f64 {
    if n > 1 {
        k as f64 / (n - 1) as f64
    } else {
        0.5
    }
}

/// The demo's contrasts: rising from 0.28 at the first angle to 0.32 at the last
/// (`0.28 + 0.04 k / (n - 1)`; 0.30 for one angle), as the contrast of a real detector
/// differs between angular sectors.
pub fn demo_contrasts(n: usize) -> Vec<f64> {
    (0..n).map(|k| 0.28 + 0.04 * spread(k, n)).collect()
}

/// The demo's offsets: from 0.99 to 1.01 over the angles, rotated by half the angles
/// (`0.99 + 0.02 ((k + n/2) mod n) / (n - 1)`; 1.00 for one angle) so that they do not
/// rise in step with the contrasts.
pub fn demo_offsets(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| 0.99 + 0.02 * spread((k + n / 2) % n, n))
        .collect()
}

/// The demo's data as recorded, with the truth it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDataset {
    /// The recorded matrices: `frames + 1` frames from `t = 0`, one symmetric matrix per
    /// angle of [`demo_angles`].
    pub recorded: CorrelationData,
    /// The contrast of each angle ([`demo_contrasts`]).
    pub contrasts: Vec<f64>,
    /// The offset of each angle ([`demo_offsets`]).
    pub offsets: Vec<f64>,
    /// The form of the model the data were made with.
    pub form: ModelForm,
}

/// The two files [`DemoDataset::write`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFiles {
    /// The APS-U HDF5 file.
    pub data: PathBuf,
    /// The YAML configuration that fits it.
    pub config: PathBuf,
}

impl DemoDataset {
    /// Generates the data of `n_angles` angles and `frames` fitted frames (`frames + 1`
    /// recorded) with the model's `form`.
    ///
    /// # Errors
    ///
    /// [`XpcsError::InvalidSetting`] for no angle, fewer than 2 frames, or a size whose
    /// point count overflows.
    pub fn generate(n_angles: usize, frames: usize, form: ModelForm) -> Result<Self, XpcsError> {
        let recorded_frames = recorded_frames(n_angles, frames)?;
        let grid = TimeGrid::from_times(DEMO_DT, loader_times(DEMO_DT, recorded_frames))?;
        let model = HomodyneModel::new(
            AnalysisMode::LaminarFlow,
            ScalingMode::Individual,
            form,
            grid,
            &demo_angles(n_angles),
            DEMO_Q,
            DEMO_GAP,
        )?;
        let contrasts = demo_contrasts(n_angles);
        let offsets = demo_offsets(n_angles);
        let truth = model.layout().assemble(&contrasts, &offsets, &DEMO_TRUTH)?;
        let recorded = CorrelationData::synthetic(&model, &truth, DEMO_NOISE, DEMO_SEED)?;
        Ok(Self {
            recorded,
            contrasts,
            offsets,
            form,
        })
    }

    /// Fitted frames: the recorded ones less `t = 0`.
    pub fn frames(&self) -> usize {
        self.recorded.n_t - 1
    }

    /// The times of the fitted frames, `dt` to `dt frames` as the loader computes them.
    pub fn fit_times(&self) -> Vec<f64> {
        let mut times = loader_times(DEMO_DT, self.recorded.n_t);
        times.remove(0);
        times
    }

    /// The recorded matrices as `homodyne xpcs --config` fits them after loading the
    /// written file: the diagonal of each replaced by the mean of its neighbours
    /// ([`correct_diagonal`]), then the `t = 0` frame's row and column dropped and the
    /// angles normalised ([`normalize_phi_angle`]), as
    /// [`crate::loader::LoadedXpcs::cli_prepared`] does. The matrices are reduced in
    /// place, so no second copy of the data is held.
    ///
    /// # Errors
    ///
    /// Those of [`CorrelationData::new`] (none for data made by [`DemoDataset::generate`]).
    pub fn into_fit_data(self) -> Result<CorrelationData, XpcsError> {
        let CorrelationData {
            q,
            dt,
            phi,
            n_t: m,
            mut c2,
        } = self.recorded;
        let n = m - 1;
        for k in 0..phi.len() {
            let base = k * m * m;
            correct_diagonal(&mut c2[base..base + m * m], m)?;
            // Every destination lies before its source, so rows move down in order.
            for i in 1..m {
                let source = base + i * m + 1;
                c2.copy_within(source..source + n, (k * n + i - 1) * n);
            }
        }
        c2.truncate(phi.len() * n * n);
        let phi = phi.into_iter().map(normalize_phi_angle).collect();
        CorrelationData::new(q, dt, phi, n, c2)
    }

    /// The laminar-flow model of the fitted frames (`fit_data` from
    /// [`DemoDataset::into_fit_data`]) with `scaling`, in the data's form: the model
    /// `homodyne xpcs --config` builds for the written file.
    ///
    /// # Errors
    ///
    /// Those of [`HomodyneModel::new`].
    pub fn fit_model(
        fit_data: &CorrelationData,
        scaling: ScalingMode,
        form: ModelForm,
    ) -> Result<HomodyneModel, XpcsError> {
        let times = {
            let mut t = loader_times(fit_data.dt, fit_data.n_t + 1);
            t.remove(0);
            t
        };
        HomodyneModel::new(
            AnalysisMode::LaminarFlow,
            scaling,
            form,
            TimeGrid::from_times(fit_data.dt, times)?,
            &fit_data.phi,
            fit_data.q,
            DEMO_GAP,
        )
    }

    /// The true parameter vector in `layout` (individual scaling: one contrast and offset
    /// per angle).
    ///
    /// # Errors
    ///
    /// Those of [`ParameterLayout::assemble`] for a layout of another size.
    pub fn truth(&self, layout: &ParameterLayout) -> Result<Vec<f64>, XpcsError> {
        layout.assemble(&self.contrasts, &self.offsets, &DEMO_TRUTH)
    }

    /// The YAML configuration that fits the file [`DemoDataset::write`] writes beside it
    /// (the Python package's keys; the data path is relative to the YAML's folder), with
    /// the truth in its comments. It starts from the package's default values, not the
    /// truth, lets the data choose the per-angle scaling (`per_angle_mode: auto`: shared
    /// against per-angle contrasts and offsets by BIC; these data's differ, so per angle is
    /// kept), and turns the `.npz` cache off, so that writing new demo
    /// data over old can never leave a stale cache to be read instead.
    pub fn config_yaml(&self) -> String {
        let names = AnalysisMode::LaminarFlow.physical_names();
        let start = AnalysisMode::LaminarFlow.default_start();
        let frames = self.frames();
        let recorded = self.recorded.n_t;
        let mut text = format!(
            "# homodyne demo data: laminar flow with known truth, written by\n\
             #   homodyne xpcs --demo --write-data <DIR> --angles {angles} --frames {frames}\n\
             # Fit it with\n\
             #   homodyne xpcs --config <DIR>/{DEMO_FILE_STEM}.yaml --output-dir results\n\
             # The keys are the Python homodyne package's (2.23.x); `homodyne config --mode\n\
             # laminar_flow` writes a template with every key.\n\
             #\n\
             # The truth ({form}):\n",
            angles = self.recorded.phi.len(),
            form = match self.form {
                ModelForm::Published =>
                    "the published model, He, Chen et al., PNAS 2024".to_owned(),
                other => format!("the {} form: fit with --python-compat", other.name()),
            },
        );
        truth_comment(
            &mut text,
            names,
            &DEMO_TRUTH,
            &self.recorded.phi,
            &self.contrasts,
            &self.offsets,
        );
        text.push_str(&format!(
            "# Gaussian noise of standard deviation {DEMO_NOISE} (seed {DEMO_SEED:#x}), \
             symmetric in t1 and t2.\n\
             # {recorded} frames of {DEMO_DT} s from t = 0; the fit drops t = 0, as the \
             package does,\n\
             # and fits the {frames} x {frames} frames from t = {DEMO_DT} s.\n\n"
        ));
        text.push_str(&format!(
            "analysis_mode: \"laminar_flow\"\n\
             \n\
             analyzer_parameters:\n  \
             dt: {DEMO_DT} # frame time [s]\n  \
             start_frame: 1 # first frame used (1-based)\n  \
             end_frame: -1 # last frame used; -1 = the last frame\n  \
             scattering:\n    \
             wavevector_q: {DEMO_Q} # [1/A]\n  \
             geometry:\n    \
             stator_rotor_gap: {DEMO_GAP:.1} # gap L [A]\n\
             \n\
             experimental_data:\n  \
             data_folder_path: \".\" # this file's folder\n  \
             data_file_name: \"{DEMO_FILE_STEM}.h5\" # APS-U layout\n\
             \n\
             v2_features:\n  \
             cache_strategy: \"none\" # no .npz cache beside the data\n\
             \n\
             initial_parameters: # the package's default start, not the truth\n  \
             parameter_names: [{}]\n  \
             values: [{}]\n\
             \n\
             optimization:\n  \
             nlsq:\n    \
             anti_degeneracy:\n      \
             per_angle_mode: \"auto\" # shared or per-angle contrasts and offsets, \
             chosen by BIC\n",
            names.join(", "),
            start
                .iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        text
    }

    /// Writes the data as `dir/demo_laminar_flow.h5` (APS-U layout, [`write_aps_u`]) and
    /// [`DemoDataset::config_yaml`] as `dir/demo_laminar_flow.yaml`, creating `dir` when
    /// missing and replacing files of those names.
    ///
    /// # Errors
    ///
    /// [`XpcsError::Io`] naming the folder or file that cannot be created or written;
    /// those of [`write_aps_u`].
    pub fn write(&self, dir: &Path) -> Result<DemoFiles, XpcsError> {
        write_demo_files(dir, DEMO_FILE_STEM, &self.recorded, &self.config_yaml())
    }
}

/// Writes `recorded` as `dir/<stem>.h5` (APS-U layout, [`write_aps_u`]) and `yaml` as
/// `dir/<stem>.yaml`, creating `dir` when missing and replacing files of those names.
///
/// # Errors
///
/// [`XpcsError::Io`] naming the folder or file that cannot be created or written;
/// those of [`write_aps_u`].
pub(crate) fn write_demo_files(
    dir: &Path,
    stem: &str,
    recorded: &CorrelationData,
    yaml: &str,
) -> Result<DemoFiles, XpcsError> {
    let io = |path: &Path, action: &str| {
        let (path, action) = (path.to_path_buf(), action.to_owned());
        move |source| XpcsError::Io {
            path,
            action,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir, "create"))?;
    let files = DemoFiles {
        data: dir.join(format!("{stem}.h5")),
        config: dir.join(format!("{stem}.yaml")),
    };
    write_aps_u(&files.data, recorded)?;
    std::fs::write(&files.config, yaml).map_err(io(&files.config, "write"))?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrasts_and_offsets_spread_over_the_angles() {
        assert!((demo_contrasts(1)[0] - 0.3).abs() < 1e-15);
        assert!((demo_offsets(1)[0] - 1.0).abs() < 1e-15);
        let c = demo_contrasts(5);
        assert!((c[0] - 0.28).abs() < 1e-15 && (c[4] - 0.32).abs() < 1e-15);
        assert!(c.windows(2).all(|w| w[1] > w[0]));
        let o = demo_offsets(5);
        let (lo, hi) = o
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(
            (lo - 0.99).abs() < 1e-15 && (hi - 1.01).abs() < 1e-15,
            "{o:?}"
        );
        assert!(!o.windows(2).all(|w| w[1] > w[0]), "{o:?}");
        assert_eq!(demo_angles(3), [-60.0, -10.0, 40.0]);
    }

    #[test]
    fn the_fit_data_are_the_recorded_matrices_less_t0() {
        let demo = DemoDataset::generate(2, 5, ModelForm::Published).unwrap();
        assert_eq!(demo.recorded.n_t, 6);
        assert_eq!(demo.frames(), 5);
        let recorded = demo.recorded.clone();
        let fit = demo.clone().into_fit_data().unwrap();
        assert_eq!(fit.n_t, 5);
        for k in 0..2 {
            let (r, f) = (recorded.matrix(k), fit.matrix(k));
            for i in 0..5 {
                for j in 0..5 {
                    if i != j {
                        assert_eq!(f[i * 5 + j], r[(i + 1) * 6 + j + 1], "angle {k} ({i}, {j})");
                    }
                }
            }
            // The diagonal: the mean of its neighbours.
            assert_eq!(f[6], 0.5 * (0.5 * (f[1] + f[5]) + 0.5 * (f[7] + f[11])));
        }
        assert_eq!(demo.fit_times().len(), 5);
        assert_eq!(demo.fit_times()[0], DEMO_DT);
        let model = DemoDataset::fit_model(&fit, ScalingMode::Individual, demo.form).unwrap();
        assert_eq!(model.grid().times(), demo.fit_times());
        let truth = demo.truth(model.layout()).unwrap();
        assert_eq!(truth.len(), 7 + 2 * 2);
        assert!(DemoDataset::generate(0, 5, ModelForm::Published).is_err());
        assert!(DemoDataset::generate(1, 1, ModelForm::Published).is_err());
    }
}

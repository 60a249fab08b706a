//! The two-component demo of `homodyne xpcs --demo --mode heterodyne`: data made with the
//! heterodyne model ([`HeterodyneModel`]) at a known truth, as a beamline records them,
//! fitted in memory from xpcsjax's default start, or written as an APS-U HDF5 file with a
//! YAML configuration in xpcsjax's keys that fits it.
//!
//! # What is recorded
//!
//! `frames + 1` frames of [`DEMO_DT`] seconds, one matrix per angle of
//! [`demo_angles`] at [`DEMO_Q`], the frame `k` of the window modelled at
//! `t = dt (k + 1)` as xpcsjax models it ([`crate::heterodyne::fit_time_grid`]):
//!
//! ```text
//! c2(phi_k, t_i, t_j) = offset_k + contrast_k B(phi_k, t_i, t_j) + e_ij,   e_ij = e_ji ~ N(0, DEMO_NOISE^2)
//! ```
//!
//! with `B` the heterodyne bracket over `f^2` at [`TRUTH`], and the contrasts and offsets
//! of the homodyne demo ([`demo_contrasts`], [`demo_offsets`]). The truth is chosen so
//! that every term matters over the window: a reference component that decorrelates in
//! about 10 s, a sample component about three times faster, a flow whose phase turns
//! through about 14 radians in 10 s along the flow, and a sample fraction falling from
//! 0.7 to 0.4 over 30 s.
//!
//! # What is fitted
//!
//! The loader's steps applied in memory (diagonal correction, the window's first frame
//! dropped), so that data frame `k` is modelled at `dt (k + 2)`
//! ([`crate::heterodyne::fitted_frames_grid`]), with one contrast and offset per angle,
//! from xpcsjax's registry defaults ([`crate::heterodyne::PHYSICAL_DEFAULTS`]), `f2` held
//! at 0 ([`HELD`]: `f0` and `f2` are exactly degenerate, `f0 e^{f1 (t - f2)} =
//! (f0 e^{-f1 f2}) e^{f1 t}`), within [`BOUNDS`].
//!
//! # Why a multistart
//!
//! The registry defaults are a symmetric point of the model: both components carry half
//! the field (`x_s = 1/2`) with the same transport, so swapping them changes nothing, the
//! fraction columns of the Jacobian are exactly zero, and a local solver's steps keep the
//! two transports equal: it ends on a stationary point with the components merged. The
//! demo therefore fits with a multistart ([`STARTS`] Latin-hypercube starts besides the
//! default one, seed [`SEED`]; [`homodyne::Multistart`]), as xpcsjax's
//! `optimization.nlsq.multi_start` does, and reports how many starts reached the basin
//! it finished.

use std::path::Path;

use homodyne::Multistart;

use crate::analysis::XpcsFitOptions;
use crate::data::CorrelationData;
use crate::demo::{
    DEMO_DT, DEMO_NOISE, DEMO_Q, DEMO_SEED, DemoDataset, DemoFiles, demo_angles, demo_contrasts,
    demo_offsets, recorded_frames, truth_comment, write_demo_files,
};
use crate::error::XpcsError;
use crate::heterodyne::{
    HeterodyneModel, N_PHYSICAL, PHYSICAL_DEFAULTS, PHYSICAL_NAMES, fit_time_grid,
    fitted_frames_grid,
};
use crate::model::ModelForm;
use crate::parameters::{ParameterLayout, ScalingMode};

/// The demo's physical parameters, in [`PHYSICAL_NAMES`]' order: `D0_ref, alpha_ref,
/// D_offset_ref, D0_sample, alpha_sample, D_offset_sample, v0, v_beta, v_offset, f0, f1,
/// f2, f3, phi0_het`.
pub const TRUTH: [f64; N_PHYSICAL] = [
    3_000.0, 0.5, 0.0, 10_000.0, -0.3, 0.0, 100.0, 0.6, 10.0, 0.5, -0.3, 0.0, 0.3, 3.0,
];

/// The parameters held in the demo's fit, at their true values: `f2` (see the module
/// documentation).
pub const HELD: [(&str, f64); 3] = [("D_offset_ref", 0.0), ("D_offset_sample", 0.0), ("f2", 0.0)];

/// The bounds of the demo's fit where they differ from xpcsjax's registry: the
/// multistart draws its starts within them. Transport prefactors up to `1e5` (at
/// [`DEMO_Q`] a rate of 3/s, faster than the frames resolve), velocities up to `1e3` A/s
/// (the default start's), and a fraction rate of at most `0.2`/s (an e-fold in 5 s).
pub const BOUNDS: [(&str, f64, f64); 3] = [
    ("D0_ref", 10.0, 1e5),
    ("D0_sample", 10.0, 1e5),
    ("v0", 1.0, 1e3),
];

/// Latin-hypercube starts of the demo's multistart, besides the default start.
pub const STARTS: usize = 16;

/// The seed of the demo's multistart.
pub const SEED: u64 = 42;

/// The name of the written files without extension: `demo_two_component.h5` and
/// `demo_two_component.yaml`.
pub const FILE_STEM: &str = "demo_two_component";

/// The two-component demo's data as recorded, with the per-angle truth.
#[derive(Debug, Clone, PartialEq)]
pub struct HeterodyneDemo {
    /// The recorded matrices: `frames + 1` frames, one symmetric matrix per angle of
    /// [`demo_angles`].
    pub recorded: CorrelationData,
    /// The contrast of each angle ([`demo_contrasts`]).
    pub contrasts: Vec<f64>,
    /// The offset of each angle ([`demo_offsets`]).
    pub offsets: Vec<f64>,
}

impl HeterodyneDemo {
    /// Generates the data of `n_angles` angles and `frames` fitted frames (`frames + 1`
    /// recorded).
    ///
    /// # Errors
    ///
    /// [`XpcsError::InvalidSetting`] for no angle, fewer than 2 frames, or a size whose
    /// point count overflows.
    pub fn generate(n_angles: usize, frames: usize) -> Result<Self, XpcsError> {
        let recorded_frames = recorded_frames(n_angles, frames)?;
        let model = HeterodyneModel::new(
            ScalingMode::Individual,
            fit_time_grid(DEMO_DT, recorded_frames)?,
            &demo_angles(n_angles),
            DEMO_Q,
        )?;
        let contrasts = demo_contrasts(n_angles);
        let offsets = demo_offsets(n_angles);
        let truth = model.layout().assemble(&contrasts, &offsets, &TRUTH)?;
        let recorded = CorrelationData::synthetic(&model, &truth, DEMO_NOISE, DEMO_SEED)?;
        Ok(Self {
            recorded,
            contrasts,
            offsets,
        })
    }

    /// Fitted frames: the recorded ones less the first.
    pub fn frames(&self) -> usize {
        self.recorded.n_t - 1
    }

    /// The recorded matrices as `homodyne xpcs --config` fits them after loading the
    /// written file: each diagonal corrected, the first frame dropped, the angles
    /// normalised ([`DemoDataset::into_fit_data`]).
    ///
    /// # Errors
    ///
    /// Those of [`CorrelationData::new`] (none for data made by
    /// [`HeterodyneDemo::generate`]).
    pub fn into_fit_data(self) -> Result<CorrelationData, XpcsError> {
        DemoDataset {
            recorded: self.recorded,
            contrasts: self.contrasts,
            offsets: self.offsets,
            form: ModelForm::Published,
        }
        .into_fit_data()
    }

    /// The heterodyne model of the fitted frames (`fit_data` from
    /// [`HeterodyneDemo::into_fit_data`]) with `scaling`: the model `homodyne xpcs
    /// --config` builds for the written file.
    ///
    /// # Errors
    ///
    /// Those of [`HeterodyneModel::new`].
    pub fn fit_model(
        fit_data: &CorrelationData,
        scaling: ScalingMode,
    ) -> Result<HeterodyneModel, XpcsError> {
        HeterodyneModel::new(
            scaling,
            fitted_frames_grid(fit_data.dt, fit_data.n_t)?,
            &fit_data.phi,
            fit_data.q,
        )
    }

    /// The true parameter vector in `layout` (individual scaling).
    ///
    /// # Errors
    ///
    /// Those of [`ParameterLayout::assemble`] for a layout of another size.
    pub fn truth(&self, layout: &ParameterLayout) -> Result<Vec<f64>, XpcsError> {
        layout.assemble(&self.contrasts, &self.offsets, &TRUTH)
    }

    /// The options of the demo's fit in `layout` (a two-component layout): xpcsjax's
    /// default start, the contrasts and offsets estimated from the data, `f2` held at 0,
    /// [`BOUNDS`] over the registry's, and the multistart of [`STARTS`] starts.
    pub fn fit_options(layout: &ParameterLayout) -> XpcsFitOptions {
        let (mut lower, mut upper) = layout.default_bounds();
        let names = layout.names();
        let index = |name: &str| names.iter().position(|n| n == name);
        for (name, lo, hi) in BOUNDS {
            if let Some(k) = index(name) {
                (lower[k], upper[k]) = (lo, hi);
            }
        }
        let mut fixed = vec![None; layout.n_params()];
        for (name, value) in HELD {
            if let Some(k) = index(name) {
                fixed[k] = Some(value);
            }
        }
        XpcsFitOptions {
            physical_start: Some(PHYSICAL_DEFAULTS.to_vec()),
            bounds: Some((lower, upper)),
            fixed,
            refer_power_laws: false,
            multistart: Some(Multistart::new(STARTS).seed(SEED)),
            ..XpcsFitOptions::default()
        }
    }

    /// The YAML configuration, in xpcsjax's keys (`analysis_mode: two_component`), that
    /// fits the file [`HeterodyneDemo::write`] writes beside it, with the truth in its
    /// comments: the start, held parameter, bounds and multistart of
    /// [`HeterodyneDemo::fit_options`].
    pub fn config_yaml(&self) -> String {
        let frames = self.frames();
        let recorded = self.recorded.n_t;
        let mut text = format!(
            "# homodyne demo data: the two-component (heterodyne) model with known truth,\n\
             # written by\n\
             #   homodyne xpcs --demo --mode heterodyne --write-data <DIR> --angles {angles} \
             --frames {frames}\n\
             # Fit it with\n\
             #   homodyne xpcs --config <DIR>/{FILE_STEM}.yaml --output-dir results\n\
             # The keys are xpcsjax's (0.1.8). The truth:\n",
            angles = self.recorded.phi.len(),
        );
        truth_comment(
            &mut text,
            &PHYSICAL_NAMES,
            &TRUTH,
            &self.recorded.phi,
            &self.contrasts,
            &self.offsets,
        );
        let list = |values: &mut dyn Iterator<Item = String>| values.collect::<Vec<_>>().join(", ");
        let bounds: String = BOUNDS
            .iter()
            .map(|(name, lo, hi)| format!("    - {{name: {name}, min: {lo:?}, max: {hi:?}}}\n"))
            .collect();
        let held: String = HELD
            .iter()
            .map(|(name, value)| format!("{name}: {value:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        text.push_str(&format!(
            "# Gaussian noise of standard deviation {DEMO_NOISE} (seed {DEMO_SEED:#x}), \
             symmetric in t1 and t2.\n\
             # {recorded} frames of {DEMO_DT} s; frame k of the window is modelled at \
             t = dt (k + 1), as xpcsjax does;\n\
             # the fit leaves the first frame and the diagonal out.\n\n\
             analysis_mode: two_component\n\
             \n\
             analyzer_parameters:\n  \
             dt: {DEMO_DT} # frame time [s]\n  \
             start_frame: 1 # first frame used (1-based)\n  \
             end_frame: {recorded} # last frame used (inclusive)\n  \
             scattering:\n    \
             wavevector_q: {DEMO_Q} # [1/A]\n\
             \n\
             experimental_data:\n  \
             data_folder_path: \".\" # this file's folder\n  \
             data_file_name: \"{FILE_STEM}.h5\" # APS-U layout\n\
             \n\
             v2_features:\n  \
             cache_strategy: \"none\" # no .npz cache beside the data\n\
             \n\
             initial_parameters: # xpcsjax's registry defaults, not the truth\n  \
             parameter_names: [{names}]\n  \
             values: [{start}]\n  \
             fixed_parameters: {{{held}}} # f0 and f2 are degenerate\n\
             \n\
             parameter_space:\n  \
             bounds: # where they differ from the registry's\n{bounds}\
             \n\
             optimization:\n  \
             nlsq:\n    \
             anti_degeneracy:\n      \
             per_angle_mode: individual\n    \
             multi_start: # the default start is a symmetric stationary point\n      \
             enable: true\n      \
             n_starts: {STARTS}\n      \
             seed: {SEED}\n",
            names = list(&mut PHYSICAL_NAMES.iter().map(|s| s.to_string())),
            start = list(&mut PHYSICAL_DEFAULTS.iter().map(|v| format!("{v:?}"))),
        ));
        text
    }

    /// Writes the data as `dir/demo_two_component.h5` (APS-U layout) and
    /// [`HeterodyneDemo::config_yaml`] as `dir/demo_two_component.yaml`, creating `dir`
    /// when missing and replacing files of those names.
    ///
    /// # Errors
    ///
    /// [`XpcsError::Io`] naming the folder or file that cannot be created or written;
    /// those of [`crate::loader::write::write_aps_u`].
    pub fn write(&self, dir: &Path) -> Result<DemoFiles, XpcsError> {
        write_demo_files(dir, FILE_STEM, &self.recorded, &self.config_yaml())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_data_are_the_recorded_frames_less_the_first_on_xpcsjax_times() {
        let demo = HeterodyneDemo::generate(2, 6).unwrap();
        assert_eq!((demo.recorded.n_t, demo.frames()), (7, 6));
        let fit = demo.clone().into_fit_data().unwrap();
        let model = HeterodyneDemo::fit_model(&fit, ScalingMode::Individual).unwrap();
        assert_eq!(model.grid().times()[0], 2.0 * DEMO_DT);
        let truth = demo.truth(model.layout()).unwrap();
        // Off the diagonal the fitted data are the truth plus the noise.
        let values = model.values(&truth);
        let n = fit.n_t;
        let worst = (0..fit.c2.len())
            .filter(|i| (i / n) % n != i % n)
            .map(|i| (values[i] - fit.c2[i]).abs())
            .fold(0.0, f64::max);
        assert!(worst > 0.0 && worst < 6.0 * DEMO_NOISE, "{worst}");
        let options = HeterodyneDemo::fit_options(model.layout());
        let (lower, upper) = options.bounds.unwrap();
        let k = model.layout().physical_start() + 6;
        assert_eq!((lower[k], upper[k]), (1.0, 1e3));
        assert_eq!(
            options.fixed[model.layout().physical_start() + 11],
            Some(0.0)
        );
        assert!(HeterodyneDemo::generate(0, 5).is_err());
        assert!(HeterodyneDemo::generate(1, 1).is_err());
    }

    #[test]
    fn the_yaml_names_the_mode_the_start_and_the_multistart() {
        let yaml = HeterodyneDemo::generate(1, 3).unwrap().config_yaml();
        for needle in [
            "analysis_mode: two_component",
            "end_frame: 4",
            "fixed_parameters: {D_offset_ref: 0.0, D_offset_sample: 0.0, f2: 0.0}",
            "- {name: v0, min: 1.0, max: 1000.0}",
            "n_starts: 16",
        ] {
            assert!(yaml.contains(needle), "{needle} in\n{yaml}");
        }
    }
}

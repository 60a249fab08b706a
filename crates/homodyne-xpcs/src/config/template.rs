//! [`config_template`]: a commented configuration with the package's keys and defaults.

use super::settings::DEFAULT_STATOR_ROTOR_GAP;
use crate::loader::{DEFAULT_WAVEVECTOR_Q, python_float};
use crate::parameters::{AnalysisMode, CONTRAST_BOUNDS, OFFSET_BOUNDS};

/// A float as YAML 1.1 (PyYAML) reads it as a float: Python's `repr`, with `.0` added to
/// a mantissa without a point (`1e-06` becomes `1.0e-06`).
fn yaml_float(x: f64) -> String {
    let text = python_float(x);
    match text.split_once('e') {
        Some((mantissa, exponent)) if !mantissa.contains('.') => {
            format!("{mantissa}.0e{exponent}")
        }
        _ => text,
    }
}

/// A commented configuration for `mode` with the package's keys and defaults, that
/// [`XpcsConfig::from_yaml_str`](super::XpcsConfig::from_yaml_str) reads back with no warning, no unknown key and nothing
/// unused (and that the package reads too). The data paths are placeholders to edit.
pub fn config_template(mode: AnalysisMode) -> String {
    let names = mode.physical_names();
    let mut t = String::new();
    let package = if mode == AnalysisMode::TwoComponent {
        "xpcsjax (0.1.8)"
    } else {
        "the Python homodyne package (2.23.x)"
    };
    t.push_str(&format!(
        "# homodyne configuration: {} mode.\n\
         # The keys are those of {package}, which reads this file too.\n\
         # Relative data paths are relative to this file's folder.\n\n",
        mode.name()
    ));
    t.push_str(&format!(
        "# \"static\" (diffusion: D0, alpha, D_offset), \"laminar_flow\" (diffusion and shear:\n\
         # also gamma_dot_t0, beta, gamma_dot_t_offset, phi0) or \"two_component\" (xpcsjax's\n\
         # heterodyne model: a reference and a sample component, a velocity, the sample\n\
         # fraction; 14 parameters).\n\
         analysis_mode: \"{}\"\n\n",
        mode.name()
    ));
    t.push_str(&format!(
        "analyzer_parameters:\n\
         \x20 dt: 0.001 # frame time [s]\n\
         \x20 start_frame: 1 # first frame used (1-based)\n\
         \x20 end_frame: -1 # last frame used (1-based, inclusive); -1 = the last frame\n\
         \x20 scattering:\n\
         \x20   wavevector_q: {} # [1/A]: the q in the file closest to this is used\n\
         \x20 geometry:\n\
         \x20   stator_rotor_gap: {} # gap L [A]{}\n\n",
        yaml_float(DEFAULT_WAVEVECTOR_Q),
        yaml_float(DEFAULT_STATOR_ROTOR_GAP),
        if mode == AnalysisMode::LaminarFlow {
            ""
        } else {
            " (used by laminar_flow only)"
        }
    ));
    t.push_str(
        "experimental_data:\n\
         \x20 data_folder_path: \"./data\" # folder of the data file\n\
         \x20 data_file_name: \"experiment.hdf\" # APS or APS-U HDF5 file, or a .npz cache\n\
         \x20 cache_file_path: \"./data\" # where the .npz cache is written and looked for\n\
         \x20 # ${wavevector_q}, ${start_frame} and ${end_frame} are filled in.\n\
         \x20 cache_filename_template: \"cached_c2_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz\"\n\
         \x20 cache_compression: true\n\
         \x20 # A bare two-time correlation instead (any facility): a (frames, frames) or\n\
         \x20 # (angles, frames, frames) array in a .npy, .npz or HDF5 file, full or one triangle;\n\
         \x20 # it carries no q or angles, so wavevector_q above and phi_angles are required:\n\
         \x20 #   data_file_name: \"c2.h5\"\n\
         \x20 #   format: matrix # auto (default): .npy, or any file with a dataset, is a matrix\n\
         \x20 #   dataset: \"/exchange/c2\" # HDF5 dataset path or .npz array name\n\
         \x20 #   phi_angles: [0.0, 45.0, 90.0] # degrees, one per matrix\n\
         \x20 #   triangle: auto # auto, full, upper or lower\n\n",
    );
    t.push_str("initial_parameters:\n  parameter_names:\n");
    for name in names {
        t.push_str(&format!("    - {name}\n"));
    }
    let listed: Vec<String> = names
        .iter()
        .zip(mode.default_start())
        .map(|(name, v)| format!("{name} = {}", yaml_float(*v)))
        .collect();
    t.push_str(&format!(
        "  # null: start from [{}]\n\
         \x20 # with contrast and offset estimated from the data; or give one value per name\n\
         \x20 # (the Python package 2.23.3 needs values here: its NLSQ fit fails on null).\n\
         \x20 values: null\n\
         \x20 per_angle_scaling: # starting contrast and offset per angle (lists of equal length)\n\
         \x20   contrast: null\n\
         \x20   offset: null\n\n",
        listed.join(", ")
    ));
    t.push_str(
        "parameter_space:\n\
         \x20 # [min, max] of each parameter. To hold one fixed (left out of the fit, reported\n\
         \x20 # with its value and \"flag\": \"fixed\"), add `fixed: <value>` to its entry, or\n\
         \x20 # `fixed: true` to hold it at its initial value; equal min and max hold it too:\n\
         \x20 #   - name: D_offset\n\
         \x20 #     min: -100000.0\n\
         \x20 #     max: 100000.0\n\
         \x20 #     fixed: 0.0\n\
         \x20 bounds:\n",
    );
    let mut bounds: Vec<(&str, (f64, f64))> =
        vec![("contrast", CONTRAST_BOUNDS), ("offset", OFFSET_BOUNDS)];
    bounds.extend(
        names
            .iter()
            .copied()
            .zip(mode.physical_bounds().iter().copied()),
    );
    for (name, (lo, hi)) in bounds {
        t.push_str(&format!(
            "    - name: {name}\n      min: {}\n      max: {}\n",
            yaml_float(lo),
            yaml_float(hi)
        ));
    }
    t.push('\n');
    t.push_str(
        "optimization:\n\
         \x20 nlsq:\n\
         \x20   # sigma: auto weights each angle by its noise, estimated from the data, so that\n\
         \x20   # a reduced chi-squared near 1 means a good fit (absent: unweighted).\n\
         \x20   # sigma: \"auto\"\n\
         \x20   anti_degeneracy:\n\
         \x20     # auto: one contrast and offset per angle below constant_scaling_threshold\n\
         \x20     # angles; from there on shared, Fourier (above fourier_auto_threshold angles)\n\
         \x20     # and per-angle scaling compared by evidence. Or individual, constant (per-angle\n\
         \x20     # values estimated from the data and held) or fourier (a series in the angle).\n\
         \x20     per_angle_mode: \"auto\"\n\
         \x20     constant_scaling_threshold: 3\n\
         \x20     fourier_order: 2\n\
         \x20     fourier_auto_threshold: 6\n\
         \x20   # Fit from many starts and finish the best: the start and n_starts points of a\n\
         \x20   # Latin hypercube within the bounds, each of at most max_nfev_per_start\n\
         \x20   # evaluations (for the two_component model, whose default start is a\n\
         \x20   # symmetric stationary point, or any fit with several minima).\n\
         \x20   multi_start:\n\
         \x20     enable: false\n\
         \x20     n_starts: 10\n\
         \x20     seed: 42\n\
         \x20     max_nfev_per_start: 100\n\
         \x20 streaming: # checkpoints of long fits\n\
         \x20   enable_checkpoints: true\n\
         \x20   checkpoint_dir: \"./checkpoints\"\n\
         \x20   checkpoint_frequency: 10\n\
         \x20   resume_from_checkpoint: true\n\
         \x20   keep_last_checkpoints: 3\n\n",
    );
    t.push_str(
        "performance:\n\
         \x20 strategy_override: null # null (by size), standard, large, chunked or streaming\n\
         \x20 memory_limit_gb: null # null: the memory available\n\n",
    );
    t.push_str(
        "phi_filtering: # keep only angles in these ranges [degrees] when enabled\n\
         \x20 enabled: false\n\
         \x20 target_ranges:\n\
         \x20   - min_angle: -10.0\n\
         \x20     max_angle: 10.0\n\
         \x20     description: \"parallel to the flow\"\n\
         \x20   - min_angle: 80.0\n\
         \x20     max_angle: 100.0\n\
         \x20     description: \"perpendicular to the flow\"\n\n",
    );
    t.push_str(
        "output:\n\
         \x20 directory: \"./homodyne_results\" # results are written here\n",
    );
    t
}

//! Command-line arguments and the small value syntaxes they use (`b1=500,b2=1e-4`,
//! `b1=0:1e4`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use homodyne::CoarseToFine;

/// Fast, exact nonlinear least squares from the shell.
#[derive(Debug, Parser)]
#[command(name = "homodyne", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a formula typed on the command line to columns of a data file.
    #[command(after_help = CURVE_EXAMPLES)]
    Curve(Box<CurveArgs>),
    /// Fit the XPCS models (homodyne: static, laminar flow; heterodyne: two_component) to
    /// two-time correlation data.
    #[command(after_help = XPCS_EXAMPLES)]
    Xpcs(Box<XpcsArgs>),
    /// Write a commented XPCS configuration template (YAML, the Python package's keys).
    Config(ConfigArgs),
}

/// `--multistart N`, `--multistart-seed S`, `--multistart-budget K`: of `homodyne curve`
/// and `homodyne xpcs`.
#[derive(Debug, Clone, Default, Args)]
pub struct MultistartArgs {
    /// Multistart: besides the given start (--p0, or the configuration's
    /// initial_parameters), fit from N starts of a Latin hypercube within the bounds (each
    /// free parameter's range cut into N strata, one start in each), each with at most
    /// --multistart-budget evaluations, side by side; then finish the start of lowest cost
    /// with the fit's own settings. For fits with several minima (a frequency, a phase, two
    /// components that can swap). Every free parameter needs finite bounds; not with a
    /// STREAMING fit or --distributed. The report says which start was finished and how
    /// many reached the best basin. homodyne xpcs: overrides the configuration's
    /// optimization.nlsq.multi_start. Example: --multistart 16
    #[arg(
        long = "multistart",
        id = "multistart",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub starts: Option<u64>,

    /// The seed of the multistart's Latin hypercube: the same seed, the same starts, on any
    /// machine and number of threads [default: 0; homodyne xpcs: the configuration's
    /// multi_start.seed, else 42]. With --multistart, or (homodyne xpcs) a multistart the
    /// configuration or the demo asks for. Example: --multistart-seed 7
    #[arg(long = "multistart-seed", value_name = "S")]
    pub seed: Option<u64>,

    /// Cost evaluations allowed to each start of a multistart, before the best is
    /// finished with the fit's own budget [default: 100]. With --multistart, or (homodyne
    /// xpcs) a multistart the configuration or the demo asks for. Example:
    /// --multistart-budget 50
    #[arg(
        long = "multistart-budget",
        value_name = "K",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub budget: Option<u64>,
}

impl MultistartArgs {
    /// The multistart these options ask for over `base` (the configuration's, or none):
    /// `--multistart N` replaces its number of starts (keeping `base`'s seed and budget;
    /// without a `base`, seed `default_seed`), `--multistart-seed` and
    /// `--multistart-budget` its seed and budget. `None` when neither `--multistart` nor `base` asks for one.
    ///
    /// # Errors
    ///
    /// `--multistart-seed` or `--multistart-budget` without a multistart to apply to.
    pub fn over(
        &self,
        base: Option<homodyne::Multistart>,
        default_seed: u64,
    ) -> Result<Option<homodyne::Multistart>, String> {
        let multistart = match (self.starts, base) {
            (Some(starts), Some(base)) => Some(
                homodyne::Multistart::new(usize::try_from(starts).unwrap_or(usize::MAX))
                    .seed(base.seed_value())
                    .budget(base.budget_value()),
            ),
            (Some(starts), None) => Some(
                homodyne::Multistart::new(usize::try_from(starts).unwrap_or(usize::MAX))
                    .seed(default_seed),
            ),
            (None, base) => base,
        };
        let Some(mut multistart) = multistart else {
            return match (self.seed, self.budget) {
                (None, None) => Ok(None),
                _ => Err(format!(
                    "--multistart-{} needs a multistart: give --multistart <N>",
                    if self.seed.is_some() {
                        "seed"
                    } else {
                        "budget"
                    }
                )),
            };
        };
        if let Some(seed) = self.seed {
            multistart = multistart.seed(seed);
        }
        if let Some(budget) = self.budget {
            multistart = multistart.budget(usize::try_from(budget).unwrap_or(usize::MAX));
        }
        Ok(Some(multistart))
    }
}

/// The options of `homodyne config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The analysis mode: static or laminar_flow.
    #[arg(long, default_value = "laminar_flow")]
    pub mode: String,
    /// Where to write the template (standard output when absent).
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
    /// Overwrite an existing --output file.
    #[arg(long)]
    pub force: bool,
}

const XPCS_EXAMPLES: &str = "\
Examples:
  homodyne xpcs --demo                      a laminar-flow dataset with known truth, fitted
  homodyne xpcs --demo --angles 23 --frames 1001
  homodyne xpcs --demo --write-data demo_data     an APS-U file and a YAML that fits it
  homodyne xpcs --demo --mode heterodyne    the two-component model, from xpcsjax's start
  homodyne xpcs --config demo_data/demo_laminar_flow.yaml --output-dir results
  homodyne config --mode laminar_flow --output my.yaml
  homodyne xpcs --config my.yaml --output-dir results
  homodyne xpcs --config my.yaml --data c2.npy --dt 0.01 --q 0.0054 --phi 0   a bare matrix

Exit status: 0 fitted; 1 the fit failed, did not converge or stalled (it says what to try);
2 bad usage or bad input (found before the fit: sizes beyond the memory, output paths).";

/// The options of `homodyne xpcs`.
#[derive(Debug, Args)]
pub struct XpcsArgs {
    /// The YAML configuration (the Python homodyne package's keys): data file, frames,
    /// wavevector, mode, initial values, bounds.
    #[arg(long, conflicts_with = "demo")]
    pub config: Option<std::path::PathBuf>,
    /// The data file, instead of the configuration's: an APS or APS-U HDF5 file, the
    /// package's .npz cache, or a bare two-time correlation from any facility, a (frames,
    /// frames) or (angles, frames, frames) array in a .npy, .npz or HDF5 file, full or one
    /// triangle. FILE:DATASET names the HDF5 dataset or .npz array. A bare matrix needs
    /// --dt, --q and --phi (or their YAML keys). Without --config, the static model is
    /// fitted with the package's defaults. Example: --data run12.h5:/exchange/C2T
    #[arg(long, value_name = "FILE[:DATASET]", conflicts_with = "demo")]
    pub data: Option<String>,
    /// Frame time in seconds; overrides analyzer_parameters.dt.
    #[arg(long, value_name = "SECONDS", conflicts_with = "demo")]
    pub dt: Option<f64>,
    /// Wavevector q in 1/A; overrides analyzer_parameters.scattering.wavevector_q: the q of
    /// a bare matrix, or the q selected from an APS file.
    #[arg(
        long,
        value_name = "INV_ANGSTROM",
        visible_alias = "wavevector-q",
        conflicts_with = "demo"
    )]
    pub q: Option<f64>,
    /// The angles of a bare matrix in degrees, one per matrix in stack order; overrides
    /// experimental_data.phi_angles. Example: --phi -30,0,30
    #[arg(
        long,
        value_name = "DEG,...",
        value_delimiter = ',',
        allow_hyphen_values = true,
        conflicts_with = "demo"
    )]
    pub phi: Option<Vec<f64>>,
    /// Where the results go (`<DIR>/nlsq/`: parameters.json, analysis_results_nlsq.json,
    /// convergence_metrics.json, fitted_data.npz (and .h5 with --hdf5), and per angle a
    /// heatmap PNG and a PNG of one-time cuts, c2 against delay).
    /// Default for --config: output.directory, else ./homodyne_results; --demo writes
    /// files only when this is given. Checked writable before the fit.
    #[arg(long)]
    pub output_dir: Option<std::path::PathBuf>,
    /// Also write the arrays of fitted_data.npz as fitted_data.h5 (HDF5 datasets of the
    /// same names, for HDF5 readers; twice the bytes written). Without it an earlier
    /// run's fitted_data.h5 in the folder is removed.
    #[arg(long)]
    pub hdf5: bool,
    /// Generate a laminar-flow dataset with known truth in memory, fit it from the Python
    /// package's default start, and print fitted and true values side by side.
    #[arg(long)]
    pub demo: bool,
    /// Angles of the demo dataset.
    #[arg(long, default_value_t = 3, requires = "demo")]
    pub angles: usize,
    /// Frames of the demo dataset (each angle is a frames x frames matrix) [default: 300;
    /// 100 with --mode two_component]. The memory the dataset needs (24 bytes a point) is
    /// checked against the memory available first.
    #[arg(long, requires = "demo")]
    pub frames: Option<usize>,
    /// With --demo: write the demo's data into DIR (created when missing) as an APS-U HDF5
    /// file, demo_laminar_flow.h5 (frames + 1 frames from t = 0), with a YAML configuration
    /// that fits it, demo_laminar_flow.yaml (the truth in its comments), replacing files of
    /// those names; then stop, without fitting. Fit them with `homodyne xpcs --config
    /// DIR/demo_laminar_flow.yaml`.
    #[arg(
        long,
        value_name = "DIR",
        requires = "demo",
        conflicts_with = "output_dir"
    )]
    pub write_data: Option<std::path::PathBuf>,
    /// Evaluate the Python homodyne package's form of the model (sinc^4 of an argument pi
    /// times smaller) instead of the published one.
    #[arg(long)]
    pub python_compat: bool,
    /// `auto`: weight each angle by its noise estimated from the data (second differences
    /// along each lag), so that a reduced chi-squared near 1 means a good fit and the
    /// uncertainties are absolute; overrides the configuration's `optimization.nlsq.sigma`.
    #[arg(long, value_parser = ["auto"], conflicts_with = "demo")]
    pub sigma: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// With --demo: the physics of the demo dataset. laminar_flow: the homodyne model
    /// (diffusion and shear flow). two_component (or heterodyne): the two-component model
    /// of xpcsjax, a reference and a sample component with a flow velocity, 14 parameters;
    /// fitted from xpcsjax's default start with a multistart (16 starts unless
    /// --multistart says), its files demo_two_component.h5 and .yaml.
    #[arg(
        long,
        value_name = "MODE",
        default_value = "laminar_flow",
        requires = "demo"
    )]
    pub mode: String,
    /// Multistart: fit from many starts and finish the best.
    #[command(flatten)]
    pub multistart: MultistartArgs,
    /// Running under MPI.
    #[command(flatten)]
    pub processes: DistributedArgs,
}

const CURVE_EXAMPLES: &str = "\
Examples:
  homodyne curve --formula 'b1*(1-exp(-b2*x))' --data run7.csv --p0 b1=500,b2=1e-4
  homodyne curve --formula 'a*exp(-k*t) + c' --data decay.txt --x t --y signal --sigma dsignal \\
      --p0 a=1,k=0.1,c=0 --bounds k=0:,c=-1:1 --json fit.json --plot fit.png
  homodyne curve --formula 'b1 - b2*x1*exp(-b3*x2)' --data nelson.csv --y logy --p0 b1=2,b2=1e-4,b3=-0.01
  homodyne curve --formula 'a*exp(-b*x)+c' --data scan.h5 --x /entry/q --y /entry/g2 --p0 a=1,b=1,c=0

Formula language: numbers (1e-4, .5), the parameters of --p0, the data's column names,
+ - * / and ^ or ** for powers, unary minus, parentheses, exp log log10 sqrt abs sin cos
tan asin acos atan (arctan) sinh cosh tanh pow(a, b), and the constants pi and e.
Derivatives are exact.

Uncertainties: relative sigma by default (the covariance is scaled by the reduced
chi-squared, as scipy's curve_fit); --absolute-sigma takes --sigma as absolute. A parameter
the data cannot determine (its column of the Jacobian is zero, e.g. a --p0 name the formula
does not use) is reported \"undetermined\", never +/- 0.

Exit status: 0 fitted; 1 the fit failed, did not converge or stalled (the report says what
to try); 2 bad usage or bad input (found before the fit: output paths, too few points).";

/// `--distributed` and its timeout, shared by `homodyne curve` and `homodyne xpcs`.
#[derive(Debug, Clone, Args)]
pub struct DistributedArgs {
    /// Share the fit among the processes of an MPI job (start with `mpirun -np N` or
    /// `srun`): each process fits its share of the points; rank 0 prints and writes the
    /// results. Needs a build with the `mpi` feature.
    #[arg(long)]
    pub distributed: bool,

    /// With --distributed: seconds a process waits for the others in one exchange before
    /// it ends the job (a process that stopped answering).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1800.0,
        requires = "distributed"
    )]
    pub exchange_timeout: f64,
}

/// The options of `homodyne curve`.
#[derive(Debug, Args)]
pub struct CurveArgs {
    /// The model, e.g. 'b1*(1-exp(-b2*x))': parameters from --p0, variables from the data's
    /// columns.
    #[arg(long, value_name = "FORMULA")]
    pub formula: String,

    /// Data file: delimited text (comma, tab or whitespace; '#' comments; optional header
    /// row), NumPy .npy, or HDF5 (.h5, .hdf5, .nxs; name the datasets with --x, --y, --sigma).
    /// Example: --data run7.csv
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,

    /// Starting values, in the order the parameters are reported. Example: --p0 b1=500,b2=1e-4
    #[arg(long, value_name = "NAME=VALUE,...")]
    pub p0: String,

    /// The column (or HDF5 dataset) used as the variable `x` and on the plot's horizontal
    /// axis [default: the column named x]. Example: --x time
    #[arg(long, value_name = "COLUMN")]
    pub x: Option<String>,

    /// The column (or HDF5 dataset) holding the observations [default: y]. Example: --y counts
    #[arg(long, value_name = "COLUMN")]
    pub y: Option<String>,

    /// The column (or HDF5 dataset) of one-sigma uncertainties of y; residuals are divided by
    /// it. Example: --sigma dy
    #[arg(long, value_name = "COLUMN")]
    pub sigma: Option<String>,

    /// Bounds as NAME=LOWER:UPPER, either side may be empty for no bound; equal lower and
    /// upper hold the parameter at that value, as --fix does. Example: --bounds b1=0:1e4,b2=0:
    #[arg(long, value_name = "NAME=LO:HI,...")]
    pub bounds: Option<String>,

    /// Hold parameters at these values (lmfit's vary=False): each must be in --p0, its
    /// value replaces the start, the others are fitted with it held, and the report shows
    /// it "(fixed)" with no uncertainty. Example: --fix b2=1e-4
    #[arg(long, value_name = "NAME=VALUE,...")]
    pub fix: Option<String>,

    /// Take the --sigma column as absolute one-sigma errors: the covariance is (J^T J)^-1.
    /// By default (relative sigma, as scipy's curve_fit) the covariance is scaled by the
    /// reduced chi-squared, so multiplying every sigma by a constant leaves the
    /// uncertainties unchanged. The report says which convention was used.
    /// Example: --sigma dy --absolute-sigma
    #[arg(long)]
    pub absolute_sigma: bool,

    /// The algorithm: trust-region reflective or Levenberg-Marquardt. Example: --method lm
    #[arg(long, value_enum, default_value_t = MethodArg::Trf)]
    pub method: MethodArg,

    /// Robust loss for outliers. Example: --loss soft_l1 --f-scale 2
    #[arg(long, value_enum, default_value_t = LossArg::Linear)]
    pub loss: LossArg,

    /// Soft margin between inlier and outlier residuals of a robust loss, in units of the
    /// (weighted) residual. Example: --f-scale 0.5
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub f_scale: f64,

    /// Relative cost-reduction tolerance: stop when a step lowers the cost by less than this
    /// fraction [default: 1e-15]. Example: --ftol 1e-12
    #[arg(long, value_name = "TOL")]
    pub ftol: Option<f64>,

    /// Relative step tolerance: stop when a step is smaller than this fraction of the
    /// parameters [default: 1e-15]. Example: --xtol 1e-12
    #[arg(long, value_name = "TOL")]
    pub xtol: Option<f64>,

    /// Gradient tolerance: stop when every column cosine of the residuals is below it
    /// [default: 1e-15]. Example: --gtol 1e-12
    #[arg(long, value_name = "TOL")]
    pub gtol: Option<f64>,

    /// Cost evaluations allowed, over every attempt [default: 1000 per parameter].
    /// Example: --max-nfev 20000
    #[arg(long, value_name = "N")]
    pub max_nfev: Option<usize>,

    /// The typical size of each parameter, as NAME=SCALE (unnamed parameters: 1), for
    /// parameters of very different sizes; "jac" (the default) takes the scales from the
    /// Jacobian's columns. Example: --x-scale b1=100,b2=1e-4
    #[arg(long, value_name = "jac|NAME=SCALE,...")]
    pub x_scale: Option<String>,

    /// Write the whole result as JSON: each parameter's value, uncertainty and flag (free,
    /// at start, at lower bound, at upper bound, fixed, undetermined; the uncertainty is
    /// null when the parameter is fixed or undetermined, and non-finite numbers are null),
    /// optimality, totals and per-attempt figures, notes. The path is checked before the
    /// fit. Example: --json result.json
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write a PNG of the data, the fitted curve and the residuals; the path is checked
    /// before the fit. Example: --plot fit.png
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,

    /// Print nothing but errors (no report, no progress line).
    #[arg(long)]
    pub quiet: bool,

    /// How the data are held: chosen from their size and the memory available (auto), or
    /// forced. streaming reads the data batch by batch on every pass and is the one that
    /// checkpoints; on an HDF5 file (without --plot) it reads the datasets from the file
    /// and never loads them whole. Example: --strategy streaming
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub strategy: StrategyArg,

    /// Points per batch of a streaming fit [default: from the memory available].
    /// Example: --batch-size 100000
    #[arg(long, value_name = "POINTS")]
    pub batch_size: Option<usize>,

    /// Save the state of a streaming fit in this directory (homodyne_state_batch_NNNN.h5,
    /// HDF5 with a SHA-256 checksum); implies --strategy streaming. Example:
    /// --checkpoint-dir ckpt
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,

    /// Save a checkpoint every N batches. Example: --checkpoint-every 10
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        requires = "checkpoint_dir"
    )]
    pub checkpoint_every: usize,

    /// Continue from the newest valid checkpoint in --checkpoint-dir (a fit killed and run
    /// again with the same arguments ends on the same numbers). When the folder holds no
    /// valid checkpoint, a notice on stderr says so and the fit starts afresh.
    /// Example: --resume
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,

    /// Coarse-to-fine: before the fit of all the points, fit strided subsets of them
    /// (every S-th block of 1024 points, so that a subset spans the data), coarsest first,
    /// each from where the last ended; a stage's optimum is kept only when the cost of all
    /// the points is lower there than at its start, so a stage never makes the fit worse.
    /// The result, its iterations and its uncertainties are the fit of all the points'.
    /// auto (the default): one stage from 1,000,000 points on, none below: stride 16, or
    /// above 16.7 million points the largest power of two that keeps at least 524,288
    /// points. off: none. S1,S2,...: these strides at any size (1 is the
    /// fit of all the points, and is skipped). The report lists the stages.
    /// Example: --coarse-to-fine 64,8
    #[arg(
        long,
        value_name = "auto|off|S1,S2,...",
        default_value = "auto",
        value_parser = parse_coarse_to_fine
    )]
    pub coarse_to_fine: CoarseToFine,

    /// Multistart: fit from many starts and finish the best.
    #[command(flatten)]
    pub multistart: MultistartArgs,

    /// Running under MPI.
    #[command(flatten)]
    pub processes: DistributedArgs,
}

/// Why a `--coarse-to-fine` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoarseToFineError {
    /// Neither `auto`, `off` nor a list of strides.
    #[error(
        "'{text}' is neither auto, off nor a list of strides: give auto (stages for \
         1,000,000 points or more), off (none), or strides in blocks of 1024 points, \
         coarsest first (example: --coarse-to-fine 64,8)"
    )]
    Unknown {
        /// The value as given.
        text: String,
    },
    /// An item of the list that is not a positive whole number.
    #[error(
        "'{item}' in '{text}' is not a stride: a stride is a whole number of at least 1 \
         (every stride-th block of 1024 points; example: --coarse-to-fine 64,8)"
    )]
    NotAStride {
        /// The item refused.
        item: String,
        /// The whole value as given.
        text: String,
    },
}

/// Parses `--coarse-to-fine`: `auto`, `off` (any case) or strides `S1,S2,...` (whole
/// numbers of at least 1, in blocks of
/// [`STAGE_BLOCK_POINTS`](homodyne::coarse::STAGE_BLOCK_POINTS) points).
pub fn parse_coarse_to_fine(text: &str) -> Result<CoarseToFine, CoarseToFineError> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("auto") {
        return Ok(CoarseToFine::Auto);
    }
    if trimmed.eq_ignore_ascii_case("off") {
        return Ok(CoarseToFine::Off);
    }
    let items: Vec<&str> = trimmed.split(',').map(str::trim).collect();
    let is_list = items
        .iter()
        .any(|item| item.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+'));
    if !is_list {
        return Err(CoarseToFineError::Unknown {
            text: text.to_string(),
        });
    }
    let strides = items
        .iter()
        .map(|item| match item.parse::<usize>() {
            Ok(stride) if stride >= 1 => Ok(stride),
            _ => Err(CoarseToFineError::NotAStride {
                item: (*item).to_string(),
                text: text.to_string(),
            }),
        })
        .collect::<Result<Vec<usize>, _>>()?;
    Ok(CoarseToFine::Strides(strides))
}

/// `--strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// From the data size and the memory available.
    Auto,
    /// Below 1M points: exact QR fold.
    Standard,
    /// 1M-10M points: normal equations, chunk by chunk.
    Large,
    /// 10M-100M points: as large, with progress.
    Chunked,
    /// Batch by batch, with checkpoints.
    Streaming,
}

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Trust-region reflective.
    Trf,
    /// Levenberg-Marquardt.
    Lm,
}

/// `--loss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    /// Ordinary least squares.
    Linear,
    /// Smooth l1.
    #[value(name = "soft_l1")]
    SoftL1,
    /// Huber.
    Huber,
    /// Cauchy.
    Cauchy,
    /// Arctan.
    Arctan,
}

/// Parses `b1=500,b2=1e-4` into ordered `(name, value)` pairs.
pub fn parse_assignments(option: &str, text: &str) -> Result<Vec<(String, f64)>, String> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = item.split_once('=').ok_or_else(|| {
            format!("{option}: '{item}' is not NAME=VALUE (example: {option} b1=500,b2=1e-4)")
        })?;
        let name = name.trim();
        if !is_identifier(name) {
            return Err(format!("{option}: '{name}' is not a valid parameter name"));
        }
        let value: f64 = value.trim().parse().map_err(|_| {
            format!(
                "{option}: the value of {name}, '{}', is not a number",
                value.trim()
            )
        })?;
        if !value.is_finite() {
            return Err(format!(
                "{option}: the value of {name} must be a finite number"
            ));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("{option}: {name} is given twice"));
        }
        out.push((name.to_string(), value));
    }
    if out.is_empty() {
        return Err(format!("{option} is empty: give at least one NAME=VALUE"));
    }
    Ok(out)
}

/// Parses `b1=0:1e4,b2=0:` into `(name, lower, upper)`; an empty side is infinite.
pub fn parse_bounds(text: &str) -> Result<Vec<(String, f64, f64)>, String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, range) = item.split_once('=').ok_or_else(|| {
            format!("--bounds: '{item}' is not NAME=LOWER:UPPER (example: --bounds b1=0:1e4)")
        })?;
        let (lo, hi) = range
            .split_once(':')
            .ok_or_else(|| format!("--bounds: '{item}' needs a colon between lower and upper (example: b1=0:1e4, b2=0:)"))?;
        let side = |s: &str, default: f64| -> Result<f64, String> {
            let s = s.trim();
            if s.is_empty() {
                Ok(default)
            } else {
                s.parse::<f64>()
                    .map_err(|_| format!("--bounds: '{s}' in {item} is not a number"))
            }
        };
        out.push((
            name.trim().to_string(),
            side(lo, f64::NEG_INFINITY)?,
            side(hi, f64::INFINITY)?,
        ));
    }
    Ok(out)
}

/// True for names the formula language accepts: a letter or `_`, then letters, digits, `_`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_keep_their_order() {
        let p = parse_assignments("--p0", "b2=1e-4, b1=500").unwrap();
        assert_eq!(p, vec![("b2".into(), 1e-4), ("b1".into(), 500.0)]);
        assert!(
            parse_assignments("--p0", "b1")
                .unwrap_err()
                .contains("NAME=VALUE")
        );
        assert!(
            parse_assignments("--p0", "b1=x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_assignments("--p0", "b1=1,b1=2")
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn bounds_with_open_sides() {
        let b = parse_bounds("b1=0:1e4,b2=:5,b3=1:").unwrap();
        assert_eq!(b[0], ("b1".into(), 0.0, 1e4));
        assert_eq!(b[1], ("b2".into(), f64::NEG_INFINITY, 5.0));
        assert_eq!(b[2], ("b3".into(), 1.0, f64::INFINITY));
        assert!(parse_bounds("b1=0").unwrap_err().contains("colon"));
    }

    #[test]
    fn coarse_to_fine_values() {
        assert_eq!(parse_coarse_to_fine("auto"), Ok(CoarseToFine::Auto));
        assert_eq!(parse_coarse_to_fine(" OFF "), Ok(CoarseToFine::Off));
        assert_eq!(
            parse_coarse_to_fine("64, 8"),
            Ok(CoarseToFine::Strides(vec![64, 8]))
        );
        assert_eq!(
            parse_coarse_to_fine("fast"),
            Err(CoarseToFineError::Unknown {
                text: "fast".into()
            })
        );
        for bad in ["0", "8,x", "-4", "2.5", "8,", "16,,4"] {
            assert!(
                matches!(
                    parse_coarse_to_fine(bad),
                    Err(CoarseToFineError::NotAStride { .. })
                ),
                "{bad}"
            );
        }
    }

    /// The help of `--coarse-to-fine` states the library's numbers.
    #[test]
    fn coarse_to_fine_help_matches_the_library() {
        use homodyne::coarse::{
            COARSE_FROM_POINTS, POINT_STRIDE_MIN, STAGE_BLOCK_POINTS, STAGE_TARGET_POINTS,
        };
        assert_eq!(COARSE_FROM_POINTS, 1_000_000);
        assert_eq!(STAGE_BLOCK_POINTS, 1024);
        assert_eq!(STAGE_TARGET_POINTS, 524_288);
        assert_eq!(POINT_STRIDE_MIN, 16);
        assert_eq!(
            CoarseToFine::Auto.point_strides(999_999),
            Vec::<usize>::new()
        );
        assert_eq!(CoarseToFine::Auto.point_strides(1_000_000), [16]);
        assert_eq!(CoarseToFine::Auto.point_strides(16_000_000), [16]);
        assert_eq!(CoarseToFine::Auto.point_strides(17_000_000), [32]);
    }

    /// The help of `--multistart-budget` states the library's default.
    #[test]
    fn multistart_budget_help_matches_the_library() {
        assert_eq!(homodyne::multistart::DEFAULT_START_NFEV, 100);
    }

    #[test]
    fn the_help_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! The settings of `homodyne curve` taken from its options: the parameters (`--p0`,
//! `--fix`, `--bounds`), the fit's settings (solver options, strategy, streaming), and the
//! checks made on them before any work.

use homodyne::distributed::Communicator;
use homodyne::prelude::*;
use homodyne::{
    CheckpointOptions, FitObserver, Multistart, MultistartFit, MultistartReport, StreamingOptions,
};

use crate::args::{CurveArgs, LossArg, MethodArg, StrategyArg, parse_assignments, parse_bounds};
use crate::checks::{self, InputError};
use crate::failure::{Failure, by_index, describe};
use crate::formula::Formula;

/// The parameters of `--p0`, with `--fix` and equal `--bounds` applied.
pub(crate) struct Parameters {
    /// Names, in `--p0` order.
    pub(crate) names: Vec<String>,
    /// Starting values (the held value for a held parameter).
    pub(crate) initial: Vec<f64>,
    /// `--fix`, one entry per parameter (empty when nothing is held by `--fix`).
    pub(crate) fixed: Vec<Option<f64>>,
    /// Lower bounds (`-inf` for none).
    pub(crate) lower: Vec<f64>,
    /// Upper bounds (`+inf` for none).
    pub(crate) upper: Vec<f64>,
    /// The bounds the fit gets.
    pub(crate) bounds: Bounds,
    /// `--x-scale`.
    pub(crate) x_scale: XScale,
}

impl Parameters {
    /// `--p0`, `--fix` and `--bounds` of `args`. A `--fix` or `--bounds` name that is not
    /// in `--p0` is an input error; a held value replaces the start.
    pub(crate) fn of(args: &CurveArgs) -> Result<Self, Failure> {
        let p0 = parse_assignments("--p0", &args.p0).map_err(Failure::input)?;
        let names: Vec<String> = p0.iter().map(|(n, _)| n.clone()).collect();
        let mut initial: Vec<f64> = p0.iter().map(|(_, v)| *v).collect();
        let mut fixed = Vec::new();
        if let Some(text) = &args.fix {
            fixed = vec![None; names.len()];
            for (name, value) in parse_assignments("--fix", text).map_err(Failure::input)? {
                let k = position(&names, &name, "--fix")?;
                fixed[k] = Some(value);
                initial[k] = value;
            }
        }
        let (lower, upper, bounds) = parse_bounds_option(args, &names)?;
        // Equal bounds hold the parameter at that value: the fit starts there.
        for k in 0..names.len() {
            if lower[k] == upper[k]
                && lower[k].is_finite()
                && fixed.get(k).is_none_or(Option::is_none)
            {
                initial[k] = lower[k];
            }
        }
        let x_scale = x_scale_option(args, &names)?;
        Ok(Self {
            names,
            initial,
            fixed,
            lower,
            upper,
            bounds,
            x_scale,
        })
    }

    /// Whether parameter `k` is held (by `--fix` or equal bounds).
    pub(crate) fn is_held(&self, k: usize) -> bool {
        matches!(self.fixed.get(k), Some(Some(_)))
            || (self.lower[k] == self.upper[k] && self.lower[k].is_finite())
    }

    /// The parameters the fit determines.
    pub(crate) fn n_free(&self) -> usize {
        (0..self.names.len()).filter(|&k| !self.is_held(k)).count()
    }
}

/// `--x-scale`: `jac` (or absent) for the Jacobian's scales, else a positive scale per
/// named parameter (1 for the others).
fn x_scale_option(args: &CurveArgs, names: &[String]) -> Result<XScale, Failure> {
    let Some(text) = args.x_scale.as_deref().map(str::trim) else {
        return Ok(XScale::Jac);
    };
    if text.eq_ignore_ascii_case("jac") {
        return Ok(XScale::Jac);
    }
    let mut scales = vec![1.0; names.len()];
    for (name, value) in parse_assignments("--x-scale", text).map_err(Failure::input)? {
        if value <= 0.0 {
            return Err(Failure::input(format!(
                "--x-scale: the scale of {name} must be positive (got {value})"
            )));
        }
        scales[position(names, &name, "--x-scale")?] = value;
    }
    Ok(XScale::Vector(scales))
}

/// The index of `name` in the `--p0` names; an input error naming `option` otherwise.
fn position(names: &[String], name: &str, option: &str) -> Result<usize, Failure> {
    names.iter().position(|n| n == name).ok_or_else(|| {
        Failure::input(format!(
            "{option} names '{name}', which is not a parameter in --p0 ({})",
            names.join(", ")
        ))
    })
}

/// Checks made before any data are read: the output paths can be written, and a
/// checkpoint is there to resume from (a notice when not).
pub(crate) fn check_before_work(args: &CurveArgs, leads: bool) -> Result<(), Failure> {
    if let Some(path) = &args.json {
        checks::output_file("--json", path)?;
    }
    if let Some(path) = &args.plot {
        checks::output_file("--plot", path)?;
    }
    if let (true, Some(dir)) = (args.resume, &args.checkpoint_dir)
        && leads
        && let Some(notice) = checks::resume_notice(dir)
    {
        eprintln!("homodyne: notice: {notice}");
    }
    Ok(())
}

/// Refuses a formula that uses none of the parameters; warns of each unused one that is
/// not held (the result reports it undetermined).
pub(crate) fn check_formula_parameters(
    args: &CurveArgs,
    formula: &Formula,
    parameters: &Parameters,
    leads: bool,
) -> Result<(), Failure> {
    let unused = formula.unused_params();
    if unused.len() == parameters.names.len() {
        return Err(InputError::NoParameters {
            names: parameters.names.clone(),
        }
        .into());
    }
    if !args.quiet && leads {
        for name in unused {
            let held = (parameters.names.iter().position(|n| *n == name))
                .is_some_and(|k| parameters.is_held(k));
            if !held {
                eprintln!(
                    "homodyne: warning: parameter '{name}' in --p0 is not used by the formula: \
                     the data cannot determine it (it is reported undetermined); drop it from \
                     --p0 or hold it with --fix {name}=VALUE"
                );
            }
        }
    }
    Ok(())
}

/// The multistart of `--multistart` (with `--multistart-seed`, default 0, and
/// `--multistart-budget`), `None` without it.
pub(crate) fn multistart_of(args: &CurveArgs) -> Option<Multistart> {
    args.multistart.over(None, 0).ok().flatten()
}

/// Refuses `--multistart` before any data are read where the library would refuse it
/// after loading them: with a STREAMING fit (`--strategy streaming`, `--checkpoint-dir`)
/// or `--distributed`, whose starts would each read all the data many times, and with a
/// free parameter whose `--bounds` are not finite on both sides (the starts are drawn
/// within the bounds).
pub(crate) fn check_multistart(
    args: &CurveArgs,
    parameters: &Parameters,
    distributed: bool,
) -> Result<(), Failure> {
    args.multistart.over(None, 0).map_err(Failure::input)?;
    if args.multistart.starts.is_none() {
        return Ok(());
    }
    let with = if args.checkpoint_dir.is_some() {
        Some("--checkpoint-dir (a STREAMING fit)")
    } else if args.strategy == StrategyArg::Streaming {
        Some("--strategy streaming")
    } else if distributed {
        Some("--distributed")
    } else {
        None
    };
    if let Some(with) = with {
        return Err(Failure::input(format!(
            "--multistart cannot run with {with}: a multistart fits points in memory in one \
             process (each start would read all the data many times); drop one of them"
        )));
    }
    let unbounded: Vec<usize> = (0..parameters.names.len())
        .filter(|&k| !parameters.is_held(k))
        .filter(|&k| !(parameters.lower[k].is_finite() && parameters.upper[k].is_finite()))
        .collect();
    if let Some(&k) = unbounded.first() {
        let names: Vec<&str> = unbounded
            .iter()
            .map(|&k| parameters.names[k].as_str())
            .collect();
        let name = &parameters.names[k];
        return Err(Failure::input(format!(
            "--multistart draws its starts within the bounds, but the free parameter {name} \
             has bounds [{}, {}]: give every free parameter finite lower and upper bounds \
             (not finite: {}), e.g. --bounds {name}=LO:HI, or hold it with --fix",
            parameters.lower[k],
            parameters.upper[k],
            names.join(", ")
        )));
    }
    Ok(())
}

/// Runs `fit`, from the starts of `--multistart` when given: the result, and the
/// multistart's report.
pub(crate) fn run_fit(
    fit: Fit<'_>,
    args: &CurveArgs,
) -> Result<(OptimizationResult, Option<MultistartReport>), OptimizationError> {
    match multistart_of(args) {
        Some(multistart) => {
            let MultistartFit { result, report } = multistart.run(&fit)?;
            Ok((result, Some(report)))
        }
        None => Ok((fit.run()?, None)),
    }
}

/// Whether the fit runs STREAMING: asked for, or implied by checkpoints.
pub(crate) fn is_streaming(args: &CurveArgs) -> bool {
    args.strategy == StrategyArg::Streaming || args.checkpoint_dir.is_some()
}

/// The lower and upper bounds of `--bounds` by parameter, and the `Bounds` they make.
fn parse_bounds_option(
    args: &CurveArgs,
    names: &[String],
) -> Result<(Vec<f64>, Vec<f64>, Bounds), Failure> {
    let mut lower = vec![f64::NEG_INFINITY; names.len()];
    let mut upper = vec![f64::INFINITY; names.len()];
    if let Some(text) = &args.bounds {
        for (name, lo, hi) in parse_bounds(text).map_err(Failure::input)? {
            let k = position(names, &name, "--bounds")?;
            lower[k] = lo;
            upper[k] = hi;
        }
    }
    let bounds =
        Bounds::new(lower.clone(), upper.clone()).map_err(|e| describe(&e, names, &by_index))?;
    Ok((lower, upper, bounds))
}

/// `fit` (the problem: the formula and its data) with the settings of the options: the
/// start, the bounds and `--fix`, `--method`, the solver options, `--absolute-sigma`,
/// `--coarse-to-fine`, the strategy (STREAMING with its batches and checkpoints, or the
/// one `--strategy` forces), the processes of an MPI job (`communicator`) and the progress
/// bar (`observer`).
pub(crate) fn settings<'a>(
    fit: Fit<'a>,
    args: &CurveArgs,
    parameters: &Parameters,
    communicator: Option<&'a dyn Communicator>,
    observer: &'a dyn FitObserver,
) -> Fit<'a> {
    let fit = fit
        .p0(&parameters.initial)
        .bounds(&parameters.bounds)
        .fixed(&parameters.fixed)
        .absolute_sigma(args.absolute_sigma)
        .method(method_of(args))
        .options(solver_options(args, parameters))
        .coarse_to_fine(args.coarse_to_fine.clone())
        .observer(observer);
    let fit = match communicator {
        Some(communicator) => fit.communicator(communicator),
        None => fit,
    };
    if is_streaming(args) {
        fit.streaming(streaming_options(args))
    } else {
        match strategy_of(args) {
            Some(strategy) => fit.strategy(strategy),
            None => fit,
        }
    }
}

/// The solver options of the options (the tolerances, `--max-nfev`, `--x-scale`, the loss
/// and its scale). Out-of-range values are refused by the library as invalid input (exit
/// status 2).
fn solver_options(args: &CurveArgs, parameters: &Parameters) -> SolverOptions {
    let defaults = SolverOptions::default();
    SolverOptions {
        ftol: args.ftol.unwrap_or(defaults.ftol),
        xtol: args.xtol.unwrap_or(defaults.xtol),
        gtol: args.gtol.unwrap_or(defaults.gtol),
        max_nfev: args.max_nfev.or(defaults.max_nfev),
        x_scale: parameters.x_scale.clone(),
        loss: match args.loss {
            LossArg::Linear => Loss::Linear,
            LossArg::SoftL1 => Loss::SoftL1,
            LossArg::Huber => Loss::Huber,
            LossArg::Cauchy => Loss::Cauchy,
            LossArg::Arctan => Loss::Arctan,
        },
        f_scale: args.f_scale,
        ..defaults
    }
}

/// The strategy `--strategy` forces on an in-memory fit (`None`: chosen from the size).
fn strategy_of(args: &CurveArgs) -> Option<OptimizationStrategy> {
    match args.strategy {
        StrategyArg::Auto | StrategyArg::Streaming => None,
        StrategyArg::Standard => Some(OptimizationStrategy::Standard),
        StrategyArg::Large => Some(OptimizationStrategy::Large),
        StrategyArg::Chunked => Some(OptimizationStrategy::Chunked),
    }
}

/// `--method`.
fn method_of(args: &CurveArgs) -> Method {
    match args.method {
        MethodArg::Trf => Method::Trf,
        MethodArg::Lm => Method::Lm,
    }
}

/// The streaming settings of the options (batch size, checkpoints, resume).
fn streaming_options(args: &CurveArgs) -> StreamingOptions {
    StreamingOptions {
        batch_size: args.batch_size,
        checkpoint: args.checkpoint_dir.as_ref().map(|dir| CheckpointOptions {
            frequency: args.checkpoint_every,
            resume: args.resume,
            ..CheckpointOptions::new(dir)
        }),
        ..StreamingOptions::default()
    }
}

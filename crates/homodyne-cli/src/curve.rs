//! `homodyne curve`: fit a formula to columns of a data file.

use std::io::IsTerminal;
use std::path::Path;

use homodyne::prelude::*;
use homodyne::{FitObserver, MultistartReport};

use crate::args::{CurveArgs, is_identifier};
use crate::checks;
use crate::data::{Format, Table};
pub use crate::failure::Failure;
use crate::failure::{Locate, describe};
use crate::formula::Formula;
use crate::plot::{PlotData, write_png};
use crate::processes::Processes;
use crate::progress::Progress;
use crate::report::{self, FitContext};
use crate::settings::{
    Parameters, check_before_work, check_formula_parameters, check_multistart, is_streaming,
    run_fit, settings,
};
use homodyne::DataSource;
use homodyne_data::Hdf5Source;

/// Runs `homodyne curve`; returns the exit status on success (0), or the failure.
pub fn run(args: &CurveArgs) -> Result<(), Failure> {
    let processes = Processes::start(&args.processes)?;
    run_on(args, &processes).map_err(|failure| processes.name(failure))
}

/// `homodyne curve` on `processes` (this process alone, or an MPI job: every process fits
/// its share of the points, rank 0 reports).
fn run_on(args: &CurveArgs, processes: &Processes) -> Result<(), Failure> {
    let leads = processes.leads();
    let parameters = Parameters::of(args)?;
    check_before_work(args, leads)?;
    check_multistart(args, &parameters, processes.distributed())?;
    let names = &parameters.names;

    let x_column = args.x.clone().unwrap_or_else(|| "x".to_string());
    let y_column = args.y.clone().unwrap_or_else(|| "y".to_string());
    let mut datasets = vec![x_column.clone(), y_column.clone()];
    datasets.extend(args.sigma.clone());
    // From an HDF5 file, a streaming fit reads batches from the file on every pass, and a
    // distributed fit reads each process's share (a hyperslab): neither loads the file.
    if (is_streaming(args) || processes.distributed())
        && args.plot.is_none()
        && Format::of(&args.data) == Format::Hdf5
    {
        return run_hdf5_source(args, &parameters, &x_column, &y_column, processes);
    }
    // A distributed fit of a .npy table of columns x, y (and c2 as --sigma) reads each
    // process's share of its rows.
    if processes.distributed()
        && args.plot.is_none()
        && Format::of(&args.data) == Format::Npy
        && let Some(source) =
            crate::data::source::npy_table(&args.data, &x_column, &y_column, args.sigma.as_deref())
                .map_err(|e| Failure::input(e.to_string()))?
    {
        let variables = vec!["x".to_string()];
        return run_source(args, &parameters, &source, &variables, "x", processes);
    }
    let table = Table::load(&args.data, &datasets).map_err(|e| Failure::input(e.to_string()))?;

    // The names a formula may use: the columns that are identifiers, and `x` for --x.
    let mut variables: Vec<(String, String)> = table
        .columns
        .iter()
        .filter(|c| is_identifier(c))
        .map(|c| (c.clone(), c.clone()))
        .collect();
    if args.x.is_some() && x_column != "x" {
        table
            .column(&x_column)
            .map_err(|e| Failure::input(e.to_string()))?;
        variables.retain(|(name, _)| name != "x");
        variables.push(("x".to_string(), x_column.clone()));
    }
    // A column named like a parameter is shadowed by the parameter.
    variables.retain(|(name, _)| !names.contains(name));
    let variable_names: Vec<String> = variables.iter().map(|(n, _)| n.clone()).collect();

    let formula = Formula::parse(&args.formula, names, &variable_names)
        .map_err(|e| Failure::input(e.to_string()))?;
    check_formula_parameters(args, &formula, &parameters, leads)?;

    let y = table
        .column(&y_column)
        .map_err(|e| Failure::input(e.to_string()))?;
    table
        .check_finite(&y_column)
        .map_err(|e| Failure::input(e.to_string()))?;
    let columns: Vec<&[f64]> = formula
        .variables()
        .iter()
        .map(|v| {
            let column = &variables
                .iter()
                .find(|(name, _)| name == v)
                .ok_or_else(|| {
                    Failure::input(format!("the formula's variable '{v}' has no column"))
                })?
                .1;
            table
                .check_finite(column)
                .map_err(|e| Failure::input(e.to_string()))?;
            table
                .column(column)
                .map_err(|e| Failure::input(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let n = y.len();
    checks::enough_points(&args.data.display().to_string(), n, parameters.n_free())?;
    let mut xdata = Vec::with_capacity(n * columns.len().max(1));
    if columns.is_empty() {
        // A formula of the parameters alone still reads one (unused) value per point.
        xdata.resize(n * formula.x_dim(), 0.0);
    }
    for i in 0..n {
        for c in &columns {
            xdata.push(c[i]);
        }
    }
    let sigma = match &args.sigma {
        Some(name) => {
            table
                .check_finite(name)
                .map_err(|e| Failure::input(e.to_string()))?;
            Some(
                table
                    .column(name)
                    .map_err(|e| Failure::input(e.to_string()))?,
            )
        }
        None => None,
    };
    let points = Points {
        xdata: &xdata,
        y,
        sigma,
    };

    let progress = Progress::new();
    let show_progress = leads && !args.quiet && std::io::stderr().is_terminal();
    let observer: &dyn FitObserver = if show_progress {
        &progress
    } else {
        &homodyne::NoObserver
    };
    // In memory with the strategy of --strategy; batch by batch, with the checkpoints and
    // resume of STREAMING, when asked for; under MPI every process loaded the table and
    // fits its share of the points.
    let outcome = processes.run(|communicator| {
        let fit = Fit::curve(&formula, points.xdata, points.y);
        let fit = match points.sigma {
            Some(sigma) => fit.sigma(sigma),
            None => fit,
        };
        run_fit(
            settings(fit, args, &parameters, communicator, observer),
            args,
        )
    });
    progress.finish();
    let locate = |row: usize| table.locate_row(row);
    let (result, multistart) = outcome.map_err(|e| describe(&e, names, &locate))?;
    if !result.chi_squared.is_finite() {
        return Err(overflow(&formula, &result, &points, &locate));
    }
    if !leads {
        return converged(&result);
    }

    report_result(args, &result, multistart.as_ref(), &parameters)?;
    if let Some(path) = &args.plot {
        let x_label = formula.variables().first().cloned().unwrap_or(x_column);
        plot(
            path,
            &formula,
            &result.parameters,
            &points,
            &x_label,
            &y_column,
        )?;
    }
    converged(&result)
}

/// Prints the report with its diagnostics (unless `--quiet`) and writes `--json`, each
/// with the multistart's record when one ran.
fn report_result(
    args: &CurveArgs,
    result: &OptimizationResult,
    multistart: Option<&MultistartReport>,
    parameters: &Parameters,
) -> Result<(), Failure> {
    let data_label = args.data.display().to_string();
    let ctx = FitContext {
        formula: &args.formula,
        data: &data_label,
        names: &parameters.names,
        initial: &parameters.initial,
        lower: &parameters.lower,
        upper: &parameters.upper,
        multistart,
    };
    // Warnings do not change the exit status: a converged fit with warnings exits 0.
    let diagnostics = report::diagnose(result, &ctx).map_err(|e| Failure::fit(e.to_string()))?;
    if !args.quiet {
        print!("{}", report::text(result, &ctx, &diagnostics));
    }
    if let Some(path) = &args.json {
        let document = serde_json::to_string_pretty(&report::json(result, &ctx, &diagnostics))
            .map_err(|e| Failure::fit(e.to_string()))?;
        std::fs::write(path, document + "\n")
            .map_err(|e| Failure::fit(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Exit status 1 when the fit did not converge (its best parameters were reported), with
/// what to try.
fn converged(result: &OptimizationResult) -> Result<(), Failure> {
    if result.converged() {
        return Ok(());
    }
    Err(Failure::fit(report::not_converged(result, true)))
}

/// `--strategy streaming` or `--distributed` on an HDF5 file without `--plot`: the
/// datasets are read from the file (`homodyne_data::Hdf5Source`), never loaded whole:
/// batch by batch on every pass (streaming), or each process's share once (distributed),
/// so files larger than one machine's memory can be fitted. The formula may use one
/// variable, the x dataset (as `x`, or by its name when that is an identifier).
fn run_hdf5_source(
    args: &CurveArgs,
    parameters: &Parameters,
    x_column: &str,
    y_column: &str,
    processes: &Processes,
) -> Result<(), Failure> {
    let source = Hdf5Source::open(&args.data, x_column, y_column, args.sigma.as_deref())
        .map_err(|e| Failure::input(e.to_string()))?;
    let short = x_column.trim_start_matches('/');
    let mut variable_names = vec!["x".to_string()];
    if is_identifier(short) && short != "x" && !parameters.names.iter().any(|n| n == short) {
        variable_names.push(short.to_string());
    }
    run_source(
        args,
        parameters,
        &source,
        &variable_names,
        x_column,
        processes,
    )
}

/// The fit of `source`'s points, read from their file (see [`run_hdf5_source`]): the
/// formula may use `variable_names`, all naming the one x column `x_column`.
fn run_source(
    args: &CurveArgs,
    parameters: &Parameters,
    source: &dyn DataSource,
    variable_names: &[String],
    x_column: &str,
    processes: &Processes,
) -> Result<(), Failure> {
    let leads = processes.leads();
    let names = &parameters.names;
    let formula = Formula::parse(&args.formula, names, variable_names)
        .map_err(|e| Failure::input(e.to_string()))?;
    if formula.variables().len() > 1 {
        return Err(Failure::input(format!(
            "reading a file batch by batch or by shares reads one x dataset ({x_column}), \
             but the formula uses {}; give --plot, or drop --strategy streaming and \
             --distributed, to load the data instead",
            formula.variables().join(", ")
        )));
    }
    check_formula_parameters(args, &formula, parameters, leads)?;
    let progress = Progress::new();
    let observer: &dyn FitObserver = if leads && !args.quiet && std::io::stderr().is_terminal() {
        &progress
    } else {
        &homodyne::NoObserver
    };
    // Batch by batch (STREAMING), or each process's share under MPI.
    let outcome = processes.run(|communicator| {
        let fit = settings(
            Fit::source(&formula, source),
            args,
            parameters,
            communicator,
            observer,
        );
        run_fit(fit, args)
    });
    progress.finish();
    let file = args.data.display().to_string();
    let locate = move |row: usize| format!("{file}: row {row} (counting from 0)");
    let locate: Locate<'_> = &locate;
    let (result, multistart) = outcome.map_err(|e| describe(&e, names, locate))?;
    if leads {
        report_result(args, &result, multistart.as_ref(), parameters)?;
    }
    converged(&result)
}

/// The points of a table fitted in memory: `xdata` holds the formula's variables point
/// after point, `y` the observations and `sigma` their uncertainties.
struct Points<'a> {
    xdata: &'a [f64],
    y: &'a [f64],
    sigma: Option<&'a [f64]>,
}

/// The failure of a fit whose sum of squares is not finite: the first residual whose
/// square overflows (or that is not finite), located in the data file.
fn overflow(
    formula: &Formula,
    result: &OptimizationResult,
    points: &Points<'_>,
    locate: Locate<'_>,
) -> Failure {
    let Points { xdata, y, sigma } = *points;
    let mut fitted = vec![0.0; y.len()];
    formula.eval(xdata, &result.parameters, &mut fitted);
    let residual = |i: usize| (fitted[i] - y[i]) / sigma.map_or(1.0, |s| s[i]);
    let Some(i) = (0..y.len()).find(|&i| !(residual(i) * residual(i)).is_finite()) else {
        return Failure::fit("the fit failed: the sum of squared residuals is not finite");
    };
    Failure::fit(format!(
        "the fit failed: the sum of squared residuals is not finite: the residual at {} (data \
         point {}) is {:e}, whose square overflows: rescale the data (a weighted residual \
         beyond 1e154 cannot be squared) or fix the value",
        locate(i),
        i + 1,
        residual(i)
    ))
}

/// Writes the `--plot` PNG: data against the first variable, the fitted curve (on a fine
/// grid when the formula has one variable) and the residuals, titled with the formula.
fn plot(
    path: &Path,
    formula: &Formula,
    parameters: &[f64],
    points: &Points<'_>,
    x_label: &str,
    y_label: &str,
) -> Result<(), Failure> {
    let Points { xdata, y, sigma } = *points;
    let d = formula.x_dim();
    let x: Vec<f64> = xdata.iter().step_by(d).copied().collect();
    let mut fitted = vec![0.0; y.len()];
    formula.eval(xdata, parameters, &mut fitted);
    let curve = if d == 1 && formula.variables().len() == 1 {
        let (lo, hi) = x
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let grid: Vec<f64> = (0..400)
            .map(|i| lo + (hi - lo) * i as f64 / 399.0)
            .collect();
        let mut values = vec![0.0; grid.len()];
        formula.eval(&grid, parameters, &mut values);
        Some((grid, values))
    } else {
        None
    };
    let data = PlotData {
        x: &x,
        y,
        sigma,
        fitted: &fitted,
        curve: curve.as_ref().map(|(g, v)| (g.as_slice(), v.as_slice())),
        x_label,
        y_label,
        title: formula.source(),
    };
    write_png(path, &data, 900, 700).map_err(|e| Failure::fit(e.to_string()))
}

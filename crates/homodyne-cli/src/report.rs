//! The fit report on stdout (in the spirit of lmfit's) and the `--json` result.

use std::fmt::Write as _;

use homodyne::OptimizationResult;
use serde_json::{Map, Value, json};

/// What the report says about the fit besides the result itself.
#[derive(Debug, Clone)]
pub struct FitContext<'a> {
    /// The formula as typed.
    pub formula: &'a str,
    /// The data file, as given.
    pub data: &'a str,
    /// Parameter names in `--p0` order.
    pub names: &'a [String],
    /// Starting values.
    pub initial: &'a [f64],
    /// Lower bounds (`-inf` for none).
    pub lower: &'a [f64],
    /// Upper bounds (`+inf` for none).
    pub upper: &'a [f64],
}

/// A number with `digits` significant digits: plain notation for magnitudes in
/// `[1e-3, 1e7)`, scientific (`1.234e-05`) otherwise.
pub fn format_number(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let magnitude = v.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let integer_digits = if magnitude == 0.0 {
            1
        } else {
            magnitude.log10().floor() as i64 + 1
        };
        let decimals = (digits as i64 - integer_digits).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        let text = format!("{v:.prec$e}", prec = digits.saturating_sub(1));
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let exponent: i32 = exponent.parse().unwrap_or(0);
                format!(
                    "{mantissa}e{}{:02}",
                    if exponent < 0 { '-' } else { '+' },
                    exponent.abs()
                )
            }
            None => text,
        }
    }
}

/// Which bound, if any, a parameter ended at (within a relative 1e-8 of its size).
fn at_bound(value: f64, lower: f64, upper: f64) -> Option<&'static str> {
    let tol = |b: f64| 1e-8 * b.abs().max(1e-300).max(value.abs());
    if lower.is_finite() && value - lower <= tol(lower) {
        Some("at lower bound")
    } else if upper.is_finite() && upper - value <= tol(upper) {
        Some("at upper bound")
    } else {
        None
    }
}

/// Correlation `C_ij / sqrt(C_ii C_jj)`, NaN when undefined.
fn correlation(result: &OptimizationResult, i: usize, j: usize) -> f64 {
    let c = &result.covariance.matrix;
    c[(i, j)] / (c[(i, i)] * c[(j, j)]).sqrt()
}

/// The human-readable report.
pub fn text(result: &OptimizationResult, ctx: &FitContext<'_>) -> String {
    let n_params = result.parameters.len();
    let dof = result.n_points.saturating_sub(n_params);
    let mut out = String::new();
    let _ = writeln!(out, "[[Fit]]");
    let _ = writeln!(out, "    formula            = {}", ctx.formula);
    let _ = writeln!(
        out,
        "    data               = {} ({} points)",
        ctx.data, result.n_points
    );
    let _ = writeln!(
        out,
        "    method             = {} ({} strategy)",
        result.method, result.strategy
    );
    for note in &result.strategy_notes {
        let _ = writeln!(out, "    strategy note      = {note}");
    }
    if let Some(d) = &result.streaming_diagnostics {
        let _ = writeln!(
            out,
            "    streaming          = {} batches of {} points, {} passes, {} batches read",
            d.n_batches, d.batch_size, d.passes, d.total_batches_processed
        );
        for (b, why) in d.failed_batch_indices.iter().zip(&d.failed_batch_reasons) {
            let _ = writeln!(out, "    excluded batch     = {b}: {why}");
        }
        if d.checkpoints_written > 0 || !d.checkpoint_errors.is_empty() {
            let _ = writeln!(
                out,
                "    checkpoints        = {} written, {} failed",
                d.checkpoints_written,
                d.checkpoint_errors.len()
            );
        }
        if let Some(path) = &d.resumed_from {
            let _ = writeln!(out, "    resumed from       = {path}");
        }
    }
    let _ = writeln!(
        out,
        "    status             = {}: {}",
        result.convergence_status, result.termination_reason
    );
    let _ = writeln!(out, "    function evals     = {}", result.nfev);
    let _ = writeln!(out, "    iterations         = {}", result.iterations);
    let _ = writeln!(
        out,
        "    chi-square         = {}",
        format_number(result.chi_squared, 10)
    );
    let _ = writeln!(
        out,
        "    reduced chi-square = {}",
        format_number(result.reduced_chi_squared, 10)
    );
    let _ = writeln!(out, "    degrees of freedom = {dof}");
    let _ = writeln!(
        out,
        "    wall time          = {:.3} ms",
        result.wall_time.as_secs_f64() * 1e3
    );
    if !result.covariance.is_full_rank() {
        let _ = writeln!(
            out,
            "    warning            = the Jacobian has rank {} of {n_params}: some parameters are not identifiable",
            result.covariance.rank
        );
    }
    let _ = writeln!(out, "[[Variables]]");
    let width = ctx.names.iter().map(String::len).max().unwrap_or(1);
    for k in 0..n_params {
        let (value, err) = (result.parameters[k], result.uncertainties[k]);
        let relative = if value != 0.0 {
            format!(" ({:.2}%)", 100.0 * (err / value).abs())
        } else {
            String::new()
        };
        let flag = at_bound(value, ctx.lower[k], ctx.upper[k])
            .map(|f| format!(" [{f}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:<width$}  {:>16} +/- {}{relative} (init = {}){flag}",
            format!("{}:", ctx.names[k]),
            format_number(value, 10),
            format_number(err, 5),
            ctx.initial[k],
            width = width + 1
        );
    }
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    for i in 0..n_params {
        for j in i + 1..n_params {
            let r = correlation(result, i, j);
            if r.abs() > 0.1 {
                pairs.push((i, j, r));
            }
        }
    }
    pairs.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()));
    let _ = writeln!(
        out,
        "[[Correlations]] (unreported correlations are < 0.100)"
    );
    for (i, j, r) in pairs {
        let _ = writeln!(out, "    C({}, {}) = {r:+.4}", ctx.names[i], ctx.names[j]);
    }
    out
}

/// The `--json` document: parameters in `--p0` order with value, uncertainty and initial
/// value, the covariance, the fit statistics and the run's metadata.
pub fn json(result: &OptimizationResult, ctx: &FitContext<'_>) -> Value {
    let mut parameters = Map::new();
    for (k, name) in ctx.names.iter().enumerate() {
        parameters.insert(
            name.clone(),
            json!({
                "value": result.parameters[k],
                "uncertainty": finite_or_null(result.uncertainties[k]),
                "initial": ctx.initial[k],
                "at_bound": at_bound(result.parameters[k], ctx.lower[k], ctx.upper[k]),
            }),
        );
    }
    let n = result.parameters.len();
    let covariance: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| finite_or_null(result.covariance.matrix[(i, j)]))
                .collect()
        })
        .collect();
    json!({
        "formula": ctx.formula,
        "data": ctx.data,
        "parameters": parameters,
        "covariance": covariance,
        "covariance_rank": result.covariance.rank,
        "chi_squared": result.chi_squared,
        "reduced_chi_squared": finite_or_null(result.reduced_chi_squared),
        "degrees_of_freedom": result.n_points.saturating_sub(n),
        "n_points": result.n_points,
        "iterations": result.iterations,
        "nfev": result.nfev,
        "njev": result.njev,
        "convergence_status": result.convergence_status.to_string(),
        "termination_reason": format!("{:?}", result.termination_reason),
        "strategy": result.strategy.to_string(),
        "strategy_notes": result.strategy_notes,
        "streaming_diagnostics": result.streaming_diagnostics,
        "method": result.method.to_string(),
        "wall_time_s": result.wall_time.as_secs_f64(),
    })
}

/// JSON has no NaN or infinity: those become `null`.
fn finite_or_null(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_lmfit() {
        assert_eq!(format_number(238.94212918, 10), "238.9421292");
        assert_eq!(format_number(5.5015643180e-4, 6), "5.50156e-04");
        assert_eq!(format_number(1.5e12, 3), "1.50e+12");
        assert_eq!(format_number(0.0, 4), "0.000");
        assert_eq!(format_number(-0.0123, 4), "-0.01230");
    }

    #[test]
    fn bound_flags() {
        assert_eq!(at_bound(0.0, 0.0, 1.0), Some("at lower bound"));
        assert_eq!(at_bound(1.0 - 1e-12, 0.0, 1.0), Some("at upper bound"));
        assert_eq!(at_bound(0.5, 0.0, 1.0), None);
        assert_eq!(at_bound(0.5, f64::NEG_INFINITY, f64::INFINITY), None);
    }
}

//! The fit report on stdout (in the spirit of lmfit's) and the `--json` result, both with
//! the fit's identifiability diagnostics ([`homodyne::diagnostics`]): AIC, BIC, the
//! correlations, and warnings that name the parameters with what to try.

use std::fmt::Write as _;

use homodyne::coarse::{self, STAGE_BLOCK_POINTS};
use homodyne::diagnostics::{Diagnostics, correlation_text};
use homodyne::{
    CoarseStage, MultistartReport, OptimizationError, OptimizationResult, ParameterFlag,
};
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
    /// The multistart's report, when `--multistart` ran one.
    pub multistart: Option<&'a MultistartReport>,
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

/// The flag of parameter `k`: fixed and undetermined from the library; else the bound it
/// ended on, if any; else the library's flag (free, at start).
pub fn flag_of(result: &OptimizationResult, k: usize, lower: f64, upper: f64) -> String {
    match result.parameter_flags.get(k) {
        Some(ParameterFlag::Fixed) => "fixed".to_string(),
        Some(ParameterFlag::Undetermined) => "undetermined".to_string(),
        other => match at_bound(result.parameters[k], lower, upper) {
            Some(bound) => bound.to_string(),
            None => other.map_or("free".to_string(), ToString::to_string),
        },
    }
}

/// Whether the uncertainty of parameter `k` means something (not fixed, not undetermined,
/// finite).
pub fn has_uncertainty(result: &OptimizationResult, k: usize) -> bool {
    !matches!(
        result.parameter_flags.get(k),
        Some(ParameterFlag::Fixed | ParameterFlag::Undetermined)
    ) && result.uncertainties[k].is_finite()
}

/// The exit message of a fit that did not converge: the status, why it stopped, the
/// optimality, and what to try (with the `homodyne curve` options that do it when
/// `curve_options`).
pub fn not_converged(result: &OptimizationResult, curve_options: bool) -> String {
    let mut message = format!(
        "the fit {}: {} after {} evaluations (optimality {}, largest column cosine {}); \
         the best parameters found are reported",
        match result.convergence_status {
            homodyne::ConvergenceStatus::Stalled => "stalled".to_string(),
            other => format!("did not converge ({other})"),
        },
        result.termination_reason,
        result.nfev,
        format_number(result.optimality, 3),
        format_number(result.gradient_cosine, 3),
    );
    if let Some(advice) = result.convergence_status.advice() {
        message.push_str(&format!("\n  what to try: {advice}"));
        message.push_str(match result.convergence_status {
            _ if !curve_options => "",
            homodyne::ConvergenceStatus::Stalled => {
                "\n  (homodyne curve options: --p0, --x-scale, --ftol, --xtol)"
            }
            _ => "\n  (homodyne curve options: --max-nfev, --p0)",
        });
    }
    message
}

/// The evaluations of every attempt, when there were retries: `"3 attempts: 40 + 12 + 9"`.
fn per_attempt(
    result: &OptimizationResult,
    count: impl Fn(&homodyne::AttemptSummary) -> usize,
) -> String {
    if result.attempts.len() <= 1 {
        return String::new();
    }
    let parts: Vec<String> = result
        .attempts
        .iter()
        .map(|a| count(a).to_string())
        .collect();
    format!(
        " ({} attempts: {})",
        result.attempts.len(),
        parts.join(" + ")
    )
}

/// One coarse stage in words: its subset, how its fit ended, whether the fit of all the
/// points started from it, and its time (`every 16th block of 1024 points (62464
/// points): converged in 9 iterations (12 evaluations), kept, 0.021 s`).
fn stage_text(stage: &CoarseStage) -> String {
    let outcome = match &stage.result {
        Ok(r) => format!(
            "{} in {} iterations ({} evaluations)",
            r.convergence_status, r.iterations, r.nfev
        ),
        Err(e) => format!("failed ({})", crate::failure::without_context(e)),
    };
    let kept = if stage.used {
        "kept"
    } else if stage.result.is_ok() {
        "not kept (the cost of all the points was not lower)"
    } else {
        "not kept"
    };
    format!(
        "every {} block of {STAGE_BLOCK_POINTS} points ({} points): {outcome}, {kept}, {:.3} s",
        ordinal(stage.stride),
        stage.n_points,
        stage.seconds
    )
}

/// `1st`, `2nd`, `3rd`, `4th`, ..., `11th`, `12th`, `13th`, ..., `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// One coarse stage in `coarse_stages` of the `--json` document ([`coarse::stage_json`]),
/// its status as the text report writes it (`max evaluations reached`).
fn stage_json(stage: &CoarseStage) -> Value {
    coarse::stage_json(stage, |status| status.to_string())
}

/// Correlations below this magnitude are left out of the text report, as lmfit's
/// `fit_report(min_correl=0.1)` leaves them.
pub const MIN_REPORTED_CORRELATION: f64 = 0.1;

/// The diagnostics of `result` with the parameter names and bounds of `ctx`.
///
/// # Errors
///
/// The result and `ctx` disagree on the number of parameters.
pub fn diagnose(
    result: &OptimizationResult,
    ctx: &FitContext<'_>,
) -> Result<Diagnostics, OptimizationError> {
    Diagnostics::of(result, ctx.names)
        .bounds(ctx.lower, ctx.upper)
        .compute()
}

/// A multistart in words: its starts and seed, the start finished, and how many starts
/// reached the best basin.
fn multistart_text(report: &MultistartReport) -> String {
    let n = report.n_candidates();
    format!(
        "{n} starts (--p0 and {} of a Latin hypercube, seed {}, at most {} evaluations \
         each): start {} finished; {} of {n} reached the best basin",
        n.saturating_sub(1),
        report.seed,
        report.budget,
        report.best,
        report.in_best_basin
    )
}

/// The human-readable report: the fit's statistics with AIC and BIC, the variables, the
/// correlations above [`MIN_REPORTED_CORRELATION`] (largest first) and every warning of
/// `diagnostics` with what to try.
pub fn text(
    result: &OptimizationResult,
    ctx: &FitContext<'_>,
    diagnostics: &Diagnostics,
) -> String {
    let n_params = result.parameters.len();
    let n_varied = n_params - result.fixed().len();
    let dof = result.n_points.saturating_sub(n_varied);
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
    if let Some(advice) = result.convergence_status.advice() {
        let _ = writeln!(out, "    what to try        = {advice}");
    }
    let _ = writeln!(
        out,
        "    optimality         = {} (largest column cosine {})",
        format_number(result.optimality, 4),
        format_number(result.gradient_cosine, 4)
    );
    // Each count with, after several attempts, its share per attempt.
    type Count = fn(&homodyne::AttemptSummary) -> usize;
    let counts: [(&str, usize, Count); 3] = [
        ("function evals", result.nfev, |a| a.nfev),
        ("Jacobian evals", result.njev, |a| a.njev),
        ("iterations", result.iterations, |a| a.iterations),
    ];
    for (label, total, count) in counts {
        let _ = writeln!(
            out,
            "    {label:<18} = {total}{}",
            per_attempt(result, count)
        );
    }
    for action in &result.recovery_actions {
        let _ = writeln!(
            out,
            "    retry {:<12} = {} (after: {})",
            action.attempt,
            action.action,
            crate::failure::without_context(&action.trigger)
        );
    }
    // The stages ran before the fit: their iterations are not in the counts above.
    for stage in &result.stages {
        let _ = writeln!(out, "    coarse stage       = {}", stage_text(stage));
    }
    if let Some(multistart) = ctx.multistart {
        let _ = writeln!(
            out,
            "    multistart         = {}",
            multistart_text(multistart)
        );
    }
    let statistics = [
        ("chi-square", result.chi_squared),
        ("reduced chi-square", result.reduced_chi_squared),
        ("Akaike info crit", diagnostics.aic),
        ("Bayesian info crit", diagnostics.bic),
    ];
    for (label, value) in statistics {
        let _ = writeln!(out, "    {label:<18} = {}", format_number(value, 10));
    }
    let _ = writeln!(out, "    degrees of freedom = {dof}");
    let _ = writeln!(
        out,
        "    wall time          = {:.3} ms",
        result.wall_time.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        out,
        "    uncertainties      = {}",
        result.sigma_convention()
    );
    for note in &result.notes {
        let _ = writeln!(out, "    note               = {note}");
    }
    // A deficiency the undetermined flags do not account for.
    if result.covariance.rank + result.undetermined().len() < n_varied {
        let _ = writeln!(
            out,
            "    warning            = the Jacobian has rank {} of {n_varied} varied parameters: \
             some parameters are not identifiable",
            result.covariance.rank
        );
    }
    let _ = writeln!(out, "[[Variables]]");
    let width = ctx.names.iter().map(String::len).max().unwrap_or(1);
    for k in 0..n_params {
        let (value, err) = (result.parameters[k], result.uncertainties[k]);
        let name = format!("{}:", ctx.names[k]);
        let value_text = format!("{:>16}", format_number(value, 10));
        let line = match result.parameter_flags.get(k) {
            Some(ParameterFlag::Fixed) => format!("{value_text} (fixed)"),
            Some(ParameterFlag::Undetermined) => format!(
                "{value_text} undetermined (init = {}): the data do not determine it",
                ctx.initial[k]
            ),
            _ => {
                let relative = if value != 0.0 && err.is_finite() {
                    format!(" ({:.2}%)", 100.0 * (err / value).abs())
                } else {
                    String::new()
                };
                let flag = at_bound(value, ctx.lower[k], ctx.upper[k])
                    .map(|f| format!(" [{f}]"))
                    .unwrap_or_default();
                format!(
                    "{value_text} +/- {}{relative} (init = {}){flag}",
                    format_number(err, 5),
                    ctx.initial[k]
                )
            }
        };
        let _ = writeln!(out, "    {name:<width$}  {line}", width = width + 1);
    }
    let _ = writeln!(
        out,
        "[[Correlations]] (unreported correlations are < {MIN_REPORTED_CORRELATION:.3})"
    );
    for (i, j, r) in diagnostics
        .correlation
        .pairs_above(MIN_REPORTED_CORRELATION)
    {
        let _ = writeln!(
            out,
            "    C({}, {}) = {}",
            ctx.names[i],
            ctx.names[j],
            correlation_text(r)
        );
    }
    if !diagnostics.warnings.is_empty() {
        let _ = writeln!(out, "[[Warnings]]");
        for warning in &diagnostics.warnings {
            let _ = writeln!(out, "    warning: {warning}");
            let _ = writeln!(out, "      what to try: {}", warning.advice());
        }
    }
    out
}

/// The `--json` document: parameters in `--p0` order with value, uncertainty, flag and
/// initial value, the covariance, the fit statistics, the totals and each attempt's
/// figures, the coarse stages (`coarse_stages`: `stride`, `n_points`,
/// `convergence_status`, `iterations`, `nfev`, `used`, `seconds`, and `error` for a failed
/// one), the run's metadata, and `diagnostics` ([`Diagnostics::to_json`]: `aic`, `bic`,
/// `n_points`, `n_varying`, `correlation` {`names`, `matrix`}, `warnings` [{`kind`,
/// `parameters`, `message`, `advice`}]), and `multistart`
/// ([`MultistartReport::to_json`], the statuses named as `convergence_status`) only when a
/// multistart ran.
///
/// JSON has no NaN or infinity: every number that is not finite is `null` (serde_json
/// converts them so). A parameter's `"uncertainty"` is `null` when it is fixed or
/// undetermined (its `"flag"` says which) and whenever it is not finite; `"flag"` is one of `free`,
/// `at start`, `at lower bound`, `at upper bound`, `fixed`, `undetermined`.
pub fn json(result: &OptimizationResult, ctx: &FitContext<'_>, diagnostics: &Diagnostics) -> Value {
    let mut document = fit_json(result, ctx, diagnostics);
    if let (Some(multistart), Some(object)) = (ctx.multistart, document.as_object_mut()) {
        object.insert(
            "multistart".to_string(),
            multistart.to_json(|status| status.to_string()),
        );
    }
    document
}

/// The `--json` document without the multistart (see [`json`]).
fn fit_json(result: &OptimizationResult, ctx: &FitContext<'_>, diagnostics: &Diagnostics) -> Value {
    let mut parameters = Map::new();
    for (k, name) in ctx.names.iter().enumerate() {
        let uncertainty = if has_uncertainty(result, k) {
            json!(result.uncertainties[k])
        } else {
            Value::Null
        };
        parameters.insert(
            name.clone(),
            json!({
                "value": result.parameters[k],
                "uncertainty": uncertainty,
                "flag": flag_of(result, k, ctx.lower[k], ctx.upper[k]),
                "initial": ctx.initial[k],
                "at_bound": at_bound(result.parameters[k], ctx.lower[k], ctx.upper[k]),
            }),
        );
    }
    let n = result.parameters.len();
    let covariance: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| json!(result.covariance.matrix[(i, j)]))
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
        "reduced_chi_squared": result.reduced_chi_squared,
        "degrees_of_freedom": result.n_points.saturating_sub(n - result.fixed().len()),
        "n_points": result.n_points,
        "iterations": result.iterations,
        "nfev": result.nfev,
        "njev": result.njev,
        "attempts": result.attempts,
        "recovery_actions": result.recovery_actions,
        "coarse_stages": result.stages.iter().map(stage_json).collect::<Vec<_>>(),
        "convergence_status": result.convergence_status.to_string(),
        "advice": result.convergence_status.advice(),
        "termination_reason": format!("{:?}", result.termination_reason),
        "optimality": result.optimality,
        "gradient_cosine": result.gradient_cosine,
        "absolute_sigma": result.absolute_sigma,
        "sigma_convention": result.sigma_convention(),
        "notes": result.notes,
        "strategy": result.strategy.to_string(),
        "strategy_notes": result.strategy_notes,
        "streaming_diagnostics": result.streaming_diagnostics,
        "method": result.method.to_string(),
        "wall_time_s": result.wall_time.as_secs_f64(),
        "diagnostics": diagnostics.to_json(),
    })
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
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 16, 21, 22, 101, 112]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "16th", "21st", "22nd",
                "101st", "112th"
            ]
        );
    }

    #[test]
    fn a_failed_stage_names_its_error() {
        let stage = CoarseStage {
            stride: 4,
            n_points: 2048,
            start: vec![1.0],
            result: Err("the cost is not finite".to_string()),
            used: false,
            seconds: 0.5,
        };
        assert_eq!(
            stage_text(&stage),
            "every 4th block of 1024 points (2048 points): failed (the cost is not finite), \
             not kept, 0.500 s"
        );
        let json = stage_json(&stage);
        assert_eq!(json["convergence_status"], "failed");
        assert!(json["iterations"].is_null() && json["nfev"].is_null());
        assert_eq!(json["error"], "the cost is not finite");
    }

    #[test]
    fn bound_flags() {
        assert_eq!(at_bound(0.0, 0.0, 1.0), Some("at lower bound"));
        assert_eq!(at_bound(1.0 - 1e-12, 0.0, 1.0), Some("at upper bound"));
        assert_eq!(at_bound(0.5, 0.0, 1.0), None);
        assert_eq!(at_bound(0.5, f64::NEG_INFINITY, f64::INFINITY), None);
    }
}

//! What `homodyne xpcs` prints after a fit: the coarse stages, the fit's status and
//! statistics with AIC and BIC, the parameters (beside the truth, for the demo) with their
//! standard errors, "fixed" or "undetermined", and every warning of the fit's diagnostics
//! ([`homodyne_xpcs::diagnostics`]) naming its parameters, with what to try, on stderr as
//! `homodyne: warning: ...` (the messages `analysis_results_nlsq.json` and
//! `convergence_metrics.json` hold).

use homodyne::{OptimizationResult, ParameterFlag};
use homodyne_xpcs::diagnostics::{diagnose, significance, significance_warning};
use homodyne_xpcs::{AnalysisMode, ParameterLayout, ScalingChoice, ScalingMode, XpcsFit};

use crate::report::has_uncertainty;

/// The table of fitted values (with the truth beside them, when known), the fit's
/// statistics, and its warnings (see the module documentation).
pub(crate) fn print_summary(
    layout: &ParameterLayout,
    phi: &[f64],
    fitted: &XpcsFit,
    truth: Option<&[f64]>,
    seconds: f64,
) {
    let result = &fitted.result;
    if !fitted.stages.is_empty() {
        println!("\ncoarse stages (the start of the full fit; see CoarseToFine):");
    }
    for stage in &fitted.stages {
        let outcome = match &stage.result {
            Ok(r) => format!(
                "{} iterations, {:?}{}",
                r.iterations,
                r.convergence_status,
                if stage.used { "" } else { ", not used" }
            ),
            Err(e) => format!("failed, not used: {e}"),
        };
        println!(
            "  every {}th row ({} points): {outcome}, {:.2} s",
            stage.stride, stage.n_points, stage.seconds
        );
    }
    println!(
        "\nfit: {} ({}) in {seconds:.2} s, {} iterations ({} cost and {} Jacobian evaluations), \
         strategy {:?}",
        result.convergence_status,
        result.termination_reason,
        result.iterations,
        result.nfev,
        result.njev,
        result.strategy
    );
    if result.attempts.len() > 1 {
        let each: Vec<String> = (result.attempts.iter())
            .map(|a| format!("#{} {} evaluations: {}", a.attempt, a.nfev, a.outcome))
            .collect();
        println!("attempts: {}", each.join("; "));
    }
    println!(
        "optimality {:.3e}, largest column cosine {:.3e}",
        result.optimality, result.gradient_cosine
    );
    if let Some(advice) = result.convergence_status.advice() {
        println!("what to try: {advice}");
    }
    println!(
        "chi-squared {:.6e}, reduced {:.6e}; uncertainties: {}",
        result.chi_squared,
        result.reduced_chi_squared,
        result.sigma_convention()
    );
    for note in &result.notes {
        println!("note: {note}");
    }
    if let Some(d) = &result.streaming_diagnostics {
        println!(
            "streaming: {} batches of {} points, {} passes, {} checkpoints written{}",
            d.n_batches,
            d.batch_size,
            d.passes,
            d.checkpoints_written,
            d.resumed_from
                .as_ref()
                .map(|p| format!(", resumed from {p}"))
                .unwrap_or_default()
        );
        for error in &d.checkpoint_errors {
            eprintln!("homodyne: warning: checkpoint not written: {error}");
        }
    }
    let names = layout.names();
    let start = layout.physical_start();
    match truth {
        Some(truth) => {
            println!(
                "\n{:<20} {:>14} {:>12} {:>14} {:>9}",
                "parameter", "fitted", "+-", "true", "off by"
            );
            for k in start..layout.n_params() {
                let (value, error) = (result.parameters[k], result.uncertainties[k]);
                let off = if has_uncertainty(result, k) {
                    format!("{:>8.2}s", (value - truth[k]) / error)
                } else {
                    format!("{:>9}", "")
                };
                println!(
                    "{:<20} {value:>14.6e} {:>12} {:>14.6e} {off}",
                    names[k],
                    error_text(result, k, 3),
                    truth[k],
                );
            }
            println!("('off by' is (fitted - true) in standard errors: s = sigma)");
        }
        None => {
            println!("\n{:<20} {:>14} {:>12}", "parameter", "fitted", "+-");
            for k in start..layout.n_params() {
                println!(
                    "{:<20} {:>14.6e} {:>12}",
                    names[k],
                    result.parameters[k],
                    error_text(result, k, 3)
                );
            }
        }
    }
    print_scaling(layout, phi, result);
    print_diagnostics(layout, result);
    print_two_component_hint(layout, fitted);
}

/// The contrasts and offsets: the Fourier coefficients and the series at each angle, or
/// one row per scaling group.
fn print_scaling(layout: &ParameterLayout, phi: &[f64], result: &OptimizationResult) {
    let names = layout.names();
    let start = layout.physical_start();
    // A Fourier series: its coefficients, then the contrast and offset it gives each angle.
    if let ScalingMode::Fourier { .. } = layout.scaling {
        println!("\n{:<20} {:>12} {:>10}", "scaling", "coefficient", "+-");
        for k in 0..start {
            println!(
                "{:<20} {:>12.6} {:>10}",
                names[k],
                result.parameters[k],
                error_text(result, k, 2)
            );
        }
        let (contrasts, offsets) = layout.per_angle_scaling(&result.parameters, phi);
        println!("\n{:<20} {:>12} {:>12}", "series at", "contrast", "offset");
        for ((angle, c), o) in phi.iter().zip(contrasts).zip(offsets) {
            println!("{:<20} {c:>12.6} {o:>12.6}", format!("phi {angle:.2} deg"));
        }
        return;
    }
    // The scaling, group by group (one row per angle, or one shared row).
    let groups = layout.n_scaling_groups();
    println!(
        "\n{:<20} {:>12} {:>10} {:>12} {:>10}",
        "scaling", "contrast", "+-", "offset", "+-"
    );
    for group in 0..groups {
        let label = if groups == 1 {
            "all angles".to_string()
        } else {
            format!("phi {:.2} deg", phi[group])
        };
        let (c, o) = (layout.contrast_index(group), layout.offset_index(group));
        println!(
            "{label:<20} {:>12.6} {:>10} {:>12.6} {:>10}",
            result.parameters[c],
            error_text(result, c, 2),
            result.parameters[o],
            error_text(result, o, 2)
        );
    }
}

/// AIC and BIC on stdout; every warning of the diagnostics, and the parameters below the
/// significance threshold, on stderr with what to try. Warnings never change the exit
/// status.
fn print_diagnostics(layout: &ParameterLayout, result: &OptimizationResult) {
    let diagnostics = match diagnose(layout, result, None) {
        Ok(diagnostics) => diagnostics,
        Err(e) => {
            eprintln!("homodyne: warning: no diagnostics of this fit: {e}");
            return;
        }
    };
    println!(
        "\nAIC {:.6e}, BIC {:.6e} (lmfit's definitions: {} points, {} parameters varied; \
         compare them only between fits of the same data)",
        diagnostics.aic, diagnostics.bic, diagnostics.n_points, diagnostics.n_varying
    );
    for warning in &diagnostics.warnings {
        eprintln!("homodyne: warning: {warning}");
        eprintln!("  what to try: {}", warning.advice());
    }
    if let Some(warning) = significance_warning(&significance(layout, result)) {
        eprintln!("homodyne: warning: {warning}");
    }
}

/// For a two-component fit from one start that leaves physical parameters undetermined or
/// on a bound, the likely cause on stderr: a fit from one start often ends where one
/// component vanishes or the two merge (xpcsjax's default start is such a symmetric
/// point), and what to try.
fn print_two_component_hint(layout: &ParameterLayout, fitted: &XpcsFit) {
    if layout.mode != AnalysisMode::TwoComponent || fitted.multistart.is_some() {
        return;
    }
    let flags = &fitted.result.parameter_flags;
    let named = |wanted: &[ParameterFlag]| -> Vec<&str> {
        (layout.physical_start()..layout.n_params())
            .filter(|&k| flags.get(k).is_some_and(|f| wanted.contains(f)))
            .map(|k| layout.mode.physical_names()[k - layout.physical_start()])
            .collect()
    };
    let undetermined = named(&[ParameterFlag::Undetermined]);
    let at_bounds = named(&[ParameterFlag::AtLowerBound, ParameterFlag::AtUpperBound]);
    let what = match (undetermined.is_empty(), at_bounds.is_empty()) {
        (true, true) => return,
        (false, true) => format!("{} undetermined", undetermined.join(", ")),
        (true, false) => format!("{} on a bound", at_bounds.join(", ")),
        (false, false) => format!(
            "{} undetermined and {} on a bound",
            undetermined.join(", "),
            at_bounds.join(", ")
        ),
    };
    eprintln!(
        "homodyne: warning: the two-component fit from one start left {what}: a fit from \
         one start often ends where one component vanishes (the sample fraction at 0 or 1) \
         or the two merge (equal transports and a flat fraction of 1/2, as at xpcsjax's \
         default start)"
    );
    eprintln!(
        "  what to try: a multistart (--multistart 16, or optimization.nlsq.multi_start: \
         {{enable: true}}), a start that tells the components apart, or narrower bounds"
    );
}

/// The standard error of parameter `k` in scientific notation with `digits` decimals, or
/// `fixed` / `undetermined` (never a `0` for a parameter the data do not determine).
fn error_text(result: &OptimizationResult, k: usize, digits: usize) -> String {
    match result.parameter_flags.get(k) {
        Some(ParameterFlag::Fixed) => "fixed".to_string(),
        Some(ParameterFlag::Undetermined) => "undetermined".to_string(),
        _ => format!("{:.digits$e}", result.uncertainties[k]),
    }
}

/// The scaling candidates of `per_angle_mode: auto`, their fit statistics and the one kept.
pub(crate) fn print_choice(choice: &ScalingChoice) {
    println!("per-angle scaling chosen by evidence (per_angle_mode: auto):");
    println!(
        "  {:<14} {:>6} {:>14} {:>12} {:>16} {:>16} {:>6}",
        "scaling", "params", "chi2", "reduced", "AIC", "BIC", "iter"
    );
    for (k, c) in choice.candidates.iter().enumerate() {
        println!(
            "  {:<14} {:>6} {:>14.6e} {:>12.4e} {:>16.6e} {:>16.6e} {:>6}{}{}",
            c.scaling.name(),
            c.n_varying,
            c.chi_squared,
            c.reduced_chi_squared,
            c.aic,
            c.bic,
            c.iterations,
            if c.converged { "" } else { " (not converged)" },
            if k == choice.chosen { "  <- kept" } else { "" }
        );
    }
    println!("  {}", choice.reason());
}

//! `analysis_results_nlsq.json`: fit quality, the dataset's size, the optimisation summary
//! (with the coarse stages and how the scaling was chosen) and the identifiability
//! diagnostics (the module documentation of `output` describes every key).

use homodyne::coarse::stage_json;
use serde_json::{Value, json};

use crate::scaling_choice::ScalingChoice;

use super::inputs::NlsqOutputs;
use super::statistics::{Statistics, status_name};

/// The `analysis_results_nlsq.json` document.
pub(crate) fn analysis_json(outputs: &NlsqOutputs, stats: &Statistics, timestamp: &Value) -> Value {
    let model = outputs.model;
    let result = outputs.result;
    let n_t = model.grid().len();
    // `optimization_summary.coarse_stages`, the statuses named as the package names them.
    let stages: Vec<Value> = (outputs.coarse_stages.iter())
        .map(|stage| stage_json(stage, |status| status_name(status).to_owned()))
        .collect();
    json!({
        "method": "nlsq",
        "timestamp": timestamp,
        "analysis_mode": model.layout().mode.name(),
        "fit_quality": {
            "chi_squared": stats.chi_squared,
            "reduced_chi_squared": stats.reduced_chi_squared,
            "degrees_of_freedom": stats.degrees_of_freedom,
            "quality_flag": stats.quality_flag,
            "sigma": outputs.sigma_json(),
            "chi_squared_definition": stats.definition,
        },
        "dataset_info": {
            "n_angles": model.phi().len(),
            "n_time_points": n_t * n_t,
            "total_data_points": outputs.data.c2.len(),
            "q_value": model.q(),
            "n_frames": n_t,
            "dt": model.grid().dt(),
        },
        "optimization_summary": {
            "convergence_status": status_name(result.convergence_status),
            "iterations": result.iterations,
            "execution_time": outputs.execution_time,
            "nfev": result.nfev,
            "njev": result.njev,
            "termination_reason": result.termination_reason.to_string(),
            "method": result.method.to_string(),
            "strategy": result.strategy.to_string(),
            "coarse_stages": stages,
            "scaling_choice": outputs.scaling_choice.map(choice_json),
            "multistart": (outputs.multistart)
                .map(|report| report.to_json(|status| status_name(status).to_owned())),
        },
        // The keys in their fixed order: serde_json keeps insertion order in this crate
        // (its `preserve_order` feature).
        "diagnostics": stats.diagnostics.to_json(),
    })
}

/// `optimization_summary.scaling_choice`: every candidate layout with its statistics, the
/// one kept and why.
fn choice_json(choice: &ScalingChoice) -> Value {
    let candidates: Vec<Value> = (choice.candidates.iter())
        .map(|c| {
            json!({
                "scaling": c.scaling.name(),
                "n_varying": c.n_varying,
                "n_points": c.n_points,
                "chi_squared": c.chi_squared,
                "reduced_chi_squared": c.reduced_chi_squared,
                "aic": c.aic,
                "bic": c.bic,
                "iterations": c.iterations,
                "converged": c.converged,
                "seconds": c.seconds,
            })
        })
        .collect();
    json!({
        "chosen": choice.kept().scaling.name(),
        "criterion": "bic",
        "reason": choice.reason(),
        "candidates": candidates,
    })
}

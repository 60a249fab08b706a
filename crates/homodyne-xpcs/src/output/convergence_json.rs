//! `convergence_metrics.json`: convergence, the recovery actions, the device, the package's
//! quality report (`quality.rs`), the covariance's rank and condition, and the STREAMING
//! diagnostics of a streamed fit (the module documentation of `output` describes every
//! key).

use serde_json::{Map, Value, json};

use super::inputs::NlsqOutputs;
use super::quality::{covariance_condition_number, quality_report};
use super::statistics::{Statistics, status_name};

/// The `convergence_metrics.json` document.
pub(crate) fn convergence_json(outputs: &NlsqOutputs, stats: &Statistics) -> Value {
    let result = outputs.result;
    let reduced = stats.reduced_chi_squared;
    let reduction = if reduced < 1.0 { 1.0 - reduced } else { 0.0 };
    let report = quality_report(outputs, stats);
    let recovery: Vec<String> = (result.recovery_actions.iter())
        .map(|a| format!("{} (attempt {}, after: {})", a.action, a.attempt, a.trigger))
        .collect();
    let checks: Map<String, Value> = (report.checks.into_iter())
        .map(|(name, passed)| (name.to_owned(), Value::Bool(passed)))
        .collect();
    let covariance = &result.covariance;
    let device = &result.device_info;
    let mut document = json!({
        "convergence": {
            "status": status_name(result.convergence_status),
            "iterations": result.iterations,
            "execution_time": outputs.execution_time,
            "final_chi_squared": stats.chi_squared,
            "chi_squared_reduction": reduction,
            "nfev": result.nfev,
            "njev": result.njev,
            "termination_reason": result.termination_reason.to_string(),
        },
        "recovery_actions": recovery,
        "quality_flag": stats.quality_flag,
        "device_info": {
            "platform": device.kind,
            "device": format!("{}:0", device.kind),
            "device_kind": device.kind,
            "n_devices": 1,
            "adapter": "homodyne",
            "fallback_occurred": false,
            "fallback_reason": null,
            "threads": device.threads,
            "strategy": result.strategy.to_string(),
            "strategy_notes": result.strategy_notes,
        },
        "quality_validation_passed": report.passed,
        "quality_warnings": report.warnings,
        "quality_checks": checks,
        "covariance": {
            "rank": covariance.rank,
            "n_parameters": covariance.matrix.nrows(),
            "jacobian_condition_number": covariance.condition_number,
            "condition_number": covariance_condition_number(outputs),
        },
    });
    if let Some(diagnostics) = &result.streaming_diagnostics {
        document["streaming_diagnostics"] =
            serde_json::to_value(diagnostics).unwrap_or(Value::Null);
    }
    document
}

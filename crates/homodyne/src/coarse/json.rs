//! The JSON record of one coarse stage, as the JSON documents of the command line and of
//! `homodyne-xpcs` list the stages of a fit.

use homodyne_core::{CoarseStage, ConvergenceStatus};
use serde_json::{Value, json};

/// One coarse stage as a JSON object, in this key order (serde_json keeps it where its
/// `preserve_order` feature is on): `stride`, `n_points`, `convergence_status`
/// (`status_name` of the stage's status, or `failed`), `iterations` and `nfev` (null for a
/// stage that failed), `used`, `seconds`, and `error`, the reason, only for a stage that
/// failed. `status_name` is the caller's: each document names the statuses its own way.
pub fn stage_json(
    stage: &CoarseStage,
    status_name: impl FnOnce(ConvergenceStatus) -> String,
) -> Value {
    let (status, iterations, nfev) = match &stage.result {
        Ok(r) => (
            status_name(r.convergence_status),
            Some(r.iterations),
            Some(r.nfev),
        ),
        Err(_) => ("failed".to_string(), None, None),
    };
    let mut fields = json!({
        "stride": stage.stride,
        "n_points": stage.n_points,
        "convergence_status": status,
        "iterations": iterations,
        "nfev": nfev,
        "used": stage.used,
        "seconds": stage.seconds,
    });
    if let Err(error) = &stage.result {
        fields["error"] = json!(error);
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage of stride 4 that failed for `reason`. (The record of a fitted stage is
    /// checked in `tests/coarse.rs`, with a fit.)
    fn failed(reason: &str) -> CoarseStage {
        CoarseStage {
            stride: 4,
            n_points: 3,
            start: vec![1.0],
            result: Err(reason.to_string()),
            used: false,
            seconds: 0.5,
        }
    }

    #[test]
    fn a_failed_stage_is_failed_with_its_error_and_no_counts() {
        let stage = failed("the cost is not finite");
        let json = stage_json(&stage, |_| unreachable!("a failed stage has no status"));
        assert_eq!(
            json,
            json!({
                "stride": 4,
                "n_points": 3,
                "convergence_status": "failed",
                "iterations": null,
                "nfev": null,
                "used": false,
                "seconds": 0.5,
                "error": "the cost is not finite",
            })
        );
    }
}

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
    use homodyne_core::OptimizationResult;

    use super::*;

    /// A stage of stride 4 that ended with `result`, kept when it is a fit.
    fn stage(result: Result<OptimizationResult, String>) -> CoarseStage {
        CoarseStage {
            stride: 4,
            n_points: 3,
            start: vec![1.0],
            used: result.is_ok(),
            result,
            seconds: 0.5,
        }
    }

    #[test]
    fn a_failed_stage_is_failed_with_its_error_and_no_counts() {
        let failed = stage(Err("the cost is not finite".to_string()));
        let json = stage_json(&failed, |_| unreachable!("a failed stage has no status"));
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

    #[test]
    fn a_fitted_stage_has_the_callers_status_name_and_no_error() {
        let model = homodyne_core::ClosureModel::new(1, |x, p: &[f64]| p[0] * x);
        let (x, y) = ([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]);
        let result = crate::Fit::curve(&model, &x, &y).p0(&[1.0]).run().unwrap();
        let (iterations, nfev) = (result.iterations, result.nfev);
        let json = stage_json(&stage(Ok(result)), |status| format!("<{status}>"));
        assert_eq!(json["convergence_status"], "<converged>");
        assert_eq!(json["iterations"], json!(iterations));
        assert_eq!(json["nfev"], json!(nfev));
        assert_eq!(json["used"], json!(true));
        assert!(json.get("error").is_none());
    }
}

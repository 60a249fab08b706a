//! The JSON record of a multistart, as [`crate::coarse::stage_json`] records a coarse
//! stage.

use homodyne_core::ConvergenceStatus;
use serde_json::{Value, json};

use super::{MultistartReport, StartRecord};

impl MultistartReport {
    /// The report as a JSON object, in this key order (serde_json keeps it where its
    /// `preserve_order` feature is on): `n_candidates`, `seed`, `budget`, `cost_rtol`,
    /// `basin_tol`, `best` (the index finished), `in_best_basin` (how many candidates
    /// reached the best basin), and `candidates`, one object per candidate in index order:
    /// `index`, `start`, `convergence_status` (`status_name` of its status, or `failed`),
    /// `final_cost`, `iterations` and `nfev` (null for a candidate that failed),
    /// `in_best_basin`, and `error`, the reason, only for a candidate that failed.
    /// `status_name` is the caller's: each document names the statuses its own way.
    pub fn to_json(&self, status_name: impl Fn(ConvergenceStatus) -> String) -> Value {
        let candidates: Vec<Value> = self
            .candidates
            .iter()
            .map(|c| candidate_json(c, &status_name))
            .collect();
        json!({
            "n_candidates": self.candidates.len(),
            "seed": self.seed,
            "budget": self.budget,
            "cost_rtol": self.basin_tolerances.0,
            "basin_tol": self.basin_tolerances.1,
            "best": self.best,
            "in_best_basin": self.in_best_basin,
            "candidates": candidates,
        })
    }
}

/// One candidate as a JSON object (see [`MultistartReport::to_json`]).
fn candidate_json(
    candidate: &StartRecord,
    status_name: &impl Fn(ConvergenceStatus) -> String,
) -> Value {
    let (status, cost, iterations, nfev) = match &candidate.result {
        Ok(r) => (
            status_name(r.convergence_status),
            Some(r.final_cost),
            Some(r.iterations),
            Some(r.nfev),
        ),
        Err(_) => ("failed".to_string(), None, None, None),
    };
    let mut fields = json!({
        "index": candidate.index,
        "start": candidate.start,
        "convergence_status": status,
        "final_cost": cost,
        "iterations": iterations,
        "nfev": nfev,
        "in_best_basin": candidate.in_best_basin,
    });
    if let Err(error) = &candidate.result {
        fields["error"] = json!(error);
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_candidate_is_failed_with_its_error_and_no_figures() {
        let report = MultistartReport {
            seed: 3,
            budget: 40,
            basin_tolerances: (1e-6, 1e-3),
            candidates: vec![StartRecord {
                index: 0,
                start: vec![1.5],
                result: Err("the cost is not finite".to_string()),
                in_best_basin: false,
            }],
            best: 0,
            in_best_basin: 0,
        };
        let json = report.to_json(|_| unreachable!("a failed candidate has no status"));
        assert_eq!(
            json,
            json!({
                "n_candidates": 1,
                "seed": 3,
                "budget": 40,
                "cost_rtol": 1e-6,
                "basin_tol": 1e-3,
                "best": 0,
                "in_best_basin": 0,
                "candidates": [{
                    "index": 0,
                    "start": [1.5],
                    "convergence_status": "failed",
                    "final_cost": null,
                    "iterations": null,
                    "nfev": null,
                    "in_best_basin": false,
                    "error": "the cost is not finite",
                }],
            })
        );
    }
}

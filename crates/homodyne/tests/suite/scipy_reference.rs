//! Agreement with scipy on the same data: robust losses (`least_squares`), `sigma` with
//! both `absolute_sigma` semantics (`curve_fit`), and a bounded fit. The reference numbers
//! and the data come from `tests/data/scipy/make_reference.py` (scipy 1.18.1).

use homodyne::prelude::*;
use serde_json::Value;

use crate::common::decay::Decay;
use crate::common::{assert_close, floats, reference_json};

fn reference() -> Value {
    reference_json("tests/data/scipy/reference.json")
}

/// The reference's data: `x`, the observations of one case, their sigma and the start.
struct Data {
    x: Vec<f64>,
    y: Vec<f64>,
    sigma: Vec<f64>,
    p0: Vec<f64>,
}

impl Data {
    /// The data of `r` with the observations `r[y]`.
    fn new(r: &Value, y: &str) -> Self {
        Self {
            x: floats(&r["x"]),
            y: floats(&r[y]),
            sigma: floats(&r["sigma"]),
            p0: floats(&r["p0"]),
        }
    }

    /// `model` fitted to these data weighted by their sigma, from their start: each test
    /// adds its settings.
    fn fit<'a>(&'a self, model: &'a dyn Model) -> Fit<'a> {
        Fit::curve(model, &self.x, &self.y)
            .sigma(&self.sigma)
            .p0(&self.p0)
    }
}

#[test]
fn robust_losses_match_scipy_least_squares() {
    let r = reference();
    let data = Data::new(&r, "y_outliers");
    let model = Decay::autodiff();
    for (name, case) in r["robust"].as_object().unwrap() {
        let loss: Loss = case["loss"].as_str().unwrap().parse().unwrap();
        let method: Method = case["method"].as_str().unwrap().parse().unwrap();
        let options = SolverOptions {
            loss,
            f_scale: case["f_scale"].as_f64().unwrap(),
            ..SolverOptions::default()
        };
        let fit = data
            .fit(&model)
            .method(method)
            .options(options)
            .run()
            .unwrap();
        // scipy's own trf and lm agree to about 1e-9 on this problem.
        assert_close(&fit.parameters, &floats(&case["parameters"]), 1e-7, name);
        let cost = case["cost"].as_f64().unwrap();
        assert!(
            (fit.final_cost - cost).abs() <= 1e-10 * cost,
            "{name}: cost {} vs {cost}",
            fit.final_cost
        );
    }
}

#[test]
fn covariance_matches_curve_fit_with_both_sigma_semantics() {
    let r = reference();
    let data = Data::new(&r, "y");
    let model = Decay::autodiff();
    for absolute in [true, false] {
        let want =
            &r["curve_fit"][format!("absolute_sigma_{}", if absolute { "True" } else { "False" })];
        for method in [Method::Trf, Method::Lm] {
            let fit = data
                .fit(&model)
                .absolute_sigma(absolute)
                .method(method)
                .run()
                .unwrap();
            assert_close(
                &fit.parameters,
                &floats(&want["parameters"]),
                1e-7,
                "parameters",
            );
            let cov = want["covariance"].as_array().unwrap();
            for i in 0..3 {
                let row = floats(&cov[i]);
                for j in 0..3 {
                    let (g, w) = (fit.covariance.matrix[(i, j)], row[j]);
                    assert!(
                        (g - w).abs() <= 1e-6 * (row[i] * floats(&cov[j])[j]).sqrt(),
                        "{method} absolute={absolute} cov[{i}][{j}] = {g}, scipy {w}"
                    );
                }
                assert!((fit.uncertainties[i] - row[i].sqrt()).abs() <= 1e-6 * row[i].sqrt());
            }
        }
    }
}

#[test]
fn bounded_fit_matches_scipy_trf() {
    let r = reference();
    let b = &r["bounded"];
    let data = Data::new(&r, "y");
    let bounds = Bounds::new(floats(&b["lower"]), floats(&b["upper"])).unwrap();
    let model = Decay::autodiff();
    for method in [Method::Trf, Method::Lm] {
        let fit = data
            .fit(&model)
            .p0(&floats(&b["p0"]))
            .bounds(&bounds)
            .method(method)
            .run()
            .unwrap();
        assert_close(
            &fit.parameters,
            &floats(&b["parameters"]),
            1e-7,
            &format!("{method} bounded"),
        );
        let cost = b["cost"].as_f64().unwrap();
        assert!((fit.final_cost - cost).abs() <= 1e-9 * cost);
    }
}

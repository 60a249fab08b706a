//! The per-angle block structure of the Jacobian (`Model::active_parameters`) changes
//! how the solver sums, not what it finds: fits with and without it agree, on the QR path
//! (STANDARD) and on the normal equations (CHUNKED).

use homodyne::prelude::*;
use homodyne_core::{JacobianKind, Model, NoObserver};
use homodyne_xpcs::{
    AnalysisMode, CorrelationData, HomodyneModel, ScalingMode, XpcsFitOptions, fit,
};

mod common;

use common::published_model;

/// The model with its structure hidden: every row is dense to the solver.
struct Dense<'a>(&'a HomodyneModel);

impl Model for Dense<'_> {
    fn n_params(&self) -> usize {
        self.0.n_params()
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        self.0.eval(x, p, values)
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        self.0.eval_with_jacobian(x, p, values, jacobian)
    }
    fn jacobian_kind(&self) -> JacobianKind {
        JacobianKind::Exact
    }
}

#[test]
fn block_and_dense_sums_reach_the_same_fit() {
    let model = published_model(
        AnalysisMode::LaminarFlow,
        ScalingMode::Individual,
        &[-40.0, 0.0, 35.0, 80.0],
        60,
    );
    let layout = *model.layout();
    let truth = layout
        .assemble(
            &[0.3, 0.28, 0.26, 0.31],
            &[1.0, 1.01, 0.99, 1.0],
            &[15_000.0, -0.6, 50.0, 2e-3, 0.3, 1e-4, 4.0],
        )
        .unwrap();
    let data = CorrelationData::synthetic(&model, &truth, 0.005, 3).unwrap();
    for strategy in [
        OptimizationStrategy::Standard,
        OptimizationStrategy::Chunked,
    ] {
        let options = XpcsFitOptions {
            strategy: Some(strategy),
            // The dense fit below uses every point, from the same start: no coarse stages.
            points: homodyne_xpcs::PointSelection::All,
            coarse_to_fine: homodyne_xpcs::CoarseToFine::Off,
            // The dense fit works in the package's parametrisation throughout.
            refer_power_laws: false,
            ..XpcsFitOptions::default()
        };
        let block = fit(&model, &data, &options, &NoObserver).unwrap();
        let (lower, upper) = layout.default_bounds();
        let x = data.points();
        let dense = Fit::curve(&Dense(&model), &x, &data.c2)
            .p0(&block.start)
            .bounds(Bounds::new(lower, upper).unwrap())
            .strategy(strategy)
            .run()
            .unwrap();
        assert_eq!(block.result.strategy, strategy);
        let (fitted, dense) = (&block.result, &dense);
        assert_each_close(
            &format!("{strategy:?} parameter"),
            &fitted.parameters,
            &dense.parameters,
            |a| 1e-8 * a.abs().max(1e-12),
        );
        assert_each_close(
            &format!("{strategy:?} uncertainty"),
            &fitted.uncertainties,
            &dense.uncertainties,
            |a| 1e-6 * a.abs(),
        );
    }
}

/// `|a_k - b_k| <= tolerance(a_k)` for each pair of the two lists (as far as both go).
fn assert_each_close(what: &str, a: &[f64], b: &[f64], tolerance: impl Fn(f64) -> f64) {
    for (k, (a, b)) in a.iter().zip(b).enumerate() {
        assert!((a - b).abs() <= tolerance(*a), "{what} {k}: {a} vs {b}");
    }
}

//! The fit most tests of the suite check under each method: a model, its data and a
//! start, every other setting at its default.

use homodyne::prelude::*;

/// `model` fitted to `(x, y)` from `p0` by `method`, every other setting at its default.
pub(crate) fn fit_by(
    model: &dyn Model,
    x: &[f64],
    y: &[f64],
    p0: &[f64],
    method: Method,
) -> OptimizationResult {
    Fit::curve(model, x, y).p0(p0).method(method).run().unwrap()
}

//! The fit most tests of the suite check under each method (a model, its data and a
//! start, every other setting at its default), and the uneven sigma of weighted fits.

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

/// `n` sigmas that cycle through `base, base + 0.001, ...` with period `period`: uneven
/// weights, so that a weighted fit differs from an unweighted one.
pub(crate) fn cyclic_sigma(n: usize, base: f64, period: usize) -> Vec<f64> {
    (0..n).map(|i| base + 0.001 * (i % period) as f64).collect()
}

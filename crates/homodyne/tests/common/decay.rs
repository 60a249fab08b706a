//! The exponential decay `y = a exp(-b x) + c` as a generic model (derivatives by dual
//! numbers), a variant with a parameter it never reads, and a small noisy data set.

use homodyne::prelude::*;

/// `y = a exp(-b x) + c`.
pub struct Decay;

impl GenericModel for Decay {
    fn n_params(&self) -> usize {
        3
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + p[2]
    }
}

impl Decay {
    /// The decay with automatic derivatives.
    pub fn autodiff() -> AutoDiff<Decay, 3> {
        AutoDiff::new(Decay).unwrap()
    }
}

/// `y = a exp(-b x) + c`, with a fourth parameter the model never reads.
pub struct DecayWithUnused;

impl GenericModel for DecayWithUnused {
    fn n_params(&self) -> usize {
        4
    }
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + p[2]
    }
}

/// 80 points of `2 exp(-1.3 x) + 0.4` on `[0, 3.95]` with a fixed pattern of noise of
/// size 0.01.
pub fn decay_data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..80).map(|i| i as f64 * 0.05).collect();
    let y = x
        .iter()
        .enumerate()
        .map(|(i, x)| 2.0 * (-1.3 * x).exp() + 0.4 + 0.01 * ((i * 7 % 11) as f64 - 5.0) / 5.0)
        .collect();
    (x, y)
}

/// The fit of [`decay_data`] by `model` (a decay) from (1, 1, 0); a test adds its own
/// settings.
pub fn decay_fit<'a>(model: &'a dyn Model, (x, y): &'a (Vec<f64>, Vec<f64>)) -> Fit<'a> {
    Fit::curve(model, x, y).p0(&[1.0, 1.0, 0.0])
}

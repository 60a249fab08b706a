//! The NIST models, written once for any scalar type.

use homodyne::{GenericModel, Scalar};

/// The 12 NIST models, written once for any scalar type.
///
/// `Nist(name, n_params)`; evaluating an unknown name gives NaN.
#[derive(Debug, Clone, Copy)]
pub struct Nist(pub &'static str, pub usize);

impl GenericModel for Nist {
    fn n_params(&self) -> usize {
        self.1
    }
    fn x_dim(&self) -> usize {
        if self.0 == "Nelson" { 2 } else { 1 }
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], b: &[T]) -> T {
        if self.0 == "Nelson" {
            return b[0] - b[1] * x[0] * (b[2] * -x[1]).exp();
        }
        let x = x[0];
        let one = T::cst(1.0);
        match self.0 {
            "Misra1a" | "BoxBOD" => b[0] * (one - (b[1] * -x).exp()),
            "Chwirut2" => (b[0] * -x).exp() / (b[1] + b[2] * x),
            "Gauss1" => {
                let g = |c: T, w: T| {
                    let d = (c - x) / w;
                    (-(d * d)).exp()
                };
                b[0] * (b[1] * -x).exp() + b[2] * g(b[3], b[4]) + b[5] * g(b[6], b[7])
            }
            "DanWood" => b[0] * (b[1] * x.ln()).exp(),
            "Kirby2" => (b[0] + b[1] * x + b[2] * (x * x)) / (b[3] * x + b[4] * (x * x) + 1.0),
            "Hahn1" | "Thurber" => {
                let (x2, x3) = (x * x, x * x * x);
                (b[0] + b[1] * x + b[2] * x2 + b[3] * x3) / (b[4] * x + b[5] * x2 + b[6] * x3 + 1.0)
            }
            "MGH17" => b[0] + b[1] * (b[3] * -x).exp() + b[2] * (b[4] * -x).exp(),
            "Lanczos2" => {
                b[0] * (b[1] * -x).exp() + b[2] * (b[3] * -x).exp() + b[4] * (b[5] * -x).exp()
            }
            "MGH09" => b[0] * (b[1] * x + x * x) / (b[2] * x + b[3] + x * x),
            "Rat43" => b[0] / ((b[1] - b[2] * x).exp() + 1.0).ln().mul_inv_exp(b[3]),
            "Misra1b" => b[0] * (one - (b[1] * (x / 2.0) + 1.0).powi(-2)),
            "Misra1c" => b[0] * (one - (b[1] * (2.0 * x) + 1.0).powf(-0.5)),
            "Misra1d" => b[0] * b[1] * x / (b[1] * x + 1.0),
            "Chwirut1" => (b[0] * -x).exp() / (b[1] + b[2] * x),
            "Gauss2" | "Gauss3" => {
                let g = |c: T, w: T| {
                    let d = (c - x) / w;
                    (-(d * d)).exp()
                };
                b[0] * (b[1] * -x).exp() + b[2] * g(b[3], b[4]) + b[5] * g(b[6], b[7])
            }
            "Lanczos1" | "Lanczos3" => {
                b[0] * (b[1] * -x).exp() + b[2] * (b[3] * -x).exp() + b[4] * (b[5] * -x).exp()
            }
            "Roszman1" => {
                b[0] - b[1] * x - (b[2] / (T::cst(x) - b[3])).atan() / std::f64::consts::PI
            }
            "ENSO" => {
                let w = 2.0 * std::f64::consts::PI * x;
                let annual = T::cst(w / 12.0);
                let (c4, c7) = (b[3].recip() * w, b[6].recip() * w);
                b[0] + b[1] * annual.cos()
                    + b[2] * annual.sin()
                    + b[4] * c4.cos()
                    + b[5] * c4.sin()
                    + b[7] * c7.cos()
                    + b[8] * c7.sin()
            }
            "Eckerle4" => {
                let d = (T::cst(x) - b[2]) / b[1];
                b[0] / b[1] * (d * d * -0.5).exp()
            }
            "Rat42" => b[0] / ((b[1] - b[2] * x).exp() + 1.0),
            "MGH10" => b[0] * (b[1] / (b[2] + x)).exp(),
            "Bennett5" => b[0] * ((b[1] + x).ln() / b[2] * -1.0).exp(),
            _ => T::cst(f64::NAN),
        }
    }
}

/// `exp(self / d)`: the power `(1 + e)^(1/b4)` of Rat43 written through its logarithm.
trait MulInvExp {
    fn mul_inv_exp(self, d: Self) -> Self;
}

impl<T: Scalar> MulInvExp for T {
    fn mul_inv_exp(self, d: T) -> T {
        (self / d).exp()
    }
}

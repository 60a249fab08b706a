//! An independent, point-by-point evaluation of the c2 formulas of `docs/xpcs.md` (the
//! model and its discretisation), generic over [`Scalar`] so that dual numbers give its
//! exact Jacobian. It follows the document's steps literally (no tables, no caching), so the
//! model in `src/` is checked against the formula, not against itself.

#![allow(dead_code)]

use homodyne_core::{GenericModel, Scalar};

/// Which formula, as in `homodyne_xpcs::ModelForm`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Form {
    Published,
    PythonCompat,
}

/// The setting of one reference evaluation.
#[derive(Debug, Clone)]
pub struct ReferenceC2 {
    pub form: Form,
    pub laminar: bool,
    pub individual: bool,
    /// A Fourier series of this order in the angle (radians) for the contrast and the
    /// offset, `c0 + sum_k c_k cos(k phi) + s_k sin(k phi)`; overrides `individual`.
    pub fourier: Option<usize>,
    pub dt: f64,
    pub n_t: usize,
    pub q: f64,
    pub gap: f64,
    pub phi: Vec<f64>,
}

impl ReferenceC2 {
    fn n_groups(&self) -> usize {
        match self.fourier {
            Some(order) => 1 + 2 * order,
            None if self.individual => self.phi.len(),
            None => 1,
        }
    }

    /// The contrast and offset of angle `k`: its own, the shared pair, or the Fourier
    /// series `sum_j w_j a_j` with `w = [1, cos(phi), sin(phi), cos(2 phi), ..]`.
    fn scaling<T: Scalar>(&self, k: usize, p: &[T]) -> (T, T) {
        let groups = self.n_groups();
        match self.fourier {
            None => {
                let group = if self.individual { k } else { 0 };
                (p[group], p[groups + group])
            }
            Some(order) => {
                let phi = self.phi[k] * std::f64::consts::PI / 180.0;
                let (mut contrast, mut offset) = (p[0], p[groups]);
                for h in 1..=order {
                    let (c, s) = ((h as f64 * phi).cos(), (h as f64 * phi).sin());
                    contrast = contrast + p[2 * h - 1] * c + p[2 * h] * s;
                    offset = offset + p[groups + 2 * h - 1] * c + p[groups + 2 * h] * s;
                }
                (contrast, offset)
            }
        }
    }

    /// Step 2: a rate at frame `k`, floored at 1e-10 (step 1: safe times).
    fn rate<T: Scalar>(&self, k: usize, a: T, b: T, c: T) -> T {
        let eps = (self.dt / 2.0).max(1e-8);
        let t = (k as f64 * self.dt).max(eps);
        let value = a * (b * t.ln()).exp() + c;
        if value.re() > 1e-10 {
            value
        } else {
            T::cst(1e-10)
        }
    }

    /// Step 3: the cumulative trapezoid `C_k`.
    fn cumulative<T: Scalar>(&self, k: usize, a: T, b: T, c: T) -> T {
        let mut sum = T::cst(0.0);
        for m in 0..k {
            sum += (self.rate(m, a, b, c) + self.rate(m + 1, a, b, c)) * 0.5;
        }
        sum
    }

    /// Step 3: `M_ij`.
    fn m<T: Scalar>(&self, i: usize, j: usize, a: T, b: T, c: T) -> T {
        let d = self.cumulative(i, a, b, c) - self.cumulative(j, a, b, c);
        (d * d + 1e-12).sqrt()
    }

    /// `sinc(x)`: below `|x| = 1` its Taylor series to `x^18` (exact to rounding, and
    /// differentiated by the dual numbers without the cancellation of
    /// `(x cos x - sin x) / x^2`), above `sin(x) / x`.
    fn sinc<T: Scalar>(x: T) -> T {
        if x.re().abs() < 1.0 {
            let x2 = x * x;
            // sum_n (-1)^n x^(2n) / (2n+1)!, n = 0..9, Horner in x^2.
            let mut factorial = 1.0;
            let coefficients: Vec<f64> = (0..10)
                .map(|n| {
                    if n > 0 {
                        factorial *= (2 * n) as f64 * (2 * n + 1) as f64;
                    }
                    if n % 2 == 0 {
                        1.0 / factorial
                    } else {
                        -1.0 / factorial
                    }
                })
                .collect();
            let mut sum = T::cst(0.0);
            for &c in coefficients.iter().rev() {
                sum = sum * x2 + c;
            }
            sum
        } else {
            x.sin() / x
        }
    }

    /// `c2` at the flat index `x = (k n_t + i) n_t + j`.
    pub fn c2<T: Scalar>(&self, x: f64, p: &[T]) -> T {
        let n = self.n_t;
        let index = x as usize;
        let (k, i, j) = (index / (n * n), (index / n) % n, index % n);
        let groups = self.n_groups();
        let (contrast, offset) = self.scaling(k, p);
        let phys = &p[2 * groups..];
        // Constants are grouped as the model groups them (q^2 dt, q h dt / 2), so that
        // both round alike where c2 is ill-conditioned (near the zeros of sinc).
        let m_d = self.m(i, j, phys[0], phys[1], phys[2]);
        let q2dt = self.q * self.q * self.dt;
        match self.form {
            Form::Published => {
                let mut g = (-m_d * q2dt).exp();
                if self.laminar {
                    let m_g = self.m(i, j, phys[3], phys[4], phys[5]);
                    let angle = (phys[6] - self.phi[k]) * std::f64::consts::PI / 180.0;
                    let u = angle.cos() * (self.q * self.gap * self.dt / 2.0) * m_g;
                    let s = Self::sinc(u);
                    g *= s * s;
                }
                offset + contrast * g
            }
            Form::PythonCompat => {
                let exponent = -m_d * q2dt / 2.0;
                let mut g1 = if exponent.re() < -700.0 {
                    T::cst(-700.0).exp()
                } else {
                    exponent.exp()
                };
                if self.laminar {
                    let m_g = self.m(i, j, phys[3], phys[4], phys[5]);
                    let angle = (phys[6] - self.phi[k]) * std::f64::consts::PI / 180.0;
                    let scale = self.q * self.gap * self.dt / (2.0 * std::f64::consts::PI);
                    let x = angle.cos() * scale * m_g;
                    let s = Self::sinc(x);
                    g1 *= s * s;
                }
                if g1.re() < 1e-10 {
                    g1 = T::cst(1e-10);
                }
                offset + contrast * g1 * g1
            }
        }
    }
}

impl GenericModel for ReferenceC2 {
    fn n_params(&self) -> usize {
        2 * self.n_groups() + if self.laminar { 7 } else { 3 }
    }

    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        self.c2(x[0], p)
    }
}

//! Robust loss functions.
//!
//! The cost of a fit is `C(p) = 1/2 sum_i f_s^2 rho(z_i)` with `z_i = (r_i / f_s)^2`, where
//! `r_i` is the weighted residual and `f_s` the soft margin between inlier and outlier
//! residuals (`f_scale`). The solvers see a Gauss-Newton model of this cost by rescaling
//! each residual and Jacobian row (Triggs et al., "Bundle adjustment: a modern synthesis",
//! as scipy does):
//!
//! ```text
//! s_i = sqrt(rho'(z_i) + 2 z_i rho''(z_i)),  r~_i = rho'(z_i) r_i / s_i,  J~_i = s_i J_i
//! ```
//!
//! so that `J~^T r~ = grad C` and `J~^T J~` is the Gauss-Newton curvature.

/// A robust loss `rho(z)` of the squared scaled residual `z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Loss {
    /// `rho(z) = z`: ordinary least squares.
    #[default]
    Linear,
    /// `rho(z) = 2 (sqrt(1 + z) - 1)`: a smooth approximation of the l1 loss.
    SoftL1,
    /// `rho(z) = z` for `z <= 1`, else `2 sqrt(z) - 1`.
    Huber,
    /// `rho(z) = ln(1 + z)`.
    Cauchy,
    /// `rho(z) = arctan(z)`: bounds each residual's contribution.
    Arctan,
}

impl Loss {
    /// `(rho(z), rho'(z), rho''(z))`.
    #[inline]
    pub fn rho(self, z: f64) -> (f64, f64, f64) {
        match self {
            Self::Linear => (z, 1.0, 0.0),
            Self::SoftL1 => {
                let t = 1.0 + z;
                let s = t.sqrt();
                (2.0 * (s - 1.0), 1.0 / s, -0.5 / (t * s))
            }
            Self::Huber => {
                if z <= 1.0 {
                    (z, 1.0, 0.0)
                } else {
                    let s = z.sqrt();
                    (2.0 * s - 1.0, 1.0 / s, -0.5 / (z * s))
                }
            }
            Self::Cauchy => {
                let t = 1.0 + z;
                (z.ln_1p(), 1.0 / t, -1.0 / (t * t))
            }
            Self::Arctan => {
                let t = 1.0 + z * z;
                (z.atan(), 1.0 / t, -2.0 * z / (t * t))
            }
        }
    }

    /// True for [`Loss::Linear`].
    pub fn is_linear(self) -> bool {
        self == Self::Linear
    }
}

impl std::str::FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "linear" => Ok(Self::Linear),
            "soft_l1" => Ok(Self::SoftL1),
            "huber" => Ok(Self::Huber),
            "cauchy" => Ok(Self::Cauchy),
            "arctan" => Ok(Self::Arctan),
            _ => Err(format!(
                "unknown loss {s:?}: expected linear, soft_l1, huber, cauchy or arctan"
            )),
        }
    }
}

/// A residual after robust rescaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaledResidual {
    /// This point's contribution to the cost, `1/2 f_s^2 rho(z)`.
    pub cost: f64,
    /// The rescaled residual `r~`.
    pub residual: f64,
    /// The factor `s` that multiplies the Jacobian row.
    pub jacobian_scale: f64,
}

/// Rescales one weighted residual `r` for `loss` with soft margin `f_scale`.
#[inline]
pub fn scale_residual(loss: Loss, f_scale: f64, r: f64) -> ScaledResidual {
    if loss.is_linear() {
        return ScaledResidual {
            cost: 0.5 * r * r,
            residual: r,
            jacobian_scale: 1.0,
        };
    }
    let inv = 1.0 / f_scale;
    let z = (r * inv) * (r * inv);
    let (rho0, rho1, rho2) = loss.rho(z);
    // d^2/dr^2 of 1/2 f^2 rho((r/f)^2) / 2, in scipy's convention: rho2 / f^2 scaled.
    let mut s2 = rho1 + 2.0 * rho2 * inv * inv * r * r;
    if s2 < f64::EPSILON {
        s2 = f64::EPSILON;
    }
    let s = s2.sqrt();
    ScaledResidual {
        cost: 0.5 * f_scale * f_scale * rho0,
        residual: rho1 * r / s,
        jacobian_scale: s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for loss in [Loss::SoftL1, Loss::Huber, Loss::Cauchy, Loss::Arctan] {
            for z in [0.3, 2.5] {
                let h = 1e-6;
                let (r0, r1, r2) = loss.rho(z);
                let d1 = (loss.rho(z + h).0 - loss.rho(z - h).0) / (2.0 * h);
                let d2 = (loss.rho(z + h).1 - loss.rho(z - h).1) / (2.0 * h);
                assert!((r1 - d1).abs() < 1e-8, "{loss:?} rho' at {z}");
                assert!((r2 - d2).abs() < 1e-7, "{loss:?} rho'' at {z}");
                assert!(r0.is_finite());
            }
        }
    }

    #[test]
    fn scaled_gradient_is_the_cost_gradient() {
        // d cost / dr = r~ * s for every loss (so J~^T r~ = J^T dcost/dr).
        for loss in [
            Loss::Linear,
            Loss::SoftL1,
            Loss::Huber,
            Loss::Cauchy,
            Loss::Arctan,
        ] {
            let (f_scale, r, h) = (0.7, 1.3, 1e-6);
            let sr = scale_residual(loss, f_scale, r);
            let d = (scale_residual(loss, f_scale, r + h).cost
                - scale_residual(loss, f_scale, r - h).cost)
                / (2.0 * h);
            assert!(
                (sr.residual * sr.jacobian_scale - d).abs() < 1e-8,
                "{loss:?}"
            );
        }
    }
}

//! Finite-difference stencils that stay within the bounds.
//!
//! Column `k` of the Jacobian is taken with the library's scaled step (see
//! [`homodyne_core::finite_diff`]):
//!
//! ```text
//! h_k = rel_step_k * max(|p_k|, floor_k)
//! ```
//!
//! with `rel_step_k = eps^(1/2)` for forward differences (scipy's `'2-point'`),
//! `eps^(1/3)` for central ones (`'3-point'`), or the user's `diff_step[k]`, and `floor_k`
//! the typical size of parameter `k`: its `x_scale`, 1 by default and for `x_scale='jac'`
//! (scipy's floor), not the library's [`DEFAULT_STEP_FLOOR`] of `1e-6`. With that floor a
//! parameter at 0 would get a forward step of `1.5e-14`, and residuals of order 1 a
//! derivative wrong by percents (rounding `eps |f| / h`); a parameter whose values are
//! far below 1 is given its size by `x_scale`. A stencil never leaves the box `[lower, upper]`
//! (scipy's rule, so a function undefined outside its bounds is never called there):
//!
//! - forward: `(f(p + h) - f(p)) / h`, with `-h` where `p + h` is past the upper bound;
//! - central: `(f(p + h) - f(p - h)) / 2h` inside; near a bound the one-sided three-point
//!   quotient on the side that fits,
//!   `(-3 f(p) + 4 f(p + h) - f(p + 2h)) / 2h` (also `O(h^2)`);
//! - where neither side has room for the full step, the step shrinks to the room on the
//!   roomier side.
//!
//! The quotients use the steps as rounded (`(p + h) - p`), not `h`, so the rounding of
//! `p + h` does not bias the derivative.

#[cfg(doc)]
use homodyne_core::DEFAULT_STEP_FLOOR;
use homodyne_core::DifferenceScheme;

/// How one Jacobian column is differenced: the signed step `h` (the offsets from `p_k`
/// are `h`, or `h` and `2h`, or `+h` and `-h`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stencil {
    /// `(f(p + h) - f(p)) / h`; `h` may be negative.
    TwoPoint(f64),
    /// `(f(p + h) - f(p - h)) / 2h`, `h > 0`.
    Central(f64),
    /// `(-3 f(p) + 4 f(p + h) - f(p + 2h)) / 2h`; `h` may be negative.
    OneSided(f64),
}

impl Stencil {
    /// The stencil of parameter value `pk` of typical size `floor` within
    /// `[lower, upper]` for `scheme`, with the relative step `rel_step` (the scheme's own
    /// when `None`).
    pub(crate) fn choose(
        scheme: DifferenceScheme,
        rel_step: Option<f64>,
        (pk, floor): (f64, f64),
        lower: f64,
        upper: f64,
    ) -> Self {
        let rel = rel_step.unwrap_or_else(|| scheme.relative_step());
        let h = rel * pk.abs().max(floor);
        let (room_up, room_down) = (upper - pk, pk - lower);
        match scheme {
            DifferenceScheme::Forward => {
                if h <= room_up {
                    Self::TwoPoint(h)
                } else if h <= room_down {
                    Self::TwoPoint(-h)
                } else if room_up >= room_down {
                    Self::TwoPoint(room_up)
                } else {
                    Self::TwoPoint(-room_down)
                }
            }
            DifferenceScheme::Central => {
                if h <= room_up && h <= room_down {
                    Self::Central(h)
                } else if 2.0 * h <= room_up {
                    Self::OneSided(h)
                } else if 2.0 * h <= room_down {
                    Self::OneSided(-h)
                } else if room_up >= room_down {
                    Self::OneSided(room_up / 2.0)
                } else {
                    Self::OneSided(-room_down / 2.0)
                }
            }
        }
    }

    /// The parameter values at which the function is evaluated besides `pk` itself.
    pub(crate) fn offsets(self, pk: f64) -> (f64, Option<f64>) {
        match self {
            Self::TwoPoint(h) => (pk + h, None),
            Self::Central(h) => (pk + h, Some(pk - h)),
            Self::OneSided(h) => (pk + h, Some(pk + 2.0 * h)),
        }
    }

    /// The derivative of one residual from its value `f_at` at `pk` and its values at the
    /// points of [`Stencil::offsets`] (`f_second` at the second one, if any).
    ///
    /// Where one side of a central difference is not finite (the edge of the function's
    /// domain), the one-sided quotient on the other side is used, as
    /// [`homodyne_core::FiniteDiffResiduals`] does; NaN where neither side is finite.
    pub(crate) fn quotient(self, pk: f64, f_at: f64, f_first: f64, f_second: f64) -> f64 {
        let (first, second) = self.offsets(pk);
        let d1 = first - pk;
        match (self, second) {
            (Self::Central(_), Some(down)) => {
                let d2 = pk - down;
                match (f_first.is_finite(), f_second.is_finite()) {
                    (true, true) => (f_first - f_second) / (first - down),
                    (true, false) => (f_first - f_at) / d1,
                    (false, true) => (f_at - f_second) / d2,
                    (false, false) => f64::NAN,
                }
            }
            (Self::OneSided(_), Some(far)) => {
                // The derivative at 0 of the parabola through (0, f_at), (d1, f_first),
                // (d2, f_second): exact for the rounded offsets.
                let d2 = far - pk;
                -(d1 + d2) / (d1 * d2) * f_at + d2 / (d1 * (d2 - d1)) * f_first
                    - d1 / (d2 * (d2 - d1)) * f_second
            }
            _ => (f_first - f_at) / d1,
        }
    }
}

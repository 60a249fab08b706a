//! Numerical validation at the three critical points of every iteration.
//!
//! After the gradient `g = J^T r` (NaN, infinity, or overflow: `|g_j| > sqrt(f64::MAX)`, past
//! which squares overflow), after a parameter update (NaN or infinity, or a value outside
//! the bounds) and after the loss (NaN or infinity). A failed check is a numerical error
//! naming its detection point, with a sample of the offending values and their indices.
//! The checks cost `O(P)` per iteration against the `O(N P)` of a pass over the data.

use homodyne_core::{Context, DetectionPoint, InvalidSample, OptimizationError};

/// Largest gradient component accepted: beyond it, squares and products overflow.
pub const GRADIENT_OVERFLOW: f64 = 1.3407807929942596e154;

/// The validator; disabled, every check passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericalValidator {
    enabled: bool,
}

impl NumericalValidator {
    /// A validator that checks (`true`) or lets everything pass (`false`).
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// Whether checks run.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Passes when `sample` is empty; otherwise the numerical error at `point` with it.
    fn verdict(
        point: DetectionPoint,
        sample: InvalidSample,
        iteration: usize,
    ) -> Result<(), OptimizationError> {
        if sample.is_empty() {
            return Ok(());
        }
        Err(OptimizationError::Numerical {
            detection_point: point,
            sample,
            context: Context::new().with("iteration", iteration),
        })
    }

    /// The gradient: finite and below [`GRADIENT_OVERFLOW`].
    pub fn check_gradient(
        &self,
        gradient: &[f64],
        iteration: usize,
    ) -> Result<(), OptimizationError> {
        if !self.enabled {
            return Ok(());
        }
        let overflows = |_, g: f64| g.is_nan() || g.abs() > GRADIENT_OVERFLOW;
        Self::verdict(
            DetectionPoint::Gradient,
            sample_where(gradient, overflows),
            iteration,
        )
    }

    /// The parameters after an update: finite, and within `[lower, upper]`.
    pub fn check_parameters(
        &self,
        parameters: &[f64],
        lower: &[f64],
        upper: &[f64],
        iteration: usize,
    ) -> Result<(), OptimizationError> {
        if !self.enabled {
            return Ok(());
        }
        let non_finite = sample_where(parameters, |_, p| !p.is_finite());
        let outside = sample_where(parameters, |k, p| {
            p.is_finite() && (p < lower[k] || p > upper[k])
        });
        // Non-finite parameters are reported before those outside the bounds.
        Self::verdict(DetectionPoint::Parameters, non_finite, iteration)?;
        Self::verdict(DetectionPoint::ParameterBounds, outside, iteration)
    }

    /// The loss: finite.
    pub fn check_loss(&self, cost: f64, iteration: usize) -> Result<(), OptimizationError> {
        if !self.enabled || cost.is_finite() {
            return Ok(());
        }
        let mut sample = InvalidSample::default();
        sample.push(0, cost);
        Self::verdict(DetectionPoint::Loss, sample, iteration)
    }
}

/// The entries of `values` that `bad(index, value)` picks, in order.
fn sample_where(values: &[f64], bad: impl Fn(usize, f64) -> bool) -> InvalidSample {
    let mut sample = InvalidSample::default();
    for (k, &v) in values.iter().enumerate() {
        if bad(k, v) {
            sample.push(k, v);
        }
    }
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(e: OptimizationError) -> DetectionPoint {
        match e {
            OptimizationError::Numerical {
                detection_point, ..
            } => detection_point,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn each_check_names_its_point_and_the_values() {
        let v = NumericalValidator::new(true);
        assert!(v.check_gradient(&[1.0, -2.0], 0).is_ok());
        let e = v.check_gradient(&[1.0, f64::NAN, 1e200], 3).unwrap_err();
        assert!(
            e.to_string().contains("[1]=NaN") && e.to_string().contains("[2]=1e200"),
            "{e}"
        );
        assert_eq!(point(e), DetectionPoint::Gradient);
        let (lo, hi) = ([0.0, 0.0], [1.0, 1.0]);
        assert_eq!(
            point(
                v.check_parameters(&[0.5, f64::INFINITY], &lo, &hi, 1)
                    .unwrap_err()
            ),
            DetectionPoint::Parameters
        );
        assert_eq!(
            point(v.check_parameters(&[0.5, 1.5], &lo, &hi, 1).unwrap_err()),
            DetectionPoint::ParameterBounds
        );
        assert!(v.check_parameters(&[0.0, 1.0], &lo, &hi, 1).is_ok());
        assert_eq!(
            point(v.check_loss(f64::INFINITY, 2).unwrap_err()),
            DetectionPoint::Loss
        );
        assert_eq!(
            DetectionPoint::ParameterBounds.to_string(),
            "parameter_bounds"
        );
    }

    #[test]
    fn disabled_lets_everything_pass() {
        let v = NumericalValidator::new(false);
        assert!(v.check_gradient(&[f64::NAN], 0).is_ok());
        assert!(v.check_parameters(&[f64::NAN], &[0.0], &[1.0], 0).is_ok());
        assert!(v.check_loss(f64::NAN, 0).is_ok());
    }
}

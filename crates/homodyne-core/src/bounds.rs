//! Box constraints `lower <= p <= upper` on the parameters.

use crate::error::{InvalidInput, OptimizationError};

/// Lower and upper bounds for each parameter; infinite entries mean "no bound".
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Bounds {
    /// Bounds from two vectors of equal length. Each `lower[k] <= upper[k]` (NaN refused);
    /// equal finite bounds `lower[k] == upper[k]` hold parameter `k` fixed at that value
    /// (the facade leaves it out of the solve, see [`Bounds::fixed_value`]).
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self, OptimizationError> {
        InvalidInput::check_parameter_count("upper bounds", lower.len(), upper.len())?;
        for (index, (&lo, &hi)) in lower.iter().zip(&upper).enumerate() {
            // A NaN bound compares as not-less, so it is refused here too.
            let ordered = lo < hi || (lo == hi && lo.is_finite());
            if !ordered || lo == f64::INFINITY || hi == f64::NEG_INFINITY {
                return Err(InvalidInput::InvertedBounds {
                    index,
                    lower: lo,
                    upper: hi,
                }
                .into());
            }
        }
        Ok(Self { lower, upper })
    }

    /// No bounds on any of `n` parameters.
    pub fn unbounded(n: usize) -> Self {
        Self {
            lower: vec![f64::NEG_INFINITY; n],
            upper: vec![f64::INFINITY; n],
        }
    }

    /// Lower bounds.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// Upper bounds.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Number of parameters covered.
    pub fn len(&self) -> usize {
        self.lower.len()
    }

    /// True for bounds on zero parameters.
    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    /// True when every bound is infinite.
    pub fn is_unbounded(&self) -> bool {
        self.lower.iter().all(|v| *v == f64::NEG_INFINITY)
            && self.upper.iter().all(|v| *v == f64::INFINITY)
    }

    /// The value parameter `k` is held at when its bounds are equal, else `None`.
    pub fn fixed_value(&self, k: usize) -> Option<f64> {
        (self.lower[k] == self.upper[k]).then_some(self.lower[k])
    }

    /// True when some parameter has equal bounds (is held fixed).
    pub fn has_fixed(&self) -> bool {
        (0..self.len()).any(|k| self.fixed_value(k).is_some())
    }

    /// True when `p` satisfies every bound.
    pub fn contains(&self, p: &[f64]) -> bool {
        p.iter()
            .zip(self.lower.iter().zip(&self.upper))
            .all(|(v, (lo, hi))| lo <= v && v <= hi)
    }

    /// Checks that `p0` has the right length and lies within the bounds.
    pub fn check_start(&self, p0: &[f64]) -> Result<(), OptimizationError> {
        InvalidInput::check_parameter_count("bounds", p0.len(), self.len())?;
        for (index, &value) in p0.iter().enumerate() {
            self.check_within(index, value)?;
        }
        Ok(())
    }

    /// Checks that `value`, a start or held value of parameter `index`, satisfies
    /// `lower[index] <= value <= upper[index]` (an `index` past the bounds is a
    /// parameter-count error).
    pub fn check_within(&self, index: usize, value: f64) -> Result<(), OptimizationError> {
        if index >= self.len() {
            return Err(InvalidInput::WrongParameterCount {
                what: "bounds",
                expected: index + 1,
                got: self.len(),
            }
            .into());
        }
        let (lower, upper) = (self.lower[index], self.upper[index]);
        if !(lower <= value && value <= upper) {
            return Err(InvalidInput::P0OutsideBounds {
                index,
                value,
                lower,
                upper,
            }
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn refuses_inverted_and_nan_bounds() {
        let e = Bounds::new(vec![0.0, 1.0], vec![1.0, 0.5]).unwrap_err();
        assert!(matches!(
            e.invalid_input(),
            Some(InvalidInput::InvertedBounds { index: 1, .. })
        ));
        let e = Bounds::new(vec![f64::INFINITY], vec![f64::INFINITY]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = Bounds::new(vec![f64::NAN], vec![1.0]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn equal_bounds_hold_a_parameter_fixed() {
        let b = Bounds::new(vec![0.0, 2.5], vec![1.0, 2.5]).unwrap();
        assert_eq!(b.fixed_value(0), None);
        assert_eq!(b.fixed_value(1), Some(2.5));
        assert!(b.has_fixed());
        assert!(!Bounds::unbounded(2).has_fixed());
    }

    #[test]
    fn start_outside_is_refused() {
        let b = Bounds::new(vec![0.0], vec![1.0]).unwrap();
        assert!(b.check_start(&[0.5]).is_ok());
        assert!(b.check_start(&[1.0]).is_ok());
        assert!(matches!(
            b.check_start(&[1.5]).unwrap_err().invalid_input(),
            Some(InvalidInput::P0OutsideBounds { index: 0, .. })
        ));
    }

    #[test]
    fn one_value_is_checked_against_its_own_bounds() {
        let b = Bounds::new(vec![0.0, 2.0], vec![1.0, 3.0]).unwrap();
        assert!(b.check_within(1, 2.5).is_ok());
        assert!(matches!(
            b.check_within(1, 0.5).unwrap_err().invalid_input(),
            Some(InvalidInput::P0OutsideBounds {
                index: 1,
                lower: 2.0,
                upper: 3.0,
                ..
            })
        ));
        assert!(b.check_within(0, f64::NAN).is_err());
        assert!(matches!(
            b.check_within(2, 0.5).unwrap_err().invalid_input(),
            Some(InvalidInput::WrongParameterCount { got: 2, .. })
        ));
    }
}

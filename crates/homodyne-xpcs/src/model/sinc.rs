//! `sinc(x) = sin(x) / x` and its derivative: the scalar functions, and the branch-free
//! forms the vectorised model loop evaluates from a given `sin x` and `cos x`.

/// Below this `|x|`, `sinc(x)` is evaluated by its series.
pub const SINC_SERIES_THRESHOLD: f64 = 1e-4;

/// Below this `|x|`, `sinc'(x)` is evaluated by its series.
const DERIVATIVE_SERIES_THRESHOLD: f64 = 1.0;

/// `sinc'(x)` series coefficients `(-1)^n 2n / (2n+1)!`, `n = 1..9`, in Horner form in
/// `x^2`.
const DERIVATIVE_SERIES: [f64; 9] = [
    -1.0 / 3.0,
    1.0 / 30.0,
    -1.0 / 840.0,
    1.0 / 45_360.0,
    -1.0 / 3_991_680.0,
    1.0 / 518_918_400.0,
    -1.0 / 93_405_312_000.0,
    1.0 / 22_230_464_256_000.0,
    -1.0 / 6_758_061_133_824_000.0,
];

/// `sinc(x) = sin(x) / x` and its derivative `sinc'(x) = (x cos x - sin x) / x^2`.
///
/// The value is the series `1 - x^2/6 + x^4/120` below [`SINC_SERIES_THRESHOLD`] and
/// `sin(x) / x` above, as the Python package evaluates it. The closed form of the
/// derivative loses `log10(3 / x^2)` digits to cancellation for small `x` (6 at
/// `x = 1e-3`), so below `|x| = 1` it is the series
/// `sinc'(x) = sum_{n >= 1} (-1)^n 2n x^(2n-1) / (2n+1)!`, to `n = 9` (the next term is
/// below `1e-17` there).
#[inline(always)]
pub fn sinc_with_derivative(x: f64) -> (f64, f64) {
    if x.abs() < DERIVATIVE_SERIES_THRESHOLD {
        (sinc(x), derivative_series(x))
    } else {
        let (sin, cos) = x.sin_cos();
        (sin / x, (x * cos - sin) / (x * x))
    }
}

/// `sinc(x) = sin(x) / x`, by the series `1 - x^2/6 + x^4/120` below
/// [`SINC_SERIES_THRESHOLD`], as the Python package evaluates it.
#[inline(always)]
pub fn sinc(x: f64) -> f64 {
    if x.abs() < SINC_SERIES_THRESHOLD {
        value_series(x)
    } else {
        x.sin() / x
    }
}

/// [`sinc`] at `x` given `sin_x = sin x`, without a branch: both sides are computed and
/// one is selected, so that a loop of them vectorises.
#[inline(always)]
pub(super) fn sinc_of(x: f64, sin_x: f64) -> f64 {
    let series = value_series(x);
    let closed = sin_x / x;
    if x.abs() < SINC_SERIES_THRESHOLD {
        series
    } else {
        closed
    }
}

/// The derivative of [`sinc_with_derivative`] at `x` given `sin x` and `cos x`, without a
/// branch (see [`sinc_of`]).
#[inline(always)]
pub(super) fn sinc_derivative_of(x: f64, sin_x: f64, cos_x: f64) -> f64 {
    let series = derivative_series(x);
    let closed = (x * cos_x - sin_x) / (x * x);
    if x.abs() < DERIVATIVE_SERIES_THRESHOLD {
        series
    } else {
        closed
    }
}

/// `1 - x^2/6 + x^4/120`.
#[inline(always)]
fn value_series(x: f64) -> f64 {
    let x2 = x * x;
    1.0 - x2 / 6.0 + x2 * x2 / 120.0
}

/// `x sum_n DERIVATIVE_SERIES[n] x^(2n)`.
#[inline(always)]
fn derivative_series(x: f64) -> f64 {
    let x2 = x * x;
    x * DERIVATIVE_SERIES
        .iter()
        .rev()
        .fold(0.0, |sum, &c| sum * x2 + c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the C library's `sin` and `cos`, the branch-free forms are the scalar
    /// functions bit for bit, on both sides of both thresholds.
    #[test]
    fn branch_free_forms_are_the_scalar_functions() {
        for x in [
            0.0, 1e-9, -3e-5, 9.99e-5, 1e-4, 2e-4, 0.3, -0.999, 1.0, 1.5, -7.0, 1234.5,
        ] {
            let (sin, cos) = f64::sin_cos(x);
            let (value, derivative) = sinc_with_derivative(x);
            assert_eq!(sinc_of(x, sin).to_bits(), sinc(x).to_bits(), "{x}");
            assert_eq!(sinc_of(x, sin).to_bits(), value.to_bits(), "{x}");
            assert_eq!(
                sinc_derivative_of(x, sin, cos).to_bits(),
                derivative.to_bits(),
                "{x}"
            );
        }
    }
}

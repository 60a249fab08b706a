//! The thresholds the diagnostics judge a result by.

/// A pair whose correlation exceeds this in magnitude is warned about as degenerate: the
/// data determine (nearly) one combination of the two, not each. At `|r| = 0.99` the
/// standard error of either parameter is `1 / sqrt(1 - r^2) ~ 7` times what it would be
/// with the other held at its value.
pub const DEGENERATE_CORRELATION: f64 = 0.99;

/// A varied parameter within this relative distance of a finite bound (relative to the
/// larger of the bound and the value) is reported on that bound. Wider than the solver's
/// own flag ([`ParameterFlag::AtLowerBound`](homodyne_core::ParameterFlag::AtLowerBound), 1e-10) so that a value the solver left one
/// rounding step inside the bound is still named.
pub const BOUND_TOLERANCE: f64 = 1e-8;

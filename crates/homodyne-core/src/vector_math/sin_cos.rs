//! `sin x` and `cos x` together in branch-free arithmetic, for loops the compiler
//! vectorises (see [`super::vectorized`]).

/// The largest `|x|` for which [`sin_cos`] is accurate: `10^8`. Beyond it (and for
/// infinite arguments) [`sin_cos`] returns NaN; [`sin_cos_slices`] evaluates those
/// arguments with the C library instead.
pub const SIN_COS_RANGE: f64 = 1.0e8;

/// `(sin x, cos x)` in branch-free arithmetic, within 2 ulp of the correctly rounded
/// values for `|x| <= SIN_COS_RANGE`, NaN beyond.
///
/// # Method
///
/// With `q = round(2 x / pi)` and `r = x - q pi/2` (`|r| <= pi/4`),
///
/// ```text
/// sin x = ( sin r,  cos r, -sin r, -cos r)[q mod 4]
/// cos x = ( cos r, -sin r, -cos r,  sin r)[q mod 4]
/// ```
///
/// `pi/2` is split (Cody and Waite) into three parts of 26 significant bits and a
/// fourth of 53, so that `q` times each of the first three is exact for `|q| < 2^27` and
/// `r` is right to rounding. `sin r` and `cos r` are the minimax polynomials of fdlibm's
/// `__kernel_sin` and `__kernel_cos` (errors below `2^-58` on `[-pi/4, pi/4]`), `cos r`
/// summed as `w + ((1 - w) - r^2/2 + ...)` with `w = 1 - r^2/2` to keep its last bit.
/// Only additions, multiplications, selections and bit operations are used, so a
/// vectorised loop gives the same bits as a scalar one on every CPU.
#[inline(always)]
pub fn sin_cos(x: f64) -> (f64, f64) {
    const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
    // pi/2 = P1 + P2 + P3 + P4 to 131 bits; P1, P2, P3 have 26 significant bits each.
    const P1: f64 = 1.570_796_310_901_641_8;
    const P2: f64 = 1.5893254712295857e-08;
    const P3: f64 = 6.123233932053594e-17;
    const P4: f64 = 6.36831716351095e-25;
    // Adding 1.5 * 2^52 rounds a float of magnitude below 2^51 to an integer and leaves
    // that integer, two's complement, in the low bits of the sum.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    // fdlibm __kernel_sin: sin r = r + r^3 (S1 + r^2 S2 + ... + r^10 S6).
    const S: [f64; 6] = [
        -0.16666666666666632,
        0.00833333333332249,
        -0.0001984126982985795,
        2.7557313707070068e-06,
        -2.5050760253406863e-08,
        1.58969099521155e-10,
    ];
    // fdlibm __kernel_cos: cos r = 1 - r^2/2 + r^4 (C1 + r^2 C2 + ... + r^10 C6).
    const C: [f64; 6] = [
        0.0416666666666666,
        -0.001388888888887411,
        2.480158728947673e-05,
        -2.7557314351390663e-07,
        2.087572321298175e-09,
        -1.1359647557788195e-11,
    ];
    let in_range = in_range(x);
    // Out of range (and NaN) arguments are computed as 0 and replaced by NaN at the end.
    let x_in = if in_range { x } else { 0.0 };
    let shifted = x_in * TWO_OVER_PI + SHIFTER;
    let q = shifted - SHIFTER;
    let quadrant = shifted.to_bits() & 3;
    let r = ((x_in - q * P1) - q * P2) - q * P3 - q * P4;
    let z = r * r;
    let w = z * z;
    // sin r
    let s_tail = S[1] + z * (S[2] + z * S[3]) + z * w * (S[4] + z * S[5]);
    let sin_r = r + z * r * (S[0] + z * s_tail);
    // cos r
    let c_tail = z * (C[0] + z * (C[1] + z * C[2])) + w * w * (C[3] + z * (C[4] + z * C[5]));
    let half = 0.5 * z;
    let one_minus = 1.0 - half;
    let cos_r = one_minus + (((1.0 - one_minus) - half) + z * c_tail);
    // Quadrants 1 and 3 swap sine and cosine; sin changes sign in 2 and 3, cos in 1 and 2.
    let swap = quadrant & 1 == 1;
    let (sin_abs, cos_abs) = if swap { (cos_r, sin_r) } else { (sin_r, cos_r) };
    let sin_sign = (quadrant >> 1) << 63;
    let cos_sign = ((quadrant + 1) >> 1 & 1) << 63;
    let sin = f64::from_bits(sin_abs.to_bits() ^ sin_sign);
    let cos = f64::from_bits(cos_abs.to_bits() ^ cos_sign);
    if in_range {
        (sin, cos)
    } else {
        (f64::NAN, f64::NAN)
    }
}

/// Whether `|x| <= SIN_COS_RANGE` (false for NaN).
#[inline(always)]
fn in_range(x: f64) -> bool {
    x.abs() <= SIN_COS_RANGE
}

/// `sin` and `cos` of every `x` into `sin` and `cos` (of `x`'s length): [`sin_cos`],
/// vectorised where the caller runs it inside [`super::vectorized`], then the C library's
/// `sin_cos` for the arguments beyond [`SIN_COS_RANGE`]. Each value depends on its
/// argument alone, not on its position or the slice's length.
///
/// # Panics
///
/// When `sin` or `cos` is shorter than `x` (a caller's bug, not bad input).
#[inline(always)]
pub fn sin_cos_slices(x: &[f64], sin: &mut [f64], cos: &mut [f64]) {
    let (sin, cos) = (&mut sin[..x.len()], &mut cos[..x.len()]);
    let mut beyond = false;
    for ((&v, s), c) in x.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
        (*s, *c) = sin_cos(v);
        beyond |= !in_range(v);
    }
    if beyond {
        for ((&v, s), c) in x.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
            if !in_range(v) {
                (*s, *c) = v.sin_cos();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    /// A fixed stream of uniform numbers on `[0, 1)`.
    fn uniform() -> impl FnMut() -> f64 {
        let mut state: u64 = 0x51C0_5EED;
        move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Relative error of `got` against `want`, measured against `max(|want|, floor)`.
    fn relative(got: f64, want: f64, floor: f64) -> f64 {
        (got - want).abs() / want.abs().max(floor)
    }

    /// Measured (x86-64, 2 x 400 000 arguments): at most 1 ulp for `|x| <= pi/4`, and a
    /// relative error below 3.4e-16 of `max(|value|, 1e-3)` over the whole range; the
    /// asserted bounds leave a margin.
    #[test]
    fn sin_cos_is_within_two_ulp_of_the_c_library_over_its_range() {
        let mut next = uniform();
        let (mut worst_ulp, mut worst_relative) = (0u64, 0.0f64);
        for _ in 0..100_000 {
            let small = (2.0 * next() - 1.0) * std::f64::consts::FRAC_PI_4;
            let (s, c) = sin_cos(small);
            worst_ulp = worst_ulp
                .max(ulps(s, small.sin()))
                .max(ulps(c, small.cos()));
            // Arguments over decades up to the range, of both signs.
            let magnitude = 10f64.powf(-8.0 + 16.0 * next());
            for x in [magnitude, -magnitude, 2e3 * (2.0 * next() - 1.0)] {
                let (s, c) = sin_cos(x);
                let (ws, wc) = x.sin_cos();
                for (got, want) in [(s, ws), (c, wc)] {
                    // Away from the zeros, in ulp; everywhere, relative to 1e-3.
                    if want.abs() > 1e-3 {
                        assert!(ulps(got, want) <= 2, "sin_cos({x:e}): {got:e} vs {want:e}");
                    }
                    worst_relative = worst_relative.max(relative(got, want, 1e-3));
                }
            }
        }
        assert!(worst_ulp <= 1, "worst {worst_ulp} ulp on [-pi/4, pi/4]");
        assert!(
            worst_relative < 5e-16,
            "worst relative error {worst_relative:e}"
        );
    }

    #[test]
    fn sin_cos_near_multiples_of_half_pi_keeps_its_relative_accuracy() {
        // The doubles nearest k pi / 2, where the reduction cancels most digits.
        for k in [1.0, 2.0, 3.0, 4.0, 7.0, 100.0, 12_345.0, 1e6, 6e7] {
            let x = k * std::f64::consts::FRAC_PI_2;
            for x in [x, f64::from_bits(x.to_bits() + 1), -x] {
                let (s, c) = sin_cos(x);
                let (ws, wc) = x.sin_cos();
                assert!(
                    relative(s, ws, 0.0) < 1e-14,
                    "sin({x:e}) = {s:e}, want {ws:e}"
                );
                assert!(
                    relative(c, wc, 0.0) < 1e-14,
                    "cos({x:e}) = {c:e}, want {wc:e}"
                );
            }
        }
    }

    #[test]
    fn sin_cos_special_values_and_the_range_limit() {
        assert_eq!(sin_cos(0.0), (0.0, 1.0));
        assert_eq!(sin_cos(-0.0).1, 1.0);
        let (s, c) = sin_cos(SIN_COS_RANGE);
        let (ws, wc) = SIN_COS_RANGE.sin_cos();
        assert!(relative(s, ws, 1e-3) < 1e-15 && relative(c, wc, 1e-3) < 1e-15);
        for x in [f64::NAN, f64::INFINITY, -f64::INFINITY, 1.0000001e8, -3e12] {
            let (s, c) = sin_cos(x);
            assert!(s.is_nan() && c.is_nan(), "{x}");
        }
    }

    #[test]
    fn slices_fall_back_to_the_c_library_beyond_the_range() {
        let x = [0.5, 3e8, -1e300, f64::NAN, 2.0, f64::INFINITY, -7.25e9];
        let (mut sin, mut cos) = ([0.0; 7], [0.0; 7]);
        sin_cos_slices(&x, &mut sin, &mut cos);
        for (r, &v) in x.iter().enumerate() {
            let (want_sin, want_cos) = if v.abs() <= SIN_COS_RANGE {
                sin_cos(v)
            } else {
                v.sin_cos()
            };
            assert_eq!(sin[r].to_bits(), want_sin.to_bits(), "{v}");
            assert_eq!(cos[r].to_bits(), want_cos.to_bits(), "{v}");
        }
        assert!(sin[3].is_nan() && sin[5].is_nan());
        assert_eq!(sin[1], 3e8f64.sin());
    }
}

//! Reproducible random numbers: SplitMix64 for the bits, Box-Muller for normal deviates.
//!
//! Synthetic data (the XPCS demo, the examples, the benchmarks, the tests' fixtures and the
//! recovery's perturbed starts) must be the same bits on every platform, with every version
//! of every dependency, forever: a stored failure replays the same data and a benchmark
//! times the same fit. This module is the one generator they all use; its streams are
//! pinned by known-answer tests.
//!
//! # SplitMix64
//!
//! (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
//! the constants of Vigna's `splitmix64.c`.) The state is a Weyl sequence, the output a
//! bijective mix of it:
//!
//! ```text
//! s_{k+1} = s_k + gamma  (mod 2^64),      gamma = 0x9E3779B97F4A7C15 = floor(2^64 / phi), odd
//! z = s_{k+1}
//! z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9  (mod 2^64)
//! z = (z ^ (z >> 27)) * 0x94D049BB133111EB  (mod 2^64)
//! out_k = z ^ (z >> 31)
//! ```
//!
//! The period is `2^64` (gamma is odd) and every 64-bit value comes once per period.
//!
//! # Uniform values
//!
//! The top 53 bits `m = out >> 11` make a double exactly: `m / 2^53` is uniform on the
//! grid of `[0, 1)` ([`SplitMix64::next_f64`]), `(m + 1) / 2^53` on `(0, 1]`
//! ([`SplitMix64::next_f64_nonzero`], never 0, so its logarithm is finite).
//!
//! # Normal values
//!
//! (Box and Muller, "A note on the generation of random normal deviates", Ann. Math.
//! Statist. 29, 1958.) From two independent uniforms `u1` in `(0, 1]` and `u2` in
//! `(0, 1]`,
//!
//! ```text
//! r = sqrt(-2 ln u1),   theta = 2 pi u2,   (z1, z2) = (r cos theta, r sin theta)
//! ```
//!
//! are two independent standard normal values ([`SplitMix64::next_normal_pair`]).
//! [`GaussianNoise`] hands out both values of each pair, `z1` first.
//!
//! # Why not `rand`
//!
//! `rand`'s generators promise reproducibility only within a version, and `rand_distr`'s
//! normal sampler is a ziggurat: either would change every value of data sets, fixtures and
//! stored failures that are pinned to these bits. The generator is 20 lines; owning them
//! keeps the bits.
//!
//! ```
//! use homodyne_core::random::{GaussianNoise, SplitMix64};
//!
//! let mut bits = SplitMix64::new(7);
//! let u = bits.next_f64();
//! assert!((0.0..1.0).contains(&u));
//!
//! let mut noise = GaussianNoise::new(7);
//! let first: Vec<f64> = (0..4).map(|_| noise.next_normal()).collect();
//! let mut again = GaussianNoise::new(7);
//! assert!(first.iter().all(|&z| z == again.next_normal())); // the same seed, the same values
//! ```

/// The Weyl increment of SplitMix64, `floor(2^64 / phi)` made odd: `0x9E3779B97F4A7C15`.
pub const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// `2^-53`: the spacing of the doubles [`unit_f64`] makes.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// The SplitMix64 generator (see the module documentation): 64 bits of state, period
/// `2^64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed` (any value, 0 included).
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits: `s += gamma`, then the output mix of `s`.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `[0, 1)`: [`unit_f64`] of the next bits.
    pub fn next_f64(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// A uniform value in `(0, 1]`, `((bits >> 11) + 1) / 2^53`: never 0, so its logarithm
    /// is finite.
    pub fn next_f64_nonzero(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * UNIT
    }

    /// Two independent standard normal values by the Box-Muller transform of two uniforms
    /// in `(0, 1]`, `(r cos theta, r sin theta)` with `r = sqrt(-2 ln u1)`,
    /// `theta = 2 pi u2` (`u1` drawn first).
    pub fn next_normal_pair(&mut self) -> (f64, f64) {
        let r = (-2.0 * self.next_f64_nonzero().ln()).sqrt();
        let theta = std::f64::consts::TAU * self.next_f64_nonzero();
        (r * theta.cos(), r * theta.sin())
    }
}

/// The top 53 of 64 random bits as a double uniform in `[0, 1)`: `(bits >> 11) / 2^53`,
/// exact. For a caller that uses the same draw's other bits too (a sign from the lowest).
pub fn unit_f64(bits: u64) -> f64 {
    (bits >> 11) as f64 * UNIT
}

/// A stream of standard normal values: SplitMix64 for the bits and Box-Muller for the
/// normals, both values of each pair used (the cosine's first). The same seed gives the
/// same values on every platform, forever.
///
/// ```
/// use homodyne_core::random::GaussianNoise;
///
/// let mut noise = GaussianNoise::new(42);
/// let z: Vec<f64> = (0..1000).map(|_| noise.next_normal()).collect();
/// let mean = z.iter().sum::<f64>() / 1000.0;
/// assert!(mean.abs() < 0.15);
/// ```
#[derive(Debug, Clone)]
pub struct GaussianNoise {
    bits: SplitMix64,
    spare: Option<f64>,
}

impl GaussianNoise {
    /// A stream started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            bits: SplitMix64::new(seed),
            spare: None,
        }
    }

    /// The next 64 random bits of the underlying generator.
    pub fn next_u64(&mut self) -> u64 {
        self.bits.next_u64()
    }

    /// A uniform value in `(0, 1]` (never 0, so its logarithm is finite).
    pub fn next_uniform(&mut self) -> f64 {
        self.bits.next_f64_nonzero()
    }

    /// A standard normal value: the first of a new Box-Muller pair, or the second of the
    /// last one.
    pub fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (first, second) = self.bits.next_normal_pair();
        self.spare = Some(second);
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first outputs of `splitmix64.c` seeded with 1234567, the published test vector.
    #[test]
    fn bits_are_the_reference_generator() {
        let mut g = SplitMix64::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| g.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    /// The uniform and normal values of seed 0x5EED, pinned to their bits: the data sets,
    /// fixtures and benchmarks built on them stay the same.
    #[test]
    fn uniform_and_normal_values_keep_their_bits() {
        let mut g = SplitMix64::new(0x5EED);
        let bits: Vec<u64> = [g.next_f64(), g.next_f64_nonzero()]
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(bits, [0x3FA3_E3FB_3A07_E150, 0x3FD5_4C9D_0586_EFE2]);
        let mut noise = GaussianNoise::new(0x5EED);
        let normals: Vec<u64> = (0..3).map(|_| noise.next_normal().to_bits()).collect();
        assert_eq!(
            normals,
            [
                0xBFF4_4597_1AB9_E9E2,
                0x4001_B13A_5DBE_FAC8,
                0xBFF5_2AD8_D696_FEC3
            ]
        );
    }

    #[test]
    fn uniforms_keep_to_their_intervals() {
        assert_eq!(unit_f64(0), 0.0);
        assert_eq!(unit_f64(u64::MAX), 1.0 - UNIT);
        let mut g = SplitMix64::new(3);
        for _ in 0..10_000 {
            assert!((0.0..1.0).contains(&g.next_f64()));
            let u = g.next_f64_nonzero();
            assert!(u > 0.0 && u <= 1.0);
        }
    }

    #[test]
    fn normals_have_unit_variance() {
        let mut g = GaussianNoise::new(42);
        let n = 200_000;
        let v: Vec<f64> = (0..n).map(|_| g.next_normal()).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Standard errors: 1/sqrt(n) = 0.0022 for the mean, sqrt(2/n) = 0.0032 for the variance.
        assert!(mean.abs() < 0.011, "{mean}");
        assert!((var - 1.0).abs() < 0.016, "{var}");
    }
}

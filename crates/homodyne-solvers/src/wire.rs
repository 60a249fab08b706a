//! The sums of a pass as bytes, for the exchange between the processes of a distributed
//! fit ([`crate::distributed`]): every `f64` is written bit for bit, so that the sums a
//! process decodes are the very sums another encoded.
//!
//! # Layout (little-endian)
//!
//! ```text
//! "HSUM" u32 version (1)
//! f64 cost, f64 chi_squared, f64 scaled_sq
//! 2 x invalid sample: u64 count, u64 kept, kept x (u64 index, f64 value)
//! u8 factor present; if 1: u64 n, n*n f64 R (row-major), n f64 Q^T f
//! u8 normal present; if 1: u64 n, n*n f64 J^T J (row-major), n f64 J^T f
//! ```
//!
//! `O(P^2)` bytes whatever the number of points: `16 P^2 + 16 P + 193` at most with both
//! parts (about 45 kB for `P = 53`).

use homodyne_core::{InvalidSample, InvalidValue};

use crate::factor::RFactor;
use crate::normal::NormalAccumulator;
use crate::objective::SumsState;

const MAGIC: &[u8; 4] = b"HSUM";
const VERSION: u32 = 1;
/// The largest parameter count a message may declare (a guard against a corrupt length).
const MAX_PARAMS: u64 = 1 << 16;

impl SumsState {
    /// The sums as bytes (see the module documentation for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        for v in [self.cost, self.chi_squared, self.scaled_sq] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for sample in [&self.invalid_residuals, &self.invalid_jacobian] {
            out.extend_from_slice(&(sample.count as u64).to_le_bytes());
            out.extend_from_slice(&(sample.values.len() as u64).to_le_bytes());
            for v in &sample.values {
                out.extend_from_slice(&(v.index as u64).to_le_bytes());
                out.extend_from_slice(&v.value.to_le_bytes());
            }
        }
        let matrix = |out: &mut Vec<u8>, part: Option<(usize, &[f64], &[f64])>| match part {
            None => out.push(0),
            Some((n, square, vector)) => {
                out.push(1);
                out.extend_from_slice(&(n as u64).to_le_bytes());
                for v in square.iter().chain(vector) {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        };
        matrix(
            &mut out,
            self.factor.as_ref().map(|f| (f.n(), f.r_matrix(), f.qtf())),
        );
        matrix(
            &mut out,
            self.normal
                .as_ref()
                .map(|a| (a.n(), a.parts().0, a.parts().1)),
        );
        out
    }

    /// Sums from [`SumsState::to_bytes`]; an error naming what is wrong for bytes that are
    /// truncated, too long, of another version or not sums at all.
    pub fn from_bytes(bytes: &[u8]) -> Result<SumsState, String> {
        let mut reader = Reader { bytes, at: 0 };
        if reader.take(4)? != MAGIC {
            return Err("not the sums of a pass (no HSUM header)".to_owned());
        }
        let version = u32::from_le_bytes(reader.array()?);
        if version != VERSION {
            return Err(format!(
                "sums of version {version}; this build reads version {VERSION}"
            ));
        }
        let (cost, chi_squared, scaled_sq) = (reader.f64()?, reader.f64()?, reader.f64()?);
        let mut samples = [InvalidSample::default(), InvalidSample::default()];
        for sample in &mut samples {
            sample.count = reader.length(u64::MAX)?;
            let kept = reader.length(InvalidSample::CAPACITY as u64)?;
            for _ in 0..kept {
                let index = reader.length(u64::MAX)?;
                sample.values.push(InvalidValue {
                    index,
                    value: reader.f64()?,
                });
            }
        }
        let factor = reader
            .matrix()?
            .map(|(n, square, vector)| RFactor::from_parts(n, square, vector));
        let normal = match reader.matrix()? {
            None => None,
            Some((n, square, vector)) => Some(
                NormalAccumulator::from_parts(n, square, vector)
                    .ok_or("normal-equation sums of inconsistent size")?,
            ),
        };
        if reader.at != bytes.len() {
            return Err(format!(
                "{} bytes after the end of the sums",
                bytes.len() - reader.at
            ));
        }
        let [invalid_residuals, invalid_jacobian] = samples;
        Ok(SumsState {
            cost,
            chi_squared,
            scaled_sq,
            invalid_residuals,
            invalid_jacobian,
            factor,
            normal,
        })
    }
}

/// `n`, an `n x n` matrix (row-major) and an `n`-vector, as read.
type Matrix = (usize, Vec<f64>, Vec<f64>);

/// A cursor over the bytes of a message.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "truncated sums: {} bytes, needed {} more at byte {}",
                    self.bytes.len(),
                    n,
                    self.at
                )
            })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A `u64` length or index, at most `max`.
    fn length(&mut self, max: u64) -> Result<usize, String> {
        let v = u64::from_le_bytes(self.array()?);
        if v > max {
            return Err(format!("a count of {v} where at most {max} fits"));
        }
        usize::try_from(v).map_err(|_| format!("a count of {v} does not fit this machine"))
    }

    /// An optional `n x n` matrix and `n`-vector.
    fn matrix(&mut self) -> Result<Option<Matrix>, String> {
        match self.take(1)?[0] {
            0 => Ok(None),
            1 => {
                let n = self.length(MAX_PARAMS)?;
                let mut values = |count: usize| -> Result<Vec<f64>, String> {
                    (0..count).map(|_| self.f64()).collect()
                };
                let square = values(n * n)?;
                let vector = values(n)?;
                Ok(Some((n, square, vector)))
            }
            flag => Err(format!("a presence flag of {flag} (0 or 1 expected)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SumsState {
        let mut invalid = InvalidSample::default();
        invalid.push(7, f64::NAN);
        invalid.push(9, f64::INFINITY);
        SumsState {
            cost: 1.25,
            chi_squared: 2.5,
            scaled_sq: -0.0,
            invalid_residuals: invalid,
            invalid_jacobian: InvalidSample::default(),
            factor: Some(RFactor::from_parts(
                2,
                vec![1.0, 2.0, 0.0, 3.0],
                vec![0.1, f64::MIN_POSITIVE],
            )),
            normal: NormalAccumulator::from_parts(
                2,
                vec![4.0, 1.0, 1.0, 5.0],
                vec![1e300, -1e-300],
            ),
        }
    }

    fn same_bits(a: &SumsState, b: &SumsState) -> bool {
        format!("{:?}", a.to_bytes()) == format!("{:?}", b.to_bytes())
            && a.invalid_residuals.count == b.invalid_residuals.count
    }

    #[test]
    fn sums_round_trip_bit_for_bit() {
        let sums = sample();
        let bytes = sums.to_bytes();
        let back = SumsState::from_bytes(&bytes).unwrap();
        assert!(same_bits(&sums, &back));
        assert!(back.invalid_residuals.values[0].value.is_nan());
        assert_eq!(back.invalid_residuals.values[1].index, 9);
        assert_eq!(back.scaled_sq.to_bits(), (-0.0f64).to_bits());
        let empty = SumsState::from_bytes(&SumsState::empty().to_bytes()).unwrap();
        assert!(empty.factor.is_none() && empty.normal.is_none());
    }

    #[test]
    fn damaged_bytes_are_errors_naming_the_problem() {
        let bytes = sample().to_bytes();
        let err = SumsState::from_bytes(&bytes[..bytes.len() - 3]).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            SumsState::from_bytes(&longer)
                .unwrap_err()
                .contains("after the end")
        );
        assert!(SumsState::from_bytes(b"nope").unwrap_err().contains("HSUM"));
        let mut version = bytes.clone();
        version[4] = 9;
        assert!(
            SumsState::from_bytes(&version)
                .unwrap_err()
                .contains("version 9")
        );
        assert!(
            SumsState::from_bytes(&[])
                .unwrap_err()
                .contains("truncated")
        );
    }
}

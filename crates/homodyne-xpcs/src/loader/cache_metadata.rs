//! The cache's `cache_metadata_json`: read into a [`CacheMetadata`], and written as the
//! package writes it, byte for byte (NumPy's summation, Python's float repr).

use std::path::Path;

use super::loaded::{CacheMetadata, LoadedXpcs};
use super::options::LoadOptions;
use crate::error::XpcsError;

/// The metadata of the JSON `text`; NaN and Infinity tokens read as NaN, a field of the
/// wrong type as `None` with a warning.
pub(super) fn metadata_from_json(
    text: &str,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<CacheMetadata, XpcsError> {
    let parsed = serde_json::from_str::<serde_json::Value>(text).or_else(|first| {
        // Python's json writes NaN and Infinity as bare tokens; JSON has no such values.
        let cleaned = text
            .replace("-Infinity", "null")
            .replace("Infinity", "null")
            .replace("NaN", "null");
        serde_json::from_str::<serde_json::Value>(&cleaned).map_err(|_| first)
    });
    let value = parsed.map_err(|e| {
        XpcsError::data_file(
            path,
            "cache_metadata_json",
            format!("is not valid JSON ({e}); delete the cache so that it is written anew"),
        )
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(XpcsError::data_file(
            path,
            "cache_metadata_json",
            "is not a JSON object; delete the cache so that it is written anew",
        ));
    };
    let mut field_warning = |field: &str, value: &serde_json::Value| {
        warnings.push(format!(
            "cache_metadata_json field {field} = {value} has an unexpected type; ignored"
        ));
    };
    let mut number = |field: &str| -> Option<f64> {
        let value = map.get(field)?;
        match value {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::Null => Some(f64::NAN),
            other => {
                field_warning(field, other);
                None
            }
        }
    };
    let config_wavevector_q = number("config_wavevector_q");
    let actual_wavevector_q = number("actual_wavevector_q");
    let q_variance = number("q_variance");
    let integer = |field: &str, warnings: &mut Vec<String>| -> Option<i64> {
        let value = map.get(field)?;
        let n = value.as_i64();
        if n.is_none() {
            warnings.push(format!(
                "cache_metadata_json field {field} = {value} is not an integer; ignored"
            ));
        }
        n
    };
    let q_count = integer("q_count", warnings);
    let start_frame = integer("start_frame", warnings);
    let end_frame = integer("end_frame", warnings);
    let phi_count = integer("phi_count", warnings);
    Ok(CacheMetadata {
        config_wavevector_q,
        actual_wavevector_q,
        q_variance,
        q_count,
        start_frame,
        end_frame,
        phi_count,
        cache_version: map
            .get("cache_version")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        selective_q_caching: map.get("selective_q_caching").and_then(|v| v.as_bool()),
    })
}

/// NumPy's pairwise summation (`np.add.reduce` on a contiguous float64 array), so that
/// the cache's mean and standard deviation match the package's to the last bit.
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.nanmean` and `np.nanstd` (ddof 0) as NumPy computes them.
fn nan_mean_std(values: &[f64]) -> (f64, f64) {
    let count = values.iter().filter(|v| !v.is_nan()).count();
    let zeroed: Vec<f64> = values
        .iter()
        .map(|&v| if v.is_nan() { 0.0 } else { v })
        .collect();
    let mean = pairwise_sum(&zeroed) / count as f64;
    let squares: Vec<f64> = values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                0.0
            } else {
                let d = v - mean;
                d * d
            }
        })
        .collect();
    let std = (pairwise_sum(&squares) / count as f64).sqrt();
    (mean, std)
}

/// A float as Python's `repr` (and so `json.dumps`) writes it: the shortest digits that
/// read back to the same value, fixed notation for exponents -4..16, else `1e-05` style.
pub(crate) fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{sign}{}.{}", &digits[..point], &digits[point..])
            }
        } else {
            let zeros = "0".repeat((-exponent - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let body = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let esign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{body}e{esign}{:02}", exponent.unsigned_abs())
    }
}

/// The `cache_metadata_json` text the package writes for `loaded` under `options`,
/// byte for byte (`json.dumps` of the same dict, in the same key order).
pub fn cache_metadata_json(loaded: &LoadedXpcs, options: &LoadOptions) -> String {
    let q = &loaded.wavevector_q_list;
    let (mean, std) = nan_mean_std(q);
    let actual = if q.is_empty() {
        options.wavevector_q
    } else {
        mean
    };
    let variance = if q.len() > 1 { std } else { 0.0 };
    let end_frame = if options.end_frame != -1 {
        options.end_frame
    } else {
        loaded.data.n_t as i64 + options.start_frame - 1
    };
    format!(
        "{{\"config_wavevector_q\": {}, \"actual_wavevector_q\": {}, \"q_variance\": {}, \
         \"q_count\": {}, \"start_frame\": {}, \"end_frame\": {}, \"phi_count\": {}, \
         \"cache_version\": \"2.0\", \"selective_q_caching\": true}}",
        python_float(options.wavevector_q),
        python_float(actual),
        python_float(variance),
        q.len(),
        options.start_frame,
        end_frame,
        loaded.data.phi.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr_matches_python() {
        for (x, text) in [
            (0.0048, "0.0048"),
            (0.00481, "0.00481"),
            (0.0, "0.0"),
            (2.0, "2.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (1e16, "1e+16"),
            (123456.789, "123456.789"),
            (-0.25, "-0.25"),
            (1e15, "1000000000000000.0"),
            (8.673617379884035e-19, "8.673617379884035e-19"),
        ] {
            assert_eq!(python_float(x), text, "{x}");
        }
    }

    #[test]
    fn pairwise_sums_follow_numpy_blocks() {
        let a: Vec<f64> = (0..300).map(|i| 0.1 * i as f64).collect();
        let plain: f64 = a.iter().sum();
        assert!((pairwise_sum(&a) - plain).abs() < 1e-9);
        let (mean, std) = nan_mean_std(&[1.0, f64::NAN, 3.0]);
        assert_eq!((mean, std), (2.0, 1.0));
        // numpy: q = linspace(0.001, 0.01, 300); q[7] = nan; nanmean(q), nanstd(q).
        let step = (0.01 - 0.001) / 299.0;
        let mut q: Vec<f64> = (0..300).map(|k| k as f64 * step + 0.001).collect();
        q[299] = 0.01;
        q[7] = f64::NAN;
        assert_eq!(
            nan_mean_std(&q),
            (0.005514345477119944, 0.00259925738305983)
        );
    }
}

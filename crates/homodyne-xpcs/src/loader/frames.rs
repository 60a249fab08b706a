//! The package's conventions for the frames of every layout: which frames a load keeps
//! ([`frame_window`]), their times ([`loader_times`]) and the diagonal correction
//! ([`correct_diagonal`]).

use std::path::Path;

use super::options::LoadOptions;
use crate::error::XpcsError;

/// The package's time vector for `n` frames: NumPy's `linspace(0, dt (n-1), n)`,
/// computed as NumPy computes it (`k * step` with `step = stop / (n-1)`, the last value
/// set to `stop` exactly).
pub fn loader_times(dt: f64, n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let stop = dt * (n - 1) as f64;
    if n == 1 {
        return vec![0.0];
    }
    let div = (n - 1) as f64;
    let step = stop / div;
    let mut t: Vec<f64> = if step == 0.0 {
        (0..n).map(|k| k as f64 / div * stop).collect()
    } else {
        (0..n).map(|k| k as f64 * step).collect()
    };
    // `y += start` with start = 0 turns -0.0 into 0.0.
    for v in &mut t {
        *v += 0.0;
    }
    t[n - 1] = stop;
    t
}

/// Replaces the diagonal of the row-major `n x n` `matrix` by the mean of its
/// neighbours, as the package does after loading (`core/diagonal_correction.py`, JAX
/// path): with the symmetrised side band `s_i = (c_{i,i+1} + c_{i+1,i}) / 2`,
/// `c_00 = s_0`, `c_ii = (s_{i-1} + s_i) / 2`, `c_{n-1,n-1} = s_{n-2}`. A matrix of one
/// frame is left as it is.
///
/// # Errors
///
/// [`XpcsError::InvalidSetting`] when `matrix` does not hold `n * n` values.
pub fn correct_diagonal(matrix: &mut [f64], n: usize) -> Result<(), XpcsError> {
    if n.checked_mul(n) != Some(matrix.len()) {
        return Err(XpcsError::setting(
            "matrix",
            format!("{} values are not a {n} x {n} matrix", matrix.len()),
        ));
    }
    if n <= 1 {
        return Ok(());
    }
    let side: Vec<f64> = (0..n - 1)
        .map(|i| 0.5 * (matrix[i * n + i + 1] + matrix[(i + 1) * n + i]))
        .collect();
    matrix[0] = side[0];
    for i in 1..n - 1 {
        matrix[i * n + i] = (side[i - 1] + side[i]) * 0.5;
    }
    matrix[(n - 1) * n + n - 1] = side[n - 2];
    Ok(())
}

/// 0-based `[start, end)` of the frames to keep out of `n`, as the package's
/// `_apply_frame_slicing_to_selected_q` computes it, except that a range past the data
/// is an error unless clamping is asked for.
pub(super) fn frame_window(
    path: &Path,
    options: &LoadOptions,
    n: usize,
    warnings: &mut Vec<String>,
) -> Result<(usize, usize), XpcsError> {
    let range_error = |message: String| XpcsError::FrameRange {
        path: path.to_path_buf(),
        start_frame: options.start_frame,
        end_frame: options.end_frame,
        n_frames: n,
        message,
    };
    let start_frame = if options.start_frame < 1 {
        warnings.push(format!(
            "start_frame = {} < 1 was taken as 1, as the package takes it",
            options.start_frame
        ));
        1
    } else {
        options.start_frame
    };
    let start = usize::try_from(start_frame - 1).unwrap_or(usize::MAX);
    let mut end = if options.end_frame < 0 {
        n
    } else {
        usize::try_from(options.end_frame).unwrap_or(usize::MAX)
    };
    if end > n {
        if options.clamp_end_frame {
            warnings.push(format!(
                "end_frame = {} is past the last of the {n} frames; clamped to {n}, as the \
                 package clamps it",
                options.end_frame
            ));
            end = n;
        } else {
            return Err(range_error(format!(
                "the data hold frames 1 to {n}; set end_frame to at most {n}, or to -1 for \
                 the last frame"
            )));
        }
    }
    if start >= end {
        return Err(range_error(format!(
            "no frame is left; give 1 <= start_frame <= end_frame <= {n}"
        )));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_follow_numpy() {
        let t = loader_times(0.1, 10);
        assert_eq!(t.len(), 10);
        assert_eq!(t[9], 0.1 * 9.0);
        assert_eq!(t[3], 3.0 * (0.1 * 9.0 / 9.0));
        assert_eq!(loader_times(0.1, 1), [0.0]);
        assert!(loader_times(0.1, 0).is_empty());
    }

    #[test]
    fn the_diagonal_is_the_mean_of_its_neighbours() {
        let mut m = vec![9.0, 1.0, 5.0, 1.0, 9.0, 3.0, 5.0, 3.0, 9.0];
        correct_diagonal(&mut m, 3).unwrap();
        assert_eq!([m[0], m[4], m[8]], [1.0, 2.0, 3.0]);
        let mut one = vec![4.0];
        correct_diagonal(&mut one, 1).unwrap();
        assert_eq!(one, [4.0]);
        assert!(correct_diagonal(&mut m, 2).is_err());
    }
}

//! Making a bare matrix whole from the triangle that holds its data, and saying when a
//! full one is not symmetric.

use std::path::Path;

use crate::error::XpcsError;
use crate::loader::format::MatrixTriangle;

/// Relative asymmetry `|c_ij - c_ji| / max |c|` above which a full matrix is said to be
/// asymmetric.
const ASYMMETRY_TOLERANCE: f64 = 1e-6;

/// Where one matrix came from, for messages.
pub(super) struct MatrixContext<'a> {
    /// The file.
    pub(super) path: &'a Path,
    /// The matrix's dataset or array, `/exchange/c2[1]`.
    pub(super) item: &'a str,
    /// Its 0-based index in the stack.
    pub(super) angle: usize,
    /// Matrices in the stack.
    pub(super) n_angles: usize,
    /// Its angle (degrees).
    pub(super) phi: f64,
    /// The 0-based file frame of the first row and column.
    pub(super) first_frame: usize,
}

impl MatrixContext<'_> {
    /// `the matrix (phi = 0 deg)` or `angle 2 of 4 (phi = 45 deg)`.
    fn which(&self) -> String {
        if self.n_angles == 1 {
            format!("the matrix (phi = {} deg)", self.phi)
        } else {
            format!(
                "angle {} of {} (phi = {} deg)",
                self.angle + 1,
                self.n_angles,
                self.phi
            )
        }
    }
}

/// `0` or NaN: what an empty triangle holds.
fn empty(v: f64) -> bool {
    v == 0.0 || v.is_nan()
}

/// Makes the `m x m` row-major `matrix` whole from the triangle that holds its data
/// (mirroring it across the diagonal), after checking that every value off the diagonal
/// it keeps is finite. Returns the triangle used.
pub(super) fn make_whole(
    matrix: &mut [f64],
    m: usize,
    configured: MatrixTriangle,
    context: &MatrixContext<'_>,
    warnings: &mut Vec<String>,
) -> Result<MatrixTriangle, XpcsError> {
    let upper_empty = (0..m).all(|i| (i + 1..m).all(|j| empty(matrix[i * m + j])));
    let lower_empty = (0..m).all(|i| (0..i).all(|j| empty(matrix[i * m + j])));
    if m > 1 && upper_empty && lower_empty {
        return Err(XpcsError::data_file(
            context.path,
            context.item,
            format!(
                "{} holds no value off its diagonal (every one is 0 or NaN); a two-time \
                 correlation needs its values for t1 != t2",
                context.which()
            ),
        ));
    }
    let triangle = match configured {
        MatrixTriangle::Auto if m > 1 && lower_empty => MatrixTriangle::Upper,
        MatrixTriangle::Auto if m > 1 && upper_empty => MatrixTriangle::Lower,
        MatrixTriangle::Auto => MatrixTriangle::Full,
        other => other,
    };
    if configured == MatrixTriangle::Full && m > 1 && (lower_empty || upper_empty) {
        warnings.push(format!(
            "{} [{}]: {} is read as a full matrix (experimental_data.triangle: full), but \
             every value {} its diagonal is 0 or NaN; give `triangle: auto` to mirror the \
             other half",
            context.path.display(),
            context.item,
            context.which(),
            if lower_empty { "below" } else { "above" }
        ));
    }
    // The off-diagonal values kept, checked in row-major order.
    let kept = |i: usize, j: usize| match triangle {
        MatrixTriangle::Upper => i < j,
        MatrixTriangle::Lower => i > j,
        _ => i != j,
    };
    for i in 0..m {
        for j in 0..m {
            let v = matrix[i * m + j];
            if kept(i, j) && !v.is_finite() {
                return Err(XpcsError::data_file(
                    context.path,
                    context.item,
                    format!(
                        "the value {v} at row {}, column {} (1-based frames of the file) of \
                         {} is not finite; the fit needs finite values off the diagonal: \
                         choose other frames (start_frame, end_frame) or repair the file",
                        context.first_frame + i + 1,
                        context.first_frame + j + 1,
                        context.which()
                    ),
                ));
            }
        }
    }
    match triangle {
        MatrixTriangle::Upper => {
            for i in 0..m {
                for j in i + 1..m {
                    matrix[j * m + i] = matrix[i * m + j];
                }
            }
        }
        MatrixTriangle::Lower => {
            for i in 0..m {
                for j in i + 1..m {
                    matrix[i * m + j] = matrix[j * m + i];
                }
            }
        }
        _ => {}
    }
    Ok(triangle)
}

/// A note when a full matrix is not symmetric: the fit uses `t1 < t2` (the upper
/// triangle), and the diagonal correction the mean of both neighbours.
pub(super) fn asymmetry(matrix: &[f64], m: usize, context: &MatrixContext<'_>) -> Option<String> {
    let scale = matrix.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut worst = (0.0f64, 0, 0);
    for i in 0..m {
        for j in i + 1..m {
            let d = (matrix[i * m + j] - matrix[j * m + i]).abs();
            if d > worst.0 {
                worst = (d, i, j);
            }
        }
    }
    (worst.0 > ASYMMETRY_TOLERANCE * scale).then(|| {
        format!(
            "{} [{}]: {} is not symmetric (|c(t1, t2) - c(t2, t1)| = {:.3e} at row {}, column \
             {}, 1-based frames of the file); the fit uses its upper triangle (t1 < t2)",
            context.path.display(),
            context.item,
            context.which(),
            worst.0,
            context.first_frame + worst.1 + 1,
            context.first_frame + worst.2 + 1
        )
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    fn context(path: &Path) -> MatrixContext<'_> {
        MatrixContext {
            path,
            item: "c2",
            angle: 0,
            n_angles: 1,
            phi: 0.0,
            first_frame: 0,
        }
    }

    /// The square `matrix` of `m.npy` made whole from `triangle`.
    fn whole(
        matrix: &mut [f64],
        triangle: MatrixTriangle,
        warnings: &mut Vec<String>,
    ) -> Result<MatrixTriangle, XpcsError> {
        let m = (matrix.len() as f64).sqrt() as usize;
        make_whole(matrix, m, triangle, &context(Path::new("m.npy")), warnings)
    }

    #[test]
    fn triangles_are_detected_and_mirrored() {
        let mut warnings = Vec::new();
        let mut upper = vec![1.0, 2.0, 3.0, 0.0, 4.0, 5.0, f64::NAN, 0.0, 6.0];
        let t = whole(&mut upper, MatrixTriangle::Auto, &mut warnings).unwrap();
        assert_eq!(t, MatrixTriangle::Upper);
        assert_eq!(upper, [1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        let mut lower = vec![1.0, 0.0, 0.0, 2.0, 4.0, 0.0, 3.0, 5.0, 6.0];
        let t = whole(&mut lower, MatrixTriangle::Auto, &mut warnings).unwrap();
        assert_eq!(t, MatrixTriangle::Lower);
        assert_eq!(lower, [1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        // A configured upper triangle ignores what is below it.
        let mut noisy = vec![1.0, 2.0, 3.0, 9.0, 4.0, 5.0, 9.0, 9.0, 6.0];
        whole(&mut noisy, MatrixTriangle::Upper, &mut warnings).unwrap();
        assert_eq!(noisy, [1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        assert!(warnings.is_empty(), "{warnings:?}");
        // Full is kept as it is, with a word when half of it is empty.
        let mut half = vec![1.0, 2.0, 0.0, 4.0];
        let t = whole(&mut half, MatrixTriangle::Full, &mut warnings).unwrap();
        assert_eq!((t, half), (MatrixTriangle::Full, vec![1.0, 2.0, 0.0, 4.0]));
        assert!(warnings[0].contains("below its diagonal"), "{warnings:?}");
    }

    #[test]
    fn empty_matrices_and_non_finite_values_are_refused() {
        let path = Path::new("m.npy");
        let mut warnings = Vec::new();
        let mut zero = vec![1.0, 0.0, f64::NAN, 1.0];
        let err = whole(&mut zero, MatrixTriangle::Auto, &mut warnings).unwrap_err();
        assert!(
            err.to_string().contains("no value off its diagonal"),
            "{err}"
        );
        let mut full = vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::INFINITY, 7.0, 8.0, 9.0];
        let ctx = MatrixContext {
            first_frame: 10,
            angle: 1,
            n_angles: 3,
            phi: 45.0,
            ..context(path)
        };
        let err = make_whole(&mut full, 3, MatrixTriangle::Auto, &ctx, &mut warnings)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 12, column 13") && err.contains("angle 2 of 3 (phi = 45 deg)"),
            "{err}"
        );
        // The diagonal is replaced, so a NaN there is no error.
        let mut diagonal = vec![f64::NAN, 2.0, 2.0, f64::NAN];
        whole(&mut diagonal, MatrixTriangle::Auto, &mut warnings).unwrap();
    }

    #[test]
    fn asymmetry_is_noted_beyond_rounding() {
        let path = Path::new("m.npy");
        let symmetric = [1.0, 2.0, 2.0 + 1e-9, 1.0];
        assert!(asymmetry(&symmetric, 2, &context(path)).is_none());
        let skew = [1.0, 2.0, 2.5, 1.0];
        let note = asymmetry(&skew, 2, &context(path)).unwrap();
        assert!(note.contains("row 1, column 2"), "{note}");
    }
}

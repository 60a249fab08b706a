//! Writing two-time matrices as an APS-U HDF5 file, the layout [`super::load_hdf5`] reads
//! (see the module documentation of [`super`]).
//!
//! One wavevector and `n_phi` angles are written as:
//!
//! | dataset | contents |
//! |---|---|
//! | `xpcs/qmap/dynamic_v_list_dim0` | `[q]` (float64) |
//! | `xpcs/qmap/dynamic_v_list_dim1` | the angles in degrees (float64) |
//! | `xpcs/twotime/processed_bins` | `1, 2, .., n_phi` (int64): bin `k + 1` is q index 0, phi index `k` |
//! | `xpcs/twotime/correlation_map/c2_00001`, .. | the upper half of each matrix, `t1 <= t2`, zeros below (float64, `n_t x n_t`) |
//!
//! The member names are zero-padded to one width, so their name order (the order the
//! loader pairs them with the bins in) is the angle order. The loader forms
//! `c2 = h + h^T` with the diagonal halved, so a symmetric matrix is read back with
//! every bit unchanged (before the loader's diagonal correction); a matrix that is not
//! symmetric could not be, and is refused.

use std::path::{Path, PathBuf};

use rust_hdf5::{H5File, H5Group, Hdf5Error};

use super::layout::{APS_U_CORRELATION_MAP, APS_U_PHI_LIST, APS_U_PROCESSED_BINS, APS_U_Q_LIST};
use crate::data::CorrelationData;
use crate::error::XpcsError;

/// The name of the `k`-th (0-based) member of `xpcs/twotime/correlation_map` among
/// `n_phi`: `c2_00001` for `k = 0`, with at least five digits, more when `n_phi` needs
/// them, so that name order is angle order.
pub fn aps_u_member_name(k: usize, n_phi: usize) -> String {
    let width = n_phi.to_string().len().max(5);
    format!("c2_{:0width$}", k + 1)
}

/// Writes `data` (one wavevector `data.q`, the angles `data.phi`, one symmetric
/// `n_t x n_t` matrix per angle) to `path` as an APS-U HDF5 file (the layout of the
/// module documentation). The file is written under a temporary name beside `path` and
/// renamed over it when complete, so an existing file is replaced whole or not at all.
///
/// # Errors
///
/// Checked before anything is written: [`XpcsError::InvalidSetting`] naming the angle
/// and frame pair when a matrix is not symmetric (its lower half would be lost), or when
/// `q` or an angle is not finite. [`XpcsError::Io`] when the file cannot be created or
/// renamed, [`XpcsError::Write`] naming the dataset the HDF5 writer refused.
pub fn write_aps_u(path: &Path, data: &CorrelationData) -> Result<(), XpcsError> {
    check(data)?;
    let temporary = temporary_path(path);
    let written = write_file(&temporary, path, data);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    std::fs::rename(&temporary, path).map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        XpcsError::Io {
            path: path.to_path_buf(),
            action: "write".to_owned(),
            source,
        }
    })
}

/// Symmetric matrices, a finite q and finite angles.
fn check(data: &CorrelationData) -> Result<(), XpcsError> {
    if !data.q.is_finite() {
        return Err(XpcsError::setting(
            "wavevector_q",
            format!("{} is not a finite wavevector", data.q),
        ));
    }
    if let Some(bad) = data.phi.iter().find(|p| !p.is_finite()) {
        return Err(XpcsError::setting(
            "phi angles",
            format!("{bad} is not a finite angle"),
        ));
    }
    let n = data.n_t;
    for (k, &phi) in data.phi.iter().enumerate() {
        let matrix = data.matrix(k);
        for i in 0..n {
            for j in i + 1..n {
                let (upper, lower) = (matrix[i * n + j], matrix[j * n + i]);
                if upper.to_bits() != lower.to_bits() {
                    return Err(XpcsError::setting(
                        "c2",
                        format!(
                            "the matrix of angle {k} ({phi} deg) is not symmetric: \
                             c2[{i}][{j}] = {upper} but c2[{j}][{i}] = {lower}; the APS-U \
                             layout stores one half"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The file's contents, written to `temporary`; errors name `path`, the file the user
/// asked for.
fn write_file(temporary: &Path, path: &Path, data: &CorrelationData) -> Result<(), XpcsError> {
    let error = |item: &str, e: Hdf5Error| match e {
        Hdf5Error::Io(source) => XpcsError::Io {
            path: path.to_path_buf(),
            action: "write".to_owned(),
            source,
        },
        other => XpcsError::Write {
            path: path.to_path_buf(),
            item: item.to_owned(),
            message: other.to_string(),
        },
    };
    let file = H5File::create(temporary).map_err(|e| error("", e))?;
    let root = file.root_group();
    let xpcs = root.create_group("xpcs").map_err(|e| error("/xpcs", e))?;
    let qmap = xpcs
        .create_group("qmap")
        .map_err(|e| error("/xpcs/qmap", e))?;
    let twotime = xpcs
        .create_group("twotime")
        .map_err(|e| error("/xpcs/twotime", e))?;
    let put = |group: &H5Group, name: &str, shape: &[usize], values: &[f64]| {
        group
            .new_dataset::<f64>()
            .shape(shape)
            .create(leaf_of(name))
            .and_then(|d| d.write_raw(values))
            .map_err(|e| error(&format!("/{name}"), e))
    };
    put(&qmap, APS_U_Q_LIST, &[1], &[data.q])?;
    put(&qmap, APS_U_PHI_LIST, &[data.phi.len()], &data.phi)?;
    let n_phi = data.phi.len();
    let bins: Vec<i64> = (1..=n_phi as i64).collect();
    twotime
        .new_dataset::<i64>()
        .shape([n_phi])
        .create(leaf_of(APS_U_PROCESSED_BINS))
        .and_then(|d| d.write_raw(&bins))
        .map_err(|e| error(&format!("/{APS_U_PROCESSED_BINS}"), e))?;
    let map = twotime
        .create_group(leaf_of(APS_U_CORRELATION_MAP))
        .map_err(|e| error(&format!("/{APS_U_CORRELATION_MAP}"), e))?;
    let n = data.n_t;
    let mut half = vec![0.0; n * n];
    for k in 0..n_phi {
        let matrix = data.matrix(k);
        for i in 0..n {
            half[i * n + i..(i + 1) * n].copy_from_slice(&matrix[i * n + i..(i + 1) * n]);
        }
        let name = format!("{APS_U_CORRELATION_MAP}/{}", aps_u_member_name(k, n_phi));
        put(&map, &name, &[n, n], &half)?;
    }
    file.close().map_err(|e| error("", e))
}

/// The last component of a dataset path.
fn leaf_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `.<name>.<pid>.partial` beside `path`.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "aps_u.h5".to_owned());
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::aps::load_hdf5;
    use crate::loader::layout::detect_hdf5_layout;
    use crate::loader::loaded::SourceFormat;
    use crate::loader::options::LoadOptions;

    /// Two symmetric 4 x 4 matrices with values that are not round in binary.
    fn data() -> CorrelationData {
        let n = 4;
        let mut c2 = Vec::new();
        for k in 0..2 {
            for i in 0..n {
                for j in 0..n {
                    let (a, b) = (i.min(j), i.max(j));
                    c2.push(1.0 + 0.3 / (1.0 + (b - a) as f64) + 0.01 * (k + a) as f64 / 3.0);
                }
            }
        }
        CorrelationData::new(0.0054, 0.1, vec![-17.3, 200.0], n, c2).unwrap()
    }

    #[test]
    fn a_written_file_reads_back_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.h5");
        let data = data();
        write_aps_u(&path, &data).unwrap();
        assert_eq!(detect_hdf5_layout(&path).unwrap(), SourceFormat::ApsU);
        let loaded = load_hdf5(&path, &LoadOptions::new(0.1, 1, -1, 0.005)).unwrap();
        assert_eq!(loaded.data.phi, data.phi);
        assert_eq!(loaded.data.q.to_bits(), data.q.to_bits());
        assert_eq!(loaded.data.n_t, 4);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&loaded.c2_before_correction), bits(&data.c2));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        // Written again over itself: replaced, and no temporary file left.
        write_aps_u(&path, &data).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn member_names_sort_in_angle_order() {
        assert_eq!(aps_u_member_name(0, 3), "c2_00001");
        assert_eq!(aps_u_member_name(99_999, 100_000), "c2_100000");
        assert_eq!(aps_u_member_name(8, 100_000), "c2_000009");
    }

    #[test]
    fn asymmetric_matrices_and_odd_values_are_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.h5");
        let mut bad = data();
        bad.c2[16 + 2 * 4 + 1] += 1e-12; // angle 1, c2[2][1]
        let err = write_aps_u(&path, &bad).unwrap_err().to_string();
        assert!(err.contains("angle 1") && err.contains("c2[1][2]"), "{err}");
        assert!(!path.exists());
        let mut bad = data();
        bad.q = f64::NAN;
        assert!(write_aps_u(&path, &bad).is_err());
        let mut bad = data();
        bad.phi[0] = f64::INFINITY;
        assert!(write_aps_u(&path, &bad).is_err());
        // A folder that does not exist: an I/O error naming the file.
        let missing = dir.path().join("no/such/folder/run.h5");
        let err = write_aps_u(&missing, &data()).unwrap_err().to_string();
        assert!(err.contains("run.h5"), "{err}");
    }
}

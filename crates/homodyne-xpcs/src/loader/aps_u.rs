//! The APS-U layout: bins paired with the matrices of `xpcs/twotime/correlation_map`,
//! and every bin of the closest q kept.

use homodyne_data::Hdf5File;

use super::hdf5::{members, read_list};
use super::layout::{APS_U_CORRELATION_MAP, APS_U_PHI_LIST, APS_U_PROCESSED_BINS, APS_U_Q_LIST};
use super::loaded::SourceFormat;
use super::options::LoadOptions;
use super::selection::{Selected, Selection, select_q};
use crate::error::XpcsError;

/// APS-U: q values of one matrix equal to the selected q within this (absolute).
const APS_U_Q_MATCH: f64 = 1e-10;

/// The matrices of the q closest to `options.wavevector_q` in an APS-U file (see the
/// rules of [`super`]).
pub(super) fn select(file: &Hdf5File, options: &LoadOptions) -> Result<Selection, XpcsError> {
    let path = file.path();
    let mut warnings = Vec::new();
    let bins = read_list(file, APS_U_PROCESSED_BINS, SourceFormat::ApsU)?;
    let q_values = read_list(file, APS_U_Q_LIST, SourceFormat::ApsU)?;
    let phi_values = read_list(file, APS_U_PHI_LIST, SourceFormat::ApsU)?;
    let (n_q, n_phi) = (q_values.len() as i64, phi_values.len() as i64);
    if n_q == 0 || n_phi == 0 {
        return Err(XpcsError::data_file(
            path,
            format!(
                "/{}",
                if n_q == 0 {
                    APS_U_Q_LIST
                } else {
                    APS_U_PHI_LIST
                }
            ),
            "is empty; the APS-U layout needs at least one q and one phi value",
        ));
    }
    let keys = members(file, APS_U_CORRELATION_MAP).ok_or_else(|| XpcsError::MissingDataset {
        path: path.to_path_buf(),
        item: format!("group /{APS_U_CORRELATION_MAP}"),
        message: "the APS-U layout needs it".to_owned(),
    })?;
    // members() lists in byte order of the names: Python's sorted() of str keys.
    let mut pairs = Vec::new();
    for (i, &bin) in bins.iter().enumerate() {
        if bin.fract() != 0.0 || !bin.is_finite() {
            return Err(XpcsError::data_file(
                path,
                format!("/{APS_U_PROCESSED_BINS}"),
                format!("entry {i} is {bin}, not an integer bin id"),
            ));
        }
        let b = bin as i64 - 1;
        let q_idx = b.div_euclid(n_phi);
        let phi_idx = b.rem_euclid(n_phi);
        if !(0..n_q).contains(&q_idx) {
            warnings.push(format!(
                "processed bin {bin} (entry {i}) maps to q index {q_idx}, outside the {n_q} q \
                 values; skipped, as the package skips it"
            ));
            continue;
        }
        if i >= keys.len() {
            warnings.push(format!(
                "processed bin {bin} (entry {i}) has no matrix: /{APS_U_CORRELATION_MAP} holds \
                 {} members; dropped, as the package drops it",
                keys.len()
            ));
            continue;
        }
        pairs.push(Selected {
            position: i,
            key: keys[i].clone(),
            q: q_values[q_idx as usize],
            phi: phi_values[phi_idx as usize],
        });
    }
    if pairs.is_empty() {
        return Err(XpcsError::data_file(
            path,
            format!("/{APS_U_PROCESSED_BINS}"),
            format!(
                "no processed bin maps to a (q, phi) pair with a matrix ({} bins, {n_q} q x \
                 {n_phi} phi values, {} matrices)",
                bins.len(),
                keys.len()
            ),
        ));
    }
    let pair_q: Vec<f64> = pairs.iter().map(|p| p.q).collect();
    let selected_q = select_q(
        path,
        options,
        &pair_q,
        &format!("q of the processed bins in /{APS_U_Q_LIST}"),
        &mut warnings,
    )?;
    let selected: Vec<Selected> = pairs
        .into_iter()
        .filter(|p| (p.q - selected_q).abs() < APS_U_Q_MATCH)
        .collect();
    Ok(Selection {
        format: SourceFormat::ApsU,
        group: APS_U_CORRELATION_MAP,
        entries: selected,
        selected_q,
        warnings,
    })
}

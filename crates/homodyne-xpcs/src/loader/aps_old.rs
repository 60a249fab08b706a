//! The older APS layout: `xpcs/dqlist` and `exchange/C2T_all`, the entries within a
//! tolerance of the closest q kept, or the ten closest.

use homodyne_data::Hdf5File;
use rust_hdf5::CreationOrder;

use super::hdf5::read_list;
use super::layout::{APS_OLD_C2T_ALL, APS_OLD_PHI_LIST, APS_OLD_Q_LIST};
use super::loaded::SourceFormat;
use super::options::LoadOptions;
use super::selection::{Selected, Selection, select_q, summarize};
use crate::error::XpcsError;

/// Older layout: fewer matches than this widen the selection.
const APS_OLD_MIN_MATCHES: usize = 5;
/// Older layout: the widened selection takes this many entries.
const APS_OLD_EXPANDED: usize = 10;

/// The matrices within the q tolerance of the q closest to `options.wavevector_q` in an
/// older APS file, or the ten closest (see the rules of [`super`]).
pub(super) fn select(file: &Hdf5File, options: &LoadOptions) -> Result<Selection, XpcsError> {
    let path = file.path();
    let mut warnings = Vec::new();
    let dq = read_list(file, APS_OLD_Q_LIST, SourceFormat::ApsOld)?;
    let dphi = read_list(file, APS_OLD_PHI_LIST, SourceFormat::ApsOld)?;
    if dphi.len() != dq.len() {
        return Err(XpcsError::data_file(
            path,
            format!("/{APS_OLD_PHI_LIST}"),
            format!(
                "holds {} angles for the {} q values of /{APS_OLD_Q_LIST}; give one per matrix",
                dphi.len(),
                dq.len()
            ),
        ));
    }
    let group = file
        .handle()
        .root_group()
        .group(APS_OLD_C2T_ALL)
        .map_err(|e| {
            XpcsError::data_file(
                path,
                format!("/{APS_OLD_C2T_ALL}"),
                format!("cannot be opened ({e})"),
            )
        })?;
    let keys = group.link_names().map_err(|e| {
        XpcsError::data_file(
            path,
            format!("/{APS_OLD_C2T_ALL}"),
            format!("cannot be listed ({e})"),
        )
    })?;
    if keys.is_empty() {
        return Err(XpcsError::data_file(
            path,
            format!("/{APS_OLD_C2T_ALL}"),
            "holds no correlation matrix",
        ));
    }
    if matches!(
        group.link_creation_order(),
        Ok(CreationOrder::Tracked | CreationOrder::Indexed)
    ) {
        warnings.push(format!(
            "/{APS_OLD_C2T_ALL} tracks creation order: its members were taken in name order, \
             while h5py (and so the package) lists them in creation order"
        ));
    }
    let selected_q = select_q(
        path,
        options,
        &dq,
        &format!("entry of /{APS_OLD_Q_LIST}"),
        &mut warnings,
    )?;
    let tolerance = selected_q * options.q_tolerance_fraction;
    let mut indices: Vec<usize> = (0..dq.len())
        .filter(|&i| (dq[i] - selected_q).abs() <= tolerance)
        .collect();
    if indices.len() < APS_OLD_MIN_MATCHES {
        let mut order: Vec<usize> = (0..dq.len()).filter(|&i| dq[i].is_finite()).collect();
        // Stable: ties keep index order (NumPy's argsort leaves their order unspecified).
        order.sort_by(|&a, &b| {
            (dq[a] - selected_q)
                .abs()
                .total_cmp(&(dq[b] - selected_q).abs())
        });
        order.truncate(APS_OLD_EXPANDED);
        warnings.push(format!(
            "only {} entries lie within {} of q = {selected_q}; took the {} entries closest \
             in q instead, as the package does (q = {})",
            indices.len(),
            options.q_tolerance_fraction,
            order.len(),
            summarize(&order.iter().map(|&i| dq[i]).collect::<Vec<_>>())
        ));
        indices = order;
    }
    let mut selected = Vec::with_capacity(indices.len());
    for i in indices {
        let key = keys.get(i).ok_or_else(|| {
            XpcsError::data_file(
                path,
                format!("/{APS_OLD_C2T_ALL}"),
                format!(
                    "holds {} members, but entry {i} of /{APS_OLD_Q_LIST} needs member {i}",
                    keys.len()
                ),
            )
        })?;
        selected.push(Selected {
            position: i,
            key: key.clone(),
            q: dq[i],
            phi: dphi[i],
        });
    }
    Ok(Selection {
        format: SourceFormat::ApsOld,
        group: APS_OLD_C2T_ALL,
        entries: selected,
        selected_q,
        warnings,
    })
}

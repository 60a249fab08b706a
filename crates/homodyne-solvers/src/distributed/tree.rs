//! The fixed reduction tree cut into shares, and the shares' sums combined as the tree
//! combines them (the mathematics is in the module [`super`]'s documentation).

use std::ops::Range;

use crate::objective::SumsState;
use crate::objective::{CHUNK_ROWS, LEAF_CHUNKS};

/// Points per leaf of the reduction tree.
pub const LEAF_POINTS: usize = CHUNK_ROWS * LEAF_CHUNKS;

/// The point ranges of `n_shares` contiguous shares of `n_points` points, each starting on
/// a leaf boundary. With a power-of-two `n_shares` each share is one node of the fixed
/// reduction tree (see the module documentation); otherwise the leaves are dealt as evenly
/// as possible. Shares beyond the number of leaves are empty. `n_shares` 0 is taken as 1.
pub fn tree_shares(n_points: usize, n_shares: usize) -> Vec<Range<usize>> {
    let n_shares = n_shares.max(1);
    let n_leaves = n_points.div_ceil(LEAF_POINTS).max(1);
    let leaves: Vec<Range<usize>> = if n_shares.is_power_of_two() {
        let mut nodes: Vec<Range<usize>> = std::iter::once(0..n_leaves).collect();
        while nodes.len() < n_shares {
            nodes = nodes
                .into_iter()
                .flat_map(|node| {
                    let mid = node.start + node.len() / 2;
                    [node.start..mid, mid..node.end]
                })
                .collect();
        }
        nodes
    } else {
        (0..n_shares)
            .map(|r| (r * n_leaves / n_shares)..((r + 1) * n_leaves / n_shares))
            .collect()
    };
    leaves
        .into_iter()
        .map(|l| (l.start * LEAF_POINTS).min(n_points)..(l.end * LEAF_POINTS).min(n_points))
        .collect()
}

/// The sums of a whole pass from those of its shares, in share order ([`tree_shares`]):
/// pairwise, level by level, for a power-of-two count (the single-process bits), else one
/// after another. Empty shares add nothing. `None` when `shares` is empty.
pub fn combine_shares(shares: Vec<SumsState>) -> Option<SumsState> {
    if shares.len().is_power_of_two() {
        let mut level = shares;
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len() / 2);
            let mut pairs = level.into_iter();
            while let (Some(a), Some(b)) = (pairs.next(), pairs.next()) {
                next.push(a.combine(b));
            }
            level = next;
        }
        level.pop()
    } else {
        shares.into_iter().reduce(SumsState::combine)
    }
}

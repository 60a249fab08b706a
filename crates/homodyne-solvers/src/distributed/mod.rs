//! One pass over the data split into shares (one per process of a distributed fit), with
//! the shares' sums combined to the very bits of a single-process pass.
//!
//! # The mathematics
//!
//! A pass of [`InMemoryObjective`] cuts the points into leaves of
//! `LEAF = CHUNK_ROWS * LEAF_CHUNKS` points and combines the leaves' `P x P` sums over a
//! fixed binary tree: the leaf range `[a, b)` splits at `a + (b - a) / 2`, down to single
//! leaves. Floating-point addition is not associative, so the bits of the result depend on
//! that tree, and on nothing else (not on threads).
//!
//! With `R = 2^k` shares, [`tree_shares`] gives share `r` the points of the `r`-th node at
//! depth `k` of that tree. An objective over those points alone builds, over its own
//! leaves, the same subtree (the split depends only on the length of the range), and
//! [`combine_shares`] combines the `R` results pairwise, level by level, as the top `k`
//! levels of the tree do: the combined sums are the single-process sums, bit for bit. For
//! other share counts the leaves are split as evenly as possible and the shares are
//! combined in order: the same sums in another order, equal to rounding (about `1e-15`
//! relative per addition).
//!
//! The sums exchanged are `O(P^2)` numbers, whatever the number of points.
//!
//! Every process runs the same solver on a [`DistributedObjective`]: its own share of the
//! points and a [`Communicator`] that hands every process every share's sums (as bytes,
//! [`crate::wire`]). The combined sums, hence every step, are the same bits on every
//! process. The transport is the communicator's business (MPI in a cluster, threads in
//! the tests).
//!
//! A share is held in memory ([`InMemoryObjective`]) or read batch by batch from a data
//! source on every pass ([`StreamedShare`], in tree order, hence the same bits); both are
//! [`ShareSums`]. A process whose share fails hands the failure in at the exchange
//! ([`all_gather_checked`]), so that every process ends with an error and none waits for
//! it; a stop requested of one process is handed in the same way ([`interrupt`]).
//! [`DistributedObjective`] records every completed pass, the sums of all the points, so
//! that a checkpoint written by one process resumes under any number of processes. The
//! workspace's tests run the processes as threads of one process (`ThreadGroup` of the
//! dev-only crate `homodyne-testkit`).
//!
//! Underneath, a process computes its share's sums with
//! [`InMemoryObjective::cost_state`] or [`InMemoryObjective::linearization_state`],
//! exchanges [`SumsState`]s, and every process combines them with [`combine_shares`], so
//! that every process takes the same step.
//!
//! [`InMemoryObjective`]: crate::objective::InMemoryObjective
//! [`InMemoryObjective::cost_state`]: crate::objective::InMemoryObjective::cost_state
//! [`InMemoryObjective::linearization_state`]: crate::objective::InMemoryObjective::linearization_state
//! [`SumsState`]: crate::objective::SumsState

mod exchange;
pub mod interrupt;
mod objective;
mod share;
mod stream;
mod tree;

pub use exchange::{Communicator, SingleProcess, all_gather_checked};
pub use interrupt::ReportsOnly;
pub use objective::DistributedObjective;
pub use share::ShareSums;
pub use stream::StreamedShare;
pub use tree::{LEAF_POINTS, combine_shares, tree_shares};

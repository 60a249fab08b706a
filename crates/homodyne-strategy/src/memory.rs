//! Memory budget and the memory estimate of each strategy.
//!
//! # The estimate
//!
//! One formula, in bytes, for what a fit holds at its peak (`f64` = 8 bytes). With
//! `n` points, `p` parameters, `d = x_dim` coordinates a point and `W` worker threads:
//!
//! ```text
//! data(m)      = 8 * m * (d + 1)                 x (d a point) and y
//!              + 16 * m, for a weighted fit      sigma, and the 1/sigma the objective keeps
//! workers      = 8 * W * CHUNK_ROWS * (2p + 2)   per-leaf chunk buffers: values, Jacobian
//!                                                rows, weighted columns, residuals
//! factors(m)   = 16 * W * (depth(m) + 1) * p * (p + 1)
//!                                                the R factor and the normal-equations sums
//!                                                (each p x p plus p) of the leaf each worker
//!                                                runs, plus the partial results waiting in
//!                                                the reduction tree
//! depth(m)     = ceil(log2(ceil(m / (CHUNK_ROWS * LEAF_CHUNKS))))
//! base         = BASE_BYTES                      the program itself: code, libraries,
//!                                                thread stacks, allocator
//!
//! STANDARD, LARGE, CHUNKED:  base + data(n) + workers + factors(n)
//! STREAMING:                 base + data(b) + workers + factors(b),  b = min(n, MAX_BATCH_SIZE)
//!                            (a batch is counted as weighted: it may carry sigma)
//! ```
//!
//! What each term stands for, and why STANDARD is not larger than LARGE: the solver never
//! forms the whole `n x p` Jacobian (see `homodyne_solvers::objective`). Every in-memory
//! strategy holds the data, and each leaf task (`LEAF_CHUNKS` chunks of `CHUNK_ROWS` rows)
//! allocates its own chunk buffers and folds them into `p x p` sums. So STANDARD, LARGE
//! and CHUNKED hold the same bytes. (The Python package budgets STANDARD as
//! `n * p * 8 * 6.5` bytes, for its whole Jacobian and the copies its solver makes; that
//! does not describe this code.) STREAMING holds one batch of data, never more than
//! [`MAX_BATCH_SIZE`] points, and the same per-worker buffers.
//!
//! The data term counts what the caller passes in (`x`, `y`, `sigma`) because a fit's
//! peak includes it. It leaves out copies made outside the objective (a recovery step that
//! rescales the data allocates one more `sigma`).
//!
//! # Validation
//!
//! The formula is checked against the measured peak resident set size of real fits by
//! `crates/homodyne/tests/memory.rs` (within 25%, from 1e6 to 4e6 points, 3 and 53
//! parameters, weighted and not) and by `cargo xtask memory` (`/usr/bin/time -v` on the
//! example `large_fit` at 1e7 points).

use homodyne_core::OptimizationStrategy;

/// Fewest points in a streaming batch.
pub const MIN_BATCH_SIZE: usize = 1_000;
/// Most points in a streaming batch.
pub const MAX_BATCH_SIZE: usize = 100_000;

/// Rows per chunk of the solver's objective (mirrors `homodyne_solvers::objective::CHUNK_ROWS`;
/// this crate does not depend on the solvers).
pub const CHUNK_ROWS: usize = 256;

/// Chunks per leaf task of the solver's reduction tree (mirrors
/// `homodyne_solvers::objective::LEAF_CHUNKS`).
pub const LEAF_CHUNKS: usize = 32;

/// What a fit's process holds before any data: code, shared libraries, the allocator's
/// arenas and thread stacks as touched. Measured as the peak resident set size of the
/// example `large_fit` at 1,000 points on Linux x86-64 (3.9 MB); rounded up.
pub const BASE_BYTES: u64 = 4 << 20;

/// Bytes in a GiB: `memory_limit_gb` arguments are read as binary gigabytes (2^30 bytes).
pub const BYTES_PER_GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The memory this process may use, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemoryBudget {
    /// Available memory of the machine (`MemAvailable` of `/proc/meminfo` on Linux). It
    /// ignores container limits.
    pub available: u64,
    /// Total memory of the machine (ignores container limits too).
    pub total: u64,
    /// The cgroup memory limit, where the process runs in a cgroup that sets one.
    pub cgroup_limit: Option<u64>,
    /// What to plan with: `available`, capped by the memory still free under the cgroup
    /// limit when there is one.
    pub budget: u64,
}

/// The memory budget of this process, from `sysinfo`.
///
/// `sysinfo`'s total and available memory come from `/proc/meminfo` and ignore container
/// limits, so the budget is the smaller of the available memory and the memory still free
/// under the cgroup limit (`CGroupLimits::free_memory`, itself capped by the limit). When
/// `sysinfo` cannot read the system, every field is 0 and `cgroup_limit` is `None`.
pub fn available_memory_bytes() -> MemoryBudget {
    let Ok(mut system) = sysinfo::System::new() else {
        return MemoryBudget {
            available: 0,
            total: 0,
            cgroup_limit: None,
            budget: 0,
        };
    };
    system.refresh_memory();
    let available = system.available_memory();
    let total = system.total_memory();
    let cgroup = system.cgroup_limits();
    let budget = match &cgroup {
        Some(c) => available.min(c.free_memory.min(c.total_memory)),
        None => available,
    };
    MemoryBudget {
        available,
        total,
        cgroup_limit: cgroup.map(|c| c.total_memory),
        budget,
    }
}

/// The budget in bytes: `memory_limit_gb` (GiB) when given, otherwise
/// [`available_memory_bytes`]`().budget`. A given limit wins even when it is larger than
/// the memory available.
pub fn budget_bytes(memory_limit_gb: Option<f64>) -> u64 {
    match memory_limit_gb {
        Some(gb) => gb_to_bytes(gb),
        None => available_memory_bytes().budget,
    }
}

/// `gb` GiB in bytes (negative or NaN reads as 0; saturates at `u64::MAX`).
pub fn gb_to_bytes(gb: f64) -> u64 {
    let bytes = gb * BYTES_PER_GB;
    if bytes.is_nan() || bytes <= 0.0 {
        0
    } else {
        // `as` saturates for values above u64::MAX.
        bytes as u64
    }
}

/// Worker threads the estimate assumes: the machine's available parallelism (rayon's
/// default pool size), at least 1.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Bytes of data a point holds: `8 * (x_dim + 1)` for `x` and `y`, plus 16 for a
/// weighted fit (`sigma` and the objective's `1/sigma`).
pub fn data_bytes_per_point(x_dim: usize, weighted: bool) -> u64 {
    8 * (x_dim as u64 + 1) + if weighted { 16 } else { 0 }
}

/// Bytes that do not grow with the data held: `workers + factors(m)` of the module formula,
/// for `m` points held at once (without [`BASE_BYTES`]).
pub fn overhead_bytes(points_held: usize, n_parameters: usize, workers: usize) -> u64 {
    let p = n_parameters as u64;
    let w = workers.max(1) as u64;
    let leaves = points_held.div_ceil(CHUNK_ROWS * LEAF_CHUNKS).max(1) as u64;
    let depth = u64::from(leaves.next_power_of_two().trailing_zeros());
    let chunk_buffers = 8 * w * CHUNK_ROWS as u64 * (2 * p + 2);
    let factors = 16 * w * (depth + 1) * p * (p + 1);
    chunk_buffers.saturating_add(factors)
}

/// The module formula with an explicit worker count (deterministic; used by the tests).
pub fn estimate_bytes_with_workers(
    strategy: OptimizationStrategy,
    n_points: usize,
    n_parameters: usize,
    x_dim: usize,
    weighted: bool,
    workers: usize,
) -> u64 {
    let (held, weighted) = match strategy {
        OptimizationStrategy::Standard
        | OptimizationStrategy::Large
        | OptimizationStrategy::Chunked => (n_points, weighted),
        OptimizationStrategy::Streaming => (n_points.min(MAX_BATCH_SIZE), true),
    };
    data_bytes_per_point(x_dim, weighted)
        .saturating_mul(held as u64)
        .saturating_add(overhead_bytes(held, n_parameters, workers))
        .saturating_add(BASE_BYTES)
}

/// Peak bytes `strategy` holds for `n_points` points, `n_parameters` parameters and
/// `x_dim` coordinates a point, weighted (with `sigma`) or not, by the module formula with
/// [`default_workers`] workers.
pub fn estimate_bytes(
    strategy: OptimizationStrategy,
    n_points: usize,
    n_parameters: usize,
    x_dim: usize,
    weighted: bool,
) -> u64 {
    estimate_bytes_with_workers(
        strategy,
        n_points,
        n_parameters,
        x_dim,
        weighted,
        default_workers(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptimizationStrategy::*;

    const ALL: [OptimizationStrategy; 4] = [Standard, Large, Chunked, Streaming];

    #[test]
    fn formula_by_hand() {
        // 1000 points, p = 2, x_dim = 1, one worker: one leaf, depth 0.
        let data = 8 * 1000 * 2;
        let buffers = 8 * 256 * 6;
        let factors = 16 * 2 * 3;
        assert_eq!(
            estimate_bytes_with_workers(Large, 1000, 2, 1, false, 1),
            BASE_BYTES + data + buffers + factors
        );
        // Weighted: sigma and 1/sigma on top.
        assert_eq!(
            estimate_bytes_with_workers(Large, 1000, 2, 1, true, 1),
            BASE_BYTES + data + 16 * 1000 + buffers + factors
        );
        // 3 leaves -> depth 2.
        assert_eq!(overhead_bytes(3 * 8192, 2, 1), buffers + 16 * 3 * 2 * 3);
    }

    #[test]
    fn in_memory_strategies_hold_the_same() {
        for n in [10, 1_000_000, 50_000_000] {
            let large = estimate_bytes_with_workers(Large, n, 7, 2, false, 4);
            assert_eq!(
                estimate_bytes_with_workers(Standard, n, 7, 2, false, 4),
                large
            );
            assert_eq!(
                estimate_bytes_with_workers(Chunked, n, 7, 2, false, 4),
                large
            );
        }
    }

    #[test]
    fn streaming_is_bounded_by_one_batch() {
        let big = estimate_bytes_with_workers(Streaming, 1_000_000_000, 7, 1, false, 4);
        let batch = estimate_bytes_with_workers(Streaming, MAX_BATCH_SIZE, 7, 1, false, 4);
        assert_eq!(big, batch);
        assert!(big < estimate_bytes_with_workers(Chunked, 1_000_000_000, 7, 1, false, 4));
    }

    #[test]
    fn monotone_in_n_and_p() {
        let ns = [
            0,
            1,
            255,
            256,
            8191,
            8192,
            8193,
            99_999,
            100_000,
            1_000_000,
            123_456_789,
        ];
        for s in ALL {
            for w in [1, 2, 16] {
                for p in 1..12 {
                    for pair in ns.windows(2) {
                        let a = estimate_bytes_with_workers(s, pair[0], p, 2, false, w);
                        let b = estimate_bytes_with_workers(s, pair[1], p, 2, false, w);
                        assert!(a <= b, "{s} n {pair:?} p {p}: {a} > {b}");
                    }
                    for &n in &ns {
                        let a = estimate_bytes_with_workers(s, n, p, 2, false, w);
                        let b = estimate_bytes_with_workers(s, n, p + 1, 2, false, w);
                        assert!(a < b, "{s} n {n} p {p}: {a} >= {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn gigabytes() {
        assert_eq!(gb_to_bytes(1.0), 1 << 30);
        assert_eq!(gb_to_bytes(-1.0), 0);
        assert_eq!(gb_to_bytes(f64::NAN), 0);
        assert_eq!(gb_to_bytes(f64::INFINITY), u64::MAX);
        assert_eq!(budget_bytes(Some(0.5)), 1 << 29);
    }

    #[test]
    fn budget_is_capped() {
        let m = available_memory_bytes();
        assert!(m.budget <= m.available);
        assert!(m.available <= m.total);
        if let Some(limit) = m.cgroup_limit {
            assert!(m.budget <= limit);
        }
    }
}

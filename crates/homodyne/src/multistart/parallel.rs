//! The candidates of a multistart fitted side by side, their results kept in index order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `[f(0), f(1), .., f(n - 1)]`, computed by as many scoped threads as the fit's solvers
/// use ([`homodyne_solvers::worker_threads`]: the current rayon pool's), each taking the
/// next index not yet taken. The values are stored by index, so the result does not depend
/// on the number of threads or on which thread computed what (`f` itself must not).
///
/// Scoped threads rather than the rayon pool: the facade does not depend on rayon. Each
/// candidate's own passes run on rayon's threads as any fit's do: on the global pool, since
/// a scoped thread is in no pool (a caller's `ThreadPool::install` sets how many threads
/// compute the candidates, not where their passes run; the bits are the same either way).
pub(crate) fn map_indexed<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let workers = homodyne_solvers::worker_threads().clamp(1, n.max(1));
    if workers == 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return done;
                        }
                        done.push((i, f(i)));
                    }
                })
            })
            .collect();
        for handle in handles {
            // A worker panics only where `f` does: hand the panic on unchanged.
            let done = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, value) in done {
                slots[i] = Some(value);
            }
        }
    });
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_in_index_order_on_any_pool() {
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let squares = pool.install(|| map_indexed(17, |i| i * i));
            assert_eq!(squares, (0..17).map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(map_indexed(0, |i| i).is_empty());
    }
}

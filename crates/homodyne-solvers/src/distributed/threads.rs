//! The processes of a distributed fit as threads of one process: for tests, and for
//! trying distributed code without MPI.

use std::sync::{Barrier, Mutex};

use super::exchange::Communicator;

/// `size` threads that exchange as the processes of a distributed fit: each takes its
/// [`ThreadGroup::rank`] and calls [`Communicator::all_gather`] as a process would.
///
/// Every thread must make the same exchanges; a thread that stops exchanging (a panic
/// outside the fit's exchanges) leaves the others waiting, as a process would without the
/// timeouts of an MPI transport.
///
/// ```
/// use homodyne_solvers::distributed::{Communicator, ThreadGroup};
///
/// let gathered = ThreadGroup::new(3).run_each(|process| {
///     process.all_gather(vec![process.rank() as u8]).unwrap()
/// });
/// assert!(gathered.iter().all(|g| g == &vec![vec![0], vec![1], vec![2]]));
/// ```
#[derive(Debug)]
pub struct ThreadGroup {
    size: usize,
    slots: Mutex<Vec<Vec<u8>>>,
    barrier: Barrier,
}

impl ThreadGroup {
    /// A group of `size` (at least 1) threads.
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        Self {
            size,
            slots: Mutex::new(vec![Vec::new(); size]),
            barrier: Barrier::new(size),
        }
    }

    /// Runs `work` on one thread per rank, each with its communicator, and returns what
    /// each returned, in rank order. A panic on a thread is raised again here.
    pub fn run_each<T: Send>(&self, work: impl Fn(ThreadRank<'_>) -> T + Sync) -> Vec<T> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.size)
                .map(|rank| {
                    let work = &work;
                    scope.spawn(move || work(self.rank(rank)))
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// The communicator of the thread of rank `rank` (from 0; taken modulo the size).
    pub fn rank(&self, rank: usize) -> ThreadRank<'_> {
        ThreadRank {
            rank: rank % self.size,
            group: self,
        }
    }
}

/// One thread's view of a [`ThreadGroup`].
#[derive(Debug, Clone, Copy)]
pub struct ThreadRank<'a> {
    rank: usize,
    group: &'a ThreadGroup,
}

impl Communicator for ThreadRank<'_> {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.group.size
    }

    /// Waits until every thread has put its bytes, and again until every thread has read
    /// them all.
    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
        let lock = || {
            self.group
                .slots
                .lock()
                .map_err(|_| "a thread of the group panicked while exchanging".to_owned())
        };
        lock()?[self.rank] = bytes;
        self.group.barrier.wait();
        let all = lock()?.clone();
        self.group.barrier.wait();
        Ok(all)
    }
}

//! The processes of an MPI job (feature `mpi`).
//!
//! MPI calls stay on the thread that initialised MPI (`MPI_THREAD_FUNNELED`), while the
//! solver, which wants a [`Sync`] objective, runs on a worker thread: [`with_mpi`] runs
//! the fit on the worker and serves its exchanges from the calling thread, one
//! `MPI_Allgatherv` each, over a channel.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives};

use crate::Communicator;

/// The exchange as the worker thread sees it: requests to the MPI thread, replies back.
pub struct MpiCommunicator {
    rank: usize,
    size: usize,
    requests: Mutex<Sender<Vec<u8>>>,
    replies: Mutex<Receiver<Vec<Vec<u8>>>>,
}

impl Communicator for MpiCommunicator {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
        let stopped = || "the MPI thread has stopped".to_owned();
        let requests = self.requests.lock().map_err(|_| stopped())?;
        let replies = self.replies.lock().map_err(|_| stopped())?;
        requests.send(bytes).map_err(|_| stopped())?;
        replies.recv().map_err(|_| stopped())
    }
}

/// Runs `work` on a worker thread with an [`MpiCommunicator`] over `world`, serving its
/// exchanges from this thread (which must be the one that initialised MPI), and returns
/// what `work` returns. Every process of `world` must call it, and `work` must make the
/// same exchanges on every process (a solver on a [`crate::DistributedObjective`] does).
///
/// MPI's default error handler ends the whole job when a process fails, so a failed
/// process does not leave the others waiting; a process whose `work` meets an error of its
/// own should report it and call `world.abort(code)` for the same reason.
pub fn with_mpi<T: Send>(
    world: &SimpleCommunicator,
    work: impl FnOnce(&MpiCommunicator) -> T + Send,
) -> T {
    let (request_tx, request_rx) = channel::<Vec<u8>>();
    let (reply_tx, reply_rx) = channel::<Vec<Vec<u8>>>();
    let communicator = MpiCommunicator {
        rank: usize::try_from(world.rank()).unwrap_or(0),
        size: usize::try_from(world.size()).unwrap_or(1),
        requests: Mutex::new(request_tx),
        replies: Mutex::new(reply_rx),
    };
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let communicator = communicator;
            work(&communicator)
        });
        // Serve until the worker drops its end of the channel (it has finished).
        for bytes in request_rx {
            if reply_tx.send(all_gather(world, &bytes)).is_err() {
                break;
            }
        }
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Every process's `bytes`, in rank order: the lengths, then the messages
/// (`MPI_Allgatherv`).
fn all_gather(world: &SimpleCommunicator, bytes: &[u8]) -> Vec<Vec<u8>> {
    let size = usize::try_from(world.size()).unwrap_or(1);
    // A pass's sums are O(P^2) bytes, far below i32::MAX for any parameter count.
    let length = Count::try_from(bytes.len()).unwrap_or(Count::MAX);
    let mut lengths = vec![0 as Count; size];
    world.all_gather_into(&length, &mut lengths[..]);
    let mut displacements = Vec::with_capacity(size);
    let mut total: Count = 0;
    for &l in &lengths {
        displacements.push(total);
        total = total.saturating_add(l);
    }
    let mut buffer = vec![0u8; usize::try_from(total).unwrap_or(0)];
    {
        let mut partition = PartitionMut::new(&mut buffer[..], &lengths[..], &displacements[..]);
        world.all_gather_varcount_into(bytes, &mut partition);
    }
    lengths
        .iter()
        .zip(&displacements)
        .map(|(&l, &d)| {
            let (start, len) = (
                usize::try_from(d).unwrap_or(0),
                usize::try_from(l).unwrap_or(0),
            );
            buffer[start..start + len].to_vec()
        })
        .collect()
}

//! The processes of an MPI job (feature `mpi`).
//!
//! MPI calls stay on the thread that initialised MPI (`MPI_THREAD_FUNNELED`), while the
//! solver, which wants a [`Sync`] objective, runs on a worker thread: [`with_mpi`] runs
//! the fit on the worker and serves its exchanges from the calling thread, one
//! `MPI_Allgatherv` each, over a channel.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::request::{Request, Scope};
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives};

use homodyne_solvers::distributed::Communicator;

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

/// How long a process waits in one exchange for the others before it ends the job
/// ([`with_mpi`]); [`with_mpi_timeout`] sets another.
pub const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(1800);

/// [`with_mpi_timeout`] with [`DEFAULT_EXCHANGE_TIMEOUT`].
pub fn with_mpi<T: Send>(
    world: &SimpleCommunicator,
    work: impl FnOnce(&MpiCommunicator) -> T + Send,
) -> T {
    with_mpi_timeout(world, DEFAULT_EXCHANGE_TIMEOUT, work)
}

/// Runs `work` on a worker thread with an [`MpiCommunicator`] over `world`, serving its
/// exchanges from this thread (which must be the one that initialised MPI), and returns
/// what `work` returns. Every process of `world` must call it, and `work` must make the
/// same exchanges on every process (the fits of `homodyne::distributed` do, failures
/// included: a process that fails hands its failure in, and every process ends with an
/// error).
///
/// # Timeouts
/// Each exchange is a non-blocking `MPI_Iallgather`/`MPI_Iallgatherv` polled against a
/// deadline. A process that has waited `timeout` for the others (one of them stopped
/// without failing: a hung node, a process stuck in computation) prints which exchange it
/// waited in and ends the whole job with `MPI_Abort` (exit status
/// [`TIMEOUT_EXIT_CODE`]), so that no process waits forever. A process that dies is ended
/// by MPI itself: `mpirun` and `srun` end the job when one of its processes exits
/// abnormally.
pub fn with_mpi_timeout<T: Send>(
    world: &SimpleCommunicator,
    timeout: Duration,
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
        let mut exchanges = 0u64;
        for bytes in request_rx {
            exchanges += 1;
            let gathered = all_gather(world, &bytes, timeout, exchanges);
            if reply_tx.send(gathered).is_err() {
                break;
            }
        }
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The exit status of a job ended because an exchange timed out.
pub const TIMEOUT_EXIT_CODE: i32 = 3;

/// Waits for `request` until `deadline`, testing it: spinning at first, then sleeping
/// 100 microseconds between tests (an oversubscribed node needs its cores back). Past the
/// deadline, reports and ends the job.
fn wait_until<'a, D: ?Sized, S: Scope<'a>>(
    world: &SimpleCommunicator,
    mut request: Request<'a, D, S>,
    deadline: Instant,
    timeout: Duration,
    exchange: u64,
) {
    let mut tests = 0u32;
    loop {
        request = match request.test() {
            Ok(_) => return,
            Err(pending) => pending,
        };
        tests = tests.saturating_add(1);
        if tests < 2000 {
            std::hint::spin_loop();
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
        if tests.is_multiple_of(64) && Instant::now() >= deadline {
            eprintln!(
                "homodyne-mpi: rank {} of {}: exchange {exchange} waited {} s for the other \
                 processes; one of them has stopped or is stuck. Ending the job.",
                world.rank(),
                world.size(),
                timeout.as_secs_f64()
            );
            world.abort(TIMEOUT_EXIT_CODE);
        }
    }
}

/// Every process's `bytes`, in rank order: the lengths, then the messages
/// (`MPI_Iallgather`, then `MPI_Iallgatherv`, each waited for until `timeout` has passed
/// since the exchange began).
fn all_gather(
    world: &SimpleCommunicator,
    bytes: &[u8],
    timeout: Duration,
    exchange: u64,
) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let size = usize::try_from(world.size()).unwrap_or(1);
    // A pass's sums are O(P^2) bytes, far below i32::MAX for any parameter count.
    let length = Count::try_from(bytes.len()).unwrap_or(Count::MAX);
    let mut lengths = vec![0 as Count; size];
    mpi::request::scope(|scope| {
        let request = world.immediate_all_gather_into(scope, &length, &mut lengths[..]);
        wait_until(world, request, deadline, timeout, exchange);
    });
    let mut displacements = Vec::with_capacity(size);
    let mut total: Count = 0;
    for &l in &lengths {
        displacements.push(total);
        total = total.saturating_add(l);
    }
    let mut buffer = vec![0u8; usize::try_from(total).unwrap_or(0)];
    {
        let mut partition = PartitionMut::new(&mut buffer[..], &lengths[..], &displacements[..]);
        mpi::request::scope(|scope| {
            let request = world.immediate_all_gather_varcount_into(scope, bytes, &mut partition);
            wait_until(world, request, deadline, timeout, exchange);
        });
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

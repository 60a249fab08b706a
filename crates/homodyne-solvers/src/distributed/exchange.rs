//! How the processes of a distributed fit exchange a pass's sums: the [`Communicator`]
//! trait, the one-process communicator, and the checked exchange that hands a failure in
//! instead of leaving the other processes waiting.

use homodyne_core::{Context, OptimizationError};

/// How the processes of a distributed fit exchange a pass's sums.
pub trait Communicator: Sync {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;
    /// The number of processes.
    fn size(&self) -> usize;
    /// Every process's `bytes`, in rank order. A collective call: every process makes it,
    /// the same number of times. An implementation must end with an error, not wait
    /// forever, when a process has failed.
    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String>;
}

/// One process on its own: rank 0 of 1; the exchange returns this process's bytes. A
/// distributed fit on it is the fit of all the points by one process.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
        Ok(vec![bytes])
    }
}

/// The first byte of an exchanged message: what follows is this process's contribution.
const CONTRIBUTION: u8 = 0;
/// The first byte of an exchanged message: what follows is why this process failed
/// (UTF-8).
const FAILURE: u8 = 1;

/// One collective step that every process takes even when it has failed: each process
/// hands in its bytes, or why it cannot go on (`Err`), and gets back every process's bytes
/// in rank order, or, when any process failed, an [`OptimizationError::Communication`]
/// naming the first failed rank and its reason, the same on every process. No process is
/// left waiting for one that failed, and every process ends with the same error.
///
/// `step` names the step in the error's context (`"cost"`, `"setup"`, ...). One byte is
/// added to each message.
pub fn all_gather_checked<C: Communicator + ?Sized>(
    communicator: &C,
    local: Result<Vec<u8>, String>,
    step: &str,
) -> Result<Vec<Vec<u8>>, OptimizationError> {
    let failure = |message: String| OptimizationError::Communication {
        message,
        context: Context::new()
            .with("rank", communicator.rank())
            .with("processes", communicator.size())
            .with("pass", step),
    };
    let message = match local {
        Ok(mut bytes) => {
            bytes.insert(0, CONTRIBUTION);
            bytes
        }
        Err(why) => {
            let mut bytes = vec![FAILURE];
            bytes.extend_from_slice(why.as_bytes());
            bytes
        }
    };
    let all = communicator.all_gather(message).map_err(failure)?;
    if all.len() != communicator.size() {
        return Err(failure(format!(
            "{} messages came back from {} processes",
            all.len(),
            communicator.size()
        )));
    }
    let mut contributions = Vec::with_capacity(all.len());
    for (rank, mut bytes) in all.into_iter().enumerate() {
        match bytes.first() {
            Some(&CONTRIBUTION) => {
                bytes.remove(0);
                contributions.push(bytes);
            }
            Some(&FAILURE) => {
                return Err(failure(format!(
                    "process {rank} failed: {}",
                    String::from_utf8_lossy(&bytes[1..])
                )));
            }
            _ => {
                return Err(failure(format!(
                    "process {rank} sent a message of neither kind ({} bytes)",
                    bytes.len()
                )));
            }
        }
    }
    Ok(contributions)
}

//! `--distributed`: where a fit runs, this process alone or the processes of an MPI job
//! (`mpirun -np 4 homodyne xpcs --config my.yaml --distributed`).
//!
//! Under MPI every process runs the same command: each reads the input, fits its share of
//! the points with the others (`homodyne::distributed`), and ends with the same result;
//! rank 0 alone prints the report and writes the output files. A failure on any process
//! ends every process with an error naming it. MPI needs the build feature `mpi`
//! (`cargo build --release -p homodyne-cli --features mpi`, with Open MPI installed).

use std::time::Duration;

use homodyne::distributed::Communicator;

use crate::args::DistributedArgs;
use crate::failure::Failure;

/// The processes a fit runs on.
pub struct Processes {
    #[cfg(feature = "mpi")]
    mpi: Option<(mpi::environment::Universe, Duration)>,
}

impl Processes {
    /// This process alone, or, with `--distributed`, the processes of the MPI job this
    /// process belongs to (MPI initialised here, on the main thread).
    pub fn start(args: &DistributedArgs) -> Result<Self, Failure> {
        // Checked before the conversion, which panics on a negative or non-finite value.
        if !(args.exchange_timeout > 0.0 && args.exchange_timeout < 1e12) {
            return Err(Failure::input(format!(
                "--exchange-timeout must be a positive number of seconds (got {})",
                args.exchange_timeout
            )));
        }
        let timeout = Duration::from_secs_f64(args.exchange_timeout);
        if !args.distributed {
            return Ok(Self::alone());
        }
        #[cfg(feature = "mpi")]
        {
            let universe = mpi::initialize().ok_or_else(|| {
                Failure::input("--distributed: MPI could not be initialised (is MPI already running in this process?)")
            })?;
            Ok(Self {
                mpi: Some((universe, timeout)),
            })
        }
        #[cfg(not(feature = "mpi"))]
        {
            let _ = timeout;
            Err(Failure::input(
                "--distributed needs a homodyne built with MPI: install Open MPI (Debian: \
                 libopenmpi-dev openmpi-bin libclang-dev) and build with \
                 `cargo build --release -p homodyne-cli --features mpi`",
            ))
        }
    }

    /// This process alone.
    pub fn alone() -> Self {
        Self {
            #[cfg(feature = "mpi")]
            mpi: None,
        }
    }

    /// This process's rank (0 alone).
    pub fn rank(&self) -> usize {
        #[cfg(feature = "mpi")]
        if let Some((universe, _)) = &self.mpi {
            use mpi::traits::Communicator as _;
            return usize::try_from(universe.world().rank()).unwrap_or(0);
        }
        0
    }

    /// The number of processes (1 alone).
    pub fn size(&self) -> usize {
        #[cfg(feature = "mpi")]
        if let Some((universe, _)) = &self.mpi {
            use mpi::traits::Communicator as _;
            return usize::try_from(universe.world().size()).unwrap_or(1);
        }
        1
    }

    /// Whether the fit runs under MPI (`--distributed`).
    pub fn distributed(&self) -> bool {
        #[cfg(feature = "mpi")]
        if self.mpi.is_some() {
            return true;
        }
        false
    }

    /// Whether this process reports and writes files (rank 0).
    pub fn leads(&self) -> bool {
        self.rank() == 0
    }

    /// Runs `work` with the job's communicator (`None` alone). Under MPI, `work` runs on a
    /// worker thread while this thread serves its exchanges (`homodyne_mpi::with_mpi`).
    pub fn run<T: Send>(&self, work: impl FnOnce(Option<&dyn Communicator>) -> T + Send) -> T {
        #[cfg(feature = "mpi")]
        if let Some((universe, timeout)) = &self.mpi {
            let world = universe.world();
            return homodyne_mpi::with_mpi_timeout(&world, *timeout, |communicator| {
                work(Some(communicator))
            });
        }
        work(None)
    }

    /// `"; shared among N MPI process(es)"` under MPI, else nothing: the end of the line
    /// that describes a run.
    pub fn shared_among(&self) -> String {
        match self.size() {
            1 if !self.distributed() => String::new(),
            n => format!("; shared among {n} MPI process(es)"),
        }
    }

    /// `failure`, naming this process when there are several.
    pub fn name(&self, mut failure: Failure) -> Failure {
        if self.size() > 1 {
            failure.message = format!(
                "process {} of {}: {}",
                self.rank(),
                self.size(),
                failure.message
            );
        }
        failure
    }
}

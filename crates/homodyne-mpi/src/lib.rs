//! homodyne fits across processes and nodes.
//!
//! Every iteration of a homodyne fit is a sum over points folded into `P x P`
//! accumulators, so a distributed fit needs one exchange per pass: each process holds its
//! share of the points ([`homodyne_solvers::distributed::tree_shares`]), sums it, and every
//! process combines every share's sums in the order of the fixed reduction tree. With a
//! power-of-two number of processes the combined sums are the bits of a single-process
//! pass, so every process takes the single-process steps and reaches the single-process
//! parameters ([`homodyne_solvers::distributed`] has the mathematics and its tests).
//!
//! This crate is the transport:
//! - [`SingleProcess`]: one process, no MPI (the default build);
//! - `MpiCommunicator`, `with_mpi` and `with_mpi_timeout` (feature `mpi`): the processes of
//!   an MPI job, each exchange a non-blocking all-gather waited for against a timeout (a
//!   process that waits too long ends the job). The bytes exchanged per pass are `O(P^2)`
//!   ([`homodyne_solvers::wire`]), whatever the number of points.
//!
//! The fits themselves are the `homodyne` facade's one builder given a communicator,
//! `Fit::source(&model, &source).p0(&p0).communicator(&communicator).run()`, with
//! `.streaming(..)` for STREAMING (module `homodyne::distributed`): each process reads its
//! share of a data source, failures reach every process, and STREAMING checkpoints written
//! by rank 0 resume under any number of processes. `homodyne curve|xpcs --distributed`
//! (crate `homodyne-cli`, feature `mpi`) and `examples/mpi_fit.rs` use them;
//! `check_mpirun.sh` is the CI check under `mpirun`.
//!
//! Without the `mpi` feature the crate still gives the shares and the one-process
//! communicator: a fit through [`SingleProcess`] is the fit without a communicator, to
//! the bit, and a million points cut for 4 processes are 4 adjacent nodes of the tree.
//!
//! ```
//! use homodyne::prelude::*;
//! use homodyne::SliceSource;
//! use homodyne_mpi::{Communicator, SingleProcess, tree_shares};
//!
//! let shares = tree_shares(1_000_000, 4);
//! assert_eq!((shares[0].start, shares[3].end), (0, 1_000_000));
//! assert!(shares.windows(2).all(|w| w[0].end == w[1].start));
//! assert_eq!((SingleProcess.rank(), SingleProcess.size()), (0, 1));
//!
//! let x: Vec<f64> = (0..20_000).map(|i| i as f64 * 1e-3).collect();
//! let y: Vec<f64> = x.iter().map(|&x| 3.0 * (-0.7 * x).exp() + 0.5).collect();
//! let model = ClosureModel::new(3, |x: f64, p: &[f64]| p[0] * (-p[1] * x).exp() + p[2]);
//! let source = SliceSource::new(&x, &y, None, 1).unwrap();
//! let alone = Fit::source(&model, &source).p0(&[1.0, 1.0, 0.0]).run()?;
//! let shared = Fit::source(&model, &source)
//!     .p0(&[1.0, 1.0, 0.0])
//!     .communicator(&SingleProcess)
//!     .run()?;
//! assert_eq!(alone.parameters, shared.parameters);
//! assert!((shared.parameters[1] - 0.7).abs() < 1e-8);
//! # Ok::<(), homodyne::OptimizationError>(())
//! ```

pub use homodyne_solvers::distributed::{
    Communicator, DistributedObjective, SingleProcess, combine_shares, tree_shares,
};

#[cfg(feature = "mpi")]
mod world;
#[cfg(feature = "mpi")]
pub use world::{
    DEFAULT_EXCHANGE_TIMEOUT, MpiCommunicator, TIMEOUT_EXIT_CODE, with_mpi, with_mpi_timeout,
};

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_core::{Bounds, NoObserver};
    use homodyne_solvers::{Accumulation, InMemoryObjective, Loss, SolverOptions, trf};
    use homodyne_testkit::example::{Decay, decay};

    /// One process through the exchange fits as one process without it, to the bit.
    #[test]
    fn a_single_process_exchange_changes_nothing() {
        let data = decay(50_000, 0.01, 3);
        let objective = || {
            InMemoryObjective::new(&Decay, &data.x, &data.y, None, Loss::Linear, 1.0)
                .with_accumulation(Accumulation::NormalEquations)
        };
        let (options, bounds, p0) = (
            SolverOptions::default(),
            Bounds::unbounded(3),
            [1.0, 1.0, 0.0],
        );
        let direct = trf(&objective(), &p0, &bounds, &options, &NoObserver).unwrap();
        let shared = DistributedObjective::new(
            objective(),
            &SingleProcess,
            0,
            data.x.len(),
            Accumulation::NormalEquations,
        );
        let exchanged = trf(&shared, &p0, &bounds, &options, &NoObserver).unwrap();
        assert_eq!(exchanged.x, direct.x);
        assert_eq!(tree_shares(data.x.len(), 1), vec![0..data.x.len()]);
    }
}

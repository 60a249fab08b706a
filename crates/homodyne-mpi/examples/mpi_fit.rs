//! A distributed fit of `y = a exp(-b x) + c` over MPI: every process fits with its share
//! of the points alone, and every process ends on the single-process parameters.
//!
//! ```text
//! cargo build --release -p homodyne-mpi --features mpi --example mpi_fit
//! mpirun -np 4 target/release/examples/mpi_fit [N]          # the distributed fit
//! target/release/examples/mpi_fit [N] --reference           # one process, no exchange
//! ```
//!
//! Rank 0 prints one JSON line: the number of processes, the parameters (and their bits,
//! to compare runs exactly), the evaluations, the wall time of the fit, and the bytes each
//! process sends per pass. Each process makes the whole data set (the built-in example,
//! fixed seed) and keeps only its share; reading a share from a file is not done yet.

use std::time::Instant;

use homodyne::example::{Decay, decay};
use homodyne_core::{Bounds, NoObserver};
use homodyne_mpi::{DistributedObjective, MpiCommunicator, tree_shares, with_mpi};
use homodyne_solvers::{Accumulation, InMemoryObjective, Loss, SolverOptions, trf};
use mpi::traits::Communicator as _;

/// Seed of the example's noise.
const SEED: u64 = 0x0DEC_A7ED_5EED_0002;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .iter()
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let reference = args.iter().any(|a| a == "--reference");
    let Some(universe) = mpi::initialize() else {
        eprintln!("mpi_fit: MPI could not be initialised");
        std::process::exit(1);
    };
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let share = tree_shares(n, size)[rank].clone();
    let data = decay(n, 0.01, SEED);
    let (x, y) = if reference {
        (data.x, data.y)
    } else {
        (
            data.x[share.clone()].to_vec(),
            data.y[share.clone()].to_vec(),
        )
    };
    let (options, bounds, p0) = (
        SolverOptions::default(),
        Bounds::unbounded(3),
        [1.0, 1.0, 0.0],
    );
    let local = InMemoryObjective::new(&Decay, &x, &y, None, Loss::Linear, 1.0)
        .with_accumulation(Accumulation::NormalEquations);
    let message_bytes = local.cost_state(&p0).to_bytes().len().max(
        local
            .linearization_state(&p0, Accumulation::NormalEquations)
            .to_bytes()
            .len(),
    );
    let started = Instant::now();
    let outcome = if reference {
        trf(&local, &p0, &bounds, &options, &NoObserver)
    } else {
        with_mpi(&world, |communicator: &MpiCommunicator| {
            let objective = DistributedObjective::new(
                local,
                communicator,
                share.start,
                n,
                Accumulation::NormalEquations,
            );
            trf(&objective, &p0, &bounds, &options, &NoObserver)
        })
    };
    let seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(fit) if rank == 0 => {
            let bits: Vec<String> = fit
                .x
                .iter()
                .map(|v| format!("\"{:016x}\"", v.to_bits()))
                .collect();
            println!(
                "{{\"processes\": {}, \"reference\": {reference}, \"n\": {n}, \"parameters\": {:?}, \
                 \"bits\": [{}], \"nfev\": {}, \"njev\": {}, \"seconds\": {seconds}, \
                 \"bytes_per_process_per_pass\": {}}}",
                if reference { 1 } else { size },
                fit.x,
                bits.join(", "),
                fit.nfev,
                fit.njev,
                if reference { 0 } else { message_bytes }
            );
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("mpi_fit: rank {rank}: {e}");
            world.abort(2);
        }
    }
}

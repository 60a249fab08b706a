//! A distributed fit of `y = a exp(-b x) + c` over MPI, each process reading only its
//! share of the points from an HDF5 file (a hyperslab) or `.npy` files (a range of rows).
//!
//! ```text
//! cargo build --release -p homodyne-mpi --features mpi --example mpi_fit
//! B=target/release/examples/mpi_fit
//! $B write data.h5 1000000                  # the example data set (fixed seed) to a file
//! $B fit data.h5 --reference                # one process, in memory, no MPI exchange
//! mpirun -np 4 $B fit data.h5               # each process reads its share into memory
//! mpirun -np 2 $B fit data.h5 --streaming --batch 65536 --checkpoint-dir ck
//! mpirun -np 4 $B fit data.h5 --streaming --batch 65536 --checkpoint-dir ck --resume
//! ```
//!
//! Options of `fit`:
//! - `--reference`: the single-process, non-MPI fit (`Fit::curve`, LARGE);
//! - `--streaming`, `--batch N`: STREAMING, reading batches of `N` points on every pass;
//! - `--checkpoint-dir D` (every pass), `--resume`: rank-0 checkpoints and resume;
//! - `--crash RANK:READS`: the process of rank `RANK` aborts (SIGABRT) at its read number
//!   `READS`, as a killed process would;
//! - `--stall RANK`: that process stops answering at its first read;
//! - `--timeout SECONDS`: how long an exchange waits before ending the job (default 1800).
//!
//! Rank 0 prints one JSON line: processes, parameters (with their bits, to compare runs
//! exactly), evaluations, the wall time of reading and fitting (`seconds`), and the bytes
//! each process sent per exchange, counted (the largest message, and the mean).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use homodyne::distributed::Communicator;
use homodyne::prelude::*;
use homodyne::{Batch, CheckpointOptions, DataSource, StreamingOptions};
use homodyne_data::{Hdf5Source, NpySource, write_hdf5_xy, write_npy_f64};
use homodyne_mpi::{DEFAULT_EXCHANGE_TIMEOUT, MpiCommunicator, with_mpi_timeout};
use homodyne_testkit::WatchedSource;
use homodyne_testkit::example::{Decay, decay};
use mpi::traits::Communicator as _;

/// Seed of the example's noise.
const SEED: u64 = 0x0DEC_A7ED_5EED_0002;
const P0: [f64; 3] = [1.0, 1.0, 0.0];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("write") => write(&args[1..]),
        Some("fit") => fit(&args[1..]),
        _ => {
            Err("usage: mpi_fit write FILE N | mpi_fit fit FILE [options] (see the source)".into())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mpi_fit: {message}");
            ExitCode::from(2)
        }
    }
}

/// `write FILE N`: the example data (1e6 points unless `N`) as `/x`, `/y` of an HDF5
/// file; as `FILE` (y) and `FILE` with `.x.npy` (x) for a `.npy` name; as one `N x 2`
/// table for a `.columns.npy` name (for `homodyne curve`).
fn write(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("write: which file?")?;
    let n: usize = match args.get(1) {
        Some(n) => n
            .replace('_', "")
            .parse()
            .map_err(|_| format!("write: not a count: {n}"))?,
        None => 1_000_000,
    };
    let data = decay(n, 0.01, SEED);
    if path.ends_with(".columns.npy") {
        // One table of n rows x (x, y), as `homodyne curve --data` reads it.
        let table: Vec<f64> = data
            .x
            .iter()
            .zip(&data.y)
            .flat_map(|(&x, &y)| [x, y])
            .collect();
        write_npy_f64(path, &table, &[n, 2]).map_err(|e| e.to_string())
    } else if path.ends_with(".npy") {
        write_npy_f64(x_path_of(path), &data.x, &[n]).map_err(|e| e.to_string())?;
        write_npy_f64(path, &data.y, &[n]).map_err(|e| e.to_string())
    } else {
        write_hdf5_xy(path, n, |range, x, y| {
            x.copy_from_slice(&data.x[range.clone()]);
            y.copy_from_slice(&data.y[range]);
        })
        .map_err(|e| e.to_string())
    }
}

/// The x file that goes with the y file `path` (`data.npy` -> `data.x.npy`).
fn x_path_of(path: &str) -> String {
    format!("{}.x.npy", path.trim_end_matches(".npy"))
}

fn open(path: &str) -> Result<Box<dyn DataSource>, String> {
    if path.ends_with(".npy") {
        NpySource::open(x_path_of(path), path, None)
            .map(|s| Box::new(s) as Box<dyn DataSource>)
            .map_err(|e| e.to_string())
    } else {
        Hdf5Source::open(path, "x", "y", None)
            .map(|s| Box::new(s) as Box<dyn DataSource>)
            .map_err(|e| e.to_string())
    }
}

/// The options of `fit`.
struct Options {
    file: String,
    reference: bool,
    streaming: bool,
    batch: Option<usize>,
    checkpoint_dir: Option<String>,
    resume: bool,
    crash: Option<(usize, usize)>,
    stall: Option<usize>,
    timeout: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        file: String::new(),
        reference: false,
        streaming: false,
        batch: None,
        checkpoint_dir: None,
        resume: false,
        crash: None,
        stall: None,
        timeout: DEFAULT_EXCHANGE_TIMEOUT,
    };
    let mut it = args.iter();
    let number = |v: Option<&String>, what: &str| -> Result<usize, String> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{what} needs a whole number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--reference" => options.reference = true,
            "--streaming" => options.streaming = true,
            "--resume" => options.resume = true,
            "--batch" => options.batch = Some(number(it.next(), "--batch")?),
            "--checkpoint-dir" => {
                options.checkpoint_dir =
                    Some(it.next().ok_or("--checkpoint-dir needs a path")?.clone())
            }
            "--stall" => options.stall = Some(number(it.next(), "--stall")?),
            "--timeout" => {
                options.timeout = Duration::from_secs(number(it.next(), "--timeout")? as u64)
            }
            "--crash" => {
                let spec = it.next().ok_or("--crash needs RANK:READS")?;
                let (rank, reads) = spec.split_once(':').ok_or("--crash needs RANK:READS")?;
                options.crash = Some((
                    number(Some(&rank.to_owned()), "--crash")?,
                    number(Some(&reads.to_owned()), "--crash")?,
                ));
            }
            file if !file.starts_with("--") && options.file.is_empty() => {
                options.file = file.to_owned()
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.file.is_empty() {
        return Err("fit: which file?".into());
    }
    Ok(options)
}

/// Counts the bytes this process sends per exchange.
struct Counting<'a> {
    inner: &'a MpiCommunicator,
    sent: Mutex<(u64, usize, usize)>,
}

impl Communicator for Counting<'_> {
    fn rank(&self) -> usize {
        self.inner.rank()
    }
    fn size(&self) -> usize {
        self.inner.size()
    }
    fn all_gather(&self, bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
        {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            sent.0 += 1;
            sent.1 += bytes.len();
            sent.2 = sent.2.max(bytes.len());
        }
        self.inner.all_gather(bytes)
    }
}

fn fit(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let source = open(&options.file)?;
    if options.reference {
        // The single-process fit without MPI: all the points read into memory, then fitted
        // (timed together, as the distributed fit reads its shares inside its timing).
        let started = Instant::now();
        let mut all = Batch::default();
        source
            .read(0..source.n_points(), &mut all)
            .map_err(|e| e.to_string())?;
        let result = Fit::curve(&Decay, &all.x, &all.y)
            .p0(&P0)
            .strategy(OptimizationStrategy::Large)
            .run()
            .map_err(|e| e.to_string())?;
        print_line(&result, 1, true, started.elapsed().as_secs_f64(), (0, 0, 0));
        return Ok(());
    }
    let universe = mpi::initialize().ok_or("MPI could not be initialised")?;
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    // The source of this rank, which aborts the process at a given read (--crash), or
    // stops answering (--stall), when told.
    let abort_at = options
        .crash
        .and_then(|(r, reads)| (r == rank).then_some(reads as u64));
    let stall = options.stall == Some(rank);
    let faulty = WatchedSource::new(source.as_ref()).before_read(move |read, _| {
        if abort_at == Some(read) {
            eprintln!("mpi_fit: aborting at read {read}, as told (--crash)");
            std::process::abort();
        }
        if stall {
            eprintln!("mpi_fit: this process stops answering, as told (--stall)");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        Ok(())
    });
    let started = Instant::now();
    let (outcome, sent) = with_mpi_timeout(&world, options.timeout, |communicator| {
        let counting = Counting {
            inner: communicator,
            sent: Mutex::new((0, 0, 0)),
        };
        let fit = Fit::source(&Decay, &faulty).p0(&P0).communicator(&counting);
        let outcome = if options.streaming {
            let streaming = StreamingOptions {
                batch_size: options.batch,
                checkpoint: options
                    .checkpoint_dir
                    .as_ref()
                    .map(|dir| CheckpointOptions {
                        frequency: 1,
                        resume: options.resume,
                        ..CheckpointOptions::new(dir)
                    }),
                ..StreamingOptions::default()
            };
            fit.streaming(streaming).run()
        } else {
            fit.strategy(OptimizationStrategy::Large).run()
        };
        let sent = *counting.sent.lock().unwrap_or_else(|e| e.into_inner());
        (outcome, sent)
    });
    let seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(result) => {
            if rank == 0 {
                print_line(&result, size, false, seconds, sent);
            }
            Ok(())
        }
        Err(e) => Err(format!("rank {rank}: {e}")),
    }
}

/// The JSON line of a finished fit.
fn print_line(
    result: &OptimizationResult,
    processes: usize,
    reference: bool,
    seconds: f64,
    (exchanges, bytes, largest): (u64, usize, usize),
) {
    let bits: Vec<String> = result
        .parameters
        .iter()
        .map(|v| format!("\"{:016x}\"", v.to_bits()))
        .collect();
    let diagnostics = result.streaming_diagnostics.as_ref();
    println!(
        "{{\"processes\": {processes}, \"reference\": {reference}, \"n\": {}, \
         \"strategy\": \"{}\", \"parameters\": {:?}, \"bits\": [{}], \"nfev\": {}, \
         \"njev\": {}, \"seconds\": {seconds:.4}, \"exchanges\": {exchanges}, \
         \"bytes_per_exchange_max\": {largest}, \"bytes_per_exchange_mean\": {:.1}, \
         \"passes\": {}, \"checkpoints_written\": {}, \"resumed_from\": {:?}}}",
        result.n_points,
        result.strategy,
        result.parameters,
        bits.join(", "),
        result.nfev,
        result.njev,
        if exchanges > 0 {
            bytes as f64 / exchanges as f64
        } else {
            0.0
        },
        diagnostics.map_or(0, |d| d.passes),
        diagnostics.map_or(0, |d| d.checkpoints_written),
        diagnostics
            .and_then(|d| d.resumed_from.as_deref())
            .map(|p| Path::new(p)
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    );
}

//! A STREAMING fit over an HDF5 file, against CHUNKED on the same data in memory: the
//! memory and speed figures of `cargo xtask bench-streaming`.
//!
//! ```text
//! cargo run --release -p homodyne --example streaming_hdf5 -- write FILE POINTS [PARAMS]
//! cargo run --release -p homodyne --example streaming_hdf5 -- streaming FILE [BATCH [PARAMS]]
//! cargo run --release -p homodyne --example streaming_hdf5 -- chunked FILE [PARAMS]
//! cargo run --release -p homodyne --example streaming_hdf5 -- compare FILE [PARAMS [RUNS [BATCH]]]
//! cargo run --release -p homodyne --example streaming_hdf5 -- passes FILE [PARAMS]
//! ```
//!
//! `write` creates `FILE` with datasets `/x` and `/y` (contiguous; chunked by 65,536 points
//! when `HOMODYNE_CHUNKED` is set) on
//! `x = linspace(0, 10, POINTS)`, one batch at a time (nothing but a batch is held): with
//! `PARAMS` 3 (the default) `y = 2.5 exp(-1.3 x) + 0.5 + noise`
//! ([`homodyne_testkit::example::Decay`]), with 53 the 17 peaks of [`homodyne_testkit::example::Peaks`]. `streaming` fits it reading batch by batch (default
//! 100,000 points); `chunked` reads it whole into memory and fits with CHUNKED. Both print
//! the fit time and the process's peak resident set size (`VmHWM`).
//!
//! `compare` measures the one figure `cargo xtask bench` reports: in one process, after one
//! untimed fit of each, `RUNS` (default 5) alternating pairs of a CHUNKED fit (the points
//! read into memory once, before any timing) and a STREAMING fit from the file (batches of
//! `BATCH` points, default 100,000), a line per pair with both times, their ratio
//! `t_streaming / t_chunked` and the reads the STREAMING fit made of the file, then the
//! median of the ratios on the line
//!
//! ```text
//! streaming/chunked: median ratio 1.183 of 5 alternating runs (chunked median 0.812 s, streaming median 0.961 s)
//! ```
//!
//! `passes` shows where a streamed pass's time goes, at the parameters that made the data:
//! the median of 7 timings each of a cost and a linearisation pass in memory (CHUNKED's)
//! and streamed from the file (STREAMING's, batches of 100,000 points), of reading the file
//! batch by batch alone, of reading every 16th block of 1,024 points (a coarse stage's
//! subset), and of the passes over one cache-hot batch times the number of batches.

use std::time::Instant;

use homodyne::prelude::*;
use homodyne::random::GaussianNoise;
use homodyne::{Batch, DataSource, StreamingOptions};
use homodyne_data::{Hdf5Source, Hdf5Writer};
use homodyne_testkit::example::{Decay, Peaks};
use homodyne_testkit::{WatchedSource, bench};

/// A model with the parameters that made the data and where the fit starts.
type Problem = (Box<dyn Model>, Vec<f64>, Vec<f64>);

/// Peak resident set size in MB, where the system reports it.
fn peak_rss_mb() -> Option<f64> {
    bench::peak_rss_kib().map(|kib| kib * 1024.0 / 1e6)
}

/// Prints the line of one fit of `streaming` or `chunked`: `what` was fitted, in how many
/// seconds and passes over the points, the parameters it found and the peak RSS so far.
fn print_fit(what: &str, seconds: f64, passes: usize, parameters: &[f64]) {
    println!(
        "{what}: fit {seconds:.3} s, {passes} passes, parameters {parameters:?}, peak RSS {:.1} MB",
        peak_rss_mb().unwrap_or(f64::NAN)
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: streaming_hdf5 write FILE POINTS [PARAMS] | streaming FILE [BATCH [PARAMS]] \
                 | chunked FILE [PARAMS] | compare FILE [PARAMS [RUNS [BATCH]]]";
    let (mode, file) = (args.first().ok_or(usage)?, args.get(1).ok_or(usage)?);
    let params_at = |k: usize| args.get(k).map_or(Ok(3), |s| s.parse::<usize>());
    let setup = |n_params: usize| -> Result<Problem, String> {
        match n_params {
            3 => Ok((Box::new(Decay), vec![2.5, 1.3, 0.5], vec![1.0, 1.0, 0.0])),
            53 => Ok((Box::new(Peaks), Peaks::truth(), Peaks::start())),
            other => Err(format!("PARAMS must be 3 or 53, not {other}")),
        }
    };
    match mode.as_str() {
        "write" => {
            let n: usize = args.get(2).ok_or(usage)?.replace('_', "").parse()?;
            let (model, truth, _) = setup(params_at(3)?)?;
            let step = 10.0 / (n.max(2) - 1) as f64;
            let mut noise = GaussianNoise::new(0x0DEC_A7ED_5EED_0003);
            let started = Instant::now();
            let writer = Hdf5Writer::new(file, n);
            // Contiguous by default (rows are read straight from their bytes); chunked when
            // HOMODYNE_CHUNKED is set.
            let writer = match std::env::var("HOMODYNE_CHUNKED") {
                Ok(_) => writer.chunked(65_536),
                Err(_) => writer,
            };
            writer.write(|range, batch: &mut Batch| {
                for (k, i) in range.enumerate() {
                    batch.x[k] = i as f64 * step;
                }
                model.eval(&batch.x, &truth, &mut batch.y);
                for y in batch.y.iter_mut() {
                    *y += 0.01 * noise.next_normal();
                }
            })?;
            println!(
                "wrote {n} points to {file} in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        "streaming" => {
            let batch: usize = args
                .get(2)
                .map_or(Ok(100_000), |s| s.replace('_', "").parse())?;
            let (model, _, p0) = setup(params_at(3)?)?;
            let source = Hdf5Source::open(file, "/x", "/y", None)?;
            let started = Instant::now();
            let fit = Fit::source(model.as_ref(), &source)
                .p0(&p0)
                .streaming(StreamingOptions {
                    batch_size: Some(batch),
                    ..StreamingOptions::default()
                })
                .run()?;
            let seconds = started.elapsed().as_secs_f64();
            let d = fit.streaming_diagnostics.as_ref().ok_or("no diagnostics")?;
            let what = format!("streaming points {} batch {batch}", source.n_points());
            print_fit(&what, seconds, d.passes, &fit.parameters);
        }
        "chunked" => {
            let (model, _, p0) = setup(params_at(2)?)?;
            let source = Hdf5Source::open(file, "/x", "/y", None)?;
            let mut all = Batch::default();
            source.read(0..source.n_points(), &mut all)?;
            let started = Instant::now();
            let fit = Fit::curve(model.as_ref(), &all.x, &all.y)
                .p0(&p0)
                .strategy(OptimizationStrategy::Chunked)
                .run()?;
            let seconds = started.elapsed().as_secs_f64();
            let what = format!("chunked points {}", all.len());
            print_fit(&what, seconds, fit.njev, &fit.parameters);
        }
        "compare" => {
            let (model, _, p0) = setup(params_at(2)?)?;
            let runs = args.get(3).map_or(Ok(5), |s| s.parse::<usize>())?.max(1);
            let batch: usize = args
                .get(4)
                .map_or(Ok(100_000), |s| s.replace('_', "").parse())?;
            compare(model.as_ref(), &p0, file, runs, batch)?;
        }
        "passes" => {
            let (model, truth, _) = setup(params_at(2)?)?;
            passes(model.as_ref(), &truth, file)?;
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// `runs` alternating pairs of a CHUNKED fit (in memory) and a STREAMING fit (from `file`),
/// after one untimed pair, and the median ratio line (module documentation).
fn compare(
    model: &dyn Model,
    p0: &[f64],
    file: &str,
    runs: usize,
    batch: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let source = Hdf5Source::open(file, "/x", "/y", None)?;
    let mut all = Batch::default();
    source.read(0..source.n_points(), &mut all)?;
    let n_points = source.n_points();
    let chunked = || -> Result<(f64, Vec<f64>), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let fit = Fit::curve(model, &all.x, &all.y)
            .p0(p0)
            .strategy(OptimizationStrategy::Chunked)
            .run()?;
        Ok((started.elapsed().as_secs_f64(), fit.parameters))
    };
    let counted = WatchedSource::new(&source);
    let streaming = || -> Result<(f64, Vec<f64>, usize), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let fit = Fit::source(model, &counted)
            .p0(p0)
            .streaming(StreamingOptions {
                batch_size: Some(batch),
                ..StreamingOptions::default()
            })
            .run()?;
        let passes = fit.streaming_diagnostics.as_ref().map_or(0, |d| d.passes);
        Ok((started.elapsed().as_secs_f64(), fit.parameters, passes))
    };
    // One untimed fit of each: the thread pool started, the file's pages cached.
    chunked()?;
    streaming()?;
    let (mut chunked_s, mut streaming_s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=runs {
        let (tc, pc) = chunked()?;
        let before = counted.counts();
        let (ts, ps, passes) = streaming()?;
        let after = counted.counts();
        let points = after.points - before.points;
        println!(
            "run {run}: chunked {tc:.3} s, streaming {ts:.3} s, ratio {:.3}; streaming: {passes} \
             passes, {} reads of {:.2}e6 points ({:.1} full reads) in {:.3} s; parameters \
             chunked {pc:?}, streaming {ps:?}",
            ts / tc,
            after.reads - before.reads,
            points as f64 * 1e-6,
            points as f64 / n_points as f64,
            after.seconds - before.seconds,
        );
        chunked_s.push(tc);
        streaming_s.push(ts);
        ratios.push(ts / tc);
    }
    println!(
        "streaming/chunked: median ratio {:.3} of {runs} alternating runs (chunked median {:.3} s, \
         streaming median {:.3} s)",
        median(&ratios),
        median(&chunked_s),
        median(&streaming_s)
    );
    Ok(())
}

/// Where a pass's time goes (module documentation), at `p0`.
fn passes(model: &dyn Model, p0: &[f64], file: &str) -> Result<(), Box<dyn std::error::Error>> {
    use homodyne_solvers::streaming::{StreamingObjective, StreamingSettings};
    use homodyne_solvers::{Accumulation, InMemoryObjective, Loss, Objective};
    let source = Hdf5Source::open(file, "/x", "/y", None)?;
    let n = source.n_points();
    let mut all = Batch::default();
    source.read(0..n, &mut all)?;
    // CHUNKED's and STREAMING's accumulation: the normal equations.
    let normal = Accumulation::NormalEquations;
    let memory = InMemoryObjective::new(model, &all.x, &all.y, None, Loss::Linear, 1.0)
        .with_accumulation(normal);
    let settings = StreamingSettings::default();
    let size = settings.batch_size;
    let streamed = StreamingObjective::new(model, &source, p0, Loss::Linear, 1.0, settings);
    let mut one = Batch::default();
    source.read(0..size, &mut one)?;
    let hot = InMemoryObjective::of_batch(model, &one, false, Loss::Linear, 1.0)
        .with_accumulation(normal);
    let batches = n.div_ceil(size);
    let mut spare = Batch::default();
    let mut times: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut time = |name: &'static str, work: &mut dyn FnMut()| {
        let started = Instant::now();
        work();
        let t = started.elapsed().as_secs_f64();
        match times.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(t),
            None => times.push((name, vec![t])),
        }
    };
    for _ in 0..7 {
        time("memory cost", &mut || {
            memory.cost(p0).ok();
        });
        time("streamed cost", &mut || {
            streamed.cost(p0).ok();
        });
        time("memory linearisation", &mut || {
            memory.linearize(p0).ok();
        });
        time("streamed linearisation", &mut || {
            streamed.linearize(p0).ok();
        });
        time("read only", &mut || {
            for b in 0..batches {
                source
                    .read(b * size..((b + 1) * size).min(n), &mut spare)
                    .ok();
            }
        });
        time("every 16th block of 1024 points", &mut || {
            for lo in (0..n).step_by(16 * 1024) {
                source.read(lo..(lo + 1024).min(n), &mut spare).ok();
            }
        });
        time("hot batch cost x batches", &mut || {
            for _ in 0..batches {
                hot.cost(p0).ok();
            }
        });
        time("hot batch linearisation x batches", &mut || {
            for _ in 0..batches {
                hot.linearize(p0).ok();
            }
        });
    }
    for (name, values) in &times {
        println!("{name}: median {:.2} ms", median(values) * 1e3);
    }
    Ok(())
}

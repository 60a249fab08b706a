//! A STREAMING fit over an HDF5 file, against CHUNKED on the same data in memory: the
//! memory and speed figures of `cargo xtask bench-streaming`.
//!
//! ```text
//! cargo run --release -p homodyne --example streaming_hdf5 -- write FILE POINTS [PARAMS]
//! cargo run --release -p homodyne --example streaming_hdf5 -- streaming FILE [BATCH [PARAMS]]
//! cargo run --release -p homodyne --example streaming_hdf5 -- chunked FILE [PARAMS]
//! ```
//!
//! `write` creates `FILE` with datasets `/x` and `/y` (contiguous; chunked by 65,536 points
//! when `HOMODYNE_CHUNKED` is set) on
//! `x = linspace(0, 10, POINTS)`, one batch at a time (nothing but a batch is held): with
//! `PARAMS` 3 (the default) `y = 2.5 exp(-1.3 x) + 0.5 + noise`
//! ([`homodyne_testkit::example::Decay`]), with 53 the 17 peaks of [`homodyne_testkit::example::Peaks`]. `streaming` fits it reading batch by batch (default
//! 100,000 points); `chunked` reads it whole into memory and fits with CHUNKED. Both print
//! the fit time and the process's peak resident set size (`VmHWM`).

use std::time::Instant;

use homodyne::prelude::*;
use homodyne::random::GaussianNoise;
use homodyne::{Batch, DataSource, StreamingOptions};
use homodyne_data::{Hdf5Source, Hdf5Writer};
use homodyne_testkit::bench;
use homodyne_testkit::example::{Decay, Peaks};

/// A model with the parameters that made the data and where the fit starts.
type Problem = (Box<dyn Model>, Vec<f64>, Vec<f64>);

/// Peak resident set size in MB, where the system reports it.
fn peak_rss_mb() -> Option<f64> {
    bench::peak_rss_kib().map(|kib| kib * 1024.0 / 1e6)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: streaming_hdf5 write FILE POINTS | streaming FILE [BATCH] | chunked FILE";
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
            println!(
                "streaming points {} batch {batch}: fit {seconds:.3} s, {} passes, parameters {:?}, peak RSS {:.1} MB",
                source.n_points(),
                d.passes,
                fit.parameters,
                peak_rss_mb().unwrap_or(f64::NAN)
            );
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
            println!(
                "chunked points {}: fit {seconds:.3} s, {} passes, parameters {:?}, peak RSS {:.1} MB",
                all.len(),
                fit.njev,
                fit.parameters,
                peak_rss_mb().unwrap_or(f64::NAN)
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

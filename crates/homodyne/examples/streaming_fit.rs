//! One STREAMING fit, for measuring memory, speed and checkpoint cost.
//!
//! ```text
//! cargo run --release -p homodyne --example streaming_fit -- POINTS PARAMS [BATCH] [CHECKPOINT_DIR [EVERY]]
//! ```
//!
//! `PARAMS` is 3 ([`homodyne_testkit::example::Decay`]) or 53 ([`homodyne_testkit::example::Peaks`]); the
//! data are generated in memory and read batch by batch through a `SliceSource` (batch
//! size default 100,000). With `CHECKPOINT_DIR`, a checkpoint is saved every `EVERY`
//! batches (default 10) and the save times are printed.

use std::time::Instant;

use homodyne::prelude::*;
use homodyne::{CheckpointOptions, SliceSource, StreamingOptions};
use homodyne_testkit::example::{Decay, Peaks, synthetic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: streaming_fit POINTS PARAMS [BATCH] [CHECKPOINT_DIR [EVERY]]";
    let n: usize = args.first().ok_or(usage)?.replace('_', "").parse()?;
    let n_params: usize = args.get(1).ok_or(usage)?.parse()?;
    let batch: usize = args
        .get(2)
        .map_or(Ok(100_000), |s| s.replace('_', "").parse())?;
    let checkpoint = args
        .get(3)
        .map(|dir| -> Result<_, Box<dyn std::error::Error>> {
            Ok(CheckpointOptions {
                frequency: args.get(4).map_or(Ok(10), |s| s.parse())?,
                ..CheckpointOptions::new(dir)
            })
        });
    let checkpoint = checkpoint.transpose()?;
    let (model, truth, p0): (Box<dyn Model>, _, _) = match n_params {
        3 => (Box::new(Decay), vec![2.5, 1.3, 0.5], vec![1.0, 1.0, 0.0]),
        53 => (Box::new(Peaks), Peaks::truth(), Peaks::start()),
        other => return Err(format!("PARAMS must be 3 or 53, not {other}").into()),
    };
    let data = synthetic(model.as_ref(), &truth, n, 0.01, 0x57EA_0001);
    let source = SliceSource::new(&data.x, &data.y, None, 1).ok_or("inconsistent data")?;
    let options = StreamingOptions {
        batch_size: Some(batch),
        checkpoint,
        ..StreamingOptions::default()
    };
    let started = Instant::now();
    let fit = Fit::source(model.as_ref(), &source)
        .p0(&p0)
        .streaming(options)
        .run()?;
    let seconds = started.elapsed().as_secs_f64();
    let d = fit.streaming_diagnostics.as_ref().ok_or("no diagnostics")?;
    println!(
        "points {n}  params {n_params}  batch {batch}: fit {seconds:.3} s, {} iterations, {} passes, {} batches read",
        fit.iterations, d.passes, d.total_batches_processed
    );
    if d.checkpoints_written > 0 {
        println!(
            "checkpoints {}: mean {:.2} ms, max {:.2} ms",
            d.checkpoints_written,
            1e3 * d.checkpoint_seconds_total / d.checkpoints_written as f64,
            1e3 * d.checkpoint_seconds_max
        );
    }
    Ok(())
}

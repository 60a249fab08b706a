//! Times this crate's bulk decode of `.npy` values against `npyz`'s element reader, for
//! a whole read and for a range read of 10^7 float64 values (80 MB): the median of 5
//! runs of each, in seconds, and their ratio.
//!
//! ```text
//! cargo run --release -p homodyne-data --example npy_decode [N_VALUES]
//! ```
//!
//! The file is written to the system's temporary folder and removed at the end. Both
//! readers start from the same bytes: whole reads from the file's bytes in memory (the
//! command line's whole load), range reads from the open file (a STREAMING batch).

use std::io::BufReader;
use std::time::Instant;

use homodyne_core::{Batch, DataSource};
use homodyne_data::{NpyArray, NpySource, NpyWriter};

/// The median of 5 timed runs of `run`, in seconds.
fn median_of_5(mut run: impl FnMut() -> f64) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(run());
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let dir = std::env::temp_dir().join(format!("homodyne-npy-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("table.npy");
    let mut writer = NpyWriter::create(&path, &[n / 2, 2])?;
    let values: Vec<f64> = (0..n / 2 * 2).map(|i| i as f64 * 0.5).collect();
    writer.write(&values)?;
    writer.finish()?;
    let bytes = std::fs::read(&path)?;

    // Whole: every value, from the file's bytes in memory.
    let ours_whole = median_of_5(|| {
        let array = NpyArray::from_bytes(&bytes, &path, "table").unwrap();
        array.into_numbers().unwrap().iter().sum()
    });
    let npyz_whole = median_of_5(|| {
        let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
        npy.into_vec::<f64>().unwrap().iter().sum()
    });

    // Range: the middle fifth of the rows, from the open file.
    let rows = n / 2;
    let range = 2 * rows / 5..3 * rows / 5;
    let source = NpySource::open_columns(&path)?;
    let mut batch = Batch::default();
    let ours_range = median_of_5(|| {
        source.read(range.clone(), &mut batch).unwrap();
        batch.x.iter().sum::<f64>() + batch.y.iter().sum::<f64>()
    });
    let npyz_range = median_of_5(|| {
        let file = BufReader::new(std::fs::File::open(&path).unwrap());
        let mut reader = npyz::NpyFile::new(file).unwrap().data::<f64>().unwrap();
        reader.seek_to(2 * range.start as u64).unwrap();
        let (mut x, mut y) = (
            Vec::with_capacity(range.len()),
            Vec::with_capacity(range.len()),
        );
        for _ in range.clone() {
            x.push(reader.next().unwrap().unwrap());
            y.push(reader.next().unwrap().unwrap());
        }
        x.iter().sum::<f64>() + y.iter().sum::<f64>()
    });
    assert_eq!(batch.x[0], values[2 * range.start]);

    println!(
        "{n} float64 values ({} MB), median of 5 runs:",
        n * 8 / 1_000_000
    );
    println!(
        "  whole read:  ours {ours_whole:.4} s, npyz {npyz_whole:.4} s: npyz / ours = {:.2}",
        npyz_whole / ours_whole
    );
    println!(
        "  range read ({} rows x 2): ours {ours_range:.4} s, npyz {npyz_range:.4} s: npyz / ours = {:.2}",
        range.len(),
        npyz_range / ours_range
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

//! Read throughput of the file sources: writes x and y of `HOMODYNE_DATA_POINTS` points
//! (default 10,000,000) as `.npy` files and as HDF5 datasets (contiguous; chunked; chunked
//! with deflate), then reads each back in batches of 100,000 points and prints the time.
//! No assertion on time; the files are read just after being written, so they come from
//! the page cache.
//!
//! `cargo test -p homodyne-data --release --test throughput -- --ignored --nocapture`

use std::path::Path;
use std::time::Instant;

use homodyne_core::{Batch, DataSource};
use homodyne_data::{Hdf5Source, Hdf5Writer, NpySource, NpyWriter};

const BATCH: usize = 100_000;

fn x_of(i: usize) -> f64 {
    i as f64 * 1e-3
}

fn y_of(i: usize) -> f64 {
    2.0 * i as f64 + 0.5
}

/// Peak resident memory of this process, from /proc (Linux), for the report.
fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .map_or("?".to_owned(), |kb| {
            format!("{:.0} MB", kb.parse::<f64>().unwrap_or(f64::NAN) / 1024.0)
        })
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(f64::NAN, |m| m.len() as f64 / 1e6)
}

/// Reads every point in batches of `BATCH`, checks a few values, prints the rate.
fn read_all(label: &str, source: &dyn DataSource) {
    let n = source.n_points();
    let mut batch = Batch::default();
    let t = Instant::now();
    let mut sum = 0.0;
    let mut start = 0;
    while start < n {
        let end = (start + BATCH).min(n);
        source.read(start..end, &mut batch).unwrap();
        sum += batch.y[0] + batch.x[batch.len() - 1];
        assert_eq!(batch.y[batch.len() - 1], y_of(end - 1));
        start = end;
    }
    let s = t.elapsed().as_secs_f64();
    let mb = (n * 16) as f64 / 1e6;
    println!(
        "read  {label:<28} {n} points in batches of {BATCH}: {s:.3} s = {:.1} Mpoints/s, {:.0} MB/s of x+y (checksum {sum:.3e})",
        n as f64 / s / 1e6,
        mb / s
    );
}

#[test]
#[ignore = "writes and reads hundreds of MB: run with --release --ignored --nocapture"]
fn read_throughput() {
    let n: usize = std::env::var("HOMODYNE_DATA_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().unwrap();
    let chunk = 1 << 20;

    // .npy: x and y, written a million values at a time.
    let (xp, yp) = (dir.path().join("x.npy"), dir.path().join("y.npy"));
    let t = Instant::now();
    let mut buf = Vec::with_capacity(chunk);
    for (path, f) in [(&xp, x_of as fn(usize) -> f64), (&yp, y_of)] {
        let mut w = NpyWriter::create(path, &[n]).unwrap();
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            buf.clear();
            buf.extend((start..end).map(f));
            w.write(&buf).unwrap();
            start = end;
        }
        w.finish().unwrap();
    }
    println!(
        "write npy x, y ({:.0} + {:.0} MB): {:.3} s, peak RSS so far {}",
        file_mb(&xp),
        file_mb(&yp),
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    read_all("npy <f8", &NpySource::open(&xp, &yp, None).unwrap());

    let fill = |range: std::ops::Range<usize>, b: &mut Batch| {
        for (k, i) in range.enumerate() {
            b.x[k] = x_of(i);
            b.y[k] = y_of(i);
        }
    };
    for (label, file, writer) in [
        (
            "HDF5 contiguous",
            "c.h5",
            Hdf5Writer::new(dir.path().join("c.h5"), n),
        ),
        (
            "HDF5 chunked 65536",
            "k.h5",
            Hdf5Writer::new(dir.path().join("k.h5"), n).chunked(1 << 16),
        ),
        (
            "HDF5 chunked 65536 deflate 1",
            "z.h5",
            Hdf5Writer::new(dir.path().join("z.h5"), n)
                .chunked(1 << 16)
                .deflate(1),
        ),
    ] {
        let path = dir.path().join(file);
        let t = Instant::now();
        writer.batch_points(chunk).write(fill).unwrap();
        println!(
            "write {label} x, y ({:.0} MB): {:.3} s, peak RSS so far {}",
            file_mb(&path),
            t.elapsed().as_secs_f64(),
            peak_rss_mb()
        );
        read_all(label, &Hdf5Source::open(&path, "/x", "/y", None).unwrap());
        std::fs::remove_file(&path).unwrap();
    }
}

//! What the benchmarks share: criterion's settings and entry point, and the measurements of
//! the benchmark examples (the median of repeated timings, the peak memory).
//!
//! A benchmark (`harness = false`) runs its targets through [`run`] from its `main`, under
//! the [`short`] settings, its own [`settings`] or criterion's defaults:
//!
//! ```no_run
//! use criterion::Criterion;
//! use homodyne_testkit::bench;
//!
//! fn bench_sum(c: &mut Criterion) {
//!     c.bench_function("sum", |b| b.iter(|| (0..1000u64).sum::<u64>()));
//! }
//!
//! fn main() {
//!     bench::run(bench::short(), &[bench_sum]);
//! }
//! ```

use std::time::{Duration, Instant};

use criterion::Criterion;

/// One benchmark target: the groups it adds to the run.
pub type Target = fn(&mut Criterion);

/// Settings of `samples` samples, after a warm-up of `warm_up`, over a measurement time of
/// `measurement` per benchmark (the command line may override each).
pub fn settings(samples: usize, warm_up: Duration, measurement: Duration) -> Criterion {
    Criterion::default()
        .sample_size(samples)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
}

/// The settings of the kernel-sized benchmarks (microseconds to milliseconds a call): 20
/// samples after a warm-up of 0.5 s, over 2 s.
pub fn short() -> Criterion {
    settings(20, Duration::from_millis(500), Duration::from_secs(2))
}

/// Runs `targets` in order under `settings` and the command line's options, then prints
/// criterion's summary: what `criterion_group!` and `criterion_main!` expand to for one
/// group.
pub fn run(settings: Criterion, targets: &[Target]) {
    let mut criterion = settings.configure_from_args();
    for target in targets {
        target(&mut criterion);
    }
    Criterion::default().configure_from_args().final_summary();
}

/// The median of `repeats` timings of `work` (after one untimed run), in seconds, and the
/// last result. `repeats` is at least 1.
pub fn median_seconds<T>(repeats: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let mut last = work();
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        last = work();
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], last)
}

/// The peak resident set size of this process in KiB (`VmHWM` of `/proc/self/status`),
/// where the system reports it.
pub fn peak_rss_kib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

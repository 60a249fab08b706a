//! A data source that watches the reads of another: it counts them (reads, points, seconds
//! spent reading) and can act before each one (fail it, or stop the process), for tests and
//! examples of what a fit reads and of a source that fails in the middle of a fit.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use homodyne_core::{Batch, DataSource, SourceError};

/// What [`WatchedSource::before_read`] runs before each read: given the read's number
/// (1 for the first) and its range, `Err(message)` fails that read with `message`.
pub type BeforeRead<'a> = dyn Fn(u64, &Range<usize>) -> Result<(), String> + Send + Sync + 'a;

/// The reads of a [`WatchedSource`] so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReadCounts {
    /// Reads asked of the source, failed ones included.
    pub reads: u64,
    /// Points asked for by those reads.
    pub points: u64,
    /// Seconds spent in the inner source's reads.
    pub seconds: f64,
}

/// A [`DataSource`] that serves the reads of `inner`, counting them ([`WatchedSource::counts`])
/// and, with [`WatchedSource::before_read`], running a hook before each.
///
/// ```
/// use homodyne::prelude::*;
/// use homodyne::SliceSource;
/// use homodyne_testkit::WatchedSource;
/// use homodyne_testkit::example::{Decay, decay};
///
/// let data = decay(20_000, 0.01, 3);
/// let slice = SliceSource::new(&data.x, &data.y, None, 1).unwrap();
/// let source = WatchedSource::new(&slice);
/// let fit = Fit::source(&Decay, &source).p0(&[1.0, 1.0, 0.0]).run()?;
/// // Every pass of the fit read all the points.
/// assert_eq!(source.counts().points % 20_000, 0);
///
/// // A source that fails from its third read on: the fit stops with a typed error.
/// let failing = WatchedSource::new(&slice).before_read(|read, _| match read {
///     1 | 2 => Ok(()),
///     _ => Err("the disk is gone".to_owned()),
/// });
/// assert!(Fit::source(&Decay, &failing).p0(&[1.0, 1.0, 0.0]).run().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WatchedSource<'a> {
    inner: &'a dyn DataSource,
    reads: AtomicU64,
    points: AtomicU64,
    nanos: AtomicU64,
    before_read: Option<Box<BeforeRead<'a>>>,
}

impl<'a> WatchedSource<'a> {
    /// Watches `inner`, with no hook.
    pub fn new(inner: &'a dyn DataSource) -> Self {
        Self {
            inner,
            reads: AtomicU64::new(0),
            points: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            before_read: None,
        }
    }

    /// Runs `hook` before each read (see [`BeforeRead`]); a read it fails is counted but
    /// not passed to the inner source.
    pub fn before_read(
        mut self,
        hook: impl Fn(u64, &Range<usize>) -> Result<(), String> + Send + Sync + 'a,
    ) -> Self {
        self.before_read = Some(Box::new(hook));
        self
    }

    /// The reads so far.
    pub fn counts(&self) -> ReadCounts {
        ReadCounts {
            reads: self.reads.load(Ordering::SeqCst),
            points: self.points.load(Ordering::SeqCst),
            seconds: self.nanos.load(Ordering::SeqCst) as f64 * 1e-9,
        }
    }

    /// The reads so far, the counts then set back to zero.
    pub fn take_counts(&self) -> ReadCounts {
        ReadCounts {
            reads: self.reads.swap(0, Ordering::SeqCst),
            points: self.points.swap(0, Ordering::SeqCst),
            seconds: self.nanos.swap(0, Ordering::SeqCst) as f64 * 1e-9,
        }
    }
}

impl DataSource for WatchedSource<'_> {
    fn n_points(&self) -> usize {
        self.inner.n_points()
    }
    fn x_dim(&self) -> usize {
        self.inner.x_dim()
    }
    fn has_sigma(&self) -> bool {
        self.inner.has_sigma()
    }
    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError> {
        let read = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
        self.points.fetch_add(range.len() as u64, Ordering::SeqCst);
        if let Some(hook) = &self.before_read {
            hook(read, &range)
                .map_err(|message| SourceError::new(self.describe(), &range, message))?;
        }
        let started = Instant::now();
        let outcome = self.inner.read(range, batch);
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::SeqCst);
        outcome
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_core::SliceSource;

    #[test]
    fn reads_are_counted_and_a_hook_fails_the_ones_it_refuses() {
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        let slice = SliceSource::new(&x, &x, None, 1).unwrap();
        let source = WatchedSource::new(&slice).before_read(|read, range| {
            if read == 2 {
                Err(format!("refused {range:?}"))
            } else {
                Ok(())
            }
        });
        let mut batch = Batch::default();
        source.read(0..10, &mut batch).unwrap();
        assert_eq!(batch.y, &x[0..10]);
        let refused = source.read(10..30, &mut batch).unwrap_err();
        assert!(refused.to_string().contains("refused 10..30"), "{refused}");
        source.read(30..35, &mut batch).unwrap();
        let counts = source.take_counts();
        assert_eq!((counts.reads, counts.points), (3, 35));
        assert_eq!(source.counts(), ReadCounts::default());
    }
}

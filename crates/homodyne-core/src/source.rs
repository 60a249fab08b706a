//! Streamed data: points read range by range from wherever they live.
//!
//! A STREAMING fit never holds its data: each pass over the data reads it batch by batch
//! from a [`DataSource`]. This module defines the trait and the two sources that need no
//! file format: [`SliceSource`] (data already in memory, for tests and for comparing with
//! the in-memory strategies) and [`CallbackSource`] (a user function that fills a batch,
//! e.g. from a detector's own format). Sources that read files (HDF5, NumPy `.npy`) live
//! in the `homodyne-data` crate.

use std::ops::Range;

/// One batch of points, as a source fills it: `x` holds `x_dim` values per point (point
/// after point), `y` one value per point, `sigma` one per point when the source has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Predictor values, `x_dim` per point.
    pub x: Vec<f64>,
    /// Observations.
    pub y: Vec<f64>,
    /// One-sigma uncertainties of `y` (empty when the source has none).
    pub sigma: Vec<f64>,
}

impl Batch {
    /// Resizes the buffers for `points` points of `x_dim` coordinates (sigma when `weighted`),
    /// reusing their allocations.
    pub fn resize(&mut self, points: usize, x_dim: usize, weighted: bool) {
        self.x.resize(points * x_dim, 0.0);
        self.y.resize(points, 0.0);
        self.sigma.resize(if weighted { points } else { 0 }, 0.0);
    }

    /// Number of points held.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when the batch holds no points.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// Why a source could not deliver a batch.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: cannot read points {start}..{end}: {message}")]
pub struct SourceError {
    /// The source (file name and dataset, or the callback's description).
    pub source_name: String,
    /// First point of the range.
    pub start: usize,
    /// One past the last point of the range.
    pub end: usize,
    /// What went wrong.
    pub message: String,
}

impl SourceError {
    /// The error of reading `range` from the source named `source_name`.
    pub fn new(source_name: String, range: &Range<usize>, message: impl Into<String>) -> Self {
        Self {
            source_name,
            start: range.start,
            end: range.end,
            message: message.into(),
        }
    }

    /// Checks that `range` is a range of the `n_points` points of the source named by
    /// `source_name` (called only on failure): the error every source gives otherwise.
    pub fn check_range(
        source_name: impl FnOnce() -> String,
        range: &Range<usize>,
        n_points: usize,
    ) -> Result<(), SourceError> {
        if range.start > range.end || range.end > n_points {
            return Err(Self::new(
                source_name(),
                range,
                format!("the source holds {n_points} points"),
            ));
        }
        Ok(())
    }
}

/// Points read by range. `read` is called with ranges in increasing order during a pass,
/// every pass, from one thread at a time; it must fill the batch with exactly the range's
/// points (the same values every time it is asked for them: a fit that resumes from a
/// checkpoint relies on it).
pub trait DataSource: Send + Sync {
    /// Number of points.
    fn n_points(&self) -> usize;
    /// Predictor values per point.
    fn x_dim(&self) -> usize;
    /// Whether the source provides `sigma`.
    fn has_sigma(&self) -> bool;
    /// Fills `batch` with the points of `range` (resizing it).
    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError>;
    /// A short description for messages: a file name and dataset, say.
    fn describe(&self) -> String;
}

/// Data already in memory, served batch by batch (copies each range into the batch).
#[derive(Debug, Clone, Copy)]
pub struct SliceSource<'a> {
    x: &'a [f64],
    y: &'a [f64],
    sigma: Option<&'a [f64]>,
    x_dim: usize,
}

impl<'a> SliceSource<'a> {
    /// `y.len()` points with `x_dim` values each in `x`, and optional `sigma`. `None` when
    /// the lengths disagree or `x_dim` is 0.
    pub fn new(x: &'a [f64], y: &'a [f64], sigma: Option<&'a [f64]>, x_dim: usize) -> Option<Self> {
        let ok =
            x_dim > 0 && x.len() == y.len() * x_dim && sigma.is_none_or(|s| s.len() == y.len());
        ok.then_some(Self { x, y, sigma, x_dim })
    }
}

impl DataSource for SliceSource<'_> {
    fn n_points(&self) -> usize {
        self.y.len()
    }
    fn x_dim(&self) -> usize {
        self.x_dim
    }
    fn has_sigma(&self) -> bool {
        self.sigma.is_some()
    }
    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError> {
        SourceError::check_range(|| self.describe(), &range, self.y.len())?;
        let d = self.x_dim;
        batch.x.clear();
        batch
            .x
            .extend_from_slice(&self.x[range.start * d..range.end * d]);
        batch.y.clear();
        batch.y.extend_from_slice(&self.y[range.clone()]);
        batch.sigma.clear();
        if let Some(s) = self.sigma {
            batch.sigma.extend_from_slice(&s[range]);
        }
        Ok(())
    }
    fn describe(&self) -> String {
        format!("in-memory data ({} points)", self.y.len())
    }
}

/// The signature of a [`CallbackSource`]'s function: fill the batch with the range's
/// points, or say why not.
pub type ReadBatch = dyn Fn(Range<usize>, &mut Batch) -> Result<(), String> + Send + Sync;

/// Points produced by a user function, range by range.
pub struct CallbackSource {
    n_points: usize,
    x_dim: usize,
    has_sigma: bool,
    name: String,
    read: Box<ReadBatch>,
}

impl CallbackSource {
    /// A source of `n_points` points of `x_dim` coordinates (with sigma when `has_sigma`),
    /// read by `read`, described as `name` in messages. The function gets the batch
    /// already sized for the range.
    pub fn new(
        n_points: usize,
        x_dim: usize,
        has_sigma: bool,
        name: impl Into<String>,
        read: impl Fn(Range<usize>, &mut Batch) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            n_points,
            x_dim,
            has_sigma,
            name: name.into(),
            read: Box::new(read),
        }
    }
}

impl std::fmt::Debug for CallbackSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackSource")
            .field("n_points", &self.n_points)
            .field("x_dim", &self.x_dim)
            .field("has_sigma", &self.has_sigma)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl DataSource for CallbackSource {
    fn n_points(&self) -> usize {
        self.n_points
    }
    fn x_dim(&self) -> usize {
        self.x_dim
    }
    fn has_sigma(&self) -> bool {
        self.has_sigma
    }
    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError> {
        SourceError::check_range(|| self.name.clone(), &range, self.n_points)?;
        let fail = |message: String| SourceError::new(self.name.clone(), &range, message);
        let m = range.len();
        batch.resize(m, self.x_dim, self.has_sigma);
        (self.read)(range.clone(), batch).map_err(fail)?;
        if batch.x.len() != m * self.x_dim
            || batch.y.len() != m
            || batch.sigma.len() != if self.has_sigma { m } else { 0 }
        {
            return Err(fail(format!(
                "the callback returned {} x, {} y and {} sigma values for {m} points",
                batch.x.len(),
                batch.y.len(),
                batch.sigma.len()
            )));
        }
        Ok(())
    }
    fn describe(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_are_served_by_range() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [10.0, 11.0, 12.0];
        let s = SliceSource::new(&x, &y, None, 2).unwrap();
        let mut b = Batch::default();
        s.read(1..3, &mut b).unwrap();
        assert_eq!(b.x, [2.0, 3.0, 4.0, 5.0]);
        assert_eq!(b.y, [11.0, 12.0]);
        assert!(b.sigma.is_empty());
        let e = s.read(2..4, &mut b).unwrap_err();
        assert!(e.to_string().contains("2..4"), "{e}");
        assert!(SliceSource::new(&x, &y, None, 4).is_none());
        assert!(SliceSource::new(&x, &y, Some(&[1.0]), 2).is_none());
    }

    #[test]
    fn callbacks_fill_batches_and_are_checked() {
        let s = CallbackSource::new(100, 1, true, "generator", |r, b: &mut Batch| {
            for (k, i) in r.enumerate() {
                b.x[k] = i as f64;
                b.y[k] = 2.0 * i as f64;
                b.sigma[k] = 1.0;
            }
            Ok(())
        });
        let mut b = Batch::default();
        s.read(90..100, &mut b).unwrap();
        assert_eq!(b.y[9], 198.0);
        assert_eq!(b.sigma.len(), 10);
        assert!(s.read(95..101, &mut b).is_err());

        let short = CallbackSource::new(10, 1, false, "short", |_, b: &mut Batch| {
            b.y.pop();
            Ok(())
        });
        let e = short.read(0..5, &mut b).unwrap_err();
        assert!(e.to_string().contains("4 y"), "{e}");
        let failing = CallbackSource::new(10, 1, false, "detector", |_, _: &mut Batch| {
            Err("disk unplugged".into())
        });
        let e = failing.read(0..5, &mut b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "detector: cannot read points 0..5: disk unplugged"
        );
    }
}

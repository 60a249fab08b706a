//! A Python callable `f(x, *params)` as a [`Model`]: called on blocks of the data, with
//! the GIL held only for the call.
//!
//! The solver asks for values (and Jacobians) a chunk of a few hundred points at a time, on
//! several threads. Calling Python that often would cost more than the model's own work, so
//! the model answers from blocks of [`PythonModel::block`] points (tens of thousands: large
//! enough that the call overhead vanishes, small enough that numpy's temporaries stay in
//! cache). A chunk's position in the data is known from its predictors: a 1-D float64
//! `xdata` is handed to the solver as it is, and a chunk's offset from the array's start
//! is its first point ([`Points::Caller`]); other layouts (2-D `xdata`, data streamed in
//! copied batches) are handed over as the indices `x_i = i` ([`Points::Indices`],
//! [`index_points`]), 8 bytes a point more. A block `[lo, hi)` is evaluated as
//! `f(xdata[..., lo:hi], *params)`, a numpy view of the caller's array (no copy), and kept
//! in a small cache keyed on the block and the parameters' bits until the solver's chunks
//! have read it. Blocks sit at fixed positions, so a point's value does not depend on which
//! thread asked first: the fit is deterministic.
//!
//! The Jacobian is `jac(xdata[..., lo:hi], *params)` when given (an `(m, n)` array), else
//! finite differences over the block: forward (`'2-point'`, the default, `n + 1` calls of
//! `f`) or central (`'3-point'`, `2n + 1` calls, error `O(h^2)` instead of `O(h)`), with
//! the steps and stencils of [`Stencil`]: `h_k = eps^(1/2) max(|p_k|, s_k)` (forward) or
//! `eps^(1/3) max(|p_k|, s_k)` (central), never outside the bounds, one-sided three-point
//! next to a bound, the rounded step in the quotient. The typical size `s_k` is `|p0_k|`,
//! the caller's start, or 1 (scipy's floor) for a parameter that starts at 0: a start of
//! 1e-7 (NIST's Hahn1) gets steps of its own size, and a parameter crossing 0 keeps a step
//! a rounding error cannot swamp.
//!
//! A call that raises (or returns the wrong shape) stops the fit ([`Control::stop_with`]):
//! the block's values are NaN and the solver ends at its next check; the exception is then
//! raised as `NLSQOptimizationError` with the original as its `__cause__`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use homodyne_core::{DifferenceScheme, JacobianKind, Model};
use numpy::ndarray::ArrayView1;
use numpy::{AllowTypeChange, PyArrayLike1, PyArrayLike2};
use pyo3::prelude::*;
use pyo3::types::{PyEllipsis, PySlice, PyTuple};

use crate::control::Control;
use crate::errors::{self, ErrorClass};
use crate::stencil::Stencil;

/// Points per call of the Python model when the caller does not choose: four leaves of
/// the solver's pass (256-point chunks x 32 x 4); 256 KiB a float64 array, so numpy's
/// temporaries stay in the 1 MiB L2. A whole fit of `a*exp(-b*x)+c` over 1e7 points
/// (`curve_fit`, 2-core EPYC, other work on the machine): 2.9 s in blocks of 8192, 2.6 s
/// of 16384, 2.15 s of 32768, 2.19 s of 65536 and 2.15 s of 131072; scipy's `curve_fit`
/// with the same callable 5.2 s. Larger blocks only cost memory.
pub(crate) const DEFAULT_BLOCK: usize = 32_768;

/// Blocks kept: one or two per worker thread, for the values and the linearisation.
const CACHE_SLOTS: usize = 16;

/// How a chunk's predictors tell where it lies in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Points {
    /// The solver reads the caller's 1-D `xdata` in place: the chunk's offset from the
    /// array's first value (its address) is its first point.
    Caller(usize),
    /// The solver reads `x_i = i` ([`index_points`]).
    Indices,
}

/// The predictors the solver sees for `n` points: `x_i = i` (exact in f64 below 2^53).
pub(crate) fn index_points(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

/// The points one call of the model covers: a range of the caller's `xdata` (a block), or
/// predictors the solver copied out of it, which tell nothing of their place in it (a
/// coarse stage's subset of a 1-D `xdata`: [`Points::Caller`] only), passed as they are.
#[derive(Debug, Clone)]
enum Span<'x> {
    /// `xdata[..., lo:hi]`.
    Range(std::ops::Range<usize>),
    /// A new 1-D array of these predictors.
    Copied(&'x [f64]),
}

impl Span<'_> {
    /// The number of points.
    fn len(&self) -> usize {
        match self {
            Self::Range(range) => range.len(),
            Self::Copied(x) => x.len(),
        }
    }

    /// The points in words, for an error message.
    fn describe(&self) -> String {
        match self {
            Self::Range(range) => format!("{}..{}", range.start, range.end),
            Self::Copied(x) => format!("{} points copied from xdata (a coarse stage)", x.len()),
        }
    }
}

/// A Python model function over the caller's `xdata` (points along its last axis).
pub(crate) struct PythonModel<'c> {
    function: Py<PyAny>,
    jacobian: Option<Py<PyAny>>,
    xdata: Py<PyAny>,
    n_points: usize,
    points: Points,
    n_params: usize,
    names: Vec<String>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    scheme: DifferenceScheme,
    typical: Vec<f64>,
    block: usize,
    control: &'c Control,
    calls: AtomicUsize,
    jacobian_calls: AtomicUsize,
    cache: Mutex<VecDeque<Slot>>,
    /// Vectors of evicted blocks, reused for new ones: a block's Jacobian (8192 x 3
    /// float64 = 192 KiB) is above glibc's mmap threshold, and allocating it afresh for
    /// every block spent a third of a pass zeroing new pages.
    pool: Mutex<Vec<Vec<f64>>>,
    /// Held around every call into Python: one thread at a time runs the model (see
    /// [`PythonModel::with_python`]).
    python: Mutex<()>,
}

/// A block's values and its Jacobian, column by column (`m` values of column 0, then of
/// column 1, ...): each column is computed, or copied, as one contiguous run, and a chunk's
/// rows are gathered from the columns when the solver asks.
type Linearized = (Vec<f64>, Vec<f64>);

/// One cached block at one parameter vector.
#[derive(Clone)]
struct Slot {
    block: usize,
    key: Vec<u64>,
    values: Arc<OnceLock<Vec<f64>>>,
    linearized: Arc<OnceLock<Linearized>>,
}

impl std::fmt::Debug for PythonModel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PythonModel")
            .field("n_points", &self.n_points)
            .field("n_params", &self.n_params)
            .field("block", &self.block)
            .finish_non_exhaustive()
    }
}

impl<'c> PythonModel<'c> {
    /// `function(xdata[..., lo:hi], *p)` over `n_points` points, with the parameters
    /// `names`, their `bounds` (`(lower, upper)`, for the direction of a difference step),
    /// the optional `jacobian` callable or else differences by `scheme` with steps scaled
    /// to the start `p0` (module docs), `block` points per call, stopping through `control`.
    #[allow(clippy::too_many_arguments)] // each is one fact about the caller's model
    pub(crate) fn new(
        function: Py<PyAny>,
        jacobian: Option<Py<PyAny>>,
        scheme: DifferenceScheme,
        xdata: Py<PyAny>,
        (n_points, points): (usize, Points),
        names: Vec<String>,
        (lower, upper): (Vec<f64>, Vec<f64>),
        p0: &[f64],
        block: usize,
        control: &'c Control,
    ) -> Self {
        let typical = p0
            .iter()
            .map(|&v| {
                if v != 0.0 && v.is_finite() {
                    v.abs()
                } else {
                    1.0
                }
            })
            .collect();
        Self {
            function,
            jacobian,
            xdata,
            n_points,
            points,
            n_params: names.len(),
            names,
            lower,
            upper,
            scheme,
            typical,
            block: block.max(1),
            control,
            calls: AtomicUsize::new(0),
            jacobian_calls: AtomicUsize::new(0),
            cache: Mutex::new(VecDeque::with_capacity(CACHE_SLOTS)),
            pool: Mutex::new(Vec::new()),
            python: Mutex::new(()),
        }
    }

    /// Calls of the model function so far (difference steps included).
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// Calls of the Jacobian function so far.
    pub(crate) fn jacobian_calls(&self) -> usize {
        self.jacobian_calls.load(Ordering::Relaxed)
    }

    /// The cache slot of block `block` at `p` (found and moved to the front, or new).
    fn slot(&self, block: usize, p: &[f64]) -> Slot {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let same =
            |s: &Slot| s.block == block && s.key.iter().zip(p).all(|(k, v)| *k == v.to_bits());
        let slot = match cache.iter().position(same) {
            Some(0) => return cache[0].clone(),
            Some(i) => cache.remove(i).expect("a position found"),
            None => Slot {
                block,
                key: p.iter().map(|v| v.to_bits()).collect(),
                values: Arc::default(),
                linearized: Arc::default(),
            },
        };
        cache.push_front(slot.clone());
        let keep = CACHE_SLOTS.min(cache.len());
        let evicted: Vec<Slot> = cache.drain(keep..).collect();
        drop(cache);
        for old in evicted {
            self.recycle_slot(old);
        }
        slot
    }

    /// Returns the vectors of an evicted slot to the pool, unless a thread still reads it.
    fn recycle_slot(&self, slot: Slot) {
        let mut freed = Vec::new();
        if let Some(values) = Arc::into_inner(slot.values).and_then(OnceLock::into_inner) {
            freed.push(values);
        }
        if let Some((values, jacobian)) =
            Arc::into_inner(slot.linearized).and_then(OnceLock::into_inner)
        {
            freed.extend([values, jacobian]);
        }
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        for mut v in freed {
            if pool.len() < 4 * CACHE_SLOTS {
                v.clear();
                pool.push(v);
            }
        }
    }

    /// An empty vector from the pool (or a new one) with room for `len` values.
    fn buffer(&self, len: usize) -> Vec<f64> {
        let reused = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut v = reused.unwrap_or_default();
        v.reserve(len);
        v
    }

    /// Gives a vector no block keeps back to the pool.
    fn recycle(&self, mut v: Vec<f64>) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 4 * CACHE_SLOTS {
            v.clear();
            pool.push(v);
        }
    }

    /// Runs `f` with the GIL, one thread at a time.
    ///
    /// Two threads calling numpy at once hand the GIL back and forth at every operation
    /// (numpy releases it inside each loop): on blocks of a few thousand points an operation
    /// takes microseconds and each handoff tens of them, so two threads ran the model three
    /// times slower than one. Queued on this lock, the second thread waits once per call
    /// instead of once per operation, and spends the wait on the solver's own work.
    fn with_python<T>(&self, f: impl FnOnce(Python<'_>) -> T) -> T {
        let _one_at_a_time = self.python.lock().unwrap_or_else(|e| e.into_inner());
        Python::attach(f)
    }

    /// The points of block `block`.
    fn block_range(&self, block: usize) -> std::ops::Range<usize> {
        let lo = block * self.block;
        lo..(lo + self.block).min(self.n_points)
    }

    /// `function(xdata[..., lo:hi], *p)` as `hi - lo` values; NaN (and the fit asked to
    /// stop) when the call fails.
    fn call_function(&self, span: &Span<'_>, p: &[f64]) -> Vec<f64> {
        let m = span.len();
        self.call_python("model_func", &self.calls, (span, p), m, |py| {
            let out = self.function.bind(py).call1(self.arguments(py, span, p)?)?;
            // A model constant in x may return one number (scipy broadcasts it too).
            if let Ok(constant) = out.extract::<f64>() {
                let mut filled = self.buffer(m);
                filled.resize(m, constant);
                return Ok(filled);
            }
            let values: PyArrayLike1<'_, f64, AllowTypeChange> = out.extract()?;
            let values = values.as_array();
            if values.len() != m {
                return Err(errors::input_error(
                    py,
                    format!(
                        "model_func returned {} values for the {m} points {} (it must \
                             return one value per point, shaped like ydata)",
                        values.len(),
                        span.describe()
                    ),
                ));
            }
            let mut out = self.buffer(m);
            append(&mut out, values);
            Ok(out)
        })
    }

    /// Values and the Jacobian of the points `range` at `p`, column-major (column `k`, the
    /// derivatives by parameter `k` over the block's points, is contiguous).
    fn call_linearization(
        &self,
        span: &Span<'_>,
        p: &[f64],
        known: Option<&Vec<f64>>,
    ) -> Linearized {
        let (m, n) = (span.len(), self.n_params);
        // The values at p when a cost pass already asked for them (a copy: no new call).
        let values = match known {
            Some(values) => {
                let mut copy = self.buffer(m);
                copy.extend_from_slice(values);
                copy
            }
            None => self.call_function(span, p),
        };
        let jacobian = match &self.jacobian {
            Some(jac) => self.call_jacobian(jac, span, p),
            None => self.differences(span, p, &values),
        };
        debug_assert_eq!(jacobian.len(), m * n);
        (values, jacobian)
    }

    /// `jac(xdata[..., lo:hi], *p)`, an `(m, n)` array, stored column-major as the block keeps it.
    fn call_jacobian(&self, jac: &Py<PyAny>, span: &Span<'_>, p: &[f64]) -> Vec<f64> {
        let (m, n) = (span.len(), self.n_params);
        self.call_python("jac", &self.jacobian_calls, (span, p), m * n, |py| {
            let out = jac.bind(py).call1(self.arguments(py, span, p)?)?;
            let matrix: PyArrayLike2<'_, f64, AllowTypeChange> = out.extract()?;
            let matrix = matrix.as_array();
            if matrix.dim() != (m, n) {
                return Err(errors::input_error(
                    py,
                    format!(
                        "jac returned an array of shape {:?} for {m} points and {n} \
                             parameters (expected ({m}, {n}))",
                        matrix.dim()
                    ),
                ));
            }
            let mut out = self.buffer(m * n);
            for column in matrix.columns() {
                append(&mut out, column);
            }
            Ok(out)
        })
    }

    /// Finite differences of the block by the stencils of [`Stencil`] (module docs):
    /// never outside the bounds, central differences one-sided (and still `O(h^2)`) next
    /// to a bound.
    fn differences(&self, span: &Span<'_>, p: &[f64], at: &[f64]) -> Vec<f64> {
        let (m, n) = (span.len(), self.n_params);
        let mut jacobian = self.buffer(m * n);
        let moved = |k: usize, to: f64| {
            let mut stepped = p.to_vec();
            stepped[k] = to;
            self.call_function(span, &stepped)
        };
        for k in 0..n {
            let stencil = Stencil::choose(
                self.scheme,
                None,
                (p[k], self.typical[k]),
                self.lower[k],
                self.upper[k],
            );
            let (first, second) = stencil.offsets(p[k]);
            let f_first = moved(k, first);
            let f_second = second.map(|to| moved(k, to));
            match (stencil, &f_second) {
                // The common case in one vectorised loop (Stencil::quotient's numbers,
                // without its per-point dispatch).
                (Stencil::TwoPoint(_), None) => {
                    let step = first - p[k];
                    jacobian.extend(f_first.iter().zip(at).map(|(f, a)| (f - a) / step));
                }
                _ => jacobian.extend((0..m).map(|i| {
                    let second = f_second.as_ref().map_or(f64::NAN, |f| f[i]);
                    stencil.quotient(p[k], at[i], f_first[i], second)
                })),
            }
            self.recycle(f_first);
            if let Some(f) = f_second {
                self.recycle(f);
            }
        }
        jacobian
    }

    /// `(xdata[..., lo:hi], p_0, ..., p_{n-1})`, or the copied predictors (a new array)
    /// in place of the view.
    fn arguments<'py>(
        &self,
        py: Python<'py>,
        span: &Span<'_>,
        p: &[f64],
    ) -> PyResult<Bound<'py, PyTuple>> {
        let view = match span {
            Span::Range(range) => {
                let slice = PySlice::new(py, range.start as isize, range.end as isize, 1);
                self.xdata.bind(py).get_item((PyEllipsis::get(py), slice))?
            }
            // A copy of the solver's: the model may write into it.
            Span::Copied(x) => numpy::PyArray1::from_slice(py, x).into_any(),
        };
        let mut items = Vec::with_capacity(1 + p.len());
        items.push(view);
        for &v in p {
            items.push(v.into_pyobject(py)?.into_any());
        }
        PyTuple::new(py, items)
    }

    /// `call` with the GIL held, counted in `counter`: its `len` values, or `len` NaN
    /// when the fit is stopping (without calling) or when `call` fails (the failure,
    /// naming `what` and the parameters and points `at`, becomes the reason the fit stops).
    fn call_python(
        &self,
        what: &str,
        counter: &AtomicUsize,
        (span, p): (&Span<'_>, &[f64]),
        len: usize,
        call: impl FnOnce(Python<'_>) -> PyResult<Vec<f64>>,
    ) -> Vec<f64> {
        if self.control.stopping() {
            return vec![f64::NAN; len];
        }
        counter.fetch_add(1, Ordering::Relaxed);
        self.with_python(|py| {
            call(py).unwrap_or_else(|err| {
                self.fail(py, what, err, p, span);
                vec![f64::NAN; len]
            })
        })
    }

    /// Records a failed call as the reason the fit stops.
    fn fail(&self, py: Python<'_>, what: &str, err: PyErr, p: &[f64], span: &Span<'_>) {
        if err.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
            self.control.stop_with(err);
            return;
        }
        let mut context = std::collections::BTreeMap::new();
        context.insert("parameters".to_string(), format!("{p:?}"));
        context.insert("points".to_string(), span.describe());
        let message = format!("{what} raised {}", describe(py, &err));
        let wrapped = errors::error(py, ErrorClass::Optimization, &message, &context);
        wrapped.set_cause(py, Some(err));
        self.control.stop_with(wrapped);
    }

    /// The block and the offset in it of a chunk of consecutive points that lies inside one
    /// block (every chunk of the solver's own passes), or None.
    fn within_one_block(&self, x: &[f64]) -> Option<(usize, usize)> {
        let (first, last) = match self.points {
            Points::Caller(_) => {
                let first = self.caller_offset(x)?;
                (first, first + x.len().checked_sub(1)?)
            }
            Points::Indices => (self.index(*x.first()?)?, self.index(*x.last()?)?),
        };
        (last + 1 == first + x.len() && first / self.block == last / self.block)
            .then_some((first / self.block, first % self.block))
    }

    /// Whether `x` holds predictors copied out of the caller's array, not a run of it (the
    /// points of a coarse stage, [`homodyne::coarse`]): they are passed to the model as
    /// they are, one call per chunk, since their place in the data is not known.
    fn is_copied(&self, x: &[f64]) -> bool {
        matches!(self.points, Points::Caller(_)) && !x.is_empty() && self.caller_offset(x).is_none()
    }

    /// The point a predictor `x_i = i` stands for.
    fn index(&self, v: f64) -> Option<usize> {
        (v >= 0.0 && v.fract() == 0.0 && v < self.n_points as f64).then_some(v as usize)
    }

    /// The first point of a chunk of the caller's own array (its offset from the array's
    /// start), if it is one.
    fn caller_offset(&self, x: &[f64]) -> Option<usize> {
        let Points::Caller(start) = self.points else {
            return None;
        };
        let bytes = (x.as_ptr() as usize).checked_sub(start)?;
        let first = bytes / size_of::<f64>();
        (bytes % size_of::<f64>() == 0 && first + x.len() <= self.n_points).then_some(first)
    }

    /// Serves the chunk `x` (point indices) from the blocks, through `fill(block values,
    /// block linearisation, offset in block, position in chunk)`.
    fn for_each_point(&self, x: &[f64], mut fill: impl FnMut(Option<(usize, usize)>, usize)) {
        let first = self.caller_offset(x);
        for (i, &xi) in x.iter().enumerate() {
            let index = match self.points {
                Points::Caller(_) => first.map(|f| f + i),
                Points::Indices => self.index(xi),
            };
            fill(index.map(|j| (j / self.block, j % self.block)), i);
        }
    }
}

/// `TypeName: message` of a Python exception.
/// Appends the elements of `values` to `out`, in one copy when they are contiguous.
fn append(out: &mut Vec<f64>, values: ArrayView1<'_, f64>) {
    match values.as_slice() {
        Some(contiguous) => out.extend_from_slice(contiguous),
        None => out.extend(values.iter().copied()),
    }
}

fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_string());
    format!("{name}: {}", err.value(py))
}

impl Model for PythonModel<'_> {
    fn n_params(&self) -> usize {
        self.n_params
    }

    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        let block_values = |block: usize| {
            let slot = self.slot(block, p);
            match slot.linearized.get() {
                Some((v, _)) => v.clone(),
                None => slot
                    .values
                    .get_or_init(|| self.call_function(&Span::Range(self.block_range(block)), p))
                    .clone(),
            }
        };
        if self.is_copied(x) {
            let v = self.call_function(&Span::Copied(x), p);
            values.copy_from_slice(&v);
            self.recycle(v);
            return;
        }
        if let Some((block, offset)) = self.within_one_block(x) {
            // The solver's chunks are runs of consecutive points inside one block.
            let slot = self.slot(block, p);
            let v = match slot.linearized.get() {
                Some((v, _)) => v,
                None => slot
                    .values
                    .get_or_init(|| self.call_function(&Span::Range(self.block_range(block)), p)),
            };
            values.copy_from_slice(&v[offset..offset + x.len()]);
            return;
        }
        let mut current: Option<(usize, Vec<f64>)> = None;
        self.for_each_point(x, |at, i| {
            values[i] = match at {
                Some((block, offset)) => {
                    if current.as_ref().is_none_or(|(b, _)| *b != block) {
                        current = Some((block, block_values(block)));
                    }
                    current.as_ref().expect("set above").1[offset]
                }
                None => f64::NAN,
            };
        });
    }

    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let n = self.n_params;
        let linearized = |block: usize| {
            let slot = self.slot(block, p);
            slot.linearized
                .get_or_init(|| {
                    self.call_linearization(
                        &Span::Range(self.block_range(block)),
                        p,
                        slot.values.get(),
                    )
                })
                .clone()
        };
        if self.is_copied(x) {
            let (v, jac) = self.call_linearization(&Span::Copied(x), p, None);
            values.copy_from_slice(&v);
            let m = v.len();
            for (k, column) in jac.chunks_exact(m).enumerate() {
                for (d, &c) in jacobian.iter_mut().skip(k).step_by(n).zip(column) {
                    *d = c;
                }
            }
            self.recycle(v);
            self.recycle(jac);
            return;
        }
        if let Some((block, offset)) = self.within_one_block(x) {
            let slot = self.slot(block, p);
            let (v, jac) = slot.linearized.get_or_init(|| {
                self.call_linearization(&Span::Range(self.block_range(block)), p, slot.values.get())
            });
            values.copy_from_slice(&v[offset..offset + x.len()]);
            let m = v.len();
            for (k, column) in jac.chunks_exact(m).enumerate() {
                let rows = jacobian.iter_mut().skip(k).step_by(n);
                for (d, &c) in rows.zip(&column[offset..offset + x.len()]) {
                    *d = c;
                }
            }
            return;
        }
        let mut current: Option<(usize, Linearized)> = None;
        self.for_each_point(x, |at, i| {
            let row = &mut jacobian[i * n..(i + 1) * n];
            match at {
                Some((block, offset)) => {
                    if current.as_ref().is_none_or(|(b, _)| *b != block) {
                        current = Some((block, linearized(block)));
                    }
                    let (v, jac) = &current.as_ref().expect("set above").1;
                    values[i] = v[offset];
                    let m = v.len();
                    for (k, d) in row.iter_mut().enumerate() {
                        *d = jac[k * m + offset];
                    }
                }
                None => {
                    values[i] = f64::NAN;
                    row.fill(f64::NAN);
                }
            }
        });
    }

    fn jacobian_kind(&self) -> JacobianKind {
        if self.jacobian.is_some() {
            JacobianKind::Exact
        } else {
            JacobianKind::FiniteDifference
        }
    }

    fn param_names(&self) -> Vec<String> {
        self.names.clone()
    }
}

//! Running a fit from Python: on a worker thread with the GIL released, while the calling
//! (main) thread watches for Ctrl-C and draws the progress bar.
//!
//! Python runs signal handlers only on the main thread, and only while that thread runs
//! Python code. A fit that held the main thread inside Rust for minutes could not be
//! interrupted. So [`Control::run`] moves the fit to a worker thread and waits on the main
//! thread in slices of [`POLL`]: between slices it calls `PyErr_CheckSignals` (Python's own
//! handler runs: `KeyboardInterrupt` by default, or whatever the user installed) and redraws
//! the progress bar. An exception from a handler asks the fit to stop
//! ([`FitObserver::stop_requested`]); the engine checks between passes and between pieces of
//! a pass, so the fit ends within a piece of work, and the exception is raised.
//!
//! A Python model that raises stops the fit the same way ([`Control::stop_with`]).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use homodyne_core::{FitObserver, IterationReport, PassProgress};
use pyo3::prelude::*;

/// How long the main thread waits for the fit before it looks at signals and progress again.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// A fit's stop flag, the error that stopped it, and its progress: the observer of a fit
/// run from Python.
#[derive(Debug, Default)]
pub(crate) struct Control {
    stop: AtomicBool,
    stopped_by: Mutex<Option<PyErr>>,
    show_progress: bool,
    progress: Progress,
}

/// The last reported state of the fit, written by the fit's threads, read by the main
/// thread to draw.
#[derive(Debug, Default)]
struct Progress {
    iteration: AtomicUsize,
    nfev: AtomicUsize,
    cost_bits: AtomicU64,
    points_done: AtomicUsize,
    points_total: AtomicUsize,
}

impl Control {
    /// A control that draws a progress bar when `show_progress` (tqdm when installed, else a
    /// line on stderr: `homodyne_rs._progress`).
    pub(crate) fn new(show_progress: bool) -> Self {
        Self {
            show_progress,
            progress: Progress {
                cost_bits: AtomicU64::new(f64::NAN.to_bits()),
                ..Progress::default()
            },
            ..Self::default()
        }
    }

    /// Records `err` as the reason the fit must stop (the first reason is kept) and asks the
    /// fit to stop. [`Control::run`] raises it when the fit has ended.
    pub(crate) fn stop_with(&self, err: PyErr) {
        let mut slot = self.stopped_by.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(err);
        }
        self.stop.store(true, Ordering::Release);
    }

    /// Whether a stop was asked for (by Ctrl-C or a failed Python call).
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Runs `work` on a worker thread with the GIL released and returns its result, or the
    /// exception that stopped it (Ctrl-C's `KeyboardInterrupt`, a Python model's error),
    /// whatever `work` returned then.
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce() -> T + Send,
    ) -> PyResult<T> {
        let bar = if self.show_progress {
            Some(
                py.import("homodyne_rs._progress")?
                    .getattr("Progress")?
                    .call0()?,
            )
        } else {
            None
        };
        let done = (Mutex::new(false), Condvar::new());
        let outcome = std::thread::scope(|scope| {
            let worker = scope.spawn(|| {
                // Set on the way out, a panic's unwinding included: the main thread
                // waits for it and would otherwise wait for ever.
                let _finished = Finished(&done);
                work()
            });
            loop {
                let finished = py.detach(|| {
                    let guard = done.0.lock().unwrap_or_else(|e| e.into_inner());
                    let (guard, _) = done
                        .1
                        .wait_timeout_while(guard, POLL, |finished| !*finished)
                        .unwrap_or_else(|e| e.into_inner());
                    *guard
                });
                if let Err(signal) = py.check_signals() {
                    self.stop_with(signal);
                }
                if let Some(bar) = &bar {
                    self.draw(py, bar);
                }
                if finished {
                    break;
                }
            }
            worker.join()
        });
        if let Some(bar) = &bar {
            bar.call_method0("close")?;
        }
        let stopped_by = self
            .stopped_by
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match (outcome, stopped_by) {
            (_, Some(err)) => Err(err),
            (Ok(result), None) => Ok(result),
            (Err(panic), None) => Err(crate::errors::error(
                py,
                crate::errors::ErrorClass::Optimization,
                &format!(
                    "internal error: the fit's thread panicked: {}",
                    panic_message(&panic)
                ),
                &Default::default(),
            )),
        }
    }

    /// Sends the latest state to the Python progress bar. A bar that fails to draw does not
    /// fail the fit, but a signal handler's exception raised while it drew (Python runs
    /// pending handlers in any Python code) stops it like any other.
    fn draw(&self, py: Python<'_>, bar: &Bound<'_, PyAny>) {
        let p = &self.progress;
        let drawn = bar.call_method1(
            "update",
            (
                p.iteration.load(Ordering::Relaxed),
                p.nfev.load(Ordering::Relaxed),
                f64::from_bits(p.cost_bits.load(Ordering::Relaxed)),
                p.points_done.load(Ordering::Relaxed),
                p.points_total.load(Ordering::Relaxed),
            ),
        );
        if let Err(err) = drawn
            && (err.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py)
                || err.is_instance_of::<pyo3::exceptions::PySystemExit>(py))
        {
            self.stop_with(err);
        }
    }
}

/// Marks the fit finished and wakes the main thread when dropped.
struct Finished<'a>(&'a (Mutex<bool>, Condvar));

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        *self.0.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.0.1.notify_all();
    }
}

/// The message of a panic's payload.
fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

impl FitObserver for Control {
    fn on_iteration(&self, report: &IterationReport<'_>) {
        let p = &self.progress;
        p.iteration.store(report.iteration, Ordering::Relaxed);
        p.nfev.store(report.nfev, Ordering::Relaxed);
        p.cost_bits.store(report.cost.to_bits(), Ordering::Relaxed);
    }

    fn on_pass_progress(&self, progress: &PassProgress) {
        let p = &self.progress;
        p.points_done.store(progress.points_done, Ordering::Relaxed);
        p.points_total
            .store(progress.points_total, Ordering::Relaxed);
    }

    fn stop_requested(&self) -> bool {
        self.stopping()
    }
}

//! The progress bar of a fit on stderr.

use homodyne::{FitObserver, IterationReport, PassKind, PassProgress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress bar of a fit on stderr: the points of the current pass over the data, with
/// the iteration, the cost and the evaluations so far (indicatif draws it at most 20 times a
/// second, from whichever thread reports).
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(20));
        bar.set_style(
            ProgressStyle::with_template(
                "  {prefix:>13} [{bar:30}] {percent:>3}%  {msg}  {elapsed_precise}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.set_prefix("starting");
        Self { bar }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl FitObserver for Progress {
    fn on_iteration(&self, report: &IterationReport) {
        self.bar.set_message(format!(
            "iteration {}  cost {:.8e}  nfev {}",
            report.iteration, report.cost, report.nfev
        ));
    }

    fn on_pass_progress(&self, progress: &PassProgress) {
        if self.bar.length() != Some(progress.points_total as u64) {
            self.bar.set_length(progress.points_total as u64);
        }
        self.bar.set_prefix(match progress.kind {
            PassKind::Cost => "cost pass",
            PassKind::Linearization => "Jacobian pass",
        });
        self.bar.set_position(progress.points_done as u64);
    }
}

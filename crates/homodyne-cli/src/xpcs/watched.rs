//! A fit watched by the progress bar when someone is there to see it.

use std::io::IsTerminal;

use homodyne::{FitObserver, NoObserver};

use crate::progress::Progress;

/// Runs `fit` with the progress bar on stderr as its observer when `shown` (the leading
/// process, without `--quiet`) and stderr is a terminal, else with no observer; the bar
/// is removed when the fit returns, whatever it returns.
pub(crate) fn with_progress<T>(shown: bool, fit: impl FnOnce(&dyn FitObserver) -> T) -> T {
    let progress = Progress::new();
    let observer: &dyn FitObserver = if shown && std::io::stderr().is_terminal() {
        &progress
    } else {
        &NoObserver
    };
    let fitted = fit(observer);
    progress.finish();
    fitted
}

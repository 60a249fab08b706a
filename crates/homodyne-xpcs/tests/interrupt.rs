//! An XPCS fit stopped on request ([`FitObserver::stop_requested`]): with
//! `per_angle_mode: auto` (a choice among scaling layouts, each through coarse stages),
//! a stop asked for during the first stage of the first candidate ends the whole fit
//! there, with `Interrupted`: no later stage, no full fit, no other candidate.

use std::sync::atomic::{AtomicUsize, Ordering};

use homodyne::{ErrorKind, FitObserver, IterationReport};
use homodyne_xpcs::demo::DemoDataset;
use homodyne_xpcs::{
    CoarseToFine, ModelForm, ScalingMode, XpcsError, XpcsFitOptions, fit_choosing_scaling,
};

/// Answers true from its `stop_at`-th question on; counts the questions and the
/// iterations reported to it.
struct StopAtQuestion {
    stop_at: usize,
    questions: AtomicUsize,
    iterations: AtomicUsize,
}

impl FitObserver for StopAtQuestion {
    fn on_iteration(&self, _report: &IterationReport<'_>) {
        self.iterations.fetch_add(1, Ordering::SeqCst);
    }

    fn stop_requested(&self) -> bool {
        self.questions.fetch_add(1, Ordering::SeqCst) + 1 >= self.stop_at
    }
}

#[test]
fn a_fit_choosing_its_scaling_stops_in_its_first_stage() {
    // 3 angles of 200 frames: coarse stages of strides 16 and 4, then the full fit, for
    // each of the two candidate layouts.
    let demo = DemoDataset::generate(3, 200, ModelForm::Published).unwrap();
    let data = demo.into_fit_data().unwrap();
    let model =
        DemoDataset::fit_model(&data, ScalingMode::Individual, ModelForm::Published).unwrap();
    assert_eq!(CoarseToFine::Auto.strides(data.n_t), [16, 4]);
    let options_for = |_: &homodyne_xpcs::ParameterLayout| Ok(XpcsFitOptions::default());
    let scalings = [ScalingMode::Constant, ScalingMode::Individual];

    // Asked to stop at the 5th question: inside the first pass of the first stage.
    let observer = StopAtQuestion {
        stop_at: 5,
        questions: AtomicUsize::new(0),
        iterations: AtomicUsize::new(0),
    };
    let error = match fit_choosing_scaling(&model, &scalings, &data, &options_for, &observer) {
        Err(XpcsError::Fit(error)) => error,
        Err(other) => panic!("not a fit error: {other}"),
        Ok(chosen) => panic!("not stopped: {}", chosen.choice.reason()),
    };
    assert_eq!(error.kind(), ErrorKind::Interrupted, "{error}");
    assert_eq!(error.context().get("stage"), Some("stride 16"), "{error}");
    assert_eq!(error.context().get("scaling"), Some("constant"), "{error}");
    // The stages report nothing: no full fit ever reported an iteration.
    assert_eq!(observer.iterations.load(Ordering::SeqCst), 0);

    // The same fit, never asked to stop, reports the full fits' iterations.
    let unstopped = StopAtQuestion {
        stop_at: usize::MAX,
        questions: AtomicUsize::new(0),
        iterations: AtomicUsize::new(0),
    };
    let chosen = fit_choosing_scaling(&model, &scalings, &data, &options_for, &unstopped).unwrap();
    assert_eq!(chosen.choice.candidates.len(), 2);
    assert!(unstopped.iterations.load(Ordering::SeqCst) > 2);
    // The stopped fit asked far fewer questions than the whole fit.
    assert!(
        observer.questions.load(Ordering::SeqCst) * 10 < unstopped.questions.load(Ordering::SeqCst),
        "{} questions stopped against {} for the whole fit",
        observer.questions.load(Ordering::SeqCst),
        unstopped.questions.load(Ordering::SeqCst)
    );
}

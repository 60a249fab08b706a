//! `per_angle_mode: auto`: the per-angle scaling chosen by the evidence of the data.
//!
//! One contrast and offset shared by all angles (the Python package's `auto` from 3
//! angles on) is the right model only when the angles' contrasts and offsets are equal.
//! Measured detectors differ between sectors; a shared scaling then misfits the data, and
//! the physical parameters absorb the misfit (a 7% spread of contrasts turned a shear
//! exponent of 0.2 into 0.005). [`fit_choosing_scaling`] fits each candidate layout in
//! turn, from the fewest scaling parameters to the most (shared, a Fourier series in the
//! angle, one per angle), each from the previous one's optimum (the layouts are nested,
//! so each candidate starts where the simpler model ended and can only lower the cost),
//! and keeps the one with the lowest Bayesian information criterion,
//!
//! ```text
//! BIC = n ln(chi2 / n) + k ln n,
//! ```
//!
//! (lmfit's definition: `chi2` the sum of squared residuals over the `n` fitted points, `k`
//! the parameters varied). Extra scaling parameters are kept only when they lower `chi2`
//! by more than `ln n` per parameter in `n ln(chi2/n)`: when the angles really differ.

use std::time::Instant;

use homodyne::diagnostics::information_criteria;
use homodyne::distributed::Communicator;
use homodyne_core::FitObserver;

use crate::analysis::{CoarseToFine, XpcsFit, XpcsFitOptions, fit, fit_distributed};
use crate::correlation_model::FitModel;
use crate::data::{CorrelationData, PointSelection};
use crate::error::XpcsError;
use crate::model::HomodyneModel;
use crate::parameters::{ParameterLayout, ScalingMode};

/// One layout fitted by [`fit_choosing_scaling`].
#[derive(Debug, Clone)]
pub struct ScalingCandidate {
    /// The per-angle scaling.
    pub scaling: ScalingMode,
    /// Parameters varied (held ones not counted).
    pub n_varying: usize,
    /// Points fitted.
    pub n_points: usize,
    /// Sum of squared residuals at the candidate's optimum.
    pub chi_squared: f64,
    /// `chi_squared / (n_points - n_varying)`.
    pub reduced_chi_squared: f64,
    /// Akaike information criterion, `n ln(chi2/n) + 2 k`.
    pub aic: f64,
    /// Bayesian information criterion, `n ln(chi2/n) + k ln n`.
    pub bic: f64,
    /// Solver iterations of the candidate's full fit (coarse stages not counted).
    pub iterations: usize,
    /// Whether the candidate's fit converged.
    pub converged: bool,
    /// Wall time of the candidate, seconds.
    pub seconds: f64,
}

/// The candidates of a choice and the one kept.
#[derive(Debug, Clone)]
pub struct ScalingChoice {
    /// Every candidate fitted, in the order fitted.
    pub candidates: Vec<ScalingCandidate>,
    /// Index of the candidate kept: the lowest BIC among those that converged (among all,
    /// when none did).
    pub chosen: usize,
}

impl ScalingChoice {
    /// The candidate kept.
    pub fn kept(&self) -> &ScalingCandidate {
        &self.candidates[self.chosen]
    }

    /// Why: `individual scaling kept: BIC -1.234e6 against -1.230e6 for constant (chi2 0.98
    /// against 2.62)`.
    pub fn reason(&self) -> String {
        let kept = self.kept();
        let others: Vec<String> = self
            .candidates
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != self.chosen)
            .map(|(_, c)| {
                format!(
                    "{:.6e} for {} (chi2 {:.6e}, {} parameters{})",
                    c.bic,
                    c.scaling.name(),
                    c.chi_squared,
                    c.n_varying,
                    if c.converged { "" } else { ", not converged" }
                )
            })
            .collect();
        format!(
            "{} scaling kept by the lowest BIC: {:.6e} (chi2 {:.6e}, {} parameters) against {}",
            kept.scaling.name(),
            kept.bic,
            kept.chi_squared,
            kept.n_varying,
            others.join(", ")
        )
    }
}

/// A fit whose scaling was chosen: the model of the layout kept, its fit, and the choice.
#[derive(Debug, Clone)]
pub struct ChosenFit<M = HomodyneModel> {
    /// The model in the layout kept.
    pub model: M,
    /// The fit of the layout kept.
    pub fit: XpcsFit,
    /// Every candidate and the one kept.
    pub choice: ScalingChoice,
}

/// Fits `model` (any layout: its grid, angles, q and form are used) to `data` with each
/// scaling of `scalings` in turn and keeps the lowest BIC (module docs).
///
/// `options_for` gives the options of each layout (its bounds and held parameters differ
/// in length). The first candidate starts as its options say, through its coarse stages;
/// every later one starts from the previous optimum (the physical parameters as they
/// ended, the per-angle contrasts and offsets projected onto the new layout), without
/// coarse stages. A candidate that fails is an error: the choice needs every one. A fit
/// stopped on request ([`FitObserver::stop_requested`]) ends with
/// [`XpcsError::Fit`]`(`[`homodyne_core::OptimizationError::Interrupted`]`)`, its context
/// naming the candidate it stopped in, and no later candidate is fitted.
pub fn fit_choosing_scaling<M: FitModel>(
    model: &M,
    scalings: &[ScalingMode],
    data: &CorrelationData,
    options_for: &dyn Fn(&ParameterLayout) -> Result<XpcsFitOptions, XpcsError>,
    observer: &dyn FitObserver,
) -> Result<ChosenFit<M>, XpcsError> {
    choose(model, scalings, data, options_for, &|m, d, o| {
        fit(m, d, o, observer)
    })
}

/// [`fit_choosing_scaling`] shared among the processes of `communicator`, each candidate
/// through [`fit_distributed`].
pub fn fit_choosing_scaling_distributed<M: FitModel>(
    model: &M,
    scalings: &[ScalingMode],
    data: &CorrelationData,
    options_for: &dyn Fn(&ParameterLayout) -> Result<XpcsFitOptions, XpcsError>,
    observer: &dyn FitObserver,
    communicator: &dyn Communicator,
) -> Result<ChosenFit<M>, XpcsError> {
    choose(model, scalings, data, options_for, &|m, d, o| {
        fit_distributed(m, d, o, observer, communicator)
    })
}

/// How many points `selection` takes from `data` (what [`CorrelationData::select_points`]
/// would return, without copying them).
fn selected_points(data: &CorrelationData, selection: PointSelection) -> usize {
    let n = data.n_t;
    let per_matrix = (0..n)
        .map(|i| (0..n).filter(|&j| selection.includes(i, j)).count())
        .sum::<usize>();
    per_matrix * data.phi.len()
}

type FitOne<'a, M> =
    dyn Fn(&M, &CorrelationData, &XpcsFitOptions) -> Result<XpcsFit, XpcsError> + 'a;

fn choose<M: FitModel>(
    model: &M,
    scalings: &[ScalingMode],
    data: &CorrelationData,
    options_for: &dyn Fn(&ParameterLayout) -> Result<XpcsFitOptions, XpcsError>,
    fit_one: &FitOne<'_, M>,
) -> Result<ChosenFit<M>, XpcsError> {
    if scalings.is_empty() {
        return Err(XpcsError::setting(
            "per_angle_mode",
            "no scaling layout to choose from",
        ));
    }
    let phi = model.phi().to_vec();
    let mut fitted: Vec<(M, XpcsFit)> = Vec::with_capacity(scalings.len());
    let mut candidates = Vec::with_capacity(scalings.len());
    for &scaling in scalings {
        let started = Instant::now();
        let candidate_model = model.with_scaling(scaling)?;
        let layout = *candidate_model.layout();
        let mut options = options_for(&layout)?;
        if let Some((previous_model, previous)) = fitted.last() {
            let p = &previous.result.parameters;
            let previous_layout = previous_model.layout();
            let (contrasts, offsets) = previous_layout.per_angle_scaling(p, &phi);
            let (contrasts, offsets) = layout.scaling_from_per_angle(&contrasts, &offsets, &phi);
            options.physical_start = Some(previous_layout.physical(p).to_vec());
            options.scaling_start = Some((contrasts, offsets));
            options.coarse_to_fine = CoarseToFine::Off;
        }
        let result = fit_one(&candidate_model, data, &options).map_err(|e| match e {
            XpcsError::Fit(e) if e.is_interrupted() => {
                XpcsError::Fit(e.with_context("scaling", scaling.name()))
            }
            other => other,
        })?;
        let n_points = selected_points(data, options.points);
        let r = &result.result;
        let n_varying = layout.n_params() - r.fixed().len();
        let (aic, bic) = information_criteria(r.chi_squared, n_points, n_varying);
        candidates.push(ScalingCandidate {
            scaling,
            n_varying,
            n_points,
            chi_squared: r.chi_squared,
            reduced_chi_squared: r.reduced_chi_squared,
            aic,
            bic,
            iterations: r.iterations,
            converged: r.converged(),
            seconds: started.elapsed().as_secs_f64(),
        });
        fitted.push((candidate_model, result));
    }
    let any_converged = candidates.iter().any(|c| c.converged);
    let chosen = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.converged || !any_converged)
        .min_by(|(_, a), (_, b)| a.bic.total_cmp(&b.bic))
        .map_or(0, |(k, _)| k);
    let (model, fit) = fitted.swap_remove(chosen);
    Ok(ChosenFit {
        model,
        fit,
        choice: ScalingChoice { candidates, chosen },
    })
}

//! The per-angle scaling a configuration asks for
//! (`optimization.nlsq.anti_degeneracy`), and what a fit does with it for a number of
//! angles.

use crate::parameters::{DEFAULT_FOURIER_ORDER, ScalingMode};
use crate::spelling::spellings;

/// `optimization.nlsq.anti_degeneracy.per_angle_mode`: how the package treats the
/// per-angle contrasts and offsets on its stratified, CMA-ES and hybrid-streaming paths
/// (its standard path always fits them per angle).
///
/// What a fit here does with each is [`PerAngleScaling::plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PerAngleMode {
    /// `auto` (the default): with fewer than `constant_scaling_threshold` angles, one
    /// contrast and offset per angle. From that many on the package fits one shared
    /// contrast and offset ("auto_averaged"); here the shared, Fourier and per-angle
    /// layouts are compared by evidence ([`ScalingPlan::ChooseByEvidence`]).
    Auto,
    /// `individual`: a contrast and an offset per angle.
    Individual,
    /// `constant`: in the package, per-angle values estimated once from quantiles of the
    /// data and then held fixed ("fixed_constant"), only the physical parameters fitted.
    Constant,
    /// `fourier`: per-angle values as a truncated Fourier series in the angle, of
    /// `fourier_order` harmonics ([`ScalingMode::Fourier`]); with fewer than
    /// `1 + 2 fourier_order` angles, one contrast and offset per angle instead (the
    /// package's fallback, with a warning: [`PerAngleScaling::plan_note`]).
    Fourier,
    /// `averaged` (xpcsjax): one contrast and one offset shared by every angle, fitted
    /// ([`ScalingMode::Constant`]).
    Averaged,
}

spellings!(PerAngleMode {
    Auto => "auto",
    Individual => "individual",
    Constant => "constant",
    Fourier => "fourier",
    Averaged => "averaged",
});

/// The package's default `fourier_auto_threshold`: `auto` considers a Fourier series
/// above this many angles.
pub const DEFAULT_FOURIER_AUTO_THRESHOLD: usize = 6;

/// The per-angle scaling settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerAngleScaling {
    /// `per_angle_mode`.
    pub mode: PerAngleMode,
    /// `constant_scaling_threshold` (default 3): below this many angles `auto` fits one
    /// contrast and offset per angle.
    pub constant_scaling_threshold: usize,
    /// `fourier_order` (default 2, at least 1): the harmonics of a Fourier series.
    pub fourier_order: usize,
    /// `fourier_auto_threshold` (default 6): `auto` considers a Fourier series only with
    /// more angles than this.
    pub fourier_auto_threshold: usize,
}

impl Default for PerAngleScaling {
    fn default() -> Self {
        Self {
            mode: PerAngleMode::Auto,
            constant_scaling_threshold: 3,
            fourier_order: DEFAULT_FOURIER_ORDER,
            fourier_auto_threshold: DEFAULT_FOURIER_AUTO_THRESHOLD,
        }
    }
}

/// What a fit does with the per-angle scaling, for a number of angles
/// ([`PerAngleScaling::plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScalingPlan {
    /// Fit with this layout.
    Fit(ScalingMode),
    /// `constant`: individual layout, contrasts and offsets estimated from the data (the
    /// package's rule, [`crate::initial::quantile_scaling`]) and held fixed.
    HeldAtEstimate,
    /// `auto`: fit each of these layouts in turn, each from the previous optimum, and
    /// keep the lowest BIC.
    ChooseByEvidence(Vec<ScalingMode>),
}

impl PerAngleScaling {
    /// The Fourier layout of `fourier_order`.
    pub fn fourier(&self) -> ScalingMode {
        ScalingMode::Fourier {
            order: self.fourier_order,
        }
    }

    /// Whether `n_phi` angles determine a Fourier series of `fourier_order`: at least
    /// `1 + 2 fourier_order` of them.
    pub fn fourier_fits(&self, n_phi: usize) -> bool {
        n_phi > 2 * self.fourier_order
    }

    /// The plan for `n_phi` angles:
    ///
    /// | `per_angle_mode` | plan |
    /// | --- | --- |
    /// | `individual` | `Fit(Individual)` |
    /// | `constant` | `HeldAtEstimate` (the package's "fixed_constant") |
    /// | `averaged` | `Fit(Constant)` (one shared pair, fitted) |
    /// | `fourier` | `Fit(Fourier { order })`; `Fit(Individual)` with fewer than `1 + 2 order` angles (see [`PerAngleScaling::plan_note`]) |
    /// | `auto`, `n_phi < constant_scaling_threshold` | `Fit(Individual)` |
    /// | `auto`, otherwise | `ChooseByEvidence([Constant, Fourier { order }, Individual])`, the Fourier series only with more than `fourier_auto_threshold` and at least `1 + 2 order` angles |
    pub fn plan(&self, n_phi: usize) -> ScalingPlan {
        match self.mode {
            PerAngleMode::Individual => ScalingPlan::Fit(ScalingMode::Individual),
            PerAngleMode::Constant => ScalingPlan::HeldAtEstimate,
            PerAngleMode::Averaged => ScalingPlan::Fit(ScalingMode::Constant),
            PerAngleMode::Fourier if self.fourier_fits(n_phi) => ScalingPlan::Fit(self.fourier()),
            PerAngleMode::Fourier => ScalingPlan::Fit(ScalingMode::Individual),
            PerAngleMode::Auto if n_phi < self.constant_scaling_threshold => {
                ScalingPlan::Fit(ScalingMode::Individual)
            }
            PerAngleMode::Auto => {
                let mut modes = vec![ScalingMode::Constant];
                if n_phi > self.fourier_auto_threshold && self.fourier_fits(n_phi) {
                    modes.push(self.fourier());
                }
                modes.push(ScalingMode::Individual);
                ScalingPlan::ChooseByEvidence(modes)
            }
        }
    }

    /// A warning for the console when [`PerAngleScaling::plan`] does not do what the
    /// configuration asks: `fourier` with too few angles for its series falls back to one
    /// contrast and offset per angle, as in the package. `None` otherwise.
    pub fn plan_note(&self, n_phi: usize) -> Option<String> {
        (self.mode == PerAngleMode::Fourier && !self.fourier_fits(n_phi)).then(|| {
            format!(
                "optimization.nlsq.anti_degeneracy.per_angle_mode 'fourier' with fourier_order \
                 {order} needs at least {needed} angles for its {needed} coefficients per \
                 contrast and offset, but the data have {n_phi}: fitting one contrast and \
                 offset per angle (individual) instead",
                order = self.fourier_order,
                needed = 1 + 2 * self.fourier_order,
            )
        })
    }
}

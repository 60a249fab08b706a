//! The power laws about a reference time inside the data: the parametrisation the solver
//! works in, while results keep the package's definitions.
//!
//! The rates are `D(t) = D0 t^alpha + D_offset` and
//! `gamma_dot(t) = gamma_dot_t0 t^beta + gamma_dot_t_offset`, with `t` in seconds: the
//! amplitude is the rate at `t = 1 s`. When `t = 1 s` lies at an edge of the data (frames of
//! 1 s from the start, or frames of 1 ms), changing the exponent changes the rate over the
//! whole data far more than it changes it at `t = 1 s`, so the amplitude and the exponent
//! are strongly correlated: a trust-region solver then takes hundreds of short steps along
//! the curved valley between them (measured: 577 iterations for a laminar-flow fit of
//! 4 angles x 100 frames of 1 s, `examples/crawl.rs`).
//!
//! About a reference time `t_ref` inside the data the same power law reads
//!
//! ```text
//! D0 t^alpha = A (t / t_ref)^alpha,     A = D0 t_ref^alpha,
//! ```
//!
//! and `A`, the rate at `t_ref`, barely changes with `alpha` there. [`ReferencedModel`]
//! lets the solver fit `A` in place of `D0` (the shear rate keeps its form: referring it
//! too was measured worse, see [`ReferencedModel::new`]); the chain rule gives its Jacobian from the model's exact one:
//!
//! ```text
//! D0 = A t_ref^-alpha,
//! dc2/dA     = dc2/dD0 t_ref^-alpha,
//! dc2/dalpha = dc2/dalpha|_D0 - dc2/dD0 D0 ln t_ref.
//! ```
//!
//! `t_ref` is the log-average of the frame times, `exp(mean_k ln t~_k)` (the times as the
//! rates evaluate them, [`crate::rates`]): the centre of the data on the logarithmic scale
//! on which a power law is straight.

use homodyne_core::{JacobianKind, Model};

use crate::model::HomodyneModel;

/// A power law `amplitude * t^exponent` of the parameter vector: the positions of its
/// amplitude and exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerLaw {
    /// Index of the amplitude (`D0`, `gamma_dot_t0`).
    pub amplitude: usize,
    /// Index of the exponent (`alpha`, `beta`).
    pub exponent: usize,
}

/// A [`HomodyneModel`] whose diffusion amplitude is the rate at a reference time
/// (module docs; the shear rate keeps the package's form, see [`ReferencedModel::new`]). Parameters are in the model's layout, with each amplitude of
/// [`ReferencedModel::power_laws`] replaced by its value at `t_ref`.
#[derive(Debug, Clone)]
pub struct ReferencedModel<'a> {
    model: &'a HomodyneModel,
    ln_t_ref: f64,
    power_laws: Vec<PowerLaw>,
}

/// The log-average of the frame times as the rates evaluate them: `exp(mean ln t~_k)` with
/// `t~_k = max(t_k, max(dt / 2, 1e-8))`.
pub fn reference_time(model: &HomodyneModel) -> f64 {
    let grid = model.grid();
    let floor = (grid.dt() / 2.0).max(1e-8);
    let times = grid.times();
    let mean_ln = times.iter().map(|&t| t.max(floor).ln()).sum::<f64>() / times.len() as f64;
    mean_ln.exp()
}

impl<'a> ReferencedModel<'a> {
    /// The model about its [`reference_time`], for the power laws of its mode that `held`
    /// (the value each parameter is held at, or `None`; empty: none held) leaves free in
    /// both amplitude and exponent: a held amplitude or exponent keeps its power law in the
    /// package's form, since holding `D0` is not holding `A`.
    pub fn new(model: &'a HomodyneModel, held: &[Option<f64>]) -> Self {
        let layout = model.layout();
        let first = layout.physical_start();
        // The diffusion rate only. Referring the shear rate's amplitude as well was
        // measured worse (examples/crawl.rs, 4 angles x 500 frames of 1 s, a shared
        // contrast for per-angle data, no coarse stages): the wider box of its referred
        // amplitude let the fit wander to gamma_dot_t0 = 0.1 against an offset on its
        // bound, 234 iterations to a cost 2% above the optimum, against 45 iterations to
        // the optimum referring the diffusion rate alone (71 referring neither).
        let candidates = [PowerLaw {
            amplitude: first,
            exponent: first + 1,
        }];
        let is_held = |k: usize| matches!(held.get(k), Some(Some(_)));
        let power_laws = candidates
            .into_iter()
            .filter(|law| !is_held(law.amplitude) && !is_held(law.exponent))
            .collect();
        Self {
            model,
            ln_t_ref: reference_time(model).ln(),
            power_laws,
        }
    }

    /// The power laws referred to `t_ref`.
    pub fn power_laws(&self) -> &[PowerLaw] {
        &self.power_laws
    }

    /// The reference time, seconds.
    pub fn t_ref(&self) -> f64 {
        self.ln_t_ref.exp()
    }

    /// The solver's parameters from the package's: `A = D0 t_ref^alpha`.
    pub fn to_referenced(&self, package: &[f64]) -> Vec<f64> {
        let mut q = package.to_vec();
        for law in &self.power_laws {
            q[law.amplitude] =
                package[law.amplitude] * (package[law.exponent] * self.ln_t_ref).exp();
        }
        q
    }

    /// The package's parameters from the solver's: `D0 = A t_ref^-alpha`.
    pub fn to_package(&self, referenced: &[f64]) -> Vec<f64> {
        let mut p = referenced.to_vec();
        for law in &self.power_laws {
            p[law.amplitude] =
                referenced[law.amplitude] * (-referenced[law.exponent] * self.ln_t_ref).exp();
        }
        p
    }

    /// Bounds of the solver's parameters that contain every point of the package's
    /// `(lower, upper)`: an amplitude in `[lo t_ref^e, hi t_ref^e]` over the exponent's
    /// range `e`. The box is wider than the package's (a relaxation): a fit clips its
    /// optimum into the package's bounds before finishing there.
    pub fn bounds(&self, lower: &[f64], upper: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (mut lo, mut hi) = (lower.to_vec(), upper.to_vec());
        for law in &self.power_laws {
            let factors =
                [lower[law.exponent], upper[law.exponent]].map(|e| (e * self.ln_t_ref).exp());
            let (f_min, f_max) = (factors[0].min(factors[1]), factors[0].max(factors[1]));
            let (a_lo, a_hi) = (lower[law.amplitude], upper[law.amplitude]);
            lo[law.amplitude] = (a_lo * f_min).min(a_lo * f_max);
            hi[law.amplitude] = (a_hi * f_min).max(a_hi * f_max);
        }
        (lo, hi)
    }

    /// Applies the chain rule to `rows` of the package's Jacobian (row-major, one column
    /// per entry of `columns`, the parameter each column belongs to) at the package's
    /// parameters `package`.
    fn refer_jacobian(&self, package: &[f64], columns: Option<&[usize]>, rows: &mut [f64]) {
        let width = columns.map_or(package.len(), <[usize]>::len);
        if width == 0 {
            return;
        }
        let position = |k: usize| match columns {
            None => Some(k),
            Some(active) => active.iter().position(|&c| c == k),
        };
        for law in &self.power_laws {
            let (Some(a), Some(e)) = (position(law.amplitude), position(law.exponent)) else {
                continue;
            };
            let scale = (-package[law.exponent] * self.ln_t_ref).exp();
            let shear = -package[law.amplitude] * self.ln_t_ref;
            for row in rows.chunks_exact_mut(width) {
                let d_amplitude = row[a];
                row[a] = d_amplitude * scale;
                row[e] += d_amplitude * shear;
            }
        }
    }
}

impl Model for ReferencedModel<'_> {
    fn n_params(&self) -> usize {
        self.model.n_params()
    }

    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        self.model.eval(x, &self.to_package(p), values);
    }

    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let package = self.to_package(p);
        self.model.eval_with_jacobian(x, &package, values, jacobian);
        self.refer_jacobian(&package, None, jacobian);
    }

    fn jacobian_kind(&self) -> JacobianKind {
        self.model.jacobian_kind()
    }

    fn active_parameters(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
        self.model.active_parameters(x, active)
    }

    fn eval_with_active_jacobian(
        &self,
        x: &[f64],
        p: &[f64],
        active: &[usize],
        values: &mut [f64],
        jacobian: &mut [f64],
    ) {
        let package = self.to_package(p);
        self.model
            .eval_with_active_jacobian(x, &package, active, values, jacobian);
        self.refer_jacobian(&package, Some(active), jacobian);
    }

    fn param_names(&self) -> Vec<String> {
        let mut names = self.model.param_names();
        for law in &self.power_laws {
            names[law.amplitude] = format!("{}(t_ref)", names[law.amplitude]);
        }
        names
    }
}

//! Parameters held at a value: lmfit's `vary=False`.
//!
//! A held parameter is left out of the solve. The solvers see the reduced model
//! [`HeldModel`], whose parameters are the free ones; it evaluates the user's model with
//! the held values put back in place and hands on the free columns of its Jacobian. The
//! fit is therefore exactly the fit of the model with the held values substituted, and
//! every strategy (in memory, STREAMING, distributed) runs it unchanged. The result is
//! mapped back to the full parameter vector by [`Held::expand`]: each held parameter keeps
//! its value, the flag [`ParameterFlag::Fixed`], an uncertainty of 0 and zeros in its
//! covariance row and column (a constant does not vary).
//!
//! A parameter is held when [`Fit::fix`] gives it a value, or when its lower and upper
//! bounds are equal (then at that value).

use homodyne_core::{
    Bounds, InvalidInput, JacobianKind, Model, OptimizationError, OptimizationResult, ParameterFlag,
};
use homodyne_solvers::{SolverOptions, XScale};
use ndarray::Array2;

use crate::fit::{Fit, ModelRef};

/// Which parameters are held, and at what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Held {
    /// One entry per parameter: the held value, or `None` for a free parameter.
    values: Vec<Option<f64>>,
    /// Indices of the free parameters, increasing.
    free: Vec<usize>,
}

impl Held {
    /// The held parameters of a fit of `n_params` parameters from `fixed` and equal
    /// `bounds`; `None` when every parameter is free. A held value must be finite and
    /// within the parameter's bounds, `fixed` must have no more entries than parameters
    /// (missing ones are free), and at least one parameter must stay free.
    pub(crate) fn of(
        n_params: usize,
        bounds: Option<&Bounds>,
        fixed: &[Option<f64>],
    ) -> Result<Option<Held>, OptimizationError> {
        if fixed.len() > n_params {
            return Err(InvalidInput::WrongParameterCount {
                what: "fixed",
                expected: n_params,
                got: fixed.len(),
            }
            .into());
        }
        let values: Vec<Option<f64>> = (0..n_params)
            .map(|k| {
                let by_bounds = || bounds.filter(|b| b.len() == n_params)?.fixed_value(k);
                fixed.get(k).copied().flatten().or_else(by_bounds)
            })
            .collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        for (index, value) in values.iter().enumerate() {
            let Some(value) = *value else { continue };
            if !value.is_finite() {
                return Err(InvalidInput::NonFinite {
                    array: "fixed",
                    index,
                    value,
                }
                .into());
            }
            if let Some(b) = bounds.filter(|b| b.len() == n_params) {
                b.check_within(index, value)?;
            }
        }
        let free: Vec<usize> = (0..n_params).filter(|&k| values[k].is_none()).collect();
        if free.is_empty() {
            return Err(InvalidInput::NothingToFit.into());
        }
        Ok(Some(Held { values, free }))
    }

    /// The fit of a problem with held parameters: `check` runs on the whole problem with
    /// the held values in place (so that its errors name parameters by their own
    /// indices), then `run` on the reduced one (the free parameters' model, start, bounds
    /// and options), whose result comes back on the whole parameter vector. `None` when
    /// every parameter is free: the caller fits as it is.
    pub(crate) fn fit_reduced(
        fit: &Fit<'_>,
        check: impl FnOnce(&Fit<'_>) -> Result<(), OptimizationError>,
        run: impl FnOnce(&Fit<'_>) -> Result<OptimizationResult, OptimizationError>,
    ) -> Result<Option<OptimizationResult>, OptimizationError> {
        let Some(held) = Held::of(fit.p0.len(), fit.bounds.as_ref(), &fit.fixed)? else {
            return Ok(None);
        };
        let whole = Fit {
            p0: held.substitute(&fit.p0),
            ..fit.clone()
        };
        check(&whole)?;
        let model = held.model(fit.model());
        let reduced = Fit {
            model: ModelRef::Borrowed(&model),
            p0: held.reduce(&whole.p0),
            bounds: held.reduce_bounds(fit.bounds.as_ref()),
            fixed: Vec::new(),
            options: held.reduce_options(&fit.options),
            ..fit.clone()
        };
        let result = run(&reduced)?;
        Ok(Some(held.expand(result)))
    }

    /// `p0` with the held values in place (for the checks on the whole problem).
    fn substitute(&self, p0: &[f64]) -> Vec<f64> {
        (p0.iter().zip(&self.values))
            .map(|(&p, held)| held.unwrap_or(p))
            .collect()
    }

    /// The free entries of a parameter vector.
    fn reduce(&self, p: &[f64]) -> Vec<f64> {
        self.free.iter().map(|&k| p[k]).collect()
    }

    /// A free-parameter vector with the held values put back.
    fn full(&self, free: &[f64]) -> Vec<f64> {
        let mut p: Vec<f64> = self.values.iter().map(|v| v.unwrap_or(0.0)).collect();
        for (&k, &v) in self.free.iter().zip(free) {
            p[k] = v;
        }
        p
    }

    /// The bounds of the free parameters.
    fn reduce_bounds(&self, bounds: Option<&Bounds>) -> Option<Bounds> {
        let b = bounds?;
        let reduced = Bounds::new(self.reduce(b.lower()), self.reduce(b.upper()));
        Some(reduced.expect("a subset of valid bounds is valid"))
    }

    /// The options of the reduced fit: a parameter-scale vector reduced.
    fn reduce_options(&self, options: &SolverOptions) -> SolverOptions {
        let x_scale = match &options.x_scale {
            XScale::Vector(s) if s.len() == self.values.len() => XScale::Vector(self.reduce(s)),
            other => other.clone(),
        };
        SolverOptions {
            x_scale,
            ..options.clone()
        }
    }

    /// The reduced model: `model` with the held parameters taken out.
    fn model<'a, M: Model + ?Sized>(&'a self, model: &'a M) -> HeldModel<'a, M> {
        HeldModel { held: self, model }
    }

    /// The result of the reduced fit on the whole parameter vector (see the module
    /// documentation).
    fn expand(&self, mut result: OptimizationResult) -> OptimizationResult {
        let n = self.values.len();
        let reduced = &result.covariance.matrix;
        let mut matrix = Array2::zeros((n, n));
        for (a, &i) in self.free.iter().enumerate() {
            for (b, &j) in self.free.iter().enumerate() {
                matrix[(i, j)] = reduced[(a, b)];
            }
        }
        result.covariance.matrix = matrix;
        let spread = |values: &[f64], held: f64| {
            let mut out = vec![held; n];
            for (&k, &v) in self.free.iter().zip(values) {
                out[k] = v;
            }
            out
        };
        result.parameters = self.full(&result.parameters);
        result.uncertainties = spread(&result.uncertainties, 0.0);
        let mut flags = vec![ParameterFlag::Fixed; n];
        for (&k, &f) in self.free.iter().zip(&result.parameter_flags) {
            flags[k] = f;
        }
        result.parameter_flags = flags;
        // The coarse stages ran on the reduced problem too.
        for stage in &mut result.stages {
            stage.start = self.full(&stage.start);
            stage.result =
                std::mem::replace(&mut stage.result, Err(String::new())).map(|r| self.expand(r));
        }
        result
    }
}

/// A model with some parameters held (see the module documentation): its parameters are
/// the free ones, in their order.
pub(crate) struct HeldModel<'a, M: Model + ?Sized> {
    held: &'a Held,
    model: &'a M,
}

impl<M: Model + ?Sized> HeldModel<'_, M> {
    /// The free columns of a row-major Jacobian with `columns.len()` columns, whose
    /// column `c` belongs to parameter `columns[c]`, written row after row to `out`.
    fn gather(&self, wide: &[f64], columns: &[usize], out: &mut [f64]) {
        let keep: Vec<usize> = (self.position_map(columns).into_iter().enumerate())
            .filter_map(|(c, position)| position.map(|_| c))
            .collect();
        if keep.is_empty() || columns.is_empty() {
            return;
        }
        for (row, out_row) in wide
            .chunks_exact(columns.len())
            .zip(out.chunks_exact_mut(keep.len()))
        {
            for (o, &c) in out_row.iter_mut().zip(&keep) {
                *o = row[c];
            }
        }
    }

    /// For each full-model parameter in `columns`, its position among the free ones.
    fn position_map(&self, columns: &[usize]) -> Vec<Option<usize>> {
        (columns.iter())
            .map(|k| self.held.free.binary_search(k).ok())
            .collect()
    }
}

impl<M: Model + ?Sized> Model for HeldModel<'_, M> {
    fn n_params(&self) -> usize {
        self.held.free.len()
    }
    fn x_dim(&self) -> usize {
        self.model.x_dim()
    }
    fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
        self.model.eval(x, &self.held.full(p), values)
    }
    fn eval_with_jacobian(&self, x: &[f64], p: &[f64], values: &mut [f64], jacobian: &mut [f64]) {
        let n = self.held.values.len();
        let mut wide = vec![0.0; values.len() * n];
        self.model
            .eval_with_jacobian(x, &self.held.full(p), values, &mut wide);
        let free = &self.held.free;
        for (row, out) in wide
            .chunks_exact(n)
            .zip(jacobian.chunks_exact_mut(free.len()))
        {
            for (o, &k) in out.iter_mut().zip(free) {
                *o = row[k];
            }
        }
    }
    fn jacobian_kind(&self) -> JacobianKind {
        self.model.jacobian_kind()
    }
    fn active_parameters(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
        let mut inner = Vec::new();
        if !self.model.active_parameters(x, &mut inner) {
            return false;
        }
        active.clear();
        active.extend(self.position_map(&inner).into_iter().flatten());
        true
    }
    fn eval_with_active_jacobian(
        &self,
        x: &[f64],
        p: &[f64],
        active: &[usize],
        values: &mut [f64],
        jacobian: &mut [f64],
    ) {
        // The user's model expects its own active list for these points; evaluate on it
        // and keep the free columns (`active`, as `active_parameters` above gave it).
        let mut inner = Vec::new();
        if !self.model.active_parameters(x, &mut inner) {
            inner = (0..self.held.values.len()).collect();
        }
        let mut wide = vec![0.0; values.len() * inner.len()];
        self.model
            .eval_with_active_jacobian(x, &self.held.full(p), &inner, values, &mut wide);
        debug_assert_eq!(
            active.len(),
            self.position_map(&inner).iter().flatten().count()
        );
        self.gather(&wide, &inner, jacobian);
    }
    fn param_names(&self) -> Vec<String> {
        let names = self.model.param_names();
        self.held.free.iter().map(|&k| names[k].clone()).collect()
    }
}

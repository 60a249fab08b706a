//! What the two-time models ([`crate::HomodyneModel`] and
//! [`crate::heterodyne::HeterodyneModel`]) share around their formulas: the checks of
//! their angles, `q` and size, the per-parameter-vector table cache, each angle's
//! contrast and offset from the scaling map, and ([`frame_pair_model!`]) the frame-pair
//! point grid and the [`homodyne_core::Model`] implementation over it.
//!
//! A point is the flat index `x = k n_t^2 + i n_t + j` of element `(i, j)` of angle `k`'s
//! `n_t x n_t` matrix; `f64` indexes it exactly below `2^53` points.

use std::sync::{Arc, PoisonError, RwLock};

use crate::error::XpcsError;

/// Checks the angles `phi` (degrees), the wavevector `q` and the size `n_phi n_t^2` of a
/// two-time model.
///
/// # Errors
///
/// [`XpcsError::InvalidSetting`] for no angles, a non-finite angle, a `q` that is not
/// positive and finite, and more points than `f64` indexes exactly.
pub(crate) fn check_angles_and_size(phi: &[f64], q: f64, n_t: usize) -> Result<(), XpcsError> {
    if phi.is_empty() {
        return Err(XpcsError::setting(
            "phi angles",
            "at least one angle is needed",
        ));
    }
    if let Some(bad) = phi.iter().find(|v| !v.is_finite()) {
        return Err(XpcsError::setting(
            "phi angles",
            format!("every angle must be finite, got {bad}"),
        ));
    }
    if !(q.is_finite() && q > 0.0) {
        return Err(XpcsError::setting(
            "wavevector_q",
            format!("q must be positive and finite, got {q}"),
        ));
    }
    let points = (phi.len() as u128) * (n_t as u128) * (n_t as u128);
    if points >= 1 << 53 {
        return Err(XpcsError::setting(
            "data size",
            format!("{points} points cannot be indexed exactly by f64"),
        ));
    }
    Ok(())
}

/// The Jacobian rows an evaluation fills besides the values: none, full rows (`None`
/// columns) or rows of the columns `active` alone (`Some(active)`).
pub(crate) type JacobianRows<'a> = Option<(&'a mut [f64], Option<&'a [usize]>)>;

/// Fills `values` and `jacobian` with NaN when `p` is not of the layout's length
/// `n_params`, and says so: a model evaluates nothing at such a vector.
pub(crate) fn nan_for_wrong_length(
    p: &[f64],
    n_params: usize,
    values: &mut [f64],
    jacobian: Option<&mut [f64]>,
) -> bool {
    if p.len() == n_params {
        return false;
    }
    values.fill(f64::NAN);
    if let Some(jacobian) = jacobian {
        jacobian.fill(f64::NAN);
    }
    true
}

/// Every angle's contrast and offset at `p`: `B_k a` and `B_k b` over the nonzero terms
/// `(group j, B_kj)` of each angle's row of the scaling map ([`crate::scaling::terms`]),
/// with the contrast parameters `p[..groups]` and the offset parameters
/// `p[groups..2 groups]`; an individual or shared value is taken as it is.
pub(crate) fn per_angle_scaling(
    terms: &[Vec<(usize, f64)>],
    groups: usize,
    p: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    terms
        .iter()
        .map(|terms| {
            terms.iter().fold((0.0, 0.0), |(c, o), &(j, w)| {
                (c + w * p[j], o + w * p[groups + j])
            })
        })
        .unzip()
}

/// The tables a model computes once per physical parameter vector, kept for the last
/// vector asked for (keyed by its bits) and shared by the threads of a pass. A clone
/// starts empty.
#[derive(Debug)]
pub(crate) struct TableCache<T>(RwLock<Option<(Vec<u64>, Arc<T>)>>);

impl<T> Default for TableCache<T> {
    fn default() -> Self {
        Self(RwLock::new(None))
    }
}

impl<T> Clone for TableCache<T> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl<T> TableCache<T> {
    /// The tables for the physical parameters `physical`: the cached ones when their bits
    /// match, else `build()`'s, which replace them. Built under the write lock: the other
    /// threads of a pass wait for these tables instead of building their own.
    pub(crate) fn get(&self, physical: &[f64], build: impl FnOnce() -> T) -> Arc<T> {
        let key: Vec<u64> = physical.iter().map(|v| v.to_bits()).collect();
        let cached = |slot: &Option<(Vec<u64>, Arc<T>)>| {
            slot.as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, tables)| Arc::clone(tables))
        };
        if let Some(tables) = cached(&self.0.read().unwrap_or_else(PoisonError::into_inner)) {
            return tables;
        }
        let mut slot = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(tables) = cached(&slot) {
            return tables;
        }
        let tables = Arc::new(build());
        *slot = Some((key, Arc::clone(&tables)));
        tables
    }
}

/// The frame-pair point grid of a two-time model (`grid()`, `phi()`, `q()`, `n_points()`,
/// `point()`, `decode()`) and its [`homodyne_core::Model`] implementation, for a struct
/// with the fields `grid: TimeGrid`, `phi: Vec<f64>`, `q: f64` and `layout` (with
/// `n_params()` and `names()`), and the methods `evaluate(x, p, values, jacobian)` (rows
/// full or of the `active` columns) and `active_scaling_columns(x, active)`
/// ([`homodyne_core::Model::active_parameters`]). The Jacobian is exact.
macro_rules! frame_pair_model {
    ($model:ty) => {
        impl $model {
            /// The frame grid.
            pub fn grid(&self) -> &$crate::rates::TimeGrid {
                &self.grid
            }

            /// The angles (degrees).
            pub fn phi(&self) -> &[f64] {
                &self.phi
            }

            /// The wavevector `q` (1/Angstrom).
            pub fn q(&self) -> f64 {
                self.q
            }

            /// Number of points: `n_phi n_t^2`.
            pub fn n_points(&self) -> usize {
                self.phi.len() * self.grid.len() * self.grid.len()
            }

            /// The flat index of element `(i, j)` of angle `angle`'s matrix.
            pub fn point(&self, angle: usize, i: usize, j: usize) -> usize {
                let n = self.grid.len();
                (angle * n + i) * n + j
            }

            /// `(angle, i, j)` of a flat index, or `None` when `x` is not one.
            pub fn decode(&self, x: f64) -> Option<(usize, usize, usize)> {
                let n = self.grid.len();
                if !(x >= 0.0 && x < self.n_points() as f64 && x.fract() == 0.0) {
                    return None;
                }
                let index = x as usize;
                Some((index / (n * n), (index / n) % n, index % n))
            }
        }

        impl ::homodyne_core::Model for $model {
            fn n_params(&self) -> usize {
                self.layout.n_params()
            }

            fn eval(&self, x: &[f64], p: &[f64], values: &mut [f64]) {
                self.evaluate(x, p, values, None);
            }

            fn eval_with_jacobian(
                &self,
                x: &[f64],
                p: &[f64],
                values: &mut [f64],
                jacobian: &mut [f64],
            ) {
                self.evaluate(x, p, values, Some((jacobian, None)));
            }

            fn active_parameters(&self, x: &[f64], active: &mut Vec<usize>) -> bool {
                self.active_scaling_columns(x, active)
            }

            fn eval_with_active_jacobian(
                &self,
                x: &[f64],
                p: &[f64],
                active: &[usize],
                values: &mut [f64],
                jacobian: &mut [f64],
            ) {
                self.evaluate(x, p, values, Some((jacobian, Some(active))));
            }

            fn jacobian_kind(&self) -> ::homodyne_core::JacobianKind {
                ::homodyne_core::JacobianKind::Exact
            }

            fn param_names(&self) -> Vec<String> {
                self.layout.names()
            }
        }
    };
}

pub(crate) use frame_pair_model;

/// Checks that `model`'s narrow Jacobian rows at the points `x` (of
/// [`homodyne_core::Model::active_parameters`]' columns) are its full rows' active
/// columns, with the same values, and that the full rows are 0 outside them.
#[cfg(test)]
pub(crate) fn assert_narrow_rows_are_full_rows(
    model: &dyn homodyne_core::Model,
    x: &[f64],
    p: &[f64],
) {
    let n = model.n_params();
    let mut active = Vec::new();
    assert!(model.active_parameters(x, &mut active));
    let mut values = vec![0.0; x.len()];
    let mut full = vec![0.0; x.len() * n];
    model.eval_with_jacobian(x, p, &mut values, &mut full);
    let mut narrow_values = vec![0.0; x.len()];
    let mut narrow = vec![0.0; x.len() * active.len()];
    model.eval_with_active_jacobian(x, p, &active, &mut narrow_values, &mut narrow);
    assert_eq!(values, narrow_values);
    for r in 0..x.len() {
        for c in 0..n {
            let expected = full[r * n + c];
            match active.iter().position(|&a| a == c) {
                Some(k) => assert_eq!(narrow[r * active.len() + k], expected),
                None => assert_eq!(expected, 0.0, "column {c} is active at point {}", x[r]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_builds_once_per_parameter_vector_and_a_clone_starts_empty() {
        let cache = TableCache::default();
        let mut builds = 0;
        let a = cache.get(&[1.0, 2.0], || {
            builds += 1;
            builds
        });
        let b = cache.get(&[1.0, 2.0], || unreachable!("cached"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*cache.get(&[1.0, -0.0], || 7), 7);
        assert_eq!(*cache.clone().get(&[1.0, -0.0], || 8), 8);
    }

    #[test]
    fn bad_angles_q_or_sizes_are_refused() {
        assert!(check_angles_and_size(&[0.0, 90.0], 0.01, 10).is_ok());
        assert!(check_angles_and_size(&[], 0.01, 10).is_err());
        assert!(check_angles_and_size(&[f64::INFINITY], 0.01, 10).is_err());
        assert!(check_angles_and_size(&[0.0], -1.0, 10).is_err());
        let err = check_angles_and_size(&[0.0], 0.01, 1 << 27).unwrap_err();
        assert!(err.to_string().contains("indexed exactly"), "{err}");
    }
}

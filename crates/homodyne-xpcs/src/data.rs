//! [`CorrelationData`]: the measured `c2` matrices of one wavevector, and synthetic data
//! with known truth.

use homodyne_core::random::GaussianNoise;

use crate::correlation_model::CorrelationModel;
use crate::error::XpcsError;

/// Which elements of the matrices a fit uses.
///
/// Measured two-time matrices are symmetric by construction (the file holds one half;
/// the loader mirrors it), so the two halves are the same measurements, and their
/// diagonal is not a measurement at all (the loader replaces it by the mean of its
/// neighbours, the Python package's correction, which the model does not describe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PointSelection {
    /// `t1 < t2`: each measured value once (the default). Fitting both halves would count
    /// every value twice and report standard errors `sqrt(2)` too small.
    #[default]
    UpperTriangle,
    /// `t1 != t2`: both halves (the Python package's large-data path).
    OffDiagonal,
    /// Every element, the diagonal included (data whose diagonal is genuine).
    All,
}

impl PointSelection {
    /// Whether element `(i, j)` is used.
    pub fn includes(self, i: usize, j: usize) -> bool {
        match self {
            Self::UpperTriangle => i < j,
            Self::OffDiagonal => i != j,
            Self::All => true,
        }
    }

    /// A short description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::UpperTriangle => "t1 < t2 (each measured value once)",
            Self::OffDiagonal => "t1 != t2 (both halves)",
            Self::All => "every element",
        }
    }
}

/// Two-time correlation matrices `c2(phi_k, t_i, t_j)` at one wavevector.
///
/// `c2` holds the `n_phi` full `n_t x n_t` matrices one after another, each row-major, so
/// that element `(k, i, j)` sits at the flat index `(k n_t + i) n_t + j`: the same index
/// [`HomodyneModel::point`](crate::HomodyneModel::point) gives, so `c2` is the `y` of a
/// fit whose `x` is [`CorrelationData::points`].
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationData {
    /// Wavevector `q` (1/Angstrom).
    pub q: f64,
    /// Frame time `dt` (seconds).
    pub dt: f64,
    /// Azimuthal angles (degrees).
    pub phi: Vec<f64>,
    /// Frames per matrix side.
    pub n_t: usize,
    /// The matrices, angle after angle, row-major.
    pub c2: Vec<f64>,
}

impl CorrelationData {
    /// Checks the sizes and that every value is finite.
    pub fn new(
        q: f64,
        dt: f64,
        phi: Vec<f64>,
        n_t: usize,
        c2: Vec<f64>,
    ) -> Result<Self, XpcsError> {
        if phi.is_empty() {
            return Err(XpcsError::setting("phi angles", "the data hold no angle"));
        }
        let expected = phi.len() * n_t * n_t;
        if c2.len() != expected {
            return Err(XpcsError::setting(
                "c2",
                format!(
                    "{} angles of {n_t} x {n_t} frames need {expected} values, got {}",
                    phi.len(),
                    c2.len()
                ),
            ));
        }
        if let Some(position) = c2.iter().position(|v| !v.is_finite()) {
            let (k, rest) = (position / (n_t * n_t), position % (n_t * n_t));
            return Err(XpcsError::setting(
                "c2",
                format!(
                    "value {} at angle {k} ({} deg), t1 index {}, t2 index {} is not finite",
                    c2[position],
                    phi[k],
                    rest / n_t,
                    rest % n_t
                ),
            ));
        }
        Ok(Self {
            q,
            dt,
            phi,
            n_t,
            c2,
        })
    }

    /// Number of points `n_phi n_t^2`.
    pub fn n_points(&self) -> usize {
        self.c2.len()
    }

    /// The matrix of angle `angle`, row-major.
    pub fn matrix(&self, angle: usize) -> &[f64] {
        let size = self.n_t * self.n_t;
        &self.c2[angle * size..(angle + 1) * size]
    }

    /// The flat point indices `0 .. n_points` as `f64`: the `x` of a fit.
    pub fn points(&self) -> Vec<f64> {
        (0..self.n_points()).map(|i| i as f64).collect()
    }

    /// The points of `selection` and their values: the `x` and `y` of a fit.
    pub fn select_points(&self, selection: PointSelection) -> (Vec<f64>, Vec<f64>) {
        let n = self.n_t;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (index, &value) in self.c2.iter().enumerate() {
            let within = index % (n * n);
            if selection.includes(within / n, within % n) {
                x.push(index as f64);
                y.push(value);
            }
        }
        (x, y)
    }

    /// `model` at `parameters` on every point, plus Gaussian noise of standard deviation
    /// `noise` from the deterministic stream `seed`. The noise is symmetric, as measured
    /// matrices are (the file holds one half, mirrored by the loader): one draw for each
    /// `(i, j)` with `i <= j`, copied to `(j, i)`.
    pub fn synthetic(
        model: &impl CorrelationModel,
        parameters: &[f64],
        noise: f64,
        seed: u64,
    ) -> Result<Self, XpcsError> {
        model.layout().check(parameters)?;
        // The same bits as `eval` on every point, without a point index array.
        let mut c2 = model.values(parameters);
        let mut rng = GaussianNoise::new(seed);
        let n = model.grid().len();
        for matrix in c2.chunks_exact_mut(n * n) {
            for i in 0..n {
                for j in i..n {
                    let draw = noise * rng.next_normal();
                    matrix[i * n + j] += draw;
                    if j != i {
                        matrix[j * n + i] += draw;
                    }
                }
            }
        }
        Self::new(
            model.q(),
            model.grid().dt(),
            model.phi().to_vec(),
            model.grid().len(),
            c2,
        )
    }
}

//! Multistart: cheap fits from many starts, then the fit from the best of them.
//!
//! A fit with several minima (a frequency, a phase, a sum of exponentials) ends in the
//! basin its start lies in. A [`Multistart`] given to [`Fit::multistart`](crate::Fit::multistart)
//! fits from `1 + n` candidate starts: the given start `p0` (always candidate 0) and `n`
//! points of a Latin hypercube within the bounds ([`latin::latin_hypercube`], seeded by
//! [`Multistart::seed`]). Each candidate runs the fit with the user's settings but at most
//! [`Multistart::budget`] cost evaluations and no recovery retries; the candidates run
//! side by side, on as many threads as the fit's solvers use (the current rayon pool's
//! size). The candidate with the lowest final cost (ties: the lowest index) is
//! then **finished**: the fit runs again from its optimum with the user's settings and
//! budget, and that fit is the result. Its iterations, evaluations and covariance are its
//! own; the candidates are reported in a [`MultistartReport`] ([`MultistartFit::report`],
//! as JSON by [`MultistartReport::to_json`]) and summarised in the result's `notes`.
//!
//! # The Latin hypercube
//! Each free parameter `k` with bounds `[l_k, u_k]` is cut into `n` strata of equal width;
//! each stratum holds exactly one of the `n` points, the strata assigned to the points by
//! a random permutation per parameter, the point placed uniformly within its stratum:
//! `p_{i,k} = l_k + (pi_k(i) + u_{i,k}) / n * (u_k - l_k)`. The permutations (Fisher-Yates)
//! and the offsets `u` come from [`SplitMix64`](homodyne_core::random::SplitMix64) seeded
//! by [`Multistart::seed`], in a fixed order: the same seed gives the same starts on every
//! platform and thread count. Held parameters ([`Fit::fix`](crate::Fit::fix), equal
//! bounds) keep their value in every start and take no stratum.
//!
//! A parameter named in [`Multistart::log_spaced`] is drawn the same way in `ln p_k`
//! between `ln l_k` and `ln u_k` (then `p_k = exp(.)`, clamped into the bounds), so its
//! strata have equal widths in its logarithm; its bounds must be positive.
//!
//! Every free parameter needs finite bounds: a parameter with an infinite bound is refused
//! with [`InvalidInput::InvalidOption`](homodyne_core::InvalidInput::InvalidOption)
//! (`option` `"bounds"`, the parameter named in its value and in the error's context),
//! before any fit runs: a range around the start would be a guess of the problem's scale.
//!
//! # Determinism
//! Each candidate's fit is deterministic and the same bits on any number of threads (the
//! solvers' sums follow a fixed reduction tree); the candidates' results are collected by
//! index and the best chosen by `(final cost, index)`, so the multistart's result is the
//! same bits on 1 and on 2 threads.
//!
//! # The best basin
//! Let `p*`, `C*` be the finished fit's parameters and cost, and `C_0` the cost at the
//! given start (the first cost its candidate's fit reported, after its coarse stages if
//! any ran; `C*` when unknown). A
//! candidate whose fit ended at `p_i` with cost `C_i` **reached the best basin** when
//!
//! ```text
//! C_i - C*  <=  cost_rtol * max(C*, C_0)                     (default cost_rtol 1e-6)
//! max_k |p_{i,k} - p*_k| / (u_k - l_k)  <=  basin_tol          (default basin_tol 1e-3)
//! ```
//!
//! over the free parameters `k`: its cost is the best one to a relative `1e-6` (relative to
//! the start's cost when the best one is zero to rounding, as for noise-free data) and its
//! parameters lie within a thousandth of each parameter's range of the best ones.
//!
//! # Where it runs
//! Points in memory fitted by this process (STANDARD, LARGE, CHUNKED). A fit of a
//! [`DataSource`](homodyne_core::DataSource), a STREAMING fit and a distributed fit are
//! refused with [`InvalidInput::InvalidOption`](homodyne_core::InvalidInput::InvalidOption)
//! (`option` `"multistart"`): their candidates would each read all the data many times.

use homodyne_core::OptimizationResult;

pub mod latin;

mod json;
mod parallel;
mod run;

/// The default number of cost evaluations per candidate ([`Multistart::budget`]).
pub const DEFAULT_START_NFEV: usize = 100;

/// The default relative cost tolerance of the best basin (see the module documentation).
pub const DEFAULT_BASIN_COST_RTOL: f64 = 1e-6;

/// The default distance, in shares of each parameter's range, of the best basin (see the
/// module documentation).
pub const DEFAULT_BASIN_TOL: f64 = 1e-3;

/// The settings of a multistart (see the [module documentation](self)).
///
/// ```
/// use homodyne::Multistart;
///
/// let m = Multistart::new(16).seed(7).budget(50);
/// assert_eq!((m.starts(), m.seed_value(), m.budget_value()), (16, 7, 50));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Multistart {
    starts: usize,
    seed: u64,
    budget: usize,
    cost_rtol: f64,
    basin_tol: f64,
    log_spaced: Vec<usize>,
}

impl Multistart {
    /// `n` Latin-hypercube starts besides the given one (seed 0, a budget of
    /// [`DEFAULT_START_NFEV`] cost evaluations per candidate, the default basin
    /// tolerances).
    pub fn new(n: usize) -> Self {
        Self {
            starts: n,
            seed: 0,
            budget: DEFAULT_START_NFEV,
            cost_rtol: DEFAULT_BASIN_COST_RTOL,
            basin_tol: DEFAULT_BASIN_TOL,
            log_spaced: Vec::new(),
        }
    }

    /// The seed of the Latin hypercube's generator (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most cost evaluations each candidate's fit may spend (default
    /// [`DEFAULT_START_NFEV`]; the fit's own budget when smaller). The finishing fit has
    /// the fit's own budget.
    pub fn budget(mut self, max_nfev: usize) -> Self {
        self.budget = max_nfev;
        self
    }

    /// The tolerances of the best basin: `cost_rtol` on the cost, `basin_tol` on the
    /// parameters in shares of their ranges (see the module documentation).
    pub fn basin(mut self, cost_rtol: f64, basin_tol: f64) -> Self {
        self.cost_rtol = cost_rtol;
        self.basin_tol = basin_tol;
        self
    }

    /// Draws the parameters of index `parameters` uniformly in their logarithm: a
    /// parameter `k` spanning decades (a rate, a prefactor) is cut into strata of equal
    /// width in `ln p_k` between its bounds, so that the starts cover every decade rather
    /// than all but a few falling in the top one. Each such free parameter needs positive
    /// bounds (refused with [`InvalidInput::InvalidOption`](homodyne_core::InvalidInput::InvalidOption),
    /// `option` `"bounds"`, before any fit runs); an index of a held parameter, or past the
    /// parameters, is ignored.
    ///
    /// ```
    /// use homodyne::Multistart;
    ///
    /// let m = Multistart::new(8).log_spaced(&[0, 2]);
    /// assert_eq!(m.log_spaced_parameters(), [0, 2]);
    /// ```
    pub fn log_spaced(mut self, parameters: &[usize]) -> Self {
        self.log_spaced = parameters.to_vec();
        self.log_spaced.sort_unstable();
        self.log_spaced.dedup();
        self
    }

    /// The parameters drawn uniformly in their logarithm ([`Multistart::log_spaced`]).
    pub fn log_spaced_parameters(&self) -> &[usize] {
        &self.log_spaced
    }

    /// The number of Latin-hypercube starts (the given start comes on top).
    pub fn starts(&self) -> usize {
        self.starts
    }

    /// The seed.
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    /// The cost evaluations allowed to each candidate.
    pub fn budget_value(&self) -> usize {
        self.budget
    }

    /// The basin tolerances `(cost_rtol, basin_tol)`.
    pub fn basin_tolerances(&self) -> (f64, f64) {
        (self.cost_rtol, self.basin_tol)
    }
}

/// One candidate of a multistart.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRecord {
    /// Its index: 0 is the given start, `1..=n` the Latin hypercube's points in order.
    pub index: usize,
    /// Where its fit started.
    pub start: Vec<f64>,
    /// Its fit (with the candidates' budget), or why it failed.
    pub result: Result<OptimizationResult, String>,
    /// Whether its fit ended in the best basin (see the module documentation).
    pub in_best_basin: bool,
}

/// What a multistart did: its settings, every candidate, the one finished.
#[derive(Debug, Clone, PartialEq)]
pub struct MultistartReport {
    /// The seed of the Latin hypercube.
    pub seed: u64,
    /// The cost evaluations each candidate was allowed.
    pub budget: usize,
    /// The basin tolerances `(cost_rtol, basin_tol)`.
    pub basin_tolerances: (f64, f64),
    /// Every candidate, by index (the given start first).
    pub candidates: Vec<StartRecord>,
    /// The index of the candidate that was finished (lowest cost, then lowest index).
    pub best: usize,
    /// How many candidates reached the best basin.
    pub in_best_basin: usize,
}

impl MultistartReport {
    /// The number of candidates (the given start and the Latin hypercube's points).
    pub fn n_candidates(&self) -> usize {
        self.candidates.len()
    }
}

/// A multistart's result: the finished fit and the report of the candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct MultistartFit {
    /// The fit from the best candidate's optimum, with the user's settings.
    pub result: OptimizationResult,
    /// The candidates.
    pub report: MultistartReport,
}

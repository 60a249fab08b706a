//! The NIST StRD nonlinear regression problems (Statistical Reference Datasets), for the
//! test suite, the examples and the benchmarks.
//!
//! The files are NIST's, unchanged, in `crates/homodyne/tests/data/nist` ([`data_dir`]):
//! the 12 problems of the acceptance set ([`PROBLEMS`]) and the other 15 of the StRD set
//! ([`EXTENDED`]). A fit is scored by the log relative error of each parameter against its
//! certified value, [`lre`]; a run's score is its lowest LRE.
//!
//! ```no_run
//! use homodyne::nist::{self, Nist};
//! use homodyne::prelude::*;
//!
//! let problem = nist::load(&nist::data_dir(), "Misra1a")?;
//! let model = DynAutoDiff::new(Nist("Misra1a", 2));
//! let fit = problem.fit(&model, 0).method(Method::Lm).run()?;
//! let score = nist::min_lre(&fit.parameters, &problem.certified);
//! assert!(score >= 6.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use homodyne_core::{GenericModel, Scalar};

use crate::prelude::*;

/// One NIST problem as published.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The problem's name (`Misra1a`, ...).
    pub name: String,
    /// The predictor values, `x_dim` per observation.
    pub x: Vec<f64>,
    /// The responses (for Nelson, `ln(y)`, as its certified model states).
    pub y: Vec<f64>,
    /// The two certified starts: "Start 1" far from the solution, "Start 2" closer.
    pub starts: [Vec<f64>; 2],
    /// The certified parameter values.
    pub certified: Vec<f64>,
    /// The certified residual sum of squares.
    pub certified_rss: f64,
}

impl Problem {
    /// The fit of `model` to this problem's data from its certified start `start` (0:
    /// "Start 1", far; 1: "Start 2", closer), unbounded; add settings and
    /// [`Fit::run`] it.
    pub fn fit<'a>(&'a self, model: &'a dyn Model, start: usize) -> Fit<'a> {
        Fit::curve(model, &self.x, &self.y).p0(&self.starts[start])
    }
}

/// The folder of NIST's `.dat` files in this repository.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nist")
}

/// Reads `<dir>/<name>.dat` and parses it by its labels ([`parse`]).
pub fn load(dir: &Path, name: &str) -> Result<Problem, String> {
    let path = dir.join(format!("{name}.dat"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the NIST file {}: {e}", path.display()))?;
    parse(name, &text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a NIST `.dat` file by its labels (`bK = start1 start2 certified stddev`,
/// `Residual Sum of Squares:`, the last `Data:` line). Nelson's response is fitted as
/// `ln(y)`, as its certified model `log[y] = b1 - b2 x1 exp(-b3 x2)` states.
pub fn parse(name: &str, text: &str) -> Result<Problem, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut starts = [Vec::new(), Vec::new()];
    let mut certified = Vec::new();
    let mut certified_rss = f64::NAN;
    let mut data_at = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if let Some((label, values)) = t.split_once('=').filter(|_| t.starts_with('b')) {
            let v: Vec<f64> = values
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect();
            if label.trim()[1..].parse::<usize>().is_ok() && v.len() == 4 {
                starts[0].push(v[0]);
                starts[1].push(v[1]);
                certified.push(v[2]);
            }
        } else if let Some(rest) = t.strip_prefix("Residual Sum of Squares:") {
            certified_rss = rest
                .trim()
                .parse()
                .map_err(|_| format!("line {}: unreadable residual sum of squares", i + 1))?;
        } else if t.starts_with("Data:") {
            // The description header has a "Data:" line too; the observations follow the last.
            data_at = Some(i + 1);
        }
    }
    let data_at = data_at.ok_or("no `Data:` section")?;
    if certified.is_empty() {
        return Err("no `bK = start1 start2 certified stddev` lines".to_owned());
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (i, line) in lines.iter().enumerate().skip(data_at) {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("line {}: unreadable observation", i + 1))?;
        if v.len() >= 2 {
            y.push(if name == "Nelson" { v[0].ln() } else { v[0] });
            x.extend(&v[1..]);
        }
    }
    Ok(Problem {
        name: name.to_string(),
        x,
        y,
        starts,
        certified,
        certified_rss,
    })
}

/// The 12 NIST models, written once for any scalar type.
///
/// `Nist(name, n_params)`; evaluating an unknown name gives NaN.
#[derive(Debug, Clone, Copy)]
pub struct Nist(pub &'static str, pub usize);

impl GenericModel for Nist {
    fn n_params(&self) -> usize {
        self.1
    }
    fn x_dim(&self) -> usize {
        if self.0 == "Nelson" { 2 } else { 1 }
    }
    #[inline]
    fn eval<T: Scalar>(&self, x: &[f64], b: &[T]) -> T {
        if self.0 == "Nelson" {
            return b[0] - b[1] * x[0] * (b[2] * -x[1]).exp();
        }
        let x = x[0];
        let one = T::cst(1.0);
        match self.0 {
            "Misra1a" | "BoxBOD" => b[0] * (one - (b[1] * -x).exp()),
            "Chwirut2" => (b[0] * -x).exp() / (b[1] + b[2] * x),
            "Gauss1" => {
                let g = |c: T, w: T| {
                    let d = (c - x) / w;
                    (-(d * d)).exp()
                };
                b[0] * (b[1] * -x).exp() + b[2] * g(b[3], b[4]) + b[5] * g(b[6], b[7])
            }
            "DanWood" => b[0] * (b[1] * x.ln()).exp(),
            "Kirby2" => (b[0] + b[1] * x + b[2] * (x * x)) / (b[3] * x + b[4] * (x * x) + 1.0),
            "Hahn1" | "Thurber" => {
                let (x2, x3) = (x * x, x * x * x);
                (b[0] + b[1] * x + b[2] * x2 + b[3] * x3) / (b[4] * x + b[5] * x2 + b[6] * x3 + 1.0)
            }
            "MGH17" => b[0] + b[1] * (b[3] * -x).exp() + b[2] * (b[4] * -x).exp(),
            "Lanczos2" => {
                b[0] * (b[1] * -x).exp() + b[2] * (b[3] * -x).exp() + b[4] * (b[5] * -x).exp()
            }
            "MGH09" => b[0] * (b[1] * x + x * x) / (b[2] * x + b[3] + x * x),
            "Rat43" => b[0] / ((b[1] - b[2] * x).exp() + 1.0).ln().mul_inv_exp(b[3]),
            "Misra1b" => b[0] * (one - (b[1] * (x / 2.0) + 1.0).powi(-2)),
            "Misra1c" => b[0] * (one - (b[1] * (2.0 * x) + 1.0).powf(-0.5)),
            "Misra1d" => b[0] * b[1] * x / (b[1] * x + 1.0),
            "Chwirut1" => (b[0] * -x).exp() / (b[1] + b[2] * x),
            "Gauss2" | "Gauss3" => {
                let g = |c: T, w: T| {
                    let d = (c - x) / w;
                    (-(d * d)).exp()
                };
                b[0] * (b[1] * -x).exp() + b[2] * g(b[3], b[4]) + b[5] * g(b[6], b[7])
            }
            "Lanczos1" | "Lanczos3" => {
                b[0] * (b[1] * -x).exp() + b[2] * (b[3] * -x).exp() + b[4] * (b[5] * -x).exp()
            }
            "Roszman1" => {
                b[0] - b[1] * x - (b[2] / (T::cst(x) - b[3])).atan() / std::f64::consts::PI
            }
            "ENSO" => {
                let w = 2.0 * std::f64::consts::PI * x;
                let annual = T::cst(w / 12.0);
                let (c4, c7) = (b[3].recip() * w, b[6].recip() * w);
                b[0] + b[1] * annual.cos()
                    + b[2] * annual.sin()
                    + b[4] * c4.cos()
                    + b[5] * c4.sin()
                    + b[7] * c7.cos()
                    + b[8] * c7.sin()
            }
            "Eckerle4" => {
                let d = (T::cst(x) - b[2]) / b[1];
                b[0] / b[1] * (d * d * -0.5).exp()
            }
            "Rat42" => b[0] / ((b[1] - b[2] * x).exp() + 1.0),
            "MGH10" => b[0] * (b[1] / (b[2] + x)).exp(),
            "Bennett5" => b[0] * ((b[1] + x).ln() / b[2] * -1.0).exp(),
            _ => T::cst(f64::NAN),
        }
    }
}

/// `exp(self / d)`: the power `(1 + e)^(1/b4)` of Rat43 written through its logarithm.
trait MulInvExp {
    fn mul_inv_exp(self, d: Self) -> Self;
}

impl<T: Scalar> MulInvExp for T {
    fn mul_inv_exp(self, d: T) -> T {
        (self / d).exp()
    }
}

/// Fits `problem` from start `start` (0 or 1) with exact derivatives (dual numbers, the
/// parameter count known at run time) by `method` with `options`.
pub fn fit_exact(
    problem: &Problem,
    model: Nist,
    start: usize,
    method: Method,
    options: &SolverOptions,
) -> Result<OptimizationResult, OptimizationError> {
    let model = DynAutoDiff::new(model);
    problem
        .fit(&model, start)
        .method(method)
        .options(options.clone())
        .run()
}

/// The problems with their parameter counts.
pub const PROBLEMS: [(&str, usize); 12] = [
    ("Misra1a", 2),
    ("Chwirut2", 3),
    ("Gauss1", 8),
    ("DanWood", 2),
    ("Kirby2", 5),
    ("Hahn1", 7),
    ("MGH17", 5),
    ("Lanczos2", 6),
    ("MGH09", 4),
    ("Thurber", 7),
    ("BoxBOD", 2),
    ("Rat43", 4),
];

/// The other 15 problems of the StRD set (from the lmfit 1.3.4 source distribution, which
/// ships NIST's files unchanged), beyond the 12 of the acceptance set.
pub const EXTENDED: [(&str, usize); 15] = [
    ("Misra1b", 2),
    ("Misra1c", 2),
    ("Misra1d", 2),
    ("Chwirut1", 3),
    ("Gauss2", 8),
    ("Gauss3", 8),
    ("Lanczos1", 6),
    ("Lanczos3", 6),
    ("Nelson", 3),
    ("Roszman1", 4),
    ("ENSO", 9),
    ("Eckerle4", 3),
    ("Rat42", 3),
    ("MGH10", 3),
    ("Bennett5", 3),
];

/// The log relative error `-log10(|estimate - certified| / |certified|)`, capped at 11
/// (the certified digits); 0 when the estimate is not finite or off by 100% or more.
pub fn lre(estimate: f64, certified: f64) -> f64 {
    let rel = (estimate - certified).abs() / certified.abs();
    if rel == 0.0 {
        11.0
    } else if rel.is_finite() {
        (-rel.log10()).clamp(0.0, 11.0)
    } else {
        0.0
    }
}

/// The lowest [`lre`] over the parameters: a run's score.
pub fn min_lre(estimates: &[f64], certified: &[f64]) -> f64 {
    estimates
        .iter()
        .zip(certified)
        .map(|(b, c)| lre(*b, *c))
        .fold(f64::INFINITY, f64::min)
}

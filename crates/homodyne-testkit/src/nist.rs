//! The NIST StRD nonlinear regression problems (Statistical Reference Datasets), for the
//! tests, the examples and the benchmarks.
//!
//! NIST's files, unchanged, are built in ([`problem`]; the repository keeps them in
//! `crates/homodyne/tests/data/nist`): the 12 problems of the acceptance set
//! ([`PROBLEMS`]) and the other 15 of the StRD set ([`EXTENDED`]). A fit is scored by the
//! log relative error of each parameter against its certified value, [`lre`]; a run's
//! score is its lowest LRE,
//!
//! ```text
//! LRE = -log10(|estimate - certified| / |certified|),   capped to [0, 11].
//! ```
//!
//! ```
//! use homodyne::prelude::*;
//! use homodyne_testkit::nist::{self, Nist};
//!
//! let problem = nist::problem("Misra1a")?;
//! let model = DynAutoDiff::new(Nist("Misra1a", 2));
//! let fit = problem.fit(&model, 0).method(Method::Lm).run()?;
//! let score = nist::min_lre(&fit.parameters, &problem.certified);
//! assert!(score >= 6.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod files;
mod model;

use std::path::Path;

use homodyne::prelude::*;

pub use model::Nist;

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

/// The built-in problem `name` (one of [`PROBLEMS`] or [`EXTENDED`]), parsed ([`parse`]).
pub fn problem(name: &str) -> Result<Problem, String> {
    let text = files::text(name).ok_or_else(|| format!("no NIST problem named {name}"))?;
    parse(name, text).map_err(|e| format!("{name}.dat: {e}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in file parses, with the certified values of its parameter count and
    /// both starts; an unknown name is an error naming it.
    #[test]
    fn every_problem_is_built_in() {
        for (name, n) in PROBLEMS.iter().chain(&EXTENDED) {
            let p = problem(name).unwrap();
            assert_eq!(p.certified.len(), *n, "{name}");
            assert_eq!((p.starts[0].len(), p.starts[1].len()), (*n, *n), "{name}");
            assert_eq!(p.x.len(), p.y.len() * Nist(name, *n).x_dim(), "{name}");
            assert!(p.certified_rss > 0.0, "{name}");
        }
        assert!(problem("Misra9").unwrap_err().contains("Misra9"));
    }

    #[test]
    fn lre_counts_the_digits_in_agreement() {
        assert_eq!(lre(1.0, 1.0), 11.0);
        assert!((lre(1.001, 1.0) - 3.0).abs() < 1e-9);
        assert_eq!(lre(f64::NAN, 1.0), 0.0);
        assert_eq!(lre(3.0, 1.0), 0.0);
        assert_eq!(min_lre(&[1.0, 1.001], &[1.0, 1.0]), lre(1.001, 1.0));
    }
}

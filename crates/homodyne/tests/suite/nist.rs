//! NIST StRD nonlinear regression: the 12 problems of `tests/data/nist`, from both certified
//! starts, with both methods and the library's default settings.
//!
//! Scored by the log relative error `LRE = -log10(|b - c| / |c|)` (capped at 11) of each
//! parameter against its certified value; a run's score is its lowest LRE.

use std::path::PathBuf;

use homodyne::prelude::*;

/// One NIST problem as published.
pub(super) struct Problem {
    pub(super) name: String,
    pub(super) x: Vec<f64>,
    pub(super) y: Vec<f64>,
    pub(super) starts: [Vec<f64>; 2],
    pub(super) certified: Vec<f64>,
    pub(super) certified_rss: f64,
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/nist")
}

/// Parses a NIST `.dat` file by its labels. Nelson's response is fitted as `ln(y)`, as its
/// certified model `log[y] = b1 - b2 x1 exp(-b3 x2)` states.
pub(super) fn load(name: &str) -> Problem {
    let text =
        std::fs::read_to_string(data_dir().join(format!("{name}.dat"))).expect("NIST data file");
    let lines: Vec<&str> = text.lines().collect();
    let mut starts = [Vec::new(), Vec::new()];
    let mut certified = Vec::new();
    let mut certified_rss = f64::NAN;
    let mut data_at = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with('b') && t.contains('=') {
            let (label, values) = t.split_once('=').unwrap();
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
            certified_rss = rest.trim().parse().unwrap();
        } else if t.starts_with("Data:") {
            // The description header has a "Data:" line too; the observations follow the last.
            data_at = Some(i + 1);
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in &lines[data_at.expect("Data: section")..] {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        if v.len() >= 2 {
            y.push(if name == "Nelson" { v[0].ln() } else { v[0] });
            x.extend(&v[1..]);
        }
    }
    Problem {
        name: name.to_string(),
        x,
        y,
        starts,
        certified,
        certified_rss,
    }
}

/// The 12 NIST models, written once for any scalar type.
#[derive(Clone, Copy)]
pub(super) struct Nist(pub(super) &'static str, pub(super) usize);

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
            other => panic!("unknown NIST problem {other}"),
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

/// Fits `problem` from start `start` (0 or 1) with exact derivatives (dual numbers).
pub(super) fn fit_exact(
    problem: &Problem,
    model: Nist,
    start: usize,
    method: Method,
    config: &FitConfig,
) -> Result<OptimizationResult, OptimizationError> {
    macro_rules! fit_n {
        ($($n:literal)*) => {
            match model.1 {
                $($n => NlsqWrapper::new().fit(
                    &AutoDiff::<_, $n>::new(model)?,
                    &problem.x, &problem.y, &problem.starts[start], None, method, config),)*
                n => panic!("no NIST problem has {n} parameters"),
            }
        };
    }
    fit_n!(2 3 4 5 6 7 8 9)
}

/// The problems with their parameter counts.
pub(super) const PROBLEMS: [(&str, usize); 12] = [
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
const EXTENDED: [(&str, usize); 15] = [
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

fn lre(estimate: f64, certified: f64) -> f64 {
    let rel = (estimate - certified).abs() / certified.abs();
    if rel == 0.0 {
        11.0
    } else {
        (-rel.log10()).min(11.0)
    }
}

/// How the Jacobian is obtained in a run.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Derivatives {
    Exact,
    FiniteDifference,
}

/// One run's outcome: lowest LRE over the parameters (0 when the fit failed).
struct Score {
    problem: String,
    start: usize,
    method: Method,
    min_lre: f64,
    nfev: usize,
    termination: String,
}

fn run(
    problem: &Problem,
    model: Nist,
    start: usize,
    method: Method,
    derivatives: Derivatives,
) -> Score {
    let fit = match derivatives {
        Derivatives::Exact => fit_exact(problem, model, start, method, &FitConfig::default()),
        Derivatives::FiniteDifference => {
            let closure =
                ClosureModel::multi(model.x_dim(), model.1, move |x: &[f64], p: &[f64]| {
                    model.eval::<f64>(x, p)
                });
            NlsqWrapper::new().fit(
                &closure,
                &problem.x,
                &problem.y,
                &problem.starts[start],
                None,
                method,
                &FitConfig::default(),
            )
        }
    };
    match fit {
        Ok(fit) => Score {
            problem: problem.name.clone(),
            start: start + 1,
            method,
            min_lre: fit
                .parameters
                .iter()
                .zip(&problem.certified)
                .map(|(b, c)| lre(*b, *c))
                .fold(f64::INFINITY, f64::min),
            nfev: fit.nfev,
            termination: format!("{:?}", fit.termination_reason),
        },
        Err(e) => Score {
            problem: problem.name.clone(),
            start: start + 1,
            method,
            min_lre: 0.0,
            nfev: 0,
            termination: format!("error: {e}"),
        },
    }
}

fn run_all(derivatives: Derivatives) -> Vec<Score> {
    run_set(&PROBLEMS, derivatives)
}

fn run_set(problems: &[(&'static str, usize)], derivatives: Derivatives) -> Vec<Score> {
    let mut scores = Vec::new();
    for &(name, n) in problems {
        let problem = load(name);
        assert_eq!(problem.certified.len(), n, "{name}: parameter count");
        assert!(problem.certified_rss.is_finite(), "{name}: certified RSS");
        for start in 0..2 {
            for method in [Method::Trf, Method::Lm] {
                scores.push(run(&problem, Nist(name, n), start, method, derivatives));
            }
        }
    }
    println!("NIST StRD, {derivatives:?} derivatives, default settings: lowest LRE per run");
    println!(
        "{:<10} {:>5} {:>4} {:>8} {:>6}  termination",
        "problem", "start", "meth", "min LRE", "nfev"
    );
    for s in &scores {
        println!(
            "{:<10} {:>5} {:>4} {:>8.2} {:>6}  {}",
            s.problem, s.start, s.method, s.min_lre, s.nfev, s.termination
        );
    }
    scores
}

#[test]
fn nist_parser_reads_every_problem() {
    for (name, n) in PROBLEMS {
        let p = load(name);
        assert_eq!(p.starts[0].len(), n, "{name}");
        assert_eq!(p.x.len(), p.y.len(), "{name}");
        assert!(p.x.len() >= 6, "{name}");
    }
    assert_eq!(load("Hahn1").x.len(), 236);
    assert_eq!(load("Gauss1").x.len(), 250);
}

/// The exact Jacobian row of a NIST model at one point, through `AutoDiff`.
fn jacobian_row(model: Nist, x: &[f64], p: &[f64]) -> Vec<f64> {
    let mut value = [0.0];
    let mut row = vec![0.0; model.1];
    macro_rules! with_n {
        ($($n:literal)*) => {
            match model.1 {
                $($n => AutoDiff::<_, $n>::new(model).unwrap().eval_with_jacobian(x, p, &mut value, &mut row),)*
                _ => unreachable!(),
            }
        };
    }
    with_n!(2 3 4 5 6 7 8 9);
    row
}

#[test]
fn nist_models_match_finite_differences_at_the_starts() {
    for (name, n) in PROBLEMS.into_iter().chain(EXTENDED) {
        let problem = load(name);
        let model = Nist(name, n);
        for start in &problem.starts {
            for x in problem.x.chunks_exact(model.x_dim()).step_by(7) {
                let f = |p: &[f64]| model.eval::<f64>(x, p);
                let exact = jacobian_row(model, x, start);
                for k in 0..n {
                    let h = 1e-6 * start[k].abs().max(1e-12);
                    let (mut up, mut down) = (start.clone(), start.clone());
                    up[k] += h;
                    down[k] -= h;
                    let numeric = (f(&up) - f(&down)) / (up[k] - down[k]);
                    // Relative agreement, with an absolute floor for derivatives that are
                    // negligible against the model's own size (rounding dominates there).
                    let floor = 1e-9 * f(start).abs() / start[k].abs();
                    assert!(
                        (exact[k] - numeric).abs() <= 1e-5 * exact[k].abs() + floor,
                        "{name} b{} at x = {x:?}: {} vs {numeric}",
                        k + 1,
                        exact[k]
                    );
                }
            }
        }
    }
}

#[test]
fn nist_exact_derivatives_every_run_reaches_lre_6() {
    let scores = run_all(Derivatives::Exact);
    let failed: Vec<String> = scores
        .iter()
        .filter(|s| s.min_lre < 6.0)
        .map(|s| {
            format!(
                "{} start {} {}: {:.2} ({})",
                s.problem, s.start, s.method, s.min_lre, s.termination
            )
        })
        .collect();
    assert!(failed.is_empty(), "runs below LRE 6: {failed:#?}");
}

#[test]
fn nist_finite_differences_46_of_48_reach_lre_4() {
    let scores = run_all(Derivatives::FiniteDifference);
    let passed = scores.iter().filter(|s| s.min_lre >= 4.0).count();
    let hahn_ok = scores
        .iter()
        .filter(|s| s.problem == "Hahn1")
        .all(|s| s.min_lre >= 4.0);
    assert!(
        passed >= 46,
        "only {passed} of 48 finite-difference runs reached LRE 4"
    );
    assert!(hahn_ok, "Hahn1 must pass with finite differences");
}

/// The 15 other StRD problems, beyond the acceptance set (ENSO and Bennett5 among them,
/// which scipy's default tolerances stop short): every run, from both starts with both
/// methods, reaches LRE >= 6 as well.
#[test]
fn nist_extended_set_every_run_reaches_lre_6() {
    let scores = run_set(&EXTENDED, Derivatives::Exact);
    let failed: Vec<String> = scores
        .iter()
        .filter(|s| s.min_lre < 6.0)
        .map(|s| {
            format!(
                "{} start {} {}: {:.2} ({})",
                s.problem, s.start, s.method, s.min_lre, s.termination
            )
        })
        .collect();
    assert!(failed.is_empty(), "runs below LRE 6: {failed:#?}");
}

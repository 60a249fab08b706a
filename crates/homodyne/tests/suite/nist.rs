//! NIST StRD nonlinear regression: the 12 problems of `tests/data/nist`, from both certified
//! starts, with both methods and the library's default settings.
//!
//! Scored by the log relative error `LRE = -log10(|b - c| / |c|)` (capped at 11) of each
//! parameter against its certified value; a run's score is its lowest LRE.

use homodyne::prelude::*;
use homodyne_testkit::nist::{self, EXTENDED, Nist, PROBLEMS, Problem, fit_exact};

/// The problem `name` from the NIST files (built into the test kit).
pub(super) fn load(name: &str) -> Problem {
    nist::problem(name).expect("NIST data file")
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
        Derivatives::Exact => fit_exact(problem, model, start, method, &SolverOptions::default()),
        Derivatives::FiniteDifference => {
            let closure =
                ClosureModel::multi(model.x_dim(), model.1, move |x: &[f64], p: &[f64]| {
                    model.eval::<f64>(x, p)
                });
            Fit::curve(&closure, &problem.x, &problem.y)
                .p0(&problem.starts[start])
                .method(method)
                .run()
        }
    };
    if let Ok(fit) = &fit {
        eprintln!(
            "{} start {} {method} {derivatives:?}: {} {:?}, cosine {:.3e}",
            problem.name,
            start + 1,
            fit.convergence_status,
            fit.termination_reason,
            fit.gradient_cosine
        );
    }
    match fit {
        Ok(fit) => Score {
            problem: problem.name.clone(),
            start: start + 1,
            method,
            min_lre: nist::min_lre(&fit.parameters, &problem.certified),
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

/// Every run's lowest LRE is at least 6; the message lists those that fall short.
fn assert_every_run_reaches_lre_6(scores: &[Score]) {
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
    assert_every_run_reaches_lre_6(&run_all(Derivatives::Exact));
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
    assert_every_run_reaches_lre_6(&run_set(&EXTENDED, Derivatives::Exact));
}

//! A heterodyne fit that ends in a wrong basin from one start reaches the truth with a
//! multistart ([`homodyne::multistart`]), the same bits on 1 and 2 threads.
//!
//! The data are noise-free, of the `moderate` case on the fit's grid (2 angles x 20
//! frames, no diagonal, no frame 0), `f2` held at its true value (`f0` and `f2` are
//! exactly degenerate, spec 6.2), but with a faster flow (`v0` 1500, not 400). The
//! velocity sets the phase of the cross term, `q cos(phi + phi0_het) (C_v[j] - C_v[i])`,
//! up to about 67 rad here: a velocity far off aliases the phase, and the fit from there
//! ends in a local minimum of clearly higher cost. The multistart samples the velocity
//! over `[0, 4000]`, `phi0_het` over its registry range `[-10, 10]` and the other
//! parameters within a box around the truth (a fifth of each value either side, at least
//! 0.2, within the registry's bounds).

use homodyne::{ConvergenceStatus, Fit, Multistart, MultistartFit};
use homodyne_core::{Bounds, Model};
use homodyne_xpcs::heterodyne::{HeterodyneModel, index};

mod common;

use common::heterodyne::{MODERATE, OFF, fit_support, moderate_model};

const SCALING: [f64; 4] = [0.3, 0.25, 1.0, 1.02];
/// The truth's velocity. With the `moderate` case's 400 (a phase of at most 18 rad) every
/// start of `v0` in `[10, 1000]` tried returned to the truth; at 1500 the phase reaches
/// 67 rad.
const TRUE_V0: f64 = 1500.0;
/// The range sampled for `v0`: `[0, V0_MAX]`.
const V0_MAX: f64 = 4000.0;
/// A start that ends in a local minimum (cost 0.58, `v0` 2764, `phi0_het` on its bound
/// 10); from 400 to 2400 the fit returns to the truth.
const WRONG_V0: f64 = 2800.0;

struct Problem {
    model: HeterodyneModel,
    x: Vec<f64>,
    y: Vec<f64>,
    truth: Vec<f64>,
    start: Vec<f64>,
    bounds: Bounds,
    f2: usize,
}

fn problem() -> Problem {
    let model = moderate_model();
    let physical_start = model.layout().physical_start();
    let mut truth = [&SCALING[..], &MODERATE[..]].concat();
    truth[physical_start + index::V0] = TRUE_V0;
    // The start of `tests/heterodyne.rs`'s noise-free fit (5-20% off the truth), but the
    // velocity `v0` far off: `WRONG_V0` instead of `TRUE_V0`.
    let mut start: Vec<f64> = [
        vec![0.315, 0.2375, 1.0, 1.0],
        MODERATE.iter().zip(OFF).map(|(t, f)| t * f).collect(),
    ]
    .concat();
    start[physical_start + index::V0] = WRONG_V0;
    let x = fit_support(&model);
    let mut y = vec![0.0; x.len()];
    model.eval(&x, &truth, &mut y);
    // A fifth of each value either side of the truth (at least 0.2), within the
    // registry's bounds; the velocity over [0, 1000].
    let (registry_lower, registry_upper) = model.layout().default_bounds();
    let mut lower = Vec::with_capacity(truth.len());
    let mut upper = Vec::with_capacity(truth.len());
    for (k, &t) in truth.iter().enumerate() {
        let half = (0.2 * t.abs()).max(0.2);
        lower.push((t - half).max(registry_lower[k]));
        upper.push((t + half).min(registry_upper[k]));
    }
    lower[physical_start + index::V0] = 0.0;
    upper[physical_start + index::V0] = V0_MAX;
    lower[physical_start + index::PHI0_HET] = -10.0;
    upper[physical_start + index::PHI0_HET] = 10.0;
    let bounds = Bounds::new(lower, upper).unwrap();
    let f2 = physical_start + index::F2;
    Problem {
        model,
        x,
        y,
        truth,
        start,
        bounds,
        f2,
    }
}

impl Problem {
    fn fit(&self) -> Fit<'_> {
        Fit::curve(&self.model, &self.x, &self.y)
            .p0(&self.start)
            .bounds(&self.bounds)
            .fix(self.f2, self.truth[self.f2])
    }

    /// The largest difference between the model at `p` and the data.
    fn worst(&self, p: &[f64]) -> f64 {
        let mut fitted = vec![0.0; self.x.len()];
        self.model.eval(&self.x, p, &mut fitted);
        fitted
            .iter()
            .zip(&self.y)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }
}

fn multistart() -> Multistart {
    Multistart::new(16).seed(20261207).budget(100)
}

#[test]
fn a_wrong_basin_from_one_start_reaches_the_truth_with_multistart() {
    let problem = problem();
    let fit = problem.fit();

    // From the start alone: a local minimum (the fit converges), far from the data.
    let plain = fit.run().unwrap();
    let v0 = problem.model.layout().physical_start() + index::V0;
    println!(
        "plain: {:?}, cost {:e}, v0 {}, model {:e} from the data",
        plain.convergence_status,
        plain.final_cost,
        plain.parameters[v0],
        problem.worst(&plain.parameters)
    );
    assert!(
        (plain.parameters[v0] - TRUE_V0).abs() > 500.0,
        "the plain fit found v0 = {}",
        plain.parameters[v0]
    );
    assert!(plain.final_cost > 0.1, "plain cost {:e}", plain.final_cost);
    assert_eq!(plain.convergence_status, ConvergenceStatus::Converged);
    assert!(problem.worst(&plain.parameters) > 1e-2);

    let MultistartFit { result, report } = multistart().run(&fit).unwrap();
    let worst = problem.worst(&result.parameters);
    println!(
        "multistart: best candidate {}, {} of {} in its basin, cost {:e}, model {worst:e} \
         from the data, parameters {:?}",
        report.best,
        report.in_best_basin,
        report.n_candidates(),
        result.final_cost,
        result.parameters
    );
    assert_eq!(result.convergence_status, ConvergenceStatus::Converged);
    assert!(worst < 1e-9, "model values {worst:e} from the truth");
    assert!(result.final_cost < 1e-12 * plain.final_cost);
    // The sample, velocity, fraction and angle parameters and the scaling are identified;
    // f2 stays held.
    let names = problem.model.layout().names();
    for (k, name) in names.iter().enumerate() {
        if !name.ends_with("_ref") && name != "f2" {
            let (got, want) = (result.parameters[k], problem.truth[k]);
            assert!(
                (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                "{name}: {got} vs the truth {want}"
            );
        }
    }
    assert_eq!(result.parameters[problem.f2], problem.truth[problem.f2]);
    for c in &report.candidates {
        assert_eq!(c.start[problem.f2], problem.truth[problem.f2]);
    }
    // The given start is a candidate, not in the best basin; the best one is.
    assert_eq!(report.candidates[0].start, problem.start);
    assert!(!report.candidates[0].in_best_basin);
    assert!(report.candidates[report.best].in_best_basin);
    assert!(report.in_best_basin >= 1 && report.in_best_basin < report.n_candidates());
}

/// The environment variable that makes [`the_same_bits_on_one_and_two_threads`] the child
/// that fits and prints its figures.
const CHILD: &str = "HETERODYNE_MULTISTART_CHILD";

/// The multistart's every figure, bit for bit: the result's parameters and cost, the best
/// candidate and the basin count, each candidate's parameters and cost.
fn fingerprint(fit: &MultistartFit) -> String {
    let bits = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{:016x}", x.to_bits()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut line = format!(
        "{} {:016x} best {} basin {}",
        bits(&fit.result.parameters),
        fit.result.final_cost.to_bits(),
        fit.report.best,
        fit.report.in_best_basin
    );
    for c in &fit.report.candidates {
        match &c.result {
            Ok(r) => {
                line += &format!(
                    " | {} {:016x} {}",
                    bits(&r.parameters),
                    r.final_cost.to_bits(),
                    c.in_best_basin
                )
            }
            Err(e) => line += &format!(" | failed {e}"),
        }
    }
    line
}

/// The multistart run by this test's binary again, once with one rayon thread and once
/// with two (`RAYON_NUM_THREADS`, which sets the global pool the fit's threads are counted
/// from: this crate's tests have no rayon of their own to build pools with): the same
/// bits.
#[test]
fn the_same_bits_on_one_and_two_threads() {
    if std::env::var_os(CHILD).is_some() {
        let fit = multistart().run(&problem().fit()).unwrap();
        // After a line break: the harness prints the test's name on the same line.
        println!("\nthreads {}", homodyne_solvers::worker_threads());
        println!("fingerprint {}", fingerprint(&fit));
        return;
    }
    let run = |threads: usize| {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "the_same_bits_on_one_and_two_threads",
                "--nocapture",
            ])
            .args(["--test-threads", "1"])
            .env(CHILD, "1")
            .env("RAYON_NUM_THREADS", threads.to_string())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{threads} thread(s): {stdout}");
        let line = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key:?} in {stdout}"))
                .to_string()
        };
        assert_eq!(line("threads "), threads.to_string());
        line("fingerprint ")
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two);
    // And in this process, on the default pool.
    assert_eq!(
        fingerprint(&multistart().run(&problem().fit()).unwrap()),
        one
    );
}

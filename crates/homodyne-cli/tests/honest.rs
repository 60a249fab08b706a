//! End-to-end tests of what `homodyne curve` and `homodyne xpcs` say about a fit: stalled
//! fits exit 1 with advice, undetermined and fixed parameters, `--fix`, equal bounds,
//! `--absolute-sigma` against scipy, and bad input found before any work (exit 2).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::tables::write_text;

use common::{
    curve, curve_help, curve_json, expect_error, homodyne, read_json, scratch, stderr, stdout,
};

fn data(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
        .to_str()
        .unwrap()
        .to_string()
}

/// `--json` of a `homodyne` run with `args` (a [`curve`]) that must succeed.
fn fit_json(dir: &Path, name: &str, args: &[&str]) -> Value {
    let json = dir.join(format!("{name}.json"));
    let mut all = args.to_vec();
    all.extend(["--json", json.to_str().unwrap()]);
    let out = homodyne(&all);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    read_json(&json)
}

fn number(result: &Value, name: &str, field: &str) -> f64 {
    result["parameters"][name][field]
        .as_f64()
        .unwrap_or_else(|| panic!("{name}.{field} in {result}"))
}

fn close(a: f64, b: f64, rtol: f64) -> bool {
    (a - b).abs() <= rtol * b.abs().max(1e-300)
}

/// The formula of [`staircase`].
const STAIRCASE: &str = "(a*x + 1e16) - 1e16";

/// A residual `((a*x + 1e16) - 1e16) - y` is a staircase in `a` whose steps (the spacing
/// of doubles near 1e16) are wider than the data: the exact derivative says the cost
/// falls, every step says it does not, and the steps shrink to nothing with the gradient
/// still large.
fn staircase(dir: &Path) -> PathBuf {
    write_text(dir, "stair.csv", "x,y\n1,0.7\n2,0.7\n3,0.7\n")
}

#[test]
fn a_stalled_fit_exits_1_with_what_to_try() {
    let dir = scratch("honest", "stalled");
    let stair = staircase(&dir);
    let json = dir.join("stalled.json");
    for method in ["trf", "lm"] {
        let out = homodyne(&curve(
            STAIRCASE,
            stair.to_str().unwrap(),
            "a=0",
            &["--method", method, "--json", json.to_str().unwrap()],
        ));
        assert_eq!(out.status.code(), Some(1), "{method}: {}", stderr(&out));
        let (report, message) = (stdout(&out), stderr(&out));
        assert!(report.contains("status             = stalled"), "{report}");
        assert!(report.contains("what to try"), "{report}");
        assert!(report.contains("optimality"), "{report}");
        assert!(message.contains("the fit stalled"), "{message}");
        assert!(message.contains("what to try: "), "{message}");
        let result = read_json(&json);
        assert_eq!(result["convergence_status"], "stalled", "{result}");
        assert!(
            result["advice"]
                .as_str()
                .unwrap()
                .contains("start from other values")
        );
        assert!(
            result["gradient_cosine"].as_f64().unwrap() > 1e-4,
            "{result}"
        );
        assert!(result["optimality"].as_f64().unwrap() > 0.0, "{result}");
        // Totals over the attempts, each attempt beside them.
        let attempts = result["attempts"].as_array().unwrap();
        assert!(!attempts.is_empty());
        for field in ["nfev", "njev", "iterations"] {
            let sum: u64 = attempts.iter().map(|a| a[field].as_u64().unwrap()).sum();
            assert_eq!(result[field].as_u64().unwrap(), sum, "{field}: {result}");
        }
        if attempts.len() > 1 {
            assert!(
                report.contains(&format!("({} attempts: ", attempts.len())),
                "{report}"
            );
        }
    }
}

/// The decay of `tests/data/absolute_sigma/decay.csv`, fitted in its three parameters.
const DECAY: &str = "a*exp(-b*x) + c";

#[test]
fn fixing_a_parameter_equals_the_fit_with_its_value_substituted() {
    let dir = scratch("honest", "fix");
    let decay = data("absolute_sigma/decay.csv");
    for method in ["trf", "lm"] {
        let substituted = fit_json(
            &dir,
            &format!("substituted-{method}"),
            &curve(
                "a*exp(-b*x) + 0.4",
                &decay,
                "a=1,b=1",
                &["--method", method],
            ),
        );
        // --fix (its value replaces the start of --p0) and equal bounds.
        let fixed = fit_json(
            &dir,
            &format!("fixed-{method}"),
            &curve(
                DECAY,
                &decay,
                "a=1,b=1,c=0",
                &["--fix", "c=0.4", "--method", method],
            ),
        );
        let bounded = fit_json(
            &dir,
            &format!("bounded-{method}"),
            &curve(
                DECAY,
                &decay,
                "a=1,b=1,c=0.4",
                &["--bounds", "c=0.4:0.4", "--method", method],
            ),
        );
        for held in [&fixed, &bounded] {
            for name in ["a", "b"] {
                for field in ["value", "uncertainty"] {
                    let (got, want) =
                        (number(held, name, field), number(&substituted, name, field));
                    assert!(
                        close(got, want, 1e-10),
                        "{method} {name}.{field}: {got} vs {want}"
                    );
                }
            }
            assert_eq!(number(held, "c", "value"), 0.4);
            assert_eq!(held["parameters"]["c"]["flag"], "fixed", "{held}");
            assert!(held["parameters"]["c"]["uncertainty"].is_null(), "{held}");
            assert!(close(
                held["chi_squared"].as_f64().unwrap(),
                substituted["chi_squared"].as_f64().unwrap(),
                1e-10
            ));
            assert_eq!(
                held["degrees_of_freedom"],
                substituted["degrees_of_freedom"]
            );
        }
    }
    // The text report shows the held value and "(fixed)".
    let out = homodyne(&curve(DECAY, &decay, "a=1,b=1,c=0", &["--fix", "c=0.4"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(report.contains("0.4000000000 (fixed)"), "{report}");
    assert!(report.contains("degrees of freedom = 58"), "{report}");
    // A --fix name that is not in --p0 is bad input.
    expect_error(
        &curve(DECAY, &decay, "a=1,b=1,c=0", &["--fix", "d=0.4"]),
        2,
        &["--fix names 'd'"],
    );
}

#[test]
fn absolute_sigma_matches_scipy_curve_fit() {
    let dir = scratch("honest", "absolute-sigma");
    let decay = data("absolute_sigma/decay.csv");
    let reference = read_json(Path::new(&data("absolute_sigma/reference.json")));
    for (column, scale) in [("dy", "1"), ("dy10", "10")] {
        for absolute in [true, false] {
            let key = format!(
                "{}_sigma_x{scale}",
                if absolute { "absolute" } else { "relative" }
            );
            let mut args = curve(DECAY, &decay, "a=1,b=1,c=0", &["--sigma", column]);
            if absolute {
                args.push("--absolute-sigma");
            }
            let result = fit_json(&dir, &key, &args);
            assert_eq!(result["absolute_sigma"], absolute, "{result}");
            let convention = result["sigma_convention"].as_str().unwrap();
            assert!(
                convention.starts_with(if absolute { "absolute" } else { "relative" }),
                "{convention}"
            );
            for (k, name) in ["a", "b", "c"].iter().enumerate() {
                let popt = reference[&key]["popt"][k].as_f64().unwrap();
                let perr = reference[&key]["perr"][k].as_f64().unwrap();
                let (value, error) = (
                    number(&result, name, "value"),
                    number(&result, name, "uncertainty"),
                );
                assert!(close(value, popt, 1e-6), "{key} {name}: {value} vs {popt}");
                assert!(close(error, perr, 1e-6), "{key} {name}: {error} vs {perr}");
            }
        }
    }
    let out = homodyne(&curve(
        DECAY,
        &decay,
        "a=1,b=1,c=0",
        &["--sigma", "dy", "--absolute-sigma"],
    ));
    assert!(
        stdout(&out).contains("uncertainties      = absolute sigma"),
        "{}",
        stdout(&out)
    );
    let help = curve_help();
    assert!(
        help.contains("--absolute-sigma") && help.contains("reduced"),
        "{help}"
    );
}

#[test]
fn a_parameter_the_formula_does_not_use_is_undetermined() {
    let dir = scratch("honest", "undetermined");
    let json = dir.join("fit.json");
    let misra = data("nist/Misra1a.csv");
    let out = curve_json("b1*(1-exp(-b2*x))", &misra, "b1=250,b2=5e-4,b3=1", &json);
    assert!(out.status.success(), "{}", stderr(&out));
    let (report, message) = (stdout(&out), stderr(&out));
    assert!(message.contains("parameter 'b3'"), "{message}");
    assert!(message.contains("--fix b3="), "{message}");
    assert!(report.contains("undetermined"), "{report}");
    assert!(!report.contains("+/- 0.0000"), "{report}");
    let b3_line = report.lines().find(|l| l.contains("b3:")).unwrap();
    assert!(!b3_line.contains("+/-"), "{b3_line}");
    let result = read_json(&json);
    assert_eq!(result["parameters"]["b3"]["flag"], "undetermined");
    assert!(result["parameters"]["b3"]["uncertainty"].is_null());
    assert_eq!(result["parameters"]["b1"]["flag"], "free");
    assert!(number(&result, "b1", "uncertainty") > 0.0);
}

#[test]
fn a_formula_without_parameters_is_bad_input() {
    expect_error(
        &curve("2*x", &data("nist/Misra1a.csv"), "a=1", &[]),
        2,
        &["uses none of the parameters", "(a)"],
    );
}

#[test]
fn demo_frames_beyond_the_memory_are_a_typed_error_before_any_allocation() {
    let started = Instant::now();
    let message = expect_error(
        &["xpcs", "--demo", "--frames", "100000"],
        2,
        &["720 GB", "available", "--frames"],
    );
    assert!(!message.contains("memory allocation"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn output_paths_are_checked_before_the_fit() {
    let dir = scratch("honest", "outputs");
    let stair = staircase(&dir);
    // The stalled fit exits 1 when it runs: 2 says the path was refused first.
    let stalled = |option: &'static str, path: &Path| {
        let path = path.to_str().unwrap().to_string();
        let stair = stair.to_str().unwrap().to_string();
        move || homodyne(&curve(STAIRCASE, &stair, "a=0", &[option, &path]))
    };
    for (option, path, needle) in [
        (
            "--json",
            dir.join("no/such/folder/fit.json"),
            "does not exist",
        ),
        ("--plot", dir.clone(), "folder"),
    ] {
        let out = stalled(option, &path)();
        assert_eq!(out.status.code(), Some(2), "{option}: {}", stderr(&out));
        assert!(stderr(&out).contains(option), "{}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "no fit ran: {}", stdout(&out));
    }
    // A good path is left as it was when the run stops early: no probe file stays.
    let good = dir.join("fit.json");
    let out = curve_json("2*x", stair.to_str().unwrap(), "a=0", &good);
    assert_eq!(out.status.code(), Some(2));
    assert!(!good.exists());
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "only the data file: {files:?}");
    // homodyne xpcs --output-dir below a file.
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, "").unwrap();
    expect_error(
        &[
            "xpcs",
            "--demo",
            "--output-dir",
            blocker.join("results").to_str().unwrap(),
        ],
        2,
        &["--output-dir", "not a folder"],
    );
}

/// The two points `(1, 2)` and `(2, 4)`, too few for three free parameters.
const TWO_POINTS: &str = "x,y\n1,2\n2,4\n";

#[test]
fn too_few_points_is_bad_input() {
    let dir = scratch("honest", "few");
    let two = write_text(&dir, "two.csv", TWO_POINTS);
    expect_error(
        &curve("a*x + b*x^2 + c", two.to_str().unwrap(), "a=1,b=1,c=0", &[]),
        2,
        &["two.csv", "2 data point(s)", "3 free parameters"],
    );
    expect_error(
        &["xpcs", "--demo", "--frames", "2"],
        2,
        &["3 data point(s)", "13 free parameters"],
    );
}

#[test]
fn a_residual_that_overflows_names_its_file_row() {
    let dir = scratch("honest", "overflow");
    // Line 5 of the file holds the 3rd data point.
    let big = write_text(
        &dir,
        "big.csv",
        "x,y\n# a comment\n1,2\n2,4\n3,1e308\n4,8\n",
    );
    let message = expect_error(
        &curve("a*x", big.to_str().unwrap(), "a=1", &[]),
        1,
        &["big.csv:5", "data point 3"],
    );
    assert!(message.lines().count() <= 4, "{message}");
    assert!(message.lines().all(|l| l.len() < 300), "{message}");
}

#[test]
fn resume_without_a_checkpoint_says_so_and_starts_afresh() {
    let dir = scratch("honest", "resume");
    let ckpt = dir.join("ckpt");
    let decay = data("absolute_sigma/decay.csv");
    let run = || {
        let out = homodyne(&curve(
            DECAY,
            &decay,
            "a=1,b=1,c=0",
            &[
                "--checkpoint-dir",
                ckpt.to_str().unwrap(),
                "--checkpoint-every",
                "1",
                "--batch-size",
                "20",
                "--resume",
            ],
        ));
        assert!(out.status.success(), "{}", stderr(&out));
        (stdout(&out), stderr(&out))
    };
    let (_, message) = run();
    assert!(message.contains("no checkpoint found in"), "{message}");
    assert!(message.contains("starts afresh"), "{message}");
    // Now there are checkpoints: no notice, and the fit resumes.
    let (report, message) = run();
    assert!(!message.contains("checkpoint"), "{message}");
    assert!(report.contains("resumed from"), "{report}");
    let help = curve_help();
    assert!(help.contains("starts afresh"), "{help}");
}

#[test]
fn holding_parameters_leaves_fewer_to_determine() {
    let dir = scratch("honest", "few-held");
    let two = write_text(&dir, "two.csv", TWO_POINTS);
    // Holding one of three parameters leaves two to determine from two points.
    let out = homodyne(&curve(
        "a*x + b*x^2 + c",
        two.to_str().unwrap(),
        "a=1,b=1,c=0",
        &["--fix", "c=0"],
    ));
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}

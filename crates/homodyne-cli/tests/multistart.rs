//! `homodyne curve --multistart`: a curve with many minima (a sine's frequency) fitted from
//! a start in the wrong basin; the text line and the `--json` record of the starts; the
//! same numbers on one and two threads; the options' errors (tests/cli.rs checks the help).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

use common::tables::{sine_noise, write_table};
use common::{curve, expect_error, homodyne, read_json, scratch, stderr, stdout};

/// The sine fitted: `a sin(w x)` with `a = 2`, `w = 3`.
const FORMULA: &str = "a*sin(w*x)";

/// The start, in the basin of a wrong frequency.
const P0: &str = "a=1,w=1";

/// Finite bounds on both parameters: `w` in `[0.5, 5]` holds several basins.
const BOUNDS: &str = "a=0:5,w=0.5:5";

/// Writes 200 points of `2 sin(3 x)` on `[0, 10)` with a little noise; returns the path.
fn sine_data(dir: &Path) -> PathBuf {
    let data = dir.join("sine.csv");
    let rows = (0..200).map(|i| {
        let x = i as f64 * 0.05;
        format!("{x:?},{:?}", 2.0 * (3.0 * x).sin() + sine_noise(i))
    });
    write_table(&data, "x,y", rows);
    data
}

/// Fits the sine in `data` from [`P0`] with [`BOUNDS`] and `more`, writing `json`, on
/// `threads` rayon threads (the default when `None`); the run must succeed. Returns what it
/// printed and the document.
fn fit(data: &Path, json: &Path, more: &[&str], threads: Option<&str>) -> (String, Value) {
    let mut more_args = vec!["--bounds", BOUNDS, "--json", json.to_str().unwrap()];
    more_args.extend_from_slice(more);
    let args = curve(FORMULA, data.to_str().unwrap(), P0, &more_args);
    let mut command = Command::new(env!("CARGO_BIN_EXE_homodyne"));
    command.args(&args);
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads);
    }
    let out = command.output().expect("the homodyne binary runs");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    (stdout(&out), read_json(json))
}

/// The fitted value of parameter `name` in a `--json` document.
fn value(document: &Value, name: &str) -> f64 {
    document["parameters"][name]["value"].as_f64().unwrap()
}

/// The report's `multistart` line, if any.
fn multistart_line(text: &str) -> Option<&str> {
    text.lines()
        .find(|l| l.trim_start().starts_with("multistart "))
}

#[test]
fn a_multistart_finds_the_basin_a_plain_fit_misses() {
    let dir = scratch("multistart", "basin");
    let data = sine_data(&dir);

    let (plain_text, plain) = fit(&data, &dir.join("plain.json"), &[], None);
    assert!(
        (value(&plain, "w") - 3.0).abs() > 0.5,
        "the plain fit should end in another basin: {plain_text}"
    );
    assert!(plain.get("multistart").is_none(), "{plain}");
    assert!(multistart_line(&plain_text).is_none(), "{plain_text}");

    let (text, document) = fit(
        &data,
        &dir.join("multi.json"),
        &["--multistart", "16"],
        None,
    );
    assert!((value(&document, "w") - 3.0).abs() < 1e-4, "{text}");
    assert!((value(&document, "a") - 2.0).abs() < 1e-3, "{text}");
    assert_eq!(document["convergence_status"], "converged", "{text}");
    let record = &document["multistart"];
    let line = multistart_line(&text).unwrap_or_else(|| panic!("no multistart line in:\n{text}"));
    let best = record["best"].as_u64().unwrap();
    let reached = record["in_best_basin"].as_u64().unwrap();
    for needle in [
        "17 starts".to_string(),
        "seed 0".to_string(),
        "at most 100 evaluations".to_string(),
        format!("start {best} finished"),
        format!("{reached} of 17 reached the best basin"),
    ] {
        assert!(line.contains(&needle), "{needle:?} not in {line:?}");
    }
}

#[test]
fn the_json_record_lists_every_start() {
    let dir = scratch("multistart", "record");
    let data = sine_data(&dir);
    let more = [
        "--multistart",
        "8",
        "--multistart-seed",
        "5",
        "--multistart-budget",
        "50",
    ];
    let (_, document) = fit(&data, &dir.join("fit.json"), &more, None);
    let record = document["multistart"]
        .as_object()
        .expect("a multistart record");
    let keys: Vec<&str> = record.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "n_candidates",
            "seed",
            "budget",
            "cost_rtol",
            "basin_tol",
            "best",
            "in_best_basin",
            "candidates"
        ]
    );
    assert_eq!(record["n_candidates"], 9);
    assert_eq!(record["seed"], 5);
    assert_eq!(record["budget"], 50);
    assert_eq!(
        record["cost_rtol"],
        homodyne::multistart::DEFAULT_BASIN_COST_RTOL
    );
    assert_eq!(record["basin_tol"], homodyne::multistart::DEFAULT_BASIN_TOL);
    let candidates = record["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 9);
    for (i, candidate) in candidates.iter().enumerate() {
        assert_eq!(candidate["index"], i);
        let start = common::floats(&candidate["start"]);
        assert_eq!(start.len(), 2);
        assert!(
            (0.0..=5.0).contains(&start[0]) && (0.5..=5.0).contains(&start[1]),
            "{candidate}"
        );
        let nfev = candidate["nfev"].as_u64().expect("every start fitted");
        assert!(nfev <= 50, "{candidate}");
        assert!(candidate.get("error").is_none(), "{candidate}");
    }
    assert_eq!(common::floats(&candidates[0]["start"]), [1.0, 1.0]);
    let reached = candidates
        .iter()
        .filter(|c| c["in_best_basin"] == true)
        .count();
    assert_eq!(record["in_best_basin"], reached);
    assert!(reached >= 1);
    let best = record["best"].as_u64().unwrap() as usize;
    assert_eq!(candidates[best]["in_best_basin"], true);
}

#[test]
fn the_same_starts_and_result_on_one_and_two_threads() {
    let dir = scratch("multistart", "threads");
    let data = sine_data(&dir);
    let more = ["--multistart", "16", "--quiet"];
    let (_, one) = fit(&data, &dir.join("one.json"), &more, Some("1"));
    let (_, two) = fit(&data, &dir.join("two.json"), &more, Some("2"));
    // serde_json writes each number in the shortest text that reads back to the same
    // bits: equal texts are equal bits.
    for key in ["parameters", "covariance", "chi_squared", "multistart"] {
        assert_eq!(one[key].to_string(), two[key].to_string(), "{key}");
    }
    for name in ["a", "w"] {
        assert_eq!(value(&one, name).to_bits(), value(&two, name).to_bits());
    }
}

#[test]
fn the_options_errors_name_what_to_change() {
    let dir = scratch("multistart", "errors");
    let data = sine_data(&dir);
    let data = data.to_str().unwrap();

    for option in ["--multistart-seed", "--multistart-budget"] {
        expect_error(
            &curve(FORMULA, data, P0, &["--bounds", BOUNDS, option, "3"]),
            2,
            &["--multistart <N>", option],
        );
    }
    for bad in ["0", "many"] {
        expect_error(
            &curve(
                FORMULA,
                data,
                P0,
                &["--bounds", BOUNDS, "--multistart", bad],
            ),
            2,
            &["--multistart"],
        );
    }
    // `a` has no bounds: the message names it.
    let message = expect_error(
        &curve(
            FORMULA,
            data,
            P0,
            &["--bounds", "w=0.5:5", "--multistart", "4"],
        ),
        2,
        &["--multistart", "free parameter a", "--bounds a=LO:HI"],
    );
    assert!(!message.contains("parameter w"), "{message}");
    // Held by --fix, `a` needs no bounds.
    let out = homodyne(&curve(
        FORMULA,
        data,
        P0,
        &[
            "--bounds",
            "w=0.5:5",
            "--fix",
            "a=2",
            "--multistart",
            "4",
            "--quiet",
        ],
    ));
    assert!(out.status.success(), "{}", stderr(&out));

    expect_error(
        &curve(
            FORMULA,
            data,
            P0,
            &[
                "--bounds",
                BOUNDS,
                "--multistart",
                "4",
                "--strategy",
                "streaming",
            ],
        ),
        2,
        &["--multistart", "--strategy streaming"],
    );
}

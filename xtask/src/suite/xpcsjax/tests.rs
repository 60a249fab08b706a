//! Tests of the xpcsjax rows: the ratio, the records, the configuration and the table.

use super::outputs::*;
use super::*;

#[test]
fn the_ratio_divides_each_xpcsjax_run_by_the_homodyne_runs_around_it() {
    // homodyne 1 s and 3 s around xpcsjax's 40 s: 20x.
    let ours = [(0, 1.0), (1, 3.0)];
    assert_eq!(bracketed_ratio(&ours, &[(0, 40.0)]), Some(20.0));
    // Two xpcsjax runs: 40 / 2 = 20 and 90 / 3 = 30; the median is the lower middle.
    let ours = [(0, 1.0), (1, 3.0), (2, 3.0)];
    assert_eq!(bracketed_ratio(&ours, &[(0, 40.0), (1, 90.0)]), Some(20.0));
    // A missing homodyne run: the other one alone.
    assert_eq!(bracketed_ratio(&[(1, 2.0)], &[(0, 40.0)]), Some(20.0));
    assert_eq!(bracketed_ratio(&[], &[(0, 40.0)]), None);
    assert_eq!(bracketed_ratio(&[(0, 1.0)], &[]), None);
}

#[test]
fn errors_against_the_truth_accept_xpcsjax_names() {
    let truth = json!({ "v0": 400.0, "v_beta": 0.7, "phi0_het": 4.0 });
    let truth = truth.as_object().unwrap();
    let fitted = json!({
        "v0": { "value": 404.0, "uncertainty": 2.0 },
        "beta": { "value": 0.7, "uncertainty": null },
        "phi0": { "value": 3.0, "uncertainty": 0.5 },
    });
    let errors = truth_errors(&fitted, truth);
    assert_eq!(errors["max_relative_error"], json!(0.25));
    assert_eq!(errors["max_relative_error_parameter"], json!("phi0_het"));
    assert_eq!(errors["worst_z"], json!(2.0));
    assert_eq!(errors["missing"], json!([]));
    // homodyne's spelling is the configuration's.
    let fitted = json!({ "v0": { "value": 400.0 }, "v_beta": { "value": 0.77 } });
    let errors = truth_errors(&fitted, truth);
    assert_eq!(errors["max_relative_error"], Value::Null);
    assert_eq!(errors["missing"], json!(["phi0_het"]));
    assert_eq!(errors["worst_z"], Value::Null);
}

#[test]
fn the_iterations_are_those_of_the_last_solve_in_the_log() {
    let log = "INFO:nlsq.least_squares:Convergence reason=`ftol` termination condition is \
               satisfied. | iterations=39 | final_cost=0.3563 | elapsed=9.447s\n\
               2026-12-07 14:27:45 | INFO | x | Iterations: 39\n\
               INFO:nlsq.least_squares:Convergence reason=`ftol` | iterations=294 | final\n\
               iterations:       0\n";
    assert_eq!(iterations_from_log(log), Some(294));
    assert_eq!(iterations_from_log("iterations: 12\n"), None);
}

#[test]
fn a_record_has_the_rms_residual_and_the_errors() {
    let parameters = json!({ "D0": { "value": 15060.0, "uncertainty": 60.0 } });
    let reported = Reported {
        converged: true,
        message: &json!("converged"),
        iterations: json!(4),
        fit_seconds: &json!(0.27),
        chi_squared: &json!(9.0),
        residuals: 3600.0,
        parameters: &parameters,
    };
    let truth = json!({ "truth": { "D0": 15000.0 } });
    let record = reported.record(Some(&truth));
    assert_eq!(record["rms_residual"], json!(0.05));
    assert_eq!(record["max_relative_error"], json!(0.004));
    assert_eq!(record["worst_z"], json!(1.0));
    assert_eq!(record["iterations"], json!(4));
    assert!(record["converged"].as_bool().unwrap());
}

#[test]
fn cpu_seconds_are_user_plus_system_from_the_last_line() {
    assert_eq!(cpu_seconds("12.50 0.75\n"), Some(13.25));
    assert_eq!(
        cpu_seconds("Command exited with non-zero status 2\n3.00 1.00\n"),
        Some(4.0)
    );
    assert_eq!(cpu_seconds("Command terminated by signal 9\n"), None);
    assert_eq!(cpu_seconds(""), None);
}

#[test]
fn exit_status_2_with_results_is_not_a_failure() {
    let record = json!({ "converged": false });
    let log = "2026-12-07 14:13:36 | ERROR    | xpcsjax.optimization.nlsq.core | Both failed\n";
    assert_eq!(
        xpcsjax_failure(Some("exit status 2: ".to_owned()), &record, log),
        None
    );
    assert_eq!(
        xpcsjax_failure(Some("exit status 2: ".to_owned()), &Value::Null, log),
        Some("exit status 2: Both failed".to_owned())
    );
    assert_eq!(
        xpcsjax_failure(Some("exit status 1: ".to_owned()), &record, ""),
        Some("exit status 1: ".to_owned())
    );
    assert_eq!(xpcsjax_failure(None, &record, log), None);
}

#[test]
fn the_laminar_configuration_gets_xpcsjax_keys_and_its_own_cache() {
    let yaml = "analysis_mode: \"laminar_flow\"\n\
                experimental_data:\n  data_file_name: \"laminar_3x500.h5\"\n  \
                cache_file_path: \"/old/cache\"\n\
                optimization:\n  nlsq:\n    anti_degeneracy:\n      per_angle_mode: \"individual\"\n";
    let text = xpcsjax_flavour(yaml, Path::new("/new/cache")).unwrap();
    assert!(
        text.contains("  cache_file_path: \"/new/cache\"\n"),
        "{text}"
    );
    assert!(!text.contains("/old/cache"), "{text}");
    assert!(
        text.contains("stratification:\n    enabled: false\n  nlsq:\n"),
        "{text}"
    );
    assert!(
        text.contains("    loss: linear\n    anti_degeneracy:\n      per_angle_mode"),
        "{text}"
    );
    assert!(text.contains("analysis_mode: \"laminar_flow\"\n"), "{text}");
    assert!(xpcsjax_flavour("analysis_mode: static\n", Path::new("/c")).is_err());
    let no_block = "cache_file_path: \"/old\"\noptimization:\n  method: nlsq\n";
    assert!(xpcsjax_flavour(no_block, Path::new("/c")).is_err());
}

#[test]
fn the_table_says_why_xpcsjax_did_not_run() {
    let mut bench = Bench::empty(super::super::mode::Mode::Full);
    let mut md = String::new();
    bench.xpcsjax_tables(&mut md);
    assert!(md.is_empty(), "{md}");
    bench
        .unavailable
        .insert(TOOL.to_owned(), "not run: make it".to_owned());
    bench.xpcsjax_tables(&mut md);
    assert!(md.contains("## Against xpcsjax"), "{md}");
    assert!(
        md.contains("| xpcsjax_laminar_3x500 | xpcsjax | not run: make it |"),
        "{md}"
    );
    assert!(
        md.contains("| xpcsjax_heterodyne_3x500 | homodyne xpcs | not run |"),
        "{md}"
    );
}

#[test]
fn the_table_shows_each_program_and_the_ratio() {
    let mut bench = Bench::empty(super::super::mode::Mode::Xpcsjax);
    let case = CASES[0].0;
    let rec = |seconds: f64, error: f64| {
        json!({
            "converged": true, "iterations": 4, "fit_seconds": seconds / 2.0,
            "max_relative_error": error, "max_relative_error_parameter": "D_offset",
            "worst_z": 1.25, "rms_residual": 0.005,
        })
    };
    for (tool, repeat, seconds, error) in [
        (OURS, 0, 0.5, 0.44),
        (TOOL, 0, 30.0, 0.45),
        (OURS, 1, 0.7, 0.44),
    ] {
        let mut record = rec(seconds, error);
        record["load_average"] = json!(1.5 + seconds / 30.0);
        // homodyne 1 CPU second a run, xpcsjax 2 per wall second.
        record["cpu_seconds"] = json!(if tool == TOOL { 2.0 * seconds } else { 1.5 });
        bench.runs.push(Run {
            tool: tool.to_owned(),
            case: case.to_owned(),
            size: POINTS,
            repeat,
            process_seconds: seconds,
            peak_rss_mb: Some(100.0),
            record,
            failure: None,
        });
    }
    assert_eq!(bench.xpcsjax_ratio(case), Some(50.0));
    assert_eq!(bench.xpcsjax_error(case, OURS), Some(0.44));
    let mut md = String::new();
    bench.xpcsjax_tables(&mut md);
    assert!(
        md.contains(&format!(
            "| {case} | xpcsjax | 30.000 s | 60.000 s | 15.000 s | 100 MB | 4 | ok | 5.0000000e-3 | 0.450 (D_offset) | 1.2 | 1 | **50.0x** (CPU 40.0x) |"
        )),
        "{md}"
    );
    assert!(
        md.contains("| xpcsjax_heterodyne_3x500 | xpcsjax | not run |"),
        "{md}"
    );
    assert!(
        md.contains("(1-minute load average 1.5 to 2.5 at the starts of these runs)"),
        "{md}"
    );
    assert!(md.contains("`cargo xtask bench --only xpcsjax`"), "{md}");
    // xpcsjax stopped at the time limit: the bound it gives.
    let last = bench.runs.iter_mut().find(|r| r.tool == TOOL).unwrap();
    last.failure = Some(format!("stopped at the time limit of {TIME_LIMIT_S} s"));
    let mut md = String::new();
    bench.xpcsjax_tables(&mut md);
    let bound = format!(
        "more than {:.0}x (xpcsjax stopped at {TIME_LIMIT_S} s) |",
        TIME_LIMIT_S as f64 / 0.5
    );
    assert!(md.contains(&bound), "{md}");
}

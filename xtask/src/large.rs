//! `cargo xtask bench-large` and `cargo xtask memory`: the LARGE and CHUNKED paths against
//! scipy and nlsq at 1e6 and 1e7 points, and peak memory at 1e7 points.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::workspace::{
    Result, ensure_venv_with, run, rustc_version, target_dir, workspace_root, write_report,
};

/// Point counts of `bench-large`.
const SIZES: [usize; 2] = [1_000_000, 10_000_000];
/// Goal: homodyne's whole fit at least this many times faster than the fastest competitor.
const GOAL_SPEEDUP: f64 = 10.0;
/// Goal: one iteration within this many times the model-and-Jacobian evaluation.
const GOAL_ITERATION: f64 = 2.0;
/// Goal: two threads at least this many times faster than one at 1e7 points.
const GOAL_THREADS: f64 = 1.6;
/// The competitors, as keyed in `bench/large_compare.py`'s report, with their labels.
const COMPETITORS: [(&str, &str); 4] = [
    ("scipy_trf_default", "scipy trf"),
    ("scipy_lm_default", "scipy lm"),
    ("nlsq_curve_fit", "nlsq curve_fit"),
    ("nlsq_curve_fit_large", "nlsq curve_fit_large"),
];

/// Runs `command` and returns its stdout, failing with its description unless it succeeds.
fn output(command: &mut Command) -> Result<String> {
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{command:?} failed: {}", out.status).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Builds the release examples `names` of the homodyne crate; returns their folder.
fn build_examples(root: &Path, names: &[&str]) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "-p", "homodyne"])
        .current_dir(root);
    for name in names {
        command.args(["--example", name]);
    }
    run(&mut command)?;
    Ok(target_dir(root)?.join("release").join("examples"))
}

fn seconds(value: &Value, what: &str) -> Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| format!("report without {what}").into())
}

fn format_time(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// The `cargo xtask bench-large` task.
pub fn bench_large() -> Result<()> {
    let root = workspace_root();
    let target = target_dir(&root)?;
    let data_dir = target.join("bench-data");
    std::fs::create_dir_all(&data_dir)?;
    let python = ensure_venv_with(&root, &target.join("pyvenv"), &["numpy", "scipy", "nlsq"])?;
    let examples = build_examples(&root, &["large_bench"])?;

    eprintln!("xtask: timing homodyne (example large_bench)");
    let sizes: Vec<String> = SIZES.iter().map(|n| n.to_string()).collect();
    let ours: Value = serde_json::from_str(&output(
        Command::new(examples.join("large_bench"))
            .arg(&data_dir)
            .arg("5")
            .args(&sizes)
            .current_dir(&root),
    )?)?;
    eprintln!("xtask: timing scipy and nlsq (bench/large_compare.py)");
    let theirs: Value = serde_json::from_str(&output(
        Command::new(&python)
            .arg(root.join("bench").join("large_compare.py"))
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--repeats")
            .arg("3")
            .arg("--sizes")
            .args(&sizes)
            .current_dir(&root),
    )?)?;

    let markdown = large_report(&ours, &theirs)?;
    write_report(&target.join("bench-large-report.md"), &markdown)
}

/// The markdown report of `bench-large`.
fn large_report(ours: &Value, theirs: &Value) -> Result<String> {
    let mut md = String::new();
    let threads = ours["threads"].as_u64().unwrap_or(0);
    writeln!(
        md,
        "# LARGE and CHUNKED paths: homodyne against scipy and nlsq\n\n\
         Model y = a exp(-b x) + c, x = linspace(0, 10, n), truth (2.5, 1.3, 0.5), noise 0.01 \
         from a fixed seed, p0 = (1, 1, 0); every program fits the same data files. homodyne: \
         `Fit::curve(..).run()` with `SolverOptions::default()` (tolerances 1e-15, strategy chosen by \
         size), hand-written Jacobian (`homodyne_testkit::example::Decay`), median of 5 fits after one \
         untimed fit. scipy: `least_squares` with the analytic Jacobian at its defaults \
         (tolerances 1e-8); nlsq: `curve_fit` and `curve_fit_large` at their defaults on the \
         CPU (JAX, automatic derivatives); median of 3 fits after one untimed fit (which \
         compiles nlsq's model).\n\n\
         homodyne threads: {threads}; {}; Python {}, numpy {}, scipy {}, nlsq {}, jax {} ({}).\n",
        rustc_version(),
        theirs["python"].as_str().unwrap_or("?"),
        theirs["numpy"].as_str().unwrap_or("?"),
        theirs["scipy"].as_str().unwrap_or("?"),
        theirs["sizes"][SIZES[0].to_string()]["nlsq_version"]
            .as_str()
            .unwrap_or("?"),
        theirs["sizes"][SIZES[0].to_string()]["jax_version"]
            .as_str()
            .unwrap_or("?"),
        theirs["sizes"][SIZES[0].to_string()]["jax_devices"]
            .as_array()
            .map(|d| d
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
    )?;

    writeln!(md, "## Whole fit\n")?;
    writeln!(
        md,
        "| n | homodyne trf | homodyne lm | {} | fastest other / homodyne trf | / homodyne lm |",
        COMPETITORS.map(|(_, l)| l).join(" | ")
    )?;
    writeln!(
        md,
        "|---:|---:|---:|{}---:|---:|",
        "---:|".repeat(COMPETITORS.len())
    )?;
    let mut worst_speedup = f64::INFINITY;
    for n in SIZES {
        let key = n.to_string();
        let o = &ours["sizes"][&key];
        let t = &theirs["sizes"][&key];
        let trf = seconds(&o["fit_trf"]["seconds"], "fit_trf")?;
        let lm = seconds(&o["fit_lm"]["seconds"], "fit_lm")?;
        let mut cells = Vec::new();
        let mut fastest = f64::INFINITY;
        for (k, _) in COMPETITORS {
            let s = seconds(&t[k]["seconds"], k)?;
            fastest = fastest.min(s);
            cells.push(format_time(s));
        }
        worst_speedup = worst_speedup.min(fastest / trf).min(fastest / lm);
        writeln!(
            md,
            "| {n} | {} | {} | {} | {:.1}x | {:.1}x |",
            format_time(trf),
            format_time(lm),
            cells.join(" | "),
            fastest / trf,
            fastest / lm
        )?;
    }
    writeln!(
        md,
        "\nGoal (whole fit at least {GOAL_SPEEDUP}x faster than the fastest of the others, at \
         every size, both methods): **{}** (smallest ratio {worst_speedup:.1}x).\n",
        if worst_speedup >= GOAL_SPEEDUP {
            "met"
        } else {
            "missed"
        }
    )?;

    writeln!(
        md,
        "scipy with homodyne's tolerances (1e-15, x_scale='jac'), for reference:\n"
    )?;
    writeln!(
        md,
        "| n | scipy trf | scipy lm | nlsq curve_fit (first call) | nlsq curve_fit_large (first call) |"
    )?;
    writeln!(md, "|---:|---:|---:|---:|---:|")?;
    for n in SIZES {
        let t = &theirs["sizes"][&n.to_string()];
        writeln!(
            md,
            "| {n} | {} | {} | {} | {} |",
            format_time(seconds(
                &t["scipy_trf_matched"]["seconds"],
                "scipy_trf_matched"
            )?),
            format_time(seconds(
                &t["scipy_lm_matched"]["seconds"],
                "scipy_lm_matched"
            )?),
            format_time(seconds(&t["nlsq_curve_fit"]["first"], "first")?),
            format_time(seconds(&t["nlsq_curve_fit_large"]["first"], "first")?),
        )?;
    }

    writeln!(
        md,
        "\n## One iteration against the model and its Jacobian alone\n"
    )?;
    writeln!(
        md,
        "An iteration of homodyne is one pass over the data computing values and Jacobian \
         (the trial point's linearisation is computed with its cost), so the time per \
         iteration is the fit's time over its Jacobian evaluations (njev).\n"
    )?;
    writeln!(
        md,
        "| n | method | fit | njev | per iteration | model + Jacobian alone | ratio |"
    )?;
    writeln!(md, "|---:|---|---:|---:|---:|---:|---:|")?;
    let mut worst_iteration: f64 = 0.0;
    for n in SIZES {
        let o = &ours["sizes"][&n.to_string()];
        let eval = seconds(&o["eval_jacobian"], "eval_jacobian")?;
        for method in ["trf", "lm"] {
            let fit = &o[format!("fit_{method}")];
            let s = seconds(&fit["seconds"], "seconds")?;
            let njev = fit["njev"].as_f64().ok_or("fit without njev")?;
            let per = s / njev;
            worst_iteration = worst_iteration.max(per / eval);
            writeln!(
                md,
                "| {n} | {method} | {} | {njev} | {} | {} | {:.2} |",
                format_time(s),
                format_time(per),
                format_time(eval),
                per / eval
            )?;
        }
    }
    writeln!(
        md,
        "\nGoal (per iteration within {GOAL_ITERATION}x of the evaluation): **{}** (largest ratio {worst_iteration:.2}).\n",
        if worst_iteration <= GOAL_ITERATION {
            "met"
        } else {
            "missed"
        }
    )?;

    writeln!(md, "## Threads\n")?;
    writeln!(
        md,
        "| n | method | 1 thread | {threads} threads | speed-up |"
    )?;
    writeln!(md, "|---:|---|---:|---:|---:|")?;
    let mut worst_threads = f64::INFINITY;
    for n in SIZES {
        let o = &ours["sizes"][&n.to_string()];
        for method in ["trf", "lm"] {
            let all = seconds(&o[format!("fit_{method}")]["seconds"], "seconds")?;
            let one = seconds(&o[format!("fit_{method}_1_thread")], "1 thread")?;
            if n == SIZES[SIZES.len() - 1] {
                worst_threads = worst_threads.min(one / all);
            }
            writeln!(
                md,
                "| {n} | {method} | {} | {} | {:.2}x |",
                format_time(one),
                format_time(all),
                one / all
            )?;
        }
    }
    writeln!(
        md,
        "\nGoal (at least {GOAL_THREADS}x from two threads at {} points): **{}** (smallest {worst_threads:.2}x).",
        SIZES[SIZES.len() - 1],
        if worst_threads >= GOAL_THREADS {
            "met"
        } else {
            "missed"
        }
    )?;
    Ok(md)
}

/// One row of the memory table: points, parameters, strategy.
const MEMORY_CASES: [(usize, usize, &str); 4] = [
    (10_000_000, 3, "chunked"),
    (10_000_000, 53, "chunked"),
    (10_000_000, 3, "standard"),
    (1_000, 3, "chunked"),
];
/// The acceptance bound above the data: 64 MB.
const MEMORY_SLACK: f64 = 64e6;

/// The `cargo xtask memory` task: peak RSS of the example `large_fit` under
/// `/usr/bin/time -v`, against the data size and the memory estimate.
pub fn memory() -> Result<()> {
    let root = workspace_root();
    let examples = build_examples(&root, &["large_fit"])?;
    let mut md = String::new();
    writeln!(
        md,
        "# Peak memory of a fit (example large_fit under /usr/bin/time -v)\n\n\
         Data x and y are 16 bytes a point; the bound is the data plus 64 MB. The estimate is \
         `homodyne_strategy::estimate_bytes` for the strategy used (unweighted, x_dim 1).\n\n\
         | points | parameters | strategy | fit time | peak RSS | data | data + 64 MB | within bound | estimate | measured / estimate |\n\
         |---:|---:|---|---:|---:|---:|---:|---|---:|---:|"
    )?;
    for (n, p, strategy) in MEMORY_CASES {
        eprintln!("xtask: large_fit {n} {p} {strategy}");
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(examples.join("large_fit"))
            .args([n.to_string(), p.to_string(), strategy.to_string()])
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run /usr/bin/time (is GNU time installed?): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "large_fit {n} {p} {strategy} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let stdout = String::from_utf8(out.stdout)?;
        let stderr = String::from_utf8(out.stderr)?;
        eprint!("{stdout}");
        let kib: f64 = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or("no maximum resident set size in /usr/bin/time's output")?;
        let rss = kib * 1024.0;
        let fit_time = stdout
            .split_whitespace()
            .skip_while(|w| *w != "fit")
            .nth(1)
            .unwrap_or("?")
            .to_string();
        let estimate: f64 = stdout
            .split("estimate ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .map(|mb| mb * 1e6)
            .ok_or("no estimate in large_fit's output")?;
        let data = 16.0 * n as f64;
        writeln!(
            md,
            "| {n} | {p} | {strategy} | {fit_time} s | {:.1} MB | {:.1} MB | {:.1} MB | {} | {:.1} MB | {:.2} |",
            rss / 1e6,
            data / 1e6,
            (data + MEMORY_SLACK) / 1e6,
            if rss <= data + MEMORY_SLACK {
                "yes"
            } else {
                "no"
            },
            estimate / 1e6,
            rss / estimate
        )?;
    }
    let path = target_dir(&root)?.join("memory-report.md");
    std::fs::write(&path, &md).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{md}");
    println!("(written to {})", path.display());
    Ok(())
}

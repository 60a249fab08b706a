//! `cargo xtask bench [--quick] [--baseline REV|none]`: every performance claim measured
//! in one command, side by side with the tools users would otherwise pick and with the
//! current release.
//!
//! A full run (about 30 minutes on 2 cores, of which about 19 are the xpcsjax rows, whose
//! two xpcsjax fits take 12 and 6 minutes; more the first time, when it makes its Python
//! environments and builds the baseline):
//! 0. **The baseline**: the `bench_case` of revision `REV` (default [`BASELINE_REV`], the
//!    last commit before issue 20's work), built from `git archive` under
//!    `target/bench-baseline/` with its own target folder (see [`revision`]; about 3
//!    minutes on an idle 2-core machine the first time, nothing after), before anything is
//!    timed.
//! 1. **Criterion benchmarks** of the crates: model evaluation per solver chunk
//!    (`homodyne-xpcs`, bench `model`), accumulation per chunk (`homodyne-solvers`,
//!    `kernels`), one solver iteration's linearisation pass (`homodyne`, `iteration`),
//!    checkpoint save (`homodyne-checkpoint`, `save`) and the overhead of validation and
//!    fault tolerance (`homodyne`, `fault_tolerance`).
//! 2. **End-to-end comparisons**, every run in its own process, under `/usr/bin/time` for
//!    the peak resident set size:
//!    - `y = a exp(-b x) + c` at 1e4 to 1e7 points: homodyne TRF and LM
//!      (`crates/homodyne/examples/bench_case.rs`) against scipy `least_squares` (TRF, exact
//!      Jacobian), scipy `curve_fit`, nlsq `curve_fit` and `curve_fit_large`
//!      (`bench/peers.py`), on the same data files;
//!    - the same fits by this build's `bench_case` and the baseline's, alternately, 7
//!      pairs a size (see [`release`]; about 30 s);
//!    - STREAMING from an HDF5 file against CHUNKED in memory at 1e7 points, 5
//!      alternating runs in one process of the example `streaming_hdf5` (see
//!      [`streaming`]; about 15 s);
//!    - the 12 NIST StRD problems from both starts: LRE and time per fit;
//!    - XPCS static 3 x 600 and laminar 3 x 500 (`bench/xpcs_compare/make_data.py`):
//!      `homodyne xpcs` against the Python homodyne package's command line, same file,
//!      configuration and start;
//!    - XPCS laminar 23 angles x 1001 frames: `homodyne xpcs --demo`, end to end and the
//!      time it reports for writing its outputs; the package is run only where its
//!      memory, projected from its laminar 3 x 500 run, fits the machine;
//!    - XPCS against xpcsjax 0.1.8 (issue 22; see [`xpcsjax`]): laminar 3 x 500 (the
//!      package comparison's file, its configuration copied with two keys only xpcsjax
//!      reads) and heterodyne 3 x 500 (`analysis_mode: two_component`, data made with
//!      xpcsjax's own model by `bench/xpcsjax_compare/make_het_data.py`): `homodyne xpcs`
//!      and xpcsjax's command line end to end, homodyne, xpcsjax, homodyne, with each
//!      program's error against the truth (xpcsjax takes minutes a fit: one run of it per
//!      case);
//!    - the Python package `homodyne_rs` (`crates/homodyne-py`, installed by pip into
//!      `target/pyvenv-bench`) at 1e6 and 1e7 points: its `curve_fit` with a numpy
//!      callable and with the formula string against scipy's `curve_fit` with the same
//!      callable (`bench/python_package.py`; see [`python_package`]): about 2 minutes on 2
//!      cores, plus the package's release build by pip (1 to 3 minutes when the crates
//!      changed).
//!
//!    Runs alternate between the tools (A, B, A, B, ...), and each ratio is the median of
//!    the per-repeat ratios, so a drifting machine does not bias it.
//! 3. **The report**: `target/bench-report/report.md`, `results.json` (every run, and the
//!    goals) and the plots `time_vs_points.png` and `memory_vs_points.png`; the report is
//!    also written to `BENCHMARKS.md` at the root, with the plots in `bench/plots/`. It
//!    opens with the speed goals of issue 20, each judged on this run (see [`goals`]).
//!
//! The Python environments are made on first use under `target/` with pinned versions:
//! `target/pyvenv-bench` (`bench/requirements-peers.txt`) and `target/pyvenv-homodyne`
//! (`bench/requirements-homodyne.txt`: homodyne 2.23.3, which needs Python 3.12); `--only
//! venvs` makes them ahead of a run. When one cannot be made, its tools are reported as
//! not run, with the reason, and the rest goes on; so is a baseline that cannot be built.
//! The venv of xpcsjax, `target/pyvenv-xpcsjax` (`bench/xpcsjax_compare/requirements.txt`:
//! xpcsjax 0.1.8, Python 3.12), is about 2.3 GB: a run does not make it, `--only venvs`
//! does; without it the xpcsjax rows say "not run" and how to make it.
//!
//! `--quick` (for CI, no Python and so no xpcsjax, no timing thresholds): every criterion
//! benchmark of the workspace once in test mode (`cargo test --workspace --benches`),
//! homodyne alone on the exponential model at 1e4 and 1e5 points, STREAMING against
//! CHUNKED at 1e5 points, the NIST problems and the XPCS demo, in the dev profile; no
//! baseline unless `--baseline
//! REV` asks for one (built in the dev profile, minutes the first time), the report
//! saying it was skipped. It fails when a benchmark breaks: a criterion benchmark that
//! fails, a fit that errors or does not converge, a NIST run below LRE 4, a STREAMING
//! comparison without its result line. Its report goes to `target/bench-report/quick.md`;
//! its goals are shown, not judged.
//!
//! `--only python`: the Python package's step alone (it installs `homodyne_rs` into
//! `target/pyvenv-bench`, making that venv first if needed, writes the data files at 1e6
//! and 1e7 points and runs the three tools); its report goes to
//! `target/bench-report/python.md` and `python.json`. `--only baseline` and `--only
//! streaming` run those comparisons alone (`baseline.md`, `streaming.md`). `--only
//! xpcsjax` runs the xpcsjax rows alone (`xpcsjax.md`, `xpcsjax.json`; builds `homodyne`,
//! and makes the laminar file with the Python package's venv where it is missing). None
//! of them touches `BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

use crate::workspace::{Result, run, target_dir, workspace_root};

mod criterion;
mod decay;
mod format;
mod goals;
mod machine;
mod measure;
mod mode;
mod nist;
mod python_package;
mod release;
mod report;
mod revision;
mod runs;
mod streaming;
mod venvs;
mod xpcs;
mod xpcsjax;

use decay::PEER_DECAY_TOOLS;
use machine::machine;
use measure::Bench;
pub use mode::{BASELINE_REV, Mode, Options};
use runs::Run;

/// The `cargo xtask bench` task, the whole suite or the part `options` names.
pub fn bench(options: Options) -> Result<()> {
    let mode = options.mode;
    if mode == Mode::Venvs {
        return venvs::make_venvs();
    }
    let quick = mode == Mode::Quick;
    let root = workspace_root();
    let target = target_dir(&root)?;
    let out = target.join("bench-report");
    std::fs::create_dir_all(&out)?;
    let data = target.join("bench-data");
    std::fs::create_dir_all(&data)?;
    let profile = if quick { "debug" } else { "release" };
    // What the mode runs: `bench_case` (the exponential model, NIST, the data files),
    // `streaming_hdf5` and the `homodyne` program.
    let targets: &[&str] = match mode {
        Mode::PythonPackage | Mode::Baseline => &["--example", "bench_case"],
        Mode::Streaming => &["--example", "streaming_hdf5"],
        Mode::Xpcsjax => &["--bin", "homodyne"],
        _ => &[
            "--example",
            "bench_case",
            "--example",
            "streaming_hdf5",
            "--bin",
            "homodyne",
        ],
    };
    eprintln!("xtask: building {} ({profile})", targets.join(" "));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // `--workspace`: the features of the dependencies unified as for `cargo test
    // --workspace`, so that a quick run after the test suite (as in CI) rebuilds nothing.
    let mut build = Command::new(&cargo);
    build.args(["build", "--workspace"]).args(targets);
    if !quick {
        build.arg("--release");
    }
    run(build.current_dir(&root))?;
    let bin = target.join(profile);
    let mut unavailable = BTreeMap::new();
    // The baseline is built before anything is timed, so that its build does not share
    // the machine with a measurement.
    let baseline = options.baseline.as_deref().and_then(|rev| {
        revision::build_bench_case(&root, &target, rev, mode.release())
            .inspect_err(|e| {
                eprintln!("xtask: no baseline: {e}");
                unavailable.insert(format!("baseline {rev}"), e.to_string());
            })
            .ok()
    });
    if mode == Mode::Baseline && baseline.is_none() {
        return Err("--only baseline: the baseline could not be built (above)".into());
    }
    let mut bench = Bench {
        bench_case: bin.join("examples").join("bench_case"),
        streaming_hdf5: bin.join("examples").join("streaming_hdf5"),
        baseline,
        homodyne_cli: bin.join("homodyne"),
        time_v: Command::new("/usr/bin/time")
            .args(["-f", "%M", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        timeout: Command::new("timeout")
            .args(["1", "true"])
            .status()
            .is_ok_and(|s| s.success()),
        root,
        out,
        data,
        mode,
        quick,
        runs: Vec::new(),
        unavailable,
        notes: Vec::new(),
    };
    if quick {
        let reason = "quick mode runs homodyne alone (no Python)".to_owned();
        let python_tools = ["python_homodyne", xpcsjax::TOOL]
            .into_iter()
            .chain(python_package::TOOLS);
        for tool in PEER_DECAY_TOOLS.into_iter().chain(python_tools) {
            bench.unavailable.insert(tool.to_owned(), reason.clone());
        }
        if options.baseline.is_none() {
            bench.unavailable.insert(
                "baseline".to_owned(),
                format!(
                    "quick mode skips the comparison with the current release ({BASELINE_REV}): \
                     its bench_case's own build takes minutes; `cargo xtask bench --quick \
                     --baseline {BASELINE_REV}` adds it"
                ),
            );
        }
    }
    let started = Instant::now();
    let criterion = if matches!(mode, Mode::Full | Mode::Quick) {
        bench.criterion()?
    } else {
        json!({ "targets": [], "estimates": [] })
    };
    let peers = if mode == Mode::Full || mode == Mode::PythonPackage {
        bench.peers_python()
    } else {
        None
    };
    match mode {
        Mode::PythonPackage => bench.python_package(peers.as_deref())?,
        Mode::Baseline => bench.against_release()?,
        Mode::Streaming => bench.streaming(),
        Mode::Xpcsjax => bench.xpcsjax(None)?,
        _ => {
            bench.decay(peers.as_deref())?;
            bench.against_release()?;
            bench.streaming();
            bench.nist(peers.as_deref())?;
            if !quick {
                bench.python_package(peers.as_deref())?;
            }
            let package = if quick { None } else { bench.package_python() };
            bench.xpcs(package.as_deref())?;
            if !quick {
                bench.xpcsjax(package.as_deref())?;
            }
        }
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let results = json!({
        "mode": mode.name(),
        "machine": machine(),
        "minutes": minutes,
        "goals": bench.goals_json(),
        "baseline": bench.baseline.as_ref().map(|b| json!({
            "requested": b.requested, "commit": b.commit, "build_seconds": b.build_seconds,
        })),
        "criterion": criterion,
        "unavailable": bench.unavailable,
        "notes": bench.notes,
        "runs": bench.runs.iter().map(Run::to_json).collect::<Vec<_>>(),
    });
    std::fs::write(
        bench.out.join(format!("{}.json", mode.file_stem())),
        serde_json::to_string_pretty(&results)?,
    )?;
    let report = bench.report(&criterion, minutes);
    let report_path = bench.out.join(match mode {
        Mode::Full => "report.md".to_owned(),
        other => format!("{}.md", other.file_stem()),
    });
    std::fs::write(&report_path, &report)?;
    if mode == Mode::Full {
        if let Some(python) = &peers {
            bench.plots(python)?;
        }
        bench.publish(&report)?;
    }
    println!("{report}");
    eprintln!("xtask: report written to {}", report_path.display());
    if quick {
        bench.check_quick(&criterion)?;
    }
    Ok(())
}

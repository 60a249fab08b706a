//! The Markdown report of a run: headline, every step's tables, what was not run and how
//! it measures; the plots, `BENCHMARKS.md`, and quick mode's verdict.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::criterion::criterion_table;
use super::decay::PEER_DECAY_TOOLS;
use super::format::{fmt_ratio, fmt_s, label, thousands};
use super::machine::machine;
use super::measure::Bench;
use super::mode::Mode;
use super::nist::{PEER_NIST_TOOLS, nist_counts};
use super::python_package;
use super::release::{self, RELEASE_CASE};
use super::runs::{Run, median, status_of};
use super::streaming;
use super::xpcs::{PACKAGE, XPCS_CASES};
use super::xpcsjax;
use crate::workspace::{Result, run};

/// The report's "How it measures" lines of the exponential model, NIST and XPCS steps.
const HOW_THE_SUITE_MEASURES: &str = "- Exponential model: the fit call alone, timed by each tool around it (for nlsq \
             that includes compiling the model, which a fresh process pays every run); \
             `process` is the whole process, imports included. Data: \
             `homodyne_testkit::example::decay` with noise 0.01, from `p0 = (1, 1, 0)`; error is the \
             largest relative error of a parameter against the truth (2.5, 1.3, 0.5).\n\
             - NIST: each fit once untimed, then the median of 5; LRE against the certified \
             values, capped at 11. homodyne uses exact derivatives (dual numbers); scipy at \
             its defaults uses forward differences; nlsq differentiates with JAX, and \
             `nlsq.curve_fit` compiles the model again on every call, which is most of its \
             time per fit here.\n\
             - XPCS: both programs' whole command, end to end (loading the HDF5 file, fitting, \
             writing results), same configuration file and start; the caches are removed \
             before each run. `largest error` is the largest distance of a physical \
             parameter from the truth the data were made with, in the run's own standard \
             errors. The 23 x 1001 case is `homodyne xpcs --demo` (data made in memory, \
             included in its time). `output writing` is the time the program reports for \
             writing its result files and plots.\n";

impl Bench {
    /// The Markdown report.
    pub(super) fn report(&self, criterion: &Value, minutes: f64) -> String {
        let mut md = String::new();
        let m = machine();
        let _ = writeln!(md, "# homodyne benchmarks ({} run)\n", self.mode.name());
        let _ = writeln!(
            md,
            "Machine: {} ({} cores, {:.0} GB); {}; homodyne at git {}; {}; {:.1} minutes in all.",
            m["cpu"].as_str().unwrap_or("?"),
            m["cores"],
            m["memory_gb"].as_f64().unwrap_or(f64::NAN),
            m["rustc"].as_str().unwrap_or("?"),
            m["git"].as_str().unwrap_or("?"),
            m["date"].as_str().unwrap_or("?"),
            minutes
        );
        if self.quick {
            md.push_str(
                "\nQuick mode: homodyne alone, the dev profile, one run each. The times are \
                 not comparable with a full run's; the run checks that every benchmark works.\n",
            );
        }
        if !matches!(self.mode, Mode::Full | Mode::Quick) {
            let _ = writeln!(
                md,
                "\nOne step alone ({}), in the release profile; the full run's other sections \
                 are not in this report.",
                self.mode.name()
            );
        }
        let versions = self.peer_versions();
        if !versions.is_empty() {
            let _ = writeln!(md, "Peers: {versions}.");
        }
        self.goals_table(&mut md);
        if !matches!(self.mode, Mode::Baseline | Mode::Streaming) {
            self.headline(&mut md);
        }
        self.decay_tables(&mut md);
        self.release_table(&mut md);
        self.streaming_table(&mut md);
        self.python_package_tables(&mut md);
        self.nist_tables(&mut md);
        self.xpcs_tables(&mut md);
        self.xpcsjax_tables(&mut md);
        criterion_table(&mut md, criterion);
        let unfitted = self.unfitted_notes();
        if !unfitted.is_empty() {
            md.push('\n');
            for note in unfitted {
                let _ = writeln!(md, "- {note}");
            }
        }
        if !self.unavailable.is_empty() || !self.notes.is_empty() {
            md.push_str("\n## Not run\n\n");
            for (tool, reason) in &self.unavailable {
                let _ = writeln!(md, "- {tool}: {reason}");
            }
            for note in &self.notes {
                let _ = writeln!(md, "- {note}");
            }
        }
        md.push_str(
            "\n## How it measures\n\n\
             - Every end-to-end run is its own process; the peak resident set size is \
             `/usr/bin/time`'s. Runs alternate between tools, and a ratio is the median of \
             the per-repeat ratios (peer time / homodyne time: above 1, homodyne is faster).\n",
        );
        if matches!(self.mode, Mode::Full | Mode::Quick) {
            md.push_str(HOW_THE_SUITE_MEASURES);
        }
        if self.runs.iter().any(|r| r.case == RELEASE_CASE) {
            md.push_str(release::HOW_IT_MEASURES);
        }
        if self.streaming_run().is_some() {
            md.push_str(streaming::HOW_IT_MEASURES);
        }
        if self.runs.iter().any(|r| r.case == python_package::CASE) {
            md.push_str(python_package::HOW_IT_MEASURES);
        }
        if self.runs.iter().any(|r| r.tool == xpcsjax::TOOL) {
            md.push_str(xpcsjax::HOW_IT_MEASURES);
        }
        md
    }

    fn peer_versions(&self) -> String {
        let mut versions = BTreeMap::new();
        for r in &self.runs {
            if let Some(v) = r.record["versions"].as_object() {
                for (k, v) in v {
                    if let Some(v) = v.as_str() {
                        versions.insert(k.clone(), v.to_owned());
                    }
                }
            }
        }
        if self.runs.iter().any(|r| r.tool == "python_homodyne") {
            versions.insert(
                "homodyne (Python)".to_owned(),
                PACKAGE.trim_start_matches("homodyne==").to_owned(),
            );
        }
        if self.runs.iter().any(|r| r.tool == xpcsjax::TOOL) {
            versions.insert(
                "xpcsjax".to_owned(),
                xpcsjax::XPCSJAX.trim_start_matches("xpcsjax==").to_owned(),
            );
        }
        versions
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "homodyne" | "homodyne_rs"))
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The headline: homodyne TRF against each peer at the largest size, the NIST score
    /// and the XPCS ratios.
    fn headline(&self, md: &mut String) {
        md.push_str(
            "\n## Headline\n\n| case | homodyne | peer | peer / homodyne |\n|---|---:|---|---:|\n",
        );
        if let Some(&n) = self.decay_keys().iter().map(|(_, n)| n).max() {
            let ours = median(
                self.decay_runs("homodyne_trf", n)
                    .iter()
                    .filter_map(|r| r.seconds()),
            );
            for tool in PEER_DECAY_TOOLS {
                let runs = self.decay_runs(tool, n);
                if runs.is_empty() {
                    continue;
                }
                let theirs = median(runs.iter().filter_map(|r| r.seconds()));
                let ratio = self.pairwise_ratio("decay", n, "homodyne_trf", tool, Run::seconds);
                let _ = writeln!(
                    md,
                    "| exponential, {} points, fit | {} | {}: {} | {} |",
                    thousands(n),
                    fmt_s(ours),
                    label(tool),
                    fmt_s(theirs).replace("n/a", status_of(&runs).as_str()),
                    fmt_ratio(ratio)
                );
            }
        }
        self.python_package_headline(md);
        for (case, points) in XPCS_CASES {
            let ratio =
                self.pairwise_ratio(case, points, "homodyne_xpcs", "python_homodyne", |r| {
                    Some(r.process_seconds)
                });
            if ratio.is_some() {
                let ours = median(
                    self.xpcs_runs(case, "homodyne_xpcs")
                        .iter()
                        .map(|r| r.process_seconds),
                );
                let theirs = median(
                    self.xpcs_runs(case, "python_homodyne")
                        .iter()
                        .map(|r| r.process_seconds),
                );
                let _ = writeln!(
                    md,
                    "| XPCS {case}, end to end | {} | Python homodyne: {} | {} |",
                    fmt_s(ours),
                    fmt_s(theirs),
                    fmt_ratio(ratio)
                );
            }
        }
        for (case, _) in xpcsjax::CASES {
            if let Some(ratio) = self.xpcsjax_ratio(case) {
                let _ = writeln!(
                    md,
                    "| XPCS {case}, end to end | {} | xpcsjax: {} | {} |",
                    fmt_s(self.xpcsjax_seconds(case, xpcsjax::OURS)),
                    fmt_s(self.xpcsjax_seconds(case, xpcsjax::TOOL)),
                    fmt_ratio(Some(ratio))
                );
            }
        }
        for tool in ["homodyne_trf", "homodyne_lm"]
            .iter()
            .chain(PEER_NIST_TOOLS.iter())
        {
            if let Some(run) = self
                .runs
                .iter()
                .find(|r| r.case == "nist" && r.tool == *tool)
            {
                let (six, four, total) = nist_counts(run);
                let _ = writeln!(
                    md,
                    "| NIST StRD, runs at LRE >= 6 (>= 4) of {total} | | {}: {six} ({four}) | |",
                    label(tool)
                );
            }
        }
    }

    /// The plots of the exponential model's time and memory against points.
    pub(super) fn plots(&mut self, python: &Path) -> Result<()> {
        let mut rows = Vec::new();
        for (tool, n) in self.decay_keys() {
            let runs = self.decay_runs(&tool, n);
            rows.push(json!({
                "tool": label(&tool),
                "n": n,
                "median_seconds": median(runs.iter().filter_map(|r| r.seconds())),
                "median_peak_rss_mb": median(runs.iter().filter_map(|r| r.peak_rss_mb)),
                "status": status_of(&runs),
            }));
        }
        let input = self.out.join("plot_input.json");
        std::fs::write(
            &input,
            serde_json::to_string_pretty(&json!({ "decay": rows }))?,
        )?;
        run(Command::new(python)
            .arg(self.root.join("bench").join("plot_report.py"))
            .arg(&input)
            .arg(&self.out))
    }

    /// `BENCHMARKS.md` at the root and the plots in `bench/plots/`.
    pub(super) fn publish(&self, report: &str) -> Result<()> {
        let plots = self.root.join("bench").join("plots");
        std::fs::create_dir_all(&plots)?;
        for name in ["time_vs_points.png", "memory_vs_points.png"] {
            let from = self.out.join(name);
            if from.exists() {
                std::fs::copy(&from, plots.join(name))?;
            }
        }
        let text = format!(
            "# Benchmarks\n\nThe latest full run of `cargo xtask bench` (how it measures: \
             `xtask/src/suite.rs`). To reproduce on your machine: `cargo xtask bench` (about \
             30 minutes on 2 cores, 19 of them the xpcsjax rows; on first use it makes its \
             Python environments and builds the baseline revision's benchmark program under \
             `target/`; xpcsjax's environment is made by `cargo xtask bench --only venvs`) or `cargo xtask bench --quick` (homodyne alone, no Python, a few minutes). \
             Every figure below is from one run; the raw runs are in \
             `target/bench-report/results.json`.\n\n![fit time against points](bench/plots/time_vs_points.png)\n\n\
             ![peak memory against points](bench/plots/memory_vs_points.png)\n\n{}",
            report.replacen("# ", "## ", 1)
        );
        std::fs::write(self.root.join("BENCHMARKS.md"), text)?;
        Ok(())
    }

    /// Quick mode's verdict: every benchmark ran and every fit converged.
    pub(super) fn check_quick(&self, criterion: &Value) -> Result<()> {
        let mut broken = Vec::new();
        for target in criterion["targets"].as_array().into_iter().flatten() {
            if target["ok"].as_bool() != Some(true) {
                broken.push(format!(
                    "criterion {} {}",
                    target["package"], target["bench"]
                ));
            }
        }
        for run in &self.runs {
            if !run.converged() {
                broken.push(format!(
                    "{} {} {}: {}",
                    run.tool,
                    run.case,
                    run.size,
                    run.failure
                        .clone()
                        .unwrap_or_else(|| format!("not converged ({})", run.record["message"]))
                ));
            }
            if run.case == "nist" {
                for r in run.record["results"].as_array().into_iter().flatten() {
                    if r["lre"].as_f64().is_none_or(|l| l < 4.0) {
                        broken.push(format!(
                            "{} NIST {} start {}: LRE {}",
                            run.tool, r["problem"], r["start"], r["lre"]
                        ));
                    }
                }
            }
        }
        if broken.is_empty() {
            eprintln!("xtask: quick benchmark run: every benchmark ran");
            Ok(())
        } else {
            Err(format!("broken benchmarks:\n  {}", broken.join("\n  ")).into())
        }
    }
}

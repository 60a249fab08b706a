//! This build against the baseline revision (by default [`BASELINE_REV`], "the current
//! release" of issue 20): both `bench_case` programs fit the exponential model on the same
//! data files, alternately (this build's TRF, the baseline's TRF, this build's LM, the
//! baseline's LM, repeated), and each ratio is the median of the per-repeat ratios.
//!
//! [`BASELINE_REV`]: super::mode::BASELINE_REV

use std::fmt::Write as _;

use super::decay::decay_sizes;
use super::format::{fmt_count, fmt_s, thousands};
use super::measure::{Bench, strings};
use super::runs::{Key, Run, last_record, median, status_of};
use crate::workspace::Result;

/// The report's "How it measures" line of this step.
pub(super) const HOW_IT_MEASURES: &str = "- This build against the baseline revision: the \
     revision's `bench_case` built in the same run from `git archive` of the revision \
     (`xtask/src/suite/revision.rs`, its own target folder `target/bench-baseline/target`), \
     both programs fitting the same data files alternately, each fit in its own process, 7 \
     pairs a size (1 in a quick run); the fit call alone is timed, by each program.\n";

/// The case of these runs in `results.json`.
pub(super) const RELEASE_CASE: &str = "decay_release";
/// Alternating pairs at each size in a full run (one in a quick run).
const RELEASE_REPEATS: usize = 7;
/// Each method: this build's tool, the baseline's.
pub(super) const RELEASE_TOOLS: [(&str, &str); 2] = [
    ("homodyne_trf", "baseline_trf"),
    ("homodyne_lm", "baseline_lm"),
];

/// The arguments of a fit of the data file `data` with `method` by the baseline's
/// `bench_case`: its command line at [`BASELINE_REV`](super::mode::BASELINE_REV), `decay
/// --method trf|lm --data FILE`, whose last line of stdout is a JSON record with
/// `fit_seconds`, `nfev`, `njev`, `iterations`, `parameters`, `converged`. Written out
/// here rather than shared with this build's call, so that a later change of this build's
/// command line still drives the baseline's.
fn baseline_args(method: &str, data: &str) -> Vec<String> {
    strings(&["decay", "--method", method, "--data", data])
}

/// The same fit by this build's `bench_case`.
fn current_args(method: &str, data: &str) -> Vec<String> {
    strings(&["decay", "--method", method, "--data", data])
}

impl Bench {
    /// Both programs at every size of the exponential model, alternately; nothing
    /// without a baseline. When the baseline's first fit fails (its `bench_case` refuses
    /// the arguments, say), the comparison stops with a note saying why.
    pub(super) fn against_release(&mut self) -> Result<()> {
        let Some(baseline) = self.baseline.clone() else {
            return Ok(());
        };
        let repeats = if self.quick { 1 } else { RELEASE_REPEATS };
        for &n in decay_sizes(self.quick) {
            let data = self.write_decay(n)?.to_string_lossy().into_owned();
            for repeat in 0..repeats {
                for (ours, theirs) in RELEASE_TOOLS {
                    let method = ours.trim_start_matches("homodyne_");
                    let bench_case = self.bench_case.clone();
                    let key = |tool| Key {
                        tool,
                        case: RELEASE_CASE,
                        size: n,
                        repeat,
                    };
                    self.measure(
                        key(ours),
                        &bench_case,
                        &current_args(method, &data),
                        None,
                        None,
                    );
                    let args = baseline_args(method, &data);
                    let run = self.measure(key(theirs), &baseline.bench_case, &args, None, None);
                    if let Some(failure) =
                        run.failure.filter(|_| self.release_runs(theirs).len() == 1)
                    {
                        self.notes.push(format!(
                            "against {}: stopped, its bench_case fails `{}`: {failure}",
                            baseline.label(),
                            args.join(" ")
                        ));
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// The runs of `tool` in the comparison with the baseline, every size.
    fn release_runs(&self, tool: &str) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|r| r.case == RELEASE_CASE && r.tool == tool)
            .collect()
    }

    /// The medians of `tool`'s fit time at `n` points in the comparison.
    pub(super) fn release_seconds(&self, tool: &str, n: usize) -> Option<f64> {
        let runs = self.release_runs(tool);
        median(
            runs.iter()
                .filter(|r| r.size == n)
                .filter_map(|r| r.seconds()),
        )
    }

    /// The median over repeats of the baseline's fit time over this build's, `method`
    /// (`"trf"` or `"lm"`) at `n` points: above 1, this build is faster.
    pub(super) fn release_ratio(&self, method: &str, n: usize) -> Option<f64> {
        let (ours, theirs) = (format!("homodyne_{method}"), format!("baseline_{method}"));
        self.pairwise_ratio(RELEASE_CASE, n, &ours, &theirs, Run::seconds)
    }

    /// The table of the comparison, or, without a baseline, why there is none.
    pub(super) fn release_table(&self, md: &mut String) {
        let Some(baseline) = &self.baseline else {
            return;
        };
        let label = baseline.label();
        let _ = writeln!(
            md,
            "\n## This build against {label}\n\n\
             The exponential model's fit by this build's `bench_case` and by the one of \
             {label} (built, or found up to date, in this run: {:.0} s), alternately on the same data files; \
             `ratio` is the median of the per-repeat ratios {label} / this build (above 1, \
             this build is faster).\n\n\
             | points | method | {label} | this build | ratio | iterations / nfev / njev, {label} | this build | status |\n\
             |---:|---|---:|---:|---:|---:|---:|---|",
            baseline.build_seconds
        );
        let counts = |runs: &[&Run]| {
            let record = last_record(runs);
            format!(
                "{} / {} / {}",
                fmt_count(&record["iterations"]),
                fmt_count(&record["nfev"]),
                fmt_count(&record["njev"])
            )
        };
        for &n in decay_sizes(self.quick) {
            for (ours, theirs) in RELEASE_TOOLS {
                let at = |tool: &str| -> Vec<&Run> {
                    let runs = self.release_runs(tool);
                    runs.into_iter().filter(|r| r.size == n).collect()
                };
                let (our_runs, their_runs) = (at(ours), at(theirs));
                if our_runs.is_empty() {
                    continue;
                }
                let method = ours.trim_start_matches("homodyne_");
                let both: Vec<&Run> = our_runs.iter().chain(&their_runs).copied().collect();
                let _ = writeln!(
                    md,
                    "| {} | {method} | {} | {} | {} | {} | {} | {} |",
                    thousands(n),
                    fmt_s(self.release_seconds(theirs, n)),
                    fmt_s(self.release_seconds(ours, n)),
                    self.release_ratio(method, n)
                        .map_or_else(|| "n/a".to_owned(), |r| format!("**{r:.2}x**")),
                    counts(&their_runs),
                    counts(&our_runs),
                    status_of(&both)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::suite::mode::Mode;
    use crate::suite::revision::Revision;

    fn run(tool: &str, n: usize, repeat: usize, seconds: f64) -> Run {
        Run {
            tool: tool.to_owned(),
            case: RELEASE_CASE.to_owned(),
            size: n,
            repeat,
            process_seconds: seconds + 0.1,
            peak_rss_mb: None,
            record: json!({
                "fit_seconds": seconds, "converged": true, "iterations": 6, "nfev": 7,
                "njev": 6,
            }),
            failure: None,
        }
    }

    #[test]
    fn the_ratio_is_the_median_of_per_repeat_ratios_baseline_over_this_build() {
        let mut bench = Bench::empty(Mode::Full);
        bench.baseline = Some(Revision {
            requested: "1b6ab2e".to_owned(),
            commit: "1b6ab2e".to_owned(),
            bench_case: PathBuf::from("/nonexistent"),
            build_seconds: 150.0,
        });
        // Repeat 1 is slow for both (a busy machine): the per-repeat ratio ignores it.
        for (repeat, slow) in [(0, 1.0), (1, 4.0), (2, 1.0)] {
            bench
                .runs
                .push(run("homodyne_trf", 10_000_000, repeat, 0.1 * slow));
            bench
                .runs
                .push(run("baseline_trf", 10_000_000, repeat, 0.15 * slow));
        }
        let ratio = bench.release_ratio("trf", 10_000_000).expect("paired runs");
        assert!((ratio - 1.5).abs() < 1e-12, "{ratio}");
        assert_eq!(bench.release_ratio("lm", 10_000_000), None);
        let mut md = String::new();
        bench.release_table(&mut md);
        assert!(md.contains("## This build against git 1b6ab2e"), "{md}");
        assert!(
            md.contains(
                "| 10,000,000 | trf | 150.00 ms | 100.00 ms | **1.50x** | 6 / 7 / 6 | 6 / 7 / 6 | ok |"
            ),
            "{md}"
        );
    }

    #[test]
    fn without_a_baseline_there_is_no_comparison() {
        let mut bench = Bench::empty(Mode::Quick);
        bench.against_release().expect("nothing to run");
        assert!(bench.runs.is_empty());
        let mut md = String::new();
        bench.release_table(&mut md);
        assert!(md.is_empty());
    }
}

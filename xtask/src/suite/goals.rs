//! The speed goals of issues 20 and 22, each judged on this run's measurements: the
//! report's first section ("Speed goals").
//!
//! - the exponential model at 1e7 points: homodyne TRF at least 20x faster than the
//!   fastest of scipy `curve_fit`, scipy `least_squares` (TRF, analytic Jacobian) and nlsq
//!   `curve_fit_large`, and at least 1.4x faster than the baseline revision;
//! - `homodyne xpcs --demo --angles 23 --frames 1001`: at most 5 s end to end, of which
//!   at most 1 s writing the outputs;
//! - STREAMING from an HDF5 file at 1e7 points at most 1.25x CHUNKED in memory;
//! - issue 22: `homodyne xpcs` at least 20x faster than xpcsjax end to end on each case
//!   of the xpcsjax rows (laminar and heterodyne 3 x 500), and at least its accuracy: an
//!   rms residual at most xpcsjax's (both fit the same sum of squares; see
//!   [`ACCURACY_SLACK`]), the errors against the truth reported beside it.
//!
//! A goal is judged only on what it names (full size, release profile); otherwise the
//! section says why it is not.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::format::{fmt_s, label};
use super::measure::Bench;
use super::mode::Mode;
use super::runs::{Run, median};
use super::streaming::STREAMING_POINTS;
use super::xpcs::large_xpcs_case;
use super::xpcsjax::{self, ACCURACY_SLACK};

/// The points the exponential model's goals are judged at.
const GOAL_POINTS: usize = 10_000_000;
/// The peers of the exponential model's goal.
const GOAL_PEERS: [&str; 3] = ["scipy_curve_fit", "scipy_trf", "nlsq_curve_fit_large"];
/// homodyne TRF against the fastest of [`GOAL_PEERS`], at least.
const PEER_GOAL: f64 = 20.0;
/// The baseline's fit time over this build's, at least.
const RELEASE_GOAL: f64 = 1.4;
/// The large XPCS case end to end, at most, seconds.
const XPCS_GOAL_S: f64 = 5.0;
/// Its output writing, at most, seconds.
const OUTPUT_GOAL_S: f64 = 1.0;
/// STREAMING over CHUNKED, at most.
const STREAMING_GOAL: f64 = 1.25;
/// xpcsjax's end-to-end time over homodyne's, at least.
const XPCSJAX_GOAL: f64 = 20.0;

/// One goal as judged on this run.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Goal {
    /// What is measured.
    pub(super) what: String,
    /// The goal, in words.
    pub(super) goal: String,
    /// The figure measured, in words; empty when not measured.
    pub(super) measured: String,
    /// Met, missed, or why it is not judged.
    pub(super) verdict: Verdict,
}

/// Whether a goal holds on this run.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Verdict {
    Met,
    Missed,
    /// Not judged, with the reason.
    NotJudged(String),
}

impl Verdict {
    /// `Met` when `holds`, else `Missed`.
    fn of(holds: bool) -> Self {
        if holds { Self::Met } else { Self::Missed }
    }

    fn words(&self) -> String {
        match self {
            Self::Met => "**met**".to_owned(),
            Self::Missed => "**missed**".to_owned(),
            Self::NotJudged(why) => format!("not judged: {why}"),
        }
    }
}

impl Bench {
    /// The reason no goal is judged in this mode, if any.
    fn unjudged(&self) -> Option<String> {
        self.quick
            .then(|| "quick mode (dev profile, small sizes, no peers)".to_owned())
    }

    /// Every goal, in the report's order.
    pub(super) fn goals(&self) -> Vec<Goal> {
        vec![
            self.peer_goal(),
            self.release_goal(),
            self.xpcs_goal(),
            self.output_goal(),
            self.streaming_goal(),
        ]
    }

    /// The goals of issue 22: one per case of the xpcsjax rows.
    pub(super) fn xpcsjax_goals(&self) -> Vec<Goal> {
        xpcsjax::CASES
            .iter()
            .map(|&(case, _)| self.xpcsjax_goal(case))
            .collect()
    }

    /// Every goal of the report: issue 20's, then issue 22's.
    fn all_goals(&self) -> Vec<Goal> {
        let mut goals = self.goals();
        goals.extend(self.xpcsjax_goals());
        goals
    }

    /// `homodyne xpcs` against xpcsjax on `case`: at least [`XPCSJAX_GOAL`]x faster end
    /// to end, and at least as accurate.
    fn xpcsjax_goal(&self, case: &str) -> Goal {
        let what = format!(
            "XPCS {case}: homodyne xpcs against xpcsjax 0.1.8, end to end, same file, \
             configuration and start"
        );
        let goal = format!(
            "at least {XPCSJAX_GOAL}x faster, and at least its accuracy: an rms residual (the \
             same sum of squares) at most xpcsjax's"
        );
        let ratio = self.xpcsjax_ratio(case);
        let rms = (
            self.xpcsjax_rms(case, xpcsjax::OURS),
            self.xpcsjax_rms(case, xpcsjax::TOOL),
        );
        let (measured, verdict) = match (ratio, rms) {
            (Some(ratio), (Some(ours), Some(theirs))) => (
                format!(
                    "{ratio:.1}x (homodyne {}, xpcsjax {}); rms residual {ours:.8e} against \
                     {theirs:.8e}{}",
                    fmt_s(self.xpcsjax_seconds(case, xpcsjax::OURS)),
                    fmt_s(self.xpcsjax_seconds(case, xpcsjax::TOOL)),
                    match (
                        self.xpcsjax_error(case, xpcsjax::OURS),
                        self.xpcsjax_error(case, xpcsjax::TOOL)
                    ) {
                        (Some(a), Some(b)) => format!(
                            "; largest relative error against the truth {a:.3} against {b:.3}"
                        ),
                        _ => String::new(),
                    }
                ),
                Verdict::of(ratio >= XPCSJAX_GOAL && ours <= theirs * ACCURACY_SLACK),
            ),
            _ => (
                String::new(),
                Verdict::NotJudged(self.unjudged().unwrap_or_else(|| {
                    "no converged runs of both programs with their errors (see Against xpcsjax)"
                        .to_owned()
                })),
            ),
        };
        judged(self, &what, goal, measured, verdict)
    }

    /// homodyne TRF against the fastest peer at 1e7 points.
    fn peer_goal(&self) -> Goal {
        let what = "Exponential model, 10,000,000 points: homodyne against the fastest of \
                    scipy curve_fit, scipy least_squares (trf, analytic Jacobian) and nlsq \
                    curve_fit_large";
        let goal = format!("at least {PEER_GOAL}x faster");
        let fastest = GOAL_PEERS
            .iter()
            .filter_map(|&tool| {
                let runs = self.decay_runs(tool, GOAL_POINTS);
                median(runs.iter().filter_map(|r| r.seconds())).map(|s| (tool, s))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let ours = median(
            self.decay_runs("homodyne_trf", GOAL_POINTS)
                .iter()
                .filter_map(|r| r.seconds()),
        );
        let ratio = fastest.and_then(|(tool, _)| {
            self.pairwise_ratio("decay", GOAL_POINTS, "homodyne_trf", tool, Run::seconds)
        });
        let (measured, verdict) = match (fastest, ours, ratio) {
            (Some((tool, theirs)), Some(ours), Some(ratio)) => (
                format!(
                    "{ratio:.1}x (homodyne {}, {} {})",
                    fmt_s(Some(ours)),
                    label(tool),
                    fmt_s(Some(theirs))
                ),
                Verdict::of(ratio >= PEER_GOAL),
            ),
            _ => (
                String::new(),
                Verdict::NotJudged(self.unjudged().unwrap_or_else(|| {
                    "no converged runs of homodyne and a peer at 10,000,000 points (see Not run)"
                        .to_owned()
                })),
            ),
        };
        judged(self, what, goal, measured, verdict)
    }

    /// This build against the baseline revision at 1e7 points, TRF.
    fn release_goal(&self) -> Goal {
        let label = self
            .baseline
            .as_ref()
            .map_or_else(|| "the baseline revision".to_owned(), |b| b.label());
        let what = format!(
            "Exponential model, 10,000,000 points, trf: this build against the current \
             release ({label})"
        );
        let goal = format!("at least {RELEASE_GOAL}x faster");
        let (ours, theirs) = (
            self.release_seconds("homodyne_trf", GOAL_POINTS),
            self.release_seconds("baseline_trf", GOAL_POINTS),
        );
        let (measured, verdict) = match (self.release_ratio("trf", GOAL_POINTS), ours, theirs) {
            (Some(ratio), Some(ours), Some(theirs)) => (
                format!(
                    "{ratio:.2}x ({label} {}, this build {})",
                    fmt_s(Some(theirs)),
                    fmt_s(Some(ours))
                ),
                Verdict::of(ratio >= RELEASE_GOAL),
            ),
            _ => (
                String::new(),
                Verdict::NotJudged(match &self.baseline {
                    None if self.quick => "quick mode runs no baseline (`--quick --baseline REV` \
                                           adds it)"
                        .to_owned(),
                    None => "no baseline was built (`--baseline none`, or its build failed: \
                             see Not run)"
                        .to_owned(),
                    Some(_) => self.unjudged().unwrap_or_else(|| {
                        "no paired runs at 10,000,000 points (see Not run)".to_owned()
                    }),
                }),
            ),
        };
        judged(self, &what, goal, measured, verdict)
    }

    /// The runs of the large XPCS case.
    fn large_xpcs_runs(&self) -> Vec<&Run> {
        self.xpcs_runs(&large_xpcs_case(), "homodyne_xpcs")
            .into_iter()
            .filter(|r| r.failure.is_none())
            .collect()
    }

    /// The large XPCS case end to end.
    fn xpcs_goal(&self) -> Goal {
        let seconds = median(self.large_xpcs_runs().iter().map(|r| r.process_seconds));
        self.xpcs_seconds_goal("end to end", XPCS_GOAL_S, seconds)
    }

    /// The large XPCS case's output writing.
    fn output_goal(&self) -> Goal {
        let runs = self.large_xpcs_runs();
        let seconds = median(
            runs.iter()
                .filter_map(|r| r.record["output_seconds"].as_f64()),
        );
        self.xpcs_seconds_goal("writing the outputs", OUTPUT_GOAL_S, seconds)
    }

    fn xpcs_seconds_goal(&self, part: &str, bound: f64, seconds: Option<f64>) -> Goal {
        let what = format!(
            "XPCS laminar 23 x 1001 (`homodyne xpcs --demo --angles 23 --frames 1001`), {part}"
        );
        let goal = format!("at most {bound} s");
        let (measured, verdict) = match seconds {
            Some(s) => (fmt_s(Some(s)), Verdict::of(s <= bound)),
            None => (
                String::new(),
                Verdict::NotJudged(self.unjudged().unwrap_or_else(|| {
                    format!("no successful run that reports its {part} time (see the XPCS table)")
                })),
            ),
        };
        judged(self, &what, goal, measured, verdict)
    }

    /// STREAMING against CHUNKED at 1e7 points.
    fn streaming_goal(&self) -> Goal {
        let what = "STREAMING from an HDF5 file, 10,000,000 points, 3 parameters: against \
                    CHUNKED in memory (median of 5 alternating runs)";
        let goal = format!("at most {STREAMING_GOAL}x CHUNKED's time");
        let run = self
            .streaming_run()
            .filter(|r| r.failure.is_none() && r.size == STREAMING_POINTS);
        let ratio = run.and_then(|r| r.record["ratio"].as_f64());
        let (measured, verdict) = match (run, ratio) {
            (Some(run), Some(ratio)) => (
                format!(
                    "{ratio:.2}x (CHUNKED {}, STREAMING {}, {} runs)",
                    fmt_s(run.record["chunked_seconds"].as_f64()),
                    fmt_s(run.record["streaming_seconds"].as_f64()),
                    run.record["runs"]
                ),
                Verdict::of(ratio <= STREAMING_GOAL),
            ),
            _ => (
                String::new(),
                Verdict::NotJudged(self.unjudged().unwrap_or_else(|| {
                    "no result from the example streaming_hdf5 (see the STREAMING table)".to_owned()
                })),
            ),
        };
        judged(self, what, goal, measured, verdict)
    }

    /// The section "Speed goals": one row per goal; in a run of one step alone, only the
    /// goals it measured (nothing when none).
    pub(super) fn goals_table(&self, md: &mut String) {
        let whole = matches!(self.mode, Mode::Full | Mode::Quick);
        let goals: Vec<Goal> = (self.all_goals().into_iter())
            .filter(|g| whole || !g.measured.is_empty())
            .collect();
        if goals.is_empty() {
            return;
        }
        md.push_str(
            "\n## Speed goals\n\n\
             Each goal judged on this run alone (the tables below hold its runs).\n\n\
             | what | goal | measured | verdict |\n|---|---|---|---|\n",
        );
        for g in goals {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                g.what,
                g.goal,
                if g.measured.is_empty() {
                    "n/a"
                } else {
                    &g.measured
                },
                g.verdict.words()
            );
        }
    }

    /// The goals as JSON, for `results.json`.
    pub(super) fn goals_json(&self) -> Value {
        Value::Array(
            self.all_goals()
                .iter()
                .map(|g| {
                    let (met, why) = match &g.verdict {
                        Verdict::Met => (Some(true), None),
                        Verdict::Missed => (Some(false), None),
                        Verdict::NotJudged(why) => (None, Some(why.clone())),
                    };
                    json!({
                        "what": g.what, "goal": g.goal, "measured": g.measured,
                        "met": met, "not_judged": why,
                    })
                })
                .collect(),
        )
    }
}

/// The goal, its verdict overruled in quick mode (measured at other sizes and profile,
/// the figure is shown but not judged).
fn judged(bench: &Bench, what: &str, goal: String, measured: String, verdict: Verdict) -> Goal {
    let verdict = match bench.unjudged() {
        Some(why) if !matches!(verdict, Verdict::NotJudged(_)) => Verdict::NotJudged(why),
        _ => verdict,
    };
    Goal {
        what: what.to_owned(),
        goal,
        measured,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::suite::release::RELEASE_CASE;
    use crate::suite::revision::Revision;
    use crate::suite::streaming::STREAMING_CASE;

    fn run(tool: &str, case: &str, size: usize, repeat: usize, record: Value) -> Run {
        Run {
            tool: tool.to_owned(),
            case: case.to_owned(),
            size,
            repeat,
            process_seconds: record["process"].as_f64().unwrap_or(1.0),
            peak_rss_mb: None,
            record,
            failure: None,
        }
    }

    fn fit(seconds: f64) -> Value {
        json!({ "fit_seconds": seconds, "converged": true })
    }

    /// A full run that meets every goal but the peers' (19x against scipy curve_fit).
    fn full_bench() -> Bench {
        let mut bench = Bench::empty(Mode::Full);
        bench.baseline = Some(Revision {
            requested: "1b6ab2e".to_owned(),
            commit: "1b6ab2e".to_owned(),
            bench_case: PathBuf::from("/nonexistent"),
            build_seconds: 1.0,
        });
        let n = GOAL_POINTS;
        for repeat in 0..3 {
            let runs = &mut bench.runs;
            runs.push(run("homodyne_trf", "decay", n, repeat, fit(0.1)));
            runs.push(run("scipy_curve_fit", "decay", n, repeat, fit(1.9)));
            runs.push(run("scipy_trf", "decay", n, repeat, fit(8.0)));
            // Faster than every peer of the goal, but not one of them.
            runs.push(run("nlsq_curve_fit", "decay", n, repeat, fit(0.5)));
            runs.push(run("homodyne_trf", RELEASE_CASE, n, repeat, fit(0.1)));
            runs.push(run("baseline_trf", RELEASE_CASE, n, repeat, fit(0.15)));
            let xpcs = json!({ "converged": true, "output_seconds": 0.8, "process": 4.5 });
            runs.push(run("homodyne_xpcs", &large_xpcs_case(), 1, repeat, xpcs));
        }
        let streaming = json!({
            "converged": true, "ratio": 1.2, "runs": 5, "chunked_seconds": 1.0,
            "streaming_seconds": 1.2,
        });
        let run = run(
            "homodyne_streaming",
            STREAMING_CASE,
            STREAMING_POINTS,
            0,
            streaming,
        );
        bench.runs.push(run);
        bench
    }

    #[test]
    fn each_goal_is_judged_on_the_run() {
        let goals = full_bench().goals();
        let verdicts: Vec<&Verdict> = goals.iter().map(|g| &g.verdict).collect();
        assert_eq!(
            verdicts,
            [
                &Verdict::Missed,
                &Verdict::Met,
                &Verdict::Met,
                &Verdict::Met,
                &Verdict::Met
            ]
        );
        assert_eq!(
            goals[0].measured,
            "19.0x (homodyne 100.00 ms, scipy curve_fit 1.900 s)"
        );
        assert_eq!(
            goals[1].measured,
            "1.50x (git 1b6ab2e 150.00 ms, this build 100.00 ms)"
        );
        assert_eq!(goals[2].measured, "4.500 s");
        assert_eq!(goals[3].measured, "800.00 ms");
        assert!(
            goals[4].measured.starts_with("1.20x"),
            "{}",
            goals[4].measured
        );
        let mut md = String::new();
        full_bench().goals_table(&mut md);
        assert!(md.contains("## Speed goals"), "{md}");
        assert!(md.contains("| at least 20x faster | 19.0x"), "{md}");
        assert_eq!(full_bench().goals_json()[0]["met"], json!(false));
    }

    #[test]
    fn a_step_alone_shows_only_the_goals_it_measured() {
        let mut bench = full_bench();
        bench.mode = Mode::Streaming;
        bench.runs.retain(|r| r.case == STREAMING_CASE);
        let mut md = String::new();
        bench.goals_table(&mut md);
        assert_eq!(md.matches("| at most").count(), 1, "{md}");
        assert!(md.contains("STREAMING from an HDF5 file"), "{md}");
        bench.runs.clear();
        let mut md = String::new();
        bench.goals_table(&mut md);
        assert!(md.is_empty(), "{md}");
    }

    #[test]
    fn a_goal_without_its_runs_says_why_it_is_not_judged() {
        let mut bench = full_bench();
        bench.baseline = None;
        bench
            .runs
            .retain(|r| r.case == "decay" && r.tool != "scipy_curve_fit");
        let goals = bench.goals();
        // The fastest remaining peer of the goal is scipy least_squares: 80x.
        assert_eq!(goals[0].verdict, Verdict::Met);
        for goal in &goals[1..] {
            assert!(matches!(goal.verdict, Verdict::NotJudged(_)), "{goal:?}");
            assert!(goal.measured.is_empty());
        }
        let Verdict::NotJudged(why) = &goals[1].verdict else {
            unreachable!("checked above")
        };
        assert!(why.contains("no baseline"), "{why}");
    }

    /// A run of the xpcsjax rows alone: homodyne 0.5 s and 0.7 s around xpcsjax's 30 s
    /// on laminar (50x; homodyne's median the lower middle, 0.5 s), with the rms residuals
    /// `ours` and `theirs` (relative errors 0.44 and 0.45).
    fn xpcsjax_bench(ours: f64, theirs: f64) -> Bench {
        let mut bench = Bench::empty(Mode::Xpcsjax);
        let case = xpcsjax::CASES[0].0;
        for (tool, repeat, seconds, rms) in [
            (xpcsjax::OURS, 0, 0.5, ours),
            (xpcsjax::TOOL, 0, 30.0, theirs),
            (xpcsjax::OURS, 1, 0.7, ours),
        ] {
            let record = json!({
                "converged": true, "process": seconds, "rms_residual": rms,
                "max_relative_error": if tool == xpcsjax::TOOL { 0.45 } else { 0.44 },
            });
            bench.runs.push(run(tool, case, 1, repeat, record));
        }
        bench
    }

    #[test]
    fn the_xpcsjax_goals_need_speed_and_accuracy() {
        let goals = xpcsjax_bench(0.005, 0.0050003).xpcsjax_goals();
        assert_eq!(goals.len(), 2);
        assert_eq!(goals[0].verdict, Verdict::Met);
        assert_eq!(
            goals[0].measured,
            "50.0x (homodyne 500.00 ms, xpcsjax 30.000 s); rms residual 5.00000000e-3 \
             against 5.00030000e-3; largest relative error against the truth 0.440 against \
             0.450"
        );
        // Within the slack (the last digits of the stopping points), and beyond it.
        let goals = xpcsjax_bench(0.005000000001, 0.005).xpcsjax_goals();
        assert_eq!(goals[0].verdict, Verdict::Met);
        let goals = xpcsjax_bench(0.00501, 0.005).xpcsjax_goals();
        assert_eq!(goals[0].verdict, Verdict::Missed);
        // The heterodyne case has no runs: not judged, and left out of a step's table.
        assert!(matches!(goals[1].verdict, Verdict::NotJudged(_)));
        let mut md = String::new();
        xpcsjax_bench(0.005, 0.0050003).goals_table(&mut md);
        assert_eq!(md.matches("| at least 20x faster, and").count(), 1, "{md}");
        assert!(md.contains("| **met** |"), "{md}");
        let json = xpcsjax_bench(0.005, 0.0050003).goals_json();
        assert_eq!(json.as_array().map(Vec::len), Some(7));
        assert_eq!(json[5]["met"], json!(true));
    }

    #[test]
    fn the_xpcsjax_goals_are_not_judged_without_both_programs_or_in_quick_mode() {
        let mut bench = xpcsjax_bench(0.005, 0.0050003);
        bench.runs.retain(|r| r.tool != xpcsjax::TOOL);
        let goals = bench.xpcsjax_goals();
        assert!(goals[0].measured.is_empty());
        assert!(
            matches!(&goals[0].verdict, Verdict::NotJudged(why) if why.contains("Against xpcsjax")),
            "{:?}",
            goals[0]
        );
        let mut quick = xpcsjax_bench(0.005, 0.0050003);
        quick.quick = true;
        quick.mode = Mode::Quick;
        for goal in quick.xpcsjax_goals() {
            assert!(
                matches!(&goal.verdict, Verdict::NotJudged(why) if why.contains("quick mode")),
                "{goal:?}"
            );
        }
    }

    #[test]
    fn quick_mode_judges_nothing() {
        let mut bench = full_bench();
        bench.quick = true;
        bench.mode = Mode::Quick;
        for goal in bench.goals() {
            assert!(
                matches!(&goal.verdict, Verdict::NotJudged(why) if why.contains("quick mode")),
                "{goal:?}"
            );
        }
    }
}

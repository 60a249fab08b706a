//! STREAMING from an HDF5 file against CHUNKED in memory, the 3-parameter exponential
//! model at 1e7 points (1e5 in a quick run): the example `streaming_hdf5` of the homodyne
//! crate writes the file (`write FILE POINTS 3`), then fits it both ways alternately in
//! one process (`compare FILE 3 RUNS`) and prints the median of the per-run ratios
//! streaming / chunked on the line [`streaming_line`] reads.

use std::fmt::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::format::{fmt_mb, fmt_s, thousands};
use super::measure::{Bench, strings};
use super::runs::{Key, Run, status_of};

/// The report's "How it measures" line of this step.
pub(super) const HOW_IT_MEASURES: &str = "- STREAMING against CHUNKED: the example \
     `streaming_hdf5 compare` fits the same HDF5 file both ways in one process, after one \
     untimed fit of each, 5 alternating pairs (1 in a quick run), the fit call alone timed; \
     the ratio is the median of the per-pair ratios streaming / chunked.\n";

/// The case of this run in `results.json`.
pub(super) const STREAMING_CASE: &str = "streaming_hdf5";
/// The tool of this run.
const TOOL: &str = "homodyne_streaming";
/// Points of the file in a full run, and in a quick one.
pub(super) const STREAMING_POINTS: usize = 10_000_000;
const QUICK_POINTS: usize = 100_000;
/// Alternating chunked and streaming fits in a full run (one of each in a quick run).
const RUNS: usize = 5;
/// The start of the line the example prints its result on.
const LINE_START: &str = "streaming/chunked:";

/// What the example's result line says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct StreamingRatio {
    /// The median over the runs of streaming seconds / chunked seconds.
    pub(super) ratio: f64,
    /// The number of alternating runs.
    pub(super) runs: u64,
    /// The median fit time of CHUNKED (the data in memory), seconds.
    pub(super) chunked: f64,
    /// The median fit time of STREAMING (the data read from the file), seconds.
    pub(super) streaming: f64,
}

/// Reads the first line of `stdout` that starts with `streaming/chunked:`, in the words
/// agreed with the example:
///
/// ```text
/// streaming/chunked: median ratio 1.183 of 5 alternating runs (chunked median 0.812 s, streaming median 0.961 s)
/// ```
///
/// `None` when there is no such line or a number is missing.
pub(super) fn streaming_line(stdout: &str) -> Option<StreamingRatio> {
    let line = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(LINE_START))?;
    let after = |words: &str| -> Option<&str> {
        let rest = &line[line.find(words)? + words.len()..];
        rest.split(|c: char| c.is_whitespace() || c == ',' || c == ')')
            .find(|w| !w.is_empty())
    };
    let number = |words: &str| after(words)?.parse::<f64>().ok().filter(|v| v.is_finite());
    Some(StreamingRatio {
        ratio: number("median ratio ")?,
        runs: after(" of ")?.parse().ok()?,
        chunked: number("chunked median ")?,
        streaming: number("streaming median ")?,
    })
}

impl Bench {
    /// Writes the file and runs the comparison as one measured run (its record from the
    /// result line; without the line, or when the file cannot be written, a failure that
    /// says so).
    pub(super) fn streaming(&mut self) {
        let (points, runs) = if self.quick {
            (QUICK_POINTS, 1)
        } else {
            (STREAMING_POINTS, RUNS)
        };
        let file = self.data.join(format!("streaming_{points}.h5"));
        let file = file.to_string_lossy().into_owned();
        eprintln!("xtask: streaming_hdf5 write {file} {points} 3");
        let written = Command::new(&self.streaming_hdf5)
            .args(["write", &file, &points.to_string(), "3"])
            .stdout(Stdio::null())
            .status();
        let key = Key {
            tool: TOOL,
            case: STREAMING_CASE,
            size: points,
            repeat: 0,
        };
        let unwritten = match written {
            Ok(status) if status.success() => None,
            Ok(status) => Some(format!("streaming_hdf5 could not write {file}: {status}")),
            Err(e) => Some(format!("cannot run {}: {e}", self.streaming_hdf5.display())),
        };
        if let Some(failure) = unwritten {
            // Recorded, not raised: the rest of the suite goes on, and a quick run fails.
            eprintln!("xtask:   {failure}");
            self.runs.push(Run {
                tool: key.tool.to_owned(),
                case: key.case.to_owned(),
                size: points,
                repeat: 0,
                process_seconds: 0.0,
                peak_rss_mb: None,
                record: Value::Null,
                failure: Some(failure),
            });
            return;
        }
        // The file just written is still being written back to the disk: on 2 cores the
        // kernel's writeback would take its CPU time from the runs compared.
        let _ = Command::new("sync").status();
        let args = strings(&["compare", &file, "3", &runs.to_string()]);
        let record = |stdout: &str| {
            streaming_line(stdout).map_or(Value::Null, |r| {
                json!({
                    "converged": true, "ratio": r.ratio, "runs": r.runs,
                    "chunked_seconds": r.chunked, "streaming_seconds": r.streaming,
                    "line": stdout.lines().find(|l| l.trim().starts_with(LINE_START)),
                })
            })
        };
        let program = self.streaming_hdf5.clone();
        self.measure(key, &program, &args, None, Some(&record));
        if let Some(run) = self.runs.last_mut().filter(|r| r.record.is_null()) {
            let why = format!(
                "printed no `{LINE_START} median ratio R of K alternating runs (...)` line"
            );
            run.failure = Some(match run.failure.take() {
                Some(failure) if failure != "no result record" => format!("{failure}; {why}"),
                _ => why,
            });
        }
    }

    /// The comparison's run, if it ran.
    pub(super) fn streaming_run(&self) -> Option<&Run> {
        self.runs.iter().find(|r| r.case == STREAMING_CASE)
    }

    /// The comparison's table.
    pub(super) fn streaming_table(&self, md: &mut String) {
        let Some(run) = self.streaming_run() else {
            return;
        };
        let seconds = |key: &str| run.record[key].as_f64();
        let _ = writeln!(
            md,
            "\n## STREAMING from an HDF5 file against CHUNKED in memory\n\n\
             `y = a exp(-b x) + c` (3 parameters) on {} points written to an HDF5 file by \
             the example `streaming_hdf5`, which then fits it alternately with CHUNKED (the \
             file read whole into memory first, untimed) and with STREAMING (batches read \
             from the file during the fit), in one process; `ratio` is the median of the \
             per-run ratios streaming / chunked.\n\n\
             | points | runs | CHUNKED (median) | STREAMING (median) | ratio | peak RSS (process) | status |\n\
             |---:|---:|---:|---:|---:|---:|---|\n\
             | {} | {} | {} | {} | {} | {} | {} |",
            thousands(run.size),
            thousands(run.size),
            run.record["runs"]
                .as_u64()
                .map_or("n/a".to_owned(), |r| r.to_string()),
            fmt_s(seconds("chunked_seconds")),
            fmt_s(seconds("streaming_seconds")),
            seconds("ratio").map_or("n/a".to_owned(), |r| format!("**{r:.2}x**")),
            fmt_mb(run.peak_rss_mb),
            status_of(&[run])
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::mode::Mode;

    #[test]
    fn the_agreed_line_is_read_among_other_output() {
        let stdout = "wrote 10000000 points to f.h5 in 1.20 s\n\
             chunked points 10000000: fit 0.800 s, 7 passes\n  \
             streaming/chunked: median ratio 1.183 of 5 alternating runs (chunked median 0.812 s, streaming median 0.961 s)\n\
             streaming/chunked: median ratio 9 of 1 alternating runs (chunked median 1 s, streaming median 9 s)\n";
        assert_eq!(
            streaming_line(stdout),
            Some(StreamingRatio {
                ratio: 1.183,
                runs: 5,
                chunked: 0.812,
                streaming: 0.961,
            })
        );
        let trailing = "streaming/chunked: median ratio 1.1 of 3 alternating runs (chunked median 2 s, streaming median 2.2 s); batches of 100000";
        assert_eq!(streaming_line(trailing).map(|r| r.streaming), Some(2.2));
    }

    #[test]
    fn a_file_that_cannot_be_written_is_a_failed_run_not_an_error() {
        let mut bench = Bench::empty(Mode::Quick);
        bench.streaming();
        let run = bench.streaming_run().expect("the failure is recorded");
        assert!(!run.converged());
        let failure = run.failure.as_deref().unwrap_or("");
        assert!(failure.contains("/nonexistent/streaming_hdf5"), "{failure}");
        let mut md = String::new();
        bench.streaming_table(&mut md);
        assert!(md.contains("| n/a | n/a | n/a |"), "{md}");
    }

    #[test]
    fn without_the_line_or_a_number_there_is_no_result() {
        assert_eq!(streaming_line(""), None);
        assert_eq!(
            streaming_line("chunked points 100: fit 0.1 s\nstreaming points 100: fit 0.2 s"),
            None
        );
        assert_eq!(
            streaming_line(
                "streaming/chunked: median ratio NaN of 5 alternating runs (chunked median 1 s, streaming median 1 s)"
            ),
            None
        );
        assert_eq!(
            streaming_line("streaming/chunked: median ratio 1.2 of 5 alternating runs"),
            None
        );
    }
}

//! Which part of the suite a run measures, and the command line that chooses it.

/// The revision whose `bench_case` a full run times against this build's ("the current
/// release" of issue 20's acceptance): commit `1b6ab2e`, the last commit before issue 20's
/// work. `--baseline REV` names another (any revision `git rev-parse` knows), `--baseline
/// none` leaves the comparison out.
pub const BASELINE_REV: &str = "1b6ab2e";

/// Which part of the suite a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything, in the release profile, against every peer (`cargo xtask bench`).
    Full,
    /// Homodyne alone, no Python, every benchmark once (`cargo xtask bench --quick`).
    Quick,
    /// The Python package's step alone (`cargo xtask bench --only python`).
    PythonPackage,
    /// This build against the baseline revision's `bench_case` alone (`cargo xtask bench
    /// --only baseline`).
    Baseline,
    /// STREAMING from an HDF5 file against CHUNKED in memory alone (`cargo xtask bench
    /// --only streaming`).
    Streaming,
    /// `homodyne xpcs` against xpcsjax alone, laminar and heterodyne 3 x 500 (`cargo
    /// xtask bench --only xpcsjax`).
    Xpcsjax,
    /// Makes the Python environments of the peers and of the Python homodyne package, and
    /// measures nothing (`cargo xtask bench --only venvs`).
    Venvs,
}

impl Mode {
    /// The name of the mode in the report's title and in `results.json`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Quick => "quick",
            Mode::PythonPackage => "Python package only",
            Mode::Baseline => "against the baseline revision only",
            Mode::Streaming => "STREAMING against CHUNKED only",
            Mode::Xpcsjax => "against xpcsjax only",
            Mode::Venvs => "Python environments only",
        }
    }

    /// The stem of the report's files under `target/bench-report/` (`STEM.json`; the
    /// Markdown report is `report.md` in a full run, `STEM.md` otherwise).
    pub(super) fn file_stem(self) -> &'static str {
        match self {
            Mode::Full => "results",
            Mode::Quick => "quick",
            Mode::PythonPackage => "python",
            Mode::Baseline => "baseline",
            Mode::Streaming => "streaming",
            Mode::Xpcsjax => "xpcsjax",
            Mode::Venvs => "venvs",
        }
    }

    /// Whether the run is in the release profile (every mode but quick).
    pub(super) fn release(self) -> bool {
        self != Mode::Quick
    }
}

/// What `cargo xtask bench ...` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Which part of the suite runs.
    pub mode: Mode,
    /// The revision to build the baseline `bench_case` from, `None` for no comparison.
    /// By default [`BASELINE_REV`] in a full run and with `--only baseline`, none in a
    /// quick run (the baseline's own build takes minutes: `--quick --baseline REV` asks
    /// for it).
    pub baseline: Option<String>,
}

impl Options {
    /// Reads the arguments after `bench`: `[--quick] [--baseline REV|none]`, or `--only
    /// python|baseline|streaming|xpcsjax|venvs` (with `--baseline REV` for `baseline`).
    /// `None` for anything else (the caller prints the usage).
    pub fn parse(args: &[String]) -> Option<Self> {
        let (mut quick, mut only, mut baseline) = (false, None, None);
        let mut args = args.iter().map(String::as_str);
        while let Some(arg) = args.next() {
            match arg {
                "--quick" if !quick => quick = true,
                "--only" if only.is_none() => {
                    only = Some(match args.next()? {
                        "python" => Mode::PythonPackage,
                        "baseline" => Mode::Baseline,
                        "streaming" => Mode::Streaming,
                        "xpcsjax" => Mode::Xpcsjax,
                        "venvs" => Mode::Venvs,
                        _ => return None,
                    });
                }
                "--baseline" if baseline.is_none() => {
                    baseline = Some(match args.next()? {
                        "" => return None,
                        "none" => None,
                        rev => Some(rev.to_owned()),
                    });
                }
                _ => return None,
            }
        }
        let mode = match (quick, only) {
            (false, None) => Mode::Full,
            (true, None) => Mode::Quick,
            (false, Some(mode)) => mode,
            (true, Some(_)) => return None,
        };
        let compares = matches!(mode, Mode::Full | Mode::Quick | Mode::Baseline);
        let baseline = match baseline {
            Some(_) if !compares => return None,
            Some(choice) => choice,
            None if mode == Mode::Quick || !compares => None,
            None => Some(BASELINE_REV.to_owned()),
        };
        if mode == Mode::Baseline && baseline.is_none() {
            return None;
        }
        Some(Self { mode, baseline })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<Options> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        Options::parse(&args)
    }

    fn options(mode: Mode, baseline: Option<&str>) -> Option<Options> {
        Some(Options {
            mode,
            baseline: baseline.map(str::to_owned),
        })
    }

    #[test]
    fn a_full_run_compares_with_the_baseline_and_a_quick_one_only_when_asked() {
        assert_eq!(parse(""), options(Mode::Full, Some(BASELINE_REV)));
        assert_eq!(
            parse("--baseline abc123"),
            options(Mode::Full, Some("abc123"))
        );
        assert_eq!(parse("--baseline none"), options(Mode::Full, None));
        assert_eq!(parse("--quick"), options(Mode::Quick, None));
        assert_eq!(
            parse("--quick --baseline HEAD~3"),
            options(Mode::Quick, Some("HEAD~3"))
        );
        assert_eq!(
            parse("--baseline HEAD --quick"),
            options(Mode::Quick, Some("HEAD"))
        );
    }

    #[test]
    fn only_names_one_step() {
        assert_eq!(parse("--only python"), options(Mode::PythonPackage, None));
        assert_eq!(parse("--only streaming"), options(Mode::Streaming, None));
        assert_eq!(parse("--only venvs"), options(Mode::Venvs, None));
        assert_eq!(
            parse("--only baseline"),
            options(Mode::Baseline, Some(BASELINE_REV))
        );
        assert_eq!(
            parse("--only baseline --baseline v0.1"),
            options(Mode::Baseline, Some("v0.1"))
        );
    }

    #[test]
    fn only_xpcsjax_runs_the_xpcsjax_rows_without_a_baseline() {
        assert_eq!(parse("--only xpcsjax"), options(Mode::Xpcsjax, None));
        assert_eq!(Mode::Xpcsjax.file_stem(), "xpcsjax");
        assert!(Mode::Xpcsjax.release());
        for line in [
            "--only xpcsjax --quick",
            "--quick --only xpcsjax",
            "--only xpcsjax --baseline HEAD",
            "--only xpcsjax --only python",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for line in [
            "--quick --quick",
            "--only",
            "--only everything",
            "--only python --quick",
            "--only python --only venvs",
            "--only python --baseline HEAD",
            "--only venvs --baseline none",
            "--only baseline --baseline none",
            "--baseline",
            "--baseline a --baseline b",
            "--fast",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }
}

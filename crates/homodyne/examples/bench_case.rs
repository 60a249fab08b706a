//! One measurement of homodyne per process, for `cargo xtask bench`: the same cases and the
//! same JSON record as the Python peers' `bench/peers.py`, so that the two are compared
//! field by field.
//!
//! ```text
//! bench_case decay --method trf|lm --data FILE
//! bench_case nist  --method trf|lm --data-dir DIR [--repeats R]
//! bench_case write-decay --n N --out FILE
//! ```
//!
//! - `write-decay`: writes the benchmark's data, [`homodyne_testkit::example::decay`] with noise
//!   0.01 and a fixed seed (the data of `large_bench`), as `decay_{n}.f64`; prints the
//!   true parameters as JSON.
//! - `decay`: `FILE` is `decay_{n}.f64` (`n` little-endian `f64` values of `x`, then `n` of
//!   `y`); the model `y = a exp(-b x) + c` ([`homodyne_testkit::example::Decay`], analytic
//!   Jacobian) is fitted from `p0 = (1, 1, 0)` with the default configuration. Only the fit
//!   is timed (once: the process is fresh, as a user's run is). Keys: `tool`, `case`, `n`,
//!   `fit_seconds`, `import_seconds` (0: nothing to import), `load_seconds`, `nfev`,
//!   `njev`, `iterations`, `cost` (`1/2 sum r^2`), `parameters`, `converged`, `message`,
//!   `peak_rss_mb`, `versions`, plus `strategy`.
//! - `nist`: the 12 NIST StRD problems of `DIR` ([`homodyne_testkit::nist::PROBLEMS`]) from both
//!   certified starts with exact derivatives (dual numbers), each fitted once untimed and
//!   then `R` times (default 5), `seconds` the median. Keys: `tool`, `case`, `repeats`,
//!   `results` (`problem`, `start`, `seconds`, `parameters`, `certified`, `lre` (the lowest
//!   over the parameters, [`homodyne_testkit::nist::min_lre`]), `nfev`, `converged`, `message`),
//!   `peak_rss_mb`, `versions`.
//!
//! The record is one line of JSON, the last line of stdout. A fit that fails still gives
//! its record (`converged` false, the error as `message`); a bad argument or an unreadable
//! file exits with status 2 and a message on stderr.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use homodyne::ConvergenceStatus;
use homodyne::prelude::*;
use homodyne_testkit::bench;
use homodyne_testkit::example::Decay;
use homodyne_testkit::nist::{self, Nist, PROBLEMS};
use serde_json::{Value, json};

/// Seed of the benchmark's noise (that of `large_bench`).
const SEED: u64 = 0x0DEC_A7ED_5EED_0002;

/// The value of `--name` in `args`.
fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn method_of(args: &[String]) -> Result<Method, String> {
    match option(args, "--method") {
        Some("trf") => Ok(Method::Trf),
        Some("lm") => Ok(Method::Lm),
        other => Err(format!("--method must be trf or lm, got {other:?}")),
    }
}

/// `n` values of `x` then `n` of `y`, little-endian `f64`, read straight into the two
/// vectors (the file is never held whole, so peak memory is the data's own).
fn read_decay(path: &Path) -> Result<(Vec<f64>, Vec<f64>), String> {
    use std::io::Read;
    let context = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(context)?;
    let bytes = file.metadata().map_err(context)?.len();
    if bytes == 0 || bytes % 16 != 0 {
        return Err(format!(
            "{}: {bytes} bytes is not 2 n little-endian f64 values",
            path.display()
        ));
    }
    let n = usize::try_from(bytes / 16).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut read = |n: usize| -> Result<Vec<f64>, String> {
        let mut values = Vec::with_capacity(n);
        let mut word = [0u8; 8];
        for _ in 0..n {
            reader.read_exact(&mut word).map_err(context)?;
            values.push(f64::from_le_bytes(word));
        }
        Ok(values)
    };
    let x = read(n)?;
    let y = read(n)?;
    Ok((x, y))
}

fn decay(args: &[String], tool: &str, method: Method) -> Result<Value, String> {
    let path = Path::new(option(args, "--data").ok_or("decay needs --data FILE")?);
    let started = Instant::now();
    let (x, y) = read_decay(path)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let fit = Fit::curve(&Decay, &x, &y)
        .p0(&[1.0, 1.0, 0.0])
        .method(method)
        .run();
    let fit_seconds = started.elapsed().as_secs_f64();
    let mut record = json!({
        "tool": tool, "case": "decay", "n": x.len(),
        "import_seconds": 0.0, "load_seconds": load_seconds,
    });
    let fields = match fit {
        Ok(fit) => json!({
            "fit_seconds": fit_seconds,
            "nfev": fit.nfev, "njev": fit.njev, "iterations": fit.iterations,
            "cost": fit.chi_squared / 2.0,
            "parameters": fit.parameters,
            "converged": fit.convergence_status == ConvergenceStatus::Converged,
            "message": fit.termination_reason.to_string(),
            "strategy": fit.strategy.to_string(),
        }),
        Err(e) => json!({
            "fit_seconds": null, "nfev": null, "njev": null, "iterations": null,
            "cost": null, "parameters": null, "converged": false,
            "message": e.to_string(),
        }),
    };
    merge(&mut record, fields);
    Ok(record)
}

fn nist_case(args: &[String], tool: &str, method: Method) -> Result<Value, String> {
    let dir = Path::new(option(args, "--data-dir").ok_or("nist needs --data-dir DIR")?);
    let repeats: usize = option(args, "--repeats")
        .map_or(Ok(5), str::parse)
        .map_err(|e| format!("--repeats: {e}"))?;
    if repeats == 0 {
        return Err("--repeats must be at least 1".to_owned());
    }
    let options = SolverOptions::default();
    let mut results = Vec::new();
    for (name, n) in PROBLEMS {
        let problem = nist::load(dir, name)?;
        for start in 0..2 {
            let (seconds, last) = bench::median_seconds(repeats, || {
                nist::fit_exact(&problem, Nist(name, n), start, method, &options)
            });
            results.push(match last {
                Ok(fit) => json!({
                    "problem": name, "start": start + 1, "seconds": seconds,
                    "parameters": fit.parameters, "certified": problem.certified,
                    "lre": nist::min_lre(&fit.parameters, &problem.certified),
                    "nfev": fit.nfev,
                    "converged": fit.convergence_status == ConvergenceStatus::Converged,
                    "message": fit.termination_reason.to_string(),
                }),
                Err(e) => json!({
                    "problem": name, "start": start + 1, "seconds": null,
                    "parameters": null, "certified": problem.certified, "lre": 0.0,
                    "nfev": null, "converged": false, "message": e.to_string(),
                }),
            });
        }
    }
    Ok(json!({ "tool": tool, "case": "nist", "repeats": repeats, "results": results }))
}

fn write_decay(args: &[String]) -> Result<Value, String> {
    let n: usize = option(args, "--n")
        .ok_or("write-decay needs --n N")?
        .parse()
        .map_err(|e| format!("--n: {e}"))?;
    let out = Path::new(option(args, "--out").ok_or("write-decay needs --out FILE")?);
    let data = homodyne_testkit::example::decay(n, 0.01, SEED);
    let bytes: Vec<u8> = data
        .x
        .iter()
        .chain(&data.y)
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(out, bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(json!({ "case": "write-decay", "n": n, "truth": data.truth }))
}

/// Adds the fields of `extra` (an object) to `record` (an object).
fn merge(record: &mut Value, extra: Value) {
    if let (Value::Object(record), Value::Object(extra)) = (record, extra) {
        record.extend(extra);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_method = |case: fn(&[String], &str, Method) -> Result<Value, String>| {
        let method = method_of(&args)?;
        case(&args, &format!("homodyne_{method}"), method)
    };
    let outcome = match args.first().map(String::as_str) {
        Some("decay") => with_method(decay),
        Some("nist") => with_method(nist_case),
        Some("write-decay") => write_decay(&args),
        _ => Err(
            "usage: bench_case decay|nist --method trf|lm ... | write-decay --n N --out FILE"
                .to_owned(),
        ),
    };
    match outcome {
        Ok(mut record) => {
            merge(
                &mut record,
                json!({
                    "peak_rss_mb": bench::peak_rss_kib().map(|kib| kib / 1024.0),
                    "versions": { "homodyne": env!("CARGO_PKG_VERSION") },
                }),
            );
            println!("{record}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_case: {e}");
            ExitCode::from(2)
        }
    }
}

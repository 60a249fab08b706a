//! Times the LARGE and CHUNKED paths on `y = a exp(-b x) + c` at 1e6 and 1e7 points, for
//! `cargo xtask bench-large` (which times scipy and nlsq on the same data and compares).
//!
//! ```text
//! cargo run --release -p homodyne --example large_bench -- DATA_DIR [REPEATS] [N ...]
//! ```
//!
//! For each `N` (default 1,000,000 and 10,000,000) it writes the data to
//! `DATA_DIR/decay_{N}.f64` (`N` values of `x` then `N` of `y`, little-endian `f64`; the
//! built-in example [`homodyne_testkit::example::decay`], noise 0.01, fixed seed) and times, each as
//! the median of `REPEATS` runs (default 5) after one untimed run:
//! - `eval_jacobian`: the model and its Jacobian at every point, alone, in the solver's
//!   chunks and on the same threads: the floor for one iteration;
//! - `fit_{trf,lm}`: the whole fit, `Fit::curve(..).run()`, from `p0 = (1, 1, 0)` with
//!   the default options, on all threads and on one thread.
//!
//! The results go to stdout as JSON.

use homodyne::prelude::*;
use homodyne_testkit::bench::median_seconds;
use homodyne_testkit::example::{Decay, decay};
use rayon::prelude::*;

/// Seed of the benchmark's noise.
const SEED: u64 = 0x0DEC_A7ED_5EED_0002;
/// Rows per model call, as in the solver (`homodyne_solvers::objective::CHUNK_ROWS`).
const CHUNK_ROWS: usize = homodyne_solvers::objective::CHUNK_ROWS;
/// Rows per parallel task, as in the solver.
const LEAF_ROWS: usize = CHUNK_ROWS * homodyne_solvers::objective::LEAF_CHUNKS;

/// The model and its Jacobian at every point, in the solver's chunks, in parallel; returns
/// a checksum so that nothing is optimised away.
fn eval_jacobian(x: &[f64], p: &[f64]) -> f64 {
    x.par_chunks(LEAF_ROWS)
        .map(|leaf| {
            let mut values = [0.0; CHUNK_ROWS];
            let mut jacobian = [0.0; 3 * CHUNK_ROWS];
            let mut sum = 0.0;
            for chunk in leaf.chunks(CHUNK_ROWS) {
                let m = chunk.len();
                Decay.eval_with_jacobian(chunk, p, &mut values[..m], &mut jacobian[..3 * m]);
                sum += values[m - 1] + jacobian[3 * m - 2];
            }
            sum
        })
        .sum()
}

fn fit_json(fit: &OptimizationResult, seconds: f64) -> String {
    let params: Vec<String> = fit.parameters.iter().map(|p| format!("{p:?}")).collect();
    format!(
        "{{\"seconds\": {seconds:?}, \"iterations\": {}, \"nfev\": {}, \"njev\": {}, \
         \"strategy\": \"{}\", \"termination\": \"{:?}\", \"parameters\": [{}]}}",
        fit.iterations,
        fit.nfev,
        fit.njev,
        fit.strategy,
        fit.termination_reason,
        params.join(", ")
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data_dir = std::path::PathBuf::from(
        args.first()
            .ok_or("usage: large_bench DATA_DIR [REPEATS] [N ...]")?,
    );
    let repeats: usize = args.get(1).map_or(Ok(5), |s| s.parse())?;
    let sizes: Vec<usize> = if args.len() > 2 {
        args[2..]
            .iter()
            .map(|s| s.replace('_', "").parse())
            .collect::<Result<_, _>>()?
    } else {
        vec![1_000_000, 10_000_000]
    };
    std::fs::create_dir_all(&data_dir)?;
    let threads = rayon::current_num_threads();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut entries = Vec::new();
    for &n in &sizes {
        let data = decay(n, 0.01, SEED);
        let bytes: Vec<u8> = data
            .x
            .iter()
            .chain(&data.y)
            .flat_map(|v| v.to_le_bytes())
            .collect();
        std::fs::write(data_dir.join(format!("decay_{n}.f64")), bytes)?;
        eprintln!("n = {n}");
        let p = [2.4, 1.2, 0.45];
        let (eval_all, _) = median_seconds(repeats, || eval_jacobian(&data.x, &p));
        let (eval_one, _) =
            one_thread.install(|| median_seconds(repeats, || eval_jacobian(&data.x, &p)));
        let mut fields = vec![
            format!("\"eval_jacobian\": {eval_all:?}"),
            format!("\"eval_jacobian_1_thread\": {eval_one:?}"),
        ];
        for method in [Method::Trf, Method::Lm] {
            let fit = || {
                Fit::curve(&Decay, &data.x, &data.y)
                    .p0(&[1.0, 1.0, 0.0])
                    .method(method)
                    .run()
                    .expect("the benchmark fit succeeds")
            };
            let (all, result) = median_seconds(repeats, fit);
            let (one, _) = one_thread.install(|| median_seconds(repeats, fit));
            eprintln!(
                "  {method}: {all:.4} s on {threads} threads, {one:.4} s on 1; eval+jac {eval_all:.4} s"
            );
            fields.push(format!("\"fit_{method}\": {}", fit_json(&result, all)));
            fields.push(format!("\"fit_{method}_1_thread\": {one:?}"));
        }
        entries.push(format!("\"{n}\": {{{}}}", fields.join(", ")));
    }
    println!(
        "{{\"threads\": {threads}, \"repeats\": {repeats}, \"sizes\": {{{}}}}}",
        entries.join(", ")
    );
    Ok(())
}

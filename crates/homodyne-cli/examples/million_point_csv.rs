//! A million-point CSV fit of a three-parameter formula: the `homodyne curve` binary end
//! to end against the same fit through the library API plus reading the file.
//!
//! Run with `cargo xtask bench-cli` (which builds the release binary first), or
//! `cargo build --release -p homodyne-cli && cargo run --release -p homodyne-cli --example million_point_csv`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use homodyne::prelude::*;
use homodyne_cli::data::Table;

const N: usize = 1_000_000;
const RUNS: usize = 5;

/// y = a exp(-b x) + c, the formula's model written through the library.
struct Decay;

impl GenericModel for Decay {
    fn n_params(&self) -> usize {
        3
    }
    #[inline(always)]
    fn eval<T: Scalar>(&self, x: &[f64], p: &[T]) -> T {
        p[0] * (p[1] * -x[0]).exp() + p[2]
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() {
    let dir = workspace().join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("target/bench-data");
    let csv = dir.join(format!("decay_{N}.csv"));
    if !csv.exists() {
        let data = homodyne_testkit::example::decay(N, 0.01, 0x0DEC_A7ED_5EED_0001);
        let mut text = String::with_capacity(N * 40);
        text.push_str("x,y\n");
        for (x, y) in data.x.iter().zip(&data.y) {
            text.push_str(&format!("{x:?},{y:?}\n"));
        }
        std::fs::write(&csv, text).expect("write the CSV");
    }
    let binary = workspace().join("target/release/homodyne");
    assert!(
        binary.exists(),
        "build the binary first: cargo build --release -p homodyne-cli"
    );

    let (mut cli, mut read, mut fit) = (Vec::new(), Vec::new(), Vec::new());
    let model = AutoDiff::<_, 3>::new(Decay).expect("3 parameters");
    for _ in 0..RUNS {
        let started = Instant::now();
        let status = Command::new(&binary)
            .args([
                "curve",
                "--formula",
                "a*exp(-b*x) + c",
                "--p0",
                "a=1,b=1,c=0",
                "--quiet",
                "--data",
            ])
            .arg(&csv)
            .status()
            .expect("run homodyne");
        assert!(status.success());
        cli.push(started.elapsed().as_secs_f64());

        let started = Instant::now();
        let table = Table::load(&csv, &[]).expect("read the CSV");
        let (x, y) = (
            table.column("x").unwrap().to_vec(),
            table.column("y").unwrap().to_vec(),
        );
        read.push(started.elapsed().as_secs_f64());

        let started = Instant::now();
        let result = Fit::curve(&model, &x, &y)
            .p0(&[1.0, 1.0, 0.0])
            .run()
            .expect("fit");
        assert!(result.converged());
        fit.push(started.elapsed().as_secs_f64());
    }
    let (cli, read, fit) = (median(cli), median(read), median(fit));
    println!("| {N}-point CSV, y = a exp(-b x) + c, TRF (median of {RUNS}) | seconds |");
    println!("|---|---:|");
    println!("| `homodyne curve` end to end (process start, read, parse, fit) | {cli:.3} |");
    println!("| library: read the CSV (`homodyne_cli::data::Table`) | {read:.3} |");
    println!("| library: `Fit::curve(..).run()` with an AutoDiff model | {fit:.3} |");
    println!("| library: read + fit | {:.3} |", read + fit);
    println!("| CLI / (read + fit) | {:.2} |", cli / (read + fit));
}

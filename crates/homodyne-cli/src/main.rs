//! The `homodyne` program: see `homodyne --help`.

use std::process::ExitCode;

use clap::Parser;
use homodyne_cli::args::{Cli, Command};

fn main() -> ExitCode {
    // clap exits with status 2 on bad usage and 0 for --help.
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Curve(args) => homodyne_cli::curve::run(args),
        Command::Xpcs(args) => homodyne_cli::xpcs::run(args),
        Command::Config(args) => homodyne_cli::xpcs::run_template(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("homodyne: error: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

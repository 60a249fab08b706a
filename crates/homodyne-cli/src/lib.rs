//! The `homodyne` command-line program: argument parsing and wiring of the library's
//! pieces. It holds no numerics: fits run through the `homodyne` facade.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod checks;
pub mod curve;
pub mod data;
pub mod failure;
pub mod formula;
pub mod plot;
pub mod processes;
mod progress;
pub mod report;
mod settings;
pub mod xpcs;
mod xpcs_summary;

//! The `homodyne` command-line program: argument parsing and wiring of the library's
//! pieces. It holds no numerics: fits run through the `homodyne` facade.
//!
//! - `homodyne curve` ([`curve`]): a [`formula`] typed on the command line fitted to a
//!   delimited text, `.npy` or HDF5 file ([`data`]), with a report ([`report`]), JSON and
//!   a PNG ([`plot`]);
//! - `homodyne xpcs` ([`xpcs`]): the XPCS workflow of a YAML configuration, or the demo;
//! - `homodyne config`: a commented configuration template.
//!
//! The formula language is the library's way in for a model typed as text: a formula is
//! parsed once against its parameters and the data's columns, and evaluated with exact
//! derivatives. A name that is neither is refused with its position:
//!
//! ```
//! use homodyne::Model;
//! use homodyne_cli::formula::Formula;
//!
//! let names = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
//! let (params, columns) = (names(&["b1", "b2"]), names(&["x", "y"]));
//! let f = Formula::parse("b1*(1-exp(-b2*x))", &params, &columns).unwrap();
//! let (mut y, mut jac) = ([0.0], [0.0; 2]);
//! f.eval_with_jacobian(&[1000.0], &[500.0, 1e-3], &mut y, &mut jac);
//! let decayed = (-1.0f64).exp(); // exp(-b2 x) at x = 1000
//! assert!((y[0] - 500.0 * (1.0 - decayed)).abs() < 1e-9);
//! assert!((jac[1] - 500.0 * 1000.0 * decayed).abs() < 1e-6); // d/db2, exact
//!
//! let e = Formula::parse("b1*(1-exp(-b3*x))", &params, &columns).unwrap_err();
//! assert_eq!(e.position, 11); // under `b3`
//! ```

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

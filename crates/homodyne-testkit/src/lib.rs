//! Test fixtures of the homodyne workspace, for its tests, benchmarks and examples: never a
//! dependency of library code (a `[dev-dependencies]` entry only, not published).
//!
//! - [`example`]: reproducible synthetic fits, the exponential decay [`example::Decay`] and
//!   the 53-parameter [`example::Peaks`], with their data ([`example::decay`],
//!   [`example::synthetic`]);
//! - [`nist`]: the 27 NIST StRD nonlinear regression problems, their files built in, the
//!   models and the log relative error that scores a fit;
//! - [`ThreadGroup`]: threads that play the processes of a distributed fit;
//! - [`WatchedSource`]: a data source that counts the reads of another and can fail them;
//! - [`bench`](mod@bench): what the benchmarks share: criterion's settings and entry point, median
//!   timings, peak memory.
//!
//! ```
//! use homodyne::prelude::*;
//! use homodyne_testkit::example::{Decay, decay};
//! use homodyne_testkit::{ThreadGroup, nist};
//!
//! // The example data: 2.5 exp(-1.3 x) + 0.5 plus noise 0.01, the same bits every run.
//! let data = decay(2000, 0.01, 7);
//! let fit = Fit::curve(&Decay, &data.x, &data.y).p0(&[1.0, 1.0, 0.0]).run()?;
//! assert!((fit.parameters[1] - 1.3).abs() < 0.01);
//!
//! // NIST's Misra1a from its far start, scored against the certified values.
//! let problem = nist::problem("Misra1a")?;
//! let model = DynAutoDiff::new(nist::Nist("Misra1a", 2));
//! let fit = problem.fit(&model, 0).method(Method::Lm).run()?;
//! assert!(nist::min_lre(&fit.parameters, &problem.certified) >= 6.0);
//!
//! // The same fit shared among two threads playing processes: the same bits.
//! let shared = ThreadGroup::new(2).run_each(|process| {
//!     Fit::curve(&Decay, &data.x, &data.y)
//!         .p0(&[1.0, 1.0, 0.0])
//!         .communicator(&process)
//!         .run()
//!         .map(|fit| fit.parameters)
//! });
//! for parameters in shared {
//!     assert!((parameters?[1] - 1.3).abs() < 0.01);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod example;
pub mod nist;
mod threads;
mod watched;

pub use threads::{ThreadGroup, ThreadRank};
pub use watched::{BeforeRead, ReadCounts, WatchedSource};

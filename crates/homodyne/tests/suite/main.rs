//! Cross-crate tests of the homodyne facade, in one test binary (one link on 2 cores).

#[path = "../common/mod.rs"]
mod common;

mod bounds;
mod fault_tolerance;
mod fitting;
mod honest;
mod inputs;
mod mgh;
mod nist;
mod properties;
mod scipy_reference;
mod strategies;
mod termination;

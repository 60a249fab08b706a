//! The value of `fixed` on a `parameter_space.bounds` entry (see [`crate::fixed`]).

use serde_json::Value;

use super::value::{LenientNumber, Shape};

/// What `fixed` on a `parameter_space.bounds` entry says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hold {
    /// `false`: fitted (as without the key).
    Free,
    /// A number: held at this value.
    At(f64),
    /// `true`: held at its initial value.
    Start,
}

impl Shape for Hold {
    const EXPECTED: &'static str = "a number, true (its initial value) or false";

    /// `true`, `false`, or a number (also one written as a string, as `float()` reads it).
    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Bool(true) => Ok(Self::Start),
            Value::Bool(false) => Ok(Self::Free),
            other => LenientNumber::from_value(other).map(|LenientNumber(v)| Self::At(v)),
        }
    }
}

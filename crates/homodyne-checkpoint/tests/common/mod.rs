//! Helpers shared by the checkpoint integration tests (each binary takes its own subset,
//! hence the `dead_code` allowance).
#![allow(dead_code)]

use homodyne_checkpoint::{OptimizerState, StateArray};
use serde_json::Value;

/// The state with `fields`, added in turn by [`OptimizerState::with`] (each name and shape
/// checked).
pub fn state_of<'a>(fields: impl IntoIterator<Item = (&'a str, StateArray)>) -> OptimizerState {
    fields
        .into_iter()
        .fold(OptimizerState::new(), |state, (name, array)| {
            state.with(name, array).unwrap()
        })
}

/// f64 slices compared by bit pattern.
pub fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// The items of the JSON array `json`, each read by `item`; `what` names the array when it
/// is not one.
pub fn json_items<T>(json: &Value, item: fn(&Value) -> Option<T>, what: &str) -> Vec<T> {
    json.as_array()
        .unwrap_or_else(|| panic!("{what}: not an array: {json}"))
        .iter()
        .map(|v| item(v).unwrap_or_else(|| panic!("{what}: {v}")))
        .collect()
}

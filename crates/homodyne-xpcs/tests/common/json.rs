//! Reading reference values from JSON (the Python packages' reference files, the reports
//! of the scripts that read our outputs), and comparing values with them.

use serde_json::Value;

/// Every number of a JSON number or (nested) array, in order.
///
/// # Panics
///
/// On anything else: a reference file of the wrong form.
pub fn floats(value: &Value) -> Vec<f64> {
    match value {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().expect("a float")],
        other => panic!("not a number or an array: {other}"),
    }
}

/// The strings of a JSON array of strings.
///
/// # Panics
///
/// On anything else.
pub fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_str().expect("a string"))
        .collect()
}

/// Asserts that each of `got` is within `tolerance` relative of the same entry of `want`
/// (of the same length), naming a failing point by `what(r)`; the largest relative
/// difference.
pub fn assert_relatively_close(
    got: &[f64],
    want: &[f64],
    tolerance: f64,
    what: impl Fn(usize) -> String,
) -> f64 {
    assert_eq!(got.len(), want.len(), "{}", what(got.len()));
    let mut worst = 0.0f64;
    for (r, (&got, &want)) in got.iter().zip(want).enumerate() {
        let relative = (got - want).abs() / want.abs();
        assert!(
            relative <= tolerance,
            "{}: {got} vs the reference's {want} ({relative:e})",
            what(r)
        );
        worst = worst.max(relative);
    }
    worst
}

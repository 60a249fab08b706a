//! docs/json-output.md lists the keys of every JSON document the command line writes:
//! `homodyne curve --json` (in memory, STREAMING and with a multistart) and the three files of `homodyne
//! xpcs`. These runs check that every key written is listed, and that every key listed as
//! present "always" is written, for each object whose fields the document lists.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

mod common;

use common::tables::{decay, sine_noise, write_table};
use common::{fit_decay_json, read_json, run_demo, scratch, stderr};

/// One row of a key table: the key's path and whether it is present in every document.
struct Row {
    path: Vec<String>,
    always: bool,
}

/// The rows of the first table after the heading `heading`, up to the next heading.
fn documented(heading: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-output.md"),
    )
    .expect("docs/json-output.md is readable");
    let mut lines = text.lines().skip_while(|line| line.trim() != heading);
    assert!(lines.next().is_some(), "no heading {heading:?}");
    let rows: Vec<Row> = lines
        .take_while(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let key = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some(Row {
                path: key.split('.').map(str::to_owned).collect(),
                always: *cells.get(3)? == "always",
            })
        })
        .collect();
    assert!(!rows.is_empty(), "no key table under {heading:?}");
    rows
}

/// The values at `path` below `value`: a segment `<name>` stands for every key of an
/// object, a segment ending in `[]` for every element of the array it names.
fn resolve<'a>(value: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let Some((segment, rest)) = path.split_first() else {
        return vec![value];
    };
    let children: Vec<&Value> = if segment.starts_with('<') {
        value
            .as_object()
            .map(|o| o.values().collect())
            .unwrap_or_default()
    } else if let Some(array) = segment.strip_suffix("[]") {
        (value.get(array).and_then(Value::as_array))
            .map(|items| items.iter().collect())
            .unwrap_or_default()
    } else {
        value.get(segment.as_str()).into_iter().collect()
    };
    children
        .into_iter()
        .flat_map(|child| resolve(child, rest))
        .collect()
}

/// Checks `document` against the table under `heading`: for every object whose fields the
/// table lists by name, the fields written are listed, and those listed "always" are
/// written.
fn assert_documented(heading: &str, document: &Value) {
    let rows = documented(heading);
    let parents: BTreeSet<&[String]> = (rows.iter())
        .filter(|row| !row.path.last().is_some_and(|s| s.starts_with('<')))
        .map(|row| &row.path[..row.path.len() - 1])
        .collect();
    for parent in parents {
        let fields = |always: bool| -> BTreeSet<String> {
            (rows.iter())
                .filter(|row| row.path[..row.path.len() - 1] == *parent && (row.always || !always))
                .filter_map(|row| row.path.last().cloned())
                .map(|field| field.trim_end_matches("[]").to_owned())
                .collect()
        };
        let (listed, required) = (fields(false), fields(true));
        for object in resolve(document, parent)
            .into_iter()
            .filter_map(Value::as_object)
        {
            let written: BTreeSet<String> = object.keys().cloned().collect();
            let unlisted: Vec<_> = written.difference(&listed).collect();
            let missing: Vec<_> = required.difference(&written).collect();
            assert!(
                unlisted.is_empty() && missing.is_empty(),
                "{heading} at {parent:?}: written but not documented {unlisted:?}, \
                 documented as always present but not written {missing:?}"
            );
        }
    }
}

/// `homodyne curve --json` of a small decay, in memory, STREAMING and with a multistart.
#[test]
fn curve_json_keys_are_the_documented_ones() {
    let dir = scratch("json_output", "curve");
    let data = dir.join("decay.csv");
    let rows = (0..200).map(|i| {
        let x = i as f64 * 0.02;
        format!("{x:?},{:?}", decay(x) + sine_noise(i))
    });
    write_table(&data, "x,y", rows);
    let multistart = ["--bounds", "a=0:5,b=0:5,c=-1:1", "--multistart", "2"];
    for (name, more) in [
        ("memory.json", &[][..]),
        ("streamed.json", &["--strategy", "streaming"][..]),
        ("multistart.json", &multistart[..]),
    ] {
        let (_, document) =
            fit_decay_json(&data, &dir.join(name), &[&["--quiet"][..], more].concat());
        assert_documented("## `homodyne curve --json`", &document);
        assert_documented("### `diagnostics`", &document["diagnostics"]);
        assert_eq!(
            document.get("multistart").is_some(),
            more.contains(&"--multistart"),
            "{name}: {document}"
        );
        if more.contains(&"--strategy") {
            let streaming = &document["streaming_diagnostics"];
            assert!(streaming.is_object(), "{name}: {document}");
            assert_documented("### `streaming_diagnostics`", streaming);
        }
    }
}

/// The three JSON files of `homodyne xpcs --demo --output-dir`.
#[test]
fn xpcs_json_keys_are_the_documented_ones() {
    let dir = scratch("json_output", "xpcs");
    let out = run_demo(3, 40, &["--quiet", "--output-dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nlsq = dir.join("nlsq");
    let analysis = read_json(nlsq.join("analysis_results_nlsq.json"));
    for (file, document) in [
        ("parameters.json", read_json(nlsq.join("parameters.json"))),
        ("analysis_results_nlsq.json", analysis.clone()),
        (
            "convergence_metrics.json",
            read_json(nlsq.join("convergence_metrics.json")),
        ),
    ] {
        assert_documented(&format!("## `homodyne xpcs`: `{file}`"), &document);
    }
    assert_documented("### `diagnostics`", &analysis["diagnostics"]);
}

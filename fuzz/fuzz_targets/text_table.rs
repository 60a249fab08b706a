//! The delimited text reader (`homodyne_data::TextTable`): a CSV, TSV or whitespace
//! table with an optional header line, as `homodyne curve --data` reads it.
//!
//! Beyond "no panic": a parsed table is rectangular (every column holds `n_rows`
//! values, each with its line number) and names every column.
#![no_main]

use std::path::Path;

use homodyne_data::TextTable;
use homodyne_fuzz as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // As `TextTable::read` decodes a file: invalid UTF-8 is replaced, not refused.
    let text = String::from_utf8_lossy(bytes);
    let Ok(table) = TextTable::parse(Path::new("fuzz.csv"), &text) else {
        return;
    };
    let n = table.n_rows();
    assert_eq!(table.lines().len(), n, "one line number per row");
    for (index, name) in table.columns().iter().enumerate() {
        assert_eq!(
            table.column(index).len(),
            n,
            "column {name} holds every row"
        );
    }
    let (names, columns, lines) = table.into_parts();
    assert_eq!((names.len(), lines.len()), (columns.len(), n));
});

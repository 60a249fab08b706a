//! The text of the JSON files: serde_json's pretty printer in the layout Python's
//! `json.dump(obj, f, indent=2)` writes (the package's), with its string escapes.
//!
//! - Two spaces a level, `"key": value`, `[]` and `{}` for empty containers, and a final
//!   newline: serde_json's [`PrettyFormatter`] with a two-space indent.
//! - Strings as Python's default `ensure_ascii`: every character outside printable ASCII
//!   (`' '` to `'~'`) as `\uXXXX`, lowercase hex, astral characters as a UTF-16 surrogate
//!   pair (`"\u{1F600}"` is written `"\ud83d\ude00"`).
//! - Floats as the shortest text that reads back to the same `f64` (Python's `repr`),
//!   Rust's `{:?}`: `1.0`, `0.1`, `1e-5`, `1.5e300`. Non-finite values are written
//!   `null` (valid JSON, where Python writes the bare tokens `NaN` and `Infinity`):
//!   serde_json writes a non-finite `f64` as `null`, and a [`serde_json::Value`] cannot
//!   hold one.

use std::io::{self, Write};

use serde_json::Value;
use serde_json::ser::{Formatter, PrettyFormatter};

/// `value` as Python's `json.dump(value, f, indent=2)` writes it (see the module
/// documentation), with a final newline.
pub(crate) fn python_text(value: &Value) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter::new());
    // Writing a Value into memory fails on neither side: its keys are strings.
    if serde::Serialize::serialize(value, &mut serializer).is_err() {
        return String::from("null\n");
    }
    out.push(b'\n');
    // Every byte written is ASCII: the formatter escapes all the rest.
    String::from_utf8(out).unwrap_or_default()
}

/// The layout methods of [`Formatter`], handed to the pretty printer.
macro_rules! forward_to_pretty {
    ($($method:ident($($argument:ident: $type:ty)?);)*) => {$(
        fn $method<W: ?Sized + Write>(
            &mut self,
            writer: &mut W,
            $($argument: $type)?
        ) -> io::Result<()> {
            self.pretty.$method(writer, $($argument)?)
        }
    )*};
}

/// serde_json's pretty printer, two spaces a level, with Python's float and string text.
struct PythonFormatter {
    pretty: PrettyFormatter<'static>,
}

impl PythonFormatter {
    fn new() -> Self {
        Self {
            pretty: PrettyFormatter::with_indent(b"  "),
        }
    }
}

impl Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        // Debug is the shortest text that reads back to the same f64, and a valid JSON
        // number; serde_json calls this for finite values only.
        write!(writer, "{value:?}")
    }

    /// A run of characters serde_json does not escape: everything outside printable ASCII
    /// becomes `\uXXXX` (quotes, backslashes and controls below `' '` reach
    /// [`Formatter::write_char_escape`], whose escapes are Python's).
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    forward_to_pretty! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        begin_object_value();
        end_object_value();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_is_printed_as_python_prints_it() {
        let document = json!({
            "a": 1.0,
            "b": f64::NAN,
            "c": [],
            "d": {},
            "e": [-3, 1e-5, "x\"\u{e9}"],
            "f": {"g": true, "h": null},
        });
        let expected = "{\n  \"a\": 1.0,\n  \"b\": null,\n  \"c\": [],\n  \"d\": {},\n  \"e\": [\n    -3,\n    1e-5,\n    \"x\\\"\\u00e9\"\n  ],\n  \"f\": {\n    \"g\": true,\n    \"h\": null\n  }\n}\n";
        let text = python_text(&document);
        assert_eq!(text, expected);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["e"][2], "x\"\u{e9}");
        assert_eq!(parsed["e"][1], 1e-5);
    }

    #[test]
    fn strings_are_escaped_as_pythons_ensure_ascii() {
        // Astral characters become surrogate pairs; DEL and controls are escaped, with
        // Python's short escapes where it has them.
        let text = python_text(&json!("\u{1F600}\u{7f}\u{1}\t\\/é"));
        assert_eq!(text, "\"\\ud83d\\ude00\\u007f\\u0001\\t\\\\/\\u00e9\"\n");
    }

    #[test]
    fn floats_keep_the_shortest_round_trip_text() {
        let text = python_text(&json!([0.1, 1e16, 1.5e300, -2.5e-7, 123456.789, 0.0001]));
        assert_eq!(
            text,
            "[\n  0.1,\n  1e16,\n  1.5e300,\n  -2.5e-7,\n  123456.789,\n  0.0001\n]\n"
        );
    }
}

//! [`FormulaError`]: what is wrong with a formula, and where.

use std::fmt;

/// A formula that failed to parse or to resolve its names, with the position of the fault.
///
/// Displayed on three lines, the message then the formula with a caret under the fault:
///
/// ```text
/// expected ')' to close the '(' at column 3, found the end of the formula at column 5
///   a*(b
///       ^
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// Char offset in the formula of the fault (the formula's length when it is the end).
    pub position: usize,
    /// What is wrong, and where possible what to write instead.
    pub message: String,
    source: String,
}

impl FormulaError {
    pub(super) fn new(source: &str, position: usize, message: String) -> Self {
        Self {
            position,
            message,
            source: source.to_string(),
        }
    }

    /// The formula the error is about.
    pub fn formula(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Control characters (tabs, newlines) shown as spaces keep the caret aligned.
        let shown: String = self
            .source
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        write!(
            f,
            "{} at column {}\n  {}\n  {}^",
            self.message,
            self.position + 1,
            shown,
            " ".repeat(self.position)
        )
    }
}

impl std::error::Error for FormulaError {}

//! homodyne-strategy

//! homodyne

//! homodyne-stats

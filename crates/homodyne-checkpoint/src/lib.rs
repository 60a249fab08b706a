//! homodyne-checkpoint

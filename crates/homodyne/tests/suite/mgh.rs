//! mgh tests

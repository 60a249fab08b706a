//! inputs tests

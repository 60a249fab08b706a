//! properties tests

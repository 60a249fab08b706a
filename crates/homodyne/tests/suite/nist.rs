//! nist tests

//! bounds tests

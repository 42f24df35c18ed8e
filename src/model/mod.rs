//! Validated, immutable domain types built from specs.
pub mod distribution;

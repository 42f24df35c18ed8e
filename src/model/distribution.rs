//! Validated random distributions, sampled in seconds from a portable generator.

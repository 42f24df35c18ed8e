//! A k6 scenario as written in an experiment (k6 field names and defaults).

//! k6 executors: validated scenario configurations and their exact schedules.
pub mod executor;
pub mod schedule;

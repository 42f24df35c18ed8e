//! k6 executors: validated scenario configurations and their exact schedules.
//!
//! [`executor`] holds the validated [`Scenario`]/[`Executor`] types (built by
//! [`crate::spec::scenario::ScenarioSpec::validate`]); [`schedule`] turns them into VU steps
//! ([`ramping_vus_steps`]) and iteration start times ([`ArrivalSchedule`]).
pub mod executor;
pub mod schedule;

pub use executor::{Executor, Scenario, Stage};
pub use schedule::{ArrivalSchedule, VuStep, ramping_vus_steps};

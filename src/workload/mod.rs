//! k6 executors: validated scenario configurations and their exact schedules.
//!
//! [`executor`] holds the validated [`Scenario`]/[`Executor`] types, which [`validate`]
//! builds from the spec layer's scenario mirror with k6's defaults and limits;
//! [`schedule`] turns them into VU steps ([`ramping_vus_steps`]) and iteration start
//! times ([`ArrivalSchedule`]).
pub mod executor;
pub mod schedule;
pub mod validate;

pub use executor::{Executor, Scenario, Stage};
pub use schedule::{ArrivalSchedule, VuStep, ramping_vus_steps};

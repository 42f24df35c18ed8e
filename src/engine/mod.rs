//! The single-threaded discrete-event engine: clock, event queue, stations and requests.
//! No I/O, no threads: one [`Simulation`] is one replication, a pure function of its seed.
//! The event loop (`sim/`) calls the components; no component imports the loop, and the
//! result types (`result.rs`) import nothing of the recorder that produces them.

pub mod abort;
mod aws;
mod budget;
pub mod database;
pub mod event;
mod external;
mod faults;
pub mod gauges;
pub mod heap4;
mod lb_health;
pub mod memory;
pub mod outcome;
pub mod ps;
pub mod queue;
pub mod rearm;
pub mod recorder;
pub mod result;
pub mod scaling;
pub mod sim;
pub mod station;
pub mod submetrics;
mod task;
mod timer_list;
mod vus;
pub mod window_result;
mod windows;

pub use budget::{Budget, RunError};
pub use outcome::Cause;
pub use result::ReplicationResult;
pub use sim::Simulation;

use crate::model::experiment::Experiment;

/// Runs replication `index` of `experiment`.
pub fn run_replication(
    experiment: &Experiment,
    index: u32,
    budget: Budget,
) -> Result<ReplicationResult, RunError> {
    Simulation::new(experiment, index, budget).run()
}

//! The single-threaded discrete-event engine: clock, event queue, stations and requests.
//! No I/O, no threads: one [`Simulation`] is one replication, a pure function of its seed.

mod aws;
pub mod database;
pub mod event;
mod faults;
mod lb_health;
pub mod outcome;
pub mod ps;
pub mod queue;
pub mod recorder;
pub mod result;
pub mod scaling;
pub mod sim;
pub mod station;
mod vus;

pub use outcome::Cause;
pub use result::ReplicationResult;
pub use sim::{Budget, RunError, Simulation};

use crate::model::experiment::Experiment;

/// Runs replication `index` of `experiment`.
pub fn run_replication(
    experiment: &Experiment,
    index: u32,
    budget: Budget,
) -> Result<ReplicationResult, RunError> {
    Simulation::new(experiment, index, budget).run()
}

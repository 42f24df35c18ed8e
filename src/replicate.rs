//! Runs the replications of an experiment in parallel with rayon and returns results in
//! index order, so the outputs do not depend on the thread count.

use crate::engine::{Budget, ReplicationResult, RunError, run_replication};
use crate::model::experiment::Experiment;
use rayon::prelude::*;
use std::ops::Range;

#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Replication indices to run (each has its own random streams).
    pub indices: Range<u32>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    pub budget: Budget,
}

/// Runs `plan.indices` of `experiment`; `on_done` is called after each replication (for
/// progress), from any thread.
pub fn run_replications(
    experiment: &Experiment,
    plan: &RunPlan,
    on_done: &(dyn Fn(&ReplicationResult) + Sync),
) -> Result<Vec<ReplicationResult>, RunError> {
    let n = plan.indices.len();
    let running = plan
        .threads
        .map_or_else(rayon::current_num_threads, |t| cap_threads(t, n))
        .min(n);
    let budget = plan.budget.for_run(experiment, running, n)?;
    let work = || {
        plan.indices
            .clone()
            .into_par_iter()
            .map(|i| {
                let r = run_replication(experiment, i, budget)?;
                crate::interrupt::note_finished();
                on_done(&r);
                Ok(r)
            })
            .collect::<Result<Vec<_>, RunError>>()
    };
    match plan.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(cap_threads(n, plan.indices.len()))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    }
}

/// Worker threads actually started for `requested`: at least 1, at most the replications to
/// run and the machine's parallelism (`--threads 100000` would otherwise spend minutes
/// spawning threads). Results do not depend on the count.
pub fn cap_threads(requested: usize, work: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    requested.min(work.max(1)).min(cores).max(1)
}

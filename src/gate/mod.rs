//! The CI gate and tuning tools: `capsim check` with JUnit and Markdown
//! reports, paired comparisons (`diff`) and sweeps with common random numbers, sequential
//! stopping, alert rules, and shards that merge into the outputs of one run.

pub mod alerts;
pub mod check;
pub mod compare;
pub mod diff;
pub mod junit;
pub mod metrics;

pub mod sequential;
pub mod shard;
pub mod sweep;

use crate::engine::memory::Kept;
use crate::engine::{Budget, ReplicationResult, RunError, run_replication};
use crate::model::experiment::Experiment;
use rayon::prelude::*;

/// Default event budget of `check`, `diff` and `sweep` per replication: an untrusted
/// configuration cannot hold a CI runner for long (about 2-4 minutes of one core).
pub const DEFAULT_GATE_MAX_EVENTS: u64 = 2_000_000_000;

/// Default `--max-wall-time` of `check` and `diff`: a CI job fails with exit 2 rather than
/// hold a runner when an untrusted configuration is far larger than intended.
pub const DEFAULT_CHECK_WALL_TIME: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// Default `--max-wall-time` of `sweep`, which runs a whole grid.
pub const DEFAULT_SWEEP_WALL_TIME: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// How replications run: worker threads, the per-replication budget, and what is kept of
/// each finished replication.
#[derive(Debug, Clone, Copy, Default)]
pub struct Runner {
    pub threads: Option<usize>,
    pub budget: Budget,
    /// `CompactNoBands` drops a result's time buckets and latency distributions as soon as it
    /// finishes (callers that read only summaries: `check` without alert rules, `diff`), so
    /// memory does not grow with replications x buckets.
    pub keep: Kept,
}

impl Runner {
    /// Runs the given replication indices in parallel; results come back in the given order.
    pub fn run(
        &self,
        exp: &Experiment,
        indices: &[u32],
    ) -> Result<Vec<ReplicationResult>, RunError> {
        let running = self.threads().min(indices.len());
        let budget = self
            .budget
            .for_run_keeping(exp, running, indices.len(), self.keep)?;
        let work = || {
            indices
                .par_iter()
                .map(|&i| self.run_one(exp, i, budget))
                .collect::<Result<Vec<_>, RunError>>()
        };
        self.install(work)
    }

    /// Runs replication `index` under `budget` (from [`Budget::for_run_keeping`]) and keeps
    /// of it what `self.keep` says.
    pub fn run_one(
        &self,
        exp: &Experiment,
        index: u32,
        budget: Budget,
    ) -> Result<ReplicationResult, RunError> {
        let mut r = run_replication(exp, index, budget)?;
        if self.keep != Kept::Whole {
            r.compact(!exp.faults.is_empty());
        }
        crate::interrupt::note_finished();
        Ok(r)
    }

    /// Worker threads of the pool [`Runner::install`] runs on.
    pub fn threads(&self) -> usize {
        self.threads.map_or_else(rayon::current_num_threads, |n| {
            crate::replicate::cap_threads(n, usize::MAX)
        })
    }

    /// Runs `work` on a pool of `threads` workers (or the global pool).
    pub fn install<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        match self.threads {
            Some(n) => match rayon::ThreadPoolBuilder::new()
                .num_threads(crate::replicate::cap_threads(n, usize::MAX))
                .build()
            {
                Ok(pool) => pool.install(work),
                Err(_) => work(),
            },
            None => work(),
        }
    }
}

//! Runs the replications of an experiment on worker threads and hands each result on in
//! index order as it finishes, so the outputs do not depend on the thread count and a
//! caller can fold results instead of keeping them all.

use crate::aggregate::distribution::DistributionFold;
use crate::aggregate::series::SeriesFold;
use crate::engine::memory::Kept;
use crate::engine::{Budget, ReplicationResult, RunError, run_replication};
use crate::model::experiment::Experiment;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Condvar, Mutex};

#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Replication indices to run (each has its own random streams).
    pub indices: Range<u32>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    pub budget: Budget,
}

/// Runs `plan.indices` of `experiment` and returns every whole result, in index order;
/// `on_done` is called after each replication (for progress), from any thread.
pub fn run_replications(
    experiment: &Experiment,
    plan: &RunPlan,
    on_done: &(dyn Fn(&ReplicationResult) + Sync),
) -> Result<Vec<ReplicationResult>, RunError> {
    let mut results = Vec::with_capacity(plan.indices.len());
    run_in_order(experiment, plan, Kept::Whole, on_done, &mut |r| {
        results.push(r)
    })?;
    Ok(results)
}

/// A run's replications folded as they finished: compact results (no time buckets or
/// latency distributions, see [`ReplicationResult::compact`]) and the running bands of
/// the time series and the latency distributions.
#[derive(Debug, Clone)]
pub struct Folded {
    pub results: Vec<ReplicationResult>,
    pub series: SeriesFold,
    pub distribution: DistributionFold,
}

impl Folded {
    /// Folds whole results already in memory (a merge of shards, a sequential run), in
    /// their order; the results stay whole.
    pub fn of(experiment: &Experiment, results: Vec<ReplicationResult>) -> Self {
        let mut series = SeriesFold::new(experiment);
        let mut distribution = DistributionFold::new(experiment);
        for r in &results {
            series.add(r);
            distribution.add(r);
        }
        Folded {
            results,
            series,
            distribution,
        }
    }
}

/// Runs `plan.indices` and folds each result into the running bands in index order as
/// it finishes, keeping a compact result of it: memory stays flat in the replications.
/// `keep_buckets` keeps each result's buckets as well (for alert rules, which read them).
pub fn run_folded(
    experiment: &Experiment,
    plan: &RunPlan,
    keep_buckets: bool,
    on_done: &(dyn Fn(&ReplicationResult) + Sync),
) -> Result<Folded, RunError> {
    let mut folded = Folded {
        results: Vec::with_capacity(plan.indices.len()),
        series: SeriesFold::new(experiment),
        distribution: DistributionFold::new(experiment),
    };
    let keep_rows = !experiment.faults.is_empty();
    let how = if keep_buckets {
        Kept::Whole
    } else {
        Kept::Compact
    };
    run_in_order(experiment, plan, how, on_done, &mut |mut r| {
        folded.series.add(&r);
        folded.distribution.add(&r);
        if !keep_buckets {
            r.compact(keep_rows);
        }
        folded.results.push(r);
    })?;
    Ok(folded)
}

/// What the workers share: the next index to take, the finished results waiting for
/// their turn, and the first error in index order.
struct Shared<'f> {
    next_take: usize,
    next_fold: usize,
    waiting: BTreeMap<usize, Result<ReplicationResult, RunError>>,
    error: Option<RunError>,
    fold: &'f mut (dyn FnMut(ReplicationResult) + Send),
}

/// Runs `plan.indices` on worker threads and calls `fold` with each result in index
/// order. Workers take indices in order and run at most `2 x threads` ahead of the
/// oldest unfinished one, so at most that many finished results wait for their turn.
/// The error returned is that of the lowest failing index (the same for any thread count).
pub fn run_in_order(
    experiment: &Experiment,
    plan: &RunPlan,
    how: Kept,
    on_done: &(dyn Fn(&ReplicationResult) + Sync),
    fold: &mut (dyn FnMut(ReplicationResult) + Send),
) -> Result<(), RunError> {
    let n = plan.indices.len();
    let running = plan
        .threads
        .map_or_else(rayon::current_num_threads, |t| cap_threads(t, n))
        .clamp(1, n.max(1));
    let budget = plan.budget.for_run_keeping(experiment, running, n, how)?;
    let ahead = 2 * running;
    let first = plan.indices.start;
    let shared = Mutex::new(Shared {
        next_take: 0,
        next_fold: 0,
        waiting: BTreeMap::new(),
        error: None,
        fold,
    });
    let turn = Condvar::new();
    let worker = || {
        loop {
            let k = {
                let Ok(mut s) = shared.lock() else { return };
                loop {
                    if s.error.is_some() || s.next_take >= n {
                        return;
                    }
                    if s.next_take < s.next_fold + ahead {
                        break;
                    }
                    s = match turn.wait(s) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                }
                s.next_take += 1;
                s.next_take - 1
            };
            let r = run_replication(experiment, first + k as u32, budget);
            if let Ok(r) = &r {
                crate::interrupt::note_finished();
                on_done(r);
            }
            let Ok(mut guard) = shared.lock() else { return };
            let s = &mut *guard;
            if s.error.is_some() {
                return;
            }
            s.waiting.insert(k, r);
            while let Some(r) = s.waiting.remove(&s.next_fold) {
                match r {
                    Ok(r) => (s.fold)(r),
                    Err(e) => {
                        s.error = Some(e);
                        s.waiting.clear();
                        break;
                    }
                }
                s.next_fold += 1;
            }
            drop(guard);
            turn.notify_all();
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..running {
            scope.spawn(worker);
        }
        worker();
    });
    let s = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    match s.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Worker threads actually started for `requested`: at least 1, at most the replications to
/// run and the machine's parallelism (`--threads 100000` would otherwise spend minutes
/// spawning threads). Results do not depend on the count.
pub fn cap_threads(requested: usize, work: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    requested.min(work.max(1)).min(cores).max(1)
}

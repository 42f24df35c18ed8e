//! The plan's replications on one set of worker threads: every replication of every
//! experiment, taken in plan order (experiment by experiment, index by index), so that one
//! experiment's last replications overlap the next one's first instead of leaving cores
//! idle while the slowest replication of each experiment finishes. Each experiment's
//! results come back in index order, and a replication is a pure function of its
//! experiment and index, so the report is the same as running the experiments one after
//! the other, whatever the thread count.

use crate::engine::{Budget, ReplicationResult, RunError};
use crate::gate::Runner;
use crate::model::experiment::Experiment;
use anyhow::{Result, anyhow};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// One experiment to run: its replications `0..exp.replications`, each under `budget`.
pub struct Work<'a> {
    pub name: &'a str,
    pub exp: &'a Experiment,
    pub budget: Budget,
}

/// One experiment's runs, finished.
pub struct Finished {
    /// In index order.
    pub results: Vec<ReplicationResult>,
    /// Seconds from its first replication's start to its last one's end (experiments
    /// overlap, so these add up to more than the whole).
    pub wall_s: f64,
    /// Seconds from the start of all runs to its last replication's end.
    pub ended_s: f64,
}

/// A finished replication, as a worker hands it back.
struct Message {
    job: usize,
    started: Instant,
    ended: Instant,
    result: Result<ReplicationResult, RunError>,
}

/// Where the results of one experiment gather.
struct Slot {
    results: Vec<Option<ReplicationResult>>,
    missing: usize,
    started: Option<Instant>,
    ended: Option<Instant>,
}

/// Runs all of `work` on `threads` workers. `done(i, finished)` hears each experiment in
/// plan order, on the calling thread, as soon as it and every experiment before it have
/// finished. A failed replication (or a failed `done`) stops the workers taking new
/// replications; the error returned is then the first in plan order among those seen.
pub fn run_all(
    runner: &Runner,
    work: &[Work<'_>],
    threads: usize,
    done: &mut dyn FnMut(usize, Finished) -> Result<()>,
) -> Result<()> {
    // Job j is replication j - starts[i] of experiment i, for the last i with starts[i] <= j.
    let mut starts = Vec::with_capacity(work.len());
    let mut total = 0usize;
    for w in work {
        starts.push(total);
        total += w.exp.replications as usize;
    }
    let locate = |job: usize| {
        let i = starts.partition_point(|&s| s <= job) - 1;
        (i, (job - starts[i]) as u32)
    };
    let mut slots: Vec<Slot> = work
        .iter()
        .map(|w| Slot {
            results: (0..w.exp.replications).map(|_| None).collect(),
            missing: w.exp.replications as usize,
            started: None,
            ended: None,
        })
        .collect();
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut failure: Option<(usize, anyhow::Error)> = None;
    let mut emitted = 0;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Message>();
        for _ in 0..threads.clamp(1, total.max(1)) {
            let tx = tx.clone();
            let (next, stop, locate) = (&next, &stop, &locate);
            scope.spawn(move || {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= total || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let (i, index) = locate(job);
                    let started = Instant::now();
                    let result = runner.run_one(work[i].exp, index, work[i].budget);
                    let message = Message {
                        job,
                        started,
                        ended: Instant::now(),
                        result,
                    };
                    if tx.send(message).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        for m in rx {
            let (i, index) = locate(m.job);
            let slot = &mut slots[i];
            slot.started = Some(slot.started.map_or(m.started, |s| s.min(m.started)));
            slot.ended = Some(slot.ended.map_or(m.ended, |e| e.max(m.ended)));
            match m.result {
                Ok(r) => {
                    slot.results[index as usize] = Some(r);
                    slot.missing -= 1;
                }
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    if failure.as_ref().is_none_or(|(job, _)| m.job < *job) {
                        let error =
                            anyhow!(e).context(format!("plan experiment `{}`", work[i].name));
                        failure = Some((m.job, error));
                    }
                }
            }
            while failure.is_none() && emitted < slots.len() && slots[emitted].missing == 0 {
                let slot = &mut slots[emitted];
                let (started, ended) = (slot.started.unwrap_or(t0), slot.ended.unwrap_or(t0));
                let finished = Finished {
                    results: slot.results.iter_mut().filter_map(Option::take).collect(),
                    wall_s: (ended - started).as_secs_f64(),
                    ended_s: (ended - t0).as_secs_f64(),
                };
                if let Err(e) = done(emitted, finished) {
                    stop.store(true, Ordering::Relaxed);
                    failure = Some((starts[emitted], e));
                }
                emitted += 1;
            }
        }
    });
    match failure {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

//! Limits on one replication (events, wall-clock deadline, stop flag) and the errors that
//! end a replication early.

use crate::time::Nanos;

/// Limits on one replication, so that an untrusted experiment cannot hold a machine.
/// The deadline and the stop flag are looked at once every [`Budget::CHECK_EVERY`] events,
/// so that the per-event cost is one counter test.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_events: u64,
    /// Wall-clock deadline shared by every replication of a command (`--max-wall-time`).
    pub deadline: Option<std::time::Instant>,
    /// Set by the Ctrl-C/SIGTERM handler (or a test): stop as soon as possible.
    pub stop: Option<&'static std::sync::atomic::AtomicBool>,
    /// The command's memory budget in bytes (`--max-memory`; `None`: no limit). The
    /// runners check the experiment against it before running (`Budget::for_run`, in the
    /// memory module) and give each replication its share.
    pub max_memory: Option<u64>,
    /// One replication's share of `max_memory` for its live state, looked at with the
    /// deadline; `u64::MAX`: no limit.
    pub state_limit: u64,
}

impl Budget {
    /// Events between two looks at the clock and the stop flag (a power of two).
    pub const CHECK_EVERY: u64 = 1 << 16;

    /// Whether the run must stop now (the stop flag is set or the deadline has passed).
    pub fn check(&self, replication: u32, events: u64, at: Nanos) -> Result<(), RunError> {
        if self
            .stop
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(RunError::Interrupted { replication });
        }
        if let Some(deadline) = self.deadline
            && std::time::Instant::now() >= deadline
        {
            return Err(RunError::WallTime {
                replication,
                events,
                at: crate::time::format_duration(at),
            });
        }
        Ok(())
    }
}

/// Events a replication may run at one simulated instant before it is stopped as stuck
/// ([`RunError::NoProgress`]): a fixed floor plus a share per VU, so that a legitimate burst
/// (every VU of a large test starting at t = 0, each taking a few dozen events) passes.
pub fn stall_limit(max_vus: u64) -> u64 {
    const FLOOR: u64 = 1 << 24;
    const PER_VU: u64 = 64;
    FLOOR.saturating_add(max_vus.saturating_mul(PER_VU))
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_events: u64::MAX,
            deadline: None,
            stop: None,
            max_memory: None,
            state_limit: u64::MAX,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error(
        "replication {replication} stopped after {events} events at simulated time {at}: the --max-events budget is spent; raise it or shorten the experiment"
    )]
    EventBudget {
        replication: u32,
        events: u64,
        at: String,
    },
    #[error(
        "replication {replication} stopped after {events} events at simulated time {at}: the --max-wall-time budget is spent; raise it or shorten the experiment"
    )]
    WallTime {
        replication: u32,
        events: u64,
        at: String,
    },
    /// The simulated clock stood still for [`stall_limit`] events: a zero-time loop that
    /// would otherwise grow memory until the process is killed.
    #[error(
        "replication {replication} made no progress: {events} events ran without the simulated clock moving past {at}. \
         Something loops at one instant, most often a flow with no think time (no `sleep` step) against responses \
         that take no time or are refused at once (`queue_capacity: 0`, an empty operation `[]`, a service that fails \
         every request). Add a `sleep` step to the experiment's flows, or look at the model's `queue_capacity`, \
         operations and faults"
    )]
    NoProgress {
        replication: u32,
        events: u64,
        at: String,
    },
    /// The experiment cannot fit in `--max-memory` (estimated before running).
    #[error(
        "the experiment needs about {estimate} ({detail}), more than --max-memory {limit}: \
         use fewer VUs (or maxVUs), a coarser `bucket`, fewer --threads or replications, \
         or raise --max-memory (`none` lifts it)"
    )]
    MemoryEstimate {
        estimate: String,
        limit: String,
        detail: String,
    },
    /// A replication's live state outgrew its share of `--max-memory`.
    #[error(
        "replication {replication} stopped at simulated time {at}: its state ({events} events \
         pending, {tasks} requests and jobs, {vus} VUs, {queued} queued) holds about {bytes}, \
         over its share {limit} of --max-memory; work piles up faster than the model serves \
         it: give the queue a bound (`queue_capacity` on a service, `capacity` on a job queue) or a timeout, lower the load, or raise \
         --max-memory (`none` lifts it)"
    )]
    Memory {
        replication: u32,
        at: String,
        events: u64,
        tasks: u64,
        vus: u64,
        queued: u64,
        bytes: String,
        limit: String,
    },
    /// Ctrl-C (SIGINT) or SIGTERM: the command stops without writing its outputs.
    #[error("interrupted during replication {replication}")]
    Interrupted { replication: u32 },
}

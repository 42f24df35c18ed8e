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

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_events: u64::MAX,
            deadline: None,
            stop: None,
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
    /// Ctrl-C (SIGINT) or SIGTERM: the command stops without writing its outputs.
    #[error("interrupted during replication {replication}")]
    Interrupted { replication: u32 },
}

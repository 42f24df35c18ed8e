//! A timer re-armed many times between firings without leaving stale events behind.
//!
//! A processor-sharing node's next departure moves at every job that starts or ends there.
//! Pushing a new event at each move left the previous one to pop later as a stale no-op:
//! on `load-10x` about 3.1 million stale database events per replication, one in eight of
//! all events. [`RearmTimer`] keeps at most one event in the queue (the *armed* one) and the
//! time and sequence number the latest arming asked for (the *due* key):
//!
//! - arming at or after the armed time only records the due key, with a sequence number
//!   reserved from the queue ([`EventQueue::reserve_seq`]); arming earlier pushes a new
//!   event (the armed one goes stale, as before);
//! - when the armed event pops before its due key, it is pushed again at exactly the due
//!   key ([`EventQueue::push_at`]); at the due time but with an earlier sequence, it is pushed
//!   again only if another event lies between the two keys ([`EventQueue::peek_key`]).
//!
//! So the firing that does its work pops exactly where the latest arming's own event would
//! have popped had every arming pushed one: the order of events and every result are the
//! same, with fewer events.

use crate::engine::event::Event;
use crate::engine::queue::EventQueue;
use crate::time::Nanos;

/// No time: nothing armed, or nothing due.
const NONE: Nanos = Nanos::MAX;

#[derive(Debug, Clone, Copy)]
pub struct RearmTimer {
    /// Time and sequence of the event in the queue (`armed_at == NONE`: none).
    armed_at: Nanos,
    armed_seq: u64,
    /// Time and sequence the latest arming asked for (`due_at == NONE`: disarmed).
    due_at: Nanos,
    due_seq: u64,
    /// The version the armed event carries; an event with another one is stale.
    version: u32,
}

impl Default for RearmTimer {
    fn default() -> Self {
        RearmTimer {
            armed_at: NONE,
            armed_seq: 0,
            due_at: NONE,
            due_seq: 0,
            version: 0,
        }
    }
}

impl RearmTimer {
    /// Arms the timer for `at` (`Nanos::MAX`: disarms it), replacing any earlier arming.
    /// `event` builds the queue entry from the version it must carry.
    #[inline]
    pub fn arm(&mut self, at: Nanos, queue: &mut EventQueue, event: impl FnOnce(u32) -> Event) {
        if at == NONE {
            self.due_at = NONE;
            return;
        }
        let seq = queue.reserve_seq();
        self.due_at = at;
        self.due_seq = seq;
        if self.armed_at != NONE && at >= self.armed_at {
            return;
        }
        self.version = self.version.wrapping_add(1);
        self.armed_at = at;
        self.armed_seq = seq;
        queue.push_at(at, seq, event(self.version));
    }

    /// The timer's event with `version` has popped: whether the timer fires now. `false`
    /// for a stale event, a disarmed timer, or an event pushed again at its due key.
    #[inline]
    pub fn fire(
        &mut self,
        version: u32,
        queue: &mut EventQueue,
        event: impl FnOnce(u32) -> Event,
    ) -> bool {
        if version != self.version || self.armed_at == NONE {
            return false;
        }
        let armed = (self.armed_at, self.armed_seq);
        let due = (self.due_at, self.due_seq);
        self.armed_at = NONE;
        if self.due_at == NONE {
            return false;
        }
        if due != armed && (due.0 > armed.0 || queue.peek_key().is_some_and(|k| k < due)) {
            self.armed_at = due.0;
            self.armed_seq = due.1;
            queue.push_at(due.0, due.1, event(self.version));
            return false;
        }
        self.due_at = NONE;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer_event(v: u32) -> Event {
        Event::DbNext {
            node: 1_000_000,
            version: v,
        }
    }

    /// What pops, as (time, label): label is the other event's number, or `u32::MAX` for a
    /// firing of the timer.
    type Trace = Vec<(Nanos, u32)>;

    /// The same random script run twice: arming by pushing a new versioned event each time
    /// (stale ones skipped), and through [`RearmTimer`]. Times collide often (a coarse grid),
    /// so equal-time order is exercised.
    fn run(script_seed: u64, rearm: bool) -> (Trace, u64) {
        let mut z = script_seed;
        let mut next = || {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            z >> 33
        };
        let mut q = EventQueue::with_capacity(16, 1);
        let mut timer = RearmTimer::default();
        let mut naive_version = 0u32;
        let mut trace = Vec::new();
        let mut pops = 0u64;
        let mut label = 0u32;
        let mut now: Nanos = 0;
        // Some first events.
        for _ in 0..5 {
            q.push(
                next() % 20,
                Event::VuWake {
                    vu: label,
                    token: 0,
                },
            );
            label += 1;
        }
        while let Some((t, e)) = q.pop() {
            pops += 1;
            now = now.max(t);
            assert_eq!(now, t, "time never goes back");
            match e {
                Event::DbNext { version, .. } => {
                    let fired = if rearm {
                        timer.fire(version, &mut q, timer_event)
                    } else {
                        version == naive_version
                    };
                    if !fired {
                        // A no-op in both runs: the script goes on at the next real event.
                        continue;
                    }
                    trace.push((t, u32::MAX));
                }
                Event::VuWake { vu, .. } => trace.push((t, vu)),
                _ => unreachable!(),
            }
            if label > 20_000 {
                continue;
            }
            // Each real event: maybe push others (often at the same time), maybe re-arm.
            for _ in 0..1 + next() % 2 {
                q.push(
                    t + next() % 200,
                    Event::VuWake {
                        vu: label,
                        token: 0,
                    },
                );
                label += 1;
            }
            let arms = if next() % 16 == 0 { 1 + next() % 3 } else { 0 };
            for _ in 0..arms {
                let at = if next() % 10 == 0 {
                    Nanos::MAX
                } else {
                    t + next() % 8
                };
                if rearm {
                    timer.arm(at, &mut q, timer_event);
                } else {
                    naive_version += 1;
                    if at != Nanos::MAX {
                        q.push(at, timer_event(naive_version));
                    }
                }
            }
        }
        (trace, pops)
    }

    #[test]
    fn fires_where_pushing_at_every_arming_would() {
        let mut saved = 0;
        for seed in 1..40 {
            let (naive, naive_pops) = run(seed, false);
            let (rearmed, rearmed_pops) = run(seed, true);
            let fired = naive.iter().filter(|e| e.1 == u32::MAX).count();
            assert!(fired > 50, "seed {seed}: {fired} firings");
            let first_difference = naive.iter().zip(&rearmed).position(|(a, b)| a != b);
            assert_eq!(first_difference, None, "seed {seed}: (time, event) differ");
            assert_eq!(naive.len(), rearmed.len(), "seed {seed}");
            assert!(rearmed_pops <= naive_pops, "seed {seed}");
            saved += naive_pops - rearmed_pops;
        }
        assert!(saved > 1000, "stale events saved: {saved}");
    }
}

//! The future-event list: events ordered by (time, insertion sequence), never by chance,
//! in a heap for the events due soon, a heap for those due later (the VUs' wake-ups after
//! think times among them), FIFO lanes for the timers of fixed delay and a slot for the
//! next arrival tick.

use crate::engine::event::Event;
use crate::engine::heap4::{Heap4, Keyed};
use crate::engine::timer_list::TimerList;
use crate::time::Nanos;
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy)]
struct Entry {
    time: Nanos,
    seq: u64,
    event: Event,
}

impl Keyed for Entry {
    /// The order of events: time, then insertion sequence, as one integer (one compare).
    /// Keys are unique (the sequence), so events pop in the order of any correct priority
    /// queue.
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
}

/// The event queue: a 4-ary heap, plus FIFO *lanes* for timers of a fixed delay, and the
/// VUs' client timeouts in a FIFO of one timer per VU ([`TimerList`]).
///
/// Timeouts (k6's client timeout, a service's timeout, a pool's wait timeout) are armed on
/// every request and mostly never fire: in a heap they would pile up by the tens of
/// thousands and make every pop slow. A timer of constant delay armed at a non-decreasing
/// clock is due in arming order, so each such kind gets a FIFO lane: O(1) push and pop.
/// A lane timer that is no longer wanted is cancelled in O(1) through the [`TimerId`]
/// its push returned: it is never popped, so a request that ended costs its timeout
/// nothing. The earliest lane front is cached and found again only when a lane's front
/// changes, so a pop does not scan the lanes.
/// An event due [`LATER_AFTER`] or more after the last pop waits in a heap of its own
/// ([`EventQueue::push`]): in a closed-loop test thousands of VUs sleep at once, seconds
/// ahead of the services' events, and long `work` steps wait beside them; in one heap they
/// made every pop of the many short steps sift through their levels, out of the
/// first-level cache. That heap's top counts as one more lane front in the cached least,
/// so a pop of the near heap pays nothing for it.
/// An arrival-rate executor's next iteration start waits in a slot of its own beside the
/// heap ([`EventQueue::push_tick`]): it is pushed and popped once per iteration, and its
/// time, drawn through a logarithm just before, then steers no sift of the heap.
/// The next event is the least (time, sequence) among the heap top, the lane fronts and
/// the tick, so equal times still pop in insertion order and a run stays a pure function
/// of its seed.
/// Capacity grows to the peak number of pending events and is then reused.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: Heap4<Entry>,
    /// The events due [`LATER_AFTER`] or more after the last pop when pushed (lane [`LATER`]
    /// in [`Self::lane_best`]).
    later: Heap4<Entry>,
    lanes: Vec<Lane>,
    /// The VUs' client timeouts, one per VU, in arming order (lane [`VU_TIMERS`]).
    vu_timers: TimerList,
    /// The least (time, seq, lane) among the lane fronts, the client timeouts' front and
    /// the later heap's top; `None` when all are empty.
    lane_best: Option<(Nanos, u64, usize)>,
    /// The same among the lane fronts and the client timeouts' front only: a pop of the
    /// later heap finds the new [`Self::lane_best`] from it and that heap's new top,
    /// without a walk over the lanes.
    fifo_best: Option<(Nanos, u64, usize)>,
    /// One pending arrival tick (see [`Self::push_tick`]).
    tick: Option<Entry>,
    seq: u64,
    /// The time of the last event popped: a push at [`LATER_AFTER`] or more after it goes
    /// to the later heap.
    now: Nanos,
}

/// The lane index of [`EventQueue::vu_timers`] in [`EventQueue::lane_best`].
const VU_TIMERS: usize = usize::MAX;
/// The lane index of [`EventQueue::later`] in [`EventQueue::lane_best`].
const LATER: usize = usize::MAX - 1;
/// How far ahead of the last pop an event goes to the later heap: 20 ms. Where to split
/// changes only speed, never the order. Measured (`valgrind --tool=callgrind`): the
/// shared tandem's 10 ms steps mostly stay near (about 1,419 instructions per request,
/// 1,424 with the split at 5 ms, 1,435 with wake-ups alone); `load-10x`'s 137 ms claims
/// and 80 ms provider calls go later with the wake-ups (about 2,310-2,315 million
/// instructions for 3 minutes at 20 or 50 ms, 2,323 at 5 ms, 2,351 with wake-ups alone).
const LATER_AFTER: Nanos = 20_000_000;

/// One FIFO lane. A cancelled entry keeps its place with sequence [`CANCELLED`] and is
/// dropped when it reaches the front, so the front is always live.
#[derive(Debug, Default)]
struct Lane {
    entries: VecDeque<Entry>,
    /// Entries removed from the front so far: `entries[i]` has the id `popped + i`.
    popped: u64,
}

/// Where the next event is.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Lane(usize),
    Tick,
}

/// Sequence numbers start at 1: 0 marks a cancelled lane entry.
const CANCELLED: u64 = 0;

/// A lane timer's handle, for [`EventQueue::cancel`]. A timer that went to the heap (out of
/// order for its lane) has none and is skipped as stale when it fires, as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerId(u64);

impl TimerId {
    pub const NONE: TimerId = TimerId(u64::MAX);
}

impl Lane {
    fn front_key(&self) -> Option<(Nanos, u64)> {
        self.entries.front().map(|e| (e.time, e.seq))
    }

    /// Drops cancelled entries at the front.
    fn skip_cancelled(&mut self) {
        while self.entries.front().is_some_and(|e| e.seq == CANCELLED) {
            self.entries.pop_front();
            self.popped += 1;
        }
    }
}

impl EventQueue {
    /// Bytes of one pending event (for the memory budget).
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

    pub fn with_capacity(n: usize, lanes: usize) -> Self {
        EventQueue {
            heap: Heap4::with_capacity(n),
            later: Heap4::default(),
            lanes: (0..lanes).map(|_| Lane::default()).collect(),
            vu_timers: TimerList::default(),
            lane_best: None,
            fifo_best: None,
            tick: None,
            seq: 0,
            now: 0,
        }
    }

    #[inline]
    pub fn push(&mut self, time: Nanos, event: Event) {
        let seq = self.reserve_seq();
        if time >= self.now.saturating_add(LATER_AFTER) {
            self.later.push(Entry { time, seq, event });
            self.offer_best(time, seq, LATER);
            return;
        }
        self.heap.push(Entry { time, seq, event });
    }

    /// Pushes an arrival-rate executor's next tick: into the tick slot when it is free (a
    /// scenario keeps one tick pending, so with one such scenario it always is), else into
    /// the heap. Pops where [`Self::push`] would have put it.
    #[inline]
    pub fn push_tick(&mut self, time: Nanos, event: Event) {
        let seq = self.reserve_seq();
        let entry = Entry { time, seq, event };
        if self.tick.is_none() {
            self.tick = Some(entry);
        } else {
            self.heap.push(entry);
        }
    }

    /// Takes the next sequence number without pushing: the place in the order of an event
    /// pushed later with [`Self::push_at`] (a re-armed timer, `engine/rearm.rs`). Sequence
    /// numbers stay the same as if an event had been pushed now.
    #[inline]
    pub fn reserve_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Pushes with a sequence number taken from [`Self::reserve_seq`] and not used since: the
    /// event pops where an event pushed at the reservation would have.
    #[inline]
    pub fn push_at(&mut self, time: Nanos, seq: u64, event: Event) {
        self.heap.push(Entry { time, seq, event });
    }

    /// The (time, sequence) of the next event.
    #[inline]
    pub fn peek_key(&self) -> Option<(Nanos, u64)> {
        self.next_source().map(|(_, t, s)| (t, s))
    }

    /// Pushes onto a FIFO lane; an entry earlier than the lane's last goes to the heap
    /// instead, which is always correct. Returns the handle that cancels it.
    #[inline]
    pub fn push_lane(&mut self, lane: usize, time: Nanos, event: Event) -> TimerId {
        let seq = self.reserve_seq();
        let entry = Entry { time, seq, event };
        let l = &mut self.lanes[lane];
        match l.entries.back() {
            Some(last) if last.time > time => {
                self.heap.push(entry);
                TimerId::NONE
            }
            _ => {
                l.entries.push_back(entry);
                let id = l.popped + l.entries.len() as u64 - 1;
                if l.entries.len() == 1 {
                    self.offer_fifo_front(time, seq, lane);
                }
                TimerId(id)
            }
        }
    }

    /// Cancels a lane timer that has not fired yet; one already fired (or without a
    /// handle) is left alone. The loop never sees a cancelled timer.
    #[inline(always)]
    pub fn cancel(&mut self, lane: usize, id: TimerId) {
        // Most tasks arm no timer: decided where it is called.
        if id != TimerId::NONE {
            self.cancel_armed(lane, id);
        }
    }

    fn cancel_armed(&mut self, lane: usize, id: TimerId) {
        let l = &mut self.lanes[lane];
        let Some(index) = id.0.checked_sub(l.popped) else {
            return;
        };
        let Some(e) = l.entries.get_mut(index as usize) else {
            return;
        };
        e.seq = CANCELLED;
        if index == 0 {
            l.skip_cancelled();
            if self.fifo_best.is_some_and(|(_, _, best)| best == lane) {
                self.refresh_lane_best();
            }
        }
    }

    /// Arms VU `vu`'s client timeout (a timer of the one fixed delay, at a clock that never
    /// goes back, so due in arming order). A timer still armed for the VU (one its
    /// interruption left behind, now stale) moves to the heap with its (time, sequence), so
    /// it still pops when it did. Returns the handle that cancels the new one.
    #[inline(always)]
    pub fn push_vu_timer(&mut self, vu: u32, time: Nanos, event: Event) -> TimerId {
        let seq = self.reserve_seq();
        if let Some((t, s, e)) = self.vu_timers.armed_of(vu) {
            let front = self.vu_timers.is_front(vu);
            self.vu_timers.unlink(vu);
            self.heap.push(Entry {
                time: t,
                seq: s,
                event: e,
            });
            if front {
                self.refresh_lane_best();
            }
        }
        if self.vu_timers.back_time().is_some_and(|last| last > time) {
            self.heap.push(Entry { time, seq, event });
            return TimerId::NONE;
        }
        self.vu_timers.push_back(vu, time, seq, event);
        if self.vu_timers.len() == 1 {
            self.offer_fifo_front(time, seq, VU_TIMERS);
        }
        TimerId(seq)
    }

    /// Cancels VU `vu`'s client timeout `id` if it is still armed (one that fired, or was
    /// replaced, is left alone).
    #[inline]
    pub fn cancel_vu_timer(&mut self, vu: u32, id: TimerId) {
        if id == TimerId::NONE || !self.vu_timers.armed(vu, id.0) {
            return;
        }
        let front = self.vu_timers.is_front(vu);
        self.vu_timers.unlink(vu);
        if front && self.fifo_best.is_some_and(|(_, _, best)| best == VU_TIMERS) {
            self.refresh_lane_best();
        }
    }

    /// A new front of lane `lane` (or of the client timeouts): the cached leasts become it
    /// if it is earlier.
    #[inline(always)]
    fn offer_fifo_front(&mut self, time: Nanos, seq: u64, lane: usize) {
        if self.fifo_best.is_none_or(|(t, s, _)| (time, seq) < (t, s)) {
            self.fifo_best = Some((time, seq, lane));
        }
        self.offer_best(time, seq, lane);
    }

    /// A new front of lane `lane`, or the later heap's new top: [`Self::lane_best`] becomes it
    /// if it is earlier.
    #[inline(always)]
    fn offer_best(&mut self, time: Nanos, seq: u64, lane: usize) {
        if self.lane_best.is_none_or(|(t, s, _)| (time, seq) < (t, s)) {
            self.lane_best = Some((time, seq, lane));
        }
    }

    /// Finds the least front again after a lane's or the client timeouts' front changed.
    fn refresh_lane_best(&mut self) {
        let mut best: Option<(Nanos, u64, usize)> =
            self.vu_timers.front_key().map(|(t, s)| (t, s, VU_TIMERS));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some((t, s)) = lane.front_key()
                && best.is_none_or(|(bt, bs, _)| (t, s) < (bt, bs))
            {
                best = Some((t, s, i));
            }
        }
        self.fifo_best = best;
        self.combine_lane_best();
    }

    /// [`Self::lane_best`]: the least of the lanes' cached least and the later heap's top.
    #[inline(always)]
    fn combine_lane_best(&mut self) {
        self.lane_best = self.fifo_best;
        if let Some(e) = self.later.peek() {
            self.offer_best(e.time, e.seq, LATER);
        }
    }

    fn next_source(&self) -> Option<(Source, Nanos, u64)> {
        let heap = self.heap.peek().map(|e| (Source::Heap, e.time, e.seq));
        let best = match (heap, self.lane_best) {
            (Some(h), Some((t, s, i))) if (t, s) < (h.1, h.2) => Some((Source::Lane(i), t, s)),
            (None, Some((t, s, i))) => Some((Source::Lane(i), t, s)),
            (h, _) => h,
        };
        match (best, self.tick) {
            (Some(b), Some(e)) if (e.time, e.seq) < (b.1, b.2) => {
                Some((Source::Tick, e.time, e.seq))
            }
            (None, Some(e)) => Some((Source::Tick, e.time, e.seq)),
            (b, _) => b,
        }
    }

    /// The later heap pops: out of line, so that the near heap's pop is the one inlined in
    /// the loop.
    #[inline(never)]
    fn pop_later(&mut self) -> Option<Entry> {
        let e = self.later.pop();
        self.combine_lane_best();
        e
    }

    fn take(&mut self, source: Source) -> Option<Entry> {
        match source {
            Source::Heap => self.heap.pop(),
            Source::Tick => self.tick.take(),
            Source::Lane(LATER) => self.pop_later(),
            Source::Lane(VU_TIMERS) => {
                let e =
                    self.vu_timers
                        .pop_front()
                        .map(|(time, seq, event)| Entry { time, seq, event });
                self.refresh_lane_best();
                e
            }
            Source::Lane(i) => {
                let l = &mut self.lanes[i];
                let e = l.entries.pop_front();
                l.popped += 1;
                l.skip_cancelled();
                self.refresh_lane_best();
                e
            }
        }
    }

    pub fn pop(&mut self) -> Option<(Nanos, Event)> {
        self.pop_until(Nanos::MAX)
    }

    /// Pops the next event if it is due no later than `end`.
    pub fn pop_until(&mut self, end: Nanos) -> Option<(Nanos, Event)> {
        let (source, time, _) = self.next_source()?;
        if time > end {
            return None;
        }
        let e = self.take(source)?;
        self.now = e.time;
        Some((e.time, e.event))
    }

    pub fn peek_time(&self) -> Option<Nanos> {
        self.next_source().map(|(_, t, _)| t)
    }

    /// Pending events, counting cancelled lane timers not yet dropped.
    pub fn len(&self) -> usize {
        self.heap.len()
            + self.later.len()
            + usize::from(self.tick.is_some())
            + self.vu_timers.len()
            + self.lanes.iter().map(|l| l.entries.len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// FIFO lanes of the event queue, one per timer of fixed delay.
pub(crate) mod lanes {
    use crate::model::Model;
    /// Events due at the current instant (a task starting, an immediate answer).
    pub const NOW: usize = 0;
    pub fn station(station: usize) -> usize {
        1 + station
    }
    pub fn pool(model: &Model, database: usize) -> usize {
        1 + model.stations.len() + database
    }
    /// The client timeouts of `http.batch()` requests (a VU has one timer of its own for a
    /// single request, `EventQueue::push_vu_timer`; a batch has several in flight).
    pub fn batch_timeout(model: &Model) -> usize {
        1 + model.stations.len() + model.databases.len()
    }
    pub fn count(model: &Model) -> usize {
        2 + model.stations.len() + model.databases.len()
    }
}

#[cfg(test)]
mod tests;

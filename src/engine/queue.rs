//! The future-event list: events ordered by (time, insertion sequence), never by chance,
//! and its FIFO lanes for the timers of fixed delay.

use crate::engine::event::Event;
use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Debug, Clone, Copy)]
struct Entry {
    time: Nanos,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed so that the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// The event queue: a binary heap, plus FIFO *lanes* for timers of a fixed delay.
///
/// Timeouts (k6's client timeout, a service's timeout, a pool's wait timeout) are armed on
/// every request and mostly never fire: in a heap they would pile up by the tens of
/// thousands and make every pop slow. A timer of constant delay armed at a non-decreasing
/// clock is due in arming order, so each such kind gets a FIFO lane: O(1) push and pop.
/// The next event is the least (time, sequence) among the heap top and the lane fronts, so
/// equal times still pop in insertion order and a run stays a pure function of its seed.
/// Capacity grows to the peak number of pending events and is then reused.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    lanes: Vec<VecDeque<Entry>>,
    seq: u64,
}

/// Where the next event is.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Lane(usize),
}

impl EventQueue {
    pub fn with_capacity(n: usize, lanes: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            lanes: (0..lanes).map(|_| VecDeque::new()).collect(),
            seq: 0,
        }
    }

    pub fn push(&mut self, time: Nanos, event: Event) {
        self.seq += 1;
        self.heap.push(Entry {
            time,
            seq: self.seq,
            event,
        });
    }

    /// Pushes onto a FIFO lane; an entry earlier than the lane's last goes to the heap
    /// instead, which is always correct.
    pub fn push_lane(&mut self, lane: usize, time: Nanos, event: Event) {
        self.seq += 1;
        let entry = Entry {
            time,
            seq: self.seq,
            event,
        };
        match self.lanes[lane].back() {
            Some(last) if last.time > time => self.heap.push(entry),
            _ => self.lanes[lane].push_back(entry),
        }
    }

    fn next_source(&self) -> Option<(Source, Nanos, u64)> {
        let mut best = self.heap.peek().map(|e| (Source::Heap, e.time, e.seq));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.front()
                && best.is_none_or(|(_, t, s)| (e.time, e.seq) < (t, s))
            {
                best = Some((Source::Lane(i), e.time, e.seq));
            }
        }
        best
    }

    pub fn pop(&mut self) -> Option<(Nanos, Event)> {
        let (source, _, _) = self.next_source()?;
        let e = match source {
            Source::Heap => self.heap.pop(),
            Source::Lane(i) => self.lanes[i].pop_front(),
        }?;
        Some((e.time, e.event))
    }

    /// Pops the next event if it is due no later than `end`.
    pub fn pop_until(&mut self, end: Nanos) -> Option<(Nanos, Event)> {
        let (source, time, _) = self.next_source()?;
        if time > end {
            return None;
        }
        let e = match source {
            Source::Heap => self.heap.pop(),
            Source::Lane(i) => self.lanes[i].pop_front(),
        }?;
        Some((e.time, e.event))
    }

    pub fn peek_time(&self) -> Option<Nanos> {
        self.next_source().map(|(_, t, _)| t)
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
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
    pub const CLIENT_TIMEOUT: usize = 1;
    pub fn station(station: usize) -> usize {
        2 + station
    }
    pub fn pool(model: &Model, database: usize) -> usize {
        2 + model.stations.len() + database
    }
    pub fn count(model: &Model) -> usize {
        2 + model.stations.len() + model.databases.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::with_capacity(8, 1);
        q.push(20, Event::VuWake { vu: 1, token: 0 });
        q.push_lane(0, 10, Event::VuWake { vu: 2, token: 0 });
        q.push(20, Event::VuWake { vu: 3, token: 0 });
        q.push(10, Event::VuWake { vu: 4, token: 0 });
        q.push_lane(0, 20, Event::VuWake { vu: 5, token: 0 });
        // Out of order for the lane: goes to the heap, still pops in (time, seq) order.
        q.push_lane(0, 15, Event::VuWake { vu: 6, token: 0 });
        let order: Vec<u32> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::VuWake { vu, .. } => vu,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 6, 1, 3, 5]);
    }
}

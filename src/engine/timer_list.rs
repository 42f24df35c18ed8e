//! A FIFO of timers of one fixed delay with at most one timer per owner (a VU's client
//! timeout), kept as a doubly linked list through a node per owner: arming and cancelling
//! touch the owner's node and its two neighbours, which were armed moments apart and are
//! still in cache, instead of a ring buffer that walks through memory.

use crate::engine::event::Event;
use crate::time::Nanos;

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    time: Nanos,
    seq: u64,
    event: Event,
    prev: u32,
    next: u32,
    linked: bool,
}

const UNLINKED: Node = Node {
    time: 0,
    seq: 0,
    event: Event::MetricsScrape,
    prev: NIL,
    next: NIL,
    linked: false,
};

/// The timers in arming order, which is due order (one delay, a clock that never goes
/// back); each is `(time, sequence, event)` of the event queue.
#[derive(Debug)]
pub(crate) struct TimerList {
    nodes: Vec<Node>,
    head: u32,
    tail: u32,
    len: usize,
}

impl Default for TimerList {
    fn default() -> Self {
        TimerList {
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl TimerList {
    /// Timers armed.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The first timer's (time, sequence).
    #[inline]
    pub fn front_key(&self) -> Option<(Nanos, u64)> {
        (self.head != NIL).then(|| {
            let n = &self.nodes[self.head as usize];
            (n.time, n.seq)
        })
    }

    /// The last timer's time.
    #[inline]
    pub fn back_time(&self) -> Option<Nanos> {
        (self.tail != NIL).then(|| self.nodes[self.tail as usize].time)
    }

    /// Whether `owner`'s timer is the first.
    #[inline]
    pub fn is_front(&self, owner: u32) -> bool {
        self.head == owner
    }

    /// `owner`'s armed timer with sequence `seq`, if it is still armed.
    #[inline]
    pub fn armed(&self, owner: u32, seq: u64) -> bool {
        self.nodes
            .get(owner as usize)
            .is_some_and(|n| n.linked && n.seq == seq)
    }

    /// `owner`'s armed timer, if any: `(time, seq, event)`.
    #[inline]
    pub fn armed_of(&self, owner: u32) -> Option<(Nanos, u64, Event)> {
        self.nodes
            .get(owner as usize)
            .filter(|n| n.linked)
            .map(|n| (n.time, n.seq, n.event))
    }

    /// Arms `owner`'s timer at the back; the caller has checked that `owner` has none
    /// armed and that `time` is not before the back's.
    #[inline(always)]
    pub fn push_back(&mut self, owner: u32, time: Nanos, seq: u64, event: Event) {
        let i = owner as usize;
        if i >= self.nodes.len() {
            self.nodes.resize(i + 1, UNLINKED);
        }
        self.nodes[i] = Node {
            time,
            seq,
            event,
            prev: self.tail,
            next: NIL,
            linked: true,
        };
        if self.tail == NIL {
            self.head = owner;
        } else {
            self.nodes[self.tail as usize].next = owner;
        }
        self.tail = owner;
        self.len += 1;
    }

    /// Disarms `owner`'s timer (which must be armed).
    #[inline]
    pub fn unlink(&mut self, owner: u32) {
        let n = &mut self.nodes[owner as usize];
        let (prev, next) = (n.prev, n.next);
        n.linked = false;
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        self.len -= 1;
    }

    /// Removes and returns the first timer: `(time, seq, event)`.
    #[inline]
    pub fn pop_front(&mut self) -> Option<(Nanos, u64, Event)> {
        if self.head == NIL {
            return None;
        }
        let owner = self.head;
        let n = self.nodes[owner as usize];
        self.unlink(owner);
        Some((n.time, n.seq, n.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(vu: u32) -> Event {
        Event::ClientTimeout { vu, token: 0 }
    }

    #[test]
    fn fifo_with_unlinks_anywhere() {
        let mut l = TimerList::default();
        for (k, owner) in [3u32, 0, 7, 1].into_iter().enumerate() {
            l.push_back(owner, 10 + k as u64, k as u64 + 1, ev(owner));
        }
        assert_eq!(l.len(), 4);
        assert!(l.armed(7, 3) && !l.armed(7, 2) && !l.armed(5, 1));
        l.unlink(7); // middle
        l.unlink(3); // front
        assert!(l.is_front(0));
        assert_eq!(l.front_key(), Some((11, 2)));
        assert_eq!(l.back_time(), Some(13));
        l.push_back(3, 20, 9, ev(3));
        let order: Vec<u64> = std::iter::from_fn(|| l.pop_front())
            .map(|(_, s, _)| s)
            .collect();
        assert_eq!(order, vec![2, 4, 9]);
        assert_eq!(l.len(), 0);
        assert_eq!(l.front_key(), None);
        assert_eq!(l.back_time(), None);
        assert!(l.armed_of(0).is_none());
    }
}

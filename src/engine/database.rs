//! Database nodes at run time: a connection pool with a FIFO of waiters in front of a
//! processor-sharing server with `cores` cores (each query gets at most one core).
//!
//! Processor sharing is run in virtual time: with `n` queries in service each advances at
//! rate `r(n) = min(1, cores / n)`, so a query needing work `w` that starts at virtual time
//! `v` ends when virtual time reaches `v + w`. A heap of end points gives the next departure
//! in O(log n) per arrival or departure.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Debug, Clone, Copy)]
pub struct PoolWaiter {
    pub task: u32,
    pub generation: u32,
    pub token: u32,
}

#[derive(Debug, Clone, Copy)]
struct InService {
    finish_v: f64,
    seq: u64,
    task: u32,
    generation: u32,
}

impl PartialEq for InService {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for InService {}
impl PartialOrd for InService {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for InService {
    fn cmp(&self, o: &Self) -> Ordering {
        o.finish_v
            .total_cmp(&self.finish_v)
            .then(o.seq.cmp(&self.seq))
    }
}

#[derive(Debug)]
pub struct DbNodeState {
    pub database: u32,
    pub cores: u32,
    pub pool_size: u32,
    pub in_use: u32,
    pub waiters: VecDeque<PoolWaiter>,
    /// Live waiters (entries in `waiters` may be stale).
    pub waiting: u32,
    virtual_time: f64,
    last_t: u64,
    in_service: BinaryHeap<InService>,
    seq: u64,
    /// Bumped on every change; a `DbNext` event with an older version is stale.
    pub version: u32,
    /// Serves new queries (a read replica being created or removed does not).
    pub ready: bool,
    /// Removed by the read-replica rule: never serves new queries again.
    pub retired: bool,
    /// Time integral of `in_use` (ns x connections), for the DatabaseConnections metric.
    pub in_use_integral: f64,
    in_use_last: u64,
}

impl DbNodeState {
    pub fn new(database: u32, cores: u32, pool_size: u32) -> Self {
        DbNodeState {
            database,
            cores,
            pool_size,
            in_use: 0,
            waiters: VecDeque::new(),
            waiting: 0,
            virtual_time: 0.0,
            last_t: 0,
            in_service: BinaryHeap::with_capacity(pool_size.min(4096) as usize),
            seq: 0,
            version: 0,
            ready: true,
            in_use_integral: 0.0,
            in_use_last: 0,
            retired: false,
        }
    }

    /// Changes the connections in use, keeping their time integral.
    pub fn change_in_use(&mut self, now: u64, delta: i32) {
        self.integrate_in_use(now);
        self.in_use = self.in_use.saturating_add_signed(delta);
    }

    pub fn integrate_in_use(&mut self, now: u64) {
        self.in_use_integral += self.in_use as f64 * now.saturating_sub(self.in_use_last) as f64;
        self.in_use_last = now;
    }

    fn rate(&self) -> f64 {
        let n = self.in_service.len();
        if n == 0 {
            0.0
        } else {
            (self.cores as f64 / n as f64).min(1.0)
        }
    }

    fn advance(&mut self, now: u64) {
        let dt = now.saturating_sub(self.last_t) as f64;
        self.virtual_time += dt * self.rate();
        self.last_t = now;
    }

    /// Starts a query of `work_ns` (its time when alone). Returns the time of the next departure.
    pub fn start(&mut self, now: u64, work_ns: f64, task: u32, generation: u32) -> u64 {
        self.advance(now);
        self.seq += 1;
        self.in_service.push(InService {
            finish_v: self.virtual_time + work_ns,
            seq: self.seq,
            task,
            generation,
        });
        self.version = self.version.wrapping_add(1);
        self.next_departure(now)
    }

    /// Time of the next departure given the current population.
    pub fn next_departure(&self, now: u64) -> u64 {
        match self.in_service.peek() {
            None => u64::MAX,
            Some(top) => {
                let remaining = (top.finish_v - self.virtual_time).max(0.0);
                now + (remaining / self.rate()).ceil() as u64
            }
        }
    }

    /// At a `DbNext` time: removes the finished query, returning its task and the time of
    /// the following departure.
    pub fn finish(&mut self, now: u64) -> Option<(u32, u32, u64)> {
        self.advance(now);
        let top = self.in_service.pop()?;
        // Rounding to whole nanoseconds may leave a sliver; it belongs to this departure.
        self.virtual_time = self.virtual_time.max(top.finish_v);
        self.version = self.version.wrapping_add(1);
        Some((top.task, top.generation, self.next_departure(now)))
    }

    pub fn active_queries(&self) -> usize {
        self.in_service.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_queries_on_one_core_share_it() {
        let mut n = DbNodeState::new(0, 1, 10);
        // A: 10ns of work at t=0; B: 10ns at t=0. Sharing one core, both end at t=20.
        n.start(0, 10.0, 1, 0);
        let next = n.start(0, 10.0, 2, 0);
        assert_eq!(next, 20);
        let (task, _, next) = n.finish(20).unwrap();
        assert_eq!(task, 1);
        assert_eq!(next, 20);
        let (task, _, next) = n.finish(20).unwrap();
        assert_eq!(task, 2);
        assert_eq!(next, u64::MAX);
    }

    #[test]
    fn enough_cores_means_no_slowdown() {
        let mut n = DbNodeState::new(0, 4, 10);
        n.start(0, 100.0, 1, 0);
        n.start(0, 100.0, 2, 0);
        let next = n.start(50, 100.0, 3, 0);
        assert_eq!(next, 100);
        assert_eq!(n.finish(100).unwrap().2, 100);
        assert_eq!(n.finish(100).unwrap().2, 150);
    }
}

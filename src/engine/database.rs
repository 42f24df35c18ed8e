//! Database nodes at run time: a connection pool with a FIFO of waiters in front of a
//! processor-sharing server ([`ProcessorSharing`]) with the node's cores, each query
//! getting at most one core.

use crate::engine::ps::ProcessorSharing;
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy)]
pub struct PoolWaiter {
    pub task: u32,
    pub generation: u32,
    pub token: u32,
}

#[derive(Debug)]
pub struct DbNodeState {
    pub database: u32,
    pub pool_size: u32,
    pub in_use: u32,
    pub waiters: VecDeque<PoolWaiter>,
    /// Live waiters (entries in `waiters` may be stale).
    pub waiting: u32,
    /// The node's cores; a `DbNext` event with an older `ps.version` is stale.
    pub ps: ProcessorSharing,
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
            pool_size,
            in_use: 0,
            waiters: VecDeque::new(),
            waiting: 0,
            ps: ProcessorSharing::new(cores, pool_size as usize),
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
}

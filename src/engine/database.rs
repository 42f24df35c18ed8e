//! Database nodes at run time: a connection pool with a FIFO of waiters in front of a
//! processor-sharing server ([`ProcessorSharing`]) with the node's cores, each query
//! getting at most one core; and per database its nodes (primary, read replicas), the
//! routing of a query to one of them, and read replicas added or removed at run time.

use crate::engine::event::Event;
use crate::engine::ps::ProcessorSharing;
use crate::engine::queue::EventQueue;
use crate::engine::rearm::RearmTimer;
use crate::engine::recorder::Recorder;
use crate::model::Model;
use crate::time::Nanos;
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
    /// The node's cores.
    pub ps: ProcessorSharing,
    /// The node's next query completion (`DbNext`).
    pub next: RearmTimer,
    /// Serves new queries (a read replica being created or removed does not).
    pub ready: bool,
    /// Removed by the read-replica rule: never serves new queries again.
    pub retired: bool,
    /// Time integral of `in_use` (ns x connections), for the DatabaseConnections metric.
    pub in_use_integral: f64,
    in_use_last: u64,
    /// The database's primary (the bottleneck analysis tracks it apart).
    pub primary: bool,
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
            next: RearmTimer::default(),
            ready: true,
            in_use_integral: 0.0,
            in_use_last: 0,
            retired: false,
            primary: false,
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

impl DbNodeState {
    /// Change of min(queries, cores) since `before` queries ran (the busy-cores gauge).
    #[inline]
    pub fn busy_cores_change(&self, before: usize) -> f64 {
        let cores = self.ps.cores as usize;
        self.ps.active().min(cores) as f64 - before.min(cores) as f64
    }

    /// Pops pool waiters up to the first whose task still waits, and returns it.
    #[inline]
    pub fn next_waiter(
        &mut self,
        mut still_waiting: impl FnMut(PoolWaiter) -> bool,
    ) -> Option<PoolWaiter> {
        while let Some(w) = self.waiters.pop_front() {
            if still_waiting(w) {
                return Some(w);
            }
        }
        None
    }

    /// Schedules the node's next query completion (if any query runs), in place of the one
    /// scheduled before.
    #[inline]
    pub fn schedule(&mut self, node: usize, now: Nanos, queue: &mut EventQueue) {
        let next = self.ps.next_departure(now);
        self.next.arm(next, queue, |version| Event::DbNext {
            node: node as u32,
            version,
        });
    }

    /// A `DbNext` of this node with `version` has popped: whether a query ends now.
    #[inline]
    pub fn departure_due(&mut self, node: usize, version: u32, queue: &mut EventQueue) -> bool {
        self.next.fire(version, queue, |version| Event::DbNext {
            node: node as u32,
            version,
        })
    }
}

/// Every database node, and per database its nodes: the primary first, then the read
/// replicas (added at run time too).
pub struct Databases {
    pub nodes: Vec<DbNodeState>,
    of: Vec<Vec<usize>>,
}

impl Databases {
    pub fn new(model: &Model) -> Self {
        let mut nodes = Vec::new();
        let mut of = Vec::new();
        for (i, d) in model.databases.iter().enumerate() {
            let first = nodes.len();
            of.push((first..=first + d.read_replicas as usize).collect::<Vec<usize>>());
            let mut primary = DbNodeState::new(i as u32, d.primary.cores, d.primary.pool_size);
            primary.primary = true;
            nodes.push(primary);
            for _ in 0..d.read_replicas {
                nodes.push(DbNodeState::new(
                    i as u32,
                    d.replica.cores,
                    d.replica.pool_size,
                ));
            }
        }
        Databases { nodes, of }
    }

    /// The node that serves a query: writes go to the primary; reads to the least busy
    /// ready replica (ties: lowest index), else the primary.
    #[inline]
    pub fn route(&self, database: usize, write: bool) -> usize {
        let nodes = &self.of[database];
        let primary = nodes[0];
        if write {
            primary
        } else {
            nodes[1..]
                .iter()
                .copied()
                .filter(|&n| self.nodes[n].ready)
                .min_by_key(|&n| (self.nodes[n].in_use + self.nodes[n].waiting, n))
                .unwrap_or(primary)
        }
    }

    /// Read replicas that serve reads now.
    pub fn ready_replicas(&self, database: usize) -> u32 {
        self.of[database][1..]
            .iter()
            .filter(|&&n| self.nodes[n].ready)
            .count() as u32
    }

    /// Time integral of the connections in use, all nodes of the database together.
    pub fn connections_integral(&mut self, database: usize, now: Nanos) -> f64 {
        let mut integral = 0.0;
        for &n in &self.of[database] {
            self.nodes[n].integrate_in_use(now);
            integral += self.nodes[n].in_use_integral;
        }
        integral
    }

    /// Stops routing reads to the newest ready read replica for good (queries already on it
    /// finish); returns whether there was one.
    pub fn retire_newest_replica(&mut self, database: usize) -> bool {
        let Some(&node) = self.of[database][1..]
            .iter()
            .rev()
            .find(|&&n| self.nodes[n].ready)
        else {
            return false;
        };
        self.nodes[node].ready = false;
        self.nodes[node].retired = true;
        true
    }

    /// Adds read replicas (ready after `startup`) or stops routing reads to the newest ones.
    #[allow(clippy::too_many_arguments)]
    pub fn set_read_replicas(
        &mut self,
        model: &Model,
        database: usize,
        current: u32,
        target: u32,
        startup: Nanos,
        now: Nanos,
        queue: &mut EventQueue,
        rec: &mut Recorder,
    ) {
        let d = &model.databases[database];
        if target > current {
            for _ in current..target {
                let node = self.nodes.len();
                let mut n = DbNodeState::new(database as u32, d.replica.cores, d.replica.pool_size);
                n.ready = false;
                self.nodes.push(n);
                self.of[database].push(node);
                rec.databases[database].replicas.add(now, 1.0);
                queue.push(now + startup, Event::DbReplicaReady { node: node as u32 });
            }
        } else {
            for _ in target..current {
                if self.retire_newest_replica(database) {
                    rec.databases[database].replicas.add(now, -1.0);
                }
            }
        }
    }

    /// A new read replica has started: it serves reads unless removed meanwhile.
    pub fn replica_ready(&mut self, node: usize) {
        let n = &mut self.nodes[node];
        if !n.retired {
            n.ready = true;
        }
    }
}

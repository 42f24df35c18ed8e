//! Stations at run time: replicas with worker slots and FIFO wait queues, and the
//! load-balancing choice among ready replicas.

use crate::engine::ps::ProcessorSharing;
use crate::model::Station;
use crate::spec::model::BalancerAlgorithm;
use rand::Rng;
use rand::RngExt;
use std::collections::VecDeque;

/// A queued task: its slot, generation and wait token (stale entries are skipped).
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    pub task: u32,
    pub generation: u32,
}

/// Life of a replica (a pod or an instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Created, not ready yet (image pull, boot): billed, takes no traffic.
    Starting,
    Ready,
    /// Being removed: takes no new requests, finishes what it holds.
    Draining,
    /// Killed by a fault: serves nothing; requests routed to it are refused until the
    /// balancer learns it is gone.
    Dead,
    /// Gone; the slot may be reused by a new replica.
    Gone,
}

#[derive(Debug)]
pub struct Replica {
    /// Workers in use.
    pub busy: u32,
    /// Live tasks waiting (entries in `queue` may include stale ones).
    pub queued: u32,
    pub queue: VecDeque<Waiting>,
    /// Takes new requests (state is Ready).
    pub ready: bool,
    pub state: ReplicaState,
    pub created: u64,
    pub ready_since: u64,
    /// Bumped on every (re)creation: stale readiness events carry an older one.
    pub epoch: u32,
    /// Workers in a `work` step now, and the time integral of that count (ns x workers).
    pub cpu_busy: u32,
    pub cpu_integral: f64,
    pub cpu_last: u64,
    /// Requests that arrived at this replica.
    pub arrivals: u64,
    /// metrics-server samples within the window: (time, cpu integral, arrivals).
    pub samples: VecDeque<(u64, f64, u64)>,
    /// Requests in flight at the last scrape (for the memory model).
    pub in_flight_at_scrape: u32,
    /// The replica's cores when its `work` is processor-shared.
    pub cpu: Option<ProcessorSharing>,
}

impl Replica {
    pub fn new(queue_capacity: u32, now: u64, ready: bool, cores: Option<u32>) -> Self {
        Replica {
            busy: 0,
            queued: 0,
            queue: VecDeque::with_capacity(queue_capacity.min(1024) as usize),
            ready,
            state: if ready {
                ReplicaState::Ready
            } else {
                ReplicaState::Starting
            },
            created: now,
            ready_since: now,
            epoch: 0,
            cpu_busy: 0,
            cpu_integral: 0.0,
            cpu_last: now,
            arrivals: 0,
            samples: VecDeque::new(),
            in_flight_at_scrape: 0,
            cpu: cores.map(|c| ProcessorSharing::new(c, 64)),
        }
    }

    pub fn outstanding(&self) -> u32 {
        self.busy + self.queued
    }

    /// Brings the CPU integral up to `now`.
    #[inline]
    pub fn integrate_cpu(&mut self, now: u64) {
        self.cpu_integral += self.cpu_busy as f64 * now.saturating_sub(self.cpu_last) as f64;
        self.cpu_last = now;
    }

    /// The replica is a pod or instance the platform counts (not gone, not dead).
    pub fn exists(&self) -> bool {
        matches!(
            self.state,
            ReplicaState::Starting | ReplicaState::Ready | ReplicaState::Draining
        )
    }
}

#[derive(Debug)]
pub struct StationState {
    pub replicas: Vec<Replica>,
    pub workers: u32,
    pub queue_capacity: u32,
    round_robin: usize,
}

impl StationState {
    pub fn new(station: &Station) -> Self {
        let replicas = (0..station.replicas)
            .map(|_| Replica::new(station.queue_capacity, 0, true, station.cores))
            .collect();
        StationState {
            replicas,
            workers: station.workers,
            queue_capacity: station.queue_capacity,
            round_robin: 0,
        }
    }

    /// Picks a ready replica, or `None` when none is ready.
    pub fn pick<R: Rng + ?Sized>(
        &mut self,
        algorithm: BalancerAlgorithm,
        rng: &mut R,
    ) -> Option<usize> {
        let n = self.replicas.len();
        if n == 0 {
            return None;
        }
        match algorithm {
            BalancerAlgorithm::RoundRobin => {
                for k in 0..n {
                    let i = (self.round_robin + k) % n;
                    if self.replicas[i].ready {
                        self.round_robin = (i + 1) % n;
                        return Some(i);
                    }
                }
                None
            }
            BalancerAlgorithm::LeastOutstanding => self
                .replicas
                .iter()
                .enumerate()
                .filter(|(_, r)| r.ready)
                .min_by_key(|(i, r)| (r.outstanding(), *i))
                .map(|(i, _)| i),
            BalancerAlgorithm::PowerOfTwo | BalancerAlgorithm::Random => {
                let ready = self.replicas.iter().filter(|r| r.ready).count();
                if ready == 0 {
                    return None;
                }
                let nth = |k: usize| {
                    self.replicas
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.ready)
                        .nth(k)
                        .map(|(i, _)| i)
                };
                let a = nth(rng.random_range(0..ready))?;
                if algorithm == BalancerAlgorithm::Random || ready == 1 {
                    return Some(a);
                }
                // Two distinct choices.
                let mut k = rng.random_range(0..ready - 1);
                let a_rank = self.replicas[..a].iter().filter(|r| r.ready).count();
                if k >= a_rank {
                    k += 1;
                }
                let b = nth(k)?;
                let (oa, ob) = (
                    self.replicas[a].outstanding(),
                    self.replicas[b].outstanding(),
                );
                Some(if ob < oa { b } else { a })
            }
        }
    }

    pub fn busy_total(&self) -> u32 {
        self.replicas.iter().map(|r| r.busy).sum()
    }

    pub fn queued_total(&self) -> u32 {
        self.replicas.iter().map(|r| r.queued).sum()
    }
}

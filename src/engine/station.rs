//! Stations at run time: replicas with worker slots and FIFO wait queues, their life
//! (start, ready, draining, killed, gone), their `work` on shared cores, and the
//! load-balancing choice among ready replicas.

use crate::engine::event::Event;
use crate::engine::ps::ProcessorSharing;
use crate::engine::queue::EventQueue;
use crate::model::Station;
use crate::spec::model::BalancerAlgorithm;
use crate::time::Nanos;
use rand::Rng;
use rand::RngExt;
use std::collections::VecDeque;

/// A queued task: its slot, generation and wait token (stale entries are skipped).
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    pub task: u32,
    pub generation: u32,
}

impl Waiting {
    /// The entry of a job in its replica's `jobs` (no task slot yet).
    pub const JOB: Waiting = Waiting {
        task: u32::MAX,
        generation: 0,
    };
}

/// A job waiting for a worker of a job queue without a timeout: it takes a task slot only
/// when it starts, so a backlog of a million jobs costs 24 bytes each, not a task slot.
#[derive(Debug, Clone, Copy)]
pub struct QueuedJob {
    pub arrived: Nanos,
    pub attempt: u32,
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
    /// The jobs behind the [`Waiting::JOB`] entries of `queue`, in the same order.
    pub jobs: VecDeque<QueuedJob>,
    /// Takes new requests (state is Ready): set through [`StationState::set_ready`],
    /// which keeps the station's list of ready slots.
    ready: bool,
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
            jobs: VecDeque::new(),
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
        self.cpu_integral += self.cpu_busy as f64
            * crate::engine::gauges::span_f64(now.saturating_sub(self.cpu_last));
        self.cpu_last = now;
    }

    /// The replica is a pod or instance the platform counts (not gone, not dead).
    pub fn exists(&self) -> bool {
        matches!(
            self.state,
            ReplicaState::Starting | ReplicaState::Ready | ReplicaState::Draining
        )
    }

    /// Starting or ready: what `spec.replicas` counts.
    pub fn is_live(&self) -> bool {
        matches!(self.state, ReplicaState::Starting | ReplicaState::Ready)
    }

    /// Pops queued entries up to the first whose task still waits, and returns it.
    #[inline]
    pub fn next_waiter(
        &mut self,
        mut still_queued: impl FnMut(Waiting) -> bool,
    ) -> Option<Waiting> {
        while let Some(w) = self.queue.pop_front() {
            if still_queued(w) {
                return Some(w);
            }
        }
        None
    }

    /// The replica has started (false: a stale event of an earlier life of the slot).
    pub fn become_ready(&mut self, epoch: u32, now: Nanos) -> bool {
        if self.epoch != epoch || self.state != ReplicaState::Starting {
            return false;
        }
        self.state = ReplicaState::Ready;
        self.ready_since = now;
        true
    }

    /// Whether the balancer may send it new requests.
    #[inline(always)]
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Killed by a fault: its waiting room is lost. Returns whether it was ready, and its epoch.
    pub fn kill(&mut self) -> (bool, u32) {
        let was_ready = self.state == ReplicaState::Ready;
        self.state = ReplicaState::Dead;
        self.queue.clear();
        (was_ready, self.epoch)
    }

    /// Leaves once it holds no request: a dead replica the platform has noticed, or a
    /// draining one. The slot is then free.
    pub fn depart_if_empty(&mut self) -> Departure {
        if self.busy > 0 || self.queued > 0 {
            return Departure::Stays;
        }
        if self.state == ReplicaState::Dead && !self.ready {
            self.state = ReplicaState::Gone;
            self.samples.clear();
            return Departure::Dead;
        }
        if self.state == ReplicaState::Draining {
            self.state = ReplicaState::Gone;
            self.samples.clear();
            return Departure::Drained;
        }
        Departure::Stays
    }

    /// metrics-server: records the pod's cumulative CPU and arrivals; keeps one window.
    pub fn scrape(&mut self, now: Nanos, window: Nanos) {
        self.integrate_cpu(now);
        self.samples
            .push_back((now, self.cpu_integral, self.arrivals));
        while self
            .samples
            .front()
            .is_some_and(|&(t, _, _)| t + window < now)
        {
            self.samples.pop_front();
        }
        self.in_flight_at_scrape = self.busy + self.queued;
    }
}

/// What [`Replica::depart_if_empty`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    Stays,
    /// A killed replica the platform had noticed left its slot.
    Dead,
    /// A draining replica left: its billing ends.
    Drained,
}

#[derive(Debug)]
pub struct StationState {
    pub replicas: Vec<Replica>,
    /// The slots of the ready replicas, ascending: the balancer's k-th ready replica
    /// without a walk over every replica's record.
    ready_slots: Vec<u32>,
    pub workers: u32,
    pub queue_capacity: u32,
    round_robin: usize,
    /// An autoscaler reads its replicas' CPU use (an HPA's scrapes, an Auto Scaling
    /// group's CloudWatch minute): only then is each `work` step integrated into it.
    cpu_observed: bool,
}

impl StationState {
    /// `cpu_observed`: see [`crate::model::Model::cpu_observed`].
    pub fn new(station: &Station, cpu_observed: bool) -> Self {
        let replicas = (0..station.replicas)
            .map(|_| Replica::new(station.queue_capacity, 0, true, station.cores))
            .collect();
        StationState {
            ready_slots: (0..station.replicas).collect(),
            replicas,
            workers: station.workers,
            queue_capacity: station.queue_capacity,
            round_robin: 0,
            cpu_observed,
        }
    }

    /// Marks whether `replica` takes new requests.
    pub fn set_ready(&mut self, replica: usize, ready: bool) {
        let r = &mut self.replicas[replica];
        if r.ready == ready {
            return;
        }
        r.ready = ready;
        let slot = replica as u32;
        match self.ready_slots.binary_search(&slot) {
            Err(at) if ready => self.ready_slots.insert(at, slot),
            Ok(at) if !ready => {
                self.ready_slots.remove(at);
            }
            _ => debug_assert!(false, "ready slots out of step at slot {replica}"),
        }
    }

    /// The replica stops taking requests and drains; returns whether it was ready.
    pub fn retire(&mut self, replica: usize) -> bool {
        let r = &mut self.replicas[replica];
        let was_ready = r.state == ReplicaState::Ready;
        r.state = ReplicaState::Draining;
        self.set_ready(replica, false);
        was_ready
    }

    /// A timed `work` step (not processor-shared) on `replica` is over.
    #[inline]
    pub fn work_done(&mut self, replica: usize, now: Nanos) {
        let r = &mut self.replicas[replica];
        if self.cpu_observed {
            r.integrate_cpu(now);
        }
        r.cpu_busy -= 1;
    }

    /// Picks a ready replica, or `None` when none is ready. Round robin, the most
    /// common, is inlined where requests arrive.
    #[inline(always)]
    pub fn pick<R: Rng + ?Sized>(
        &mut self,
        algorithm: BalancerAlgorithm,
        rng: &mut R,
    ) -> Option<usize> {
        if algorithm == BalancerAlgorithm::RoundRobin {
            return self.pick_round_robin();
        }
        self.pick_by_load(algorithm, rng)
    }

    /// The next ready replica after the last one picked, in slot order.
    #[inline(always)]
    fn pick_round_robin(&mut self) -> Option<usize> {
        let n = self.replicas.len();
        // `(round_robin + k) % n`, dividing only when it wraps.
        for k in 0..n {
            let mut i = self.round_robin + k;
            if i >= n {
                i %= n;
            }
            if self.replicas[i].is_ready() {
                self.round_robin = if i + 1 == n { 0 } else { i + 1 };
                return Some(i);
            }
        }
        None
    }

    /// [`Self::pick`] by the replicas' load or at random.
    #[inline(never)]
    fn pick_by_load<R: Rng + ?Sized>(
        &mut self,
        algorithm: BalancerAlgorithm,
        rng: &mut R,
    ) -> Option<usize> {
        if self.replicas.is_empty() {
            return None;
        }
        match algorithm {
            BalancerAlgorithm::RoundRobin => self.pick_round_robin(),
            BalancerAlgorithm::LeastOutstanding => self
                .ready_slots
                .iter()
                .map(|&i| i as usize)
                .min_by_key(|&i| (self.replicas[i].outstanding(), i)),
            BalancerAlgorithm::PowerOfTwo | BalancerAlgorithm::Random => {
                let ready = self.ready_slots.len();
                if ready == 0 {
                    return None;
                }
                // The k-th ready replica in slot order.
                let a_rank = rng.random_range(0..ready);
                let a = self.ready_slots[a_rank] as usize;
                if algorithm == BalancerAlgorithm::Random || ready == 1 {
                    return Some(a);
                }
                // Two distinct choices.
                let mut k = rng.random_range(0..ready - 1);
                if k >= a_rank {
                    k += 1;
                }
                let b = self.ready_slots[k] as usize;
                let (oa, ob) = (
                    self.replicas[a].outstanding(),
                    self.replicas[b].outstanding(),
                );
                Some(if ob < oa { b } else { a })
            }
        }
    }

    /// Replicas that exist and are not being removed: what `spec.replicas` counts.
    pub fn live_replicas(&self) -> u32 {
        self.replicas.iter().filter(|r| r.is_live()).count() as u32
    }

    /// The live replicas, in slot order.
    pub fn live_indices(&self) -> Vec<usize> {
        self.replicas
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_live())
            .map(|(i, _)| i)
            .collect()
    }

    /// The replica a scale-down removes: not-ready first, then the newest (as a ReplicaSet
    /// does).
    pub fn scale_down_victim(&self) -> Option<usize> {
        self.replicas
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_live())
            .max_by_key(|(i, r)| (r.state == ReplicaState::Starting, r.created, *i))
            .map(|(i, _)| i)
    }

    /// A new replica, starting now, in the first free slot (gone, nothing queued) or a new
    /// one; returns its slot.
    pub fn add_replica(&mut self, now: Nanos, cores: Option<u32>) -> usize {
        let slot = self
            .replicas
            .iter()
            .position(|r| r.state == ReplicaState::Gone && r.queue.is_empty());
        match slot {
            Some(i) => {
                self.set_ready(i, false);
                let epoch = self.replicas[i].epoch.wrapping_add(1);
                let queue = std::mem::take(&mut self.replicas[i].queue);
                self.replicas[i] = Replica {
                    epoch,
                    queue,
                    ..Replica::new(self.queue_capacity, now, false, cores)
                };
                i
            }
            None => {
                self.replicas
                    .push(Replica::new(self.queue_capacity, now, false, cores));
                self.replicas.len() - 1
            }
        }
    }

    /// A `work` step of `d` starts on the replica: on its shared cores, or on the task's
    /// worker alone (then its end is a plain timer).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn start_work(
        &mut self,
        station: usize,
        replica: usize,
        now: Nanos,
        d: Nanos,
        task: u32,
        generation: u32,
        queue: &mut EventQueue,
    ) {
        let r = &mut self.replicas[replica];
        if self.cpu_observed {
            r.integrate_cpu(now);
        }
        if r.cpu.is_some() {
            self.start_shared_work(station, replica, now, d, task, generation, queue);
            return;
        }
        r.cpu_busy += 1;
        queue.push(now + d, Event::TaskStep { task, generation });
    }

    /// [`Self::start_work`] on the replica's shared cores (its CPU integral already
    /// brought up to `now`).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn start_shared_work(
        &mut self,
        station: usize,
        replica: usize,
        now: Nanos,
        d: Nanos,
        task: u32,
        generation: u32,
        queue: &mut EventQueue,
    ) {
        let r = &mut self.replicas[replica];
        if let Some(ps) = r.cpu.as_mut() {
            ps.start(now, d as f64, task, generation);
            r.cpu_busy = ps.busy_cores();
            self.schedule_cpu(station, replica, now, queue);
        }
    }

    /// The next processor-shared `work` step ends (a stale `version` does nothing):
    /// returns the task whose step ended.
    pub fn end_work(
        &mut self,
        station: usize,
        replica: usize,
        version: u32,
        now: Nanos,
        queue: &mut EventQueue,
    ) -> Option<(u32, u32)> {
        let r = &mut self.replicas[replica];
        let ps = r.cpu.as_mut()?;
        if ps.version != version {
            return None;
        }
        let (task, generation, _) = ps.finish(now)?;
        let busy = ps.busy_cores();
        if self.cpu_observed {
            r.integrate_cpu(now);
        }
        r.cpu_busy = busy;
        self.schedule_cpu(station, replica, now, queue);
        Some((task, generation))
    }

    fn schedule_cpu(&self, station: usize, replica: usize, now: Nanos, queue: &mut EventQueue) {
        let Some(ps) = &self.replicas[replica].cpu else {
            return;
        };
        let next = ps.next_departure(now);
        if next != u64::MAX {
            let version = ps.version;
            queue.push(
                next,
                Event::CpuNext {
                    station: station as u32,
                    replica: replica as u32,
                    version,
                },
            );
        }
    }

    pub fn busy_total(&self) -> u32 {
        self.replicas.iter().map(|r| r.busy).sum()
    }

    pub fn queued_total(&self) -> u32 {
        self.replicas.iter().map(|r| r.queued).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn station(n: u32) -> StationState {
        StationState {
            replicas: (0..n).map(|_| Replica::new(8, 0, true, None)).collect(),
            ready_slots: (0..n).collect(),
            workers: 1,
            queue_capacity: 8,
            round_robin: 0,
            cpu_observed: false,
        }
    }

    /// The reference the list of ready slots replaces: the k-th ready replica found by a
    /// walk over every replica.
    fn kth_ready(st: &StationState, k: usize) -> usize {
        (0..st.replicas.len())
            .filter(|&i| st.replicas[i].is_ready())
            .nth(k)
            .unwrap()
    }

    #[test]
    fn balancer_picks_as_a_walk_over_the_replicas_would() {
        let mut st = station(9);
        for (slot, ready) in [(1, false), (4, false), (4, true), (7, false), (0, false)] {
            st.set_ready(slot, ready);
        }
        assert!(st.retire(5));
        assert!(!st.retire(5), "a draining replica was not ready");
        st.set_ready(8, true); // no change
        let ready: Vec<usize> = (0..9).filter(|&i| st.replicas[i].is_ready()).collect();
        assert_eq!(ready, [2, 3, 4, 6, 8]);
        for (i, busy) in [(2, 3), (3, 1), (4, 2), (6, 1), (8, 0), (0, 0)] {
            st.replicas[i].busy = busy;
        }

        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut twin = rng.clone();
        for _ in 0..200 {
            let pick = st.pick_by_load(BalancerAlgorithm::Random, &mut rng);
            let k = twin.random_range(0..ready.len());
            assert_eq!(pick, Some(kth_ready(&st, k)));

            let pick = st.pick_by_load(BalancerAlgorithm::PowerOfTwo, &mut rng);
            let a_rank = twin.random_range(0..ready.len());
            let mut b_rank = twin.random_range(0..ready.len() - 1);
            if b_rank >= a_rank {
                b_rank += 1;
            }
            let (a, b) = (kth_ready(&st, a_rank), kth_ready(&st, b_rank));
            let expected = if st.replicas[b].outstanding() < st.replicas[a].outstanding() {
                b
            } else {
                a
            };
            assert_eq!(pick, Some(expected));
        }
        // The least outstanding ready replica, the lowest slot on a tie: slot 0 holds
        // nothing but is not ready.
        let pick = st.pick_by_load(BalancerAlgorithm::LeastOutstanding, &mut rng);
        assert_eq!(pick, Some(8));
        st.replicas[8].busy = 1;
        let pick = st.pick_by_load(BalancerAlgorithm::LeastOutstanding, &mut rng);
        assert_eq!(pick, Some(3));

        for slot in ready {
            st.set_ready(slot, false);
        }
        assert_eq!(st.pick_by_load(BalancerAlgorithm::Random, &mut rng), None);
        let slot = st.add_replica(0, None);
        assert!(
            !st.replicas[slot].is_ready(),
            "a new replica starts unready"
        );
    }
}

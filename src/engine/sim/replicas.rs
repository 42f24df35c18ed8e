//! The loop's part for replicas that come and go: scaling a station, a replica starting,
//! becoming ready, draining and leaving (billing, balancer registration, AWS instances),
//! faults (replicas killed, a failover's end) and the balancer's health checks.

use super::Simulation;
use crate::engine::event::Event;
use crate::engine::faults::{DETECTION_DELAY, FaultAction, kill_count};
use crate::engine::station::{Departure, ReplicaState};

impl Simulation<'_> {
    /// Sets the station's replica count: new replicas start (and become ready after their
    /// start-up time); removed ones (not-ready first, then the newest, as a ReplicaSet
    /// does) stop taking requests and leave once they hold none.
    pub(super) fn scale_to(&mut self, station: usize, desired: u32) {
        let now = self.now;
        let live = self.stations[station].live_replicas();
        self.rec.stations[station].desired.set(now, desired as f64);
        if desired > live {
            for _ in live..desired {
                self.spawn_replica(station);
            }
        } else if desired < live {
            for _ in desired..live {
                if let Some(v) = self.stations[station].scale_down_victim() {
                    self.retire_replica(station, v);
                }
            }
        }
    }

    pub(super) fn spawn_replica(&mut self, station: usize) -> usize {
        let now = self.now;
        let s = &self.model.stations[station];
        let delay = s
            .startup
            .map(|d| self.model.distributions[d].sample_nanos(&mut self.rng_system))
            .unwrap_or(0);
        let st = &mut self.stations[station];
        let index = st.add_replica(now, s.cores);
        let epoch = st.replicas[index].epoch;
        self.rec.stations[station].billed.add(now, 1.0);
        self.queue.push(
            now + delay,
            Event::ReplicaReady {
                station: station as u32,
                replica: index as u32,
                epoch,
            },
        );
        index
    }

    pub(super) fn replica_ready(&mut self, station: usize, replica: usize, epoch: u32) {
        let now = self.now;
        if !self.stations[station].replicas[replica].become_ready(epoch, now) {
            return;
        }
        let routable = self
            .lb
            .register(station, replica, epoch, now, &mut self.queue);
        self.stations[station].set_ready(replica, routable);
        let workers = self.model.stations[station].workers as f64;
        let c = &mut self.rec.stations[station];
        c.add_capacity(now, workers);
        c.ready.add(now, 1.0);
        self.aws.instance_ready(station, replica, now);
    }

    pub(super) fn retire_replica(&mut self, station: usize, replica: usize) {
        let now = self.now;
        let workers = self.model.stations[station].workers as f64;
        if self.stations[station].retire(replica) {
            let c = &mut self.rec.stations[station];
            c.add_capacity(now, -workers);
            c.ready.add(now, -1.0);
        }
        let epoch = self.stations[station].replicas[replica].epoch;
        if self.lb.deregister(station, replica, epoch, now) {
            self.apply_routable(station);
            self.lb.schedule(station, now, &mut self.queue);
        }
        self.leave_if_drained(station, replica);
    }

    /// A draining replica, or a dead one the platform has noticed, leaves once it holds
    /// no request.
    #[inline(always)]
    pub(super) fn leave_if_drained(&mut self, station: usize, replica: usize) {
        // The common case, decided where it is called: a ready replica stays.
        if self.stations[station].replicas[replica].state != ReplicaState::Ready {
            self.leave_unless_busy(station, replica);
        }
    }

    /// The rest of [`Self::leave_if_drained`], for a replica not ready.
    #[inline(never)]
    fn leave_unless_busy(&mut self, station: usize, replica: usize) {
        let now = self.now;
        let r = &mut self.stations[station].replicas[replica];
        match r.depart_if_empty() {
            Departure::Stays => return,
            Departure::Dead => {}
            Departure::Drained => {
                let s = &self.model.stations[station];
                let lived = now - r.created;
                if lived < s.billing_minimum {
                    let extra = (s.billing_minimum - lived) as f64 / 3.6e12 * s.price_per_hour;
                    self.rec.stations[station].extra_cost += extra;
                    self.rec.spend(extra, true);
                }
                self.rec.stations[station].billed.add(now, -1.0);
            }
        }
        let epoch = r.epoch;
        self.aws.instance_gone(station, replica, now);
        self.lb.remove(station, replica, epoch);
    }

    pub(super) fn fault_start(&mut self, index: usize) {
        let exp = self.exp;
        if let FaultAction::Kill(targets) = self.faults.start(&exp.faults[index].kind) {
            for &(station, amount) in targets {
                let live = self.stations[station].live_indices();
                let n = kill_count(amount, live.len());
                for &replica in &live[..n] {
                    self.kill_replica(station, replica);
                }
            }
        }
    }

    pub(super) fn fault_end(&mut self, index: usize) {
        let exp = self.exp;
        if let FaultAction::FailoverOver(database) = self.faults.end(&exp.faults[index].kind)
            && self.dbs.retire_newest_replica(database)
        {
            self.rec.databases[database].replicas.add(self.now, -1.0);
        }
    }

    /// The replica dies now: what it held fails, it is no longer billed, and it is replaced.
    fn kill_replica(&mut self, station: usize, replica: usize) {
        let now = self.now;
        let workers = self.model.stations[station].workers as f64;
        let r = &mut self.stations[station].replicas[replica];
        let jobs: Vec<u32> = r.jobs.drain(..).map(|j| j.attempt).collect();
        let (was_ready, epoch) = r.kill();
        let c = &mut self.rec.stations[station];
        if was_ready {
            c.add_capacity(now, -workers);
            c.ready.add(now, -1.0);
        }
        c.billed.add(now, -1.0);
        c.killed += 1;
        self.abort_replica_tasks(station, replica);
        self.abort_queued_jobs(station, replica, jobs);
        self.stations[station].replicas[replica].queued = 0;
        // With ALB health checks the balancer's checks decide when traffic stops; the
        // platform (ReplicaSet, ASG status check) notices the death on its own either way.
        self.lb
            .target_died(station, replica, epoch, now, &mut self.queue);
        self.queue.push(
            now + DETECTION_DELAY,
            Event::DeathNoticed {
                station: station as u32,
                replica: replica as u32,
                epoch,
            },
        );
        if !self.aws.has_group(station) {
            // The Deployment's ReplicaSet sees a pod fewer and starts one at once.
            self.spawn_replica(station);
        }
    }

    /// The platform notices the dead replica: no more traffic to it; an Auto Scaling group
    /// replaces the instance.
    pub(super) fn death_noticed(&mut self, station: usize, replica: usize, epoch: u32) {
        let r = &self.stations[station].replicas[replica];
        if r.epoch != epoch || r.state != ReplicaState::Dead {
            return;
        }
        if !self.lb.checks(station) {
            self.stations[station].set_ready(replica, false);
        }
        if let Some((g, decision)) = self.aws.report_dead(station, replica, self.now) {
            self.apply_group_decision(g, station, &decision);
        }
        self.leave_if_drained(station, replica);
    }

    /// Applies the health checks due now and re-derives which replicas take traffic.
    pub(super) fn lb_health_tick(&mut self, station: usize, version: u32) {
        if !self.lb.tick(station, version, self.now) {
            return;
        }
        self.apply_routable(station);
        self.lb.schedule(station, self.now, &mut self.queue);
    }

    /// Routes to the replicas the checks allow; a dead one no longer routed may leave.
    fn apply_routable(&mut self, station: usize) {
        if !self.lb.set_routable(station, &mut self.stations[station]) {
            return;
        }
        for i in 0..self.stations[station].replicas.len() {
            if self.stations[station].replicas[i].state == ReplicaState::Dead {
                self.leave_if_drained(station, i);
            }
        }
    }
}

//! Faults in the loop: replicas killed (one service, or a fraction of every service when a
//! zone goes), providers down or slow, services degraded, a database primary failing over.
//! What follows is what the platform does: requests on a dead replica fail, the balancer
//! keeps sending to it until it knows, replacements start, retries and failover act.

use crate::engine::event::Event;
use crate::engine::sim::Simulation;
use crate::engine::station::ReplicaState;
use crate::model::fault::{FaultKind, KillAmount};
use crate::time::{NANOS_PER_SEC, Nanos};

/// Time for the platform to notice a dead replica without load-balancer health checks
/// (Kubernetes endpoints removal after the pod's deletion, ASG's EC2 status check).
pub const DETECTION_DELAY: Nanos = 10 * NANOS_PER_SEC;

impl Simulation<'_> {
    pub(crate) fn init_faults(&mut self) {
        for (i, f) in self.exp.faults.iter().enumerate() {
            self.queue.push(f.at, Event::FaultStart { fault: i as u32 });
            if let Some(until) = f.until {
                self.queue.push(until, Event::FaultEnd { fault: i as u32 });
            }
        }
    }

    pub(crate) fn fault_start(&mut self, index: usize) {
        match self.exp.faults[index].kind.clone() {
            FaultKind::Kill { targets } => {
                for (station, amount) in targets {
                    let live: Vec<usize> = self.stations[station]
                        .replicas
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| {
                            matches!(r.state, ReplicaState::Starting | ReplicaState::Ready)
                        })
                        .map(|(i, _)| i)
                        .collect();
                    let n = match amount {
                        KillAmount::Count(c) => (c as usize).min(live.len()),
                        KillAmount::Fraction(x) => {
                            ((x * live.len() as f64).ceil() as usize).min(live.len())
                        }
                    };
                    for &replica in &live[..n] {
                        self.kill_replica(station, replica);
                    }
                }
            }
            FaultKind::ProviderOutage { provider } => self.provider_down[provider] = true,
            FaultKind::ProviderSlowdown { provider, factor } => {
                self.provider_slowdown[provider] = factor
            }
            FaultKind::Degrade { station, factor } => self.station_slowdown[station] = factor,
            FaultKind::DatabaseFailover { database } => self.db_failing_over[database] = true,
        }
    }

    pub(crate) fn fault_end(&mut self, index: usize) {
        match self.exp.faults[index].kind {
            FaultKind::Kill { .. } => {}
            FaultKind::ProviderOutage { provider } => self.provider_down[provider] = false,
            FaultKind::ProviderSlowdown { provider, .. } => self.provider_slowdown[provider] = 1.0,
            FaultKind::Degrade { station, .. } => self.station_slowdown[station] = 1.0,
            FaultKind::DatabaseFailover { database } => {
                self.db_failing_over[database] = false;
                // A read replica was promoted to primary: one replica fewer serves reads.
                let nodes = self.db_nodes_of[database].clone();
                if let Some(&node) = nodes[1..].iter().rev().find(|&&n| self.db_nodes[n].ready) {
                    self.db_nodes[node].ready = false;
                    self.db_nodes[node].retired = true;
                    self.rec.databases[database].replicas.add(self.now, -1.0);
                }
            }
        }
    }

    /// The replica dies now: what it held fails, it is no longer billed, and it is replaced.
    fn kill_replica(&mut self, station: usize, replica: usize) {
        let now = self.now;
        let workers = self.model.stations[station].workers as f64;
        let r = &mut self.stations[station].replicas[replica];
        let was_ready = r.state == ReplicaState::Ready;
        r.state = ReplicaState::Dead;
        r.queue.clear();
        let epoch = r.epoch;
        let c = &mut self.rec.stations[station];
        if was_ready {
            c.capacity.add(now, -workers);
            c.ready.add(now, -1.0);
        }
        c.billed.add(now, -1.0);
        c.killed += 1;
        self.abort_replica_tasks(station, replica);
        let r = &mut self.stations[station].replicas[replica];
        r.queued = 0;
        // With ALB health checks the balancer's checks decide when traffic stops; the
        // platform (ReplicaSet, ASG status check) notices the death on its own either way.
        self.lb_target_died(station, replica);
        self.queue.push(
            now + DETECTION_DELAY,
            Event::DeathNoticed {
                station: station as u32,
                replica: replica as u32,
                epoch,
            },
        );
        if self.aws_group_of[station].is_none() {
            // The Deployment's ReplicaSet sees a pod fewer and starts one at once.
            self.spawn_replica(station);
        }
    }

    /// The platform notices the dead replica: no more traffic to it; an Auto Scaling group
    /// replaces the instance.
    pub(crate) fn death_noticed(&mut self, station: usize, replica: usize, epoch: u32) {
        let r = &mut self.stations[station].replicas[replica];
        if r.epoch != epoch || r.state != ReplicaState::Dead {
            return;
        }
        if self.lb_health[station].is_none() {
            r.ready = false;
        }
        self.aws_replace(station, replica);
        self.leave_if_drained(station, replica);
    }
}

//! The load balancer's target health checks (ALB) in the loop: a new replica of an entry
//! service takes traffic only once it has passed a check, a removed one is deregistered,
//! and when no target is healthy the balancer fails open.

use crate::autoscale::health::{TargetGroupHealth, TargetId};
use crate::engine::event::Event;
use crate::engine::sim::Simulation;
use crate::engine::station::ReplicaState;

/// A target id that changes when a replica slot is reused.
fn target_id(replica: usize, epoch: u32) -> TargetId {
    ((epoch as u64) << 32) | replica as u64
}

impl Simulation<'_> {
    pub(crate) fn init_lb_health(&mut self) {
        let Some(config) = &self.model.balancer.health_check else {
            return;
        };
        for e in &self.model.endpoints {
            if self.lb_health[e.station].is_some() {
                continue;
            }
            let mut h = TargetGroupHealth::new(config.clone());
            for (i, r) in self.stations[e.station].replicas.iter().enumerate() {
                h.register_healthy(target_id(i, r.epoch), 0);
            }
            self.lb_health[e.station] = Some(h);
            self.schedule_lb_health(e.station);
        }
    }

    fn schedule_lb_health(&mut self, station: usize) {
        let Some(h) = &self.lb_health[station] else {
            return;
        };
        self.lb_health_version[station] = self.lb_health_version[station].wrapping_add(1);
        if let Some(t) = h.next_event() {
            let at = t.max(self.now);
            self.queue.push(
                at,
                Event::LbHealth {
                    station: station as u32,
                    version: self.lb_health_version[station],
                },
            );
        }
    }

    /// Applies the health checks due now and re-derives which replicas take traffic.
    pub(crate) fn lb_health_tick(&mut self, station: usize, version: u32) {
        if self.lb_health_version[station] != version {
            return;
        }
        if let Some(h) = self.lb_health[station].as_mut() {
            h.advance(self.now);
        }
        self.apply_routable(station);
        self.schedule_lb_health(station);
    }

    fn apply_routable(&mut self, station: usize) {
        let Some(h) = &self.lb_health[station] else {
            return;
        };
        let routable = h.routable();
        // A dead target keeps its traffic until the checks mark it unhealthy.
        for (i, r) in self.stations[station].replicas.iter_mut().enumerate() {
            r.ready = matches!(r.state, ReplicaState::Ready | ReplicaState::Dead)
                && routable.contains(&target_id(i, r.epoch));
        }
        for i in 0..self.stations[station].replicas.len() {
            if self.stations[station].replicas[i].state == ReplicaState::Dead {
                self.leave_if_drained(station, i);
            }
        }
    }

    /// Returns whether the replica may take traffic now (false: it waits for its checks).
    pub(crate) fn lb_register(&mut self, station: usize, replica: usize) -> bool {
        let epoch = self.stations[station].replicas[replica].epoch;
        let Some(h) = self.lb_health[station].as_mut() else {
            return true;
        };
        h.register(target_id(replica, epoch), self.now);
        self.schedule_lb_health(station);
        false
    }

    pub(crate) fn lb_deregister(&mut self, station: usize, replica: usize) {
        let epoch = self.stations[station].replicas[replica].epoch;
        if let Some(h) = self.lb_health[station].as_mut() {
            h.deregister(target_id(replica, epoch), self.now);
            self.apply_routable(station);
            self.schedule_lb_health(station);
        }
    }

    /// A killed target stops answering its health checks (nothing without health checks).
    pub(crate) fn lb_target_died(&mut self, station: usize, replica: usize) {
        let epoch = self.stations[station].replicas[replica].epoch;
        let Some(h) = self.lb_health[station].as_mut() else {
            return;
        };
        h.set_responding(target_id(replica, epoch), self.now, false, 0);
        self.schedule_lb_health(station);
    }

    pub(crate) fn lb_remove(&mut self, station: usize, replica: usize) {
        let epoch = self.stations[station].replicas[replica].epoch;
        if let Some(h) = self.lb_health[station].as_mut() {
            h.remove(target_id(replica, epoch));
        }
    }
}

//! The load balancer's target health checks (ALB) at run time: per entry station, its
//! target group health and the version that marks stale check events. A new replica takes
//! traffic only once it has passed a check, a removed one is deregistered, and when no
//! target is healthy the balancer fails open.

use crate::autoscale::health::{TargetGroupHealth, TargetId};
use crate::engine::event::Event;
use crate::engine::queue::EventQueue;
use crate::engine::station::{ReplicaState, StationState};
use crate::model::Model;
use crate::time::Nanos;

/// A target id that changes when a replica slot is reused.
fn target_id(replica: usize, epoch: u32) -> TargetId {
    ((epoch as u64) << 32) | replica as u64
}

/// Per station: the balancer's target health (entry stations with health checks).
pub(crate) struct LbHealth {
    health: Vec<Option<TargetGroupHealth>>,
    version: Vec<u32>,
}

impl LbHealth {
    /// Every entry station's replicas start healthy; their first checks are scheduled.
    pub fn new(
        model: &Model,
        stations: &[StationState],
        now: Nanos,
        queue: &mut EventQueue,
    ) -> Self {
        let mut lb = LbHealth {
            health: (0..model.stations.len()).map(|_| None).collect(),
            version: vec![0; model.stations.len()],
        };
        let Some(config) = &model.balancer.health_check else {
            return lb;
        };
        for e in &model.endpoints {
            if lb.health[e.station].is_some() {
                continue;
            }
            let mut h = TargetGroupHealth::new(config.clone());
            for (i, r) in stations[e.station].replicas.iter().enumerate() {
                h.register_healthy(target_id(i, r.epoch), 0);
            }
            lb.health[e.station] = Some(h);
            lb.schedule(e.station, now, queue);
        }
        lb
    }

    /// The station's targets are health-checked.
    pub fn checks(&self, station: usize) -> bool {
        self.health[station].is_some()
    }

    /// Schedules the station's next health-check event; earlier ones become stale.
    pub fn schedule(&mut self, station: usize, now: Nanos, queue: &mut EventQueue) {
        let Some(h) = &self.health[station] else {
            return;
        };
        self.version[station] = self.version[station].wrapping_add(1);
        if let Some(t) = h.next_event() {
            let at = t.max(now);
            queue.push(
                at,
                Event::LbHealth {
                    station: station as u32,
                    version: self.version[station],
                },
            );
        }
    }

    /// Applies the health checks due now; false for a stale event.
    pub fn tick(&mut self, station: usize, version: u32, now: Nanos) -> bool {
        if self.version[station] != version {
            return false;
        }
        if let Some(h) = self.health[station].as_mut() {
            h.advance(now);
        }
        true
    }

    /// Re-derives which replicas take traffic; false when the station has no checks.
    /// A dead target keeps its traffic until the checks mark it unhealthy.
    pub fn set_routable(&self, station: usize, st: &mut StationState) -> bool {
        let Some(h) = &self.health[station] else {
            return false;
        };
        let routable = h.routable();
        for i in 0..st.replicas.len() {
            let r = &st.replicas[i];
            let ready = matches!(r.state, ReplicaState::Ready | ReplicaState::Dead)
                && routable.contains(&target_id(i, r.epoch));
            st.set_ready(i, ready);
        }
        true
    }

    /// Returns whether the replica may take traffic now (false: it waits for its checks).
    pub fn register(
        &mut self,
        station: usize,
        replica: usize,
        epoch: u32,
        now: Nanos,
        queue: &mut EventQueue,
    ) -> bool {
        let Some(h) = self.health[station].as_mut() else {
            return true;
        };
        h.register(target_id(replica, epoch), now);
        self.schedule(station, now, queue);
        false
    }

    /// Starts deregistering the target; false when the station has no checks.
    pub fn deregister(&mut self, station: usize, replica: usize, epoch: u32, now: Nanos) -> bool {
        let Some(h) = self.health[station].as_mut() else {
            return false;
        };
        h.deregister(target_id(replica, epoch), now);
        true
    }

    /// A killed target stops answering its health checks (nothing without health checks).
    pub fn target_died(
        &mut self,
        station: usize,
        replica: usize,
        epoch: u32,
        now: Nanos,
        queue: &mut EventQueue,
    ) {
        let Some(h) = self.health[station].as_mut() else {
            return;
        };
        h.set_responding(target_id(replica, epoch), now, false, 0);
        self.schedule(station, now, queue);
    }

    pub fn remove(&mut self, station: usize, replica: usize, epoch: u32) {
        if let Some(h) = self.health[station].as_mut() {
            h.remove(target_id(replica, epoch));
        }
    }
}

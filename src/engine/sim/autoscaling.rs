//! The loop's part for the autoscalers: an HPA reconcile or an AWS minute decides (in
//! their runtimes), the decision is recorded, and replicas, instances or database read
//! replicas are started or removed here.

use super::Simulation;
use crate::autoscale::aws::group::Decision;
use crate::engine::aws::AwsRuntime;
use crate::engine::result::ScaleRecord;
use crate::engine::scaling::HpaRuntime;
use crate::engine::station::ReplicaState;

impl Simulation<'_> {
    /// One reconcile of HPA `index`; a changed scale starts or removes replicas now.
    pub(super) fn hpa_sync(&mut self, index: usize) {
        if let Some(record) =
            self.hpa
                .reconcile(index, self.model, &self.stations, &self.rec, self.now)
        {
            let (station, to) = (record.station, record.to);
            self.rec.scaled(record);
            self.scale_to(station, to);
        }
        HpaRuntime::schedule_sync(index, self.model, self.now, &mut self.queue);
    }

    /// Every minute: publish the metrics, evaluate the alarms, let each group and each
    /// read-replica rule act.
    pub(super) fn aws_tick(&mut self) {
        let Some(aws) = &self.model.aws else { return };
        let now = self.now;
        for g in 0..self.aws.groups() {
            let station = aws.groups[g].station;
            let arrivals = self.rec.stations[station].arrivals;
            let decision = self
                .aws
                .decide_group(g, self.model, &mut self.stations, arrivals, now);
            if decision.changed() {
                self.rec.scaled(ScaleRecord {
                    at: now,
                    station,
                    from: decision.desired_before,
                    to: decision.desired_after,
                    reason: decision.policy.clone().unwrap_or_default(),
                });
                self.rec.stations[station]
                    .desired
                    .set(now, decision.desired_after as f64);
            }
            self.apply_group_decision(g, station, &decision);
        }
        for k in 0..self.aws.replica_rules() {
            if let Some(change) = self
                .aws
                .decide_read_replicas(k, self.model, &mut self.dbs, now)
            {
                self.dbs.set_read_replicas(
                    self.model,
                    change.database,
                    change.current,
                    change.target,
                    change.startup,
                    now,
                    &mut self.queue,
                    &mut self.rec,
                );
            }
        }
        AwsRuntime::schedule_tick(now, &mut self.queue);
    }

    /// Launches and terminates the instances a group decided on.
    pub(super) fn apply_group_decision(&mut self, g: usize, station: usize, decision: &Decision) {
        for &id in &decision.launch {
            let index = self.spawn_replica(station);
            self.aws.launched(g, index, id);
        }
        for &id in &decision.terminate {
            if let Some(index) = self.aws.slot_of(g, id)
                && self.stations[station].replicas[index].state != ReplicaState::Dead
            {
                self.retire_replica(station, index);
            }
        }
    }
}

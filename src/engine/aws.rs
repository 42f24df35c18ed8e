//! AWS in the loop: CloudWatch one-minute metrics from the simulated instances, alarms
//! evaluated every minute, Auto Scaling groups acting on their simple policies, and the
//! database read-replica rule acting on the primary's connections.

use crate::autoscale::aws::alarm::MetricAlarm;
use crate::autoscale::aws::group::{
    AlarmSignal, AutoScalingGroup, Decision, InstanceId, PolicyInput,
};
use crate::autoscale::aws::policy::ReadReplicaState;
use crate::engine::database::DbNodeState;
use crate::engine::event::Event;
use crate::engine::scaling::ScaleRecord;
use crate::engine::sim::Simulation;
use crate::engine::station::ReplicaState;
use crate::model::{AsgPolicyKind, AwsMetric};
use crate::time::{NANOS_PER_SEC, Nanos};

/// CloudWatch's standard resolution for the metrics capsim publishes.
pub const METRIC_PERIOD: Nanos = 60 * NANOS_PER_SEC;

/// Run-time state of one Auto Scaling group.
pub(crate) struct GroupRuntime {
    pub group: AutoScalingGroup,
    pub alarms: Vec<MetricAlarm>,
    /// Instance behind each replica slot of the station.
    pub instance_of: Vec<Option<InstanceId>>,
    /// Station arrivals at the last tick (for RequestCount).
    pub arrivals_mark: u64,
    /// Per replica slot: CPU integral at the last tick.
    pub cpu_marks: Vec<f64>,
}

pub(crate) struct ReplicaRuleRuntime {
    pub add: MetricAlarm,
    pub remove: MetricAlarm,
    pub state: ReadReplicaState,
    pub in_use_mark: f64,
}

impl Simulation<'_> {
    pub(crate) fn init_aws(&mut self) {
        let Some(aws) = &self.model.aws else { return };
        for b in &aws.groups {
            let n = self.model.stations[b.station].replicas as usize;
            self.aws_groups.push(GroupRuntime {
                group: AutoScalingGroup::new(b.group.clone(), 0),
                alarms: b
                    .policies
                    .iter()
                    .flat_map(|p| p.kind.alarms())
                    .map(MetricAlarm::new)
                    .collect(),
                instance_of: (0..n as InstanceId).map(Some).collect(),
                arrivals_mark: 0,
                cpu_marks: vec![0.0; n],
            });
            self.aws_group_of[b.station] = Some(self.aws_groups.len() - 1);
        }
        for r in &aws.read_replicas {
            self.aws_replica_rules.push(ReplicaRuleRuntime {
                add: MetricAlarm::new(r.rule.add_alarm.clone()),
                remove: MetricAlarm::new(r.rule.remove_alarm.clone()),
                state: ReadReplicaState::default(),
                in_use_mark: 0.0,
            });
        }
        if !aws.groups.is_empty() || !aws.read_replicas.is_empty() {
            self.queue.push(METRIC_PERIOD, Event::AwsTick);
        }
    }

    /// Average CPU (percent of each instance's CPU) of the group's in-service instances
    /// over the last minute; None when no instance is in service.
    fn group_cpu_percent(&mut self, g: usize, station: usize) -> Option<f64> {
        let now = self.now;
        let res = self.model.stations[station].resources;
        let capacity_milli = res
            .cpu_request_milli
            .unwrap_or(self.model.stations[station].workers as i64 * res.cpu_per_work_milli)
            .max(1) as f64;
        let mut total = 0.0;
        let mut count = 0;
        let rt = &mut self.aws_groups[g];
        rt.cpu_marks
            .resize(self.stations[station].replicas.len(), 0.0);
        for (i, r) in self.stations[station].replicas.iter_mut().enumerate() {
            r.integrate_cpu(now);
            let used = r.cpu_integral - rt.cpu_marks[i];
            rt.cpu_marks[i] = r.cpu_integral;
            if r.state == ReplicaState::Ready {
                let milli = used / METRIC_PERIOD as f64 * res.cpu_per_work_milli as f64;
                total += 100.0 * milli / capacity_milli;
                count += 1;
            }
        }
        (count > 0).then(|| total / count as f64)
    }

    /// Every minute: publish the metrics, evaluate the alarms, let each group and each
    /// read-replica rule act.
    pub(crate) fn aws_tick(&mut self) {
        let Some(aws) = &self.model.aws else { return };
        let now = self.now;
        let sample_at = now - 1;
        for g in 0..self.aws_groups.len() {
            let binding = &aws.groups[g];
            let station = binding.station;
            let cpu = self.group_cpu_percent(g, station);
            let arrivals = self.rec.stations[station].arrivals;
            let rt = &mut self.aws_groups[g];
            let requests = (arrivals - rt.arrivals_mark) as f64;
            rt.arrivals_mark = arrivals;
            let in_service = self.stations[station]
                .replicas
                .iter()
                .filter(|r| r.state == ReplicaState::Ready)
                .count();
            let rt = &mut self.aws_groups[g];
            let mut signals: Vec<AlarmSignal> = Vec::with_capacity(rt.alarms.len());
            let mut k = 0;
            for p in &binding.policies {
                let value = match p.metric {
                    AwsMetric::CpuUtilization => cpu,
                    AwsMetric::RequestCount => Some(requests),
                    AwsMetric::RequestCountPerTarget => {
                        (in_service > 0).then(|| requests / in_service as f64)
                    }
                    AwsMetric::DatabaseConnections => None,
                };
                for config in p.kind.alarms() {
                    let alarm = &mut rt.alarms[k];
                    if let Some(v) = value {
                        alarm.record(sample_at, v);
                    }
                    let eval = alarm.evaluate(now);
                    signals.push(AlarmSignal::from_evaluation(&config, &eval));
                    k += 1;
                }
            }
            let mut inputs: Vec<PolicyInput<'_>> = Vec::with_capacity(binding.policies.len());
            let mut k = 0;
            for p in &binding.policies {
                let name = p.name.as_str();
                match &p.kind {
                    AsgPolicyKind::Simple { policy, .. } => {
                        inputs.push(PolicyInput::Simple {
                            name,
                            policy,
                            alarm: signals[k].state,
                        });
                        k += 1;
                    }
                    AsgPolicyKind::Step { policy, .. } => {
                        inputs.push(PolicyInput::Step {
                            name,
                            policy,
                            alarm: &signals[k],
                        });
                        k += 1;
                    }
                    AsgPolicyKind::TargetTracking { policy } => {
                        inputs.push(PolicyInput::TargetTracking {
                            name,
                            policy,
                            high: &signals[k],
                            low: &signals[k + 1],
                        });
                        k += 2;
                    }
                }
            }
            let decision = rt.group.decide(now, &inputs);
            if decision.changed() {
                let c = &mut self.rec.stations[station];
                if decision.desired_after > decision.desired_before {
                    c.scale_ups += 1;
                    c.first_scale_up.get_or_insert(now);
                } else {
                    c.scale_downs += 1;
                }
                c.desired.set(now, decision.desired_after as f64);
                self.decisions.push(ScaleRecord {
                    at: now,
                    station,
                    from: decision.desired_before,
                    to: decision.desired_after,
                    reason: decision.policy.clone().unwrap_or_default(),
                });
            }
            self.apply_group_decision(g, station, &decision);
        }
        for k in 0..self.aws_replica_rules.len() {
            let binding = &aws.read_replicas[k];
            // Connections the application holds to the database, all nodes together: adding
            // a replica lowers them by shortening queries (Little's law).
            let mut integral = 0.0;
            for &n in &self.db_nodes_of[binding.database] {
                self.db_nodes[n].integrate_in_use(now);
                integral += self.db_nodes[n].in_use_integral;
            }
            let rt = &mut self.aws_replica_rules[k];
            let connections = (integral - rt.in_use_mark) / METRIC_PERIOD as f64;
            rt.in_use_mark = integral;
            rt.add.record(sample_at, connections);
            rt.remove.record(sample_at, connections);
            let add = rt.add.evaluate(now).state;
            let remove = rt.remove.evaluate(now).state;
            let replicas = self.db_nodes_of[binding.database][1..]
                .iter()
                .filter(|&&n| self.db_nodes[n].ready)
                .count() as u32;
            let decision = binding.rule.decide(
                &mut self.aws_replica_rules[k].state,
                now,
                add,
                remove,
                replicas,
            );
            if let Some(target) = decision {
                self.set_read_replicas(binding.database, replicas, target, binding.startup);
            }
        }
        self.queue.push(now + METRIC_PERIOD, Event::AwsTick);
    }

    /// Adds read replicas (ready after `startup`) or stops routing reads to the newest ones.
    fn set_read_replicas(&mut self, database: usize, current: u32, target: u32, startup: Nanos) {
        let d = &self.model.databases[database];
        if target > current {
            for _ in current..target {
                let node = self.db_nodes.len();
                let mut n = DbNodeState::new(database as u32, d.replica.cores, d.replica.pool_size);
                n.ready = false;
                self.db_nodes.push(n);
                self.db_nodes_of[database].push(node);
                self.rec.databases[database].replicas.add(self.now, 1.0);
                self.queue.push(
                    self.now + startup,
                    Event::DbReplicaReady { node: node as u32 },
                );
            }
        } else {
            for _ in target..current {
                if let Some(&node) = self.db_nodes_of[database][1..]
                    .iter()
                    .rev()
                    .find(|&&n| self.db_nodes[n].ready)
                {
                    self.db_nodes[node].ready = false;
                    // Queries already on it finish; it serves no new ones.
                    self.db_nodes[node].retired = true;
                    self.rec.databases[database].replicas.add(self.now, -1.0);
                }
            }
        }
    }

    pub(crate) fn db_replica_ready(&mut self, node: usize) {
        let n = &mut self.db_nodes[node];
        if !n.retired {
            n.ready = true;
        }
    }

    /// Launches and terminates the instances a group decided on.
    fn apply_group_decision(&mut self, g: usize, station: usize, decision: &Decision) {
        for &id in &decision.launch {
            let index = self.spawn_replica(station);
            let rt = &mut self.aws_groups[g];
            if rt.instance_of.len() <= index {
                rt.instance_of.resize(index + 1, None);
            }
            rt.instance_of[index] = Some(id);
        }
        for &id in &decision.terminate {
            let slot = self.aws_groups[g]
                .instance_of
                .iter()
                .position(|&x| x == Some(id));
            if let Some(index) = slot
                && self.stations[station].replicas[index].state != ReplicaState::Dead
            {
                self.retire_replica(station, index);
            }
        }
    }

    /// An instance of a group died: its EC2 status check fails and the group replaces it.
    pub(crate) fn aws_replace(&mut self, station: usize, replica: usize) {
        let Some(g) = self.aws_group_of[station] else {
            return;
        };
        let Some(Some(id)) = self.aws_groups[g].instance_of.get(replica).copied() else {
            return;
        };
        let decision = self.aws_groups[g]
            .group
            .report_unhealthy(id, self.now, false);
        self.apply_group_decision(g, station, &decision);
    }

    /// A replica of an AWS group has become ready: the instance is in service.
    pub(crate) fn aws_instance_ready(&mut self, station: usize, replica: usize) {
        if let Some(g) = self.aws_group_of[station]
            && let Some(Some(id)) = self.aws_groups[g].instance_of.get(replica).copied()
        {
            self.aws_groups[g].group.instance_in_service(id, self.now);
        }
    }

    /// A replica of an AWS group has left: the instance is terminated.
    pub(crate) fn aws_instance_gone(&mut self, station: usize, replica: usize) {
        if let Some(g) = self.aws_group_of[station]
            && let Some(slot) = self.aws_groups[g].instance_of.get_mut(replica)
            && let Some(id) = slot.take()
        {
            self.aws_groups[g].group.instance_terminated(id, self.now);
        }
    }
}

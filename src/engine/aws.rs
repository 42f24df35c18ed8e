//! AWS at run time: CloudWatch one-minute metrics from the simulated instances, alarms
//! evaluated every minute, each Auto Scaling group's instances and decisions, and each
//! database read-replica rule. The loop launches and terminates what they decide.

use crate::autoscale::aws::alarm::MetricAlarm;
use crate::autoscale::aws::group::{
    AlarmSignal, AutoScalingGroup, Decision, InstanceId, PolicyInput,
};
use crate::autoscale::aws::policy::ReadReplicaState;
use crate::engine::database::Databases;
use crate::engine::event::Event;
use crate::engine::queue::EventQueue;
use crate::engine::station::{ReplicaState, StationState};
use crate::model::{AsgPolicyKind, AwsMetric, Model};
use crate::time::{NANOS_PER_SEC, Nanos};

/// CloudWatch's standard resolution for the metrics capsim publishes.
pub const METRIC_PERIOD: Nanos = 60 * NANOS_PER_SEC;

/// Run-time state of one Auto Scaling group.
struct GroupRuntime {
    group: AutoScalingGroup,
    alarms: Vec<MetricAlarm>,
    /// Instance behind each replica slot of the station.
    instance_of: Vec<Option<InstanceId>>,
    /// Station arrivals at the last tick (for RequestCount).
    arrivals_mark: u64,
    /// Per replica slot: CPU integral at the last tick.
    cpu_marks: Vec<f64>,
}

struct ReplicaRuleRuntime {
    add: MetricAlarm,
    remove: MetricAlarm,
    state: ReadReplicaState,
    in_use_mark: f64,
}

/// A read-replica rule's decision: the database's ready replicas now and the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplicaChange {
    pub database: usize,
    pub current: u32,
    pub target: u32,
    pub startup: Nanos,
}

/// The groups (with the station each scales) and the read-replica rules of the model.
pub(crate) struct AwsRuntime {
    groups: Vec<GroupRuntime>,
    group_of: Vec<Option<usize>>,
    replica_rules: Vec<ReplicaRuleRuntime>,
}

impl AwsRuntime {
    /// The groups own the initial replicas; the first minute's tick is scheduled.
    pub fn new(model: &Model, queue: &mut EventQueue) -> Self {
        let mut rt = AwsRuntime {
            groups: Vec::new(),
            group_of: vec![None; model.stations.len()],
            replica_rules: Vec::new(),
        };
        let Some(aws) = &model.aws else { return rt };
        for b in &aws.groups {
            let n = model.stations[b.station].replicas as usize;
            rt.groups.push(GroupRuntime {
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
            rt.group_of[b.station] = Some(rt.groups.len() - 1);
        }
        for r in &aws.read_replicas {
            rt.replica_rules.push(ReplicaRuleRuntime {
                add: MetricAlarm::new(r.rule.add_alarm.clone()),
                remove: MetricAlarm::new(r.rule.remove_alarm.clone()),
                state: ReadReplicaState::default(),
                in_use_mark: 0.0,
            });
        }
        if !aws.groups.is_empty() || !aws.read_replicas.is_empty() {
            queue.push(METRIC_PERIOD, Event::AwsTick);
        }
        rt
    }

    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    pub fn replica_rules(&self) -> usize {
        self.replica_rules.len()
    }

    /// The station's replicas are the instances of an Auto Scaling group.
    pub fn has_group(&self, station: usize) -> bool {
        self.group_of[station].is_some()
    }

    /// Average CPU (percent of each instance's CPU) of the group's in-service instances
    /// over the last minute; None when no instance is in service.
    fn group_cpu_percent(
        &mut self,
        g: usize,
        model: &Model,
        station: usize,
        st: &mut StationState,
        now: Nanos,
    ) -> Option<f64> {
        let res = model.stations[station].resources;
        let capacity_milli = res
            .cpu_request_milli
            .unwrap_or(model.stations[station].workers as i64 * res.cpu_per_work_milli)
            .max(1) as f64;
        let mut total = 0.0;
        let mut count = 0;
        let rt = &mut self.groups[g];
        rt.cpu_marks.resize(st.replicas.len(), 0.0);
        for (i, r) in st.replicas.iter_mut().enumerate() {
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

    /// Group `g` at the end of a minute: publishes its metrics (`arrivals`: the station's
    /// arrivals so far), evaluates its alarms and lets it decide.
    pub fn decide_group(
        &mut self,
        g: usize,
        model: &Model,
        stations: &mut [StationState],
        arrivals: u64,
        now: Nanos,
    ) -> Decision {
        let binding = &model
            .aws
            .as_ref()
            .expect("AWS groups come from the model")
            .groups[g];
        let station = binding.station;
        let sample_at = now - 1;
        let cpu = self.group_cpu_percent(g, model, station, &mut stations[station], now);
        let rt = &mut self.groups[g];
        let requests = (arrivals - rt.arrivals_mark) as f64;
        rt.arrivals_mark = arrivals;
        let in_service = stations[station]
            .replicas
            .iter()
            .filter(|r| r.state == ReplicaState::Ready)
            .count();
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
        rt.group.decide(now, &inputs)
    }

    /// Read-replica rule `k` at the end of a minute: publishes the database's connections,
    /// evaluates its alarms and returns the change it decides on.
    pub fn decide_read_replicas(
        &mut self,
        k: usize,
        model: &Model,
        dbs: &mut Databases,
        now: Nanos,
    ) -> Option<ReplicaChange> {
        let binding = &model.aws.as_ref()?.read_replicas[k];
        let sample_at = now - 1;
        // Connections the application holds to the database, all nodes together: adding
        // a replica lowers them by shortening queries (Little's law).
        let integral = dbs.connections_integral(binding.database, now);
        let rt = &mut self.replica_rules[k];
        let connections = (integral - rt.in_use_mark) / METRIC_PERIOD as f64;
        rt.in_use_mark = integral;
        rt.add.record(sample_at, connections);
        rt.remove.record(sample_at, connections);
        let add = rt.add.evaluate(now).state;
        let remove = rt.remove.evaluate(now).state;
        let replicas = dbs.ready_replicas(binding.database);
        let target = binding
            .rule
            .decide(&mut rt.state, now, add, remove, replicas)?;
        Some(ReplicaChange {
            database: binding.database,
            current: replicas,
            target,
            startup: binding.startup,
        })
    }

    /// The station's replica `index` is the group's new instance `id`.
    pub fn launched(&mut self, g: usize, index: usize, id: InstanceId) {
        let rt = &mut self.groups[g];
        if rt.instance_of.len() <= index {
            rt.instance_of.resize(index + 1, None);
        }
        rt.instance_of[index] = Some(id);
    }

    /// The replica slot of the group's instance `id`.
    pub fn slot_of(&self, g: usize, id: InstanceId) -> Option<usize> {
        self.groups[g]
            .instance_of
            .iter()
            .position(|&x| x == Some(id))
    }

    /// An instance of a group died: its EC2 status check fails and the group decides on a
    /// replacement (None: the station has no group, or no instance in that slot).
    pub fn report_dead(
        &mut self,
        station: usize,
        replica: usize,
        now: Nanos,
    ) -> Option<(usize, Decision)> {
        let g = self.group_of[station]?;
        let id = self.groups[g].instance_of.get(replica).copied().flatten()?;
        Some((g, self.groups[g].group.report_unhealthy(id, now, false)))
    }

    /// A replica of an AWS group has become ready: the instance is in service.
    pub fn instance_ready(&mut self, station: usize, replica: usize, now: Nanos) {
        if let Some(g) = self.group_of[station]
            && let Some(Some(id)) = self.groups[g].instance_of.get(replica).copied()
        {
            self.groups[g].group.instance_in_service(id, now);
        }
    }

    /// A replica of an AWS group has left: the instance is terminated.
    pub fn instance_gone(&mut self, station: usize, replica: usize, now: Nanos) {
        if let Some(g) = self.group_of[station]
            && let Some(slot) = self.groups[g].instance_of.get_mut(replica)
            && let Some(id) = slot.take()
        {
            self.groups[g].group.instance_terminated(id, now);
        }
    }

    /// Schedules the next minute's tick.
    pub fn schedule_tick(now: Nanos, queue: &mut EventQueue) {
        queue.push(now + METRIC_PERIOD, Event::AwsTick);
    }
}

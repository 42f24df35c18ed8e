//! The bottleneck analysis of a run, in a fold-friendly shape: the resources that can queue
//! or refuse (service and job workers, waiting rooms, database pools and cores, provider
//! rate limits, arrival-rate VU pools), a small per-replication observation of each one
//! ([`BottleneckModel::observe`]: utilization, share of time saturated, share of the
//! response time spent waiting for it, and the operational-law prediction from the model's
//! demands). The fold over replications, the first to saturate and the departures from
//! the laws are in `bottleneck_findings.rs`.

use crate::aggregate::demands::{EndpointDemand, endpoint_demands, mixed};
use crate::engine::outcome::Cause;
use crate::engine::result::ReplicationResult;
use crate::model::StationKind;
use crate::model::experiment::Experiment;
use crate::theory::operational;
use crate::workload::executor::Executor;
use serde::Serialize;

/// What kind of resource, as summary.json names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A service's workers (all replicas).
    Workers,
    /// A service's waiting rooms (`queue_capacity` per replica) or a job queue's queue.
    WaitingRoom,
    /// A job queue's workers.
    JobWorkers,
    /// A database primary's connection pool.
    Pool,
    PrimaryCores,
    ReplicaCores,
    /// A provider's rate limit (tokens per second).
    RateLimit,
    /// An arrival-rate scenario's VUs up to `maxVUs`.
    VuPool,
}

/// One resource: its display name and what it belongs to (station, database, provider or
/// scenario index).
#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub kind: ResourceKind,
    pub owner: usize,
}

/// What one replication shows of one resource. NaN where a figure does not apply.
#[derive(Debug, Clone, Copy)]
pub struct ResourceObs {
    /// Time-average busy over time-average capacity.
    pub utilization: f64,
    /// Share of the time at capacity (waiting rooms and rate limits: share of arrivals
    /// refused, since their fullness is not a level the recorder integrates).
    pub saturated: f64,
    /// Waiting for it, as a share of the total response time of the users' requests.
    pub response_share: f64,
    /// Servers (workers, connections, cores, tokens/s, VUs), time-averaged.
    pub capacity: f64,
    /// Model demand per request in the capacity's unit (seconds, calls).
    pub demand: f64,
    /// Utilization law with the simulated throughput: X D / c.
    pub predicted: f64,
    /// Bottleneck law for this resource alone: c / D, requests per second.
    pub max_throughput: f64,
    /// Evidence for departures from the laws.
    pub scaled: bool,
    pub timeouts: u64,
    pub refused: u64,
    /// Little's law: mean inside against throughput x response (workers only).
    pub little: Option<(f64, f64)>,
}

/// One replication's bottleneck figures.
#[derive(Debug, Clone)]
pub struct ReplicationBottlenecks {
    pub resources: Vec<ResourceObs>,
    /// Users' requests answered per second, and their mean response time (s).
    pub throughput: f64,
    pub response_s: f64,
    /// Mean response time with no waiting, from the model's demands (NaN without them).
    pub min_response_s: f64,
    /// Time-averaged active VUs.
    pub vus: f64,
}

/// The resources of an experiment and its model's per-endpoint demands: built once, then
/// used for every replication.
#[derive(Debug, Clone)]
pub struct BottleneckModel {
    pub resources: Vec<Resource>,
    pub demands: Option<Vec<EndpointDemand>>,
    /// Every scenario is closed (VU-based): the closed-flow bounds apply.
    pub closed: bool,
}

fn arrival_rate(e: &Executor) -> bool {
    matches!(
        e,
        Executor::ConstantArrivalRate { .. }
            | Executor::RampingArrivalRate { .. }
            | Executor::PoissonArrivalRate { .. }
    )
}

impl BottleneckModel {
    pub fn new(exp: &Experiment) -> Self {
        let m = &exp.model;
        let mut resources = Vec::new();
        let mut add = |name: String, kind, owner| resources.push(Resource { name, kind, owner });
        for (i, s) in m.stations.iter().enumerate() {
            match s.kind {
                StationKind::Service => {
                    add(format!("{} workers", s.name), ResourceKind::Workers, i)
                }
                StationKind::JobQueue => add(
                    format!("{} job workers", s.name),
                    ResourceKind::JobWorkers,
                    i,
                ),
            }
            if s.queue_capacity != u32::MAX {
                add(
                    format!("{} waiting room", s.name),
                    ResourceKind::WaitingRoom,
                    i,
                );
            }
        }
        for (i, d) in m.databases.iter().enumerate() {
            add(format!("{} pool", d.name), ResourceKind::Pool, i);
            add(
                format!("{} primary cores", d.name),
                ResourceKind::PrimaryCores,
                i,
            );
            if d.read_replicas > 0
                || m.aws
                    .as_ref()
                    .is_some_and(|a| a.read_replicas.iter().any(|r| r.database == i))
            {
                add(
                    format!("{} replica cores", d.name),
                    ResourceKind::ReplicaCores,
                    i,
                );
            }
        }
        for (i, p) in m.providers.iter().enumerate() {
            if p.rate_limit.is_some() {
                add(format!("{} rate limit", p.name), ResourceKind::RateLimit, i);
            }
        }
        for (i, sc) in exp.scenarios.iter().enumerate() {
            if arrival_rate(&sc.scenario.executor) {
                add(
                    format!("{} VU pool (maxVUs)", sc.scenario.name),
                    ResourceKind::VuPool,
                    i,
                );
            }
        }
        BottleneckModel {
            resources,
            demands: endpoint_demands(m),
            closed: !exp
                .scenarios
                .iter()
                .any(|s| arrival_rate(&s.scenario.executor)),
        }
    }

    /// One replication's observation: small, so a fold can keep one per replication.
    pub fn observe(&self, exp: &Experiment, r: &ReplicationResult) -> ReplicationBottlenecks {
        let m = &exp.model;
        let secs = r.duration as f64 / 1e9;
        let throughput = if secs > 0.0 {
            r.requests as f64 / secs
        } else {
            0.0
        };
        let response_s = r.latency.map_or(f64::NAN, |t| t.avg / 1e3);
        let total_response_ms = r.latency.map_or(0.0, |t| t.avg * r.requests as f64);
        let share = |wait_ms: f64| {
            if total_response_ms > 0.0 {
                (wait_ms / total_response_ms).clamp(0.0, 1.0)
            } else {
                f64::NAN
            }
        };
        let counts: Vec<u64> = r.endpoints.iter().map(|e| e.requests).collect();
        let demand = self.demands.as_ref().map(|d| mixed(d, &counts));
        let nan = f64::NAN;
        let resources = self
            .resources
            .iter()
            .map(|res| {
                let i = res.owner;
                let mut o = ResourceObs {
                    utilization: nan,
                    saturated: nan,
                    response_share: nan,
                    capacity: nan,
                    demand: nan,
                    predicted: nan,
                    max_throughput: nan,
                    scaled: false,
                    timeouts: 0,
                    refused: 0,
                    little: None,
                };
                match res.kind {
                    ResourceKind::Workers | ResourceKind::JobWorkers => {
                        let (Some(s), Some(st)) = (r.stations.get(i), m.stations.get(i)) else {
                            return o;
                        };
                        o.utilization = s.utilization;
                        o.saturated = s.saturated;
                        o.capacity = s.replicas_avg * st.workers as f64;
                        if res.kind == ResourceKind::Workers {
                            o.response_share = share(s.queue_wait_total_ms);
                        }
                        o.demand = demand.as_ref().map_or(nan, |d| d.hold_s[i]);
                        o.scaled = s.replicas_max > s.replicas_min;
                        o.timeouts = s.causes[Cause::Timeout.index()];
                        o.refused = s.causes[Cause::QueueFull.index()]
                            + s.causes[Cause::NoReplica.index()]
                            + s.causes[Cause::ConnectionRefused.index()];
                        o.little = Some((
                            s.mean_in_flight,
                            operational::little(
                                if secs > 0.0 {
                                    s.arrivals as f64 / secs
                                } else {
                                    0.0
                                },
                                s.mean_response_ms / 1e3,
                            ),
                        ));
                    }
                    ResourceKind::WaitingRoom => {
                        let (Some(s), Some(st)) = (r.stations.get(i), m.stations.get(i)) else {
                            return o;
                        };
                        o.capacity = s.replicas_avg * st.queue_capacity as f64;
                        if o.capacity > 0.0 {
                            o.utilization =
                                (s.mean_in_flight - s.mean_busy_workers).max(0.0) / o.capacity;
                        }
                        let full = s.causes[Cause::QueueFull.index()];
                        o.saturated = if s.arrivals > 0 {
                            full as f64 / s.arrivals as f64
                        } else {
                            0.0
                        };
                        o.refused = full;
                    }
                    ResourceKind::Pool | ResourceKind::PrimaryCores => {
                        let (Some(d), Some(db)) = (r.databases.get(i), m.databases.get(i)) else {
                            return o;
                        };
                        // The primary takes the writes, and the reads while no replica serves.
                        let reads_too = db.read_replicas == 0;
                        o.demand = demand.as_ref().map_or(nan, |x| {
                            x.write_s[i] + if reads_too { x.read_s[i] } else { 0.0 }
                        });
                        o.timeouts = d.pool_timeouts;
                        if res.kind == ResourceKind::Pool {
                            o.utilization = d.primary_pool_utilization;
                            o.saturated = d.primary_pool_saturated;
                            o.capacity = db.primary.pool_size as f64;
                            o.response_share = share(d.pool_wait_total_ms);
                        } else {
                            o.utilization = d.primary_cpu_utilization;
                            o.saturated = d.primary_cores_saturated;
                            o.capacity = db.primary.cores as f64;
                        }
                    }
                    ResourceKind::ReplicaCores => {
                        let (Some(d), Some(db)) = (r.databases.get(i), m.databases.get(i)) else {
                            return o;
                        };
                        o.utilization = d.replica_cpu_utilization.unwrap_or(nan);
                        o.capacity = db.read_replicas as f64 * db.replica.cores as f64;
                        o.demand = demand.as_ref().map_or(nan, |x| x.read_s[i]);
                    }
                    ResourceKind::RateLimit => {
                        let (Some(p), Some(pm)) = (r.providers.get(i), m.providers.get(i)) else {
                            return o;
                        };
                        let rate = pm.rate_limit.map_or(nan, |(rate, _)| rate);
                        o.capacity = rate;
                        if rate > 0.0 && secs > 0.0 {
                            o.utilization = (p.attempts - p.rate_limited) as f64 / (rate * secs);
                        }
                        o.saturated = if p.attempts > 0 {
                            p.rate_limited as f64 / p.attempts as f64
                        } else {
                            0.0
                        };
                        o.refused = p.rate_limited;
                        o.demand = demand.as_ref().map_or(nan, |x| x.calls[i]);
                    }
                    ResourceKind::VuPool => {
                        let Some(v) = r.scenarios.get(i) else {
                            return o;
                        };
                        o.capacity = v.max_vus as f64;
                        if v.max_vus > 0 {
                            o.utilization = v.mean_running / v.max_vus as f64;
                        }
                        o.saturated = v.saturated;
                        o.refused = v.refused_at_max;
                    }
                }
                if o.demand.is_finite() && o.demand > 0.0 && o.capacity > 0.0 {
                    o.predicted = operational::utilization(throughput, o.demand, o.capacity);
                    o.max_throughput = operational::capacity(o.demand, o.capacity);
                }
                o
            })
            .collect();
        let vus = r.digest().mean_vus;
        ReplicationBottlenecks {
            resources,
            throughput,
            response_s,
            min_response_s: demand.map_or(nan, |d| d.min_response_s),
            vus,
        }
    }
}

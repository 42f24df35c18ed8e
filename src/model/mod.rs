//! Validated, immutable domain types built from specs: the model (stations, data tier,
//! providers, compiled operations) and the experiment (flows, scenarios, run settings).

pub mod build;
pub mod custom_metrics;
pub mod custom_threshold;
pub mod distribution;
pub mod experiment;
pub mod fault;
pub mod group_plans;
pub mod groups;
pub mod load;
pub mod program;
pub mod sampled;
pub mod threshold;
pub mod threshold_filter;
pub mod windows;

pub use distribution::Distribution;
pub use program::{Instr, Program};

use crate::spec::model::BalancerAlgorithm;
use crate::time::Nanos;

/// Index of a station (service or job queue) in [`Model::stations`].
pub type StationId = usize;
/// Index of a distribution in [`Model::distributions`].
pub type DistId = usize;

/// The system under test, validated and compiled for the engine.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    /// Services first (in name order), then job queues (in name order).
    pub stations: Vec<Station>,
    pub databases: Vec<Database>,
    pub caches: Vec<Cache>,
    pub providers: Vec<Provider>,
    pub endpoints: Vec<Endpoint>,
    pub balancer: EntryBalancer,
    /// Every distribution the model samples, referenced by index from instructions.
    pub distributions: Vec<Distribution>,
    /// All operations' instructions; an operation is a start index into it.
    pub program: Program,
    pub kubernetes: Option<Kubernetes>,
    pub aws: Option<Aws>,
    /// What loading left out on purpose (fields of real AWS files that do not change a
    /// prediction, Kubernetes kinds capsim does not simulate), one line each.
    pub notes: Vec<String>,
}

/// AWS autoscaling of a model.
#[derive(Debug, Clone)]
pub struct Aws {
    pub groups: Vec<AsgBinding>,
    pub read_replicas: Vec<ReadReplicaBinding>,
}

/// What an alarm of an AWS policy watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsMetric {
    /// Average CPU of the group's in-service instances, percent of their CPU (request).
    CpuUtilization,
    /// Requests the group's target group received in the minute (ALB RequestCount).
    RequestCount,
    /// RequestCount divided by the in-service instances (ALB RequestCountPerTarget).
    RequestCountPerTarget,
    /// Connections in use on the database, all nodes (RDS DatabaseConnections).
    DatabaseConnections,
}

#[derive(Debug, Clone)]
pub struct AsgPolicy {
    pub name: String,
    pub metric: AwsMetric,
    pub kind: AsgPolicyKind,
}

/// A scaling policy of a group with the alarm(s) it reacts to.
#[derive(Debug, Clone)]
pub enum AsgPolicyKind {
    Simple {
        alarm: crate::autoscale::aws::alarm::AlarmConfig,
        policy: crate::autoscale::aws::policy::SimplePolicy,
    },
    Step {
        alarm: crate::autoscale::aws::alarm::AlarmConfig,
        policy: crate::autoscale::aws::policy::StepPolicy,
    },
    /// Target tracking: its high and low alarms come from the policy.
    TargetTracking {
        policy: crate::autoscale::aws::policy::TargetTrackingPolicy,
    },
}

impl AsgPolicyKind {
    /// The alarms this policy needs, in the order the engine keeps them.
    pub fn alarms(&self) -> Vec<crate::autoscale::aws::alarm::AlarmConfig> {
        match self {
            AsgPolicyKind::Simple { alarm, .. } | AsgPolicyKind::Step { alarm, .. } => {
                vec![alarm.clone()]
            }
            AsgPolicyKind::TargetTracking { policy } => {
                vec![policy.high_alarm_config(), policy.low_alarm_config()]
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct AsgBinding {
    pub station: StationId,
    pub group: crate::autoscale::aws::group::GroupConfig,
    pub policies: Vec<AsgPolicy>,
}

#[derive(Debug, Clone)]
pub struct ReadReplicaBinding {
    pub database: usize,
    pub rule: crate::autoscale::aws::policy::ReadReplicaRule,
    pub startup: Nanos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationKind {
    Service,
    JobQueue,
}

/// A queue with workers: a service (per-replica queues) or a job queue (one shared queue).
#[derive(Debug, Clone)]
pub struct Station {
    pub name: String,
    pub kind: StationKind,
    pub replicas: u32,
    /// Concurrent requests per replica.
    pub workers: u32,
    /// Cores per replica shared by `work` steps (None: no sharing).
    pub cores: Option<u32>,
    /// Waiting room per replica; `u32::MAX` for unbounded.
    pub queue_capacity: u32,
    pub timeout: Option<Nanos>,
    pub balancer: BalancerAlgorithm,
    pub operations: Vec<Operation>,
    /// Job queues only: attempts per job and the wait before a retry.
    pub job_attempts: u32,
    pub job_retry_backoff: Nanos,
    /// Kubernetes Deployment name (what an HPA's `scaleTargetRef.name` matches).
    pub deployment: String,
    pub resources: Resources,
    /// Time from creation until a new replica is ready (None: at once).
    pub startup: Option<DistId>,
    pub price_per_hour: f64,
    pub billing_minimum: Nanos,
}

/// Requests and the usage model of one replica (milli-CPU and bytes).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Resources {
    pub cpu_request_milli: Option<i64>,
    pub memory_request_bytes: Option<i64>,
    /// CPU used by one worker while it is in a `work` step.
    pub cpu_per_work_milli: i64,
    pub memory_base_bytes: i64,
    pub memory_per_request_bytes: i64,
}

/// Kubernetes autoscaling of a model: the HPAs bound to stations and the controller flags.
#[derive(Debug, Clone)]
pub struct Kubernetes {
    pub config: crate::autoscale::hpa::ControllerConfig,
    pub scrape_interval: Nanos,
    pub metrics_window: Nanos,
    pub hpas: Vec<HpaBinding>,
}

#[derive(Debug, Clone)]
pub struct HpaBinding {
    pub station: StationId,
    pub hpa: crate::autoscale::hpa::Hpa,
    /// Per entry of `hpa.effective_metrics()`: where an Object or External metric's value
    /// comes from (`None` for the other metric types).
    pub metric_sources: Vec<Option<MetricSource>>,
    /// The containers of the target's pod template (name, cpu request in millicores,
    /// memory request in bytes); the service's work runs in the first. Empty: one
    /// container named after the deployment, with the service's requests.
    pub containers: Vec<(String, Option<i64>, Option<i64>)>,
}

/// What the metrics adapter serves for an HPA's Object or External metric.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricSource {
    /// Tasks waiting in a station's queues, at the reconcile.
    QueueLength(StationId),
    /// Arrivals per second at a station over the last sync period.
    RequestRate(StationId),
    /// Attempts per second at a provider over the last sync period.
    ProviderRate(usize),
    /// (from, milli-value) points, sorted by time; before the first point: no value.
    Series(Vec<(Nanos, i64)>),
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    /// Index of the first instruction in [`Model::program`].
    pub entry: u32,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    /// USD per hour of the primary and of each read replica.
    pub price_per_hour: f64,
    pub replica_price_per_hour: f64,
    pub primary: DbNode,
    pub replica: DbNode,
    pub read_replicas: u32,
    pub pool_timeout: Nanos,
}

#[derive(Debug, Clone, Copy)]
pub struct DbNode {
    pub cores: u32,
    pub pool_size: u32,
}

#[derive(Debug, Clone)]
pub struct Cache {
    pub name: String,
    pub latency: DistId,
    pub hit_ratio: f64,
    pub nodes: u32,
    /// USD per node-hour.
    pub price_per_hour: f64,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub latency: DistId,
    pub failure_probability: f64,
    /// Tokens per second and burst.
    pub rate_limit: Option<(f64, f64)>,
    pub timeout: Option<Nanos>,
    /// Extra attempts after the first.
    pub retries: u32,
    pub backoff: Nanos,
    pub backoff_multiplier: f64,
    pub max_backoff: Nanos,
    pub failover: Option<usize>,
    /// USD per attempt served.
    pub cost_per_call: f64,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub station: StationId,
    pub operation: usize,
}

#[derive(Debug, Clone)]
pub struct EntryBalancer {
    pub algorithm: BalancerAlgorithm,
    pub latency: Option<DistId>,
    pub health_check: Option<crate::autoscale::health::HealthCheckConfig>,
}

impl Model {
    /// Whether an autoscaler reads station `station`'s CPU use: an HPA scales it, or an
    /// Auto Scaling group runs it.
    pub fn cpu_observed(&self, station: StationId) -> bool {
        self.kubernetes
            .as_ref()
            .is_some_and(|k| k.hpas.iter().any(|h| h.station == station))
            || self
                .aws
                .as_ref()
                .is_some_and(|a| a.groups.iter().any(|g| g.station == station))
    }

    pub fn station_index(&self, name: &str) -> Option<StationId> {
        self.stations.iter().position(|s| s.name == name)
    }
    pub fn endpoint_index(&self, name: &str) -> Option<usize> {
        self.endpoints.iter().position(|e| e.name == name)
    }
}

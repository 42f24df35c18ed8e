//! The model file (`models/*.yaml`) as written: services, data tier, providers, queues, endpoints.

use crate::spec::distribution::DistributionSpec;
use crate::time::Duration;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A whole model file. Maps keep the user's names; order is by name (BTreeMap) so that
/// everything derived from a model is deterministic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Short name shown in reports.
    pub name: Option<String>,
    pub description: Option<String>,
    /// The load balancer in front of the entry service(s).
    #[serde(default)]
    pub load_balancer: Option<LoadBalancerSpec>,
    /// Endpoint (`"GET /api/badges/status"`) -> entry operation.
    pub endpoints: BTreeMap<String, EndpointSpec>,
    pub services: BTreeMap<String, ServiceSpec>,
    #[serde(default)]
    pub databases: BTreeMap<String, DatabaseSpec>,
    #[serde(default)]
    pub caches: BTreeMap<String, CacheSpec>,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderSpec>,
    #[serde(default)]
    pub job_queues: BTreeMap<String, JobQueueSpec>,
    /// Kubernetes autoscaling: HPA manifests and the controller's settings.
    pub kubernetes: Option<KubernetesSpec>,
    /// AWS autoscaling: Auto Scaling groups with alarm-driven policies, read-replica rules.
    pub aws: Option<AwsSpec>,
}

/// AWS EC2 Auto Scaling in a model, from files written as AWS and the plan write them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSpec {
    /// The scaling-policies file (tiers with `scaleUp`, `scaleDown`, `readReplicas`),
    /// relative to the model file.
    pub scaling_policies: Option<String>,
    /// AWS CLI JSON files as the CLI prints or takes them: `describe-auto-scaling-groups`,
    /// `describe-policies` and `describe-alarms` output, `create-auto-scaling-group`,
    /// `put-scaling-policy` and `put-metric-alarm` `--cli-input-json` documents.
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub groups: Vec<AwsGroupSpec>,
    #[serde(default)]
    pub read_replicas: Vec<AwsReadReplicaSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsGroupSpec {
    /// The service whose replicas are the group's instances.
    pub service: String,
    /// The Auto Scaling group JSON: `aws autoscaling describe-auto-scaling-groups` output
    /// (one or several groups) or one group's document; absent: the group named `group`
    /// in `aws.files`.
    pub asg: Option<String>,
    /// The group's `AutoScalingGroupName`: picks it from a file with several groups, and
    /// selects the policies of `aws.files` that scale it.
    pub group: Option<String>,
    /// The tier of the scaling-policies file that scales this group (besides the policies
    /// of `aws.files` whose AutoScalingGroupName is the group's).
    pub policies: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsReadReplicaSpec {
    pub database: String,
    /// The tier of the scaling-policies file holding `readReplicas`.
    pub policies: String,
    /// Time to create a read replica until it serves reads (RDS: minutes).
    pub startup: Option<Duration>,
}

/// The Kubernetes side of a model: HorizontalPodAutoscaler manifests, loaded as written,
/// matched to services by `scaleTargetRef.name` (a service's `deployment`, else its name).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSpec {
    /// Manifest files (multi-document YAML), relative to the model file.
    #[serde(default)]
    pub hpa_manifests: Vec<String>,
    /// Manifest files as `kubectl apply -f` takes them: HPAs, Deployments, StatefulSets
    /// (their `spec.replicas` and container requests replace the service's), and other
    /// kinds, listed and skipped. Read together with `hpa_manifests`.
    #[serde(default)]
    pub manifests: Vec<String>,
    /// Deployment (or StatefulSet) name -> capsim service, where the names differ and the
    /// service has no `deployment:`.
    #[serde(default)]
    pub deployments: std::collections::BTreeMap<String, String>,
    /// `--horizontal-pod-autoscaler-sync-period` (15s).
    pub sync_period: Option<Duration>,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1).
    pub tolerance: Option<f64>,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5m).
    pub cpu_initialization_period: Option<Duration>,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30s).
    pub initial_readiness_delay: Option<Duration>,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5m, legacy path only).
    pub downscale_stabilization: Option<Duration>,
    /// metrics-server: how often pod usage is scraped (15s).
    pub scrape_interval: Option<Duration>,
    /// metrics-server: the window usage is averaged over (30s; a multiple of the interval).
    pub metrics_window: Option<Duration>,
    /// What the metrics adapter serves for each `Object` and `External` metric the HPAs
    /// name: metric name -> a simulated quantity or a series (docs/kubernetes.md).
    #[serde(default)]
    pub metrics: BTreeMap<String, MetricBindingSpec>,
}

/// One metric's value source: exactly one field.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MetricBindingSpec {
    /// Jobs waiting in this station's queue (a job queue's backlog; a service's queues
    /// summed), at the reconcile.
    pub queue_length: Option<String>,
    /// Requests per second arriving at this service or job queue, over the last sync period.
    pub request_rate: Option<String>,
    /// Calls per second to this external provider (attempts), over the last sync period.
    pub provider_rate: Option<String>,
    /// A named series: the value of the last point at or before the reconcile.
    pub series: Option<Vec<SeriesPointSpec>>,
}

/// One point of a metric series: from `at` on, the metric is `value` (a Kubernetes
/// quantity or a number).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesPointSpec {
    pub at: Duration,
    pub value: crate::spec::k8s::Quantity,
}

/// What one replica asks for and uses, as Kubernetes sees it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesSpec {
    /// CPU request per replica (Kubernetes quantity: `500m`, `1`).
    pub cpu: Option<String>,
    /// Memory request per replica (`512Mi`, `1Gi`).
    pub memory: Option<String>,
    /// CPU a worker uses while in a `work` step (default `1`: one core).
    pub cpu_per_work: Option<String>,
    /// Memory of an idle replica (default: half the request).
    pub memory_base: Option<String>,
    /// Memory added by each request in flight on the replica (default `0`).
    pub memory_per_request: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BalancerAlgorithm {
    /// Each new request to the next ready replica in turn.
    #[default]
    RoundRobin,
    /// The ready replica with the fewest requests in progress (ties: lowest index).
    LeastOutstanding,
    /// Two ready replicas drawn at random; the one with fewer requests in progress.
    PowerOfTwo,
    /// A ready replica drawn uniformly at random (kube-proxy iptables mode).
    Random,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerSpec {
    #[serde(default)]
    pub algorithm: BalancerAlgorithm,
    /// Added to every request's latency (network and proxy time), not queued.
    pub latency: Option<DistributionSpec>,
    /// ALB target health checks: a new replica takes traffic after it passes one.
    pub health_check: Option<HealthCheckSpec>,
}

/// ALB target-group health check settings (defaults: the ALB's).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSpec {
    /// `HealthCheckIntervalSeconds` (30s).
    pub interval: Option<Duration>,
    /// `HealthCheckTimeoutSeconds` (5s).
    pub timeout: Option<Duration>,
    /// `HealthyThresholdCount` (5).
    pub healthy_threshold: Option<u32>,
    /// `UnhealthyThresholdCount` (2).
    pub unhealthy_threshold: Option<u32>,
    /// `deregistration_delay.timeout_seconds` (300s).
    pub deregistration_delay: Option<Duration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    pub service: String,
    pub operation: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Replicas (pods or instances) at the start.
    pub replicas: u32,
    /// Requests one replica serves at once (worker threads, event-loop concurrency).
    pub workers: u32,
    /// CPU cores of one replica, shared by the `work` steps in progress (processor
    /// sharing: a Node.js event loop is `cores: 1` with many workers). Absent: every
    /// worker runs its work at full speed.
    pub cores: Option<u32>,
    /// Requests one replica holds waiting for a worker; one more is refused with 503.
    #[serde(default)]
    pub queue_capacity: Option<u32>,
    /// Server-side deadline from arrival; past it the caller gets a 504 (`timeout`).
    pub timeout: Option<Duration>,
    /// How callers of this service pick among its ready replicas.
    #[serde(default)]
    pub balancer: BalancerAlgorithm,
    pub operations: BTreeMap<String, Vec<StepSpec>>,
    /// Kubernetes Deployment name (an HPA's `scaleTargetRef.name`), if not the service name.
    pub deployment: Option<String>,
    /// Requests and usage model, for autoscaler metrics.
    pub resources: Option<ResourcesSpec>,
    /// Time from a replica's creation until it is ready for traffic (image pull, boot).
    pub startup: Option<DistributionSpec>,
    /// Price of one replica-hour in USD, billed per second while the replica exists.
    pub price_per_hour: Option<f64>,
    /// Shortest billed life of a replica (EC2: 60s); a shorter one is billed this long.
    pub billing_minimum: Option<Duration>,
}

/// One step of an operation; each is a single-key map in YAML (`- work: {constant: 2ms}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSpec {
    /// Holds the worker for a time drawn from the distribution (CPU work, I/O waits).
    Work(DistributionSpec),
    /// Synchronous call; the caller's worker stays held until the callee answers.
    Call(CallSpec),
    /// A query through the database's connection pool.
    Query(QuerySpec),
    /// A cache lookup; a hit skips the remaining steps of the enclosing list.
    Cache(CacheStepSpec),
    /// A call to an external provider (retries, rate limit, failover).
    External(ExternalSpec),
    /// Puts a job on a queue and continues at once (like a 202 Accepted).
    Enqueue(EnqueueSpec),
    /// Exactly one arm runs, chosen with the given probabilities (they sum to 1).
    Branch(Vec<BranchArmSpec>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    pub service: String,
    pub operation: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    Read,
    Write,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    pub database: String,
    pub kind: QueryKind,
    /// Database CPU time of the query when it runs alone; under load it stretches
    /// (processor sharing over the database's cores).
    pub time: DistributionSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheStepSpec {
    pub cache: String,
    /// Overrides the cache's hit ratio for this lookup.
    pub hit_ratio: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalSpec {
    pub provider: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnqueueSpec {
    pub queue: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchArmSpec {
    pub probability: f64,
    #[serde(default)]
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    /// Cores of the primary: queries share them (processor sharing).
    pub cores: u32,
    /// Connections in the pool to the primary.
    pub pool_size: u32,
    /// How long a query waits for a connection before failing (`pool_timeout`).
    pub pool_timeout: Duration,
    /// Read replicas; reads go to them (least busy), writes to the primary.
    #[serde(default)]
    pub read_replicas: u32,
    /// Cores of each read replica (default: as the primary).
    pub replica_cores: Option<u32>,
    /// Pool size to each read replica (default: as the primary).
    pub replica_pool_size: Option<u32>,
    /// Price of the primary per hour in USD.
    pub price_per_hour: Option<f64>,
    /// Price of each read replica per hour (default: as the primary).
    pub replica_price_per_hour: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    pub latency: DistributionSpec,
    pub hit_ratio: f64,
    /// Nodes of the cache cluster (for cost; latency is per lookup).
    #[serde(default)]
    pub nodes: Option<u32>,
    /// Price of one node-hour in USD.
    pub price_per_hour: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub latency: DistributionSpec,
    /// Probability that one attempt fails (5xx or a dropped connection).
    #[serde(default)]
    pub failure_probability: f64,
    /// Requests per second the provider accepts; beyond it, 429.
    pub rate_limit: Option<RateLimitSpec>,
    /// Per attempt; a slower answer is a `provider_timeout`.
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub retries: Option<RetrySpec>,
    /// Provider tried when this one's attempts are spent.
    pub failover: Option<String>,
    /// USD per attempt the provider serves (compute units, or a transaction's gas at a gas
    /// price: 230,000 gas x 20 gwei x $3,000/ETH = $13.80).
    pub cost_per_call: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// Tokens per second.
    pub rate: f64,
    /// Bucket size (burst); default 1.
    pub burst: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Extra attempts after the first.
    pub attempts: u32,
    /// Wait before the first retry.
    pub backoff: Duration,
    /// Factor on the wait for each further retry (default 2).
    pub multiplier: Option<f64>,
    /// Longest wait (default: no cap).
    pub max_backoff: Option<Duration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobQueueSpec {
    /// Worker processes.
    pub workers: u32,
    /// Jobs one worker runs at once.
    pub concurrency: u32,
    /// Jobs that may wait; one more is refused (`queue_full`) and the enqueuer fails.
    pub capacity: Option<u32>,
    /// Attempts per job, the first included (a failed job is retried until then).
    pub attempts: u32,
    /// Wait before a retry.
    pub retry_backoff: Option<Duration>,
    pub steps: Vec<StepSpec>,
}

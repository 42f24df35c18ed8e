//! What one replication produces: totals, per endpoint, per station and per time bucket,
//! cost and scaling decisions.
//! Small and self-contained (no histograms), so thousands of replications fit in memory.

use crate::engine::outcome::CauseCounts;
pub use crate::engine::window_result::{SteadyResult, WindowResult};
use crate::stats::latency::TrendStats;
use crate::time::Nanos;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicationResult {
    pub index: u32,
    /// Simulated length of the test (k6's test run duration).
    pub duration: Nanos,
    pub events: u64,
    /// `http_req_duration` over all requests (None when no request finished).
    pub latency: Option<TrendStats>,
    /// The experiment's threshold percentiles, in ms, in [`crate::model::experiment::Experiment::percentiles`] order.
    pub quantiles: Vec<f64>,
    pub requests: u64,
    pub failures: u64,
    pub causes: CauseCounts,
    pub endpoints: Vec<EndpointResult>,
    /// (passes, fails) per check of the experiment.
    pub checks: Vec<(u64, u64)>,
    pub iterations: u64,
    pub dropped_iterations: u64,
    pub interrupted_iterations: u64,
    pub vus_max: u64,
    pub vus_peak: u64,
    pub accounting: Accounting,
    pub stations: Vec<StationResult>,
    pub databases: Vec<DatabaseResult>,
    /// Per external provider, in model order.
    #[serde(default)]
    pub providers: Vec<ProviderResult>,
    /// Per scenario: its VU pool, in experiment order.
    #[serde(default)]
    pub scenarios: Vec<ScenarioPoolResult>,
    pub cost: CostBreakdown,
    pub buckets: Vec<BucketRow>,
    /// Every scaling decision of the autoscalers, in time order.
    pub decisions: Vec<ScaleRecord>,
    /// The thresholds' sub-metrics, in [`crate::model::experiment::Experiment::submetrics`] order.
    #[serde(default)]
    pub submetrics: Vec<SubmetricResult>,
    /// When an `abortOnFail` threshold stopped the test (k6's abort), if one did.
    #[serde(default)]
    pub aborted_at: Option<Nanos>,
    /// The threshold (index in the experiment's) that aborted it.
    #[serde(default)]
    pub aborted_by: Option<usize>,
    /// Each stage of each scenario's profile, in `Experiment::stages` order.
    #[serde(default)]
    pub stages: Vec<WindowResult>,
    /// Each fault's window (from `at` to its end, or to the test end), in fault order.
    #[serde(default)]
    pub fault_windows: Vec<WindowResult>,
    /// After the warm-up (`None` without `warmup:`).
    #[serde(default)]
    pub steady: Option<SteadyResult>,
    /// What the summary needs of `buckets` once [`ReplicationResult::compact`] dropped them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<BucketDigest>,
}

/// A replication's time buckets reduced to what the summary reads of them, so a finished
/// replication can drop its buckets (the time series folds them as it finishes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BucketDigest {
    /// Highest cost per hour of any bucket (USD/h).
    pub peak_hourly_usd: f64,
    /// Active VUs in the last bucket (0 without buckets), the fewest in any bucket
    /// (infinite without buckets), and their time average (NaN without time).
    pub last_vus: f64,
    pub min_vus: f64,
    pub mean_vus: f64,
    /// The buckets' requests, failures and p95, kept only for experiments with faults
    /// (their recovery is judged bucket by bucket).
    pub rows: Vec<SlimBucket>,
}

/// The part of a bucket that fault recovery reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SlimBucket {
    pub requests: u64,
    pub failures: u64,
    pub p95_ms: f64,
}

impl SlimBucket {
    fn of(b: &BucketRow) -> Self {
        SlimBucket {
            requests: b.requests,
            failures: b.failures,
            p95_ms: b.p95_ms,
        }
    }
}

impl BucketDigest {
    pub fn of(buckets: &[BucketRow], keep_rows: bool) -> Self {
        let span: f64 = buckets.iter().map(|b| b.span_s).sum();
        BucketDigest {
            peak_hourly_usd: buckets
                .iter()
                .map(|b| b.cost_usd / (b.span_s / 3600.0))
                .fold(0.0, f64::max),
            last_vus: buckets.last().map_or(0.0, |b| b.vus),
            min_vus: buckets.iter().map(|b| b.vus).fold(f64::INFINITY, f64::min),
            mean_vus: if span > 0.0 {
                buckets.iter().map(|b| b.vus * b.span_s).sum::<f64>() / span
            } else {
                f64::NAN
            },
            rows: if keep_rows {
                buckets.iter().map(SlimBucket::of).collect()
            } else {
                Vec::new()
            },
        }
    }
}

impl ReplicationResult {
    /// Drops the per-bucket rows and the endpoints' latency distributions (folded into
    /// the running time series and distributions as the replication finished), keeping
    /// their [`BucketDigest`] (with the slim rows when `keep_rows`).
    pub fn compact(&mut self, keep_rows: bool) {
        if self.digest.is_none() {
            self.digest = Some(BucketDigest::of(&self.buckets, keep_rows));
        }
        self.buckets = Vec::new();
        for e in &mut self.endpoints {
            e.distribution = Vec::new();
        }
    }

    /// The bucket digest: kept by [`ReplicationResult::compact`] or computed from the buckets.
    pub fn digest(&self) -> std::borrow::Cow<'_, BucketDigest> {
        match &self.digest {
            Some(d) => std::borrow::Cow::Borrowed(d),
            None => std::borrow::Cow::Owned(BucketDigest::of(&self.buckets, false)),
        }
    }

    /// The slim rows fault recovery reads: from the buckets, or kept by `compact`.
    pub fn slim_rows(&self) -> std::borrow::Cow<'_, [SlimBucket]> {
        match &self.digest {
            Some(d) if self.buckets.is_empty() => std::borrow::Cow::Borrowed(&d.rows),
            _ => std::borrow::Cow::Owned(self.buckets.iter().map(SlimBucket::of).collect()),
        }
    }
}

/// One sub-metric of one replication: its samples' durations (trends), count and failed ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubmetricResult {
    /// Durations of the samples (responses, iterations); `None` when none or not kept.
    pub latency: Option<TrendStats>,
    /// The experiment's threshold percentiles of those durations, in ms.
    pub quantiles: Vec<f64>,
    pub count: u64,
    /// Failed requests, or failed checks, among them (a custom rate's non-zero values).
    pub bad: u64,
    /// The sum of a custom metric's values (a counter's count).
    #[serde(default)]
    pub sum: f64,
}

/// Money spent in one replication, by kind of resource (USD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CostBreakdown {
    pub services: f64,
    pub databases: f64,
    pub caches_and_fixed: f64,
    pub providers: f64,
}

impl CostBreakdown {
    pub fn total(&self) -> f64 {
        self.services + self.databases + self.caches_and_fixed + self.providers
    }
}

/// One scaling decision, for the summary and the optional decision log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleRecord {
    pub at: Nanos,
    pub station: usize,
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// Request conservation, from the users' side: every request sent ends exactly once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    pub sent: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Cut off by the end of the test or a ramp-down (k6 emits no sample for them).
    pub interrupted: u64,
    pub in_flight_at_end: u64,
}

impl Accounting {
    pub fn balanced(&self) -> bool {
        self.sent == self.succeeded + self.failed + self.interrupted + self.in_flight_at_end
    }
}

/// Percentiles 0, 0.5, ..., 100 at which each endpoint's latency distribution is kept.
pub fn distribution_percentiles() -> impl Iterator<Item = f64> {
    (0..=200).map(|i| i as f64 / 2.0)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointResult {
    pub latency: Option<TrendStats>,
    pub quantiles: Vec<f64>,
    /// Latency (ms) at the percentiles of [`DISTRIBUTION_PERCENTILES`] (empty without requests).
    pub distribution: Vec<f64>,
    pub requests: u64,
    pub failures: u64,
    pub causes: CauseCounts,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StationResult {
    /// Tasks that arrived (requests, calls or jobs), refused ones included.
    pub arrivals: u64,
    pub succeeded: u64,
    /// Errors raised at this station (propagated ones are counted where they arose).
    pub causes: CauseCounts,
    /// Failed because a callee failed (counted here too, for this station's conservation).
    pub downstream_failures: u64,
    pub in_flight_at_end: u64,
    /// Busy workers over available workers, time-averaged.
    pub utilization: f64,
    pub mean_busy_workers: f64,
    pub mean_in_flight: f64,
    /// Fraction of started tasks that had to wait for a worker (Erlang C's P(wait)).
    pub p_wait: f64,
    pub mean_queue_wait_ms: f64,
    pub mean_response_ms: f64,
    /// Jobs that used every attempt and failed (job queues only).
    pub dead_jobs: u64,
    pub job_retries: u64,
    /// Ready replicas: time average, lowest and highest.
    pub replicas_avg: f64,
    pub replicas_min: f64,
    pub replicas_max: f64,
    /// Highest replica count the autoscaler asked for.
    pub desired_max: f64,
    pub scale_ups: u64,
    pub scale_downs: u64,
    /// When the autoscaler first added replicas, seconds from the test start.
    pub first_scale_up_s: Option<f64>,
    /// Replica-seconds billed x price.
    pub cost_usd: f64,
    /// Share of the time every available worker was busy (or none was available).
    #[serde(default)]
    pub saturated: f64,
    /// Total time tasks waited for a worker, ms (all tasks together).
    #[serde(default)]
    pub queue_wait_total_ms: f64,
}

impl StationResult {
    pub fn errors(&self) -> u64 {
        self.causes.iter().sum::<u64>() + self.downstream_failures
    }
    pub fn balanced(&self) -> bool {
        self.arrivals == self.succeeded + self.errors() + self.in_flight_at_end
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseResult {
    pub mean_connections_in_use: f64,
    /// Busy cores over all cores (primary and read replicas).
    pub cpu_utilization: f64,
    pub queries: u64,
    /// From the start of a query to its end (processor sharing stretches it under load).
    pub mean_query_ms: f64,
    /// Wait for a connection, zero waits included.
    pub mean_pool_wait_ms: f64,
    pub pool_timeouts: u64,
    /// Total wait for connections, ms (all queries together).
    #[serde(default)]
    pub pool_wait_total_ms: f64,
    /// The primary alone: connections in use over its pool, share of the time its pool
    /// was full, busy cores over its cores, share of the time every core was busy.
    #[serde(default)]
    pub primary_pool_utilization: f64,
    #[serde(default)]
    pub primary_pool_saturated: f64,
    #[serde(default)]
    pub primary_cpu_utilization: f64,
    #[serde(default)]
    pub primary_cores_saturated: f64,
    /// Busy cores of the read replicas over their cores (None without read replicas).
    #[serde(default)]
    pub replica_cpu_utilization: Option<f64>,
}

/// One external provider in one replication.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ProviderResult {
    pub attempts: u64,
    /// Attempts its rate limit refused (429).
    pub rate_limited: u64,
}

/// One scenario's VU pool in one replication.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ScenarioPoolResult {
    pub max_vus: u64,
    /// Time-averaged iterations running.
    pub mean_running: f64,
    /// Share of the time every VU up to `maxVUs` was running an iteration.
    pub saturated: f64,
    /// Arrival-rate iterations due, and those dropped with the pool at `maxVUs`.
    pub due: u64,
    pub refused_at_max: u64,
}

/// One time bucket of one replication.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketRow {
    /// Length of the bucket in seconds (the last one may be shorter).
    pub span_s: f64,
    /// Time-averaged active VUs.
    pub vus: f64,
    pub requests: u64,
    pub failures: u64,
    /// Latency percentiles of requests that ended in the bucket (NaN when none did).
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Per database: time-averaged connections in use.
    pub db_in_use: Vec<f64>,
    /// Per station: time-averaged requests in flight (queued or in service).
    pub in_flight: Vec<f64>,
    /// Per station: time-averaged busy workers over available workers.
    pub utilization: Vec<f64>,
    /// Per station: time-averaged desired and ready replicas.
    pub desired: Vec<f64>,
    pub ready: Vec<f64>,
    /// Cost of the replicas that existed during the bucket, USD.
    pub cost_usd: f64,
}
